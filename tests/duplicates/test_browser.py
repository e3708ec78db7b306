"""The Duplicates page in a real browser (issue #6): the owner finds two contacts sharing an e-mail,
reviews them, keeps one, picks the other's job title, merges; the other goes to the recycle bin; the
merge is undone from the Duplicates page and every record is back as it was. Each page passes
``check_page_quality`` at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

import tests.browser.conftest as browser_fixtures
from rapport.contacts.models import Contact, EmailAddress
from rapport.duplicates.models import Merge
from tests.browser.quality import DESKTOP, PHONE, check_page_quality, login
from tests.contacts.factories import make_contact

browser = browser_fixtures.browser
page = browser_fixtures.page

pytestmark = pytest.mark.browser


def check_at_both_widths(page: Page) -> None:
    check_page_quality(page)
    page.set_viewport_size(PHONE)
    check_page_quality(page)
    page.set_viewport_size(DESKTOP)


def test_owner_merges_two_duplicate_contacts_choosing_values_then_undoes_the_merge(page: Page, cast):
    keep = make_contact(
        cast.owner,
        cast.workspace,
        first_name="Ada",
        last_name="Lovelace",
        job_title="Analyst",
        emails=["ada@example.com"],
    )
    other = make_contact(
        cast.owner,
        cast.workspace,
        first_name="Augusta",
        last_name="King",
        job_title="Countess of Lovelace",
        emails=["ADA@example.com", "augusta@example.com"],
    )
    make_contact(cast.owner, cast.workspace, first_name="Alan", last_name="Turing", emails=["alan@example.com"])

    login(page, cast.owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Duplicates")).to_be_visible()
    group = page.get_by_role("region", name="Same e-mail: ada@example.com")
    expect(group.get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(group.get_by_role("link", name="Augusta King")).to_be_visible()
    expect(page.get_by_role("link", name="Alan Turing")).to_have_count(0)
    check_at_both_widths(page)

    group.get_by_role("link", name="Review and merge").click()
    expect(page.get_by_role("heading", level=1, name="Merge 2 records")).to_be_visible()
    check_at_both_widths(page)
    page.get_by_role("group", name="Keep this record").get_by_label(f"Ada Lovelace (#{keep.pk})").check()
    page.get_by_role("group", name="Job title").get_by_label(f"Countess of Lovelace from #{other.pk}").check()
    page.get_by_role("button", name="Merge").click()

    # The kept record's page: the chosen job title, both e-mails; the other is in the recycle bin.
    expect(page.get_by_text("Merged 2 records.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    assert page.url.endswith(f"/contacts/{keep.pk}/")
    check_at_both_widths(page)
    keep.refresh_from_db()
    assert (keep.first_name, keep.job_title) == ("Ada", "Countess of Lovelace")
    assert set(EmailAddress.objects.filter(contact=keep).values_list("email", flat=True)) == {
        "ada@example.com",
        "augusta@example.com",
    }
    assert not Contact.objects.filter(pk=other.pk).exists()
    assert Contact.all_objects.get(pk=other.pk).deleted_at is not None

    page.goto("/recycle-bin/")
    expect(page.get_by_role("cell", name="Augusta King")).to_be_visible()
    check_at_both_widths(page)

    # Undo from the Duplicates page: the other record is restored with its e-mail; values put back.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates", exact=True).click()
    merge = Merge.objects.get()
    page.get_by_role("listitem").filter(has_text=f"Merge into contact #{keep.pk}").get_by_role(
        "button", name="Undo merge"
    ).click()
    expect(page.get_by_text("The merge was undone: every record is back as it was.")).to_be_visible()
    check_at_both_widths(page)
    merge.refresh_from_db()
    assert merge.undone_at is not None
    other.refresh_from_db()
    keep.refresh_from_db()
    assert other.deleted_at is None and keep.job_title == "Analyst"
    assert set(EmailAddress.objects.filter(contact=other).values_list("email", flat=True)) == {
        "ada@example.com",
        "augusta@example.com",
    }
    assert list(EmailAddress.objects.filter(contact=keep).values_list("email", flat=True)) == ["ada@example.com"]

    page.goto("/recycle-bin/")
    expect(page.get_by_text("The recycle bin is empty.")).to_be_visible()


def test_new_contact_form_warns_about_a_look_alike_with_a_link_to_it(page: Page, cast):
    existing = make_contact(
        cast.owner, cast.workspace, first_name="Grace", last_name="Hopper", emails=["grace@example.com"]
    )
    login(page, cast.owner)
    page.goto("/contacts/new/")
    page.get_by_label("First name").fill("Gracie")
    page.get_by_label("Last name").fill("Hopper")
    email = page.locator("#id_emails-0-email")
    email.fill("GRACE@example.com")
    email.blur()
    warning = page.get_by_role("status").filter(has_text="This looks like 1 existing record")
    expect(warning).to_be_visible()
    link = warning.get_by_role("link", name="Grace Hopper")
    expect(link).to_have_attribute("href", f"/contacts/{existing.pk}/")
    check_at_both_widths(page)
    page.get_by_role("button", name="Save").click()  # a warning, not a block: the new record is saved
    expect(page.get_by_role("heading", level=1, name="Gracie Hopper")).to_be_visible()
    assert Contact.objects.filter(workspace=cast.workspace, first_name="Gracie").exists()
