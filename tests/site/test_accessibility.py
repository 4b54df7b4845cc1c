"""Accessibility of the built pages: alt text on every image, headings in order,
the page's language declared.

Colour-blind-safe palettes are checked at their source, in `tests/test_palette.py`
(the palette in `book.plots` under simulated colour blindness, and no colour in a
chapter or the package that does not come from it).
"""

import re
from pathlib import PurePosixPath

import pytest
from booksite import Page, toc_docnames

# A figure's alt text says what the figure shows. docutils writes the image's own
# address as its alt text when none is given, so a file name is not alt text.
_FILE_NAME = re.compile(r"\.(png|jpe?g|svg|gif|webp)$", re.I)


def alt_text_problems(page: Page) -> list[str]:
    problems = []
    for image in page.images:
        alt = (image.alt or "").strip()
        if not alt:
            problems.append(f"{image.src}: no alt text")
        elif alt == image.src or PurePosixPath(alt).name == PurePosixPath(image.src).name:
            problems.append(f"{image.src}: alt text is the file's address")
        elif _FILE_NAME.search(alt):
            problems.append(f"{image.src}: alt text {alt!r} is a file name")
    return problems


def heading_problems(page: Page) -> list[str]:
    """The article starts with one h1 and never skips a level going down."""
    levels = [level for level, _ in page.headings]
    problems = []
    if not levels:
        return ["no headings in the article"]
    if levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}, not h1")
    if levels.count(1) > 1:
        problems.append(f"{levels.count(1)} h1 headings; a page has one title")
    for (before, _), (level, text) in zip(page.headings, page.headings[1:], strict=False):
        if level > before + 1:
            problems.append(f"h{before} is followed by h{level} ({text!r}): a level is skipped")
    problems += [f"empty h{level}" for level, text in page.headings if not text]
    return problems


CONTENT_PAGES = [f"{d}.html" for d in toc_docnames()]


@pytest.mark.parametrize("rel", CONTENT_PAGES)
def test_every_image_has_alt_text(pages, rel):
    assert not alt_text_problems(pages[rel]), alt_text_problems(pages[rel])


@pytest.mark.parametrize("rel", CONTENT_PAGES)
def test_headings_are_in_order(pages, rel):
    assert not heading_problems(pages[rel]), heading_problems(pages[rel])


def test_every_page_declares_its_language(pages):
    # index.html is Sphinx's redirect to the root page: no content, no language
    missing = [rel for rel, p in pages.items() if rel != "index.html" and not p.lang]
    assert not missing, f"pages without <html lang=...>: {missing}"


def test_the_checks_catch_missing_alt_text_and_skipped_headings(tmp_path):
    """Both checks can fail, including on docutils' file-name fallback."""
    from booksite import parse_page

    probe = tmp_path / "probe.html"
    probe.write_text(
        '<html lang="en"><body><article class="bd-article">'
        "<h2>Starts at h2</h2><h4>Skips h3</h4><h1>Title</h1><h1>Second title</h1>"
        '<img src="a.png"><img src="../_images/b.png" alt="../_images/b.png">'
        '<img src="c.png" alt="  "><img src="d.svg" alt="A line rising to the right.">'
        "</article></body></html>"
    )
    page = parse_page(probe)
    assert len(alt_text_problems(page)) == 3
    found = " | ".join(heading_problems(page))
    for expected in ("first heading is h2", "2 h1 headings", "h2 is followed by h4"):
        assert expected in found
