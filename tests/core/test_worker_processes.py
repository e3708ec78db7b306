"""Real `manage.py rapport_worker` processes against a real database: SIGKILL, SIGTERM, two at once.

The workers get a database of their own, migrated by `manage.py migrate` and read here with plain
SQL: on SQLite a file (the test database lives in memory, out of reach of another process), on
PostgreSQL a fresh database next to the test database. (pytest-django's transactional_db cannot
serve on PostgreSQL: its flush TRUNCATEs the append-only security log, which the database refuses.)
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT, LOST_AFTER = "0.3", "1.5"


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    details = f"\n--- worker log ---\n{log.read_text()}" if log and log.exists() else ""
    pytest.fail(f"Timed out after {timeout} s waiting for {what}{details}")


def base_env(database_url: str) -> dict[str, str]:
    return os.environ | {
        "RAPPORT_ENV": "test",
        "DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "rapport.settings",
        "LOG_LEVEL": "INFO",
    }


class Target:
    """A database that the worker subprocesses and the test both reach."""

    def __init__(self, database_url: str):
        self.env = base_env(database_url)
        self.manage("migrate", "--noinput", "-v", "0")

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def query(self, sql: str, *params: object) -> list[tuple]:
        raise NotImplementedError

    def enqueue_sleepy(self, marker: Path, first_attempt_seconds: float) -> str:
        call = f"sleepy.enqueue({str(marker)!r}, {first_attempt_seconds!r})"
        code = f"from tests.jobs.tasks import sleepy; print({call}.id)"
        return self.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]

    def task(self, task_id: str) -> tuple[str, list[str]]:
        (status, worker_ids), *_ = self.query(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = {}", self.uuid(task_id)
        )
        return status, self.json(worker_ids)

    def heartbeat(self, worker_id: str) -> tuple[int, datetime] | None:
        rows = self.query("SELECT pid, last_seen FROM jobs_workerheartbeat WHERE worker_id = {}", worker_id)
        return (rows[0][0], self.datetime(rows[0][1])) if rows else None

    def purge_slots_and_runs(self) -> tuple[int, list[tuple[str, list[str]]]]:
        slots = self.query("SELECT count(*) FROM jobs_periodicslot WHERE name = {}", "purge-recycle-bin")[0][0]
        runs = self.query(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path = {}",
            "rapport.core.tasks.purge_recycle_bin",
        )
        return slots, [(status, self.json(ids)) for status, ids in runs]

    # How each engine stores and returns values.
    def uuid(self, value: str) -> object:
        return uuid.UUID(value)

    def json(self, value: object) -> object:
        return value

    def datetime(self, value: object) -> datetime:
        return value


class SqliteFileTarget(Target):
    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"sqlite:///{path}")

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.path, timeout=20) as db:
            return db.execute(sql.replace("{}", "?"), params).fetchall()

    def uuid(self, value: str) -> object:
        return uuid.UUID(value).hex

    def json(self, value: object) -> object:
        return json.loads(value)

    def datetime(self, value: object) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


class PostgresTarget(Target):
    """A fresh database named after the test database, dropped at the end."""

    def __init__(self, settings: dict, name: str):
        self.connect_args = {
            "host": settings["HOST"] or "127.0.0.1",
            "port": settings["PORT"] or 5432,
            "user": settings["USER"],
            "password": settings["PASSWORD"] or None,
        }
        self.name = name[:63]
        self.admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')
        auth = quote(settings["USER"] or "") + (f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else "")
        super().__init__(f"postgresql://{auth}@{self.connect_args['host']}:{self.connect_args['port']}/{self.name}")

    def admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **self.connect_args) as db:
            for statement in statements:
                db.execute(statement)

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(dbname=self.name, autocommit=True, **self.connect_args) as db:
            return db.execute(sql.replace("{}", "%s"), params).fetchall()


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Iterator[Target]:
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        base = settings["NAME"].removeprefix("test_")
        pg = PostgresTarget(settings, f"test_{base}_workers")
        yield pg
        pg.admin(f'DROP DATABASE IF EXISTS "{pg.name}" WITH (FORCE)')
    else:
        yield SqliteFileTarget(tmp_path_factory.mktemp("workerdb") / "rapport.sqlite3")


class Workers:
    def __init__(self, target: Target, logs: Path):
        self.target, self.logs, self.processes = target, logs, []

    def start(self, worker_id: str, *extra: str) -> subprocess.Popen:
        log = self.logs / f"{worker_id}.log"
        command = [
            sys.executable,
            str(ROOT / "manage.py"),
            "rapport_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval=0.1",
            f"--worker-id={worker_id}",
            f"--heartbeat-seconds={HEARTBEAT}",
            f"--lost-after-seconds={LOST_AFTER}",
            *extra,
        ]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=self.target.env, stdout=out, stderr=subprocess.STDOUT)
        process.log = log
        self.processes.append(process)
        return process


@pytest.fixture
def workers(target, tmp_path) -> Iterator[Workers]:
    pool = Workers(target, tmp_path)
    yield pool
    for process in pool.processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_task_of_a_killed_worker_is_run_again_exactly_once_by_another_worker(target, workers, tmp_path):
    marker = tmp_path / "runs.txt"
    task_id = target.enqueue_sleepy(marker, 120)
    doomed = workers.start("doomed", "--no-periodic")
    wait_for(lambda: lines(marker), timeout=30, what="the first attempt to start", log=doomed.log)

    pid, first_seen = target.heartbeat("doomed")
    wait_for(
        lambda: target.heartbeat("doomed")[1] >= first_seen + timedelta(seconds=0.6),
        timeout=10,
        what="heartbeats during the long task",
        log=doomed.log,
    )
    assert (pid, target.task(task_id)) == (doomed.pid, ("RUNNING", ["doomed"]))

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    # Two rescuers at once: both run the reaper, only one may requeue and rerun the task.
    rescuers = {workers.start(name, "--no-periodic"): name for name in ("rescuer-1", "rescuer-2")}
    wait_for(lambda: target.task(task_id)[0] == "SUCCESSFUL", timeout=30, what="the rerun", log=doomed.log)
    wait_for(
        lambda: all(target.heartbeat(name) for name in rescuers.values()),
        timeout=30,
        what="both rescuers to be up (their signal handlers set)",
    )
    for rescuer in rescuers:
        rescuer.send_signal(signal.SIGTERM)
    assert [rescuer.wait(timeout=15) for rescuer in rescuers] == [0, 0]

    runs = lines(marker)
    assert (len(runs), runs[0], runs[-1]) == (3, f"start 1 {doomed.pid}", "done 2"), runs
    _, attempt, rerun_pid = runs[1].split()
    assert attempt == "2"
    rerun_by = next(name for process, name in rescuers.items() if str(process.pid) == rerun_pid)
    assert target.task(task_id) == ("SUCCESSFUL", ["doomed", rerun_by])
    assert all(target.heartbeat(name) is None for name in rescuers.values()), "workers that stop cleanly sign off"


def test_sigterm_lets_the_running_task_finish_before_the_worker_exits(target, workers, tmp_path):
    marker = tmp_path / "runs.txt"
    task_id = target.enqueue_sleepy(marker, 2)
    worker = workers.start("graceful", "--no-periodic")
    wait_for(lambda: lines(marker), timeout=30, what="the task to start", log=worker.log)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0, worker.log.read_text()
    assert lines(marker)[-1] == "done 1"
    assert target.task(task_id) == ("SUCCESSFUL", ["graceful"])
    assert target.heartbeat("graceful") is None


def test_two_workers_started_together_enqueue_the_hourly_purge_exactly_once(target, workers):
    now = datetime.now(UTC)
    next_hour = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if next_hour - now < timedelta(seconds=15):
        time.sleep((next_hour - now).total_seconds() + 1)  # both workers must see the same slot
    pair = [workers.start(name, "--batch") for name in ("twin-1", "twin-2")]
    for process in pair:
        assert process.wait(timeout=30) == 0, process.log.read_text()
    slots, runs = target.purge_slots_and_runs()
    assert slots == 1
    assert len(runs) == 1
    assert runs[0][0] == "SUCCESSFUL"
    assert runs[0][1][0] in {"twin-1", "twin-2"}
