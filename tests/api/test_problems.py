"""Every API error is an RFC 9457 application/problem+json document."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import serializers

from rapport.api.problems import flatten_errors, problem_exception_handler
from rapport.core.models import ConflictError
from rapport.core.scoping import workspace_scope
from tests.api.helpers import assert_problem


def test_validation_error_names_each_bad_field(cast, as_token):
    client = as_token(cast.admin)
    response = client.post("/api/v1/teams/", {"name": "", "manager": 999999, "colour": "red"})
    body = assert_problem(response, 400, "validation-error")
    assert body["errors"] == [{"field": "colour", "detail": "Unknown field.", "code": "unknown_field"}]
    response = client.post("/api/v1/teams/", {"name": "", "manager": 999999})
    body = assert_problem(response, 400, "validation-error")
    by_field = {error["field"]: error for error in body["errors"]}
    assert set(by_field) == {"name", "manager"}
    assert by_field["name"]["code"] == "blank"
    assert by_field["manager"]["detail"] == "No member with id 999999 in this workspace."
    assert "manager" in body["detail"] and "name" in body["detail"]


def test_a_user_of_another_workspace_cannot_be_named_manager(cast, as_token):
    body = assert_problem(as_token(cast.admin).post("/api/v1/teams/", {"name": "N", "manager": cast.outsider.pk}), 400)
    assert body["errors"][0]["field"] == "manager"


def test_duplicate_team_name_is_a_field_error_not_a_server_error(cast, as_token):
    body = assert_problem(as_token(cast.admin).post("/api/v1/teams/", {"name": "East"}), 400)
    assert body["errors"] == [{"field": "name", "detail": "A team with this name already exists.", "code": "unique"}]


def test_malformed_json_is_a_400_problem(cast, as_token):
    response = as_token(cast.admin).post("/api/v1/teams/", "{nope", content_type="application/json")
    assert_problem(response, 400, "malformed-request")


def test_unknown_api_url_is_a_404_problem_not_the_html_page(cast, as_token, api):
    assert_problem(api.get("/api/v1/nothing-here/"), 404, "not-found")
    assert_problem(api.post("/api/v2/teams/", {}), 404, "not-found")
    body = assert_problem(as_token(cast.sales).get("/api/v1/teams"), 404)
    assert "/api/v1/teams/" in body["detail"]  # the hint about the trailing slash


def test_missing_record_is_a_404_problem(cast, as_token):
    body = assert_problem(as_token(cast.sales).get("/api/v1/teams/999999/"), 404, "not-found")
    assert body["detail"] == "No such team."


def test_wrong_method_is_a_405_problem(cast, as_token):
    assert_problem(as_token(cast.sales).delete("/api/v1/me/"), 405, "method-not-allowed")


def test_unsupported_media_type_is_a_415_problem(cast, as_token):
    response = as_token(cast.admin).post("/api/v1/teams/", "name=x", content_type="text/plain")
    assert_problem(response, 415, "unsupported-media-type")


def test_errors_are_problem_json_even_when_the_browser_asked_for_html(cast, login):
    response = login(cast.sales).post("/api/v1/teams/", {"name": "x"}, headers={"Accept": "text/html"})
    assert_problem(response, 403, "permission-denied")


def test_stale_if_match_is_a_412_problem_with_the_current_version(cast, as_token):
    client = as_token(cast.admin)
    response = client.patch(f"/api/v1/teams/{cast.team_west.pk}/", {"name": "Westward"}, headers={"If-Match": '"99"'})
    body = assert_problem(response, 412, "precondition-failed")
    assert body["current_version"] == 1


def test_throttled_request_is_a_429_problem_with_retry_after(cast, as_token, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/hour"}}
    client = as_token(cast.sales)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert_problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 3600


def test_rate_limit_is_counted_per_token(cast, as_token, make_token, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "2/hour"}}
    client = as_token(cast.sales)
    for _ in range(2):
        client.get("/api/v1/me/")
    assert client.get("/api/v1/me/").status_code == 429
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(cast.sales)}")
    assert client.get("/api/v1/me/").status_code == 200


def test_session_requests_are_counted_per_user(cast, login, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1/hour"}}
    client = login(cast.sales)
    assert client.get("/api/v1/me/").status_code == 200
    assert_problem(client.get("/api/v1/me/"), 429)


# --- the handler's mapping, one exception at a time -------------------------------------------


class _Request:
    path = "/api/v1/x/"


@pytest.mark.parametrize(
    ("exc", "status", "slug"),
    [
        (Http404("No such thing."), 404, "not-found"),
        (DjangoPermissionDenied("Nope."), 403, "permission-denied"),
        (DjangoValidationError({"name": ["Too long."]}), 400, "validation-error"),
    ],
)
def test_django_exceptions_map_to_problems(exc, status, slug):
    response = problem_exception_handler(exc, {"request": None})
    assert response.status_code == status
    assert response.data["type"].endswith(slug)


def test_conflict_error_maps_to_412(cast):
    with workspace_scope(cast.workspace.pk):
        team = cast.team_west
        response = problem_exception_handler(ConflictError(team, current_version=5), {"request": None})
    assert response.status_code == 412
    assert response.data["current_version"] == 5


def test_django_validation_error_keeps_field_names_and_codes():
    exc = DjangoValidationError({"name": [DjangoValidationError("Too long.", code="max_length")], "__all__": ["Bad."]})
    errors = problem_exception_handler(exc, {"request": None}).data["errors"]
    assert {"field": "name", "detail": "Too long.", "code": "max_length"} in errors
    assert {"field": None, "detail": "Bad.", "code": "invalid"} in errors


def test_nested_errors_are_flattened_to_dotted_paths():
    class Line(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=6, decimal_places=2)

    class Order(serializers.Serializer):
        title = serializers.CharField()
        lines = Line(many=True)
        contact = serializers.DictField(child=serializers.IntegerField())

        def validate(self, attrs):
            raise serializers.ValidationError("Whole order is wrong.")

    serializer = Order(data={"title": "", "lines": [{"amount": "1"}, {"amount": "x"}], "contact": {"id": "y"}})
    assert not serializer.is_valid()
    errors = list(flatten_errors(serializer.errors))
    assert {e["field"] for e in errors} == {"title", "lines.1.amount", "contact.id"}
    serializer = Order(data={"title": "t", "lines": [], "contact": {}})
    assert not serializer.is_valid()
    assert list(flatten_errors(serializer.errors)) == [
        {"field": None, "detail": "Whole order is wrong.", "code": "invalid"}
    ]
