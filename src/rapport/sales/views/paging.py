"""Keyset pagination for the sales lists: the rows after a (value, id) cursor, never OFFSET."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from decimal import Decimal
from typing import Any

from django.db import models

SORTS: dict[str, tuple[str, str]] = {
    "-created": ("created_at", "desc"),
    "created": ("created_at", "asc"),
    "name": ("name", "asc"),
    "-name": ("name", "desc"),
    "-amount": ("amount", "desc"),
    "amount": ("amount", "asc"),
    "-updated": ("updated_at", "desc"),
}


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else str(value), pk])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, field: str) -> tuple[Any, int] | None:
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if field in ("created_at", "updated_at"):
            value = datetime.datetime.fromisoformat(value)
        elif field == "amount":
            value = Decimal(value)
        return value, int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, ArithmeticError):
        return None


def keyset(queryset: models.QuerySet, sort: str, cursor: str) -> models.QuerySet:
    """Keyset pagination: the rows after the cursor's (value, id), never OFFSET."""
    field, direction = SORTS[sort]
    desc = direction == "desc"
    queryset = queryset.order_by(f"-{field}" if desc else field, "-id" if desc else "id")
    position = decode_cursor(cursor, field) if cursor else None
    if position is not None:
        value, pk = position
        op = "lt" if desc else "gt"
        queryset = queryset.filter(models.Q(**{f"{field}__{op}": value}) | models.Q(**{field: value, f"id__{op}": pk}))
    return queryset
