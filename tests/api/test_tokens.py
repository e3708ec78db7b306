"""Personal API tokens: issuing, storage, revocation, expiry and the token pages."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.api import services
from rapport.api.models import ApiToken
from rapport.core.models import SecurityEvent
from rapport.core.security import SecurityKind


def test_token_plaintext_is_never_stored_only_its_sha256(cast, make_token):
    plaintext = make_token(cast.sales)
    keyword, prefix, secret = plaintext.split("_")
    token = ApiToken.objects.get(prefix=prefix)
    assert keyword == "rpt"
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert not any(secret in value for value in stored)


def test_each_token_gets_its_own_prefix_and_secret(cast, make_token):
    first, second = make_token(cast.sales), make_token(cast.sales)
    assert first.split("_")[1] != second.split("_")[1]
    assert first.split("_")[2] != second.split("_")[2]


def test_creating_a_token_is_logged_without_the_secret(cast, make_token):
    plaintext = make_token(cast.sales, scopes=["read"])
    event = SecurityEvent.objects.get(kind=SecurityKind.API_TOKEN_CREATED)
    assert event.user_id == cast.sales.pk
    assert event.workspace_id == cast.workspace.pk
    assert event.details["token"] == plaintext.split("_")[1]
    assert event.details["scopes"] == ["read"]
    assert plaintext.split("_")[2] not in str(event.details)


def test_read_only_member_cannot_create_a_write_token(cast):
    with pytest.raises(ValidationError) as excinfo:
        services.token_create(actor=cast.actor(cast.reader), name="sync", scopes=["read", "write"])
    assert "scopes" in excinfo.value.message_dict
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_known_scope_and_a_future_expiry(cast):
    actor = cast.actor(cast.sales)
    with pytest.raises(ValidationError) as excinfo:
        services.token_create(actor=actor, name="x", scopes=["admin"])
    assert "scopes" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.token_create(actor=actor, name="x", scopes=[], expires_at=None)
    assert "scopes" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.token_create(actor=actor, name="x", scopes=["read"], expires_at=timezone.now() - timedelta(days=1))
    assert "expires_at" in excinfo.value.message_dict
    assert not ApiToken.objects.exists()


def test_revoking_a_token_logs_it_once(cast, make_token):
    make_token(cast.sales)
    token = ApiToken.objects.get()
    actor = cast.actor(cast.sales)
    assert services.token_revoke(actor=actor, token=token) is True
    assert services.token_revoke(actor=actor, token=token) is False
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert SecurityEvent.objects.filter(kind=SecurityKind.API_TOKEN_REVOKED).count() == 1


def test_revoked_token_is_refused(cast, as_token):
    client = as_token(cast.sales)
    token = ApiToken.objects.get()
    services.token_revoke(actor=cast.actor(cast.sales), token=token)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_expired_token_is_refused(cast, as_token):
    client = as_token(cast.sales, expires_at=timezone.now() + timedelta(minutes=5))
    assert client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_token_use_updates_last_used_and_is_logged_at_most_once_an_hour(cast, as_token):
    client = as_token(cast.sales)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None
    assert SecurityEvent.objects.filter(kind=SecurityKind.API_TOKEN_USED).count() == 1
    # An hour later the next use is logged again, and last_used_at moves.
    earlier = timezone.now() - timedelta(hours=1, seconds=1)
    ApiToken.objects.update(use_logged_at=earlier, last_used_at=earlier)
    assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > earlier
    assert SecurityEvent.objects.filter(kind=SecurityKind.API_TOKEN_USED).count() == 2


def test_last_used_is_not_rewritten_within_a_minute(cast, as_token):
    client = as_token(cast.sales)
    client.get("/api/v1/me/")
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.update(last_used_at=recent)
    client.get("/api/v1/me/")
    assert ApiToken.objects.get().last_used_at == recent


# --- the pages ------------------------------------------------------------------------------


def test_token_page_lists_only_my_tokens_of_this_workspace(cast, login, make_token):
    make_token(cast.sales, name="mine")
    make_token(cast.sales_peer, name="peer's")
    make_token(cast.outsider, workspace=cast.other_workspace, name="rival's")
    page = login(cast.sales).get(reverse("api:tokens")).content.decode()
    assert "mine" in page
    assert "peer&#x27;s" not in page and "peer's" not in page
    assert "rival" not in page


def test_creating_a_token_shows_it_once_and_stores_only_the_hash(cast, login):
    client = login(cast.sales)
    response = client.post(
        reverse("api:token_create"), {"name": "Zapier", "scopes": ["read", "write"], "expires_in": "30"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.user_id) == ("Zapier", ["read", "write"], cast.sales.pk)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert plaintext not in client.get(reverse("api:tokens")).content.decode()


def test_read_only_member_gets_a_field_error_for_the_write_scope(cast, login):
    response = login(cast.reader).post(
        reverse("api:token_create"), {"name": "sync", "scopes": ["write"], "expires_in": "never"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["scopes"]
    assert not ApiToken.objects.exists()


def test_token_form_names_the_missing_fields(cast, login):
    response = login(cast.sales).post(reverse("api:token_create"), {"name": "", "expires_in": "30"})
    assert set(response.context["form"].errors) == {"name", "scopes"}
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page_logs_and_stops_the_token(cast, login, make_token, api):
    plaintext = make_token(cast.sales)
    token = ApiToken.objects.get()
    response = login(cast.sales).post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get("/api/v1/me/").status_code == 401


def test_nobody_revokes_someone_elses_token(cast, login, make_token):
    make_token(cast.sales)
    token = ApiToken.objects.get()
    response = login(cast.owner).post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
