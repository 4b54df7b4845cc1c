"""Sections of CONTRIBUTING.md that are written from the code, so they cannot drift.

- ``package-map``: the package's map, from the module lists in the docstrings of
  ``book/__init__.py``, each subpackage's ``__init__.py`` and ``tools/__init__.py``
  (each entry a ``- :mod:`book.x.y` -- what it holds`` bullet);
- ``make-targets``: every Make target with its ``## help`` text, from the Makefile.

Each section sits between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``.

    python scripts/generated_docs.py            # rewrite the sections (make docs)
    python scripts/generated_docs.py --check    # exit 1 if a section is stale

``tests/test_docs.py`` runs the check in ``make test``, and checks that the
docstrings list every module of the package, and nothing that is not one.
Needs only the standard library; nothing is imported from the package.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "CONTRIBUTING.md"
PACKAGES = ("book", "tools")

_BULLET = re.compile(r"^- :mod:`(?P<name>[\w.]+)` --\s*(?P<text>.*)$")


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def listed_modules(init: Path) -> dict[str, str]:
    """The ``- :mod:`name` -- text`` bullets of a package's docstring, in order:
    dotted name -> text (continuation lines joined)."""
    entries: dict[str, str] = {}
    current = None
    for line in docstring(init).splitlines():
        match = _BULLET.match(line)
        if match:
            current = match["name"]
            entries[current] = match["text"].strip()
        elif current and line.startswith("  ") and line.strip():
            entries[current] = f"{entries[current]} {line.strip()}".strip()
        else:
            current = None
    return entries


def modules_on_disk(package: Path) -> list[str]:
    """Dotted names of a package's modules and subpackages (``__main__`` aside)."""
    prefix = ".".join(package.relative_to(ROOT).parts)
    names = []
    for path in sorted(package.iterdir()):
        if path.is_dir() and (path / "__init__.py").is_file():
            names.append(f"{prefix}.{path.name}")
        elif path.suffix == ".py" and path.stem not in ("__init__", "__main__"):
            names.append(f"{prefix}.{path.stem}")
    return names


def plain(text: str) -> str:
    """reStructuredText roles and literals as Markdown code (``:func:`~a.b.c``` -> `c`)."""
    text = re.sub(r":\w+:`~[\w.]*?\.?(\w+)`", r"`\1`", text)
    text = re.sub(r":\w+:`([^`]+)`", r"`\1`", text)
    return re.sub(r"``([^`]+)``", r"`\1`", text).replace("--", "–")


def _path(name: str) -> str:
    path = ROOT / Path(*name.split("."))
    return (
        f"{path.relative_to(ROOT).as_posix()}/"
        if path.is_dir()
        else f"{path.relative_to(ROOT).as_posix()}.py"
    )


def package_map() -> str:
    """The map as a Markdown table: each package, its subpackages and their modules."""
    rows = ["| module | what it holds |", "| --- | --- |"]
    for package in PACKAGES:
        init = ROOT / package / "__init__.py"
        rows.append(f"| `{package}/` | {plain(docstring(init).splitlines()[0])} |")
        for name, text in listed_modules(init).items():
            rows.append(f"| `{_path(name)}` | {plain(text)} |")
            sub = ROOT / Path(*name.split(".")) / "__init__.py"
            if sub.is_file():
                for child, child_text in listed_modules(sub).items():
                    rows.append(f"| `{_path(child)}` | {plain(child_text)} |")
    return "\n".join(rows)


def make_targets() -> str:
    """Every Make target with a ``## help`` comment, as a Markdown table."""
    rows = ["| target | what it does |", "| --- | --- |"]
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([a-z][a-z-]*):.*?## (.+)$", line)
        if match:
            help_text = match[2].replace("|", "\\|")
            rows.append(f"| `make {match[1]}` | {help_text} |")
    return "\n".join(rows)


SECTIONS = {"package-map": package_map, "make-targets": make_targets}


def _section(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- generated: {name} .*?-->\n)(.*?)(<!-- end: {name} -->)", re.S)


def render(text: str) -> str:
    """``text`` with every generated section rewritten from the code."""
    for name, make in SECTIONS.items():
        pattern = _section(name)
        if not pattern.search(text):
            raise SystemExit(f"{DOC.name} has no <!-- generated: {name} --> section")
        text = pattern.sub(lambda m, make=make: m[1] + "\n" + make() + "\n\n" + m[3], text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a section is stale")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{DOC.name}: generated sections are stale; run make docs", file=sys.stderr)
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"rewrote the generated sections of {DOC.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
