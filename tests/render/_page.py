"""Reading rendered pages in tests: their text, elements, and every place a page could load something from.

Imported relatively (``from ._page import Page``); fixtures stay in the conftest.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["Page", "remote_references"]

# Attributes through which HTML can load or link a resource.
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "cite", "background", "longdesc",
                  "xlink:href", "manifest", "ping", "codebase", "archive", "lowsrc", "dynsrc", "icon"}
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)


class Page(HTMLParser):
    """A parsed page: ``elements`` (tag, attributes), ``text`` (visible text, whitespace collapsed), ``styles``."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._chunks: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()
        self.text = re.sub(r"\s+", " ", " ".join(self._chunks)).strip()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.elements.append((tag, found))
        if "style" in found:
            self.styles.append(found["style"])
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        else:
            self._chunks.append(data)

    def with_class(self, name: str) -> list[dict[str, str]]:
        return [attrs for _, attrs in self.elements if name in attrs.get("class", "").split()]

    @property
    def verdict(self) -> str:
        """The state of the page's first verdict band: verified, failed or undecided."""
        return self.with_class("verdict")[0]["class"].split()[1]

    def tags(self, tag: str) -> list[dict[str, str]]:
        return [attrs for found, attrs in self.elements if found == tag]


def remote_references(html: str) -> list[str]:
    """Everything in ``html`` that would make a browser fetch (or link to) another origin: empty for a sealed page.

    URL attributes that are not ``data:`` or ``#fragment``; ``<script>``, ``<link>``, ``<iframe>``, ``<object>``,
    ``<embed>``, ``<base>``, ``<meta http-equiv=refresh>``; ``url(…)`` and ``@import`` in CSS.
    """
    page = Page(html)
    found: list[str] = []
    for tag, attrs in page.elements:
        if tag in ("script", "link", "iframe", "object", "embed", "base", "frame", "audio", "video", "source"):
            found.append(f"<{tag}>")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            found.append("<meta refresh>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag}[{name}] handler")
            if name in URL_ATTRIBUTES and not (value.startswith("data:") or value.startswith("#")):
                found.append(f"{tag}[{name}]={value[:80]}")
            elif name in URL_ATTRIBUTES and _REMOTE.match(value):
                found.append(f"{tag}[{name}]={value[:80]}")
    for css in page.styles:
        found += [f"css url({url})" for url in _CSS_URL.findall(css) if not url.startswith("data:")]
        if _CSS_IMPORT.search(css):
            found.append("css @import")
    return found
