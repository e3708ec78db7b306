"""The command palette in a real browser (Debian's Chromium; see tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login

# The browser fixtures live in tests/browser/conftest.py; these tests belong with search.
browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_typing_lists_hits_that_arrow_keys_choose_and_enter_opens(page: Page, cast, make_widget, viewport):
    make_widget("Palette Person One", emails=["one@palette.example"])
    make_widget("Palette Person Two")
    page.set_viewport_size(viewport)
    login(page, cast.owner)
    search = page.get_by_role("combobox", name="Search")

    page.keyboard.press("Control+k")
    page.keyboard.type("palette person")

    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(3)  # two hits and "All results"
    expect(search).to_have_attribute("aria-expanded", "true")
    box = listbox.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    check_page_quality(page)

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    first = listbox.get_by_role("option").first
    expect(search).to_have_attribute("aria-activedescendant", "palette-option-1")
    expect(first).to_have_attribute("aria-selected", "true")
    target = first.get_attribute("data-url")

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(target)


def test_escape_closes_the_list_and_enter_without_a_choice_opens_the_search_page(page: Page, cast, make_widget):
    make_widget("Escapee Example")
    login(page, cast.owner)
    search = page.get_by_role("combobox", name="Search")
    search.click()
    page.keyboard.type("escapee")
    expect(page.get_by_role("listbox")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.get_by_role("link", name="Escapee Example")).to_be_visible()
