"""What the book is made of, read from its own files: pages from `_toc.yml`, the
built HTML in `_build/html`, and the notebooks' code.

Shared by the Binder checks (`tests/test_binder.py`), the offline checks of the
built site (`tests/site/`) and the real-browser tests (`tests/browser/`). Nothing
here names a chapter: every page comes from `_toc.yml`, every figure from the
HTML, so the checks grow with the book.
"""

from __future__ import annotations

import ast
import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = ROOT / "_build" / "html"
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")

# -- the table of contents ------------------------------------------------------------


def toc_docnames(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page listed in `_toc.yml`, in reading order (the root first).

    Names are Sphinx docnames: the source path without its suffix, as in the TOC.
    `glob:` entries are expanded; `url:` entries are external and left out.
    """
    toc = yaml.safe_load(toc_file.read_text())
    names = [_strip_suffix(toc["root"])]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(_strip_suffix(entry["file"]))
            elif "glob" in entry:
                for path in sorted(ROOT.glob(entry["glob"])):
                    if path.suffix in SOURCE_SUFFIXES:
                        names.append(path.relative_to(ROOT).with_suffix("").as_posix())
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def _strip_suffix(name: str) -> str:
    for suffix in SOURCE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def source_path(docname: str) -> Path:
    """The source file of a page: `<docname>.ipynb`, `.md` or `.rst`."""
    for suffix in SOURCE_SUFFIXES:
        path = ROOT / f"{docname}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for {docname!r} (looked for {SOURCE_SUFFIXES})")


def toc_notebooks() -> list[Path]:
    """The notebooks among the pages in `_toc.yml` (what readers open on Binder)."""
    return [p for p in map(source_path, toc_docnames()) if p.suffix == ".ipynb"]


def load_script(name: str):
    """A maintainer's script in `scripts/` (not a package), imported as a module for its tests."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# -- titles and code of the sources ------------------------------------------------------


def normalize_text(text: str) -> str:
    """Text as compared: Sphinx's smart quotes and dashes undone, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    for fancy, plain in {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"}.items():
        text = text.replace(fancy, plain)
    return " ".join(text.replace("--", "-").split()).casefold()


_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")


def _markdown_blocks(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    text = path.read_text()
    if text.startswith("---\n"):  # front matter
        text = text.split("\n---\n", 1)[-1]
    return [text]


def source_title(docname: str) -> str:
    """The page title as written in the source: its first level-1 Markdown heading,
    with inline markup (`code`, *emphasis*, {role}`x`) reduced to plain text."""
    for block in _markdown_blocks(source_path(docname)):
        in_fence = False
        for line in block.splitlines():
            if _FENCE.match(line.strip()):
                in_fence = not in_fence
                continue
            match = None if in_fence else _HEADING.match(line)
            if match:
                return plain_text(match.group(1))
    raise ValueError(f"{docname}: no level-1 heading in {source_path(docname).name}")


def plain_text(markup: str) -> str:
    """Markdown inline markup to the text a reader sees (roughly; enough for titles)."""
    text = re.sub(r"\{[a-z:]+\}`([^`<]*?)(\s*<[^>]*>)?`", r"\1", markup)  # {term}`x <y>`
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link)
    text = re.sub(r"[`*_]", "", text)
    return " ".join(text.split())


def code_cells(path: Path) -> list[str]:
    """The source of every code cell of a notebook."""
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


_MAGIC_OR_SHELL = re.compile(r"^\s*[%!]")


def python_source(cell: str) -> str:
    """A code cell without IPython magics and shell escapes (so `ast` can parse it)."""
    return "\n".join("" if _MAGIC_OR_SHELL.match(line) else line for line in cell.splitlines())


def imported_modules(code: str) -> set[str]:
    """Top-level names of every module a piece of Python imports (absolute imports)."""
    modules = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


_FENCED_PYTHON = re.compile(
    r"^(`{3,}|~{3,})\s*(?:\{code-block\}\s*)?(?:python|ipython3?|py)\s*\n(.*?)^\1\s*$",
    re.M | re.S,
)


def fenced_python(path: Path) -> list[str]:
    """Python shown in a notebook's Markdown cells (```python or {code-block} python
    fences): code a reader may copy, though the page does not run it."""
    blocks = []
    for text in _markdown_blocks(path):
        for match in _FENCED_PYTHON.finditer(text):
            body = "\n".join(ln for ln in match.group(2).splitlines() if not ln.startswith(":"))
            blocks.append(body)
    return blocks


# -- the pinned requirements -----------------------------------------------------------------

#: What a reader needs (Binder installs it), and what a developer adds (build and tests).
READER_REQUIREMENTS = ROOT / "requirements.txt"
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"


def normalize(name: str) -> str:
    """A distribution's name as PEP 503 compares it (`PyYAML` -> `pyyaml`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)(\s*;.*)?")


def pinned_requirements(text: str) -> dict[str, str]:
    """`name==version` lines of a requirements file, names normalized (PEP 503).

    Raises ValueError on a line that is not pinned exactly (`-e .` aside).
    """
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line == "-e .":
            continue
        match = _PIN.fullmatch(line)
        if not match:
            raise ValueError(f"{raw!r} is not pinned as name==version")
        pins[normalize(match.group(1))] = match.group(3)
    return pins


def direct_requirements(text: str) -> set[str]:
    """The distributions a `.in` file names (normalized; options and `-e .` left out)."""
    names = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        names.add(normalize(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group(0)))
    return names


# -- the built HTML -----------------------------------------------------------------------


def built_pages() -> list[Path]:
    """Every HTML page of the built book (the theme's static files excluded)."""
    return sorted(
        p
        for p in HTML_DIR.rglob("*.html")
        if not p.relative_to(HTML_DIR).parts[0].startswith(("_static", "_sources"))
    )


def html_path(docname: str) -> Path:
    return HTML_DIR / f"{docname}.html"


@dataclass
class Image:
    src: str
    alt: str | None
    in_article: bool


@dataclass
class Link:
    tag: str
    attr: str
    url: str


@dataclass
class Page:
    """What the checks need from one HTML page."""

    path: Path
    lang: str | None = None
    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    #: (level, text) of every heading inside the page's article, in order
    headings: list[tuple[int, str]] = field(default_factory=list)
    solutions: int = 0

    @property
    def relpath(self) -> str:
        return self.path.relative_to(HTML_DIR).as_posix()


_URL_ATTRS = {
    "a": ("href",),
    "link": ("href",),
    "img": ("src",),
    "script": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_VOID |= {"track", "wbr"}


class _PageParser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, bool]] = []  # (tag, opens the article)
        self.article_depth = 0
        self.heading: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        page = self.page
        if tag == "html":
            page.lang = attrs.get("lang")
        if attrs.get("id"):
            page.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            page.ids.add(attrs["name"])
        for attr in _URL_ATTRS.get(tag, ()):
            if attrs.get(attr) is not None:
                page.links.append(Link(tag, attr, attrs[attr]))
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            # <meta http-equiv="Refresh" content="0; url=intro.html">: a redirect is a link
            match = re.search(r"url=(.+)$", attrs.get("content", ""), flags=re.I)
            if match:
                page.links.append(Link(tag, "content", match.group(1).strip("'\" ")))
        classes = (attrs.get("class") or "").split()
        if tag == "img":
            page.images.append(
                Image(attrs.get("src", ""), attrs.get("alt"), self.article_depth > 0)
            )
        if "solution" in classes and "dropdown" in classes:
            page.solutions += 1
        if self.article_depth and re.fullmatch(r"h[1-6]", tag):
            self.heading = [int(tag[1]), ""]
        if tag in _VOID:
            return
        opens_article = tag == "article" and "bd-article" in classes
        self.article_depth += opens_article
        self.stack.append((tag, opens_article))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:  # <div/>: opened and closed at once
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.heading is not None and tag == f"h{self.heading[0]}":
            self.page.headings.append((self.heading[0], " ".join(self.heading[1].split())))
            self.heading = None
        if tag in _VOID:
            return
        # pop to the matching open tag (tolerates unclosed <p>, <li>, ...)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _, opened_article in self.stack[i:]:
                    self.article_depth -= opened_article
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.heading is not None:
            self.heading[1] += data


def parse_page(path: Path) -> Page:
    page = Page(path)
    parser = _PageParser(page)
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    # Sphinx's heading permalink "#" is not part of the heading's text
    page.headings = [(level, text.removesuffix("#").strip()) for level, text in page.headings]
    return page


#: schemes whose content is in the page itself or the browser: nothing is fetched
_IN_PAGE = {"data", "blob", "about", "javascript"}


def is_external(url: str) -> bool:
    """A URL that leaves the book: any scheme (https:, mailto:, ...) or `//host`, but not
    content carried by the page itself (data:, such as an explorer's figures)."""
    parts = urlsplit(url)
    return (bool(parts.scheme) and parts.scheme not in _IN_PAGE) or url.startswith("//")


def resolve(page: Path, url: str) -> tuple[Path, str]:
    """The file an internal URL on `page` points to, and its fragment ('' if none)."""
    base = "file://" + page.as_posix()
    target, fragment = urldefrag(urljoin(base, url))
    path = Path(unquote(urlsplit(target).path))
    if url.split("#")[0].split("?")[0].endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, unquote(fragment)


# -- notes for the end of a test run -----------------------------------------------------

REPORT_DIR = ROOT / "_build" / "test-reports"


def report(section: str, line: str) -> None:
    """Keep a line (a timing, a count) for the summary printed at the end of the run.

    Written to a file, so that lines from pytest-xdist workers reach the summary too;
    `tests/conftest.py` prints them and clears them at the start of the next run.
    """
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    with (REPORT_DIR / f"{section}.txt").open("a") as f:
        f.write(line.rstrip("\n") + "\n")
