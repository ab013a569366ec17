"""What a reader sees on a page: its text nodes and the attributes a screen
reader or a tooltip reads (title, aria-label, placeholder, alt), without
scripts, styles and template comments (which never reach the HTML)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

RULE_ID = re.compile(r"\b(REF|KPI|SEG|TYP|SLA|PAY|PAR|COM|RES|ROLE|BH|SAL)-\d+\b")
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "value"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and not (tag == "input" and name == "value"):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def rule_ids_in(html: str) -> list[str]:
    """The rule IDs a reader would see on the page (none, we hope), with context."""
    text = visible_text(html)
    return [text[max(0, m.start() - 60) : m.end() + 20] for m in RULE_ID.finditer(text)]
