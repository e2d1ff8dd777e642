"""Strips page chrome (navigation bars, scripts) from HTML before docling reads it, so it is never indexed."""

from __future__ import annotations

from bs4 import BeautifulSoup

# Navigation is repeated on every page of a site or manual ("Prev | Up | Next", breadcrumbs): indexed, it
# becomes near-duplicate chunks that crowd out content. `navheader`/`navfooter` are DocBook's classes (the
# PostgreSQL manual and many others); `nav` and role=navigation are HTML5's.
_CHROME_SELECTORS = ("nav", "[role=navigation]", ".navheader", ".navfooter", "script", "style", "noscript")


def strip_page_chrome(data: bytes) -> bytes:
    """The same HTML without navigation bars, scripts and styles; content, tables and headings are untouched."""
    soup = BeautifulSoup(data, "html.parser")
    removed = 0
    for selector in _CHROME_SELECTORS:
        for element in soup.select(selector):
            element.decompose()
            removed += 1
    return soup.encode("utf-8") if removed else data
