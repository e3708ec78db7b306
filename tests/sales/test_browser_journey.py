"""The sales journey in a real browser (issue #4, item 12): convert a lead, drag the deal across
two stages, add a line item, create and accept a quote, see the order and balance on the company
page. Uses the browser fixtures of tests/browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rapport.contacts import services as contact_services
from rapport.contacts.models import LifecycleStage
from rapport.sales.models import Deal
from tests.browser.quality import PHONE, check_page_quality, login
from tests.sales.factories import PipelineFactory

pytestmark = pytest.mark.browser


def _drag(page: Page, card, column) -> None:
    """Drag with small mouse steps, as a person would (SortableJS listens to the moves)."""
    box, target = card.bounding_box(), column.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
    page.mouse.down()
    steps = 12
    for i in range(1, steps + 1):
        page.mouse.move(
            box["x"] + box["width"] / 2 + (target["x"] + 30 - box["x"]) * i / steps,
            box["y"] + 10 + (target["y"] + 40 - box["y"]) * i / steps,
        )
    page.mouse.up()


def test_a_rep_converts_a_lead_moves_the_deal_quotes_it_and_sees_the_balance(page: Page, cast, acting):
    pipeline = PipelineFactory(workspace=cast.workspace, name="Sales")
    stages = list(pipeline.stages.order_by("position"))
    with acting(cast.sales, cast.workspace) as actor:
        lead = contact_services.contact_create(
            actor=actor,
            data={"first_name": "Grace", "last_name": "Lead", "lifecycle_stage": LifecycleStage.LEAD},
            emails=["grace@initech.example"],
        )
    login(page, cast.sales)

    # Convert the lead: Leads → Convert → Convert.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="Convert").click()
    page.get_by_label("New company name").fill("Initech")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("deal"))
    deal = Deal.objects.get()
    check_page_quality(page)

    # Drag the deal across two stages on the board.
    page.goto(f"/pipelines/{pipeline.pk}/board/")
    card = page.locator(f"#deal-{deal.pk}")
    for stage in stages[1:3]:
        _drag(page, page.locator(f"#deal-{deal.pk}"), page.locator(f'.board-list[data-stage="{stage.pk}"]'))
        expect(page.locator("#board-status")).to_contain_text(f"moved to {stage.name}")
        expect(page.locator(f'.board-list[data-stage="{stage.pk}"] #deal-{deal.pk}')).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == stages[2]
    expect(card).to_be_visible()
    check_page_quality(page)

    # Add a line item on the deal page.
    page.goto(f"/deals/{deal.pk}/")
    expect(page.locator("details:has(summary:text('Add a line'))")).to_have_attribute("open", "")  # no lines yet
    add_line = page.locator("details:has(summary:text('Add a line'))")
    add_line.get_by_label("Name", exact=True).fill("Consulting day")
    add_line.get_by_label("Unit price").fill("1200")
    add_line.get_by_label("Quantity").fill("2")
    add_line.get_by_role("button", name="Add line").click()
    expect(page.get_by_role("cell", name="Consulting day", exact=True)).to_be_visible()
    expect(page.get_by_text("USD 2,400.00").first).to_be_visible()

    # Create and accept a quote.
    page.get_by_role("button", name="Create a quote").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Q-00001")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("accepted", exact=False).first).to_be_visible()

    # The company page shows the order and what is still due.
    company = deal.company
    assert company is not None
    page.goto(f"/companies/{company.pk}/")
    panel = page.get_by_role("region", name="Orders and balance")
    expect(panel).to_contain_text("O-00001")
    expect(panel).to_contain_text("USD 2,400.00")
    check_page_quality(page)
    page.set_viewport_size(PHONE)
    page.goto(f"/pipelines/{pipeline.pk}/board/")
    check_page_quality(page)
    assert lead.pk


def test_a_stale_drag_is_refused_and_the_card_goes_back(page: Page, cast):
    pipeline = PipelineFactory(workspace=cast.workspace, name="Sales")
    stages = list(pipeline.stages.order_by("position"))
    from tests.sales.factories import DealFactory

    deal = DealFactory(pipeline=pipeline, owner=cast.sales, name="Contested deal")
    login(page, cast.sales)
    page.goto(f"/pipelines/{pipeline.pk}/board/")
    Deal.all_objects.filter(pk=deal.pk).update(version=deal.version + 1)  # someone else changed it meanwhile

    _drag(page, page.locator(f"#deal-{deal.pk}"), page.locator(f'.board-list[data-stage="{stages[2].pk}"]'))

    expect(page.locator("#board-status")).to_contain_text("someone else")
    expect(page.locator(f'.board-list[data-stage="{stages[0].pk}"] #deal-{deal.pk}')).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == stages[0]
    expected = [line for line in page.issues.describe() if "409" in line]  # the refused POST, on purpose
    assert expected
    page.issues.clear()
