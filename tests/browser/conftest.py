"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Every page a test opens is watched for console errors, uncaught exceptions, failed requests and
CSP violations; ``check_page_quality(page)`` adds axe-core (serious and critical findings) and the
"no sideways scrolling at 390 and 1280 px" rule. See docs/testing.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from tests.browser.quality import DESKTOP, HERE, axe_source

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Navigating away cancels requests still in flight; that is not a defect of the page.
IGNORED_REQUEST_FAILURES = ("net::ERR_ABORTED",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser is a browser test, whether or not its module says so."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- The browser ----------------------------------------------------------------------------


_SHARED: dict[str, Browser] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run, also when another test package re-exports this fixture.

    Playwright's sync API refuses to start while another instance runs in the same thread, so a
    second copy of this fixture (``from tests.browser.conftest import browser``) reuses the first.
    """
    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}. Install Debian's package: "
            "`apt-get update && apt-get install -y chromium` (never `playwright install`).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        _SHARED["browser"] = browser
        try:
            yield browser
        finally:
            del _SHARED["browser"]
            browser.close()


# --- A watched page -------------------------------------------------------------------------


@dataclass
class PageIssues:
    """What went wrong in the browser since the last quality check."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"CSP violation: {text}" for text in self.csp_violations]
        lines += [f"console error: {text}" for text in self.console_errors]
        lines += [f"uncaught exception: {text}" for text in self.page_errors]
        lines += [f"failed request: {text}" for text in self.failed_requests]
        return lines

    def clear(self) -> None:
        for name in ("console_errors", "page_errors", "failed_requests", "csp_violations"):
            getattr(self, name).clear()


def _expected_console_error(text: str, location: str, page_url: str) -> bool:
    """Chromium's probe for /favicon.ico, and the status of the page itself (the test checks that)."""
    return location.endswith("/favicon.ico") or (text.startswith("Failed to load resource") and location == page_url)


def _watch(page: Page, issues: PageIssues) -> None:
    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        location = message.location.get("url", "") if message.location else ""
        where = f" ({location})" if location else ""
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            issues.csp_violations.append(f"{text}{where}")
        elif message.type == "error" and not _expected_console_error(text, location, page.url):
            issues.console_errors.append(f"{text}{where}")

    def on_request_failed(request: Request) -> None:
        failure = request.failure or "unknown failure"
        if not failure.startswith(IGNORED_REQUEST_FAILURES):
            issues.failed_requests.append(f"{request.method} {request.url}: {failure}")

    def on_response(response: Response) -> None:
        # A page that answers 4xx/5xx is reported by the test that opened it; here the
        # sub-resources (scripts, styles, HTMX fragments) a page needs but cannot get.
        if response.status >= 400 and not response.request.is_navigation_request():
            issues.failed_requests.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: issues.page_errors.append(str(error)))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser: Browser, live_server, _security_log_flushable: None
) -> Iterator[Page]:
    """A fresh browser context at 1280 x 800 pointed at the live server, with its issues recorded.

    ``page.issues`` (a PageIssues) collects problems; any left unchecked when the test ends fail it.
    """
    axe_source()  # fail at once, with the fix, when `npm ci` has not been run
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    issues = PageIssues()
    _watch(page, issues)
    page.issues = issues  # type: ignore[attr-defined]
    yield page
    leftover = issues.describe()
    context.close()
    if leftover and request.node.stash.get(_CALL_FAILED, False):
        request.node.add_report_section("teardown", "browser", "\n".join(leftover))
    elif leftover:
        pytest.fail("The browser reported problems:\n" + "\n".join(f"  - {line}" for line in leftover))
