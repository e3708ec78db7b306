"""Run Rapport in production form on one machine: gunicorn web workers plus N task workers.

``manage.py serve`` (and ``make serve``) starts

* ``gunicorn`` with :mod:`rapport.ops.gunicorn_conf` (several worker processes, JSON logs;
  static files are served by whitenoise inside the app), unless ``--web-workers 0``;
* ``--task-workers`` ``manage.py rapport_worker`` processes (each claims tasks with row locks
  on PostgreSQL, so any number of them, on any number of machines, run every task once);

and keeps them together: if one of them stops, the others are stopped too and the command
exits with an error (a process manager such as systemd then restarts the whole set); SIGTERM or
Ctrl-C stops them all gracefully. See docs/operations.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

STOP_GRACE_SECONDS = 25


@dataclass
class ServeOptions:
    bind: str = "127.0.0.1:8000"
    web_workers: int = 3
    task_workers: int = 1
    threads: int = 1
    migrate: bool = False
    collectstatic: bool = True
    access_log: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)


def child_env(options: ServeOptions) -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(p for p in (src, path) if p),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "rapport.settings"),
        "WEB_BIND": options.bind,
        "WEB_WORKERS": str(options.web_workers),
        "WEB_THREADS": str(options.threads),
        "WEB_ACCESS_LOG": "1" if options.access_log else "0",
    }
    env.setdefault("LOG_JSON", "1")
    return env | options.extra_env


def commands(options: ServeOptions) -> list[tuple[str, list[str]]]:
    """The long-running processes: (name, argv)."""
    python = sys.executable
    found: list[tuple[str, list[str]]] = []
    if options.web_workers > 0:
        found.append(("web", [python, "-m", "gunicorn", "-c", "python:rapport.ops.gunicorn_conf"]))
    for number in range(1, options.task_workers + 1):
        found.append((f"tasks-{number}", [python, "-m", "django", "rapport_worker", "--no-reload"]))
    return found


class Supervisor:
    def __init__(self, options: ServeOptions, out=sys.stdout):
        self.options, self.out = options, out
        self.env = child_env(options)
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def say(self, message: str) -> None:
        self.out.write(message + "\n")
        self.out.flush()

    def prepare(self) -> None:
        python = sys.executable
        if self.options.migrate:
            subprocess.run([python, "-m", "django", "migrate", "--noinput"], env=self.env, check=True)  # noqa: S603
        if self.options.collectstatic and self.options.web_workers > 0:
            subprocess.run(  # noqa: S603
                [python, "-m", "django", "collectstatic", "--noinput", "-v", "0"], env=self.env, check=True
            )

    def start(self) -> None:
        for name, argv in commands(self.options):
            self.processes[name] = subprocess.Popen(argv, env=self.env)  # noqa: S603 - our own commands
            self.say(f"serve: started {name} (pid {self.processes[name].pid})")

    def stop(self) -> None:
        self.stopping = True
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def run(self) -> int:
        """Start everything, wait until a process stops or a signal arrives; returns the exit status."""

        def on_signal(signum, _frame) -> None:
            raise KeyboardInterrupt(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.prepare()
            self.start()
            web = (
                f"web on http://{self.options.bind}/ ({self.options.web_workers} workers), "
                if self.options.web_workers > 0
                else "no web server, "
            )
            self.say(f"serve: {web}{self.options.task_workers} task worker(s); Ctrl-C stops everything")
            while True:
                for name, process in self.processes.items():
                    code = process.poll()
                    if code is not None:
                        self.say(f"serve: {name} exited with status {code}; stopping the others")
                        self.stop()
                        return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.say("serve: stopping")
            self.stop()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
