"""Search providers for model-backed record types.

An app registers each searchable model once, in ``AppConfig.ready()``::

    from rapport.search.providers import register_model_provider
    register_model_provider(
        Contact, "contact", "Contacts",
        url_for=lambda contact: reverse("contacts:detail", args=[contact.pk]),
        describe=contact_search_document,   # record -> rapport.search.index.Document (or its kwargs)
    )

The provider runs the engine query for that content type, then keeps only the ids that
``permission_filter(Model.objects.filter(pk__in=ids), actor)`` returns (by default
``rapport.core.permissions.visible``), in rank order. With ``describe`` the index also follows
the recycle bin by itself: a record moved to the bin leaves the index, a restored one comes back,
and definition changes that alter searchable custom values re-index the records concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.signals import post_save

from rapport.core.permissions import visible
from rapport.core.registry import SearchProvider, registry
from rapport.core.search import SearchHit

UrlFor = Callable[[models.Model], str]
PermissionFilter = Callable[[models.QuerySet, Any], models.QuerySet]


@dataclass(frozen=True)
class ModelProvider:
    model: type[models.Model]
    key: str
    label: str
    url_for: UrlFor | None
    permission_filter: PermissionFilter
    describe: Callable[[models.Model], Any] | None = None

    def url(self, record: models.Model) -> str:
        if self.url_for is not None:
            return self.url_for(record)
        return record.get_absolute_url()  # type: ignore[attr-defined]


_providers: dict[str, ModelProvider] = {}


def register_model_provider(
    model: type[models.Model],
    key: str,
    label: str,
    url_for: UrlFor | None = None,
    permission_filter: PermissionFilter = visible,
    *,
    describe: Callable[[models.Model], Any] | None = None,
    order: int = 100,
) -> SearchProvider:
    """Make ``model`` findable by global search under the type ``key`` (e.g. "contact").

    ``url_for(record)`` gives the record's page (default: ``record.get_absolute_url()``).
    Registering the same key again replaces the earlier registration.
    """
    from rapport.search.query import search

    unregister_model_provider(key)
    _providers[key] = ModelProvider(model, key, label, url_for, permission_filter, describe)

    def search_type(actor: Any, query: str, limit: int) -> list[SearchHit]:
        return [hit.as_search_hit() for hit in search(actor, query, types=[key], limit=limit)]

    provider = SearchProvider(key=key, label=label, search=search_type, order=order)
    registry.add_search(provider)
    if describe is not None:
        post_save.connect(_follow_recycle_bin, sender=model, dispatch_uid=f"rapport.search.bin.{key}", weak=False)
    return provider


def unregister_model_provider(key: str) -> None:
    """Forget a provider (tests register sample models for a while)."""
    spec = _providers.pop(key, None)
    registry.search[:] = [p for p in registry.search if p.key != key]
    if spec is not None and spec.describe is not None:
        post_save.disconnect(sender=spec.model, dispatch_uid=f"rapport.search.bin.{key}")


def providers() -> list[ModelProvider]:
    return list(_providers.values())


def provider_keys() -> list[str]:
    return list(_providers)


def provider_for_model(model: type[models.Model]) -> ModelProvider | None:
    return next((p for p in _providers.values() if p.model is model), None)


def _follow_recycle_bin(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    """Remove a record entering the recycle bin from the index; re-index a restored one."""
    from rapport.search.index import index_many, remove_record

    if created:
        return
    loaded = getattr(instance, "_loaded_values", None) or {}
    was_deleted = loaded.get("deleted_at") is not None
    is_deleted = getattr(instance, "deleted_at", None) is not None
    spec = provider_for_model(sender)
    if spec is None or spec.describe is None or was_deleted == is_deleted:
        return
    if is_deleted:
        remove_record(instance)
    else:
        index_many([instance], spec.describe)
