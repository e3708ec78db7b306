"""The page-quality checks catch what they promise to catch (a check that cannot fail proves nothing).

Each test serves a deliberately broken page on the live server's origin through Playwright's
request routing, with the same CSP header the app sends, and looks at what the checks report.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.quality import page_quality_problems

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"


def serve(page: Page, main: str, *, css: str = "", stylesheets: tuple[str, ...] = ()) -> list[str]:
    """Open a page whose <main> holds ``main`` and return what the quality checks report.

    ``css`` is served as a stylesheet of its own (the CSP forbids inline styles); ``stylesheets``
    are more URLs to link, such as the app's own CSS.
    """
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in (*stylesheets, "/__quality-check__.css"))
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Test page</title>{links}</head>"
    )
    page.route("**/__quality-check__.css", lambda route: route.fulfill(content_type="text/css", body=css))
    page.route(
        "**/__quality-check__/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": CSP},
            body=f"{head}<body><main>{main}</main></body></html>",
        ),
    )
    page.goto("/__quality-check__/")
    return page_quality_problems(page)


def test_a_clean_page_has_no_problems(page: Page):
    problems = serve(page, "<h1>All fine</h1><p>Nothing to see.</p>")

    assert problems == []


def test_inline_script_blocked_by_the_csp_is_reported(page: Page):
    problems = serve(page, "<h1>Inline</h1><script>document.title = 'x'</script>")

    assert any(p.startswith("CSP violation:") for p in problems), problems


def test_inline_style_attribute_blocked_by_the_csp_is_reported(page: Page):
    problems = serve(page, '<h1 style="color: red">Inline style</h1>')

    assert any(p.startswith("CSP violation:") and "style" in p for p in problems), problems


def test_uncaught_javascript_error_is_reported(page: Page):
    page.route("**/__broken__.js", lambda route: route.fulfill(content_type="text/javascript", body="nope();"))

    problems = serve(page, '<h1>Broken</h1><script src="/__broken__.js"></script>')

    assert any(p.startswith("uncaught exception:") and "nope" in p for p in problems), problems


def test_missing_sub_resource_is_reported(page: Page):
    problems = serve(page, '<h1>Missing</h1><script src="/static/nowhere.js"></script>')

    assert any(p.startswith("failed request:") and "nowhere.js" in p for p in problems), problems


def test_serious_accessibility_violation_is_reported_with_rule_and_node(page: Page):
    problems = serve(page, '<h1>Form</h1><input id="unlabelled" type="text">')

    assert any(p.startswith("axe label (critical)") and "#unlabelled" in p for p in problems), problems


def test_sideways_scrolling_on_a_phone_is_reported_with_the_culprit(page: Page):
    problems = serve(page, '<h1>Wide</h1><img id="wide" alt="" width="600" height="10" src="data:,">')

    assert any("sideways scrolling at 390 px" in p and "img#wide" in p for p in problems), problems
    assert not any("sideways scrolling at 1280 px" in p for p in problems), problems


def test_sideways_scrolling_names_hidden_content_that_escapes_a_scrolling_table(page: Page):
    problems = serve(
        page,
        '<h1>Table</h1><div class="wrap"><table><tr><td><img alt="" width="600" height="1" src="data:,">'
        '<label id="escapee" for="x">Hidden label</label><input id="x"></td></tr></table></div>',
        css=".wrap { overflow-x: auto } #escapee { position: absolute; width: 1px; overflow: hidden }",
    )

    assert any("sideways scrolling at 390 px" in p and "label#escapee" in p for p in problems), problems


def test_hidden_labels_in_a_wide_table_do_not_make_the_app_scroll_sideways(page: Page):
    problems = serve(
        page,
        '<h1>Table</h1><div class="table-wrap"><table class="table"><tr><td>'
        '<img alt="" width="600" height="1" src="data:,"></td><td>'
        '<label class="visually-hidden" for="x">Hidden label</label><input id="x"></td></tr></table></div>',
        stylesheets=("/static/rapport/app.css",),
    )

    assert problems == []
