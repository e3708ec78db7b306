"""Small HTML checks for server-rendered pages: CSP-clean, one h1, every input labelled."""

from __future__ import annotations

from html.parser import HTMLParser

LABELLED_BY_TYPE_EXEMPT = {"hidden", "submit", "button", "reset", "image"}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1 = 0
        self.problems: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str | None, bool]] = []  # (description, id, wrapped in a label)
        self._label_depth = 0
        self._in_script = False
        self._script_has_src = False
        self._script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in attributes:
            if name == "style":
                self.problems.append(f"inline style attribute on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"inline event handler {name} on <{tag}>")
            elif name.startswith("hx-on"):
                self.problems.append(f"{name} on <{tag}> (needs eval)")
        if tag == "style":
            self.problems.append("inline <style> element")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag == "script":
            self._in_script = True
            self._script_has_src = bool(attributes.get("src"))
            self._script_text = ""
            kind = attributes.get("type") or "text/javascript"
            if kind in ("text/javascript", "module") and not attributes.get("nonce"):
                self.problems.append(f"script without nonce: {attributes.get('src') or 'inline'}")
            if kind in ("text/javascript", "module") and not self._script_has_src:
                self.problems.append("inline script")
        elif tag in ("input", "select", "textarea"):
            kind = attributes.get("type", "text") if tag == "input" else tag
            if kind in LABELLED_BY_TYPE_EXEMPT or "aria-label" in attributes or "aria-labelledby" in attributes:
                return
            description = f"<{tag} name={attributes.get('name')!r} id={attributes.get('id')!r}>"
            self.controls.append((description, attributes.get("id"), self._label_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1
        elif tag == "script":
            self._in_script = False


def page_problems(html: str) -> list[str]:
    """Everything wrong with the page by Rapport's UI rules (empty when the page is fine)."""
    parser = _PageParser()
    parser.feed(html)
    problems = list(parser.problems)
    if parser.h1 != 1:
        problems.append(f"{parser.h1} <h1> elements (want exactly one)")
    for description, control_id, wrapped in parser.controls:
        if not wrapped and (not control_id or control_id not in parser.label_for):
            problems.append(f"unlabelled {description}")
    if 'name="viewport"' not in html:
        problems.append("no viewport meta (the page would not fit a phone)")
    return problems
