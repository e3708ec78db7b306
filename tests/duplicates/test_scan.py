"""The duplicate scan at scale finds exactly the groups the simple all-groups scan found, in order.

``_reference`` is the scan as it was before it learnt to stop early (every group computed with
``COUNT(DISTINCT id)`` among visible records, then the first ``limit`` kept). The fast scan must
give the same groups, in the same order, whatever the limit and the chunk size.
"""

from collections import defaultdict

import pytest
from django.db import models
from django.db.models.functions import Lower

from rapport.contacts.models import CompanyDomain, Contact, EmailAddress, PhoneNumber
from rapport.core import services as core_services
from rapport.core.permissions import visible
from rapport.duplicates import services
from tests.contacts.factories import make_company, make_contact


def _reference_groups_by(values, key_field, id_field):
    dupes = (
        values.values(key_field)
        .annotate(n=models.Count(id_field, distinct=True))
        .filter(n__gt=1)
        .values_list(key_field, flat=True)
    )
    groups = defaultdict(list)
    for key, record_id in (
        values.filter(**{f"{key_field}__in": dupes}).values_list(key_field, id_field).order_by(key_field, id_field)
    ):
        if record_id not in groups[key]:
            groups[key].append(record_id)
    return groups


def _reference(actor, record_type, limit):
    model = services.MODELS[record_type]
    seen = visible(model.objects.all(), actor)
    groups = []
    if model is Contact:
        live = EmailAddress.objects.filter(contact__in=seen.values("pk"))
        groups += [("Same e-mail", k, ids) for k, ids in _reference_groups_by(live, "email", "contact_id").items()]
        phones = PhoneNumber.objects.filter(contact__in=seen.values("pk"))
        groups += [
            ("Same phone", f"+{k}", ids) for k, ids in _reference_groups_by(phones, "digits", "contact_id").items()
        ]
        names = seen.exclude(first_name="", last_name="").annotate(
            k=Lower(models.functions.Concat("first_name", models.Value(" "), "last_name"))
        )
        groups += [("Same name", k, ids) for k, ids in _reference_groups_by(names, "k", "id").items()]
    else:
        by_name = defaultdict(list)
        for pk, name in seen.values_list("pk", "name").order_by("pk"):
            by_name[services.normalise_company_name(name)].append(pk)
        groups += [("Similar name", k, ids) for k, ids in by_name.items() if k and len(ids) > 1]
        root = CompanyDomain.objects.filter(company__in=seen.values("pk")).annotate(k=Lower("domain"))
        groups += [("Same domain", k, ids) for k, ids in _reference_groups_by(root, "k", "company_id").items()]
    unique = {}
    for group in groups:
        unique.setdefault(tuple(sorted(group[2])), group)
    return list(unique.values())[:limit]


def _shown(groups):
    return [(g.reason, g.key, [r.pk for r in g.records]) for g in groups]


@pytest.fixture
def people(cast, acting):
    """Contacts sharing e-mails, phones and names, across owners, in the bin, and in two workspaces."""
    o, w = cast.owner, cast.workspace
    made = [
        make_contact(o, w, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"], phones=["+14155550100"]),
        make_contact(o, w, first_name="ADA", last_name="lovelace", emails=["ada@example.com"], phones=["+14155550100"]),
        make_contact(o, w, first_name="Alan", last_name="Turing", emails=["alan@example.com", "ada@example.com"]),
        make_contact(cast.sales_west, w, first_name="Alan", last_name="Turing", emails=["alan@example.com"]),
        make_contact(o, w, first_name="Grace", last_name="Hopper", phones=["+14155550199"]),
        make_contact(o, w, first_name="Grace", last_name="Hopper", phones=["+1 415 555 0199"]),
        make_contact(o, w, first_name="Binned", last_name="Twin", emails=["bin@example.com"]),
        make_contact(o, w, first_name="Binned", last_name="Twin", emails=["bin@example.com"]),
        make_contact(o, w, first_name="Solo", last_name="", emails=["solo@example.com"]),
        make_contact(o, w, first_name="", last_name="Solo", emails=["solo2@example.com"]),
        make_contact(
            cast.outsider, cast.other_workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"]
        ),
    ]
    for n in range(6):  # many small name groups, to cross key batches
        make_contact(o, w, first_name=f"Twin{n}", last_name="Same")
        make_contact(cast.sales, w, first_name=f"twin{n}", last_name="same")
    with acting(cast.owner, cast.workspace) as actor:
        core_services.record_delete(actor=actor, record=Contact.objects.get(pk=made[7].pk))
    return made


@pytest.mark.parametrize("role", ["owner", "sales"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 200])
@pytest.mark.parametrize("chunk", [1, 2000])
def test_contact_scan_gives_the_reference_groups_in_order(cast, acting, people, monkeypatch, role, limit, chunk):
    monkeypatch.setattr(services, "CHUNK", chunk)
    user = getattr(cast, role)
    with acting(user, cast.workspace) as actor:
        expected = [(reason, key, ids) for reason, key, ids in _reference(actor, "contact", limit)]
        got = _shown(services.scan(actor, "contact", limit=limit))
    assert got == expected
    assert len(got) == min(limit, len(_reference(actor, "contact", 1000)))


def test_contact_scan_groups_are_the_expected_ones(cast, acting, people):
    ada, ada2, alan, alan_west, grace, grace2, binned, *_ = people
    with acting(cast.owner, cast.workspace) as actor:
        groups = _shown(services.scan(actor, "contact"))
    assert groups[:2] == [
        ("Same e-mail", "ada@example.com", [ada.pk, ada2.pk, alan.pk]),
        ("Same e-mail", "alan@example.com", [alan.pk, alan_west.pk]),
    ]
    assert ("Same phone", "+14155550199", [grace.pk, grace2.pk]) in groups
    assert ("Same phone", "+14155550100", [ada.pk, ada2.pk]) in groups
    assert ("Same name", "ada lovelace", [ada.pk, ada2.pk]) not in groups  # the same records as the phone group
    assert not any(binned.pk in ids for _, _, ids in groups)  # its twin is in the recycle bin
    assert not any(key.startswith("solo") for _, key, _ in groups)


def test_find_groups_lists_every_group_lazily_with_ids_only(cast, acting, people):
    with acting(cast.owner, cast.workspace) as actor:
        every = list(services.find_groups(actor, "contact"))
        expected = _reference(actor, "contact", 1000)
        first = next(services.find_groups(actor, "contact"))
    assert [(g.reason, g.key, g.ids) for g in every] == expected
    assert all(g.records == [] for g in every)
    assert (first.reason, first.key) == expected[0][:2]


def test_find_groups_refuses_an_unknown_record_type(cast, acting):
    from django.core.exceptions import ValidationError

    with acting(cast.owner, cast.workspace) as actor, pytest.raises(ValidationError):
        next(services.find_groups(actor, "deal"))


def test_company_scan_gives_the_reference_groups_in_order(cast, acting, monkeypatch):
    o, w = cast.owner, cast.workspace
    made = [
        make_company(o, w, name="Acme Inc.", domains=["acme.example"]),
        make_company(o, w, name="Globex"),
        make_company(o, w, name="ACME", domains=["acme-corp.example"]),
        make_company(o, w, name="Globex GmbH"),
        make_company(o, w, name="Initech", domains=["initech.example"]),
        make_company(o, w, name="Acme Ltd"),
        make_company(o, w, name="Ltd"),
        make_company(o, w, name="Inc."),
        make_company(cast.outsider, cast.other_workspace, name="Acme"),
    ]
    CompanyDomain.objects.filter(company=made[2]).update(domain="ACME.example")  # stored in another case
    monkeypatch.setattr(services, "CHUNK", 1)
    with acting(cast.owner, cast.workspace) as actor:
        for limit in (1, 2, 3, 200):
            assert _shown(services.scan(actor, "company", limit=limit)) == _reference(actor, "company", limit)
        groups = _shown(services.scan(actor, "company"))
    assert groups == [
        ("Similar name", "acme", [made[0].pk, made[2].pk, made[5].pk]),
        ("Similar name", "globex", [made[1].pk, made[3].pk]),
        ("Same domain", "acme.example", [made[0].pk, made[2].pk]),
    ]


def test_scan_records_carry_what_the_page_shows(cast, acting, people, login):
    with acting(cast.owner, cast.workspace) as actor:
        group = services.scan(actor, "contact", limit=1)[0]
    assert [str(r) for r in group.records] == ["Ada Lovelace", "ADA lovelace", "Alan Turing"]
    assert all(r.created_at for r in group.records)
    page = login(cast.owner).get("/duplicates/?type=contact").content.decode()
    assert "Same e-mail: ada@example.com" in page and "ADA lovelace" in page
