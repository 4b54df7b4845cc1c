"""The built HTML book in a real browser, with every outside host blocked.

For every page in `_toc.yml`: it loads, shows its title (the first heading of its
source) and its text, every figure loads (naturalWidth > 0) and has alt text,
every exercise solution opens when its button is clicked, every formula is typeset
by the vendored MathJax, no request leaves the machine, and the page's own
scripts raise no error. The search page finds each page by a word of its title.
Screenshots go to `_build/screenshots/`.
"""

from __future__ import annotations

import re

import pytest
from booksite import html_path, normalize_text, parse_page, report, source_title, toc_docnames
from browsertools import Visit

PAGES = toc_docnames()


def _slug(docname: str) -> str:
    return docname.replace("/", "--")


@pytest.mark.parametrize("docname", PAGES)
def test_page_shows_title_text_figures_and_solutions(
    browser, book_url, screenshots, docname, timed
):
    static = parse_page(html_path(docname))
    blocked_before = len(browser.blocked)
    visit = Visit(browser, f"{book_url}{docname}.html")
    page = visit.page
    assert visit.response is not None and visit.response.ok, f"{docname}.html did not load"

    # the title: the first heading of the source, shown as the page's h1 and <title>
    expected = normalize_text(source_title(docname))
    h1 = page.locator("article.bd-article h1").first
    assert h1.is_visible()
    # numbered chapters show their number first ("4. Ruptures ..."); the title follows it
    shown = re.sub(r"^\d+(\.\d+)*\.?\s+", "", normalize_text(h1.inner_text()).rstrip("#").strip())
    assert shown == expected
    assert re.sub(r"^\d+(\.\d+)*\.?\s+", "", normalize_text(page.title())).startswith(expected)

    # the text: visible paragraphs, whether or not the outside scripts (MathJax) came
    article = page.locator("article.bd-article")
    assert page.locator("article.bd-article p").first.is_visible()
    assert len(article.inner_text().split()) >= 20, f"{docname}: almost no text shows"

    # the exercise solutions: hidden at first, shown after a click on their button
    solutions = page.locator("div.solution.dropdown")
    assert solutions.count() == static.solutions
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        content = solution.locator(":scope > :not(.admonition-title)").first
        assert not content.is_visible(), f"solution {i + 1} is open before a click"
        solution.locator("button.toggle-button").click()
        content.wait_for(state="visible", timeout=5000)

    # the figures: every image of the article loads and has alt text
    in_article = [img for img in static.images if img.in_article]
    images = page.locator("article.bd-article img")
    assert images.count() == len(in_article)
    page.wait_for_function(
        "() => [...document.querySelectorAll('article.bd-article img')].every(i => i.complete)",
        timeout=10_000,
    )
    for i in range(images.count()):
        image = images.nth(i)
        src = image.get_attribute("src")
        image.scroll_into_view_if_needed()
        assert image.evaluate("i => i.naturalWidth") > 0, f"{src} did not load"
        assert (image.get_attribute("alt") or "").strip(), f"{src} has no alt text"
        box = image.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, f"{src} is not shown"

    # the formulas render as math from the vendored MathJax: no TeX left in the text
    maths = page.locator("article.bd-article .math")
    if maths.count():
        page.evaluate(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " ? MathJax.startup.promise.then(() => true) : true"
        )
        rendered = page.locator("article.bd-article .math mjx-container").count()
        assert rendered == maths.count(), f"{rendered} of {maths.count()} formulas typeset"
        raw = re.findall(r"\\\(|\\\[|\$\$", article.inner_text())
        assert not raw, f"raw TeX shows: {raw[:5]}"

    assert not visit.problems(), visit.problems()

    # screenshots: the top of the page, its first figure, its first opened solution
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / f"{_slug(docname)}.png")
    figure = page.locator("article.bd-article figure").first
    if figure.count():
        figure.screenshot(path=screenshots / f"{_slug(docname)}--figure.png")
    if solutions.count():
        solutions.first.screenshot(path=screenshots / f"{_slug(docname)}--solution.png")
    outside = browser.blocked[blocked_before:]
    assert not outside, f"requests to other hosts: {outside}"
    report(
        "browser pages",
        f"{docname}: {images.count()} images loaded, {solutions.count()} solutions opened, "
        f"{maths.count()} formulas typeset, no outside request",
    )
    page.close()


STOPWORDS = {"about", "after", "before", "between", "from", "their", "there", "these", "with"}


def search_term(docname: str) -> str:
    """The longest word of the page's title: a term the search must find it by."""
    words = re.findall(r"[A-Za-z]{4,}", source_title(docname))
    return max((w for w in words if w.lower() not in STOPWORDS), key=len).lower()


@pytest.mark.parametrize("docname", PAGES)
def test_search_finds_the_page_by_a_word_of_its_title(browser, book_url, docname, timed):
    term = search_term(docname)
    visit = Visit(browser, f"{book_url}search.html?q={term}")
    page = visit.page
    summary = page.locator("#search-results .search-summary")
    summary.wait_for(state="visible", timeout=15_000)
    page.wait_for_function(
        "() => /finished/i.test(document.querySelector('#search-results .search-summary')"
        ".textContent) || document.querySelectorAll('ul.search li').length > 0",
        timeout=15_000,
    )
    hrefs = page.locator("ul.search li > a").evaluate_all("links => links.map(a => a.href)")
    found = {h.split("?")[0].split("#")[0].removeprefix(book_url) for h in hrefs}
    assert f"{docname}.html" in found, f"searching {term!r} found {sorted(found)}"
    assert not visit.problems(), visit.problems()
    page.close()


def test_the_landing_page_redirects_to_the_first_page(browser, book_url):
    visit = Visit(browser, book_url)
    visit.page.wait_for_url(f"{book_url}{PAGES[0]}.html", timeout=10_000)
    assert not visit.problems(), visit.problems()
    visit.page.close()


def test_the_page_checks_catch_errors_missing_files_and_leave_outside_hosts_blocked(
    browser, tmp_path
):
    """The checks can fail: a script error and a missing local image are reported,
    an outside image is blocked (and not reported), and its request never leaves."""
    from browsertools import serve

    (tmp_path / "probe.html").write_text(
        '<html lang="en"><body><article class="bd-article"><h1>Probe</h1>'
        '<img src="missing.png" alt="A missing figure.">'
        '<img src="https://example.org/outside.png" alt="An outside figure.">'
        "<script>throw new Error('boom from the book');</script></article></body></html>"
    )
    with serve(tmp_path) as url:
        blocked_before = len(browser.blocked)
        visit = Visit(browser, f"{url}probe.html")
        visit.page.wait_for_timeout(300)
        problems = " | ".join(visit.problems())
        visit.page.close()
    assert "boom from the book" in problems
    assert "missing.png" in problems
    assert "outside.png" not in problems
    assert "https://example.org/outside.png" in browser.blocked[blocked_before:]
