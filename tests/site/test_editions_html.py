"""The built editions: the full book shows every solution, the student edition none.

These tests read the HTML that `make book` and `make book-student` write, so
`make test` runs them after both builds (they are skipped by the unit run).
"""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from book.editions import solution_texts

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "_build" / "html"
STUDENT = ROOT / "_build" / "student" / "_build" / "html"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.classes = [], []

    def handle_starttag(self, tag, attrs):
        self.classes += (dict(attrs).get("class") or "").split()

    def handle_data(self, data):
        self.parts.append(data)


def _page(root: Path, chapter: Path):
    path = root / "chapters" / f"{chapter.stem}.html"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build both editions first (make book book-student)")
    parser = _Text()
    parser.feed(path.read_text())
    return _words(html.unescape(" ".join(parser.parts))), set(parser.classes)


def _words(text: str) -> str:
    """Lower-case words joined by single spaces: immune to smart quotes, dashes, markup."""
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _plain_words(snippet: str) -> str:
    """The longest run of plain words in a solution's first line (no math, no markup)."""
    runs = re.split(r"\$[^$]*\$|`[^`]*`|\{[^}]*\}|[*_]", snippet)
    best = max(runs, key=lambda r: len(r.split()))
    return _words(best)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_full_edition_shows_every_solution(chapter):
    text, classes = _page(FULL, chapter)
    snippets = solution_texts(nbformat.read(chapter, as_version=4))
    assert snippets, f"{chapter.name} has no solutions"
    for snippet in snippets:
        words = _plain_words(snippet)
        assert len(words.split()) >= 3, f"solution text too short to find: {snippet!r}"
        assert words in text, f"full edition lacks the solution starting {words!r}"
    assert "solution" in classes


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_shows_no_solution(chapter):
    text, classes = _page(STUDENT, chapter)
    for snippet in solution_texts(nbformat.read(chapter, as_version=4)):
        assert _plain_words(snippet) not in text
    assert "solution" not in classes
    assert "exercise" in classes, "the student edition must keep the exercises"
