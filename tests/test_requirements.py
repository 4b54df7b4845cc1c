"""The two pinned environments stay apart and agree.

- `requirements.txt` (from `requirements.in`) is what a reader needs to run the
  chapters: Binder installs it and nothing else (tests/test_binder.py).
- `requirements-dev.txt` (from `requirements-dev.in`) adds what builds the book and
  runs its tests; `make book` and `make test` install both files.

Checked here, without the network: each `.txt` is compiled from its `.in` as it
now reads; a package pinned in both files has one version; every third-party
import of the package and the chapters is named in `requirements.in` (a direct
dependency, so a recompile cannot drop it); no test or build tool reaches the
reader's file; and every import of the tests and tools is pinned in one of the two.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import sys

import pytest
from booksite import (
    DEV_REQUIREMENTS,
    READER_REQUIREMENTS,
    ROOT,
    code_cells,
    direct_requirements,
    fenced_python,
    imported_modules,
    normalize,
    pinned_requirements,
    python_source,
    toc_notebooks,
)

READER_IN = ROOT / "requirements.in"
DEV_IN = ROOT / "requirements-dev.in"

#: Tools that build the book or test it: never part of a reader's environment.
TEST_AND_BUILD_TOOLS = {
    "pytest",
    "hypothesis",
    "nbval",
    "ruff",
    "playwright",
    "pip-tools",
    "jupyter-book",
    "sphinx-exercise",
    "jupytext",
    "coverage",
}


def _pins(path):
    return pinned_requirements(path.read_text())


def compiled_from(text: str, in_file: str) -> set[str]:
    """The packages pip-compile marked `# via -r <in_file>`: the `.in` file's direct
    requirements at the time the `.txt` was compiled."""
    found, current = set(), None
    for line in text.splitlines():
        pin = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==", line)
        if pin:
            current = normalize(pin.group(1))
        elif current and re.search(rf"#\s+(via\s+)?-r {re.escape(in_file)}\s*$", line):
            found.add(current)
    return found


@functools.cache
def _providers() -> dict[str, set[str]]:
    return {
        m: {normalize(d) for d in ds}
        for m, ds in importlib.metadata.packages_distributions().items()
    }


def third_party_distributions(modules: set[str]) -> dict[str, set[str]]:
    """For each imported top-level module outside the standard library and the book's
    own code, the installed distributions that provide it (empty if none does)."""
    local = {"book", "tools", "booksite", "browsertools", "lab", "timing"}
    return {
        m: _providers().get(m, set())
        for m in sorted(modules)
        if m not in sys.stdlib_module_names and m not in local
    }


def _imports(paths) -> dict[str, set[str]]:
    """Every module imported by each file (a notebook's code cells, and the Python it
    shows in its Markdown, count)."""
    found = {}
    for path in paths:
        if path.suffix == ".ipynb":
            sources = [python_source(c) for c in code_cells(path)] + fenced_python(path)
        else:
            sources = [path.read_text()]
        found[path.relative_to(ROOT).as_posix()] = set().union(
            *(imported_modules(s) for s in sources)
        )
    return found


READER_CODE = _imports(toc_notebooks() + sorted((ROOT / "book").rglob("*.py")))
DEVELOPER_CODE = _imports(
    sorted(p for folder in ("tests", "tools", "benchmarks") for p in (ROOT / folder).rglob("*.py"))
)

# -- each file is compiled from its .in, and both are fully pinned ---------------------------


@pytest.mark.parametrize(
    ("txt", "in_file"), [(READER_REQUIREMENTS, READER_IN), (DEV_REQUIREMENTS, DEV_IN)]
)
def test_the_pins_are_compiled_from_the_in_file_as_it_reads_now(txt, in_file):
    named = direct_requirements(in_file.read_text())
    compiled = compiled_from(txt.read_text(), in_file.name)
    assert named == compiled, (
        f"{in_file.name} names {sorted(named - compiled)} that {txt.name} does not pin "
        f"from it, and {txt.name} pins {sorted(compiled - named)} that {in_file.name} no "
        "longer names: run make requirements"
    )
    assert len(_pins(txt)) >= len(named)  # every line pinned (pinned_requirements raises)


def test_only_the_readers_file_installs_the_book_and_neither_names_an_index():
    reader = [ln.strip() for ln in READER_REQUIREMENTS.read_text().splitlines()]
    dev = [ln.strip() for ln in DEV_REQUIREMENTS.read_text().splitlines()]
    assert "-e ." in reader, "Binder installs the book's package from requirements.txt"
    assert "-e ." not in dev, "requirements.txt installs the package; the dev file adds tools"
    for line in reader + dev:
        assert not line.startswith(("--index-url", "--extra-index-url", "--find-links", "-f ")), (
            f"a requirements file points at an index or files of one machine: {line}"
        )


def test_a_package_pinned_in_both_files_has_one_version():
    reader, dev = _pins(READER_REQUIREMENTS), _pins(DEV_REQUIREMENTS)
    shared = set(reader) & set(dev)
    assert shared, "the dev file is compiled against the reader's pins: they must overlap"
    different = {name: (reader[name], dev[name]) for name in shared if reader[name] != dev[name]}
    assert not different, f"reader vs dev pins: {different}; run make requirements"


def test_the_compiled_files_are_read_as_pip_compile_writes_them():
    text = "numpy==2.0.0\n    # via -r requirements.in\nsix==1.0\n    # via\n"
    text += "    #   -r requirements.in\n    #   foo\nfoo==1\n    # via bar\n"
    assert compiled_from(text, "requirements.in") == {"numpy", "six"}
    with pytest.raises(ValueError, match="not pinned"):
        pinned_requirements("numpy>=2\n")


# -- what belongs where ----------------------------------------------------------------------


def test_no_test_or_build_tool_reaches_the_readers_environment():
    reader = set(_pins(READER_REQUIREMENTS))
    leaked = {n for n in reader if n in TEST_AND_BUILD_TOOLS or n.startswith("pytest")}
    assert not leaked, f"requirements.txt (Binder) pins test or build tools: {sorted(leaked)}"
    both = direct_requirements(READER_IN.read_text()) & direct_requirements(DEV_IN.read_text())
    assert not both, f"named in both .in files (say it once, in requirements.in): {both}"
    assert TEST_AND_BUILD_TOOLS - {"coverage"} <= set(_pins(DEV_REQUIREMENTS))


@pytest.mark.parametrize("name", READER_CODE)
def test_every_import_of_the_book_and_its_chapters_is_a_readers_direct_dependency(name):
    direct = direct_requirements(READER_IN.read_text())
    unmet = {
        module: sorted(dists) or "not installed"
        for module, dists in third_party_distributions(READER_CODE[name]).items()
        if not dists & direct
    }
    assert not unmet, f"{name} imports modules requirements.in does not name: {unmet}"


@pytest.mark.parametrize("name", DEVELOPER_CODE)
def test_every_import_of_the_tests_tools_and_benchmarks_is_pinned(name):
    pinned = set(_pins(READER_REQUIREMENTS)) | set(_pins(DEV_REQUIREMENTS))
    unmet = {
        module: sorted(dists) or "not installed"
        for module, dists in third_party_distributions(DEVELOPER_CODE[name]).items()
        if not dists & pinned
    }
    assert not unmet, f"{name} imports modules neither requirements file pins: {unmet}"


def test_an_import_missing_from_requirements_in_is_caught():
    direct = direct_requirements("numpy\n-e .\nmyst-nb  # glue\n")
    assert direct == {"numpy", "myst-nb"}
    found = third_party_distributions({"numpy", "json", "book", "yaml"})
    assert set(found) == {"numpy", "yaml"}
    assert not found["yaml"] & direct  # PyYAML comes in through other packages only


def test_make_installs_both_files_for_the_build_and_tests_and_the_readers_for_lab():
    makefile = (ROOT / "Makefile").read_text()
    dev_rule = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)
    assert dev_rule and "-r requirements-dev.txt" in dev_rule.group(1)
    for target in ("book", "test", "lint", "unit", "nbval"):
        line = re.search(rf"^{target}:([^#\n]*)", makefile, re.M).group(1)
        assert "$(STAMP)" in line or target == "test", f"make {target} lacks the dev tools"
    assert re.search(r"^lab: \$\(READER_STAMP\)", makefile, re.M)
