"""The built editions: the full book shows every solution, the student edition none.

Both the prose of every solution (its first line) and the code of every gated
solution (a line of each code cell found nowhere else in the chapter) are looked
for. These tests read the HTML that `make book` and `make book-student` write, so
`make test` runs them after both builds (they are skipped by the unit run).
"""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.editions import solution_code, solution_texts

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "_build" / "html"
STUDENT = ROOT / "_build" / "student" / "_build" / "html"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


class _Text(HTMLParser):
    """The text of a page, its CSS classes, and the text of its code blocks (``<pre>``)."""

    def __init__(self):
        super().__init__()  # character references are converted: the text is unescaped
        self.parts, self.classes, self.code = [], [], []
        self._in_pre = 0

    def handle_starttag(self, tag, attrs):
        self.classes += (dict(attrs).get("class") or "").split()
        if tag == "pre":
            self._in_pre += 1
            self.code.append("\n")

    def handle_endtag(self, tag):
        if tag == "pre" and self._in_pre:
            self._in_pre -= 1

    def handle_data(self, data):
        self.parts.append(data)
        if self._in_pre:
            self.code.append(data)  # highlighted code is split into spans; joined, it is exact


def _parse(root: Path, chapter: Path) -> _Text:
    path = root / "chapters" / f"{chapter.stem}.html"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build both editions first (make book book-student)")
    parser = _Text()
    parser.feed(path.read_text())
    return parser


def _page(root: Path, chapter: Path):
    parser = _parse(root, chapter)
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


def _cell_text(cell) -> str:
    """A cell's source and, for code, its text outputs: what a page can show of it."""
    parts = [cell.source]
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def _solution_code_lines(chapter: Path) -> list[str]:
    """For each gated solution's code cell, its longest line that nothing else in the chapter has.

    Lines are compared stripped of indentation. A line found in another cell (or in an
    output) could appear in the student edition legitimately, so it cannot be the probe.
    """
    nb = nbformat.read(chapter, as_version=4)
    solutions = solution_code(nb)
    elsewhere = {
        line.strip()
        for cell in nb.cells
        if not (cell.cell_type == "code" and cell.source in solutions)
        for line in _cell_text(cell).splitlines()
    }
    probes = []
    for source in solutions:
        own = [line.strip() for line in source.splitlines() if line.strip() not in elsewhere]
        own = [line for line in own if len(line) >= 12]  # long enough to be distinctive
        assert own, f"{chapter.name}: a solution's code has no distinctive line:\n{source}"
        probes.append(max(own, key=len))
    return probes


CODED = [c for c in CHAPTERS if solution_code(nbformat.read(c, as_version=4))]


@pytest.mark.parametrize("chapter", CODED, ids=lambda p: p.stem)
def test_full_edition_shows_every_solutions_code(chapter):
    code = "".join(_parse(FULL, chapter).code)
    for line in _solution_code_lines(chapter):
        assert line in code, f"full edition lacks the solution code {line!r}"


@pytest.mark.parametrize("chapter", CODED, ids=lambda p: p.stem)
def test_student_edition_shows_no_solution_code(chapter):
    parser = _parse(STUDENT, chapter)
    page, code = "".join(parser.parts), "".join(parser.code)
    for line in _solution_code_lines(chapter):
        assert line not in code and line not in page, f"student edition shows {line!r}"


def test_the_book_has_solution_code_to_look_for():
    assert len(CODED) >= 1, "no chapter has a gated solution with code: the checks above are empty"


# -- the student edition leads nowhere the solutions are ------------------------------------
#
# The book's repository (its `main`) holds every solution. The student edition is built
# without a repository of its own (`make book-student`), so none of its pages may open
# the book's repository, launch it on Binder, JupyterHub, Colab or Deepnote, or run its
# code there (Live Code); its notebook downloads are the stripped notebooks.

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
LAUNCH_HOSTS = ("mybinder.org", "colab.research.google.com", "deepnote.com", "/v2/gh/")


def ways_to_the_full_edition(markup: str, config: dict = CONFIG) -> list[str]:
    """Everything on a page that opens the book's repository or a live kernel on it."""
    repo = config["repository"]["url"].lower().rstrip("/")
    repo_path = repo.removeprefix("https://github.com/")
    hub = (config["launch_buttons"].get("binderhub_url") or "mybinder.org").lower()
    found = []
    for url in re.findall(r"""(?:href|src|action)\s*=\s*["']([^"']+)""", markup, re.I):
        low = html.unescape(url).lower()
        if repo in low or f"gh/{repo_path}" in low:
            found.append(f"links to the book's repository: {url}")
        elif any(h in low for h in (*LAUNCH_HOSTS, hub.removeprefix("https://"))):
            found.append(f"launches a kernel: {url}")
    if re.search(r"launch-thebe|thebe-launch-button", markup):
        found.append("a Live Code button")
    for config_text in re.findall(r'type="text/x-thebe-config">(.*?)</script>', markup, re.S):
        if repo_path in config_text.lower():
            found.append("Live Code configured for the book's repository")
    return found


def _student_pages() -> list[Path]:
    if not (STUDENT / "index.html").is_file():
        pytest.fail(f"{STUDENT} is missing: build the student edition first (make book-student)")
    return sorted(
        p
        for p in STUDENT.rglob("*.html")
        if p.relative_to(STUDENT).parts[0] not in ("_static", "_sources")
    )


def test_no_student_page_opens_the_books_repository_or_a_kernel_on_it():
    pages = _student_pages()
    assert len(pages) >= len(CHAPTERS)
    leaks = {
        p.relative_to(STUDENT).as_posix(): found
        for p in pages
        if (found := ways_to_the_full_edition(p.read_text()))
    }
    assert not leaks, f"student pages that lead to the full edition: {leaks}"


def test_the_full_editions_buttons_are_what_the_student_check_looks_for():
    """The check above can fail: on a full-edition page it finds the Binder button, the
    repository button and Live Code (each page is read as the student check reads it)."""
    page = FULL / "chapters" / f"{CHAPTERS[0].stem}.html"
    if not page.is_file():
        pytest.fail(f"{page} is missing: build the full edition first (make book)")
    found = " ".join(ways_to_the_full_edition(page.read_text()))
    assert "launches a kernel" in found or "links to the book's repository" in found
    assert "Live Code" in found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_student_editions_notebook_download_is_the_stripped_notebook(chapter):
    page = STUDENT / "chapters" / f"{chapter.stem}.html"
    if not page.is_file():
        pytest.fail(f"{page} is missing: build the student edition first (make book-student)")
    downloads = {
        url
        for url in re.findall(r'href="([^"#?]+\.ipynb)"', page.read_text())
        if not re.match(r"[a-z]+:", url)
    }
    assert downloads, f"{page.name}: no download of the chapter's notebook"
    probes = _solution_code_lines(chapter) if chapter in CODED else []
    for url in downloads:
        path = (page.parent / url).resolve()
        assert path.is_relative_to(STUDENT.resolve()) and path.is_file(), url
        notebook = nbformat.read(path, as_version=4)
        assert not solution_texts(notebook) and not solution_code(notebook), url
        text = path.read_text()
        assert "{solution" not in text
        assert not [line for line in probes if line in text], f"{url} holds solution code"


@pytest.mark.parametrize("page", ["intro", *(f"chapters/{c.stem}" for c in CHAPTERS)])
def test_no_student_page_tells_the_reader_to_use_a_binder_button(page):
    """Without a repository of its own the student edition has no Binder button, so its
    text must not send readers to one (tools.editions.WITHOUT_BINDER rewords it)."""
    path = STUDENT / f"{page}.html"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the student edition first (make book-student)")
    parser = _Text()
    parser.feed(path.read_text())
    text = _words(html.unescape(" ".join(parser.parts)))
    for phrase in (" launch button ", " rocket ", " on binder "):
        assert phrase not in text, f"{page}: the student edition says {phrase.strip()!r}"
