from __future__ import annotations

import importlib

from rapport.core.scoping import workspace_scope


def test_sales_modules_import_inside_a_request_without_a_workspace():
    """URLconfs load lazily, during the first request (the login page has no workspace yet)."""
    with workspace_scope(None):
        for name in ("rapport.sales.forms", "rapport.sales.views.leads", "rapport.sales.api.serializers"):
            importlib.reload(importlib.import_module(name))


def test_the_first_request_of_a_fresh_process_loads_every_url_module(tmp_path):
    """A new server process: the first request (anonymous, no workspace) imports every URLconf and form.

    Module-level querysets on scoped managers raised UnscopedQueryError here once; this runs in a
    separate interpreter so nothing is already imported.
    """
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.urls import get_resolver\n"
        "client = Client()\n"
        "print(client.get('/deals/').status_code, client.get('/api/v1/deals/').status_code)\n"
        "import sys; print('rapport.sales.forms' in sys.modules, 'sales' in get_resolver().namespace_dict)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}",
        "DJANGO_SETTINGS_MODULE": "rapport.settings",
        "RAPPORT_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["302", "401", "True", "True"], done.stdout + done.stderr
