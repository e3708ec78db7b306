"""The record picker in a real browser: type, arrow down, Enter, save (keyboard only)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rapport.sales.models import Deal
from tests.browser.quality import PHONE, check_page_quality, login
from tests.contacts.factories import make_company
from tests.sales.factories import PipelineFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["1280px", "390px"])
def test_choose_a_company_on_the_deal_form_from_the_keyboard(page: Page, cast, viewport):
    PipelineFactory(workspace=cast.workspace, name="Sales")
    make_company(cast.sales, cast.workspace, name="Vandelay Industries", domains=["vandelay.example"])
    make_company(cast.sales, cast.workspace, name="Kramerica")
    if viewport:
        page.set_viewport_size(viewport)
    login(page, cast.sales)
    page.goto("/deals/new/")
    page.get_by_role("textbox", name="Name", exact=True).fill("Latex order")
    page.get_by_role("combobox", name="Pipeline").select_option(label="Sales")
    picker = page.get_by_role("combobox", name="Company")
    expect(picker).to_be_visible()
    picker.click()
    page.keyboard.type("vandelai")  # a typo
    option = page.get_by_role("option", name="Vandelay Industries")
    expect(option).to_be_visible()
    expect(picker).to_have_attribute("aria-expanded", "true")
    check_page_quality(page)
    page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(picker).to_have_value("Vandelay Industries")
    expect(picker).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Create deal").click()
    errors = page.locator(".error, .form-errors").all_inner_texts()
    assert not errors, errors
    expect(page.get_by_role("heading", level=1)).to_contain_text("Latex order")
    deal = Deal.objects.get(name="Latex order")
    assert deal.company.name == "Vandelay Industries"
    check_page_quality(page)
