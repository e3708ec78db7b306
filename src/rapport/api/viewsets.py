"""RecordViewSet: the base of every business-record endpoint (contacts, deals, ...).

A subclass declares the model, the serializer and what clients may order by::

    class ContactViewSet(RecordViewSet):
        model = Contact
        serializer_class = ContactSerializer
        ordering_fields = ("created_at", "updated_at", "last_name")

        def get_base_queryset(self):
            return Contact.objects.select_related("owner", "company")

and gets: visibility through rapport.core.permissions.visible(); writes through overridable hooks
that call services; strong ETags with If-Match (412) and If-None-Match (304); soft delete;
``?fields=`` sparse responses; ``?ordering=`` checked against ``ordering_fields``; cursor pages.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from django.db import models, transaction
from django.http import Http404
from django.urls import NoReverseMatch
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from rapport.api.pagination import CursorPagination
from rapport.api.permissions import IsWorkspaceMember, RecordWritePermission, TokenScopePermission
from rapport.api.problems import PreconditionFailed
from rapport.core.models import WorkspaceScoped
from rapport.core.permissions import Actor, visible
from rapport.core.services import record_delete, record_update


def etag_for(record: WorkspaceScoped) -> str:
    return f'"{record.version}"'


def parse_etags(header: str) -> list[str] | None:
    """An If-Match / If-None-Match value -> its entity tags; None for ``*`` (any)."""
    header = header.strip()
    if header == "*":
        return None
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weak_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


class RecordViewSet(viewsets.ModelViewSet):
    model: ClassVar[type[WorkspaceScoped]]
    #: Fields clients may name in ``?ordering=`` (non-null, ideally indexed with the workspace first).
    ordering_fields: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    #: Default ordering; ``id`` is appended as the tie-breaker the cursor needs.
    ordering: ClassVar[tuple[str, ...]] = ("-created_at", "-id")
    #: A capability (core/roles.py) needed for every write, e.g. "teams.manage"; None: record rights only.
    write_capability: ClassVar[str | None] = None
    #: The capability needed to create records.
    create_capability: ClassVar[str | None] = "records.create"

    permission_classes = [IsWorkspaceMember, TokenScopePermission, RecordWritePermission]
    pagination_class = CursorPagination
    lookup_value_regex = "[0-9]+"  # for routers built with regex paths
    lookup_value_converter = "int"  # for SimpleRouter(use_regex_path=False), as in rapport.api.urls

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "model", None) is not None and cls.queryset is None:
            # Lets schema tools find the model; requests use get_queryset(). No manager: no scope needed here.
            cls.queryset = models.QuerySet(model=cls.model).none()

    # -- reading
    @property
    def actor(self) -> Actor:
        return self.request._request.actor

    def get_base_queryset(self) -> models.QuerySet:
        """Override to add select_related/prefetch_related; visibility is applied on top."""
        return self.model.objects.all()

    def get_queryset(self) -> models.QuerySet:
        return visible(self.get_base_queryset(), self.actor)

    def get_object(self) -> WorkspaceScoped:
        lookup = self.lookup_url_kwarg or self.lookup_field
        try:
            record = self.get_queryset().get(**{self.lookup_field: self.kwargs[lookup]})
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404(f"No such {self.model._meta.verbose_name}.") from None
        self.check_object_permissions(self.request, record)
        return record

    def get_ordering(self) -> tuple[str, ...]:
        """The ordering asked for in ``?ordering=a,-b`` (checked against ordering_fields) plus the id tie-breaker."""
        if hasattr(self, "_ordering"):
            return self._ordering
        raw = self.request.query_params.get("ordering", "")
        wanted = tuple(part.strip() for part in raw.split(",") if part.strip())
        if wanted:
            allowed_names = {*self.ordering_fields, "id"}
            bad = [part for part in wanted if part.lstrip("-") not in allowed_names]
            if bad:
                allowed = ", ".join((*self.ordering_fields, "id"))
                raise serializers.ValidationError(
                    {"ordering": [f"Cannot order by {', '.join(bad)}. Allowed: {allowed} (prefix - for descending)."]}
                )
        ordering = wanted or tuple(self.ordering)
        if not any(part.lstrip("-") in ("id", "pk") for part in ordering):
            ordering += ("-id" if ordering[0].startswith("-") else "id",)
        self._ordering = ordering
        return ordering

    def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            queryset = queryset.order_by(*self.get_ordering())
        return queryset

    def sparse_fields(self) -> set[str] | None:
        raw = self.request.query_params.get("fields")
        if raw is None or self.request.method not in SAFE_METHODS:
            return None
        return {name.strip() for name in raw.split(",") if name.strip()}

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        serializer = super().get_serializer(*args, **kwargs)
        wanted = self.sparse_fields()
        if wanted is not None:
            target = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
            unknown = sorted(wanted - set(target.fields))
            if unknown or not wanted:
                raise serializers.ValidationError(
                    {
                        "fields": [
                            f"Unknown field(s): {', '.join(unknown) or '(none given)'}. "
                            f"Available: {', '.join(target.fields)}."
                        ]
                    }
                )
            for name in list(target.fields):
                if name not in wanted:
                    target.fields.pop(name)
        return serializer

    def retrieve(self, request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        etag = etag_for(record)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = parse_etags(if_none_match)
            if tags is None or any(_weak_equal(tag, etag) for tag in tags):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(record).data, headers={"ETag": etag})

    # -- preconditions
    def expected_version(self, record: WorkspaceScoped) -> int | None:
        """Check If-Match against the record: 412 on mismatch; the version to hold the write to, or None."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return None
        tags = parse_etags(header)
        if tags is None:
            return record.version
        current = etag_for(record)
        if current not in tags:  # strong comparison: W/ tags never match
            raise PreconditionFailed(
                f"If-Match {header} does not match the current ETag {current}; nothing was written. "
                "Fetch the record again and retry.",
                current_version=record.version,
            )
        return record.version

    # -- writing: override these hooks to call the app's own services
    def create_record(self, serializer: serializers.BaseSerializer) -> WorkspaceScoped:
        return serializer.save()

    def update_record(
        self, record: WorkspaceScoped, data: dict[str, Any], *, expected_version: int | None
    ) -> WorkspaceScoped:
        record_update(actor=self.actor, record=record, data=data, fields=data.keys(), expected_version=expected_version)
        return record

    def delete_record(self, record: WorkspaceScoped, *, expected_version: int | None) -> None:
        record_delete(actor=self.actor, record=record, expected_version=expected_version)

    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            record = self.create_record(serializer)
        headers = {"ETag": etag_for(record)}
        with contextlib.suppress(NoReverseMatch):  # a viewset routed without a detail route
            headers["Location"] = self.reverse_action("detail", kwargs={self.lookup_url_kwarg or "pk": record.pk})
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        record = self.get_object()
        expected = self.expected_version(record)
        serializer = self.get_serializer(record, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            record = self.update_record(record, dict(serializer.validated_data), expected_version=expected)
        return Response(self.get_serializer(record).data, headers={"ETag": etag_for(record)})

    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        expected = self.expected_version(record)
        with transaction.atomic():
            self.delete_record(record, expected_version=expected)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ModelViewSet's perform_* hooks are not used; keep anyone from relying on them by mistake.
    def perform_create(self, serializer):  # pragma: no cover - guarded
        raise NotImplementedError("Override create_record() instead.")

    def perform_update(self, serializer):  # pragma: no cover - guarded
        raise NotImplementedError("Override update_record() instead.")

    def perform_destroy(self, instance):  # pragma: no cover - guarded
        raise NotImplementedError("Override delete_record() instead.")
