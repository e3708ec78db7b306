"""E-mail normalisation: the fast path for common addresses agrees with Django's EmailValidator."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from rapport.contacts import validation


def test_the_common_shape_is_only_ever_a_valid_address():
    rng = random.Random(20261204)

    def part(alphabet: str) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))

    accepted = 0
    for _ in range(50_000):
        text = f"{part('az09_+-.')}@{part('az09-.')}.{part('az-')}"
        if validation._PLAIN_EMAIL.fullmatch(text):
            accepted += 1
            validate_email(text)  # never raises for what the fast path lets through
    assert accepted > 1000


@pytest.mark.parametrize(
    "text",
    [
        "ada@example.com",
        " Ada.Lovelace+crm@Mail.Example.CO.UK ",
        '"ada.lovelace"@example.com',
        "ada@[127.0.0.1]",
        "ada@bücher.de",
    ],
)
def test_valid_addresses_are_kept_lower_cased(text):
    assert validation.normalise_email(text) == text.strip().lower()


@pytest.mark.parametrize("text", ["", "ada", "ada@", "@example.com", "ada@example", "ada..x@example.com", "a@-x.com"])
def test_invalid_addresses_are_refused_with_a_message(text):
    with pytest.raises(ValidationError, match=r"email address like name@example\.com"):
        validation.normalise_email(text)
