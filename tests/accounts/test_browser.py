"""The account and members pages in a real browser: CSP, axe-core, and no sideways scrolling at 390 px.

The crawl in tests/browser visits every linked page with demo data; these tests open the states a
crawl does not reach (pending invitations, form errors, the invitation link, two-factor set-up).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rapport.accounts import services
from rapport.core.models import Membership
from rapport.core.roles import Role
from rapport.core.security import SecurityKind, log_security_event
from tests.browser.quality import PHONE, check_page_quality, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_pages_with_pending_invitations_errors_and_log_entries(page: Page, cast, acting):
    with acting(cast.owner, cast.workspace) as actor:
        services.invitation_create(actor=actor, email="pending.person@example.com", role=Role.SUPPORT)
    Membership.objects.filter(user=cast.reader).update(is_active=False)
    log_security_event(SecurityKind.LOGIN_FAILED, user=cast.sales, workspace=cast.workspace, email="x" * 120)
    page.set_viewport_size(PHONE)
    login(page, cast.owner)

    page.goto("/workspace/members/")
    expect(page.get_by_role("heading", level=1, name="Members & teams")).to_be_visible()
    expect(page.get_by_role("cell", name="pending.person@example.com", exact=True)).to_be_visible()
    check_page_quality(page)

    page.get_by_label("Email address").fill(cast.sales.email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("is already a member")).to_be_visible()
    check_page_quality(page)

    page.goto("/workspace/settings/")
    page.get_by_label("Default currency").fill("XYZ")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("is not an ISO 4217 currency code")).to_be_visible()
    check_page_quality(page)

    page.goto("/workspace/security-log/")
    expect(page.get_by_role("cell", name="login.failed")).to_be_visible()
    check_page_quality(page)

    page.goto(f"/workspace/teams/{cast.team_east.pk}/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    check_page_quality(page)


def test_a_new_person_joins_from_the_invitation_link(page: Page, cast, acting):
    with acting(cast.admin, cast.workspace) as actor:
        _, token = services.invitation_create(actor=actor, email="joiner@example.com", role=Role.SALES)
    page.set_viewport_size(PHONE)

    page.goto(f"/invitations/{token}/")
    expect(page.get_by_role("heading", level=1, name="Join Acme")).to_be_visible()
    check_page_quality(page)

    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_label("Email")).to_have_value("joiner@example.com")
    check_page_quality(page)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("form:has(#id_password1) [type=submit]").click()

    expect(page.get_by_role("heading", level=1, name="Welcome to Acme")).to_be_visible()
    check_page_quality(page)


def test_two_factor_set_up_pages(page: Page, cast):
    login(page, cast.sales)
    page.goto("/accounts/2fa/")
    check_page_quality(page)
    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks for the password again
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1, name="Activate Authenticator App")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    check_page_quality(page)
