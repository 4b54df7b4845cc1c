"""Reader-facing text is for readers: no page of either edition talks about the book's machinery.

The prose of every built page (outside code cells, code and scripts) is scanned for
the words of the project's own workshop: its tests, checksums, byte-for-byte
regeneration, unverified sources, benchmarks and the names of its internal notes.
The bibliography must render no placeholder title and no "not verified" note.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDITIONS = {
    "full": ROOT / "_build" / "html",
    "student": ROOT / "_build" / "student" / "_build" / "html",
}

#: The machinery words, as whole words or phrases (case does not matter).
MACHINERY = re.compile(
    r"\b(unit tests?|test suite|the tests|our tests|make test|pytest|nbval|"
    r"tests? (?:checks?|keeps?)|"
    r"checksums?|byte[- ]for[- ]byte|unverified|not verified|benchmarks?|"
    r"literature\.md|style\.md|toolchain\.md|shared notes|project's notes)\b",
    re.IGNORECASE,
)
_SKIPPED_TAGS = {"pre", "code", "script", "style", "kbd", "samp"}
_SKIPPED_CLASSES = {"cell_input", "cell_output", "highlight"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Prose(HTMLParser):
    """The text of a page outside code cells, code, scripts and styles."""

    def __init__(self):
        super().__init__()
        self.stack, self.parts = [], []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append(tag in _SKIPPED_TAGS or bool(classes & _SKIPPED_CLASSES))

    def handle_endtag(self, tag):
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.parts.append(data)


def prose(path: Path) -> str:
    parser = _Prose()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def machinery_words(text: str) -> list[str]:
    """Each machinery word in ``text`` with a little context."""
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in MACHINERY.finditer(text)]


def _pages(edition):
    folder = EDITIONS[edition]
    if not (folder / "index.html").exists():
        pytest.fail(f"no built {edition} edition in {folder}: run make book and make book-student")
    skip = {"search.html", "genindex.html", "py-modindex.html"}
    return [
        p for p in sorted(folder.rglob("*.html")) if p.name not in skip and "_static" not in p.parts
    ]


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_no_page_talks_about_the_books_machinery(edition):
    found = {
        page.relative_to(EDITIONS[edition]).as_posix(): hits
        for page in _pages(edition)
        if (hits := machinery_words(prose(page)))
    }
    assert not found, f"machinery words in the {edition} edition: {found}"


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_the_bibliography_has_no_placeholder(edition):
    page = EDITIONS[edition] / "bibliography.html"
    if not page.exists():
        pytest.fail(f"no bibliography page in the {edition} edition")
    text = prose(page)
    assert not re.search(r"\[[^\]]*(title|verified)[^\]]*\]", text, re.I), "a placeholder title"
    assert not re.search(r"not verified|to be replaced|unverified", text, re.I)


def test_the_scan_finds_what_it_looks_for():
    """The scan is not vacuous: planted words are found in prose, ignored in code."""
    page = (
        "<p>The tests check it byte for byte.</p><div class='cell_input'><p>pytest</p></div>"
        "<pre>make test</pre><p>A significance test is fine.</p><br><p>See literature.md.</p>"
    )
    parser = _Prose()
    parser.feed(page)
    hits = machinery_words(" ".join(parser.parts))
    assert len(hits) == 3, hits
