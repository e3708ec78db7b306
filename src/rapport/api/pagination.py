"""Keyset ("cursor") pagination: no OFFSET, no COUNT, stable while rows are added.

The cursor holds the ordering values of the row at the edge of the page (for ``-created_at,-id``:
that row's created_at and id); the next page is every row strictly after it in the same ordering.
The ordering must end with a unique field (RecordViewSet adds ``id``) and use non-null fields.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import uuid
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination as BaseCursorPagination
from rest_framework.utils.urls import replace_query_param

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Cursor:
    values: list[Any]
    reverse: bool


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _reverse(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in ordering)


def rows_after(ordering: tuple[str, ...], values: list[Any]) -> models.Q:
    """Rows strictly after ``values`` in ``ordering``: (a, b) after (x, y) is a > x OR (a = x AND b > y)."""
    clauses = []
    equal: dict[str, Any] = {}
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        clauses.append(models.Q(**equal, **{f"{name}__{op}": value}))
        equal[name] = value
    return reduce(or_, clauses)


class CursorPagination(BaseCursorPagination):
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    page_size_query_description = f"Number of results per page (1 to {MAX_PAGE_SIZE}; larger values are capped)."
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = "This cursor is not valid (or belongs to another ordering); start from the first page."

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."})
        return min(size, self.max_page_size)

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = view.get_ordering() if hasattr(view, "get_ordering") else self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    # -- cursors
    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii") + b"=" * (-len(encoded) % 4)))
            values, reverse, ordering = data["v"], bool(data.get("r")), data["o"]
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            raise ValidationError({self.cursor_query_param: self.invalid_cursor_message}) from None
        if ordering != ",".join(self.ordering) or not isinstance(values, list) or len(values) != len(self.ordering):
            raise ValidationError({self.cursor_query_param: self.invalid_cursor_message})
        return Cursor(values=values, reverse=reverse)

    def encode_cursor(self, cursor: Cursor) -> str:
        payload = {"v": cursor.values, "o": ",".join(self.ordering)}
        if cursor.reverse:
            payload["r"] = 1
        encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def _position(self, instance: Any) -> list[Any]:
        values = []
        for field in self.ordering:
            name = field.lstrip("-")
            value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
            if value is None:
                raise ImproperlyConfigured(f"Cursor pagination cannot order by {name!r}: a row has no value for it.")
            values.append(_jsonable(value))
        return values

    # -- the page
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        ordering = _reverse(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*ordering)
        if self.cursor is not None:
            try:
                queryset = queryset.filter(rows_after(ordering, self.cursor.values))
            except (DjangoValidationError, ValueError, TypeError):
                raise ValidationError({self.cursor_query_param: self.invalid_cursor_message}) from None
        rows = list(queryset[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_previous, self.has_next = has_more, True
        else:
            self.has_previous, self.has_next = self.cursor is not None, has_more
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        values = self._position(self.page[-1]) if self.page else self.cursor.values
        return self.encode_cursor(Cursor(values=values, reverse=False))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        values = self._position(self.page[0]) if self.page else self.cursor.values
        return self.encode_cursor(Cursor(values=values, reverse=True))
