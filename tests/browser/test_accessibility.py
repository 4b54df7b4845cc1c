"""Accessibility in the browser: axe-core (vendored from npm, tests/browser/vendor/) on every
page of `_toc.yml`, in the theme's light and dark modes, finds no serious or critical
violation; and in dark mode every figure of the article stays readable (it is opaque, or
the page gives it a light background).

axe-core checks what a static parse cannot (tests/site/test_accessibility.py checks alt
text, headings and the page language offline): colour contrast as rendered, names of
controls, ARIA use, landmarks. It runs after MathJax has typeset the page, so the
formulas are checked as readers get them.
"""

from __future__ import annotations

from collections import Counter

import pytest
from booksite import report, toc_docnames
from browsertools import Visit

from tools.vendor import ROOT, TEST_VENDOR

AXE = ROOT / TEST_VENDOR / "axe-core" / "axe.min.js"
PAGES = toc_docnames()
FAILING = ("serious", "critical")

# resolves when MathJax (loaded before the page's load event) has typeset the page
MATH_TYPESET = (
    "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
    " ? MathJax.startup.promise.then(() => true) : true"
)

# the figure is readable on a dark page: opaque in its corners, or on a light background
FIGURES_READABLE = """() => [...document.querySelectorAll('article.bd-article img')].map(img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const w = canvas.width - 1, h = canvas.height - 1;
  const corners = [[0, 0], [w, 0], [0, h], [w, h]]
    .map(([x, y]) => ctx.getImageData(x, y, 1, 1).data[3]);
  const bg = getComputedStyle(img).backgroundColor.match(/\\d+(\\.\\d+)?/g).map(Number);
  const lightBackground = bg.length === 3 || (bg.length === 4 && bg[3] === 1)
    ? (bg[0] + bg[1] + bg[2]) / 3 > 200 : false;
  return {src: img.src.slice(0, 80), opaque: corners.every(a => a === 255), lightBackground};
})"""


def _open(browser, url: str, mode: str) -> Visit:
    # the theme keeps the reader's choice in localStorage["mode"]: light, dark or auto
    browser.context.add_init_script(f"localStorage.setItem('mode', '{mode}')")
    visit = Visit(browser, url)
    page = visit.page
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    page.evaluate(MATH_TYPESET)
    return visit


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("docname", PAGES)
def test_axe_finds_no_serious_violation(browser, book_url, screenshots, docname, mode, timed):
    visit = _open(browser, f"{book_url}{docname}.html", mode)
    page = visit.page
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = results["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}; "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in FAILING
    ]
    counts = Counter(v["impact"] for v in violations for _ in v["nodes"])
    report(
        "axe",
        f"{docname} ({mode}): "
        + (", ".join(f"{n} {impact}" for impact, n in sorted(counts.items())) or "no violations"),
    )
    if mode == "dark":
        page.screenshot(path=screenshots / f"{docname.replace('/', '--')}--dark.png")
        unreadable = [
            f["src"]
            for f in page.evaluate(FIGURES_READABLE)
            if not (f["opaque"] or f["lightBackground"])
        ]
        assert not unreadable, f"figures with a see-through background in dark mode: {unreadable}"
    assert not found, "\n".join(found)
    assert not visit.problems(), visit.problems()
    page.close()
