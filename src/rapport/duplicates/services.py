"""Find likely duplicates (contacts and companies) and merge them, undoably.

Detection runs in the database (GROUP BY over indexed, normalised columns), so it scales to
millions of rows: contacts sharing an e-mail address, a phone number (digits), or a full name;
companies sharing a normalised name (legal suffixes such as Inc., Ltd, GmbH removed) or a web
domain. Only records the person sees are considered.

A merge keeps one record (the survivor), copies onto it the value chosen for each field, moves
every related row of the others to it (see :mod:`rapport.duplicates.relations`) and puts the
others in the recycle bin. The :class:`Merge` row remembers what moved and what the survivor was,
so :func:`merge_undo` restores everything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
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


def _groups_by(values: models.QuerySet, key_field: str, id_field: str) -> dict[str, list[int]]:
    dupes = (
        values.values(key_field)
        .annotate(n=models.Count(id_field, distinct=True))
        .filter(n__gt=1)
        .values_list(key_field, flat=True)
    )
    groups: dict[str, list[int]] = defaultdict(list)
    for key, record_id in (
        values.filter(**{f"{key_field}__in": dupes}).values_list(key_field, id_field).order_by(key_field, id_field)
    ):
        if record_id not in groups[key]:
            groups[key].append(record_id)
    return groups


def scan(actor: Actor, record_type: str, limit: int = 200) -> list[Group]:
    """Likely duplicate groups among the records the actor sees (at most ``limit`` groups)."""
    model = MODELS[record_type]
    seen = visible(model.objects.all(), actor)
    groups: list[Group] = []
    if model is Contact:
        live = EmailAddress.objects.filter(contact__in=seen.values("pk"))
        for key, ids in _groups_by(live, "email", "contact_id").items():
            groups.append(Group("Same e-mail", key, ids))
        phones = PhoneNumber.objects.filter(contact__in=seen.values("pk"))
        for key, ids in _groups_by(phones, "digits", "contact_id").items():
            groups.append(Group("Same phone", f"+{key}", ids))
        names = seen.exclude(first_name="", last_name="").annotate(
            k=Lower(models.functions.Concat("first_name", models.Value(" "), "last_name"))
        )
        for key, ids in _groups_by(names, "k", "id").items():
            groups.append(Group("Same name", key, ids))
    else:
        by_name: dict[str, list[int]] = defaultdict(list)
        for pk, name in seen.values_list("pk", "name").order_by("pk").iterator(chunk_size=5000):
            by_name[normalise_company_name(name)].append(pk)
        groups.extend(Group("Similar name", key, ids) for key, ids in by_name.items() if key and len(ids) > 1)
        domains = CompanyDomain.objects.filter(company__in=seen.values("pk"))
        root = domains.annotate(k=Lower("domain"))
        for key, ids in _groups_by(root, "k", "company_id").items():
            groups.append(Group("Same domain", key, ids))
    unique: dict[tuple[int, ...], Group] = {}
    for group in groups:
        unique.setdefault(tuple(sorted(group.ids)), group)
    result = list(unique.values())[:limit]
    records = {r.pk: r for r in seen.filter(pk__in={i for g in result for i in g.ids})}
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
