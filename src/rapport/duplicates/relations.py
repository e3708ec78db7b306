"""Find, generically through Django's _meta, every row that points at a record, and move it.

Covered: foreign keys and one-to-ones of any model to the record's model (deals, orders,
activities, e-mails, roles…), many-to-many through tables, and generic links (a pair of
``content_type`` + ``object_id`` fields: tags, history, external ids, any app's notes), and
label links (a ``target_type`` model label + ``target_id``: the activities timeline). Search
index rows and import ledgers are not moved: the survivor is re-indexed, and an import's ledger
stays a record of what that import did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

SKIP_APPS = {"search"}
SKIP_MODELS = {"imports.importitem", "duplicates.merge"}


def _fk_links(model: type[models.Model]) -> Iterator[tuple[type[models.Model], str]]:
    for rel in model._meta.related_objects:
        related = rel.related_model
        if related._meta.app_label in SKIP_APPS or related._meta.label_lower in SKIP_MODELS:
            continue
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
            for field in through._meta.get_fields():
                if isinstance(field, models.ForeignKey) and field.related_model is model:
                    yield through, field.attname
        elif rel.one_to_many or rel.one_to_one:
            yield related, rel.field.attname
    for field in model._meta.many_to_many:  # many-to-many declared on the model itself
        through = field.remote_field.through
        for f in through._meta.get_fields():
            if (
                isinstance(f, models.ForeignKey)
                and f.related_model is model
                and f.name != field.m2m_reverse_field_name()
            ):
                yield through, f.attname


def _generic_links() -> Iterator[tuple[type[models.Model], str, str]]:
    for candidate in apps.get_models():
        if candidate._meta.app_label in SKIP_APPS or candidate._meta.label_lower in SKIP_MODELS:
            continue
        names = {f.name: f for f in candidate._meta.concrete_fields}
        ct = names.get("content_type")
        if ct is not None and getattr(ct, "related_model", None) is ContentType and "object_id" in names:
            yield candidate, "content_type_id", "object_id"


def _label_links() -> Iterator[tuple[type[models.Model], str, str]]:
    """Models that point at a record by its model label, e.g. a timeline entry's link."""
    for candidate in apps.get_models():
        if candidate._meta.app_label in SKIP_APPS or candidate._meta.label_lower in SKIP_MODELS:
            continue
        names = {f.name: f for f in candidate._meta.concrete_fields}
        if isinstance(names.get("target_type"), models.CharField) and "target_id" in names:
            yield candidate, "target_type", "target_id"


def move_related(
    model: type[models.Model], loser_ids: list[int], survivor_id: int
) -> tuple[list[list[Any]], list[str]]:
    """Point every related row of the losers at the survivor. Returns (moved rows, rows left behind).

    Each row moves on its own savepoint; a row that would break a unique rule (the survivor already
    has that tag, that role…) stays with its loser (and goes to the recycle bin with it).
    """
    moved: list[list[Any]] = []
    left: list[str] = []
    for related, attname in _fk_links(model):
        manager = related._base_manager
        for row_id, old in manager.filter(**{f"{attname}__in": loser_ids}).values_list("pk", attname):
            try:
                with transaction.atomic():
                    manager.filter(pk=row_id).update(**{attname: survivor_id})
            except IntegrityError:
                left.append(f"{related._meta.verbose_name} #{row_id}")
                continue
            moved.append([related._meta.label_lower, row_id, attname, old])
    ct_id = ContentType.objects.get_for_model(model).pk
    by_type = [(related, type_field, ct_id, id_field) for related, type_field, id_field in _generic_links()]
    label = model._meta.label_lower
    by_type += [(related, type_field, label, id_field) for related, type_field, id_field in _label_links()]
    for related, type_field, type_value, id_field in by_type:
        manager = related._base_manager
        rows = manager.filter(**{type_field: type_value, f"{id_field}__in": loser_ids}).values_list("pk", id_field)
        for row_id, old in rows:
            try:
                with transaction.atomic():
                    manager.filter(pk=row_id).update(**{id_field: survivor_id})
            except IntegrityError:
                left.append(f"{related._meta.verbose_name} #{row_id}")
                continue
            moved.append([related._meta.label_lower, row_id, id_field, old])
    return moved, left


def move_back(moved: list[list[Any]]) -> None:
    for label, row_id, field, old in reversed(moved):
        apps.get_model(label)._base_manager.filter(pk=row_id).update(**{field: old})
