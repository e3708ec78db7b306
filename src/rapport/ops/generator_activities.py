"""Activities per record with a power-law distribution, for :mod:`rapport.ops.generator`.

``plan.activities`` per contact on average: about three in four are about a contact, the rest
about a deal. Which contact or deal follows a power law (rank ``r`` of a shuffled order gets a
share proportional to ``1 / r^0.8``): a few records have long timelines, most have one or two,
many have none. Like :func:`rapport.activities.services.log_activity`, each activity is linked to
its record and to that record's company (the link rows copy ``occurred_at`` and ``kind``), and
gets its "create" History row. Notes, calls and meetings are generated (e-mails and tasks carry
state of their own: messages, reminders).
"""

from __future__ import annotations

import bisect
import datetime as dt
import importlib.util
import itertools
from typing import TYPE_CHECKING

from rapport.ops import wordlists as W
from rapport.ops.bulk import Table, instances

if TYPE_CHECKING:
    from rapport.ops.generator import Generator, IdRanges

KINDS = (("note", 40), ("call", 35), ("meeting", 25))
OUTCOMES = ("connected", "connected", "voicemail", "no_answer", "busy")
ZIPF = 0.8
PERMUTATION_PRIME = 1_000_003


class PowerLaw:
    """Ranks 0 … n-1 drawn with weight 1 / (r+1)^ZIPF, spread over the ids by a fixed permutation."""

    def __init__(self, ids: IdRanges, rng) -> None:
        self.ids, self.rng, self.n = ids, rng, len(ids)
        # Inverse CDF of a continuous power law on [1, n+1): fast for millions of draws.
        self.a = 1 - ZIPF
        self.top = (self.n + 1) ** self.a

    def draw(self) -> int:
        u = self.rng.random()
        rank = min(self.n - 1, int((1 + u * (self.top - 1)) ** (1 / self.a)) - 1)
        shuffled = (rank * PERMUTATION_PRIME) % self.n if self.n % PERMUTATION_PRIME else rank
        return self.ids.at(shuffled)


# the columns an activity row is written with (the benchmarks seed the same way)
ACTIVITY_COLUMNS = [
    "id",
    "workspace_id",
    "kind",
    "subject",
    "body",
    "occurred_at",
    "call_direction",
    "call_duration_seconds",
    "call_outcome",
    "starts_at",
    "ends_at",
    "location",
    "owner_id",
    "created_at",
    "updated_at",
    "created_by_id",
    "updated_by_id",
]


def write_activities(gen: Generator, total: int | None = None) -> None:
    """``total`` activities (default: ``plan.activities`` per planned contact) over ``gen``'s contacts and deals."""
    if importlib.util.find_spec("rapport.activities.models") is None:
        gen.log("  activities: the activities app is not installed; none generated")
        return
    from rapport.activities.models import Activity, ActivityLink

    if total is None:
        total = round(gen.plan.activities * gen.plan.contacts)
    if total <= 0 or not len(gen.contact_ids):
        return
    from rapport.ops.chunks import run_chunks

    activity_t = Table(Activity, ACTIVITY_COLUMNS)
    link_t = Table(ActivityLink, ["workspace_id", "activity_id", "target_type", "target_id", "occurred_at", "kind"])
    have_deals = bool(len(getattr(gen, "deal_ids", ())))
    values = [k for k, _ in KINDS]
    cum = list(itertools.accumulate(w for _, w in KINDS))
    first_id = activity_t.allocate(total)

    def make(start: int, size: int) -> None:
        rng, pick, below = gen.rng, gen.pick, gen.below
        contacts = PowerLaw(gen.contact_ids, rng)
        deals = PowerLaw(gen.deal_ids, rng) if have_deals else None
        rows, links = [], []
        for pk in range(first_id + start, first_id + start + size):
            kind = values[bisect.bisect(cum, rng.random() * cum[-1])]
            at = gen._past(2 * 365, 1.4)
            owner = pick(gen.sellers)
            subject = pick(W.ACTIVITY_SUBJECTS)
            body = f"<p>{pick(W.NOTE_BODIES)}</p>"
            call = kind == "call"
            meeting = kind == "meeting"
            rows.append(
                (
                    pk, gen.ws, kind, subject, body, at, pick(("outbound", "inbound")) if call else "",
                    30 + below(2370) if call else None, pick(OUTCOMES) if call else "",
                    at if meeting else None, at + dt.timedelta(minutes=pick((30, 45, 60))) if meeting else None,
                    pick(("Video call", "Their office", "Our office")) if meeting else "",
                    owner, at, at, owner, owner,
                )
            )  # fmt: skip
            if deals is not None and rng.random() < 0.25:
                deal_id = deals.draw()
                targets = [("sales.deal", deal_id)]
                company_id = gen.deal_company.get(deal_id)
            else:
                contact_id = contacts.draw()
                targets = [("contacts.contact", contact_id)]
                company_id = gen.contact_company.get(contact_id)
            if company_id:
                targets.append(("contacts.company", company_id))
            for target_type, target_id in targets:
                links.append((gen.ws, pk, target_type, target_id, at, kind))
        gen.save([(activity_t, rows), (link_t, links)], instances(activity_t, rows))
        gen._count("activities", size)
        gen._count("activity links", len(links))

    run_chunks(gen, "activities", total, make, lambda _result: None)
