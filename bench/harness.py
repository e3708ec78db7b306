"""The benchmark harness: what a benchmark declares, how it is run, how results are reported.

A benchmark module is a file ``bench/bench_<topic>.py`` with ``BENCHMARKS = [Benchmark(...), ...]``.
Runners: :class:`InProcessRunner` (Django test client against the configured DATABASE_URL; gives
server time *and* SQL query counts) and :class:`HttpRunner` (a running server; gives the time
seen by the client on the same host, and no query count).
"""

from __future__ import annotations

import http.cookiejar
import importlib.util
import json
import re
import statistics
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class Context:
    """What benchmarks may use to build their requests (in-process mode fills the Django parts)."""

    engine: str
    owner: Any = None  # the demo owner (in-process mode)
    workspace: Any = None  # the demo workspace (in-process mode)
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class Benchmark:
    operation: str  # shown in the table, e.g. "GET / (home, owner)"
    path: str | Callable[[Context], str]
    method: str = "GET"
    data: dict | Callable[[Context], dict] | None = None
    as_user: str | None = None  # "owner": the demo owner; None: anonymous
    target_ms: float | None = None  # budget for the p95 server time
    max_queries: int | None = None  # budget for SQL queries per request
    records: Callable[[Context], int | str] | None = None  # data size the figure is for
    expect_status: int = 200

    def url(self, context: Context) -> str:
        return self.path(context) if callable(self.path) else self.path

    def body(self, context: Context) -> dict | None:
        return self.data(context) if callable(self.data) else self.data


@dataclass
class Result:
    operation: str
    records: int | str
    engine: str
    runs: int
    median_ms: float
    p95_ms: float
    queries: int | None
    target: str
    met: bool | None


class BenchmarkError(RuntimeError):
    pass


_loaded: dict[Path, Any] = {}


def modules(pattern: str = "bench_*.py", directory: Path = BENCH_DIR) -> list[Any]:
    """The ``bench_*.py`` modules, in file order (each loaded once per process)."""
    found = []
    for path in sorted(directory.glob(pattern)):
        if path not in _loaded:
            spec = importlib.util.spec_from_file_location(f"bench_modules.{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _loaded[path] = module
        found.append(_loaded[path])
    return found


def discover(pattern: str = "bench_*.py", directory: Path = BENCH_DIR) -> list[Benchmark]:
    """Every ``BENCHMARKS`` list of the ``bench_*.py`` modules, in file order."""
    found: list[Benchmark] = []
    for module in modules(pattern, directory):
        found.extend(getattr(module, "BENCHMARKS", []))
    return found


def production_env(**extra: str) -> dict[str, str]:
    """Environment of a local production-mode server on 127.0.0.1 (benchmarks and load tests)."""
    import os
    import secrets

    root = BENCH_DIR.parent
    env = dict(os.environ)
    env.update(
        {
            "RAPPORT_ENV": "production",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_URL": env.get("EMAIL_URL") or "console://",
            "LOG_LEVEL": "warning",
            "DB_POOL_MIN": "1",
            "DB_POOL_MAX": "3",
            "PYTHONPATH": os.pathsep.join([str(root / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DJANGO_SETTINGS_MODULE": "rapport.settings",
        }
    )
    env.update(extra)
    return env


class ProductionServer:
    """``manage.py serve`` (gunicorn, production settings, no task workers) on a free local port."""

    def __init__(self, *, workers: int = 4, threads: int = 1, task_workers: int = 0, log: Path | None = None):
        self.workers, self.threads, self.task_workers = workers, threads, task_workers
        self.log = log or BENCH_DIR / "results" / "server.log"
        self.process = None

    def start(self, timeout: float = 240) -> str:
        import socket
        import subprocess
        import sys

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        command = [sys.executable, str(BENCH_DIR.parent / "manage.py"), "serve", f"--bind=127.0.0.1:{port}"]
        command += [f"--web-workers={self.workers}", f"--threads={self.threads}"]
        command += [f"--task-workers={self.task_workers}", "--no-access-log"]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, env=production_env(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(f"The server stopped at start; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self.base_url
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise BenchmarkError(f"The server did not answer /healthz within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        import signal
        import subprocess

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 runs is the 19th fastest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]


class InProcessRunner:
    """Requests through Django's test client: full middleware, view and template, no network."""

    def __init__(self, context: Context):
        from django.conf import settings
        from django.test import Client

        hosts = [h for h in settings.ALLOWED_HOSTS if not h.startswith(".") and h != "*"]
        host = "testserver" if "testserver" in settings.ALLOWED_HOSTS or not hosts else hosts[0]
        self.secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
        self.context = context
        self.clients: dict[str | None, Client] = {}
        self.host = host

    def client(self, as_user: str | None):
        from django.test import Client

        if as_user not in self.clients:
            client = Client(HTTP_HOST=self.host)
            if as_user == "owner":
                client.force_login(self.context.owner)
            elif as_user is not None:
                raise BenchmarkError(f"Unknown user {as_user!r}; in-process mode knows 'owner'.")
            self.clients[as_user] = client
        return self.clients[as_user]

    def request(self, benchmark: Benchmark) -> tuple[float, int | None]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = self.client(benchmark.as_user)
        call = getattr(client, benchmark.method.lower())
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = call(benchmark.url(self.context), benchmark.body(self.context), secure=self.secure)
            elapsed = time.perf_counter() - started
        if response.status_code != benchmark.expect_status:
            raise BenchmarkError(
                f"{benchmark.operation}: status {response.status_code}, expected {benchmark.expect_status}"
            )
        return elapsed * 1000, len(queries.captured_queries)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects as they are (a stage move answers 302) instead of following them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _BehindTlsProxy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over plain HTTP to 127.0.0.1: the runner plays the TLS-terminating proxy."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True

    def set_ok(self, cookie, request) -> bool:
        return True


class HttpRunner:
    """Requests to a running server (``make serve`` or ``bench/run.py --serve``).

    Times are seen by the client on the same host (the local round trip included). The server
    may run in production mode behind what it takes for a TLS proxy: every request says
    ``X-Forwarded-Proto: https`` and the runner keeps Secure cookies. With ``counter`` (an
    :class:`InProcessRunner` on the same database) each operation is also run once in-process to
    count its SQL queries, since a production server does not report them.
    """

    def __init__(self, base_url: str, email: str, password: str, context: Context, counter=None):
        self.base_url = base_url.rstrip("/")
        self.origin = "https://" + urllib.parse.urlsplit(self.base_url).netloc
        self.email, self.password = email, password
        self.context = context
        self.counter = counter
        self.openers: dict[str | None, tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]] = {}
        self.counted: dict[str, int | None] = {}

    def headers(self, jar: http.cookiejar.CookieJar, path: str) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Referer": f"{self.origin}{path}"}
        token = next((c.value for c in jar if c.name == "csrftoken"), None)
        if token:
            headers["X-CSRFToken"] = token
        return headers

    def opener(self, as_user: str | None) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
        if as_user not in self.openers:
            jar = http.cookiejar.CookieJar(policy=_BehindTlsProxy())
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
            if as_user == "owner":
                self._log_in(opener, jar)
            elif as_user is not None:
                raise BenchmarkError(f"Unknown user {as_user!r}; HTTP mode logs in as 'owner' only.")
            self.openers[as_user] = (opener, jar)
        return self.openers[as_user]

    def _open(self, opener, request) -> tuple[int, bytes]:
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _log_in(self, opener: urllib.request.OpenerDirector, jar: http.cookiejar.CookieJar) -> None:
        path = "/accounts/login/"
        login_url = f"{self.base_url}{path}"
        status, page = self._open(opener, urllib.request.Request(login_url, headers=self.headers(jar, path)))  # noqa: S310
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.decode())
        if status != 200 or not token:
            raise BenchmarkError(f"No login form at {login_url} (status {status})")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "login": self.email, "password": self.password}
        ).encode()
        request = urllib.request.Request(login_url, data=form, headers=self.headers(jar, path))  # noqa: S310
        self._open(opener, request)
        if not any(cookie.name == "sessionid" for cookie in jar):
            raise BenchmarkError(f"Could not log in as {self.email} at {login_url}")

    def request(self, benchmark: Benchmark) -> tuple[float, int | None]:
        path = benchmark.url(self.context)
        body = benchmark.body(self.context)
        data = urllib.parse.urlencode(body).encode() if body is not None else None
        opener, jar = self.opener(benchmark.as_user)
        headers = self.headers(jar, path)
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=benchmark.method, headers=headers)  # noqa: S310
        started = time.perf_counter()
        status, _ = self._open(opener, request)
        elapsed = time.perf_counter() - started
        if status != benchmark.expect_status:
            raise BenchmarkError(f"{benchmark.operation}: status {status}, expected {benchmark.expect_status}")
        if self.counter is not None and benchmark.operation not in self.counted:
            self.counted[benchmark.operation] = self.counter.request(benchmark)[1]
        return elapsed * 1000, self.counted.get(benchmark.operation)


def measure(benchmark: Benchmark, runner, context: Context, *, runs: int, warmup: int) -> Result:
    for _ in range(warmup):
        runner.request(benchmark)
    times, counts = [], []
    for _ in range(runs):
        elapsed, queries = runner.request(benchmark)
        times.append(elapsed)
        if queries is not None:
            counts.append(queries)
    p95 = percentile(times, 0.95)
    queries = max(counts) if counts else None
    checks = []
    if benchmark.target_ms is not None:
        checks.append(p95 <= benchmark.target_ms)
    if benchmark.max_queries is not None and queries is not None:
        checks.append(queries <= benchmark.max_queries)
    target = " / ".join(
        part
        for part in (
            f"p95 ≤ {benchmark.target_ms:g} ms" if benchmark.target_ms is not None else "",
            f"≤ {benchmark.max_queries} q" if benchmark.max_queries is not None else "",
        )
        if part
    )
    return Result(
        operation=benchmark.operation,
        records=benchmark.records(context) if benchmark.records else "-",
        engine=context.engine,
        runs=runs,
        median_ms=round(statistics.median(times), 2),
        p95_ms=round(p95, 2),
        queries=queries,
        target=target or "-",
        met=all(checks) if checks else None,
    )


COLUMNS = ("operation", "records", "engine", "median ms", "p95 ms", "queries", "target", "met?")


def table(results: list[Result]) -> str:
    rows = [
        (
            r.operation,
            str(r.records),
            r.engine,
            f"{r.median_ms:.2f}",
            f"{r.p95_ms:.2f}",
            "-" if r.queries is None else str(r.queries),
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in results
    ]
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c) for i, c in enumerate(COLUMNS)]
    numeric = {1, 3, 4, 5}

    def line(cells) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        padded = (cell.rjust(width) if i in numeric else cell.ljust(width) for i, (cell, width) in pairs)
        return "  ".join(padded).rstrip()

    lines = [line(COLUMNS), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    judged = [r for r in results if r.met is not None]
    if judged:
        missed = [r.operation for r in judged if not r.met]
        lines.append("")
        lines.append(
            f"Targets met: {len(judged) - len(missed)} of {len(judged)}"
            + (f" (missed: {'; '.join(missed)})" if missed else "")
        )
    return "\n".join(lines)


def write_json(results: list[Result], path: Path, meta: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=2) + "\n")
    return path


# PostgreSQL settings that change the figures most (docs/operations.md, "PostgreSQL settings").
TUNING_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "max_wal_size",
    "random_page_cost",
    "jit",
)


def database_settings() -> dict[str, str]:
    """The database server's values of :data:`TUNING_SETTINGS` (empty on SQLite), for the results."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [list(TUNING_SETTINGS)]
        )
        found = dict(cursor.fetchall())
    return {name: found[name] for name in TUNING_SETTINGS if name in found}


def describe_settings(values: dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())
