"""Workspace archives (manage.py workspace_export / workspace_import): nothing lost, nothing half-imported.

The round trip seeds the demo workspace with every app's demo data and the generator, adds what the
generator does not make (a user-typed custom field, an owner change, a company whose parent was
created after it, a merge, a record in the recycle bin, a saved view, an invitation), exports it,
imports it under a new slug and compares every row of every carried model field by field, each
reference followed through the id maps. Another test moves a workspace between two installations
in real processes: SQLite to PostgreSQL on a PostgreSQL run, SQLite to another SQLite file otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from rapport.accounts.models import Invitation
from rapport.contacts.models import Company, Contact, EmailAddress, SavedView
from rapport.core.demo import DEMO_OWNER_EMAIL, ensure_demo_workspace, run_demo_loaders
from rapport.core.history import history_for
from rapport.core.models import SecurityEvent, Workspace
from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, unscoped, workspace_scope
from rapport.core.services import record_delete
from rapport.duplicates.models import Merge
from rapport.ops.archive import (
    EXCLUDED,
    ArchiveError,
    archived_models,
    coverage_problems,
    generic_refs,
    workspace_fk,
    workspace_models,
)
from rapport.ops.archive_import import import_workspace
from rapport.ops.generator import Generator, Plan
from rapport.search.query import search
from rapport.tags.models import TaggedItem
from tests.contacts.factories import make_contact
from tests.ops.test_backup import PgTarget, SqliteTarget

pytestmark = pytest.mark.django_db
User = get_user_model()
EVENTS = ("workspace.exported", "workspace.imported")  # written by the round trip itself


# --- Coverage: a new workspace model is carried, or the test says why it cannot be -----------


def test_every_workspace_model_is_carried_or_excluded_with_a_reason():
    carried = {m._meta.label_lower for m in archived_models()}
    for model in workspace_models():
        label = model._meta.label_lower
        assert label in carried or EXCLUDED.get(label), f"{label} has a workspace but is not in the archive"
    assert {"contacts.contact", "sales.deal", "core.recordhistory", "core.membership", "tags.taggeditem"} <= carried
    assert not carried & set(EXCLUDED)
    assert coverage_problems() == [], "archive.py cannot remap these references"


def test_a_reference_the_archive_cannot_remap_is_reported():
    with isolate_apps("tests.sampleapp"):

        class Gadget(models.Model):  # noqa: DJ008 - never saved
            workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
            content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
            widget_id = models.BigIntegerField()
            group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
            tagged_ids = models.JSONField(default=list)

            class Meta:
                app_label = "sampleapp"

        problems = coverage_problems([Gadget])
    assert len(problems) == 4
    assert any("sampleapp.gadget.widget_id" in p for p in problems)
    assert any("sampleapp.gadget.group points at auth.group" in p for p in problems)
    assert any("sampleapp.gadget.content_type" in p for p in problems)
    assert any("sampleapp.gadget.tagged_ids" in p for p in problems)


# --- The seeded workspace ------------------------------------------------------------------


def _seed() -> Workspace:
    from rapport.customfields import services as cf_services
    from rapport.duplicates import services as dup_services

    with unscoped():
        workspace, _ = ensure_demo_workspace(password="archive-pass-1")
        run_demo_loaders(workspace)
    Generator(workspace, Plan(contacts=40, seed=3, as_of=dt.date(2026, 6, 1), chunk=50), log=lambda _m: None).run()
    owner = User.objects.get(email=DEMO_OWNER_EMAIL)
    sam = User.objects.get(email="sam@demo.rapport.example")
    with workspace_scope(workspace.pk), audit_context(actor=owner, source="web"):
        actor = actor_for(owner, workspace)
        cf_services.definition_create(
            actor=actor,
            record_type="contacts.contact",
            data={"key": "account_manager", "label": "Account manager", "field_type": "user"},
        )
        first, second = Contact.objects.order_by("pk")[:2]
        first.custom = {**first.custom, "account_manager": sam.pk}
        first.owner = sam
        first.save()
        twin = make_contact(owner, workspace, first_name=first.first_name, last_name="Twin", emails=["twin@ex.test"])
        dup_services.merge(actor=actor, record_type="contact", ids=[first.pk, twin.pk], survivor_id=first.pk)
        older, newer = Company.objects.order_by("pk")[0], Company.objects.order_by("-pk")[0]
        older.parent = newer  # points forward: filled in after the inserts
        older.save()
        record_delete(actor=actor, record=Company.objects.order_by("pk")[1])
        record_delete(actor=actor, record=second)
        SavedView.objects.create(workspace=workspace, record_type="contact", name="Mine", created_by=owner)
        _one_of_each(workspace, owner, sam, first, Company.objects.order_by("pk")[2])
    Invitation.objects.create(
        workspace=workspace,
        email="new@ex.test",
        token_hash="a" * 64,
        invited_by=owner,
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    return workspace


def _one_of_each(workspace, owner, sam, contact, company) -> None:
    """A row in the tables the demo data and the generator leave empty."""
    from rapport.activities.models import (
        Activity,
        Comment,
        EmailMessage,
        EmailTemplate,
        MeetingAttendee,
        NotificationPreference,
    )
    from rapport.contacts.models import ContactCompanyHistory
    from rapport.imports.models import ExternalId
    from rapport.sales.models import AssignmentRule
    from tests.sampleapp.models import Widget

    meeting = Activity.objects.filter(kind="meeting").first() or Activity.objects.first()
    EmailTemplate(name="Welcome", subject="Hello {{ contact.first_name }}", body="Welcome aboard").save()
    Comment(activity=meeting, body="<p>Noted</p>").save()
    AssignmentRule(name="Round robin", assign_to=sam).save()
    Widget(name="Sprocket", owner=sam, quantity=3).save()
    NotificationPreference.objects.create(workspace=workspace, user=sam, kind="mentioned", channel="email")
    MeetingAttendee.objects.create(workspace=workspace, activity=meeting, contact=contact)
    EmailMessage.objects.create(
        workspace=workspace,
        activity=Activity.objects.create(workspace=workspace, kind="email", subject="Quote", owner=owner),
        contact=contact,
        to_address="ada@ex.test",
        subject="Quote",
        text_body="Here it is",
    )
    ContactCompanyHistory.objects.create(workspace=workspace, contact=contact, company=company, title="Intern")
    ExternalId.objects.create(
        workspace=workspace,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=contact.pk,
        value="crm-1",
    )


def _rows(model: type[models.Model], workspace: Workspace) -> list[dict]:
    with unscoped():
        rows = model._base_manager.filter(**{workspace_fk(model).name: workspace}).order_by("pk")
        if model is SecurityEvent:
            rows = rows.exclude(kind__in=EVENTS)
        return list(rows.values(*[f.attname for f in model._meta.concrete_fields]))


def _mapped(maps: dict, label: str, value):
    if value is None:
        return None
    if label in (User._meta.label_lower, "contenttypes.contenttype"):
        return value  # the same installation: people are matched by e-mail, so the same ids
    return maps[label].get(int(value))


def _expected_json(maps: dict, model, name: str, value):
    """What an id-carrying JSON value must become (the oracle for the JSON the importer rewrites)."""
    if not model or value is None:
        return value
    try:
        found = model._meta.get_field(name)
    except Exception:
        return value
    if found.is_relation and found.concrete and isinstance(value, int):
        return _mapped(maps, found.related_model._meta.label_lower, value)
    return value


def _moved_value(maps: dict, label: str, name: str, value, merged):
    model = apps.get_model(label)
    if name in {r.id_field for r in generic_refs(model)}:
        return _mapped(maps, merged._meta.label_lower, value)
    return _expected_json(maps, model, name, value)


def _assert_same(model, src: dict, dst: dict, maps: dict, new_ws: Workspace) -> None:
    label = model._meta.label_lower
    refs = {r.id_field: r for r in generic_refs(model)}
    target = None
    for ref in refs.values():
        kind = src[ref.type_field] if ref.by_label else ContentType.objects.get_for_id(src[f"{ref.type_field}_id"])
        target = apps.get_model(kind) if ref.by_label else kind.model_class()
    where = f"{label} {src['id']}"
    for f in model._meta.concrete_fields:
        old, new = src[f.attname], dst[f.attname]
        if f.primary_key or (label == "accounts.invitation" and f.name == "token_hash"):
            continue
        if f.is_relation and f.related_model is Workspace:
            assert new == new_ws.pk, where
        elif f.is_relation and f.related_model in (User, ContentType):
            assert new == old, f"{where}.{f.name}"
        elif f.is_relation:
            assert new == _mapped(maps, f.related_model._meta.label_lower, old), f"{where}.{f.name}"
        elif f.name in refs and refs[f.name].many:
            assert new == [_mapped(maps, target._meta.label_lower, v) for v in old], f"{where}.{f.name}"
        elif f.name in refs:
            assert new == (_mapped(maps, target._meta.label_lower, old) or 0), f"{where}.{f.name}"
        elif isinstance(f, models.FileField):
            assert bool(new) == bool(old) and (
                not old or default_storage.open(new).read() == default_storage.open(old).read()
            )
        elif label == "core.recordhistory" and f.name == "changes":
            assert new == {k: [_expected_json(maps, target, k, v) for v in pair] for k, pair in old.items()}, where
        elif label == "duplicates.merge" and f.name == "moved":
            expected = [
                [
                    lbl,
                    _mapped(maps, lbl, row),
                    name,
                    _moved_value(maps, lbl, name, value, target),
                ]
                for lbl, row, name, value in old
            ]
            assert new == expected, where
        elif label == "duplicates.merge" and f.name == "survivor_before":
            assert new == {k: _expected_json(maps, target, k, v) for k, v in old.items()}, where
        elif label == "imports.importitem" and f.name == "before":
            fields = {k: _expected_json(maps, target, k, v) for k, v in old.get("fields", {}).items()}
            assert new == (old | {"fields": fields} if "fields" in old else old), where
        elif label == "exports.exportrun" and f.name == "ids":
            assert new == [_mapped(maps, f"contacts.{src['record_type']}", v) for v in old], where
        else:
            assert new == old, f"{where}.{f.name}: {old!r} became {new!r}"


@pytest.fixture
def seeded():
    before = set(default_storage.listdir("exports")[1]) if default_storage.exists("exports") else set()
    yield _seed()
    for name in set(default_storage.listdir("exports")[1]) - before:  # the demo's export files and their copies
        default_storage.delete(f"exports/{name}")


def test_round_trip_into_a_new_slug_keeps_every_row_field_and_reference(seeded, tmp_path):
    file = tmp_path / "demo.zip"
    out = _call("workspace_export", "demo", str(file))
    assert "Exported workspace “demo”" in out
    result = import_workspace(file, slug="demo-copy")
    copy = result.workspace
    assert copy.slug == "demo-copy" and copy.name == seeded.name and copy.default_currency == seeded.default_currency
    assert result.users_created == [] and len(result.users_matched) == 8
    for model in archived_models():
        source, imported = _rows(model, seeded), _rows(model, copy)
        label = model._meta.label_lower
        assert len(imported) == len(source), f"{label}: {len(source)} rows exported, {len(imported)} imported"
        by_pk = {row["id"]: row for row in imported}
        for row in source:
            _assert_same(model, row, by_pk[result.maps[label][row["id"]]], result.maps, copy)
    empty = [m._meta.label_lower for m in archived_models() if not _rows(m, seeded)]
    assert empty == [], f"the seed leaves these tables empty, so the round trip proves nothing for them: {empty}"
    assert SecurityEvent.objects.filter(workspace=copy, kind="workspace.imported").exists()
    assert SecurityEvent.objects.filter(workspace=seeded, kind="workspace.exported").exists()


def test_imported_records_keep_history_tags_search_and_an_undoable_merge(seeded, tmp_path):
    from rapport.duplicates import services as dup_services

    _call("workspace_export", "demo", str(tmp_path / "a.zip"))
    result = import_workspace(tmp_path / "a.zip", slug="moved")
    owner = User.objects.get(email=DEMO_OWNER_EMAIL)
    with workspace_scope(seeded.pk):
        original = Contact.objects.exclude(primary_email="").order_by("-pk").first()
        old_history = [(h.action, h.actor_id, h.source, h.at) for h in history_for(original)]
        deleted_companies = Company.all_objects.exclude(deleted_at=None).count()
        old_tags = sorted(
            t.tag.name for t in TaggedItem.objects.filter(object_id=original.pk, content_type__model="contact")
        )
    copy_pk = result.maps["contacts.contact"][original.pk]
    with workspace_scope(result.workspace.pk), audit_context(actor=owner, source="web"):
        actor = actor_for(owner, result.workspace)
        copy = Contact.objects.get(pk=copy_pk)
        assert (copy.full_name, copy.primary_email) == (original.full_name, original.primary_email)
        assert [(h.action, h.actor_id, h.source, h.at) for h in history_for(copy)] == old_history
        tags = TaggedItem.objects.filter(object_id=copy.pk, content_type__model="contact")
        assert sorted(t.tag.name for t in tags) == old_tags
        assert [h.id for h in search(actor, original.primary_email, types=["contact"], limit=3)] == [copy.pk]
        # the merge ledger points at the copies: undoing it in the new workspace brings the twin back
        merge = Merge.objects.get()
        twin = Contact.all_objects.get(pk=merge.loser_ids[0], last_name="Twin")
        assert twin.deleted_at is not None and not EmailAddress.objects.filter(contact=twin).exists()
        dup_services.merge_undo(actor=actor, merge_record=merge)
        twin.refresh_from_db()
        assert twin.deleted_at is None
        assert list(EmailAddress.objects.filter(contact=twin).values_list("email", flat=True)) == ["twin@ex.test"]
        survivor = Contact.objects.get(pk=merge.survivor_id)
        assert survivor.custom["account_manager"] == User.objects.get(email="sam@demo.rapport.example").pk
        first_company = Company.all_objects.order_by("pk").first()  # its parent was created after it
        assert first_company.parent_id == max(Company.all_objects.values_list("pk", flat=True))
        assert Company.all_objects.exclude(deleted_at=None).count() == deleted_companies
    with workspace_scope(seeded.pk):  # the source is untouched, and search there finds only its own record
        assert [h.id for h in search(actor_for(owner, seeded), original.primary_email, types=["contact"])] == [
            original.pk
        ]


# --- Refusals: nothing is half-imported ------------------------------------------------------


def _call(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small_archive(cast, tmp_path) -> Path:
    make_contact(cast.owner, cast.workspace, first_name="Ada", last_name="Lovelace", emails=["ada@ex.test"])
    file = tmp_path / "acme.zip"
    _call("workspace_export", "acme", str(file))
    return file


def _rewrite(source: Path, target: Path, member: str, change, *, fix_checksum: bool) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for info in old.infolist():
            data = old.read(info)
            if info.filename == member:
                data = change(data)
                if fix_checksum:
                    label = member.removeprefix("data/").removesuffix(".jsonl")
                    manifest["models"][label]["sha256"] = hashlib.sha256(data).hexdigest()
            if info.filename != "manifest.json":
                new.writestr(info.filename, data)
        text = json.dumps(manifest).encode()
        new.writestr("manifest.json", change(text) if member == "manifest.json" else text)
    return target


def _counts() -> dict[str, int]:
    with unscoped():
        return {m._meta.label_lower: m._base_manager.count() for m in archived_models()}


def test_import_refuses_a_slug_that_exists_and_writes_nothing(small_archive):
    before = _counts()
    with pytest.raises(CommandError, match="Nothing was imported: A workspace with the slug “acme” exists already"):
        _call("workspace_import", str(small_archive))
    assert _counts() == before
    out = _call("workspace_import", str(small_archive), "--slug", "acme-2", "--name", "Acme again")
    assert "Imported workspace “acme-2”" in out and "matched by e-mail" in out
    assert Workspace.objects.get(slug="acme-2").name == "Acme again"


def test_a_damaged_file_is_refused_by_its_checksum(small_archive, tmp_path):
    damaged = _rewrite(
        small_archive,
        tmp_path / "x.zip",
        "data/contacts.contact.jsonl",
        lambda d: d.replace(b"Ada", b"Eve"),
        fix_checksum=False,
    )
    with pytest.raises(ArchiveError, match=r"data/contacts.contact.jsonl is damaged: its SHA-256"):
        import_workspace(damaged, slug="broken")
    assert not Workspace.objects.filter(slug="broken").exists()


def test_a_row_pointing_nowhere_rolls_back_the_whole_import(small_archive, tmp_path):
    def orphan(data: bytes) -> bytes:
        row = json.loads(data.splitlines()[0])
        return json.dumps(row | {"contact_id": 987654}).encode() + b"\n"

    bad = _rewrite(small_archive, tmp_path / "bad.zip", "data/contacts.emailaddress.jsonl", orphan, fix_checksum=True)
    before = _counts()
    with pytest.raises(
        ArchiveError, match=r"contacts.emailaddress row 1 .*contact_id points at contacts.contact 987654"
    ):
        import_workspace(bad, slug="half")
    assert not Workspace.objects.filter(slug="half").exists()
    assert _counts() == before  # the contacts inserted before the bad row were rolled back


@pytest.mark.parametrize(
    ("member", "change", "message"),
    [
        ("manifest.json", lambda d: d.replace(b'"format_version": 1', b'"format_version": 99'), "format version 99"),
        (
            "manifest.json",
            lambda d: d.replace(b"rapport-workspace-archive", b"other"),
            "not a Rapport workspace archive",
        ),
        ("manifest.json", lambda d: d.replace(b'"contacts.contact"', b'"contacts.gizmo"'), "“contacts.gizmo”, a model"),
        ("data/contacts.contact.jsonl", lambda d: d.replace(b'"first_name"', b'"nick"'), "does not know: nick"),
    ],
)
def test_a_wrong_archive_is_refused_with_a_message_naming_the_problem(small_archive, tmp_path, member, change, message):
    bad = _rewrite(small_archive, tmp_path / "w.zip", member, change, fix_checksum=member != "manifest.json")
    with pytest.raises(ArchiveError, match=message):
        import_workspace(bad, slug="wrong")
    assert not Workspace.objects.filter(slug="wrong").exists()


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    (tmp_path / "notes.zip").write_text("hello")
    with pytest.raises(CommandError, match="is not a zip file"):
        _call("workspace_import", str(tmp_path / "notes.zip"), "--slug", "x")
    with pytest.raises(CommandError, match="There is no workspace with the slug “nope”"):
        _call("workspace_export", "nope", str(tmp_path / "n.zip"))


# --- Between installations, in real processes ------------------------------------------------

DIGEST = """
import hashlib, json
from django.contrib.auth import authenticate
from rapport.core.models import Workspace, SecurityEvent
from rapport.core.scoping import unscoped, workspace_scope
from rapport.ops.archive import archived_models, generic_refs, workspace_fk
from rapport.contacts.models import Contact
from rapport.core.permissions import actor_for
from rapport.search.query import search
from rapport.core.history import history_for
ws = Workspace.objects.get(slug=SLUG)
out = {}
with unscoped():
    for model in archived_models():
        ids = {r.id_field for r in generic_refs(model)} | {"token_hash", "changes", "moved", "survivor_before", "ids"}
        fields = model._meta.concrete_fields
        names = [f.attname for f in fields if not f.is_relation and not f.primary_key and f.name not in ids]
        rows = model._base_manager.filter(**{workspace_fk(model).name: ws})
        if model is SecurityEvent:
            rows = rows.exclude(kind__in=["workspace.exported", "workspace.imported"])
        norm = lambda v: bytes(v).hex() if isinstance(v, (bytes, memoryview)) else v
        dump = lambda row: json.dumps([norm(v) for v in row], sort_keys=True, default=str)
        lines = sorted(dump(row) for row in rows.values_list(*names))
        out[model._meta.label_lower] = [len(lines), hashlib.sha256("".join(lines).encode()).hexdigest()]
owner = authenticate(email="owner@demo.rapport.example", password="archive-pass-2")
with workspace_scope(ws.pk):
    c = Contact.objects.exclude(primary_email="").order_by("-created_at", "last_name").first()
    hits = search(actor_for(owner, ws), c.primary_email, types=["contact"], limit=3)
    out["probe"] = [c.full_name, [h.action for h in history_for(c)], [h.id for h in hits] == [c.pk]]
print(json.dumps(out))
"""


@pytest.fixture
def destination(tmp_path):
    if connection.vendor == "postgresql":
        base = connection.settings_dict["NAME"].removeprefix("test_")
        target = PgTarget(connection.settings_dict, f"test_{base}_archive")
        yield target
        target.admin(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
    else:
        yield SqliteTarget(tmp_path / "destination.sqlite3")


def test_a_workspace_moves_from_sqlite_to_another_installation(tmp_path, destination):
    source = SqliteTarget(tmp_path / "source.sqlite3")
    source.env["RAPPORT_VAR_DIR"] = str(tmp_path / "source-var")
    destination.env["RAPPORT_VAR_DIR"] = str(tmp_path / "destination-var")
    source.manage("seed_demo", "--contacts", "80", "--as-of", "2026-06-01", "--password", "archive-pass-2")
    file = tmp_path / "demo.zip"
    assert "Exported workspace “demo”" in source.manage("workspace_export", "demo", str(file))
    out = destination.manage("workspace_import", str(file))
    assert "Imported workspace “demo”" in out and "8 created" in out
    code = DIGEST.replace("SLUG", '"demo"')
    before = json.loads(source.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1])
    after = json.loads(destination.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1])
    assert before["probe"][2] and before["probe"][1][0] == "create"
    differing = sorted(label for label in before if before[label] != after.get(label))
    assert not differing, f"differ after the move: {[(d, before[d], after.get(d)) for d in differing]}"
    assert before["contacts.contact"][0] > 80 and before["core.recordhistory"][0] > 80
