"""/api/v1/contacts/, /api/v1/companies/, /api/v1/tags/: CRUD, the list filter language, bulk writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from rapport.api.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_type
from rapport.api.viewsets import RecordViewSet
from rapport.contacts import selectors, services
from rapport.contacts.api_serializers import (
    BulkContactsSerializer,
    BulkResultSerializer,
    CompanySerializer,
    ContactSerializer,
    TagSerializer,
)
from rapport.contacts.listing import FilterError
from rapport.contacts.models import Company, Contact
from rapport.core.models import ConflictError
from rapport.core.permissions import can_change
from rapport.tags import services as tag_services
from rapport.tags.models import Tag

BULK_LIMIT = 1000

LIST_PARAMETERS = [
    OpenApiParameter(
        "filter",
        str,
        many=True,
        description=(
            "Repeatable. `field:operator:value`, e.g. `lifecycle_stage:eq:customer`, `owner:eq:me`, "
            "`tags:has:vip`, `custom.budget:gt:1000`. Operators by type: text eq ne contains not_contains "
            "startswith is_empty is_not_empty; choice eq ne in not_in; number/date eq ne lt lte gt gte; "
            "datetime lt lte gt gte on; user eq ne in not_in (value: id or `me`); tags has has_not has_any "
            "has_all. An unknown field or operator is a 400 naming it."
        ),
    ),
    OpenApiParameter("logic", str, enum=["and", "or"], description="How filters combine (default `and`)."),
    OpenApiParameter(
        "ordering",
        str,
        description="One field, `-` for descending: any list column, custom fields as `custom.<key>`. "
        "Default `-created_at`. Empty values sort last.",
    ),
]


def _rows(errors: DjangoValidationError) -> list[tuple[str | None, str]]:
    if hasattr(errors, "error_dict"):
        return [(None if k == "__all__" else k, m) for k, msgs in errors.message_dict.items() for m in msgs]
    return [(None, m) for m in errors.messages]


class ListingMixin:
    """List with the shared filter language and keyset pages (rapport.contacts.listing)."""

    record_type = ""
    list_fn: Any = None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        spec = selectors.list_spec(self.record_type, self.actor)
        ordering = request.query_params.get("ordering") or None
        if ordering and "," in ordering:
            raise serializers.ValidationError({"ordering": ["Order by one field (the id breaks ties)."]})
        try:
            query = selectors.ListQuery.parse(
                spec,
                filters=request.query_params.getlist("filter"),
                logic=request.query_params.get("logic"),
                sort=ordering,
                cursor=request.query_params.get("cursor"),
                size=request.query_params.get("page_size"),
            )
            result = type(self).list_fn(self.actor, query, count=False, nested=True)
        except FilterError as exc:
            param = "ordering" if exc.param == "sort" else exc.param
            raise serializers.ValidationError(
                {param: [f"{exc.field}: {exc.detail}" if exc.field else exc.detail]}
            ) from None
        data = self.get_serializer(result.page.rows, many=True).data
        next_url = None
        if result.page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", result.page.next_cursor)
        return Response({"next": next_url, "previous": None, "results": data})


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class ContactViewSet(ListingMixin, RecordViewSet):
    """Contacts the actor can see, with their emails, phones, addresses, tags and custom values."""

    model = Contact
    serializer_class = ContactSerializer
    record_type = "contact"
    list_fn = staticmethod(selectors.contact_list)

    def get_base_queryset(self) -> models.QuerySet:
        return selectors.contact_detail_queryset(self.actor)

    def _split(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        nested = {k: data.pop(k) for k in ContactSerializer.nested_fields if k in data}
        if "emails" in nested:
            nested["emails"] = [dict(e) for e in nested["emails"]]
        if "phones" in nested:
            nested["phones"] = [dict(p) for p in nested["phones"]]
        if "addresses" in nested:
            nested["addresses"] = [dict(a) for a in nested["addresses"]]
        return data, nested

    def create_record(self, serializer: serializers.BaseSerializer) -> Contact:
        data, nested = self._split(dict(serializer.validated_data))
        contact = services.contact_create(actor=self.actor, data=data, **nested)
        return self.get_queryset().get(pk=contact.pk)

    def update_record(self, record: Contact, data: dict[str, Any], *, expected_version: int | None) -> Contact:
        data, nested = self._split(data)
        services.contact_update(
            actor=self.actor, contact=record, data=data, expected_version=expected_version, **nested
        )
        return self.get_queryset().get(pk=record.pk)

    def delete_record(self, record: Contact, *, expected_version: int | None) -> None:
        services.contact_delete(actor=self.actor, contact=record, expected_version=expected_version)

    @extend_schema(
        request=BulkContactsSerializer,
        responses={
            201: BulkResultSerializer,
            200: BulkResultSerializer,
            400: OpenApiResponse(description="problem+json; `errors[]` items carry `index`, `field`, `detail`."),
        },
        description=(
            "All or nothing, up to 1,000 contacts a call. POST creates every item; PATCH updates items "
            "identified by `id` (with an optional `version` checked like If-Match). When any item fails, "
            "nothing is written and the 400 problem lists every error with the item's index."
        ),
    )
    @action(detail=False, methods=["post", "patch"], url_path="bulk")
    def bulk(self, request: Request) -> Response:
        payload = BulkContactsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        items = payload.validated_data["items"]
        creating = request.method == "POST"
        errors: list[dict[str, Any]] = []
        done: list[int] = []
        with transaction.atomic():
            for index, item in enumerate(items):
                try:
                    with transaction.atomic():
                        done.append(self._bulk_item(dict(item), creating))
                except serializers.ValidationError as exc:
                    from rapport.api.problems import flatten_errors

                    errors += [
                        {"index": index, "field": e["field"], "detail": e["detail"]} for e in flatten_errors(exc.detail)
                    ]
                except DjangoValidationError as exc:
                    errors += [{"index": index, "field": f, "detail": d} for f, d in _rows(exc)]
                except ConflictError as exc:
                    errors.append({"index": index, "field": "version", "detail": str(exc)})
            if errors:
                transaction.set_rollback(True)
        if errors:
            body = problem_body(
                status_code=400,
                title="Invalid request",
                detail=f"{len({e['index'] for e in errors})} of {len(items)} items are not valid; nothing was written.",
                instance=request.path,
                type_=problem_type("validation-error"),
                errors=errors,
            )
            return Response(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
        rows = list(self.get_queryset().filter(pk__in=done))
        by_id = {r.pk: r for r in rows}
        data = ContactSerializer([by_id[pk] for pk in done], many=True, context=self.get_serializer_context()).data
        return Response(
            {"count": len(done), "results": data}, status=status.HTTP_201_CREATED if creating else status.HTTP_200_OK
        )

    def _bulk_item(self, item: dict[str, Any], creating: bool) -> int:
        from django.core.exceptions import PermissionDenied

        record = None
        version = None
        if not creating:
            pk = item.pop("id", None)
            version = item.pop("version", None)
            record = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
            if record is None:
                raise DjangoValidationError({"id": f"No such contact (id {pk})."})
            if not can_change(self.actor, record):
                raise DjangoValidationError({"id": "You may view this contact but not change it."})
        serializer = ContactSerializer(record, data=item, partial=not creating, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data, nested = self._split(dict(serializer.validated_data))
        try:
            if creating:
                return services.contact_create(actor=self.actor, data=data, **nested).pk
            services.contact_update(actor=self.actor, contact=record, data=data, expected_version=version, **nested)
            return record.pk
        except PermissionDenied as exc:
            raise DjangoValidationError({"id": str(exc)}) from None


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class CompanyViewSet(ListingMixin, RecordViewSet):
    """Companies the actor can see, with their domains, addresses, tags and custom values."""

    model = Company
    serializer_class = CompanySerializer
    record_type = "company"
    list_fn = staticmethod(selectors.company_list)

    def get_base_queryset(self) -> models.QuerySet:
        return selectors.company_detail_queryset(self.actor)

    def _split(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        nested = {k: data.pop(k) for k in CompanySerializer.nested_fields if k in data}
        for key in ("domains", "addresses"):
            if key in nested:
                nested[key] = [dict(row) for row in nested[key]]
        return data, nested

    def create_record(self, serializer: serializers.BaseSerializer) -> Company:
        data, nested = self._split(dict(serializer.validated_data))
        company = services.company_create(actor=self.actor, data=data, **nested)
        return self.get_queryset().get(pk=company.pk)

    def update_record(self, record: Company, data: dict[str, Any], *, expected_version: int | None) -> Company:
        data, nested = self._split(data)
        services.company_update(
            actor=self.actor, company=record, data=data, expected_version=expected_version, **nested
        )
        return self.get_queryset().get(pk=record.pk)

    def delete_record(self, record: Company, *, expected_version: int | None) -> None:
        services.company_delete(actor=self.actor, company=record, expected_version=expected_version)


class TagViewSet(RecordViewSet):
    """The workspace's tags. Members with write access create them; owners and admins rename and delete."""

    model = Tag
    serializer_class = TagSerializer
    ordering_fields = ("name", "created_at", "updated_at")
    ordering = ("name",)

    def get_base_queryset(self) -> models.QuerySet:
        return Tag.objects.all()

    def _admin_only(self) -> None:
        from django.core.exceptions import PermissionDenied

        if not self.actor.is_admin:
            raise PermissionDenied("Only owners and admins rename, recolour or delete tags.")

    def create_record(self, serializer: serializers.BaseSerializer) -> Tag:
        data = serializer.validated_data
        return tag_services.tag_create(actor=self.actor, name=data["name"], colour=data.get("colour", "grey"))

    def update_record(self, record: Tag, data: dict[str, Any], *, expected_version: int | None) -> Tag:
        self._admin_only()
        tag_services.tag_update(actor=self.actor, tag=record, data=data, expected_version=expected_version)
        return record

    def delete_record(self, record: Tag, *, expected_version: int | None) -> None:
        self._admin_only()
        tag_services.tag_delete(actor=self.actor, tag=record, expected_version=expected_version)
