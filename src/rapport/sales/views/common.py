"""Small helpers shared by the sales views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from rapport.core.models import ConflictError


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def posted_version(request: HttpRequest) -> int | None:
    """The version the person saw: the form's ``version`` field or an ``If-Match: "n"`` header."""
    raw = request.POST.get("version") or request.headers.get("If-Match", "").strip('"W/ ')
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{message}" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: {message}"
            for field, messages_ in exc.message_dict.items()
            for message in messages_
        )
    return " ".join(exc.messages)


def run_action(
    request: HttpRequest, action: Callable[[], Any], *, success: str, back: str, **back_kwargs: Any
) -> HttpResponse:
    """Run a service for a button (POST) and come back with a message; errors are shown, not raised."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(back, **back_kwargs)
