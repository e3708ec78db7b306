"""manage.py backup / restore round trip on the engine under test, in real processes on a real database.

SQLite: a database file (the test database lives in memory). PostgreSQL: a fresh database next to
the test database (pg_dump / pg_restore need one they can reach), dropped at the end.
The data: the demo workspace plus generated records (seed_demo --contacts), with History and
search entries. After the backup the data is changed (a contact renamed and its History and search rows deleted,
records added);
the restore must bring back equal row counts and equal content in every table, the History of
a record, and a search that finds it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.core.test_worker_processes import ROOT, PostgresTarget, SqliteFileTarget, Target

SLOW = 600  # migrate and seed_demo on a busy machine take longer than the worker tests' 60 s


def _manage(self, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=self.env,
        capture_output=True,
        text=True,
        timeout=SLOW,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class SqliteTarget(SqliteFileTarget):
    manage = _manage


class PgTarget(PostgresTarget):
    manage = _manage


FINGERPRINT = "import json; from rapport.ops.backup import fingerprint; print(json.dumps(fingerprint()))"
PROBE = """
import json
from django.contrib.auth import get_user_model
from rapport.contacts.models import Contact
from rapport.core.demo import DEMO_OWNER_EMAIL, DEMO_SLUG
from rapport.core.history import history_for
from rapport.core.models import Workspace
from rapport.core.permissions import actor_for
from rapport.core.scoping import workspace_scope
from rapport.search.query import search
workspace = Workspace.objects.get(slug=DEMO_SLUG)
owner = get_user_model().objects.get(email=DEMO_OWNER_EMAIL)
with workspace_scope(workspace.pk):
    contact = Contact.objects.order_by("-pk").first()
    hits = search(actor_for(owner, workspace), contact.primary_email, types=["contact"], limit=3)
    print(json.dumps({"pk": contact.pk, "name": contact.full_name, "history": [h.action for h in history_for(contact)],
                      "found": [h.id for h in hits]}))
"""
MUTATE = """
from rapport.contacts.models import Contact
from django.db import connection
from rapport.core.scoping import unscoped
from rapport.search.models import SearchEntry
with unscoped():
    last = Contact.all_objects.order_by("-pk").first()
    Contact.all_objects.filter(pk=last.pk).update(first_name="Changed")
    with connection.cursor() as cursor:  # History is append-only for the app, not for this test
        cursor.execute("DELETE FROM core_recordhistory WHERE object_id = %s", [last.pk])
    first = list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True)[:5])
    SearchEntry.objects.filter(pk__in=first).delete()
"""


@pytest.fixture
def target(tmp_path):
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        base = settings["NAME"].removeprefix("test_")
        pg = PgTarget(settings, f"test_{base}_backup")
        yield pg
        pg.admin(f'DROP DATABASE IF EXISTS "{pg.name}" WITH (FORCE)')
    else:
        yield SqliteTarget(tmp_path / "rapport.sqlite3")


def _shell(target: Target, code: str):
    return json.loads(target.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1])


def test_backup_then_restore_brings_back_every_row_the_history_and_search(target, tmp_path):
    target.manage("seed_demo", "--contacts", "120", "--as-of", "2026-06-01")
    before = _shell(target, FINGERPRINT)
    probe = _shell(target, PROBE)
    assert probe["history"] == ["create"] and probe["found"] == [probe["pk"]]
    assert before["core_recordhistory"][0] > 120 and before["search_searchentry"][0] > 120

    file = tmp_path / ("backup.sqlite3" if isinstance(target, SqliteFileTarget) else "backup.dump")
    out = target.manage("backup", str(file))
    assert "Backed up" in out and file.exists() and Path(f"{file}.json").exists()
    manifest = json.loads(Path(f"{file}.json").read_text())
    assert manifest["row_counts"]["contacts_contact"] == before["contacts_contact"][0]

    target.manage("shell", "--no-imports", "-c", MUTATE)
    target.manage("seed_demo", "--contacts", "10", "--seed", "9")
    changed = _shell(target, FINGERPRINT)
    assert changed != before

    out = target.manage("restore", str(file), "--yes")
    assert "row counts match the manifest" in out
    after = _shell(target, FINGERPRINT)
    differing = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
    assert not differing, f"tables differ after the restore: {differing}"
    assert _shell(target, PROBE) == probe


def test_restore_refuses_a_file_that_is_no_backup(target, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "restore", str(bogus), "--yes"],
        cwd=ROOT,
        env=target.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "neither a SQLite database nor a pg_dump custom-format file" in done.stderr
