"""The customers journey in a real browser (issue #3, item 10): create a company, add a person to
it, find the person with Ctrl-K and open their page, in three clicks or less from home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from rapport.contacts.models import Company, Contact
from tests.browser.quality import PHONE, check_page_quality, login

browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


def test_create_a_company_add_a_person_and_find_them_with_ctrl_k(page: Page, cast):
    login(page, cast.sales)

    # Companies → New company → Save.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Companies").click()
    page.get_by_role("link", name="New company").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Umbrella Biotech")
    page.get_by_label("Domains").fill("umbrella.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Umbrella Biotech")
    company = Company.objects.get(name="Umbrella Biotech")
    check_page_quality(page)

    # Add a person from the company page.
    page.get_by_label("First name").fill("Alice")
    page.get_by_label("Last name").fill("Abernathy")
    page.get_by_label("Email").fill("alice@umbrella.example")
    page.get_by_label("Phone").fill("+1 (555) 010-2030")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_role("link", name="Alice Abernathy")).to_be_visible()
    person = Contact.objects.get(last_name="Abernathy")
    assert person.company_id == company.pk

    # From home: Ctrl-K, type part of the phone number, Enter opens the person (no click at all).
    page.goto("/")
    page.keyboard.press("Control+k")
    page.keyboard.type("5550102030")
    option = page.get_by_role("listbox").get_by_role("option", name=re.compile("Alice Abernathy"))
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/contacts/{person.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Abernathy")
    expect(page.get_by_role("link", name="Umbrella Biotech").first).to_be_visible()
    check_page_quality(page)

    # The same search by name works on a phone.
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.keyboard.press("Control+k")
    page.keyboard.type("abernaty")  # a typo
    expect(page.get_by_role("listbox").get_by_role("option", name=re.compile("Alice Abernathy"))).to_be_visible()
    check_page_quality(page)
