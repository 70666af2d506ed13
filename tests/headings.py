"""Heading outline checks: a page's headings, in document order, never skip a level.

Screen-reader users move through a page by its headings; a card title one level too deep
(an h3 straight under the page's h1) tells them a section is missing (axe-core's
``heading-order``). Only real headings count: ``<h1>``–``<h6>`` elements, whatever class
sets their size.
"""

from __future__ import annotations

from html.parser import HTMLParser

HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self._open: int | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in HEADING_TAGS:
            self._open, self._text = HEADING_TAGS[tag], []

    def handle_endtag(self, tag):
        if tag in HEADING_TAGS and self._open is not None:
            self.headings.append((self._open, " ".join("".join(self._text).split())))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)


def headings(html: str) -> list[tuple[int, str]]:
    """The page's headings as (level, text), in document order."""
    reader = _Headings()
    reader.feed(html)
    reader.close()
    return reader.headings


def skipped_levels(html: str) -> list[str]:
    """Every heading that goes more than one level deeper than the heading before it (or a
    first heading that is not an h1), as "h1 → h3 'Title'"; empty when the outline is sound."""
    problems = []
    previous = 0
    for level, text in headings(html):
        if level > previous + 1:
            problems.append(f"h{previous} → h{level} {text!r}" if previous else f"starts at h{level} {text!r}")
        previous = level
    return problems
