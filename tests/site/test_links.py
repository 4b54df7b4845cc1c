"""Offline link check of the built book: every internal link and anchor resolves.

Nothing is fetched. External links are listed in `_build/external-links.txt` (and
counted in the summary) so that a person can review them; they are not checked,
because the build and the tests never touch the network.
"""

from collections import defaultdict

from booksite import HTML_DIR, ROOT, is_external, parse_page, report, resolve

# URL schemes a browser handles without fetching anything from a server
NOT_FETCHED = ("data:", "javascript:", "about:")


def _broken_links(pages):
    """(page, link, what is wrong) for every internal link that does not resolve."""
    parsed = {HTML_DIR / rel: page for rel, page in pages.items()}
    broken = []
    for rel, page in pages.items():
        for link in page.links:
            url = link.url.strip()
            if not url or url.startswith(NOT_FETCHED) or is_external(url):
                continue
            target, fragment = resolve(page.path, url)
            if not target.is_file():
                broken.append((rel, url, "no such file"))
                continue
            if fragment and target.suffix == ".html":
                if target not in parsed:  # e.g. a page under _static
                    parsed[target] = parse_page(target)
                if fragment not in parsed[target].ids:
                    broken.append((rel, url, f"no id {fragment!r} in {target.name}"))
    return broken


def test_every_internal_link_and_anchor_resolves(pages):
    broken = _broken_links(pages)
    assert not broken, "broken internal links:\n" + "\n".join(
        f"  {page}: {url} ({why})" for page, url, why in broken
    )


def test_the_link_check_finds_a_broken_link_and_anchor(tmp_path, pages):
    """The check itself can fail: a page with a missing file and a missing anchor."""
    some_page = next(iter(pages.values()))
    fake = some_page.path.parent / "_linkcheck_probe.html"
    fake.write_text(
        '<html lang="en"><body><a href="nowhere.html">x</a>'
        f'<a href="{some_page.path.name}#no-such-anchor">y</a><a id="here" href="#here">z</a>'
        "</body></html>"
    )
    try:
        found = _broken_links({"probe": parse_page(fake)})
    finally:
        fake.unlink()
    assert [(url, why.split(" ")[0]) for _, url, why in found] == [
        ("nowhere.html", "no"),
        (f"{some_page.path.name}#no-such-anchor", "no"),
    ]


def test_every_toc_page_is_linked_from_the_navigation(pages):
    """A reader reaches every page from the landing page's sidebar."""
    from booksite import toc_docnames

    landing = pages["index.html"]
    assert landing.links, "index.html should redirect to the root page"
    root, _ = resolve(landing.path, landing.links[0].url)
    reachable = {
        resolve(root, link.url)[0]
        for link in parse_page(root).links
        if link.tag == "a" and not is_external(link.url)
    }
    missing = [d for d in toc_docnames()[1:] if HTML_DIR / f"{d}.html" not in reachable]
    assert not missing, f"pages in _toc.yml not linked from {root.name}: {missing}"


def test_external_links_are_listed_not_fetched(pages):
    where = defaultdict(set)
    for rel, page in pages.items():
        for link in page.links:
            if is_external(link.url):
                where[link.url].add(rel)
    listing = HTML_DIR.parent / "external-links.txt"
    listing.write_text(
        "".join(f"{url}\t{' '.join(sorted(on))}\n" for url, on in sorted(where.items()))
    )
    report(
        "link check",
        f"{len(where)} distinct external links (not fetched) listed in {listing.relative_to(ROOT)}",
    )
    # the book's own figures never come from outside: they must show offline
    outside_images = [
        (rel, i.src) for rel, p in pages.items() for i in p.images if is_external(i.src)
    ]
    assert not outside_images, f"images loaded from outside the book: {outside_images}"
