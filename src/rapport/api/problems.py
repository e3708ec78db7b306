"""RFC 9457 problem details (``application/problem+json``) for every API error.

Each problem has ``type``, ``title``, ``status``, ``detail`` and ``instance`` (the request path);
validation problems add ``errors``: one ``{"field", "detail", "code"}`` per bad field, with nested
fields as dotted paths (``lines.2.amount``) and errors about the whole object under ``field: null``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from rapport.core.models import ConflictError

logger = logging.getLogger("rapport.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://rapport.dev/problems/"


class ProblemJSONRenderer(JSONRenderer):
    media_type = PROBLEM_CONTENT_TYPE
    format = "problem+json"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record was changed since you read it; nothing was written. Fetch it again and retry."
    default_code = "precondition_failed"

    def __init__(self, detail: str | None = None, current_version: int | None = None):
        super().__init__(detail)
        self.current_version = current_version


# exception class -> (type slug, title); the first matching class wins.
_KINDS: list[tuple[type[exceptions.APIException], str, str]] = [
    (exceptions.ValidationError, "validation-error", "Invalid request"),
    (exceptions.ParseError, "malformed-request", "Malformed request"),
    (exceptions.AuthenticationFailed, "authentication-failed", "Authentication failed"),
    (exceptions.NotAuthenticated, "not-authenticated", "Authentication required"),
    (exceptions.PermissionDenied, "permission-denied", "Permission denied"),
    (exceptions.NotFound, "not-found", "Not found"),
    (exceptions.MethodNotAllowed, "method-not-allowed", "Method not allowed"),
    (exceptions.NotAcceptable, "not-acceptable", "Not acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported media type"),
    (exceptions.Throttled, "rate-limited", "Too many requests"),
    (PreconditionFailed, "precondition-failed", "Precondition failed"),
]


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


def problem_body(
    *, status_code: int, title: str, detail: str, instance: str, type_: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    return {"type": type_, "title": title, "status": status_code, "detail": detail, "instance": instance, **extra}


def problem_response(
    request: HttpRequest, status_code: int, slug: str, title: str, detail: str, **extra: Any
) -> HttpResponse:
    """A problem response for plain Django views (outside DRF), e.g. the catch-all 404."""
    body = problem_body(
        status_code=status_code,
        title=title,
        detail=detail,
        instance=request.path,
        type_=problem_type(slug) if slug else "about:blank",
        **extra,
    )
    return HttpResponse(json.dumps(body), status=status_code, content_type=PROBLEM_CONTENT_TYPE)


# --- validation errors ------------------------------------------------------------------------


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def flatten_errors(detail: Any, path: str = "") -> Iterator[dict[str, Any]]:
    """DRF's nested error structure -> flat ``{"field", "detail", "code"}`` entries (dotted paths)."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__"):
                yield from flatten_errors(value, path)
            else:
                yield from flatten_errors(value, _join(path, key))
    elif isinstance(detail, list | tuple):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield from flatten_errors(item, path)
        else:  # a list of nested objects (many=True): index each one
            for index, item in enumerate(detail):
                if item:
                    yield from flatten_errors(item, _join(path, index))
    else:
        yield {
            "field": path or None,
            "detail": str(detail),
            "code": getattr(detail, "code", None) or "invalid",
        }


def _validation_summary(errors: list[dict[str, Any]]) -> str:
    fields = sorted({e["field"] for e in errors if e["field"]})
    if not fields:
        return errors[0]["detail"] if len(errors) == 1 else "The request is not valid; see errors."
    noun = "field is" if len(fields) == 1 else "fields are"
    return f"{len(fields)} {noun} not valid: {', '.join(fields)}."


# --- the DRF exception handler ----------------------------------------------------------------


def _to_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(get_error_detail(exc))
    if isinstance(exc, ConflictError):
        return PreconditionFailed(str(exc), current_version=exc.current_version)
    return None


def _kind(exc: exceptions.APIException) -> tuple[str, str]:
    for klass, slug, title in _KINDS:
        if isinstance(exc, klass):
            return problem_type(slug), title
    return "about:blank", HTTPStatus(exc.status_code).phrase


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error the API raises becomes a problem+json response."""
    request = context.get("request")
    path = request.path if request is not None else ""
    api_exc = _to_api_exception(exc)
    headers: dict[str, str] = {}
    if api_exc is None:
        if settings.DEBUG:
            return None  # Django's debug page shows the traceback
        logger.error("Unhandled API error on %s", path, exc_info=exc)
        if request is not None:
            got_request_exception.send(sender=None, request=request._request)
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
        body = problem_body(
            status_code=status_code,
            title="Internal server error",
            detail="Something went wrong on our side; nothing was saved. Try again later.",
            instance=path,
        )
    else:
        type_, title = _kind(api_exc)
        status_code = api_exc.status_code
        extra: dict[str, Any] = {}
        if isinstance(api_exc, exceptions.ValidationError):
            errors = list(flatten_errors(api_exc.detail))
            detail = _validation_summary(errors)
            extra["errors"] = errors
        else:
            detail = str(api_exc.detail)
        if isinstance(api_exc, PreconditionFailed) and api_exc.current_version is not None:
            extra["current_version"] = api_exc.current_version
        if isinstance(api_exc, exceptions.Throttled) and api_exc.wait is not None:
            headers["Retry-After"] = str(max(1, math.ceil(api_exc.wait)))
        if getattr(api_exc, "auth_header", None):
            headers["WWW-Authenticate"] = api_exc.auth_header
        body = problem_body(status_code=status_code, title=title, detail=detail, instance=path, type_=type_, **extra)
    set_rollback()
    if request is not None:
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return Response(body, status=status_code, headers=headers)
