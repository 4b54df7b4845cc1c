"""The instructor guide stays in step with the chapters' exercises and self-checks."""

import re
from pathlib import Path

import nbformat
import yaml

from book.teaching.exercises import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "instructors.md").read_text()
_LABEL = re.compile(r"\{exercise(?:-start)?\}[^\n]*\n(?::[^\n]*\n)*?:label: (\S+)")


def _toc_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f.split("/", 1)[1] for f in files if f.startswith("chapters/")]


def _chapter_labels():
    labels = {}
    for name in _toc_chapters():
        nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for label in _LABEL.findall(text):
            labels[label] = name
    return labels


def _guide_rows():
    rows = re.findall(r"^\| (\w+) \| `(ex-[\w-]+)` \| ([^|]+) \| *(yes)? *\|$", GUIDE, re.M)
    return {label: (chapter, kind.strip(), bool(yes)) for chapter, label, kind, yes in rows}


def test_guide_lists_every_exercise_with_its_chapter():
    rows = _guide_rows()
    chapters = _chapter_labels()
    assert set(rows) == set(chapters), (
        f"missing from the guide: {sorted(set(chapters) - set(rows))}; "
        f"no longer in the book: {sorted(set(rows) - set(chapters))}"
    )
    for label, (chapter, _, _) in rows.items():
        assert chapters[label] == chapter, f"{label} is in {chapters[label]}, not {chapter}"


def test_guide_marks_exactly_the_self_checks():
    marked = {label for label, (_, _, yes) in _guide_rows().items() if yes}
    assert marked == set(EXERCISES)


def test_every_exercise_named_in_the_plan_exists():
    named = set(re.findall(r"`(ex-[\w-]+)`", GUIDE))
    assert named <= set(_chapter_labels())


def test_every_chapter_is_in_the_objectives_table():
    for name in _toc_chapters():
        assert f"{{doc}}`chapters/{name}`" in GUIDE, f"{name} missing from the guide"


def test_every_self_check_is_announced_and_used_in_its_chapter():
    """The exercise tells the reader how to check; the solution checks and prints "Correct."."""
    chapters = _chapter_labels()
    for label, exercise in EXERCISES.items():
        assert chapters.get(label) == exercise.chapter, (
            f"{label} is registered for {exercise.chapter}, found in {chapters.get(label)}"
        )
        nb = nbformat.read(ROOT / "chapters" / f"{exercise.chapter}.ipynb", as_version=4)
        call = f'check("{label}"'
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert call in markdown, f"the text of {label} does not mention {call}...)"
        cells = [c for c in nb.cells if c.cell_type == "code" and call in c.source]
        assert cells, f"no solution of {label} ends with {call}...)"
        last = cells[-1].outputs[-1]
        assert last.get("data", {}).get("text/plain") == "Correct.", (
            f"the stored output of {label}'s check is not 'Correct.': {last}"
        )
