"""Two app servers and two task workers on one database serve consistent data and run every task once.

Two ``manage.py serve`` processes (each gunicorn with two workers plus one task worker), as two
machines behind a load balancer would run, share the database of the engine under test (a fresh
PostgreSQL database next to the test database, or a SQLite file). A session opened on one server
works on the other; a contact created on one is edited on the other, and a stale edit is refused
(412) on either; the cache is shared; tasks enqueued once run exactly once, on both workers.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.core.test_worker_processes import ROOT, lines, wait_for
from tests.ops.test_backup import PgTarget, SqliteTarget

PASSWORD = "rapport-demo"


@pytest.fixture
def target(tmp_path):
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        pg = PgTarget(settings, f"test_{settings['NAME'].removeprefix('test_')}_serving")
        yield pg
        pg.admin(f'DROP DATABASE IF EXISTS "{pg.name}" WITH (FORCE)')
    else:
        yield SqliteTarget(tmp_path / "rapport.sqlite3")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, target, log: Path):
        self.port = _port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, str(ROOT / "manage.py"), "serve", f"--bind=127.0.0.1:{self.port}"]
        command += ["--web-workers=2", "--task-workers=1", "--no-collectstatic"]
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=target.env, stdout=out, stderr=subprocess.STDOUT)

    def up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Browser:
    """Cookies kept by hand so the same session can be used on both servers."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def call(self, base: str, path: str, *, method: str = "GET", data=None, json_body=None, headers=None):
        body, extra = None, dict(headers or {})
        if json_body is not None:
            body, extra["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        extra["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        extra["Referer"] = f"{base}{path}"
        if "csrftoken" in self.cookies:
            extra["X-CSRFToken"] = self.cookies["csrftoken"]
        request = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=extra)  # noqa: S310
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, response.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def test_two_servers_and_two_workers_share_sessions_data_cache_and_tasks(target, tmp_path):
    target.manage("seed_demo")
    servers = [Server(target, tmp_path / "a.log"), Server(target, tmp_path / "b.log")]
    try:
        for server in servers:
            wait_for(server.up, timeout=180, what=f"server on {server.base}", log=server.log)
        a, b = servers
        wait_for(
            lambda: target.query("SELECT count(*) FROM jobs_workerheartbeat")[0][0] >= 2,
            timeout=120,
            what="two task workers' heartbeats",
            log=a.log,
        )
        # a session opened on A is valid on B
        browser = Browser()
        status, _, page = browser.call(a.base, "/accounts/login/")
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        data = {"csrfmiddlewaretoken": token, "login": "owner@demo.rapport.example", "password": PASSWORD}
        status, _, _ = browser.call(a.base, "/accounts/login/", method="POST", data=data)
        assert status == 302 and "sessionid" in browser.cookies
        assert browser.call(b.base, "/contacts/")[0] == 200

        # a record created on A, edited on B; a stale edit is refused on A; both read the same
        status, _, body = browser.call(
            a.base, "/api/v1/contacts/", method="POST", json_body={"first_name": "Ada", "last_name": "Twoservers"}
        )
        assert status == 201, body
        pk = json.loads(body)["id"]
        status, headers, _ = browser.call(b.base, f"/api/v1/contacts/{pk}/")
        etag = headers["ETag"]
        status, _, body = browser.call(
            b.base,
            f"/api/v1/contacts/{pk}/",
            method="PATCH",
            json_body={"job_title": "CTO"},
            headers={"If-Match": etag},
        )
        assert status == 200, body
        status, _, _ = browser.call(
            a.base,
            f"/api/v1/contacts/{pk}/",
            method="PATCH",
            json_body={"job_title": "CEO"},
            headers={"If-Match": etag},
        )
        assert status == 412
        seen = [json.loads(browser.call(s.base, f"/api/v1/contacts/{pk}/")[2]) for s in servers]
        assert seen[0]["job_title"] == seen[1]["job_title"] == "CTO"

        # the cache is shared by the processes (database cache here; Redis with REDIS_URL)
        target.manage(
            "shell", "--no-imports", "-c", "from django.core.cache import cache; cache.set('ops-probe', 'A', 300)"
        )
        read = target.manage(
            "shell", "--no-imports", "-c", "from django.core.cache import cache; print(cache.get('ops-probe'))"
        )
        assert read.strip().splitlines()[-1] == "A"

        # tasks enqueued once run exactly once, spread over both workers
        markers = [tmp_path / f"task-{n}.log" for n in range(8)]
        code = "from tests.jobs.tasks import sleepy\n" + "\n".join(f"sleepy.enqueue({str(m)!r}, 0.6)" for m in markers)
        target.manage("shell", "--no-imports", "-c", code)
        wait_for(lambda: all("done 1" in lines(m) for m in markers), timeout=120, what="the 8 tasks", log=a.log)
        time.sleep(1.5)  # a duplicate run would show up meanwhile
        runs = [lines(m) for m in markers]
        assert all(len(r) == 2 and r[0].startswith("start 1 ") and r[1] == "done 1" for r in runs), runs
        assert len({r[0].split()[-1] for r in runs}) == 2, "both task workers should have run tasks"
    finally:
        for server in servers:
            server.stop()
