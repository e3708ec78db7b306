import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from rapport.contacts import bulk, related_services, selectors
from rapport.contacts.models import ConsentEvent, Contact, Relationship
from rapport.core import history
from rapport.core.models import SecurityEvent
from rapport.core.scoping import workspace_scope
from tests.contacts.factories import make_company, make_contact


def test_consent_events_set_the_current_consent_with_time_and_source(cast, acting):
    contact = make_contact(cast.sales, cast.workspace)
    with acting(cast.sales, cast.workspace) as actor:
        related_services.contact_record_consent(actor=actor, contact=contact, status="opted_in", source="Web form")
        related_services.contact_record_consent(actor=actor, contact=contact, status="opted_out", source="Unsubscribe")
        fresh = Contact.objects.get(pk=contact.pk)
        assert (fresh.email_consent, fresh.email_consent_source) == ("opted_out", "Unsubscribe")
        assert ConsentEvent.objects.filter(contact=contact).count() == 2
        assert history.history_for(contact).filter(changes__has_key="email_consent").exists()


def test_consent_needs_a_source(cast, acting):
    contact = make_contact(cast.sales, cast.workspace)
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError) as info:
        related_services.contact_record_consent(actor=actor, contact=contact, status="opted_in", source=" ")
    assert "source" in info.value.message_dict


def test_relationships_read_both_ways_and_show_on_both_pages(cast, login, acting):
    ann = make_contact(cast.owner, cast.workspace, first_name="Ann", last_name="A")
    bob = make_contact(cast.owner, cast.workspace, first_name="Bob", last_name="B")
    with acting(cast.owner, cast.workspace) as actor:
        related_services.relationship_add(actor=actor, from_contact=ann, to_contact=bob, kind="reports_to")
        with pytest.raises(ValidationError):
            related_services.relationship_add(actor=actor, from_contact=ann, to_contact=bob, kind="reports_to")
        with pytest.raises(ValidationError):
            related_services.relationship_add(actor=actor, from_contact=ann, to_contact=ann, kind="other")
    client = login(cast.owner)
    assert "Reports to" in client.get(reverse("contacts:contact_detail", args=[ann.pk])).content.decode()
    assert "Manages" in client.get(reverse("contacts:contact_detail", args=[bob.pk])).content.decode()


def test_relationship_form_finds_the_other_contact_by_email(cast, login):
    ann = make_contact(cast.owner, cast.workspace, first_name="Ann")
    make_contact(cast.owner, cast.workspace, first_name="Bob", emails=["bob@example.com"])
    response = login(cast.owner).post(
        reverse("contacts:relationship_add", args=[ann.pk]),
        {"rel-kind": "assistant_of", "rel-other": "bob@example.com"},
    )
    assert response.status_code == 302
    with workspace_scope(cast.workspace.pk):
        assert Relationship.objects.filter(from_contact=ann, kind="assistant_of").exists()


def test_a_rep_cannot_relate_a_contact_they_cannot_see(cast, acting):
    mine = make_contact(cast.sales, cast.workspace)
    hidden = make_contact(cast.sales_west, cast.workspace)
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError):
        related_services.relationship_add(actor=actor, from_contact=mine, to_contact=hidden, kind="other")


def test_roles_at_companies(cast, acting):
    contact = make_contact(cast.owner, cast.workspace)
    company = make_company(cast.owner, cast.workspace, name="Buyer")
    with acting(cast.owner, cast.workspace) as actor:
        related_services.contact_role_add(actor=actor, contact=contact, company=company, role="decision_maker")
        detail = selectors.company_detail(actor, company.pk)
        assert [r.get_role_display() for r in detail.contact_roles.all()] == ["Decision maker"]


def test_bulk_actions_change_owner_lifecycle_and_tags(cast, acting):
    contacts = [make_contact(cast.owner, cast.workspace) for _ in range(3)]
    ids = [c.pk for c in contacts]
    with acting(cast.owner, cast.workspace) as actor:
        assert bulk.bulk_apply(actor=actor, model=Contact, ids=ids, action="owner", value=str(cast.sales.pk)) == 3
        assert bulk.bulk_apply(actor=actor, model=Contact, ids=ids, action="lifecycle_stage", value="customer") == 3
        assert bulk.bulk_apply(actor=actor, model=Contact, ids=ids, action="add_tags", value="Fair, VIP") == 3
        assert bulk.bulk_apply(actor=actor, model=Contact, ids=ids[:1], action="remove_tags", value="vip") == 1
        rows = Contact.objects.filter(pk__in=ids)
        assert {(c.owner_id, c.lifecycle_stage) for c in rows} == {(cast.sales.pk, "customer")}
        assert Contact.objects.get(pk=ids[0]).version == 5


def test_a_rep_cannot_bulk_change_records_they_cannot_change(cast, acting):
    mine = make_contact(cast.sales, cast.workspace)
    theirs = make_contact(cast.sales_west, cast.workspace)
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(PermissionDenied):
        bulk.bulk_apply(
            actor=actor, model=Contact, ids=[mine.pk, theirs.pk], action="lifecycle_stage", value="customer"
        )
    with workspace_scope(cast.workspace.pk):
        assert Contact.objects.get(pk=mine.pk).lifecycle_stage == "lead"


def test_read_only_members_cannot_bulk_change_even_their_own(cast, login):
    own = make_contact(cast.reader, cast.workspace, actor_user=cast.owner)
    response = login(cast.reader).post(
        reverse("contacts:contact_bulk"), {"ids": [own.pk], "action": "lifecycle_stage", "lifecycle_stage": "customer"}
    )
    assert response.status_code == 403


def test_export_neutralises_formulas_and_is_logged(cast, login):
    make_contact(cast.owner, cast.workspace, first_name="=HYPERLINK(1)", last_name="Evil", job_title="+cmd")
    response = login(cast.owner).get(reverse("contacts:contact_export"), {"columns": "name,job_title"})
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1) Evil" in body and "'+cmd" in body
    assert SecurityEvent.objects.filter(kind="export", workspace=cast.workspace).exists()


def test_sales_reps_may_not_export(cast, login):
    assert login(cast.sales).get(reverse("contacts:contact_export")).status_code == 403


def test_private_saved_views_are_seen_by_their_author_only_and_shared_ones_by_everyone(cast, acting, login):
    with acting(cast.sales, cast.workspace) as actor:
        related_services.saved_view_save(
            actor=actor,
            record_type="contact",
            name="Mine",
            columns=["name"],
            filters=["owner:eq:me"],
            logic="and",
            sort="name",
            is_shared=False,
        )
        shared = related_services.saved_view_save(
            actor=actor,
            record_type="contact",
            name="Team",
            columns=["name"],
            filters=[],
            logic="and",
            sort="-created_at",
            is_shared=True,
        )
    with acting(cast.sales_peer, cast.workspace) as peer:
        assert [v.name for v in selectors.saved_views_for(peer, "contact")] == ["Team"]
        with pytest.raises(PermissionDenied):
            related_services.saved_view_delete(actor=peer, view=shared)
    with acting(cast.sales, cast.workspace) as actor:
        assert [v.name for v in selectors.saved_views_for(actor, "contact")] == ["Mine", "Team"]
    body = login(cast.sales_peer).get(reverse("contacts:contact_list"), {"view": shared.pk}).content.decode()
    assert "Team" in body


def test_a_saved_view_with_a_bad_filter_is_refused(cast, acting):
    with acting(cast.sales, cast.workspace) as actor, pytest.raises(ValidationError):
        related_services.saved_view_save(
            actor=actor,
            record_type="contact",
            name="Bad",
            columns=["name"],
            filters=["nope:eq:1"],
            logic="and",
            sort="name",
            is_shared=False,
        )
