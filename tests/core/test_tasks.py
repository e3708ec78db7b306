"""Task helpers: retry policies, workspace tasks, periodic declarations and the recycle-bin purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import task
from django.utils import timezone

from rapport.core import history, services
from rapport.core.scoping import current_audit, current_scope
from rapport.core.tasks import (
    NO_RETRY,
    PERIODIC,
    RetryPolicy,
    periodic,
    prune_task_results,
    purge_recycle_bin,
    retry_policy_for,
    retrying,
    workspace_task,
)
from tests.jobs.tasks import always_fails, fails_once_without_policy, name_widget
from tests.sampleapp.models import Widget


def test_backoff_doubles_from_the_base_delay_for_each_attempt():
    policy = RetryPolicy(max_attempts=6, base_delay=10, jitter=0)
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [10, 20, 40, 80, 160]


def test_backoff_is_capped_by_the_max_delay():
    policy = RetryPolicy(max_attempts=30, base_delay=10, max_delay=300, jitter=0)
    assert policy.delay(20).total_seconds() == 300


def test_jitter_adds_at_most_its_share_of_the_delay_and_never_subtracts():
    policy = RetryPolicy(max_attempts=5, base_delay=10, jitter=0.25)
    delays = {policy.delay(2).total_seconds() for _ in range(200)}
    assert all(20 <= d <= 25 for d in delays)
    assert len(delays) > 1


def test_a_policy_retries_until_the_last_attempt_and_only_the_listed_exceptions():
    policy = RetryPolicy(max_attempts=3, retry_on=(ConnectionError,))
    assert policy.should_retry(ConnectionError(), 1)
    assert policy.should_retry(ConnectionError(), 2)
    assert not policy.should_retry(ConnectionError(), 3)
    assert not policy.should_retry(ValueError(), 1)
    assert policy.should_retry(None, 1), "a lost worker is always worth another attempt while attempts remain"


def test_policies_refuse_nonsense_values():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


def test_retrying_registers_the_policy_under_the_task_path():
    assert retry_policy_for(always_fails.module_path) == RetryPolicy(max_attempts=3, base_delay=1, jitter=0)
    assert retry_policy_for(fails_once_without_policy.module_path) is NO_RETRY


def test_retry_policy_for_an_unknown_path_is_a_single_attempt():
    assert retry_policy_for("rapport.no_such_module.task") is NO_RETRY


def test_retrying_must_sit_above_task():
    with pytest.raises(TypeError, match="above @task"):
        retrying(max_attempts=2)(lambda: None)


def test_a_workspace_task_needs_a_workspace_id_parameter():
    def no_workspace(name: str) -> None: ...

    with pytest.raises(TypeError, match="workspace_id"):
        workspace_task(no_workspace)


def test_a_workspace_task_runs_in_the_workspace_as_the_actor_with_source_task(cast):
    widget_id = name_widget.call(workspace_id=cast.workspace.pk, actor_id=cast.sales.pk, name="From a task")
    assert current_scope().workspace_id is None, "the scope ends with the task"
    widget = Widget.all_objects.get(pk=widget_id)
    entry = history.history_for(widget).get()
    assert (widget.workspace_id, entry.actor_id, entry.source) == (cast.workspace.pk, cast.sales.pk, "task")
    assert current_audit().source == "system"


def test_a_workspace_task_is_idempotent_when_it_runs_twice(cast):
    first = name_widget.call(workspace_id=cast.workspace.pk, actor_id=cast.owner.pk, name="Once")
    second = name_widget.call(workspace_id=cast.workspace.pk, actor_id=cast.owner.pk, name="Once")
    assert first == second
    assert Widget.all_objects.filter(name="Once").count() == 1


def test_a_workspace_task_for_a_deleted_workspace_does_nothing(cast):
    assert name_widget.call(workspace_id=987654, actor_id=None, name="Nowhere") is None
    assert not Widget.all_objects.filter(name="Nowhere").exists()


def test_a_workspace_task_keeps_its_import_path_so_the_worker_finds_it():
    assert name_widget.module_path == "tests.jobs.tasks.name_widget"


def test_the_recycle_bin_purge_is_declared_hourly():
    job = next(job for job in PERIODIC if job.name == "purge-recycle-bin")
    assert (job.every, job.task) == (timedelta(hours=1), purge_recycle_bin)


def test_two_periodic_jobs_cannot_share_a_name():
    with pytest.raises(ValueError, match="already declared"):
        periodic("purge-recycle-bin", every=timedelta(hours=2), task=purge_recycle_bin)


def test_the_purge_is_idempotent_a_second_run_finds_nothing_more(cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        widget = Widget.objects.create(name="Expired")
        services.record_delete(actor=actor, record=widget)
    Widget.all_objects.filter(pk=widget.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert purge_recycle_bin.call() == 1
    assert purge_recycle_bin.call() == 0
    assert not Widget.all_objects.filter(pk=widget.pk).exists()


@task
def _module_level_for_validation() -> None: ...


def test_a_periodic_job_must_not_run_more_than_once_a_second():
    with pytest.raises(ValueError, match="once a second"):
        periodic("too-often", every=timedelta(milliseconds=10), task=_module_level_for_validation)


def test_finished_task_results_are_pruned_after_their_retention(db):
    from django_tasks_db.models import DBTaskResult

    results = {name: purge_recycle_bin.enqueue().id for name in ("old-ok", "recent-ok", "old-failed", "mid-failed")}
    now = timezone.now()
    finished = {
        "old-ok": ("SUCCESSFUL", 15),
        "recent-ok": ("SUCCESSFUL", 2),
        "old-failed": ("FAILED", 31),
        "mid-failed": ("FAILED", 20),
    }
    for name, (status, days) in finished.items():
        DBTaskResult.objects.filter(pk=results[name]).update(status=status, finished_at=now - timedelta(days=days))
    prune_task_results.call()
    kept = set(DBTaskResult.objects.values_list("id", flat=True))
    assert {name for name, pk in results.items() if str(pk) in {str(k) for k in kept}} == {"recent-ok", "mid-failed"}
