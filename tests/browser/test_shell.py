"""The application shell in a real browser: logging in, the phone menu, the top bar menus, Ctrl-K."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from rapport.core.models import Membership
from rapport.core.roles import Role
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login

pytestmark = pytest.mark.browser


def global_search(page: Page) -> Locator:
    return page.get_by_role("banner").get_by_role("search").get_by_label("Search", exact=True)


def tab_to(page: Page, target: Locator, max_presses: int = 8) -> None:
    """Press Tab until ``target`` has the focus: it must be reachable with the keyboard."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} was not reached with {max_presses} presses of Tab")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_person_logs_in_through_the_form_and_reaches_home(page: Page, cast, viewport):
    page.set_viewport_size(viewport)

    login(page, cast.owner)

    expect(page.get_by_role("heading", level=1, name="Welcome to Acme")).to_be_visible()
    check_page_quality(page)


def test_menu_button_opens_the_sidebar_on_a_phone_and_escape_closes_it(page: Page, cast):
    page.set_viewport_size(PHONE)
    login(page, cast.owner)
    sidebar = page.get_by_role("navigation", name="Main")
    menu_button = page.get_by_role("button", name="Menu")
    expect(sidebar).to_be_hidden()

    menu_button.click()

    expect(sidebar).to_be_visible()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(sidebar.get_by_role("link", name="Home")).to_be_visible()
    check_page_quality(page)
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(menu_button).to_be_focused()


def test_ctrl_k_focuses_the_global_search_box(page: Page, cast):
    login(page, cast.owner)
    search = global_search(page)
    expect(search).not_to_be_focused()

    page.keyboard.press("Control+k")

    expect(search).to_be_focused()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_top_bar_menus_work_from_the_keyboard_and_stay_on_screen(page: Page, cast, viewport):
    Membership.objects.create(user=cast.owner, workspace=cast.other_workspace, role=Role.SALES)
    page.set_viewport_size(viewport)
    login(page, cast.owner)
    global_search(page).focus()

    for menu_class, first_item in (("workspace-menu", "Switch to Rival"), ("user-menu", "Profile and time zone")):
        menu = page.locator(f"details.{menu_class}")
        summary = menu.locator("summary")
        tab_to(page, summary)

        page.keyboard.press("Enter")
        panel = menu.locator(".menu-panel")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], f"{menu_class} is off screen: {box}"
        page.keyboard.press("ArrowDown")
        expect(
            panel.get_by_role("button", name=first_item).or_(panel.get_by_role("link", name=first_item))
        ).to_be_focused()
        check_page_quality(page)

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(summary).to_be_focused()


def test_not_found_page_passes_the_quality_checks(page: Page, cast):
    login(page, cast.owner)

    response = page.goto("/no-such-page/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
    check_page_quality(page)


def test_not_allowed_page_passes_the_quality_checks(page: Page, cast):
    login(page, cast.reader)

    response = page.goto("/recycle-bin/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page_quality(page)
