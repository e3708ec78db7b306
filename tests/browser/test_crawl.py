"""Every page a person can reach by following links passes the page-quality checks.

The crawl starts at home as the owner of a workspace filled by every app's demo loader, so a
page added later is checked as soon as something links to it. Anonymous pages are crawled too.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page

from rapport.core.demo import DEMO_OWNER_EMAIL, ensure_demo_workspace, run_demo_loaders
from rapport.core.models import Membership
from rapport.core.roles import Role
from tests.browser.quality import crawl, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PAGE_LIMIT = 80


@pytest.fixture
def demo_owner(cast):
    """The owner of the demo workspace with every app's demo data, also a reader in the cast's Acme.

    The demo loaders are written for the demo workspace (they may refer to its people), so the
    crawl uses that workspace; the Acme membership gives the workspace switcher a second entry.
    """
    workspace, _created = ensure_demo_workspace(password=PASSWORD)
    run_demo_loaders(workspace)
    owner = get_user_model().objects.get(email=DEMO_OWNER_EMAIL)
    Membership.objects.create(user=owner, workspace=cast.workspace, role=Role.READ_ONLY)
    return owner


def test_every_page_the_workspace_owner_can_reach_passes_the_quality_checks(page: Page, demo_owner):
    login(page, demo_owner)

    report = crawl(page, ["/"], limit=PAGE_LIMIT)

    assert len(report.visited) > 1, "the crawl found no links from home"
    if report.problems:
        pytest.fail(report.describe(), pytrace=False)


def test_every_public_page_passes_the_quality_checks(page: Page):
    report = crawl(page, ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"], limit=PAGE_LIMIT)

    assert len(report.visited) >= 3
    if report.problems:
        pytest.fail(report.describe(), pytrace=False)
