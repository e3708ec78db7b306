"""No N+1 anywhere: every list page, record page and API list runs as many queries at 3N records as at N.

The pages are discovered, not listed here:
* list pages: every named URL without parameters that answers GET with 200 for the owner
  (lists, boards, reports, settings pages …), from Django's URL resolver;
* API lists: every ``<name>-list`` route under /api/v1/, from the resolver as well;
* record pages: every named ``…_detail`` URL taking one ``pk``, matched to the model of its
  app named like the URL (``deal_detail`` → ``sales.Deal``), plus the record page each search
  provider registers (``rapport.search.providers``) for its model.

Data: the demo workspace with every app's demo loader, then the data generator
(``rapport.ops.generator``) at N contacts; then 2N more, and the rows added in that round that
point at a measured record (a contact's company, a deal's company …) are re-pointed at it, so
that record pages grow around the record they show. Record pages stay under every page size, so
a query per row shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from rapport.core.demo import DEMO_OWNER_EMAIL, ensure_demo_workspace, run_demo_loaders
from rapport.core.models import OwnedRecord
from rapport.core.permissions import actor_for
from rapport.core.scoping import unscoped, workspace_scope
from rapport.exports.services import export_request
from rapport.imports.services import import_execute, import_start, import_upload
from rapport.ops.generator import Generator, Plan

N = 8
# N+1s found by this test in code this test's owner may not change; each names its fix. The test fails
# when one of them no longer grows, so that the entry is removed once fixed (and the page is guarded again).
KNOWN_GROWTH: dict[str, str] = {}
SKIP_NAMES = {"account_logout", "logout"}  # GET has no meaning there beyond a form or a redirect


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name
    pattern: URLPattern
    converters: tuple[str, ...]


def _params(item: URLPattern | URLResolver) -> tuple[str, ...]:
    regex = item.pattern.regex
    return tuple(regex.groupindex) or tuple("?" for _ in range(regex.groups))


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[Route]:
    resolver = resolver or get_resolver()
    found: list[Route] = []
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            space = f"{prefix}{item.namespace}:" if item.namespace else prefix
            found += [Route(r.name, r.pattern, _params(item) + r.converters) for r in _routes(item, space)]
        elif isinstance(item, URLPattern) and item.name:
            found.append(Route(f"{prefix}{item.name}", item, _params(item)))
    return found


def _plan(contacts: int, seed: int) -> Plan:
    return Plan(
        contacts=contacts,
        seed=seed,
        as_of=dt.date(2026, 6, 1),
        companies=max(2, contacts // 2),
        deals=contacts,
        orders=contacts // 2,
        quotes=contacts // 2,
        chunk=1000,
    )


def _is_record_route(route: Route) -> bool:
    short = route.name.rpartition(":")[2]
    return route.converters == ("pk",) and (short == "detail" or short.endswith(("_detail", "_board")))


def _model_for(name: str) -> type[models.Model] | None:
    """``sales:deal_detail`` → sales.Deal (the app of the namespace, the model named before ``_detail``);
    ``sales:pipeline_board`` → sales.Pipeline; ``imports:detail`` → the app's one owned record (ImportRun)."""
    namespace, _, short = name.rpartition(":")
    stem = short.removesuffix("_detail").removesuffix("_board").removesuffix("detail")
    if stem:
        candidates = [m for m in apps.get_models() if m._meta.model_name == stem.replace("_", "")]
    else:
        candidates = [m for m in apps.get_models() if issubclass(m, OwnedRecord)]
    if namespace:
        same_app = [m for m in candidates if m._meta.app_label == namespace.split(":")[0]]
        candidates = same_app or candidates
    return candidates[0] if len(candidates) == 1 else None


def _count(client, url: str, **extra) -> tuple[int, int, Counter]:
    client.get(url, **extra)  # warm per-process caches (content types, templates, custom fields)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    shapes = Counter(re.sub(r"\b\d+\b|'[^']*'", "?", q["sql"])[:300] for q in queries.captured_queries)
    return response.status_code, len(queries.captured_queries), shapes


def _culprit(before: Counter, after: Counter) -> str:
    """The query that repeats more often with more data (the N+1 to fix)."""
    extra = after - before
    return max(extra, key=extra.get, default="?") if extra else "?"


def _grow_around(record: models.Model, since: dict[type[models.Model], int]) -> None:
    """Re-point rows added since ``since`` (max pk per model) that reference ``record``'s model at it."""
    target = type(record)
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not (field.is_relation and field.related_model is target and model in since):
                continue
            if field.name in ("workspace",) or field.primary_key:
                continue
            rows = model._base_manager.filter(pk__gt=since[model]).exclude(**{field.attname: record.pk})
            if hasattr(model, "workspace_id"):
                rows = rows.filter(workspace_id=record.workspace_id)
            for pk in list(rows.values_list("pk", flat=True)[: 3 * N]):
                try:
                    with transaction.atomic():
                        model._base_manager.filter(pk=pk).update(**{field.attname: record.pk})
                except IntegrityError:
                    continue  # a unique constraint: this row cannot point there too


def _import_contacts(actor, *, rows: int, first: int) -> None:
    """A finished import through the real path, so that its record page has rows to show."""
    lines = ["First name,Last name,Email"] + [
        f"Imp{i},Budget,imp{i}@budget.example" for i in range(first, first + rows)
    ]
    run = import_upload(actor=actor, file_name="people.csv", content="\n".join(lines).encode(), target="contacts")
    import_start(actor=actor, run=run, background=False)
    import_execute(actor=actor, run_id=run.pk)


@pytest.mark.django_db
def test_no_page_or_api_list_runs_more_queries_with_more_data(client):
    with unscoped():
        workspace, _ = ensure_demo_workspace(password="budget-pass-123")
        run_demo_loaders(workspace)
    Generator(workspace, _plan(N, seed=1), log=lambda _m: None).run()
    owner = workspace.memberships.get(user__email=DEMO_OWNER_EMAIL).user
    client.force_login(owner)

    routes = [r for r in _routes() if r.name.split(":")[-1] not in SKIP_NAMES]
    pages = [r for r in routes if not r.converters and not r.name.startswith("api")]
    api_lists = [r for r in routes if r.name.endswith("-list") and not r.converters]
    detail_routes = [r for r in routes if _is_record_route(r)]
    unmapped = [r.name for r in detail_routes if _model_for(r.name) is None]
    assert not unmapped, f"Record pages whose model the budget test cannot find (name them <model>_detail): {unmapped}"
    actor = actor_for(owner, workspace)
    with workspace_scope(workspace.pk):
        _import_contacts(actor, rows=N, first=0)
        export_request(actor=actor, record_type="contact")

    from rapport.search.providers import providers

    with workspace_scope(workspace.pk):
        records: dict[str, models.Model] = {}
        for route in detail_routes:
            model = _model_for(route.name)
            record = model._default_manager.order_by("pk").first()
            if record is not None:
                records[reverse(route.name, args=[record.pk])] = record
        for spec in providers():
            record = spec.model._default_manager.order_by("pk").first()
            if record is not None:
                records.setdefault(spec.url(record), record)

    def measure() -> dict[str, tuple[int, int, Counter]]:
        figures = {}
        for route in pages:
            figures[reverse(route.name)] = _count(client, reverse(route.name))
        for route in api_lists:
            figures[reverse(route.name)] = _count(client, reverse(route.name), HTTP_ACCEPT="application/json")
        for url in records:
            figures[url] = _count(client, url)
        return figures

    before = measure()
    measured = {url: figure for url, figure in before.items() if figure[0] == 200}
    assert len([u for u in measured if u.startswith("/api/")]) >= 5, f"too few API lists answered: {before}"
    assert len(records) >= 5, f"too few record pages found: {list(records)}"
    covered = {resolve(url).namespace.split(":")[0] for url in measured}
    own_apps = {c.label for c in apps.get_app_configs() if c.name.startswith("rapport.")}
    with_pages = {r.name.split(":")[0] for r in pages if r.name.split(":")[0] in own_apps}
    assert with_pages <= covered, f"apps with pages none of which answered 200: {sorted(with_pages - covered)}"
    assert {"activities", "imports", "exports", "duplicates", "sales", "contacts"} <= covered
    record_apps = {resolve(url).namespace for url in records if measured.get(url)}
    assert {"activities", "imports", "exports", "sales", "contacts"} <= record_apps, record_apps

    since = {  # integer keys only: "rows added since" needs an ordered key (the task rows use UUIDs)
        m: (m._base_manager.aggregate(top=models.Max("pk"))["top"] or 0)
        for m in apps.get_models()
        if isinstance(m._meta.pk, models.IntegerField)
    }
    Generator(workspace, _plan(2 * N, seed=2), log=lambda _m: None).run()
    with workspace_scope(workspace.pk):
        _import_contacts(actor, rows=2 * N, first=N)
    with unscoped():
        for record in records.values():
            _grow_around(record, since)
    after = measure()

    grown = {
        url: (queries, after[url][1], _culprit(shapes, after[url][2]))
        for url, (status, queries, shapes) in measured.items()
        if after[url][0] == 200 and after[url][1] > queries
    }
    known = {url for url in grown if resolve(url).view_name in KNOWN_GROWTH}
    fixed = set(KNOWN_GROWTH) - {resolve(url).view_name for url in known}
    assert not fixed, f"Fixed, remove from KNOWN_GROWTH: {sorted(fixed)}"
    grown = {url: figures for url, figures in grown.items() if url not in known}
    assert not grown, "Query counts grew with the data (N → 3N):\n" + "\n".join(
        f"{url}: {a} → {b}; repeated: {sql}" for url, (a, b, sql) in sorted(grown.items())
    )
