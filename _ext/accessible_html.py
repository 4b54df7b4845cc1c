"""Accessibility faults of the theme's and docutils' markup, fixed in the written pages.

axe-core (tests/browser/test_accessibility.py) finds these in every build of
jupyter-book 1.0.4 with pydata-sphinx-theme 0.17 and docutils 0.21; each is fixed
where it is written, for every reader (not by a script in the page):

- **label-content-name-mismatch**: the search button is named "Search" but shows
  "Search Ctrl+K"; the colour-mode button's icons carry titles (Light, Dark, System
  Settings) that compete with its name, "Color mode"; a hidden code cell's toggle is
  named "Toggle hidden content" but shows "Show code cell source". A control's
  spoken name must contain its visible text (WCAG 2.5.3): the names are taken from
  the text, and the icons are hidden from assistive technology.
- **aria-required-children**: docutils gives the bibliography's list `role="list"` and
  its entries `role="doc-biblioentry"`, a role deprecated in DPUB-ARIA 1.1, so the
  list has no list items; the entries become list items.

Each replacement is counted; a fault that no longer appears (after an upgrade) leaves
the page as it is, and the browser test will say whether the fault is gone.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXES = (
    # (what, pattern, replacement)
    (
        "search button named by its text",
        re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'),
        r"\1",
    ),
    (
        "colour-mode icons hidden from assistive technology",
        re.compile(r'<i class="theme-switch ([^"]*)"\s+data-mode="(\w+)"\s+title="[^"]*"\s*></i>'),
        r'<i class="theme-switch \1" data-mode="\2" aria-hidden="true"></i>',
    ),
    (
        "code toggles named by their text",
        re.compile(r'<summary aria-label="Toggle hidden content">'),
        "<summary>",
    ),
    (
        "bibliography entries as list items",
        re.compile(r'(<div class="citation" id="[^"]+") role="doc-biblioentry"'),
        r'\1 role="listitem"',
    ),
)


def fix_page(text: str) -> tuple[str, int]:
    """The page with every fix applied, and how many replacements were made.

    Examples
    --------
    >>> fix_page('<summary aria-label="Toggle hidden content"><p>Show code</p></summary>')
    ('<summary><p>Show code</p></summary>', 1)
    """
    count = 0
    for _, pattern, replacement in FIXES:
        text, n = pattern.subn(replacement, text)
        count += n
    return text, count


def fix_written_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.relative_to(app.outdir).parts:
            continue
        text = path.read_text(encoding="utf-8")
        fixed, count = fix_page(text)
        if count:
            path.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", fix_written_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
