"""Helpers for browser tests: log in through the form, check a page's quality, crawl the app.

``check_page_quality(page)`` enforces, for the page as it is now:
- no console errors, uncaught exceptions, failed requests or CSP violations since the last check;
- no axe-core violation of impact *serious* or *critical*;
- no sideways scrolling at 1280 px and at 390 px wide.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.factories import PASSWORD

HERE = Path(__file__).resolve().parent
AXE_PATH = HERE / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")


@functools.cache
def axe_source() -> str:
    """axe-core as installed by `npm ci` in tests/browser; a missing install fails, never skips."""
    if not AXE_PATH.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_PATH} is missing). Run `npm ci` in tests/browser "
            "(it installs the version pinned in tests/browser/package-lock.json).",
            pytrace=False,
        )
    return AXE_PATH.read_text(encoding="utf-8")


def login(page: Page, user, password: str = PASSWORD) -> None:
    """Log ``user`` in through the real login form and wait until the app has let them in."""
    response = page.goto("/accounts/login/")
    if response is None or not response.ok:
        pytest.fail(f"The login page answered HTTP {response.status if response else 'nothing'}.", pytrace=False)
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
  }));
}"""

OVERFLOW_PROBE = """() => {
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= width) return {scrollWidth, width, culprits: []};
  const style = el => getComputedStyle(el);
  // Can this element widen the page, or does an overflow box in its containing-block chain clip it?
  const escapes = el => {
    for (let node = el; node && node !== document.body;) {
      const position = style(node).position;
      if (position === 'fixed') return false;
      let parent = node.parentElement;
      if (position === 'absolute') {
        while (parent && parent !== document.body && style(parent).position === 'static') parent = parent.parentElement;
      }
      if (!parent || parent === document.body) return true;
      if (style(parent).overflowX !== 'visible') return false;
      node = parent;
    }
    return true;
  };
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const wide = new Set([...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && escapes(el)));
  const culprits = [...new Set([...wide].filter(el => !wide.has(el.parentElement))
    .map(el => describe(el) + ' reaches ' + Math.round(el.getBoundingClientRect().right) + 'px'))].slice(0, 5);
  return {scrollWidth, width, culprits};
}"""


def axe_problems(page: Page) -> list[str]:
    """axe-core findings of impact serious or critical: rule id, help, and the offending nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: no <script> tag, so the page's CSP is untouched.
        page.evaluate(axe_source())
    problems = []
    for violation in page.evaluate(AXE_RUN):
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        nodes = [f"      at {n['target']}: {n['html']}" for n in violation["nodes"][:5]]
        if len(violation["nodes"]) > 5:
            nodes.append(f"      … and {len(violation['nodes']) - 5} more")
        problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']}\n" + "\n".join(nodes))
    return problems


def overflow_problems(page: Page) -> list[str]:
    """Sideways scrolling at desktop and phone widths, naming the elements that stick out."""
    problems = []
    original = page.viewport_size or DESKTOP
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        probe = page.evaluate(OVERFLOW_PROBE)
        if probe["scrollWidth"] > probe["width"]:
            culprits = "; ".join(probe["culprits"]) or "no single element found"
            problems.append(
                f"sideways scrolling at {size['width']} px: the page is {probe['scrollWidth']} px wide ({culprits})"
            )
    page.set_viewport_size(original)
    return problems


def page_quality_problems(page: Page) -> list[str]:
    """Everything wrong with the page as it is now; empties ``page.issues`` once reported."""
    page.wait_for_load_state("load")
    problems = page.issues.describe()  # type: ignore[attr-defined]
    page.issues.clear()  # type: ignore[attr-defined]
    problems += axe_problems(page)
    problems += overflow_problems(page)
    return problems


def check_page_quality(page: Page) -> None:
    """Fail the test with every quality problem the current page has."""
    problems = page_quality_problems(page)
    if problems:
        pytest.fail(f"{page.url} has quality problems:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


# --- Crawling -------------------------------------------------------------------------------

# Paths a crawl never opens: leaving, the Django admin, and the JSON API (its docs page excepted).
SKIPPED_PREFIXES = ("/accounts/logout/", "/admin/", "/api/", "/static/", "/media/")
CRAWLED_EXCEPTIONS = ("/api/v1/docs/",)
# Downloads (CSV, Excel, vCard, PDF, archives) are files, not pages: their own tests check them.
DOWNLOAD_SUFFIXES = ("/export/", ".csv", ".xlsx", ".vcf", ".pdf", ".ics", ".zip", "/download/")


LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter(a => !a.hasAttribute('download'))
  .map(a => a.href)"""


@dataclass
class CrawlReport:
    visited: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    linked_from: dict[str, str] = field(default_factory=dict)
    not_visited: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{len(self.problems)} of {len(self.visited)} crawled pages have problems:"]
        for url, problems in self.problems.items():
            lines.append(f"\n{url}  (linked from {self.linked_from.get(url, 'the start')})")
            lines += [f"  - {problem}" for problem in problems]
        lines.append("\nCrawled: " + " ".join(_path_and_query(url) for url in self.visited))
        if self.not_visited:
            lines.append(f"Not crawled (page limit reached): {' '.join(map(_path_and_query, self.not_visited))}")
        return "\n".join(lines)


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_kind(path: str, query: str) -> tuple[str, bool]:
    """Pages of one kind share a URL pattern (``contacts/<int:pk>/``); a query string makes another kind."""
    try:
        route = resolve(path).route
    except Resolver404:
        route = path
    return route, bool(query)


def should_crawl(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return False
    path = parts.path or "/"
    if path.endswith(DOWNLOAD_SUFFIXES):
        return False
    if path.startswith(CRAWLED_EXCEPTIONS):
        return True
    return not path.startswith(SKIPPED_PREFIXES)


def crawl(page: Page, start_paths: list[str], *, limit: int = 80) -> CrawlReport:
    """Open every kind of same-origin page reachable by links from ``start_paths`` (GET only); check each.

    One page per URL pattern is opened (the first link met: one contact stands for all contacts),
    plus the first link to it with a query string (one filtered or sorted list). Pages answering
    with an error status are reported; pages that are not HTML or start a download are skipped;
    every HTML page gets ``page_quality_problems``.
    """
    if not page.url.startswith("http"):
        page.goto(start_paths[0])
    origin = page.evaluate("() => location.origin")
    report = CrawlReport()
    queue: deque[str] = deque()
    kinds: set[tuple[str, bool]] = set()

    def enqueue(url: str, referrer: str | None) -> None:
        parts = urlsplit(url)._replace(fragment="")
        url = parts.geturl()
        kind = page_kind(parts.path or "/", parts.query)
        if kind in kinds or not should_crawl(url, origin):
            return
        kinds.add(kind)
        queue.append(url)
        if referrer:
            report.linked_from[url] = referrer

    # axe-core is parsed into every page the crawl opens before the page's own scripts run
    # (through the DevTools protocol, so the CSP does not apply); cheaper than one evaluate per page.
    page.context.add_init_script(axe_source())
    for path in start_paths:
        enqueue(f"{origin}{path}", None)

    while queue and len(report.visited) < limit:
        url = queue.popleft()
        try:
            response = page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):
                continue
            report.problems[url] = [f"could not open: {exc.message.splitlines()[0]}"]
            report.visited.append(url)
            continue
        report.visited.append(url)
        final = urlsplit(page.url)
        kinds.add(page_kind(final.path or "/", final.query))
        problems: list[str] = []
        if response is None or response.status >= 400:
            problems.append(f"answers HTTP {response.status if response else 'nothing'}")
        content_type = (response.headers.get("content-type", "") if response else "").split(";")[0]
        if content_type != "text/html":
            page.issues.clear()  # type: ignore[attr-defined]
            if problems:
                report.problems[url] = problems
            continue
        problems += page_quality_problems(page)
        if problems:
            report.problems[url] = problems
        if should_crawl(page.url, origin):  # a redirect may have led outside the crawlable area
            for link in page.evaluate(LINKS):
                enqueue(link, url)
    report.not_visited = list(queue)
    return report
