"""OpenAPI: the two authentication schemes, problem+json error responses, and RecordViewSet's parameters.

``AutoSchema`` is REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]; the extensions register on import
(ApiConfig.ready imports this module).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from rapport.api.problems import PROBLEM_CONTENT_TYPE


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "rapport.api.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "rpt_<prefix>_<secret>",
            "description": "A personal API token (Settings → API tokens), bound to one workspace.",
        }


class WorkspaceSessionScheme(OpenApiAuthenticationExtension):
    target_class = "rapport.api.authentication.WorkspaceSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The browser session (browsable API and docs); writes need the CSRF token header.",
        }


class RecordIdFieldExtension(OpenApiSerializerFieldExtension):
    """MemberField and VisibleRecordField carry ids (also read-only, where they have no queryset to inspect)."""

    target_class = "rapport.api.serializers.VisibleRecordField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return build_basic_type(OpenApiTypes.INT)


class MemberIdFieldExtension(RecordIdFieldExtension):
    target_class = "rapport.api.serializers.MemberField"


_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "example": "https://rapport.dev/problems/not-found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "current_version": {"type": "integer", "description": "On 412: the record's current version."},
    },
    "required": ["type", "title", "status", "detail", "instance"],
}
_FIELD_ERROR = {
    "type": "object",
    "properties": {
        "field": {"type": "string", "nullable": True, "description": "Dotted path; null for the whole object."},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["field", "detail", "code"],
}
_VALIDATION_PROBLEM = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}},
            "required": ["errors"],
        },
    ]
}

_DESCRIPTIONS = {
    "400": "Invalid request; `errors` names each bad field.",
    "401": "No valid credentials.",
    "403": "Authenticated, but not allowed (role, capability or token scope).",
    "404": "No such resource, or not visible to you.",
    "412": "If-Match does not match the current ETag (or the record changed meanwhile); nothing was written.",
    "429": "Rate limit reached; retry after `Retry-After` seconds.",
}


class AutoSchema(BaseAutoSchema):
    def _is_record_view(self) -> bool:
        from rapport.api.viewsets import RecordViewSet

        return isinstance(self.view, RecordViewSet)

    def _is_single_record_write(self) -> bool:
        return self._is_record_view() and self.method in ("PUT", "PATCH", "DELETE")

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if not self._is_record_view():
            return parameters
        if self.method == "GET":
            parameters.append(
                OpenApiParameter(
                    "fields",
                    OpenApiTypes.STR,
                    OpenApiParameter.QUERY,
                    description="Comma-separated fields to return (sparse response), e.g. `id,name`.",
                )
            )
            if self._is_list_view():
                allowed = ", ".join((*self.view.ordering_fields, "id"))
                parameters.append(
                    OpenApiParameter(
                        "ordering",
                        OpenApiTypes.STR,
                        OpenApiParameter.QUERY,
                        description=f"Comma-separated sort fields, `-` for descending. Allowed: {allowed}.",
                    )
                )
            else:
                parameters.append(
                    OpenApiParameter(
                        "If-None-Match",
                        OpenApiTypes.STR,
                        OpenApiParameter.HEADER,
                        description="An ETag from an earlier response; 304 when the record has not changed.",
                    )
                )
        if self._is_single_record_write():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description='The ETag you read (e.g. `"3"`); 412 if the record changed since.',
                )
            )
        return parameters

    def _register_problems(self) -> tuple[dict, dict]:
        for name, schema in (
            ("Problem", _PROBLEM),
            ("FieldError", _FIELD_ERROR),
            ("ValidationProblem", _VALIDATION_PROBLEM),
        ):
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            )
        return {"$ref": "#/components/schemas/Problem"}, {"$ref": "#/components/schemas/ValidationProblem"}

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        problem, validation_problem = self._register_problems()
        codes = ["401", "403", "429"]
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if self.method in ("POST", "PUT", "PATCH") or has_query:
            codes.append("400")
        if "{" in path:
            codes.append("404")
        if self._is_single_record_write():
            codes.append("412")
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            if code in responses:
                continue
            response: dict[str, Any] = {
                "description": _DESCRIPTIONS[code],
                "content": {PROBLEM_CONTENT_TYPE: {"schema": validation_problem if code == "400" else problem}},
            }
            if code == "429":
                response["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                }
            responses[code] = response
        if self._is_record_view() and "{" in path and self.method in ("GET", "PUT", "PATCH"):
            for code in ("200",):
                if code in responses:
                    responses[code].setdefault("headers", {})["ETag"] = {
                        "schema": {"type": "string"},
                        "description": 'The record\'s version as a strong ETag, e.g. `"3"`.',
                    }
            if self.method == "GET":
                responses["304"] = {"description": "Not modified (If-None-Match matched)."}
        if self._is_record_view() and self.method == "POST" and "201" in responses:
            responses["201"].setdefault("headers", {})["ETag"] = {
                "schema": {"type": "string"},
                "description": "The new record's version as a strong ETag.",
            }
        return operation
