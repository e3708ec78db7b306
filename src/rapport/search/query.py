"""Global search: ``search(actor, text)`` -> ranked, permission-checked hits of every registered type."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType

from rapport.core.search import SearchHit
from rapport.search.engines import engine
from rapport.search.matching import parse, rank
from rapport.search.providers import ModelProvider, providers

MAX_LIMIT = 100


@dataclass(frozen=True)
class Hit:
    type: str  # provider key, e.g. "contact"
    id: int
    label: str
    detail: str
    url: str
    score: float = 0.0

    def as_search_hit(self) -> SearchHit:
        return SearchHit(kind=self.type, label=self.label, detail=self.detail, url=self.url, score=self.score)


def search(actor: Any, text: str, *, types: list[str] | None = None, limit: int = 20) -> list[Hit]:
    """The best ``limit`` hits for ``text`` among the record types ``types`` (all when None).

    Always limited to the actor's workspace, and every hit is re-checked through its provider's
    permission filter, so a record the actor may not see never appears, whatever the index says.
    """
    specs = [p for p in providers() if types is None or p.key in types]
    if not specs or not (text or "").strip():
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    pq = parse(text, actor.workspace.default_region)
    if not pq.folded:
        return []
    by_type: dict[int, ModelProvider] = {
        ContentType.objects.get_for_model(p.model, for_concrete_model=True).pk: p for p in specs
    }
    candidates = engine().candidates(
        pq, workspace_id=actor.workspace.pk, content_type_ids=list(by_type), limit=max(limit * 3, 30)
    )
    ranked = rank(pq, candidates)
    wanted: dict[int, list[int]] = defaultdict(list)
    for candidate in ranked:
        wanted[candidate.content_type_id].append(candidate.object_id)
    allowed: dict[int, dict[int, Any]] = {}
    for content_type_id, ids in wanted.items():
        spec = by_type[content_type_id]
        records = spec.permission_filter(spec.model._default_manager.filter(pk__in=ids), actor)
        allowed[content_type_id] = {record.pk: record for record in records}
    hits: list[Hit] = []
    for candidate in ranked:
        record = allowed[candidate.content_type_id].get(candidate.object_id)
        if record is None:
            continue
        spec = by_type[candidate.content_type_id]
        hits.append(
            Hit(
                type=spec.key,
                id=candidate.object_id,
                label=candidate.title,
                detail=candidate.subtitle,
                url=spec.url(record),
                score=candidate.score,
            )
        )
        if len(hits) == limit:
            break
    return hits
