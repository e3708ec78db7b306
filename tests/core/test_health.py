"""The probes: /healthz (alive, no database) and /readyz (database, migrations, task queue figures)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.core.tasks import purge_recycle_bin
from rapport.jobs import services


def test_healthz_answers_without_touching_the_database(client):
    # No db fixture: any query would make pytest-django fail the test.
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_with_the_database_up_and_every_migration_applied(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "oldest_queued_task_seconds": 0, "live_workers": 0},
    }


@pytest.mark.django_db
def test_readyz_reports_the_oldest_waiting_task_and_the_live_workers(client):
    waiting = purge_recycle_bin.enqueue()
    DBTaskResult.objects.filter(pk=waiting.id).update(enqueued_at=timezone.now() - timedelta(minutes=5))
    services.beat("alive")
    services.beat("silent", now=timezone.now() - timedelta(hours=1))
    checks = client.get("/readyz").json()["checks"]
    assert 300 <= checks["oldest_queued_task_seconds"] < 330
    assert checks["live_workers"] == 1


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_unapplied(client):
    MigrationRecorder.Migration.objects.filter(app="jobs", name="0002_running_tasks_index").delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["migrations"] == "1 unapplied"


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable (OperationalError)"}}


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["rapport.example.com"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_an_orchestrator_calling_by_ip_over_plain_http(client):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400, "other pages still check the host"
