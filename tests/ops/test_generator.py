"""The data generator (seed_demo --contacts N): deterministic, consistent with the app's invariants."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress, PhoneNumber
from rapport.core.demo import DEMO_OWNER_EMAIL, ensure_demo_workspace, run_demo_loaders
from rapport.core.models import RecordHistory
from rapport.core.scoping import unscoped, workspace_scope
from rapport.ops.bulk import Table
from rapport.ops.generator import Generator, Plan
from rapport.sales.models import Deal, DealStageChange, Order, OrderLine
from rapport.search.models import SearchEntry

AS_OF = dt.date(2026, 6, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace():
    with unscoped():
        workspace, _ = ensure_demo_workspace(password="gen-pass-123")
        run_demo_loaders(workspace)
    return workspace


def _generate(workspace, contacts: int, seed: int = 7) -> dict[str, int]:
    plan = Plan(contacts=contacts, seed=seed, as_of=AS_OF, orders=contacts // 5, quotes=contacts // 5, chunk=70)
    return Generator(workspace, plan, log=lambda _m: None).run()


def test_the_same_seed_makes_the_same_people_deals_and_orders(workspace):
    def snapshot(since: int) -> list[tuple]:
        with workspace_scope(workspace.pk):
            people = Contact.objects.filter(pk__gt=since).order_by("pk")
            return list(people.values_list("first_name", "last_name", "job_title", "lifecycle_stage", "created_at"))

    start = Contact.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    counts = _generate(workspace, 150)
    middle = Contact.all_objects.order_by("-pk").values_list("pk", flat=True).first()
    again = _generate(workspace, 150)
    assert counts == again
    assert snapshot(start)[:150] == snapshot(middle)
    other = _generate(workspace, 150, seed=8)
    assert other != counts or snapshot(middle)[:150] != snapshot(middle)[150:]


def test_generated_records_keep_every_invariant_of_the_app(workspace, client):
    before = {
        m: m.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in (Contact, Company, Deal)
    }
    counts = _generate(workspace, 300)
    assert counts["contacts"] == 300 and counts["companies"] == 37 and counts["deals"] == 60
    with workspace_scope(workspace.pk):
        generated = Contact.objects.filter(pk__gt=before[Contact]).order_by("pk")
        assert generated.count() == 300
        assert set(generated.values_list("version", flat=True)) == {1}
        assert all(isinstance(c, dict) for c in generated.values_list("custom", flat=True))
        keys = Counter(k for c in generated.values_list("custom", flat=True) for k in c)
        assert set(keys) == {"preferred_language"} and 40 < keys["preferred_language"] < 150
        # the primary e-mail and phone are the primary rows of the child tables
        for contact in generated[:50]:
            assert EmailAddress.objects.get(contact=contact, is_primary=True).email == contact.primary_email
            phones = PhoneNumber.objects.filter(contact=contact, is_primary=True)
            assert [p.number for p in phones] == ([contact.primary_phone] if contact.primary_phone else [])
            assert re.fullmatch(r"\+\d{8,15}", contact.primary_phone or "+10000000")
        # several countries, a long tail of contacts per company
        per_company = sorted(
            Company.objects.annotate(n=Count("contacts")).filter(n__gt=0).values_list("n", flat=True), reverse=True
        )
        assert per_company[0] >= 3 * per_company[len(per_company) // 2]
        countries = set(generated.values_list("company__addresses__country", flat=True)) - {None}
        assert len(countries) >= 4
        assert CompanyDomain.objects.values("domain").annotate(n=Count("id")).filter(n__gt=1).count() == 0
        # every live record of the generated types has its search entry and its "create" History row
        for model in (Contact, Company, Deal):
            content_type = ContentType.objects.get_for_model(model)
            ids = set(model.objects.filter(pk__gt=before[model]).values_list("pk", flat=True))
            assert len(ids) == counts[model._meta.verbose_name_plural.lower()]
            assert ids == set(
                SearchEntry.objects.filter(content_type=content_type, object_id__in=ids).values_list(
                    "object_id", flat=True
                )
            )
            created = RecordHistory.objects.filter(content_type=content_type, action="create", object_id__in=ids)
            assert set(created.values_list("object_id", flat=True)) == ids
        # deals: closed ones end with a status change; their stage history starts at the first stage
        for deal in Deal.objects.exclude(status="open").filter(pk__gt=before[Deal])[:40]:
            last = DealStageChange.objects.filter(deal=deal).order_by("at", "pk").last()
            assert last.to_status == deal.status and deal.closed_at == last.at
        # orders: totals are the sum of their lines
        for order in Order.objects.annotate(lines_total=Sum("lines__total_amount"))[:30]:
            assert order.total == (order.lines_total or Decimal("0"))
            assert OrderLine.objects.filter(order=order).exists()
        sample = generated.first()
    # the app finds and shows them: search, the record page and the list
    from rapport.core.permissions import actor_for
    from rapport.search.query import search

    owner = workspace.memberships.get(user__email=DEMO_OWNER_EMAIL).user
    with workspace_scope(workspace.pk):
        hits = search(actor_for(owner, workspace), sample.primary_email, types=["contact"], limit=5)
    assert [h.id for h in hits][:1] == [sample.pk]
    client.force_login(owner)
    assert client.get(f"/contacts/{sample.pk}/").status_code == 200
    assert sample.last_name in client.get("/contacts/", {"q": sample.last_name}).content.decode()


def test_a_table_refuses_rows_missing_a_column_without_default():
    with pytest.raises(ValueError, match=r"Contact\.workspace_id has no default"):
        Table(Contact, ["first_name"])


def test_seed_demo_checks_its_options(workspace):
    with pytest.raises(CommandError, match=r"--contacts must be at least 1"):
        call_command("seed_demo", contacts=0)
    with pytest.raises(CommandError, match="not a date"):
        call_command("seed_demo", "--contacts", "5", "--as-of", "tomorrow")


def test_every_generated_value_of_a_choice_field_is_one_of_its_choices(workspace):
    """The bulk path writes with COPY, past field validation: an API edit of such a row would then fail."""
    from django.apps import apps

    _generate(workspace, 200)
    wrong = {}
    with unscoped():
        for model in apps.get_models():
            if not model.__module__.startswith("rapport."):
                continue
            for field in model._meta.concrete_fields:
                if not field.choices:
                    continue
                allowed = {str(value) for value, _ in field.flatchoices}
                found = {str(v) for v in model._base_manager.values_list(field.attname, flat=True).distinct()}
                bad = {v for v in found if v not in allowed and v not in ("", "None")}
                if bad:
                    wrong[f"{model._meta.label}.{field.name}"] = sorted(bad)
    assert not wrong, f"values outside the field's choices: {wrong}"


def test_more_activities_adds_timelines_over_the_existing_records_only(workspace):
    """``seed_demo --more-activities N``: N activities linked to records already there, nothing else new."""
    from rapport.activities.models import Activity, ActivityLink

    _generate(workspace, 120)
    with workspace_scope(workspace.pk):
        contacts, deals = (
            set(Contact.objects.values_list("pk", flat=True)),
            set(Deal.objects.values_list("pk", flat=True)),
        )
        companies = set(Company.objects.values_list("pk", flat=True))
        before = Activity.objects.count()
        top = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    call_command("seed_demo", "--more-activities", "300", "--chunk", "70", stdout=io.StringIO())
    with workspace_scope(workspace.pk):
        assert Activity.objects.count() == before + 300
        assert set(Contact.objects.values_list("pk", flat=True)) == contacts
        assert set(Deal.objects.values_list("pk", flat=True)) == deals
        links = ActivityLink.objects.filter(activity_id__gt=top)
        assert not Activity.objects.filter(pk__gt=top).exclude(pk__in=links.values("activity_id")).exists()
        targets = {"contacts.contact": contacts, "sales.deal": deals, "contacts.company": companies}
        for target_type, target_id in links.values_list("target_type", "target_id"):
            assert target_id in targets[target_type]
        made = RecordHistory.objects.filter(content_type=ContentType.objects.get_for_model(Activity), action="create")
        assert made.filter(object_id__gt=top).count() == 300
    with pytest.raises(CommandError, match="--more-activities must be at least 1"):
        call_command("seed_demo", "--more-activities", "0")


def test_history_rows_and_search_entries_match_what_the_app_writes(workspace):
    """The generator's fast paths (rows read from instance dicts, cached folding) write the app's rows."""
    from rapport.activities.models import Activity
    from rapport.core.history import _jsonable
    from rapport.sales.models import Quote
    from rapport.search.index import ENTRY_COLUMNS, _document, entry_values
    from rapport.search.providers import provider_for_model

    models = (Company, Contact, Deal, Quote, Order, Activity)
    before = {m: m.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in models}
    _generate(workspace, 400)
    checked = Counter()
    with workspace_scope(workspace.pk):
        for model in models:
            content_type = ContentType.objects.get_for_model(model)
            spec = provider_for_model(model)
            decimals = {f.attname for f in model._meta.concrete_fields if f.get_internal_type() == "DecimalField"}
            for record in model.all_objects.filter(pk__gt=before[model]).order_by("pk")[:40]:
                expected = {
                    name: [None, _jsonable(value)]
                    for name, value in record.tracked_values().items()
                    if value not in (None, "", {}, [])
                }
                row = RecordHistory.objects.get(content_type=content_type, object_id=record.pk, action="create")
                # a default like Decimal("0") reads back as "0.00": the same amount
                changes = {k: [None, Decimal(v[1])] if k in decimals else v for k, v in row.changes.items()}
                expected = {k: [None, Decimal(v[1])] if k in decimals else v for k, v in expected.items()}
                assert (row.object_repr, changes) == (str(record)[:200], expected), model
                if spec is not None and spec.describe is not None:
                    wanted = entry_values(record, _document(spec.describe(record)), content_type.pk, {})
                    entry = SearchEntry.objects.filter(content_type=content_type, object_id=record.pk)
                    columns = [c for c in ENTRY_COLUMNS if c != "updated_at"]  # the moment it was written
                    assert entry.values_list(*columns).get() == wanted[: len(columns)], model
                checked[model] += 1
    assert all(checked[m] > 0 for m in models), checked


def test_fast_fold_is_the_apps_fold():
    from rapport.ops.indexing import fast_fold
    from rapport.search.index import fold

    samples = ["", "  Ada  LOVELACE ", "José Müller"]
    samples += ["\uff26\uff55\uff4c\uff4c width", "Æsir Øre ß", "Ørsted A/S\tbody", "x\u0301y"]
    assert [fast_fold(s) for s in samples] == [fold(s) for s in samples]
    assert fast_fold(None) == fold(None) == ""
