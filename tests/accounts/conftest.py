"""Helpers for the accounts tests: logging in through the real form, reading links from emails."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.browser.conftest import browser, page  # noqa: F401 (browser fixtures)
from tests.factories import PASSWORD


def link_in(message, contains: str) -> str:
    """The path of the first link in an email's body that contains ``contains``."""
    for url in re.findall(r"https?://\S+", message.body):
        if contains in url:
            return urlsplit(url).path
    raise AssertionError(f"No link with {contains!r} in the email:\n{message.body}")


@pytest.fixture
def form_login(client):
    """``form_login(user)`` logs in through allauth's login form, as a person would (records the
    authentication, which allauth's two-factor pages require)."""

    def _login(user, password: str = PASSWORD):
        response = client.post(reverse("account_login"), {"login": user.email, "password": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    return _login
