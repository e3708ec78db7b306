"""Duplicate detection, merging with every related row moved (found through _meta), and undo."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from rapport.contacts.models import Company, Contact, EmailAddress
from rapport.core.models import RecordHistory
from rapport.duplicates import services
from rapport.tags.models import TaggedItem
from tests.contacts.factories import make_company, make_contact


def test_scan_finds_contacts_by_email_phone_and_name_among_visible_records(cast, acting):
    a = make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"])
    b = make_contact(cast.owner, cast.workspace, first_name="A.", last_name="King", emails=["ADA@example.com"])
    c = make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="lovelace", phones=["+14155550100"])
    d = make_contact(cast.owner, cast.workspace, first_name="Other", last_name="Person", phones=["+1 415 555 0100"])
    make_contact(
        cast.outsider, cast.other_workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"]
    )
    with acting(cast.owner, cast.workspace) as actor:
        groups = {(g.reason, tuple(sorted(r.pk for r in g.records))) for g in services.scan(actor, "contact")}
    assert ("Same e-mail", tuple(sorted([a.pk, b.pk]))) in groups
    assert ("Same phone", tuple(sorted([c.pk, d.pk]))) in groups
    assert ("Same name", tuple(sorted([a.pk, c.pk]))) in groups


def test_scan_finds_companies_by_similar_name(cast, acting):
    a = make_company(cast.owner, cast.workspace, name="Acme Inc.")
    b = make_company(cast.owner, cast.workspace, name="ACME")
    make_company(cast.owner, cast.workspace, name="Globex")
    with acting(cast.owner, cast.workspace) as actor:
        groups = services.scan(actor, "company")
    assert [sorted(r.pk for r in g.records) for g in groups] == [sorted([a.pk, b.pk])]


def test_merge_moves_every_related_row_and_undo_restores_everything(cast, acting):
    company = make_company(cast.owner, cast.workspace, name="Analytical")
    keep = make_contact(
        cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"], tags=["vip"]
    )
    lose = make_contact(
        cast.owner,
        cast.workspace,
        first_name="Ada",
        last_name="King",
        job_title="Countess",
        company=company.pk,
        emails=["ada@home.example"],
        tags=["vip", "poet"],
    )
    ct = ContentType.objects.get_for_model(Contact)
    with acting(cast.owner, cast.workspace) as actor:
        lose_history = RecordHistory.objects.filter(content_type=ct, object_id=lose.pk).count()
        merge = services.merge(
            actor=actor,
            record_type="contact",
            ids=[keep.pk, lose.pk],
            survivor_id=keep.pk,
            choices={"last_name": lose.pk},
        )
        keep.refresh_from_db()
        assert (keep.first_name, keep.last_name, keep.job_title, keep.company_id) == (
            "Ada",
            "King",
            "Countess",
            company.pk,
        )
        assert set(EmailAddress.objects.filter(contact=keep).values_list("email", flat=True)) == {
            "ada@example.com",
            "ada@home.example",
        }
        assert EmailAddress.objects.filter(contact=keep, is_primary=True).count() == 1
        assert {t.tag.name for t in TaggedItem.objects.filter(content_type=ct, object_id=keep.pk)} == {"vip", "poet"}
        assert RecordHistory.objects.filter(content_type=ct, object_id=keep.pk).count() >= lose_history
        assert not Contact.objects.filter(pk=lose.pk).exists()
        assert Contact.all_objects.get(pk=lose.pk).deleted_at is not None
        merge.refresh_from_db()
        services.merge_undo(actor=actor, merge_record=merge)
        keep.refresh_from_db()
        lose.refresh_from_db()
        assert (keep.last_name, keep.job_title, keep.company_id) == ("Lovelace", "", None)
        assert lose.deleted_at is None
        assert list(EmailAddress.objects.filter(contact=lose).values_list("email", flat=True)) == ["ada@home.example"]
        assert {t.tag.name for t in TaggedItem.objects.filter(content_type=ct, object_id=lose.pk)} == {"vip", "poet"}
        with pytest.raises(ValidationError):
            services.merge_undo(actor=actor, merge_record=merge)


def test_merge_refuses_records_the_actor_cannot_see_or_change(cast, acting):
    mine = make_contact(cast.sales, cast.workspace)
    hidden = make_contact(cast.sales_west, cast.workspace)
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError):
        services.merge(actor=actor, record_type="contact", ids=[mine.pk, hidden.pk], survivor_id=mine.pk)
    with acting(cast.reader, cast.workspace) as actor:
        own = make_contact(cast.reader, cast.workspace, actor_user=cast.owner)
        own2 = make_contact(cast.reader, cast.workspace, actor_user=cast.owner)
        with pytest.raises(PermissionDenied):
            services.merge(actor=actor, record_type="contact", ids=[own.pk, own2.pk], survivor_id=own.pk)


def test_company_merge_moves_contacts(cast, acting):
    a = make_company(cast.owner, cast.workspace, name="Acme")
    b = make_company(cast.owner, cast.workspace, name="Acme Ltd")
    person = make_contact(cast.owner, cast.workspace, company=b.pk)
    with acting(cast.owner, cast.workspace) as actor:
        services.merge(actor=actor, record_type="company", ids=[a.pk, b.pk], survivor_id=a.pk)
    person.refresh_from_db()
    assert person.company_id == a.pk
    assert Company.objects.count() == 1


def test_lookalike_fragment_links_existing_records(cast, login):
    existing = make_contact(
        cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"]
    )
    client = login(cast.owner)
    response = client.get("/duplicates/check/?type=contact&email=ADA@example.com")
    assert response.status_code == 200
    assert f"/contacts/{existing.pk}/".encode() in response.content
    assert b"Ada" not in client.get("/duplicates/check/?type=contact&email=nobody@example.com").content


def test_recycle_bin_offers_undo_merge_for_a_merged_record_and_refuses_a_plain_restore(cast, acting, login):
    keep = make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"])
    gone = make_contact(cast.owner, cast.workspace, first_name="Augusta", last_name="King", emails=["aug@example.com"])
    deleted = make_contact(cast.owner, cast.workspace, first_name="Plain", last_name="Deleted")
    with acting(cast.owner, cast.workspace) as actor:
        merge = services.merge(actor=actor, record_type="contact", ids=[keep.pk, gone.pk], survivor_id=keep.pk)
        from rapport.core import services as core_services

        core_services.record_delete(actor=actor, record=deleted)
    client = login(cast.owner)
    page = client.get("/recycle-bin/").content.decode()
    assert "Merged into Ada Lovelace" in page
    assert f"/duplicates/merges/{merge.pk}/undo/" in page
    assert page.count(">Restore</button>") == 1  # only the plainly deleted record

    ct = ContentType.objects.get_for_model(Contact)
    response = client.post(f"/recycle-bin/{ct.pk}/{gone.pk}/restore/", follow=True)
    assert "Undo merge" in response.content.decode()  # the refusal names the way back
    assert Contact.all_objects.get(pk=gone.pk).deleted_at is not None
    assert EmailAddress.objects.filter(contact=keep, email="aug@example.com").exists()

    response = client.post(f"/duplicates/merges/{merge.pk}/undo/", {"next": "/recycle-bin/"})
    assert response.status_code == 302 and response["Location"] == "/recycle-bin/"
    assert Contact.objects.filter(pk=gone.pk).exists()
    assert EmailAddress.objects.filter(contact_id=gone.pk, email="aug@example.com").exists()
    assert "Merged into" not in client.get("/recycle-bin/").content.decode()


def test_merge_moves_timeline_entries_to_the_survivor_and_undo_moves_them_back(cast, acting, login):
    from rapport.activities.models import ActivityLink
    from tests.activities.factories import make_activity

    keep = make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace")
    gone = make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace")
    call = make_activity(cast.owner, cast.workspace, kind="call", subject="Called about the engine", target=gone)
    with acting(cast.owner, cast.workspace) as actor:
        merge = services.merge(actor=actor, record_type="contact", ids=[keep.pk, gone.pk], survivor_id=keep.pk)
    link = ActivityLink.objects.get(activity=call, target_type="contacts.contact")
    assert link.target_id == keep.pk
    assert "Called about the engine" in login(cast.owner).get(f"/contacts/{keep.pk}/").content.decode()
    with acting(cast.owner, cast.workspace) as actor:
        services.merge_undo(actor=actor, merge_record=merge)
    assert ActivityLink.objects.get(pk=link.pk).target_id == gone.pk
