"""A real worker process killed (SIGKILL) in the middle of an import, at several points.

After each kill: no partial data is visible (every contact in the database belongs to a chunk that
committed with its ledger rows and ``rows_done``); after the retries: exactly one contact per row,
no duplicates, and the run is done. The workers use a database of their own (see
tests/core/test_worker_processes.py, whose fixtures this module reuses).
"""

from __future__ import annotations

import time

import pytest

from tests.core.test_worker_processes import target, wait_for, workers  # noqa: F401  (fixtures)

ROWS = 3000  # the batched path writes 25-row chunks fast: enough of them that a kill lands mid-run
CHUNK = 25  # IMPORT_CHUNK_ROWS in tests/imports/kill_settings.py

SETUP = """
from django.contrib.auth import get_user_model
from rapport.core.models import Membership, Workspace
from rapport.core.permissions import actor_for
from rapport.core.scoping import audit_context, workspace_scope
from rapport.imports import services
user = get_user_model().objects.create(email="importer@example.com", full_name="Importer")
workspace = Workspace.objects.create(name="Kill test", slug="kill-test")
Membership.objects.create(user=user, workspace=workspace, role="owner")
rows = "\\n".join(f"Person{i},Row{i},p{i}@example.com,Company {i %% 7}" for i in range(%(rows)d))
content = ("First Name,Last Name,Email,Company\\n" + rows).encode()
with workspace_scope(workspace.pk), audit_context(actor=user, source="web"):
    actor = actor_for(user, workspace)
    run = services.import_upload(actor=actor, file_name="people.csv", content=content)
    services.import_start(actor=actor, run=run)
print(run.pk)
"""


def _state(db, run_id):
    (rows_done, status), *_ = db.query("SELECT rows_done, status FROM imports_importrun WHERE id = {}", run_id)
    contacts = db.query("SELECT count(*) FROM contacts_contact")[0][0]
    ledger = db.query(
        "SELECT count(*) FROM imports_importitem i JOIN django_content_type c ON c.id = i.content_type_id "
        "WHERE i.run_id = {} AND c.model = 'contact'",
        run_id,
    )[0][0]
    return rows_done, status, contacts, ledger


@pytest.mark.django_db
def test_killed_worker_leaves_no_partial_data_and_the_retry_creates_no_duplicates(target, workers):  # noqa: F811
    target.env = target.env | {"DJANGO_SETTINGS_MODULE": "tests.imports.kill_settings"}
    run_id = int(target.manage("shell", "--no-imports", "-c", SETUP % {"rows": ROWS}).strip().splitlines()[-1])
    for n, threshold in enumerate((CHUNK, 3 * CHUNK), 1):
        worker = workers.start(f"import-kill-{n}")
        wait_for(
            lambda t=threshold: _state(target, run_id)[0] >= t, timeout=120, what=f"{threshold} rows", log=worker.log
        )
        time.sleep(0.1)  # inside the next chunk
        worker.kill()
        worker.wait(timeout=10)
        rows_done, status, contacts, ledger = _state(target, run_id)
        assert status == "running"
        assert rows_done % CHUNK == 0 and rows_done < ROWS
        assert contacts == ledger == rows_done  # nothing of the chunk in progress is visible
    final = workers.start("import-finisher")
    wait_for(lambda: _state(target, run_id)[1] == "done", timeout=120, what="the import to finish", log=final.log)
    rows_done, _, contacts, ledger = _state(target, run_id)
    assert rows_done == contacts == ledger == ROWS
    distinct = target.query("SELECT count(DISTINCT email) FROM contacts_emailaddress")[0][0]
    assert distinct == ROWS
    attempts = target.query("SELECT created_count, error_count FROM imports_importrun WHERE id = {}", run_id)[0]
    assert tuple(attempts) == (ROWS, 0)
