"""Writes for tags: create, rename, delete, and attach/detach on any record type.

Attaching writes a History event on the record ("tags: a, b → a, b, c"); the caller decides
whether the record's version moves (an edit form does, a bulk action bumps it set-wise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower

from rapport.core import services as core_services
from rapport.core.history import record_event
from rapport.core.models import WorkspaceScoped
from rapport.core.permissions import Actor
from rapport.core.scoping import current_audit
from rapport.tags.models import Tag, TagColour, TaggedItem

MAX_TAG_LENGTH = 50


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValidationError({"name": "Enter a tag name."})
    if len(cleaned) > MAX_TAG_LENGTH:
        raise ValidationError({"name": f"A tag name has at most {MAX_TAG_LENGTH} characters."})
    return cleaned


def tag_create(*, actor: Actor, name: str, colour: str = TagColour.GREY) -> Tag:
    if not actor.can("records.create"):
        raise PermissionDenied("You may not create tags.")
    name = _clean_name(name)
    if colour not in TagColour.values:
        raise ValidationError({"colour": f"Choose one of: {', '.join(TagColour.values)}."})
    if Tag.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"A tag named “{name}” already exists."})
    with transaction.atomic():
        return Tag.objects.create(name=name, colour=colour)


def tag_update(*, actor: Actor, tag: Tag, data: dict[str, Any], expected_version: int | None = None) -> bool:
    if "name" in data:
        data = {**data, "name": _clean_name(data["name"])}
        if Tag.objects.filter(name__iexact=data["name"]).exclude(pk=tag.pk).exists():
            raise ValidationError({"name": f"A tag named “{data['name']}” already exists."})
    return core_services.record_update(
        actor=actor, record=tag, data=data, fields=["name", "colour"], expected_version=expected_version
    )


def tag_delete(*, actor: Actor, tag: Tag, expected_version: int | None = None) -> None:
    core_services.record_delete(actor=actor, record=tag, expected_version=expected_version)


def resolve_tags(*, actor: Actor, values: Iterable[Any], create_missing: bool = True) -> list[Tag]:
    """Tags named (case-insensitively) or given by id/instance; unknown names are created when allowed."""
    wanted: list[Any] = []
    for value in values:
        if isinstance(value, Tag | int):
            wanted.append(value)
        elif str(value).strip():
            wanted.append(_clean_name(value))
    ids = [v for v in wanted if isinstance(v, int)]
    names = [v for v in wanted if isinstance(v, str)]
    by_id = {t.pk: t for t in Tag.objects.filter(pk__in=ids)} if ids else {}
    missing_ids = sorted(set(ids) - set(by_id))
    if missing_ids:
        raise ValidationError({"tags": f"No such tag: {', '.join(map(str, missing_ids))}."})
    by_name = (
        {
            t.name.lower(): t
            for t in Tag.objects.annotate(lname=Lower("name")).filter(lname__in=[n.lower() for n in names])
        }
        if names
        else {}
    )
    result: list[Tag] = []
    seen: set[int] = set()
    for value in wanted:
        if isinstance(value, Tag):
            tag = value
        elif isinstance(value, int):
            tag = by_id[value]
        else:
            tag = by_name.get(value.lower())
            if tag is None:
                if not create_missing:
                    raise ValidationError({"tags": f"No such tag: {value}."})
                tag = tag_create(actor=actor, name=value)
                by_name[value.lower()] = tag
        if tag.pk not in seen:
            seen.add(tag.pk)
            result.append(tag)
    return result


def _names(tags: Iterable[Tag]) -> str:
    return ", ".join(sorted((t.name for t in tags), key=str.lower))


def current_tags(record: WorkspaceScoped) -> list[Tag]:
    """The live tags of a record, from a prefetch when there is one.

    Lists prefetch with ``Prefetch("tagged_items", ..., to_attr="prefetched_tags")``.
    """
    items = getattr(record, "prefetched_tags", None)
    if items is None:
        items = record.tagged_items.all()
    return sorted((i.tag for i in items if i.tag.deleted_at is None), key=lambda t: t.name.lower())


def set_tags(
    *, actor: Actor, record: WorkspaceScoped, tags: Sequence[Tag], history: bool = True
) -> tuple[str, str] | None:
    """Make ``tags`` the record's tags; returns ``(old, new)`` names when something changed.

    With ``history=False`` the caller writes the History event (to group it with other changes).
    """
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=True)
    existing = {
        i.tag_id: i
        for i in TaggedItem.objects.filter(content_type=content_type, object_id=record.pk).select_related("tag")
    }
    old = [i.tag for i in existing.values() if i.tag.deleted_at is None]
    wanted = {t.pk: t for t in tags}
    to_add = [t for pk, t in wanted.items() if pk not in existing]
    to_remove = [pk for pk in existing if pk not in wanted]
    if not to_add and not to_remove:
        return None
    change = (_names(old), _names(wanted.values()))
    with transaction.atomic():
        if to_remove:
            # link rows, not records: the History event keeps the trace
            TaggedItem.objects.filter(
                content_type=content_type, object_id=record.pk, tag_id__in=to_remove
            ).hard_delete()
        TaggedItem.objects.bulk_create(
            [
                TaggedItem(workspace_id=record.workspace_id, tag=t, content_type=content_type, object_id=record.pk)
                for t in to_add
            ]
        )
        if history:
            record_event(record, "update", {"tags": list(change)}, current_audit())
    return change


def add_tags(*, actor: Actor, records: Sequence[WorkspaceScoped], tags: Sequence[Tag]) -> int:
    """Add tags to many records of one type (set-based); returns how many records changed."""
    return _bulk_change(records, tags, add=True)


def remove_tags(*, actor: Actor, records: Sequence[WorkspaceScoped], tags: Sequence[Tag]) -> int:
    return _bulk_change(records, tags, add=False)


def _bulk_change(records: Sequence[WorkspaceScoped], tags: Sequence[Tag], *, add: bool) -> int:
    if not records or not tags:
        return 0
    content_type = ContentType.objects.get_for_model(records[0], for_concrete_model=True)
    ids = [r.pk for r in records]
    tag_ids = [t.pk for t in tags]
    rows = TaggedItem.objects.filter(content_type=content_type, object_id__in=ids).select_related("tag")
    current: dict[int, dict[int, Tag]] = {pk: {} for pk in ids}
    for item in rows:
        current[item.object_id][item.tag_id] = item.tag
    changed = []
    with transaction.atomic():
        if add:
            new_rows = [
                TaggedItem(workspace_id=r.workspace_id, tag=t, content_type=content_type, object_id=r.pk)
                for r in records
                for t in tags
                if t.pk not in current[r.pk]
            ]
            TaggedItem.objects.bulk_create(new_rows, batch_size=500)
            changed_ids = {row.object_id for row in new_rows}
        else:
            changed_ids = {pk for pk, have in current.items() if set(have) & set(tag_ids)}
            TaggedItem.objects.filter(content_type=content_type, object_id__in=ids, tag_id__in=tag_ids).hard_delete()
        audit = current_audit()
        for record in records:
            if record.pk not in changed_ids:
                continue
            before = [t for t in current[record.pk].values() if t.deleted_at is None]
            after = (
                [*before, *[t for t in tags if t.pk not in current[record.pk]]]
                if add
                else [t for t in before if t.pk not in tag_ids]
            )
            record_event(record, "update", {"tags": [_names(before), _names(after)]}, audit)
            changed.append(record)
    return len(changed)


def tagged_q(content_type: ContentType, tag_ids: Sequence[int], *, mode: str = "any") -> models.Q:
    """A filter on the record's ``pk`` for records carrying any / all / none of the tags."""

    def exists(ids: Sequence[int]) -> models.Exists:
        return models.Exists(
            TaggedItem.objects.filter(content_type=content_type, object_id=models.OuterRef("pk"), tag_id__in=ids)
        )

    if mode == "none":
        return ~models.Q(exists(tag_ids))
    if mode == "all":
        q = models.Q()
        for tag_id in tag_ids:
            q &= models.Q(exists([tag_id]))
        return q
    return models.Q(exists(tag_ids))
