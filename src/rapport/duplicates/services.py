"""Find likely duplicates (contacts and companies) and merge them, undoably.

Detection runs in the database (GROUP BY over indexed, normalised columns), so it scales to
millions of rows: contacts sharing an e-mail address, a phone number (digits), or a full name;
companies sharing a normalised name (legal suffixes such as Inc., Ltd, GmbH removed) or a web
domain. Every rule is a blocking key: records are only ever compared through an equal key, never
pair by pair. Only records the person sees are considered, and the scan stops once it has the
groups it shows (see :func:`scan`).

A merge keeps one record (the survivor), copies onto it the value chosen for each field, moves
every related row of the others to it (see :mod:`rapport.duplicates.relations`) and puts the
others in the recycle bin. The :class:`Merge` row remembers what moved and what the survivor was,
so :func:`merge_undo` restores everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from rapport.contacts.models import Company, CompanyDomain, Contact, EmailAddress, PhoneNumber
from rapport.core import services as core_services
from rapport.core.permissions import Actor, can_change, visible
from rapport.duplicates.models import Merge
from rapport.duplicates.relations import move_back, move_related

MODELS = {"contact": Contact, "company": Company}
LEGAL_SUFFIX = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|co|corp|corporation|company|kg|oy|ab|srl|spa)\b\.?",
    re.IGNORECASE,
)


@dataclass
class Group:
    reason: str
    key: str
    ids: list[int] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)


def normalise_company_name(name: str) -> str:
    text = LEGAL_SUFFIX.sub(" ", name.lower())
    return re.sub(r"[^0-9a-z\u00c0-\uffff]+", "", text)


CHUNK = 2000  # rows fetched at a time while the duplicate rows stream in
#: What the Duplicates page and the API show of a record in a group (its name, id and creation date).
SHOWN_FIELDS = {
    "contact": ("id", "workspace_id", "owner_id", "first_name", "last_name", "primary_email", "created_at"),
    "company": ("id", "workspace_id", "owner_id", "name", "created_at"),
}


def _groups_by(
    rows: models.QuerySet, key_field: str, id_field: str, seen: models.QuerySet | None = None
) -> Iterator[tuple[str, list[int]]]:
    """``(key, ids)`` for each key shared by two or more records, in key order, ids ascending.

    One query: the keys held by two or more different records (``GROUP BY key HAVING MIN(id) <
    MAX(id)``, which a hash aggregate can do, unlike ``COUNT(DISTINCT id)``), their rows of records
    in ``seen`` (the ones the actor sees, out of the recycle bin) when given, sorted by key and id.
    The rows stream in (a server-side cursor on PostgreSQL inside a transaction), so a caller that
    stops early leaves the rest unread.
    """
    keys = (
        rows.values(key_field)
        .annotate(first=models.Min(id_field), last=models.Max(id_field))
        .filter(first__lt=models.F("last"))
        .values(key_field)
    )
    found = rows if seen is None else rows.filter(**{f"{id_field}__in": seen.values("pk")})
    found = (
        found.filter(**{f"{key_field}__in": keys})
        .values_list(key_field, id_field)
        .order_by(key_field, id_field)
        .distinct()
    )
    current: str | None = None
    ids: list[int] = []
    for key, record_id in found.iterator(chunk_size=CHUNK):
        if key != current:
            if len(ids) > 1:
                yield current, ids  # type: ignore[misc]
            current, ids = key, []
        ids.append(record_id)
    if len(ids) > 1:
        yield current, ids  # type: ignore[misc]


def _contact_groups(seen: models.QuerySet, workspace_id: int) -> Iterator[Group]:
    emails = EmailAddress.objects.filter(workspace_id=workspace_id)
    for key, ids in _groups_by(emails, "email", "contact_id", seen):
        yield Group("Same e-mail", key, ids)
    phones = PhoneNumber.objects.filter(workspace_id=workspace_id)
    for key, ids in _groups_by(phones, "digits", "contact_id", seen):
        yield Group("Same phone", f"+{key}", ids)
    names = seen.exclude(first_name="", last_name="").annotate(
        k=Lower(models.functions.Concat("first_name", models.Value(" "), "last_name"))
    )
    for key, ids in _groups_by(names, "k", "id"):
        yield Group("Same name", key, ids)


def _company_groups(seen: models.QuerySet, workspace_id: int) -> Iterator[Group]:
    # The legal-suffix rule is a Python regular expression (SQL dialects differ), so names are
    # normalised here, one pass in pk order; only keys seen twice keep a list.
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for pk, name in seen.values_list("pk", "name").order_by("pk").iterator(chunk_size=5000):
        key = normalise_company_name(name)
        if not key:
            continue
        if key in shared:
            shared[key].append(pk)
        elif key in first:
            shared[key] = [first.pop(key), pk]
        else:
            first[key] = pk
    del first
    ordered = sorted(shared.items(), key=lambda item: item[1][0])  # as first seen, like the page always showed
    yield from (Group("Similar name", key, ids) for key, ids in ordered)
    domains = CompanyDomain.objects.filter(workspace_id=workspace_id).annotate(k=Lower("domain"))
    for key, ids in _groups_by(domains, "k", "company_id", seen):
        yield Group("Same domain", key, ids)


def find_groups(actor: Actor, record_type: str) -> Iterator[Group]:
    """Every likely duplicate group among the records the actor sees, lazily, ids only (no records).

    Groups come reason by reason (contacts: e-mail, phone, name; companies: name, domain), each in
    key order; a group with the same records as an earlier one is left out. One query per reason,
    whatever the data; on PostgreSQL, consume it inside a transaction so rows stream from a
    server-side cursor (outside one, each query's rows are all read before the first group).
    """
    if record_type not in MODELS:
        raise ValidationError({"record_type": f"Choose one of: {', '.join(MODELS)}."})
    model = MODELS[record_type]
    seen = visible(model.objects.all(), actor)
    source = _contact_groups if model is Contact else _company_groups
    emitted: set[tuple[int, ...]] = set()
    for group in source(seen, actor.workspace.pk):
        ids = tuple(sorted(group.ids))
        if ids not in emitted:
            emitted.add(ids)
            yield group


def scan(actor: Actor, record_type: str, limit: int = 200) -> list[Group]:
    """The first ``limit`` likely duplicate groups (:func:`find_groups`), with their records.

    The scan stops reading as soon as it has ``limit`` groups, so its cost follows what is shown
    (and the reasons it reaches), not every duplicate row in the workspace.
    """
    result: list[Group] = []
    with transaction.atomic():
        groups = find_groups(actor, record_type)
        try:
            for group in groups if limit > 0 else ():
                result.append(group)
                if len(result) >= limit:
                    break
        finally:
            groups.close()
        wanted = sorted({i for g in result for i in g.ids})
        step = connection.features.max_query_params or len(wanted) or 1
        shown = visible(MODELS[record_type].objects.all(), actor).only(*SHOWN_FIELDS[record_type])
        records: dict[int, Any] = {}
        for start in range(0, len(wanted), step):  # one query, unless the database caps parameters
            records.update((r.pk, r) for r in shown.filter(pk__in=wanted[start : start + step]))
    for group in result:
        group.records = [records[i] for i in group.ids if i in records]
    return [g for g in result if len(g.records) > 1]


def lookalikes(
    actor: Actor,
    record_type: str,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    name: str = "",
    domain: str = "",
) -> list[Any]:
    """Existing records that a record about to be created looks like (for the warning on the form)."""
    model = MODELS[record_type]
    seen = visible(model.objects.all(), actor)
    q = models.Q(pk__in=[])
    if model is Contact:
        if email.strip():
            q |= models.Q(pk__in=EmailAddress.objects.filter(email=email.strip().lower()).values("contact_id"))
        if first_name.strip() and last_name.strip():
            q |= models.Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip())
    else:
        if name.strip():
            q |= models.Q(name__iexact=name.strip())
        if domain.strip():
            q |= models.Q(
                pk__in=CompanyDomain.objects.filter(domain=domain.strip().lower(), is_live=True).values("company_id")
            )
    return list(seen.filter(q).order_by("pk")[:5])


MERGEABLE = {
    "contact": (
        "first_name",
        "last_name",
        "job_title",
        "company",
        "birthday",
        "lead_source",
        "lifecycle_stage",
        "lead_status",
        "owner",
    ),
    "company": (
        "name",
        "industry",
        "size",
        "annual_revenue",
        "revenue_currency",
        "phone",
        "website",
        "parent",
        "lifecycle_stage",
        "description",
        "owner",
    ),
}


def merge(
    *, actor: Actor, record_type: str, ids: list[int], survivor_id: int, choices: dict[str, int] | None = None
) -> Merge:
    """Merge ``ids`` into ``survivor_id``; ``choices`` {field: record id} picks each field's value."""
    model = MODELS[record_type]
    ids = list(dict.fromkeys(int(i) for i in ids))
    if len(ids) < 2 or survivor_id not in ids:
        raise ValidationError({"ids": "Choose two or more records, one of which is kept."})
    records = {r.pk: r for r in visible(model.objects.all(), actor).filter(pk__in=ids)}
    if len(records) != len(ids):
        raise ValidationError({"ids": "Some of these records do not exist or you cannot see them."})
    if not all(can_change(actor, r) for r in records.values()):
        raise PermissionDenied("You may not change every one of these records.")
    survivor = records[survivor_id]
    losers = [records[i] for i in ids if i != survivor_id]
    choices = choices or {}
    unknown = sorted(
        set(choices) - set(MERGEABLE[record_type]) - {f"custom.{k}" for r in records.values() for k in r.custom}
    )
    if unknown:
        raise ValidationError({"choices": f"Unknown fields: {', '.join(unknown)}."})
    bad = sorted(f for f, pk in choices.items() if int(pk) not in records)
    if bad:
        raise ValidationError({"choices": f"Take each value from one of the merged records ({', '.join(bad)})."})
    with transaction.atomic():
        before = {f: _json(getattr(survivor, model._meta.get_field(f).attname)) for f in MERGEABLE[record_type]}
        before["custom"] = survivor.custom
        for name in MERGEABLE[record_type]:
            source = records[int(choices[name])] if name in choices else None
            attname = model._meta.get_field(name).attname
            if source is not None:
                setattr(survivor, attname, getattr(source, attname))
            elif getattr(survivor, attname) in (None, ""):
                filled = next((getattr(r, attname) for r in losers if getattr(r, attname) not in (None, "")), None)
                if filled is not None:
                    setattr(survivor, attname, filled)
        custom = {}
        for record in [*reversed(losers), survivor]:
            custom.update({k: v for k, v in record.custom.items() if v not in (None, "", [])})
        for key, pk in choices.items():
            if key.startswith("custom."):
                custom[key.removeprefix("custom.")] = records[int(pk)].custom.get(key.removeprefix("custom."))
        survivor.custom = custom
        if model is Company and survivor.parent_id in ids:
            survivor.parent_id = None
        survivor.save()
        loser_ids = [r.pk for r in losers]
        for loser in losers:
            core_services.record_delete(actor=actor, record=loser)
        moved, left = move_related(model, loser_ids, survivor.pk)
        moved.extend(_single_primary(survivor))
        record = Merge(
            workspace_id=actor.workspace.pk,
            owner_id=actor.user.pk,
            content_type=ContentType.objects.get_for_model(model),
            survivor_id=survivor.pk,
            loser_ids=loser_ids,
            survivor_before=before,
            moved=moved,
        )
        record.save()
        _reindex(survivor)
    record.left_behind = left
    return record


def _json(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return str(value) if value is not None and not isinstance(value, str | int | float | bool) else value


def _single_primary(survivor: Any) -> list[list[Any]]:
    """After e-mails and phones moved over, only the survivor's own primary stays primary."""
    changes: list[list[Any]] = []
    if not isinstance(survivor, Contact):
        return changes
    for rows, label in ((survivor.emails, "contacts.emailaddress"), (survivor.phones, "contacts.phonenumber")):
        primaries = list(rows.filter(is_primary=True).order_by("id").values_list("pk", flat=True))
        for pk in primaries[1:]:
            rows.filter(pk=pk).update(is_primary=False)
            changes.append([label, pk, "is_primary", True])
    return changes


def _reindex(record: Any) -> None:
    from rapport.contacts import services as contact_services

    record.refresh_from_db()
    if isinstance(record, Contact):
        contact_services.index_contact(record)
    else:
        contact_services.index_company(record)


def merge_undo(*, actor: Actor, merge_record: Merge) -> None:
    """Bring the others back from the recycle bin, move their rows back, restore the survivor's values."""
    if not actor.is_admin:
        raise PermissionDenied("Only owners and admins undo a merge: it restores records from the recycle bin.")
    if merge_record.undone_at is not None:
        raise ValidationError("This merge was already undone.")
    model = merge_record.content_type.model_class()
    survivor = visible(model.objects.all(), actor).filter(pk=merge_record.survivor_id).first()
    if survivor is None or not can_change(actor, survivor):
        raise PermissionDenied("You may not change the record this merge kept.")
    with transaction.atomic():
        merge_record.undone_at = timezone.now()  # first: the recycle bin's guard then lets the losers back
        merge_record.save()
        move_back(merge_record.moved)
        for loser in model.all_objects.filter(pk__in=merge_record.loser_ids, deleted_at__isnull=False):
            core_services.record_restore(actor=actor, record=loser)
            _reindex(loser)
        before = merge_record.survivor_before
        for name, value in before.items():
            if name == "custom":
                survivor.custom = value
                continue
            setattr(survivor, model._meta.get_field(name).attname, value)
        survivor.full_clean(validate_constraints=False)
        survivor.save()
        _reindex(survivor)
