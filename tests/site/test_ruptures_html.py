"""The ruptures page shows the session monitor's static figure (`fig-monitor`).

In the HTML book no Python runs and the live monitor's output is removed, so this
figure is all a reader without a kernel sees of the monitor. It must be on the page
once, as a loaded image with the alt text and the caption written in the chapter's
cell metadata, numbered, and the target of the exercise that asks the reader to read it.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from booksite import HTML_DIR, ROOT, resolve

CHAPTER = "chapters/ruptures"
FIGURE = "fig-monitor"


def _words(text: str) -> str:
    return " ".join(text.split())


def _figure_metadata(name: str) -> dict:
    """The `mystnb` metadata (alt text, caption) of the cell that makes figure `name`."""
    cells = json.loads((ROOT / f"{CHAPTER}.ipynb").read_text())["cells"]
    found = [
        c["metadata"]["mystnb"]
        for c in cells
        if c["metadata"].get("mystnb", {}).get("figure", {}).get("name") == name
    ]
    assert len(found) == 1, f"{len(found)} cells of {CHAPTER} make {name}"
    return found[0]


class _FigureParser(HTMLParser):
    """The element whose id is `name`: how often it occurs, the images inside it, the
    text of its caption and its number, and the links to it from elsewhere on the page."""

    def __init__(self, name: str):
        super().__init__(convert_charrefs=True)
        self.name = name
        self.occurrences = 0
        self.tag: str | None = None
        self.depth = 0  # open elements of the figure's own tag, the figure included
        self.images: list[dict] = []
        self.in_caption = 0
        self.caption = ""
        self.caption_number = ""
        self.in_number = 0
        self.links_to_it = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth == 0:
            # a link from outside the figure (its own permalink "#" is inside it)
            if tag == "a" and (attrs.get("href") or "").endswith(f"#{self.name}"):
                self.links_to_it += 1
            if attrs.get("id") == self.name:
                self.occurrences += 1
                self.tag, self.depth = tag, 1
            return
        if tag == "img":
            self.images.append(attrs)
        if tag == self.tag:
            self.depth += 1
        if tag == "figcaption":
            self.in_caption += 1
        if self.in_caption and "caption-number" in (attrs.get("class") or "").split():
            self.in_number += 1

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        if tag == "figcaption":
            self.in_caption -= 1
        if tag == "span" and self.in_number:
            self.in_number -= 1
        if tag == self.tag:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.in_caption:
            self.caption += data
            if self.in_number:
                self.caption_number += data


@pytest.fixture(scope="module")
def figure(pages):  # `pages` fails the test with a clear message when nothing is built
    path = HTML_DIR / f"{CHAPTER}.html"
    parser = _FigureParser(FIGURE)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return path, parser


def test_the_monitor_figure_is_on_the_page_once_as_a_loaded_image(figure):
    path, found = figure
    assert found.occurrences == 1, f"{FIGURE} occurs {found.occurrences} times in {path.name}"
    assert len(found.images) == 1, f"{FIGURE} holds {len(found.images)} images"
    target, _ = resolve(path, found.images[0]["src"])
    assert target.is_file(), f"{found.images[0]['src']} is not in the build"
    assert target.read_bytes().startswith(b"\x89PNG")


def test_the_monitor_figure_has_the_chapters_alt_text_and_caption(figure):
    _, found = figure
    meta = _figure_metadata(FIGURE)
    alt = _words(found.images[0].get("alt") or "")
    assert len(alt) > 80  # a description, not a file name
    assert alt == _words(meta["image"]["alt"])
    assert _words(meta["figure"]["caption"]) in _words(found.caption)


def test_the_monitor_figure_is_numbered_and_an_exercise_points_to_it(figure):
    _, found = figure
    assert found.caption_number.strip().startswith("Fig"), found.caption_number
    assert found.links_to_it >= 1  # {numref}`fig-monitor` in the exercise on reading it
