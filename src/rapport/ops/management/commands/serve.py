"""Run gunicorn and task workers together (production serving on one machine); see docs/operations.md."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from rapport.ops.serve import ServeOptions, Supervisor


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Serve Rapport with gunicorn (several workers, JSON logs, whitenoise) plus N task workers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=os.environ.get("WEB_BIND", "127.0.0.1:8000"), help="host:port")
        parser.add_argument(
            "--web-workers",
            type=_count,
            default=int(os.environ.get("WEB_WORKERS") or min(8, 2 * (os.cpu_count() or 1) + 1)),
            help="gunicorn worker processes (0: no web server, task workers only)",
        )
        parser.add_argument("--threads", type=_count, default=1, help="threads per web worker")
        parser.add_argument(
            "--task-workers", type=_count, default=int(os.environ.get("TASK_WORKERS", "1")), help="task workers"
        )
        parser.add_argument("--migrate", action="store_true", help="apply migrations first")
        parser.add_argument("--no-collectstatic", action="store_true", help="skip collectstatic")
        parser.add_argument("--no-access-log", action="store_true", help="no line per request")

    def handle(self, *args, **options) -> None:
        if options["web_workers"] == 0 and options["task_workers"] == 0:
            raise CommandError("Nothing to run: give --web-workers or --task-workers a number above 0.")
        serve = ServeOptions(
            bind=options["bind"],
            web_workers=options["web_workers"],
            task_workers=options["task_workers"],
            threads=max(1, options["threads"]),
            migrate=options["migrate"],
            collectstatic=not options["no_collectstatic"],
            access_log=not options["no_access_log"],
        )
        code = Supervisor(serve, out=self.stdout).run()
        if code:
            sys.exit(code)
