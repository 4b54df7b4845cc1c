"""The maintainers' documents say what the code does, and are partly written from it.

- README.md stays short (what, for whom, the two commands, reading, citing, licences);
  the detail is in CONTRIBUTING.md.
- The package map in CONTRIBUTING.md is written from the module lists in the
  packages' docstrings (`scripts/generated_docs.py`, `make docs`), and those lists
  name every module and nothing else.
- The table of the repository lists every path at its top, the `make` commands the
  documents mention exist, and what they say about the explorers matches the notebooks.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from booksite import ROOT, load_script, toc_notebooks

generated_docs = load_script("generated_docs")

README = (ROOT / "README.md").read_text()
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text()
DOCUMENTS = {
    name: (ROOT / name).read_text() for name in ("README.md", "CONTRIBUTING.md", "instructors.md")
}


# -- the package map ----------------------------------------------------------------------


def _packages():
    """Every package whose docstring is part of the map: book, its subpackages, tools."""
    inits = [ROOT / p / "__init__.py" for p in generated_docs.PACKAGES]
    inits += sorted((ROOT / "book").glob("*/__init__.py"))
    return [init.parent for init in inits]


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_each_packages_docstring_lists_every_module_and_nothing_else(package):
    listed = list(generated_docs.listed_modules(package / "__init__.py"))
    on_disk = generated_docs.modules_on_disk(package)
    init = f"{package.relative_to(ROOT).as_posix()}/__init__.py"
    assert sorted(set(on_disk) - set(listed)) == [], (
        f"{init}: add a line `- :mod:`name` -- what it holds` to its docstring for each"
    )
    assert sorted(set(listed) - set(on_disk)) == [], f"{init} lists modules that do not exist"
    assert len(listed) == len(set(listed)), f"{init} lists a module twice"


def test_the_package_map_in_contributing_is_written_from_the_docstrings():
    assert generated_docs.render(CONTRIBUTING) == CONTRIBUTING, (
        "CONTRIBUTING.md's generated sections are stale: run make docs"
    )


def test_the_map_reads_the_docstrings_as_they_are_written(tmp_path):
    init = tmp_path / "__init__.py"
    init.write_text(
        '"""Pkg.\n\n- :mod:`pkg.a` -- the first,\n  on two lines\n'
        '- :mod:`pkg.b` -- :func:`~pkg.b.fit` and ``x``\n\nProse after.\n"""\n'
    )
    listed = generated_docs.listed_modules(init)
    assert listed == {"pkg.a": "the first, on two lines", "pkg.b": ":func:`~pkg.b.fit` and ``x``"}
    assert generated_docs.plain(listed["pkg.b"]) == "`fit` and `x`"


def test_a_stale_section_is_caught():
    stale = CONTRIBUTING.replace("| `book/simulation/` |", "| `book/simulations/` |", 1)
    assert stale != CONTRIBUTING
    assert generated_docs.render(stale) == CONTRIBUTING


# -- the repository table, the commands, README -------------------------------------------


def _repository_table() -> set[str]:
    section = CONTRIBUTING.split("### The repository", 1)[1].split("\n\n", 2)[1]
    paths = set()
    for row in section.splitlines()[2:]:
        first_cell = row.split("|")[1]
        paths |= {p.split("/")[0] for p in re.findall(r"`([^`]+)`", first_cell)}
    return paths


def _tracked_top_level() -> set[str]:
    try:
        files = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing tells tracked files from generated ones")
    # git's own settings (.gitignore, .gitattributes) are not the book's
    return {f.split("/")[0] for f in files} - {".gitignore", ".gitattributes"}


def test_the_repository_table_lists_every_top_level_path_and_nothing_else():
    table, tracked = _repository_table(), _tracked_top_level()
    assert sorted(tracked - table) == [], "add these to CONTRIBUTING.md's table of the repository"
    assert sorted(table - tracked) == [], (
        "CONTRIBUTING.md lists paths that are not in the repository"
    )


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_make_command_the_documents_mention_exists(name):
    mentioned = set(re.findall(r"\bmake ([a-z][a-z-]*)\b", DOCUMENTS[name]))
    mentioned -= {"sure", "it", "the", "a"}  # prose ("make sure"), not commands
    assert sorted(mentioned - _make_targets()) == []


def test_readme_is_short_and_says_what_it_must():
    assert len(README.splitlines()) <= 80, (
        "README.md is the short version: detail goes in CONTRIBUTING.md"
    )
    for heading in ("## The two commands", "## Reading it", "## How to cite", "## Licences"):
        assert heading in README
    assert "make book" in README and "make test" in README
    assert "**For whom.**" in README and "CONTRIBUTING.md" in README


# -- what the documents say about the explorers ----------------------------------------------

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _live_tested_chapters() -> set[str]:
    found = set()
    for path in toc_notebooks():
        cells = json.loads(path.read_text())["cells"]
        if any("explorer" in c.get("metadata", {}).get("tags", []) for c in cells):
            found.add(path.relative_to(ROOT).as_posix())
    return found


def test_contributing_names_the_explorers_the_live_test_drives():
    paragraph = re.search(
        r"the book tags (\w+), one per kind of control:(.*?)\.\s", CONTRIBUTING, re.S
    )
    assert paragraph, "CONTRIBUTING.md no longer says which explorers the live test drives"
    named = set(re.findall(r"`(chapters/\w+\.ipynb)`", paragraph.group(2)))
    tagged = _live_tested_chapters()
    assert named == tagged
    assert _NUMBERS[paragraph.group(1)] == len(tagged)


@pytest.mark.parametrize("path", ["book/widgets/__init__.py", "CONTRIBUTING.md"])
def test_no_document_tells_authors_to_ignore_an_explorers_output(path):
    """nbval compares an explorer cell's text form; tests/test_explorer_chapters.py forbids
    NBVAL_IGNORE_OUTPUT there, so a guide may name it only to rule it out."""
    text = " ".join((ROOT / path).read_text().split())
    for sentence in re.split(r"(?<=[.;])\s", text):
        if "NBVAL_IGNORE_OUTPUT" in sentence:
            assert re.search(r"\b(no|not|never)\b", sentence), sentence
