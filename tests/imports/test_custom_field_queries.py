"""A contacts import with custom fields takes the same number of queries per chunk whatever its size."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.contacts.models import Contact
from rapport.customfields import services as cf_services
from rapport.imports import services


@pytest.fixture
def custom_fields(cast, acting):
    """A phone field (needs the workspace's region) and a money field (its currency)."""
    with acting(cast.owner, cast.workspace) as actor:
        for key, field_type in (("desk", "phone"), ("budget", "money")):
            cf_services.definition_create(
                actor=actor,
                record_type="contacts.contact",
                data={"key": key, "label": key.title(), "field_type": field_type},
            )
    return cast


def _content(n: int, tag: str) -> bytes:
    rows = "\n".join(f"P{i},R{i},{tag}-{i}@example.com,030 1234 {i:04d},{100 + i}" for i in range(n))
    return ("First Name,Last Name,Email,Desk,Budget\n" + rows).encode()


def _execute_counting(actor, content: bytes) -> tuple[int, int]:
    run = services.import_upload(actor=actor, file_name="people.csv", content=content)
    assert run.mapping["Desk"] == "custom:desk" and run.mapping["Budget"] == "custom:budget"
    services.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy="skip")
    services.import_start(actor=actor, run=run, background=False)
    ContentType.objects.clear_cache()  # both runs start cold, so they compare like for like
    with CaptureQueriesContext(connection) as captured:
        run = services.import_execute(actor=actor, run_id=run.pk)
    return len(captured), run.created_count


def test_custom_field_import_queries_do_not_grow_with_rows(custom_fields, acting, settings):
    settings.IMPORT_CHUNK_ROWS = 1000  # one chunk for either file
    cast = custom_fields
    cast.workspace.default_region = "DE"
    cast.workspace.save(update_fields=["default_region"])
    with acting(cast.sales, cast.workspace) as actor:
        small, created_small = _execute_counting(actor, _content(15, "a"))
        large, created_large = _execute_counting(actor, _content(30, "b"))
    assert (created_small, created_large) == (15, 30)
    assert large == small, f"{small} queries for 15 rows, {large} for 30"
    # the values went through the workspace's settings: a German number, the default currency
    contact = Contact.objects.get(primary_email="a-3@example.com")
    assert contact.custom["desk"] == "+493012340003"
    assert contact.custom["budget"] == {"amount": "103.00", "currency": cast.workspace.default_currency}
