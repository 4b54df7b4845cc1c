"""The built book needs no other host at reading time, and its pages stay light.

Offline checks of `_build/html`: every script, stylesheet, font and image a page or
a stylesheet loads is the book's own (MathJax and the widget manager are vendored under
`_static/vendor/`, tools/vendor.py); no page loads a script twice; the widget scripts
load only where a widget shows; and each page, with its own images, weighs less than
`PAGE_BUDGET`. The links a reader may follow to other sites (Binder, the repository,
sources) are links, not loads, and stay. The real browser confirms it:
tests/browser/ blocks every outside host and fails on any request that leaves.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from booksite import HTML_DIR, is_external, resolve, toc_docnames

from book.widgets.explorer import PAGE_BUDGET

# what a page loads (as opposed to links a reader follows)
_LOADS = re.compile(
    r"<(script|img|iframe|source|audio|video|embed)\b[^>]*?\bsrc=\"([^\"]+)\""
    r"|<link\b[^>]*?\brel=\"(?:stylesheet|preload|modulepreload|icon|shortcut icon)\"[^>]*?"
    r"\bhref=\"([^\"]+)\""
)
_SCRIPT = re.compile(r"<script\b[^>]*?\bsrc=\"([^\"]+)\"")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)|@import\s+['\"]([^'\"]+)['\"]")


def _loads(html: str) -> list[str]:
    return [m.group(2) or m.group(3) for m in _LOADS.finditer(html)]


CONTENT_PAGES = [f"{d}.html" for d in toc_docnames()]


def test_no_page_loads_anything_from_another_host(pages):
    outside = {
        rel: url
        for rel, page in pages.items()
        for url in _loads(page.path.read_text(encoding="utf-8"))
        if is_external(url)
    }
    assert not outside, f"pages that load from another host: {outside}"


def test_no_stylesheet_loads_anything_from_another_host():
    outside = []
    for css in HTML_DIR.joinpath("_static").rglob("*.css"):
        for match in _CSS_URL.finditer(css.read_text(encoding="utf-8", errors="replace")):
            url = match.group(1) or match.group(2)
            if is_external(url) and not url.startswith("data:"):
                outside.append(f"{css.relative_to(HTML_DIR)}: {url}")
    assert not outside, outside


@pytest.mark.parametrize("rel", CONTENT_PAGES)
def test_every_script_loads_once_and_widget_scripts_only_with_a_widget(pages, rel):
    html = pages[rel].path.read_text(encoding="utf-8")
    scripts = [url.split("?")[0] for url in _SCRIPT.findall(html)]
    twice = [url for url, n in Counter(scripts).items() if n > 1]
    assert not twice, f"scripts loaded twice: {twice}"
    widget_scripts = [s for s in scripts if "html-manager" in s or "requirejs" in s]
    shows_a_widget = "application/vnd.jupyter.widget-view+json" in html
    assert bool(widget_scripts) == shows_a_widget, widget_scripts
    if '<span class="math' in html or '<div class="math' in html:
        assert any(s.endswith("vendor/mathjax/tex-chtml.js") for s in scripts)


def _weight(page: Path, html: str) -> int:
    """The page and the images it shows (shared theme files and scripts are cached)."""
    images = {
        resolve(page, url)[0]
        for url in re.findall(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", html)
        if not is_external(url) and not url.startswith("data:")
    }
    return len(html.encode()) + sum(p.stat().st_size for p in images if p.is_file())


@pytest.mark.parametrize("rel", CONTENT_PAGES)
def test_every_page_stays_within_its_budget(pages, rel):
    html = pages[rel].path.read_text(encoding="utf-8")
    weight = _weight(pages[rel].path, html)
    assert weight < PAGE_BUDGET, f"{rel} weighs {weight / 1e6:.2f} MB"


def test_the_checks_catch_an_outside_script_a_repeat_and_an_outside_font(tmp_path):
    html = (
        '<script src="https://cdn.example.org/x.js"></script>'
        '<script src="_static/a.js?v=1"></script><script src="_static/a.js?v=1"></script>'
        '<img src="data:image/png;base64,AAAA" alt="carried by the page">'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">'
        '<a href="https://mybinder.org/">a link, not a load</a>'
    )
    loads = _loads(html)
    assert [u for u in loads if is_external(u)] == [
        "https://cdn.example.org/x.js",
        "//fonts.example.org/f.css",
    ]
    assert Counter(u.split("?")[0] for u in _SCRIPT.findall(html))["_static/a.js"] == 2
    css = "@font-face{src:url('https://fonts.example.org/a.woff2')} b{background:url(x.png)}"
    found = [m.group(1) or m.group(2) for m in _CSS_URL.finditer(css)]
    assert [u for u in found if is_external(u)] == ["https://fonts.example.org/a.woff2"]
