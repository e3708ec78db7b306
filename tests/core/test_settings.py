"""Configuration safety: production settings pass `check --deploy`, malformed variables stop the start.

Each case starts `manage.py` in a subprocess with a clean environment, as a deployment would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
        "RAPPORT_VAR_DIR": str(tmp_path / "var"),
        **variables,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production(**overrides: str) -> dict[str, str]:
    variables = {
        "RAPPORT_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "rapport.example.com",
        "EMAIL_URL": "smtp+tls://mail.example.com:587",
    }
    return {key: value for key, value in (variables | overrides).items() if value is not None}


def test_production_settings_pass_the_deployment_checks_with_zero_findings(tmp_path):
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        pytest.param({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean", id="DEBUG"),
        pytest.param({"DATABASE_URL": "mysql://rapport:secret@db/rapport"}, "DATABASE_URL=", id="DATABASE_URL"),
        pytest.param({"SECURE_HSTS_SECONDS": "abc"}, "SECURE_HSTS_SECONDS='abc' is not a whole number", id="HSTS"),
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY must be set", id="SECRET_KEY-missing"),
        pytest.param({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters", id="SECRET_KEY-short"),
        pytest.param({"EMAIL_URL": "ftp://x"}, "EMAIL_URL scheme 'ftp' is not supported", id="EMAIL_URL"),
        pytest.param({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set in production", id="ALLOWED_HOSTS"),
        pytest.param({"LOG_LEVEL": "verbose"}, "LOG_LEVEL='verbose' is not one of", id="LOG_LEVEL"),
        pytest.param({"RAPPORT_ENV": "staging"}, "RAPPORT_ENV='staging' is not one of", id="RAPPORT_ENV"),
        pytest.param(
            {"TASK_WORKER_HEARTBEAT_SECONDS": "60", "TASK_WORKER_LOST_AFTER_SECONDS": "30"},
            "TASK_WORKER_LOST_AFTER_SECONDS must be longer than TASK_WORKER_HEARTBEAT_SECONDS",
            id="worker-timings",
        ),
    ],
)
def test_a_malformed_variable_stops_the_start_with_a_message_naming_it(tmp_path, variables, message):
    done = manage(tmp_path, "check", **production(**variables))
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: "), done.stderr
    assert message in last_line


def _redis_listening() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_with_redis_url_two_processes_share_one_redis_cache(tmp_path):
    """REDIS_URL switches the cache to Redis; a value one process writes, another reads."""
    if not _redis_listening() and not os.environ.get("CI"):
        pytest.skip("no Redis on 127.0.0.1:6379 (CI requires it; Redis is optional for Rapport)")
    key = f"rapport-test-{secrets.token_hex(6)}"
    variables = {"RAPPORT_ENV": "test", "REDIS_URL": "redis://127.0.0.1:6379/15"}
    code = (
        "from django.core.cache import caches; cache = caches['default']; "
        "print(type(cache).__name__); cache.set('{}', 'shared', 60)"
    )
    writer = manage(tmp_path, "shell", "--no-imports", "-c", code.format(key), **variables)
    assert writer.returncode == 0, writer.stderr
    assert writer.stdout.strip() == "RedisCache"
    reader = manage(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        f"from django.core.cache import cache; print(cache.get('{key}'))",
        **variables,
    )
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.strip() == "shared"
