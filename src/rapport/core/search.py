"""Global search: asks every registered provider, each of which re-checks permissions."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.core.registry import registry


@dataclass(frozen=True)
class SearchHit:
    kind: str  # provider key, e.g. "contact"
    label: str  # what the person sees
    detail: str  # a second line: email, company...
    url: str
    score: float = 0.0


def global_search(actor, query: str, *, limit_per_type: int = 8) -> list[tuple[str, list[SearchHit]]]:
    query = (query or "").strip()
    if not query:
        return []
    results = []
    for provider in registry.search:
        hits = provider.search(actor, query, limit_per_type)
        if hits:
            results.append((provider.label, hits))
    return results
