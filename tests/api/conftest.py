"""Fixtures of the API tests: a DRF client and personal tokens for the shared cast."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from rest_framework.test import APIClient

from rapport.api import services
from rapport.core.permissions import actor_for
from rapport.core.roles import Role


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_token(cast) -> Callable[..., str]:
    """``make_token(user, scopes=None, workspace=None, expires_at=None)`` -> the plaintext token.

    Scopes default to read and write (read only for a read-only member, who may not have more).
    """

    def _make(user, scopes: Iterable[str] | None = None, workspace=None, expires_at=None, name="test token"):
        actor = actor_for(user, workspace or cast.workspace)
        if scopes is None:
            scopes = ["read"] if actor.role == Role.READ_ONLY else ["read", "write"]
        return services.token_create(actor=actor, name=name, scopes=scopes, expires_at=expires_at).plaintext

    return _make


@pytest.fixture
def as_token(api, make_token) -> Callable[..., APIClient]:
    """``as_token(user, scopes=...)`` -> the API client sending a fresh token of that user."""

    def _as(user, **kwargs) -> APIClient:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, **kwargs)}")
        return api

    return _as
