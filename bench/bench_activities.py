"""Activities at scale: a record timeline with 5,000 entries, a company roll-up over 200 contacts,
My tasks, the calendar, the bell, the API, and the reminder sweep among all tasks.

``bench/run.py`` calls :func:`prepare`, which adds the bench records to the demo workspace when
they are missing (a small default size); for a bigger workspace seed by hand first::

    .venv/bin/python bench/bench_activities.py seed --activities 200000 --tasks 200000
    .venv/bin/python bench/run.py --in-process --only activities

The seed adds the company "Bench Timeline Co" with 200 contacts. One of them, "Timeline Hub",
has 5,000 timeline entries; the 199 others 25 each (the company page rolls up all of them, about
10,000 entries). The rest of ``--activities`` are notes, calls and meetings on the workspace's
other contacts, and ``--tasks`` tasks (each with its timeline entry) are spread over the members:
open or done, due over two years, half of them with a reminder (sent when it lies in the past).
Like the data generator (:mod:`rapport.ops.generator_activities`) each activity is linked to its
contact and to that contact's company, with the link rows copying ``occurred_at`` and ``kind``.
Rows are written with :class:`rapport.ops.bulk.Table` (COPY on PostgreSQL, executemany on SQLite)
in chunks of 10,000, one transaction per chunk; no History or search rows (the pages measured
here do not read them for other records).

The reminder sweep is measured in-process (it is a worker task, not a page): before each run
``DUE`` reminders are re-armed (untimed), then ``sweep_reminders()`` finds and sends them. A
second figure sweeps when nothing is due (the cost every worker pays once a minute).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness import Benchmark, Context

CHUNK = 10_000
COMPANY = "Bench Timeline Co"
ROLLUP_CONTACTS = 200
HUB_ENTRIES = 5_000
PER_CONTACT = 25  # entries of each of the company's other contacts
DUE = 20  # reminders due at each measured sweep
BUSY_MEETINGS = 2_000  # meetings of the owner in one week (the busy calendar week)
BUSY_SUBJECT = "Bench busy meeting"
DEFAULT_ACTIVITIES = 20_000  # what prepare() seeds when the bench records are missing
DEFAULT_TASKS = 20_000
KINDS = ("note", "call", "meeting")
TASK_COLUMNS = [
    "id",
    "workspace_id",
    "activity_id",
    "title",
    "due_at",
    "priority",
    "status",
    "assignee_id",
    "remind_at",
    "reminder_sent_at",
    "completed_at",
    "created_at",
    "updated_at",
    "created_by_id",
    "updated_by_id",
]
LINK_COLUMNS = ["workspace_id", "activity_id", "target_type", "target_id", "occurred_at", "kind"]


# --- what the benchmarks read -------------------------------------------------------------------


def _bench(context: Context) -> dict[str, Any]:
    """Ids of the bench company, its hub contact and the due tasks (from the seed)."""
    if "activities" not in context.cache:
        from rapport.activities.models import Task
        from rapport.contacts.models import Company, Contact
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            company = Company.objects.filter(name=COMPANY).first()
            if company is None:
                raise RuntimeError("Run `python bench/bench_activities.py seed` first.")
            hub = Contact.objects.filter(company=company, first_name="Timeline", last_name="Hub").first()
            due = list(
                Task.objects.filter(title__startswith="Bench due reminder").order_by("id").values_list("pk", flat=True)
            )
        context.cache["activities"] = {"company": company.pk, "hub": hub.pk, "due": due}
    return context.cache["activities"]


def _counts(context: Context) -> str:
    if context.workspace is None:
        return "-"
    if "activities_counts" not in context.cache:
        from rapport.activities.models import Activity, Task
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            activities = Activity.objects.count()
            tasks = Task.objects.count()
        context.cache["activities_counts"] = f"{activities:,} activities / {tasks:,} tasks"
    return context.cache["activities_counts"]


def _my_tasks_counts(context: Context) -> str:
    if "activities_mine" not in context.cache:
        from rapport.activities.models import Task
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            mine = Task.objects.filter(assignee=context.owner)
            total, still_open = mine.count(), mine.filter(status="open").count()
            context.cache["activities_mine"] = (
                f"{total:,} tasks of the owner ({still_open:,} open) / {_counts(context)}"
            )
    return context.cache["activities_mine"]


def _all_tasks(context: Context) -> str:
    from rapport.activities.models import Task
    from rapport.core.scoping import unscoped

    if "activities_all_tasks" not in context.cache:
        with unscoped():
            total = Task.all_objects.count()
            armed = Task.all_objects.filter(remind_at__isnull=False, reminder_sent_at__isnull=True).count()
        context.cache["activities_all_tasks"] = f"{total:,} tasks ({armed:,} reminders unsent)"
    return context.cache["activities_all_tasks"]


def _week_counts(context: Context) -> str:
    """What the owner's calendar week shows (this week's meetings and open tasks due)."""
    if "activities_week" not in context.cache:
        from datetime import datetime

        from django.utils import timezone

        from rapport.activities.selectors import calendar_week
        from rapport.core.permissions import actor_for
        from rapport.core.scoping import workspace_scope

        today = timezone.localdate()
        monday = timezone.make_aware(datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time()))
        with workspace_scope(context.workspace.pk):
            week = calendar_week(actor_for(context.owner, context.workspace), monday)
        shown = f"{len(week['meetings']):,} meetings + {len(week['tasks']):,} tasks this week"
        context.cache["activities_week"] = f"{shown} / {_counts(context)}"
    return context.cache["activities_week"]


def _busy_week(context: Context) -> str:
    """The calendar of the week holding the owner's ``BUSY_MEETINGS`` seeded meetings."""
    if "activities_busy" not in context.cache:
        from django.db.models import Min
        from django.utils import timezone

        from rapport.activities.models import Activity
        from rapport.core.scoping import workspace_scope

        with workspace_scope(context.workspace.pk):
            first = Activity.objects.filter(subject__startswith=BUSY_SUBJECT).aggregate(at=Min("starts_at"))["at"]
        if first is None:
            raise RuntimeError("Run `python bench/bench_activities.py seed` first (no busy week).")
        day = timezone.localtime(first).date()
        context.cache["activities_busy"] = (day - timedelta(days=day.weekday())).isoformat()
    return f"/calendar/?week={context.cache['activities_busy']}"


def _busy_counts(context: Context) -> str:
    if "activities_busy_counts" not in context.cache:
        from datetime import date, datetime

        from django.utils import timezone

        from rapport.activities.selectors import calendar_week
        from rapport.core.permissions import actor_for
        from rapport.core.scoping import workspace_scope

        monday = date.fromisoformat(_busy_week(context).rsplit("=", 1)[1])
        start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
        with workspace_scope(context.workspace.pk):
            week = calendar_week(actor_for(context.owner, context.workspace), start)
        shown = f"{len(week['meetings']):,} meetings + {len(week['tasks']):,} tasks in the week"
        context.cache["activities_busy_counts"] = f"{shown} / {_counts(context)}"
    return context.cache["activities_busy_counts"]


def _hub_timeline(context: Context) -> str:
    return f"/timeline/contacts.contact/{_bench(context)['hub']}/"


def _hub_record(context: Context) -> str:
    return f"/contacts/{_bench(context)['hub']}/"


def _company_timeline(context: Context) -> str:
    return f"/timeline/contacts.company/{_bench(context)['company']}/"


def _company_record(context: Context) -> str:
    return f"/companies/{_bench(context)['company']}/"


def _hub_api(context: Context) -> str:
    return f"/api/v1/activities/?target_type=contacts.contact&target_id={_bench(context)['hub']}"


def _hub_entries(context: Context) -> str:
    return f"{HUB_ENTRIES:,} entries on the record / {_counts(context)}"


def _rollup_entries(context: Context) -> str:
    entries = HUB_ENTRIES + (ROLLUP_CONTACTS - 1) * PER_CONTACT
    return f"{ROLLUP_CONTACTS} contacts, {entries:,} entries / {_counts(context)}"


# --- in-process calls (the reminder sweep is a worker task, not a page) --------------------------


class CallRunner:
    """Times ``benchmark.call(context)`` in this process, after an untimed ``benchmark.setup``."""

    def __init__(self, context: Context):
        self.context = context

    def request(self, benchmark: CallBenchmark) -> tuple[float, int | None]:
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        if benchmark.setup is not None:
            benchmark.setup(self.context)
        reset_queries()  # with DEBUG the log is capped at 9,000 queries; a full log would count 0
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            outcome = benchmark.call(self.context)
            elapsed = time.perf_counter() - started
        if benchmark.expect is not None and outcome != benchmark.expect(self.context):
            from harness import BenchmarkError

            raise BenchmarkError(f"{benchmark.operation}: got {outcome!r}, expected {benchmark.expect(self.context)!r}")
        return elapsed * 1000, len(queries.captured_queries)


class CallBenchmark(Benchmark):
    """A benchmark of a function rather than a page; bench/run.py uses :meth:`runner` for it."""

    def __init__(
        self,
        operation: str,
        *,
        call: Callable[[Context], Any],
        setup: Callable[[Context], None] | None = None,
        expect: Callable[[Context], Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(operation, "-", **options)
        self.call, self.setup, self.expect = call, setup, expect

    def runner(self, context: Context) -> CallRunner:
        return CallRunner(context)


def _rearm(context: Context) -> None:
    """Make ``DUE`` reminders due again and drop the notifications the last run sent (untimed)."""
    from django.utils import timezone

    from rapport.activities.models import Notification, Task
    from rapport.core.scoping import workspace_scope

    _quiet(context)
    due = _bench(context)["due"]
    with workspace_scope(context.workspace.pk):
        Task.objects.filter(pk__in=due).update(reminder_sent_at=None, remind_at=timezone.now() - timedelta(minutes=5))
        Notification.objects.filter(activity__task__in=due, kind="task_due").hard_delete()


def _sweep(context: Context) -> int:
    from rapport.activities.tasks import sweep_reminders

    return sweep_reminders()


def _quiet(context: Context) -> None:
    """Nothing due: send whatever a previous run left armed (untimed), so the timed sweep finds none."""
    from rapport.activities.tasks import sweep_reminders

    while sweep_reminders():
        pass


BENCHMARKS = [
    Benchmark(
        "activities record timeline, 5,000 entries (first 50)",
        _hub_timeline,
        as_user="owner",
        target_ms=60,
        max_queries=15,
        records=_hub_entries,
    ),
    Benchmark(
        "activities contact record page with its timeline panel",
        _hub_record,
        as_user="owner",
        target_ms=100,
        max_queries=40,
        records=_hub_entries,
    ),
    Benchmark(
        "activities company roll-up timeline over 200 contacts (first 50)",
        _company_timeline,
        as_user="owner",
        target_ms=100,
        max_queries=15,
        records=_rollup_entries,
    ),
    Benchmark(
        "activities company record page (roll-up panel)",
        _company_record,
        as_user="owner",
        target_ms=150,
        max_queries=40,
        records=_rollup_entries,
    ),
    Benchmark(
        "activities My tasks (overdue, today, upcoming, done)",
        "/tasks/",
        as_user="owner",
        target_ms=50,
        max_queries=15,
        records=_my_tasks_counts,
    ),
    Benchmark(
        "activities calendar week", "/calendar/", as_user="owner", target_ms=50, max_queries=10, records=_week_counts
    ),
    Benchmark(
        f"activities calendar, busy week ({BUSY_MEETINGS:,} meetings)",
        _busy_week,
        as_user="owner",
        target_ms=100,
        max_queries=10,
        records=_busy_counts,
    ),
    Benchmark(
        "activities bell (unread count, polled)",
        "/notifications/bell/",
        as_user="owner",
        target_ms=20,
        max_queries=8,
        records=_counts,
    ),
    Benchmark(
        "activities API GET /api/v1/activities/ of a record (50)",
        _hub_api,
        as_user="owner",
        target_ms=100,
        records=_hub_entries,
    ),
    CallBenchmark(
        f"activities reminder sweep, {DUE} due (in-process)",
        target_ms=100,
        max_queries=10,  # claim, mark sent, preferences, bulk insert, one email task per workspace
        records=_all_tasks,
        call=_sweep,
        setup=_rearm,
        expect=lambda context: DUE,
    ),
    CallBenchmark(
        "activities reminder sweep, none due (in-process)",
        target_ms=100,
        max_queries=3,  # BEGIN, the claim, COMMIT
        records=_all_tasks,
        call=_sweep,
        setup=_quiet,
        expect=lambda context: 0,
    ),
]


# --- seeding ----------------------------------------------------------------------------------------


def prepare(context: Context) -> None:
    """Called by bench/run.py: seed the bench records (a small default size) when they are missing."""
    from rapport.activities.models import Activity
    from rapport.contacts.models import Company
    from rapport.core.scoping import workspace_scope

    with workspace_scope(context.workspace.pk):
        missing = not Company.objects.filter(name=COMPANY).exists()
        busy_missing = not Activity.objects.filter(subject__startswith=BUSY_SUBJECT).exists()
    if missing or busy_missing:
        seed(DEFAULT_ACTIVITIES, DEFAULT_TASKS)  # tops up only what is missing


def _busy_monday(now):
    """The Monday four weeks after ``now`` (local time): the week the busy-calendar benchmark shows."""
    from datetime import datetime

    from django.utils import timezone

    day = timezone.localtime(now).date() + timedelta(weeks=4)
    return timezone.make_aware(datetime.combine(day - timedelta(days=day.weekday()), datetime.min.time()))


def seed_busy_week(workspace, users: list[int], writer: _Writer, pool: list[tuple], now) -> None:
    """``BUSY_MEETINGS`` meetings of the first member (the demo owner) in one week: half organized by
    them, half by colleagues with them as an attendee (the calendar reads both). Added once."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from rapport.activities.models import Activity, MeetingAttendee
    from rapport.ops.bulk import Table

    if Activity.objects.filter(subject__startswith=BUSY_SUBJECT).exists():
        return
    rng = random.Random(11)
    monday = _busy_monday(now)
    owner, others = users[0], users[1:] or users
    specs, attended = [], []
    for n in range(BUSY_MEETINGS):
        at = monday + timedelta(minutes=rng.randrange(7 * 24 * 60 // 15) * 15)
        organizer = owner if n % 2 == 0 else others[n % len(others)]
        contact_id, company_id = pool[n % len(pool)]
        targets = [("contacts.contact", contact_id)] + ([("contacts.company", company_id)] if company_id else [])
        specs.append(("meeting", f"{BUSY_SUBJECT} {n}", at, organizer, targets))
        if organizer != owner:
            attended.append(n)
    first = writer.write(specs)
    email = get_user_model().objects.get(pk=owner).email
    with transaction.atomic():
        Table(MeetingAttendee, ["workspace_id", "activity_id", "user_id", "email", "contact_id"]).write(
            [(workspace.pk, first + n, owner, email, None) for n in attended]
        )
    writer.log("busy week meetings", BUSY_MEETINGS, BUSY_MEETINGS)


def _bench_company(workspace, users: list[int], now):
    """The bench company and its 200 contacts (the first is the hub), created once."""
    from rapport.contacts.models import Company, Contact

    company = Company.objects.filter(name=COMPANY).first()
    if company is None:
        company = Company.objects.bulk_create(
            [Company(workspace=workspace, name=COMPANY, owner_id=users[0], created_at=now, updated_at=now)]
        )[0]
        names = [("Timeline", "Hub")] + [(f"Rollup{i:03d}", "Bench") for i in range(1, ROLLUP_CONTACTS)]
        Contact.objects.bulk_create(
            [
                Contact(
                    workspace=workspace,
                    first_name=first,
                    last_name=last,
                    company=company,
                    owner_id=users[0],
                    primary_email=f"{first.lower()}.{last.lower()}@timeline.bench.example",
                    created_at=now,
                    updated_at=now,
                )
                for first, last in names
            ]
        )
    ids = list(Contact.objects.filter(company=company).order_by("id").values_list("pk", flat=True))
    return company, ids


class _Writer:
    """Activities (+ links, + tasks) in chunks: ids given out up front, one transaction per chunk."""

    def __init__(self, workspace_id: int) -> None:
        from rapport.activities.models import Activity, ActivityLink, Task
        from rapport.ops.bulk import Table
        from rapport.ops.generator_activities import ACTIVITY_COLUMNS

        self.ws = workspace_id
        self.activity_t = Table(Activity, ACTIVITY_COLUMNS)
        self.link_t = Table(ActivityLink, LINK_COLUMNS)
        self.task_t = Table(Task, TASK_COLUMNS)
        self.started = time.monotonic()

    def write(self, specs: list[tuple], tasks: list[tuple] | None = None) -> int:
        """``specs``: (kind, subject, at, owner, targets); ``tasks``: the Task columns after activity_id.
        Returns the id of the first activity written (the others follow in order)."""
        from django.db import transaction

        first = self.activity_t.allocate(len(specs))
        rows, links, task_rows = [], [], []
        first_task = self.task_t.allocate(len(tasks)) if tasks else 0
        for offset, (kind, subject, at, owner, targets) in enumerate(specs):
            pk = first + offset
            call, meeting = kind == "call", kind == "meeting"
            rows.append(
                (
                    pk, self.ws, kind, subject, "" if kind == "task" else f"<p>{subject}: notes of the bench.</p>", at,
                    "outbound" if call else "", 300 if call else None, "connected" if call else "",
                    at if meeting else None, at + timedelta(minutes=30) if meeting else None,
                    "Video call" if meeting else "", owner, at, at, owner, owner,
                )
            )  # fmt: skip
            links += [(self.ws, pk, target_type, target_id, at, kind) for target_type, target_id in targets]
            if tasks:
                task_rows.append((first_task + offset, self.ws, pk, *tasks[offset]))
        with transaction.atomic():
            self.activity_t.write(rows)
            self.link_t.write(links)
            if task_rows:
                self.task_t.write(task_rows)
        return first

    def log(self, what: str, done: int, total: int) -> None:
        print(f"{what}: {done:,}/{total:,} ({time.monotonic() - self.started:.0f}s)", file=sys.stderr)


def seed(activities: int, tasks: int) -> None:
    """Top the demo workspace up to ``activities`` activities (of which ``tasks`` are tasks)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from rapport.activities.models import Activity, ActivityLink, Task
    from rapport.contacts.models import Contact
    from rapport.core.demo import DEMO_SLUG
    from rapport.core.models import Workspace
    from rapport.core.scoping import workspace_scope

    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    users = list(
        get_user_model().objects.filter(memberships__workspace=workspace).order_by("pk").values_list("pk", flat=True)
    )
    rng = random.Random(5)  # reproducible bench data
    now = timezone.now()
    with workspace_scope(workspace.pk):
        company, people = _bench_company(workspace, users, now)
        hub, others = people[0], people[1:]
        pool = list(Contact.objects.exclude(company=company).values_list("pk", "company_id")[:50_000])
        pool = pool or [(pk, company.pk) for pk in others]
        writer = _Writer(workspace.pk)

        def on(contact_id: int, company_id: int | None) -> list[tuple[str, int]]:
            return [("contacts.contact", contact_id)] + ([("contacts.company", company_id)] if company_id else [])

        def past(days: int = 730):
            return now - timedelta(days=days * rng.random() ** 1.4, seconds=rng.randrange(86_400))

        # 1. The hub's 5,000 entries and 25 on each other contact of the company (the roll-up).
        plan = [(hub, HUB_ENTRIES)] + [(pk, PER_CONTACT) for pk in others]
        have = dict(
            ActivityLink.objects.filter(target_type="contacts.contact", target_id__in=people)
            .values_list("target_id")
            .annotate(n=Count("id"))
            .values_list("target_id", "n")
        )
        specs = []
        for contact_id, wanted in plan:
            for i in range(have.get(contact_id, 0), wanted):
                kind = KINDS[i % 3]
                specs.append((kind, f"Bench {kind} {i}", past(), users[i % len(users)], on(contact_id, company.pk)))
        for start in range(0, len(specs), CHUNK):
            writer.write(specs[start : start + CHUNK])
            writer.log("bench company activities", start + len(specs[start : start + CHUNK]), len(specs))

        # 2. The tasks: half with a reminder (sent when in the past), DUE of them due now for the sweep.
        have_tasks = Task.objects.count()
        if not Task.objects.filter(title__startswith="Bench due reminder").exists():
            stamps = (now, now, users[0], users[0])
            due = [
                ("task", f"Bench due reminder {i}", now + timedelta(hours=1), users[0], on(*pool[i % len(pool)]))
                for i in range(DUE)
            ]
            writer.write(
                due,
                [
                    (*spec[1:3], "normal", "open", users[0], now - timedelta(minutes=5), None, None, *stamps)
                    for spec in due
                ],
            )
            have_tasks += DUE
        for start in range(have_tasks, tasks, CHUNK):
            size = min(CHUNK, tasks - start)
            specs, extra = [], []
            for n in range(start, start + size):
                due_at = now + timedelta(days=rng.uniform(-365, 365), seconds=rng.randrange(86_400))
                done = due_at < now and rng.random() < 0.8
                owner = users[n % len(users)]
                remind = due_at - timedelta(days=1) if n % 2 == 0 else None
                sent = remind if remind is not None and remind < now else None
                specs.append(("task", f"Bench task {n}", due_at, owner, on(*pool[n % len(pool)])))
                completed = due_at if done else None
                status = "done" if done else "open"
                created = due_at - timedelta(days=3)
                head = (f"Bench task {n}", due_at, ("low", "normal", "high")[n % 3], status, owner, remind, sent)
                extra.append((*head, completed, created, due_at, owner, owner))
            writer.write(specs, extra)
            writer.log("tasks", start + size, tasks)

        # 3. A busy calendar week of the owner.
        seed_busy_week(workspace, users, writer, pool, now)

        # 4. The rest: notes, calls and meetings on the workspace's other contacts.
        have_all = Activity.objects.count()
        for start in range(have_all, activities, CHUNK):
            size = min(CHUNK, activities - start)
            specs = []
            for n in range(start, start + size):
                kind = KINDS[n % 3]
                specs.append((kind, f"Bench {kind} {n}", past(), users[n % len(users)], on(*rng.choice(pool))))
            writer.write(specs)
            writer.log("other activities", start + size, activities)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Seed activities and tasks for the activities benchmarks.")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--activities", type=int, default=200_000, help="activities in the workspace, tasks included")
    parser.add_argument("--tasks", type=int, default=50_000, help="tasks in the workspace")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "src")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    seed(args.activities, args.tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
