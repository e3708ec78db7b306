"""The custom-field settings screens in a real browser (see tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from rapport.core.scoping import audit_context, workspace_scope
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login
from tests.sampleapp.models import Widget

# The browser fixtures live in tests/browser/conftest.py; these tests belong with custom fields.
browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_admin_adds_a_field_and_previews_a_type_change(page: Page, cast, make_field, viewport):
    field = make_field("text", key="seats", label="Seats")
    with workspace_scope(cast.workspace.pk), audit_context(actor=cast.owner, source="web"):
        Widget.objects.create(name="Three seats", custom={"seats": "three"})
    page.set_viewport_size(viewport)
    login(page, cast.admin)

    page.goto("/settings/fields/")
    expect(page.get_by_role("heading", level=1, name="Custom fields")).to_be_visible()
    check_page_quality(page)
    page.get_by_role("link", name="Add a field to widget").click()
    page.get_by_label("Label").fill("Tier")
    page.get_by_label("Type").select_option("select")
    page.get_by_label("Options").fill("Gold\nSilver")
    check_page_quality(page)
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_role("cell", name="Tier", exact=True)).to_be_visible()

    page.goto(f"/settings/fields/{field.pk}/type/")
    page.get_by_label("New type").select_option("number")
    page.get_by_role("button", name="Preview the conversion").click()
    expect(page.get_by_role("status")).to_contain_text("cannot")
    expect(page.get_by_role("cell", name="Three seats #")).to_be_visible()
    check_page_quality(page)
