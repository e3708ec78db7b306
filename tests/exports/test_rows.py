"""The values path of exports (rapport.exports.rows) gives exactly what the list columns show.

Every column of the contact and company lists (custom fields of every type included) is built both
ways, from fetched values and from model instances through the columns' own display functions, on
records with the awkward cases: formula-like text, a company in the recycle bin, no owner, an owner
without a name, a deleted tag, stale custom values. Small chunk sizes make every test cross chunks.
"""

import csv
import io

import pytest

from rapport.contacts import selectors
from rapport.contacts.models import Company, Contact
from rapport.core import services as core_services
from rapport.customfields import services as cf_services
from rapport.exports import formats, rows, services
from rapport.exports.models import ExportRun, ExportStatus
from rapport.tags import services as tag_services
from tests.contacts.factories import make_company, make_contact

CUSTOM = {
    "note": ("text", {}),
    "score": ("number", {}),
    "fee": ("money", {}),
    "met_on": ("date", {}),
    "met_at": ("datetime", {}),
    "vip_flag": ("checkbox", {}),
    "tier": ("select", {"choices": [{"value": "gold", "label": "Gold"}, {"value": "eq", "label": "=Equals"}]}),
    "tiers": ("multi_select", {"choices": ["Silver", "Bronze"]}),
    "site": ("url", {}),
    "alt_phone": ("phone", {}),
    "buddy": ("user", {}),
}


def _fields(actor, record_type):
    for key, (field_type, options) in CUSTOM.items():
        cf_services.definition_create(
            actor=actor,
            record_type=record_type,
            data={"key": key, "label": key.replace("_", " ").title(), "field_type": field_type, "options": options},
        )


def _set_custom(model, pk, values):
    model.all_objects.filter(pk=pk).update(custom=values)


@pytest.fixture
def data(cast, acting):
    """Contacts and companies with every awkward case, and custom fields of every type."""
    with acting(cast.owner, cast.workspace) as actor:
        _fields(actor, "contacts.contact")
        _fields(actor, "contacts.company")
    parent = make_company(cast.owner, cast.workspace, name="Parent Holdings")
    gone = make_company(cast.owner, cast.workspace, name="Gone Ltd", parent=parent.pk)
    acme = make_company(
        cast.owner,
        cast.workspace,
        name="=Acme",
        parent=gone.pk,
        industry="software",
        annual_revenue="1234567.89",
        revenue_currency="EUR",
        phone="+14155550100",
        website="https://acme.example",
        domains=["acme.example"],
        tags=["Zeta", "alpha"],
    )
    make_company(cast.admin, cast.workspace, name="Plain")
    people = [
        make_contact(
            cast.owner,
            cast.workspace,
            first_name="=HYPERLINK(1)",
            last_name="Lovelace",
            emails=["ada@example.com"],
            phones=["+442071234567"],
            company=acme.pk,
            job_title="-minus",
            birthday="1990-12-10",
            lead_source="website",
            lead_status="new",
            do_not_contact=True,
            tags=["vip", "Beta", "+plus"],
        ),
        make_contact(cast.owner, cast.workspace, first_name="", last_name="OnlyLast", company=gone.pk),
        make_contact(cast.admin, cast.workspace, first_name="Grace", last_name="", emails=["grace@example.com"]),
        make_contact(cast.owner, cast.workspace, first_name="Alan", last_name="Turing", tags=["doomed"]),
        make_contact(cast.owner, cast.workspace, first_name="No", last_name="Owner"),
    ]
    Contact.all_objects.filter(pk=people[4].pk).update(owner=None)
    Contact.all_objects.filter(pk=people[1].pk).update(first_name="", last_name="", primary_email="")
    Contact.all_objects.filter(pk=people[2].pk).update(primary_email="@grace", primary_phone="+15")
    cast.admin.full_name = ""
    cast.admin.save()
    with acting(cast.owner, cast.workspace) as actor:
        core_services.record_delete(actor=actor, record=Company.objects.get(pk=gone.pk))
        doomed = tag_services.resolve_tags(actor=actor, values=["doomed"], create_missing=False)[0]
        tag_services.tag_delete(actor=actor, tag=doomed)
    values = [
        {
            "note": "=cmd|' /C calc'!A0",
            "score": "12.50",
            "fee": {"amount": "-3.5", "currency": "EUR"},
            "met_on": "2024-02-29",
            "met_at": "2024-02-29T10:15:00+00:00",
            "vip_flag": True,
            "tier": "eq",
            "tiers": ["silver", "bronze", "gone"],
            "site": "https://x.example",
            "alt_phone": "+33123456789",
            "buddy": cast.owner.pk,
        },
        {"vip_flag": False, "tier": "retired", "score": True, "buddy": 999999, "alt_phone": "not a phone"},
        {"note": "", "tiers": [], "vip_flag": 1, "score": "abc", "fee": "12"},
        {},
        {"note": "@mention", "met_at": "garbage"},
    ]
    for person, custom in zip(people, values, strict=True):
        _set_custom(Contact, person.pk, custom)
    _set_custom(Company, acme.pk, values[0])
    _set_custom(Company, parent.pk, values[1])
    return people


def _both(actor, record_type, columns, queryset=None, size=2):
    spec = selectors.list_spec(record_type, actor)
    run = ExportRun(workspace_id=actor.workspace.pk, owner_id=actor.user.pk, record_type=record_type, columns=columns)
    spec, chosen, filtered = services._queryset(actor, run)
    queryset = queryset if queryset is not None else filtered
    plan = rows.plan_for(record_type, spec, chosen, services.MODELS[record_type], actor.workspace.default_region)
    assert plan is not None
    fast = [list(r) for chunk in rows.rows(queryset, plan, size) for r in chunk]
    slow = [services._cells(spec, chosen, record) for chunk in services._records(queryset) for record in chunk]
    return fast, slow


@pytest.mark.parametrize("record_type", ["contact", "company"])
def test_every_column_is_the_same_from_values_as_from_instances(cast, acting, data, record_type):
    with acting(cast.owner, cast.workspace) as actor:
        columns = list(selectors.list_spec(record_type, actor).columns)
        fast, slow = _both(actor, record_type, columns)
    assert len(fast) >= 3
    assert fast == slow


def test_the_cells_are_what_the_list_shows_and_formula_safe(cast, acting, data):
    ada, nobody, grace, alan, no_owner = data
    with acting(cast.owner, cast.workspace) as actor:
        columns = ["name", "company", "owner", "tags", "custom.tier", "custom.tiers", "custom.vip_flag", "custom.note"]
        fast, _ = _both(actor, "contact", columns)
    by_id = {row[0]: row[1:] for row in fast}
    assert by_id[ada.pk] == [
        "'=HYPERLINK(1) Lovelace",
        "'=Acme",
        cast.owner.display_name,
        "'+plus, Beta, vip",
        "'=Equals",
        "Silver, Bronze, gone",
        "Yes",
        "'=cmd|' /C calc'!A0",
    ]
    assert by_id[nobody.pk][:2] == [f"Contact {nobody.pk}", ""]  # no name, no e-mail; company in the bin
    assert by_id[grace.pk][0] == "Grace" and by_id[grace.pk][2] == cast.admin.email  # owner without a name
    assert by_id[alan.pk][3] == ""  # its only tag was deleted
    assert by_id[no_owner.pk][2] == ""
    assert by_id[nobody.pk][4:7] == ["retired", "", "No"]  # a choice no longer offered shows as stored


def test_options_of_the_values_path_do_not_change_the_output(cast, acting, data, monkeypatch):
    """Sparse ids (IN lists), tiny memos, and no database formatting: the same cells."""
    with acting(cast.owner, cast.workspace) as actor:
        columns = list(selectors.list_spec("contact", actor).columns)
        reference, _ = _both(actor, "contact", columns)
        monkeypatch.setattr(rows.Lookup, "LIMIT", 1)
        monkeypatch.setattr(rows.Lookup, "BATCH", 1)
        monkeypatch.setattr(rows, "CACHE_LIMIT", 1)
        monkeypatch.setattr(rows, "_fast_sql", lambda connection: False)
        again, _ = _both(actor, "contact", columns, size=1)
        every_other = [r[0] for r in reference][::2]
        sparse, slow = _both(
            actor, "contact", columns, queryset=Contact.objects.filter(pk__in=every_other).select_related("company")
        )
    assert again == reference
    assert sparse == slow == [r for r in reference if r[0] in every_other]


def test_id_lookup_uses_a_range_for_dense_ids_and_a_list_for_sparse_ones():
    assert rows.id_lookup("object_id", [3, 4, 6]) == {"object_id__gte": 3, "object_id__lte": 6}
    assert rows.id_lookup("object_id", [3, 400]) == {"object_id__in": [3, 400]}


def test_every_formula_start_is_one_character():
    """rows.cell checks the first character only."""
    assert all(len(start) == 1 for start in formats.FORMULA_START)
    assert [rows.cell(v) for v in ("=1", "\uff1d1", "a=1", None, 5)] == ["'=1", "'\uff1d1", "a=1", "", "5"]


def test_a_column_the_values_path_does_not_know_falls_back_to_instances(cast, acting, data, monkeypatch):
    with acting(cast.owner, cast.workspace) as actor:
        columns = ["name", "email", "tags"]
        run = services.export_request(actor=actor, record_type="contact", columns=columns)
        expected = _csv(run)
        monkeypatch.setitem(
            rows.BUILDERS, "contact", {k: v for k, v in rows.BUILDERS["contact"].items() if k != "email"}
        )
        spec = selectors.list_spec("contact", actor)
        assert rows.plan_for("contact", spec, columns, Contact, "") is None
        again = services.export_request(actor=actor, record_type="contact", columns=columns)
    assert _csv(again) == expected


def _csv(run):
    with run.file.open("rb") as handle:
        return handle.read().decode("utf-8")


def test_large_csv_export_is_written_in_chunks_with_header_and_bom(cast, acting, data, monkeypatch):
    monkeypatch.setattr(services, "VALUES_CHUNK", 2)
    with acting(cast.owner, cast.workspace) as actor:
        run = services.export_request(actor=actor, record_type="contact", columns=["name", "tags"])
    text = _csv(run)
    assert run.status == ExportStatus.DONE and run.row_count == 5
    assert text.startswith("\ufeffid,Name,Tags\r\n")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(parsed) == 6 and [int(r[0]) for r in parsed[1:]] == sorted(p.pk for p in data)


def test_an_export_with_no_rows_has_its_header(cast, acting, data):
    with acting(cast.owner, cast.workspace) as actor:
        run = services.export_request(
            actor=actor, record_type="company", filters=["name:eq:nothing like this"], columns=["name"]
        )
    assert run.row_count == 0 and _csv(run) == "\ufeffid,Name\r\n"


def _vcards_from_instances(queryset):
    """The vCards as the export wrote them before the values path (model instances, prefetched)."""
    out = []
    for c in queryset.order_by("pk").prefetch_related("emails", "phones", "addresses"):
        out.append(
            formats.vcard(
                {
                    "first_name": c.first_name,
                    "last_name": c.last_name,
                    "company": c.company.name if c.company_id else "",
                    "job_title": c.job_title,
                    "emails": [(e.email, e.label) for e in c.emails.all()],
                    "phones": [(p.number, p.label) for p in c.phones.all()],
                    "addresses": [
                        {k: getattr(a, k) for k in ("street", "city", "region", "postal_code", "country")}
                        for a in c.addresses.all()
                    ],
                    "birthday": c.birthday.isoformat() if c.birthday else "",
                    "uid": f"rapport-contact-{c.pk}",
                }
            )
        )
    return "".join(out)


def test_vcard_export_from_values_matches_the_instance_cards(cast, acting, data, monkeypatch):
    make_contact(
        cast.owner,
        cast.workspace,
        first_name="Many",
        last_name="Rows " + "long " * 18,
        emails=["b@example.com", "a@example.com"],
        phones=["+14155550101", "+14155550102"],
        addresses=[{"street": "1 Main St, Apt 2", "city": "Springfield", "country": "US"}, {"city": "Paris"}],
    )
    monkeypatch.setattr(services, "VALUES_CHUNK", 2)
    with acting(cast.owner, cast.workspace) as actor:
        run = services.export_request(actor=actor, record_type="contact", format="vcf")
        expected = _vcards_from_instances(Contact.objects.filter(workspace=cast.workspace).select_related("company"))
    assert _csv(run) == expected
    assert run.row_count == 6 and expected.count("BEGIN:VCARD") == 6


def test_excel_export_from_values_has_the_same_cells(cast, acting, data, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(services, "VALUES_CHUNK", 2)
    with acting(cast.owner, cast.workspace) as actor:
        columns = list(selectors.list_spec("contact", actor).columns)
        run = services.export_request(actor=actor, record_type="contact", format="xlsx", columns=columns)
        fast, _ = _both(actor, "contact", columns)
    with run.file.open("rb") as handle:
        sheet = load_workbook(handle, read_only=True).active
        values = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == fast


def _fold_reference(line):
    """The folding the vCard writer always did: character by character, at 75 octets."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return "\r\n".join(out) + "\r\n"


def test_vcard_lines_fold_at_75_octets_without_splitting_characters():
    import random

    rng = random.Random(7)
    for _ in range(500):
        line = "".join(rng.choice("abcé€😀 ,;") for _ in range(rng.randrange(0, 260)))
        folded = formats._fold(line)
        assert folded == _fold_reference(line)
        assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
