"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_problem(response, status: int, type_suffix: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    assert body["instance"] == response.wsgi_request.path
    if type_suffix:
        assert body["type"] == f"https://rapport.dev/problems/{type_suffix}"
    return body
