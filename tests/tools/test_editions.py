"""Exercises and solutions in the chapters, and the student edition made from them."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.editions import (
    glued_names,
    leaks,
    solution_code,
    solution_glue,
    solution_texts,
    strip_solutions,
    student_config,
    write_student_source,
)

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
_EXERCISE = re.compile(
    r"^(`{3,}|:{3,})\{exercise(?:-start)?\}[^\n]*\n(?::[^\n]*\n)*?:label: (\S+)", re.M
)
_SOLUTION = re.compile(r"^(?:`{3,}|:{3,})\{solution(?:-start)?\} (\S+)", re.M)


def _markdown(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _lines(text):
    return {line.strip() for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_a_solution_and_there_are_at_least_three(path):
    text = _markdown(nbformat.read(path, as_version=4))
    exercises = [m.group(2) for m in _EXERCISE.finditer(text)]
    solutions = _SOLUTION.findall(text)
    assert len(exercises) >= 3, f"{path.name} has {len(exercises)} exercises; at least 3 expected"
    missing = sorted(set(exercises) - set(solutions))
    assert not missing, f"{path.name}: exercises without a solution: {missing}"
    orphans = sorted(set(solutions) - set(exercises))
    assert not orphans, f"{path.name}: solutions to unknown exercises: {orphans}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_keeps_exercises_and_drops_every_solution(path):
    nb = nbformat.read(path, as_version=4)
    student = strip_solutions(nb)
    text = _markdown(student)
    assert not _SOLUTION.search(text), "a solution directive survived"
    assert "solution-end" not in text
    for snippet in solution_texts(nb):
        assert snippet not in text
    assert len(_EXERCISE.findall(text)) == len(_EXERCISE.findall(_markdown(nb)))
    # the code cells kept are exactly the chapter's code outside gated solutions, in
    # order, and the placeholders for answers
    solutions = solution_code(nb)
    hidden = solution_glue(nb)  # cells that glue only solutions' values are left out too
    chapter_code = [
        c.source
        for c in nb.cells
        if c.cell_type == "code"
        and c.source not in solutions
        and not (glued_names(c.source) and glued_names(c.source) <= hidden)
    ]
    kept = [c.source for c in student.cells if c.cell_type == "code"]
    assert [k for k in kept if k != "# Your answer here\n"] == chapter_code


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_version_has_no_line_of_solution_code(path):
    """No line of a gated solution's code (one found nowhere else in the chapter) survives."""
    nb = nbformat.read(path, as_version=4)
    solutions = solution_code(nb)
    student = strip_solutions(nb)
    student_text = "\n".join(c.source for c in student.cells)  # code and markdown
    student_lines = _lines(student_text)
    elsewhere = _lines(
        "\n".join(
            c.source for c in nb.cells if not (c.cell_type == "code" and c.source in solutions)
        )
    )
    for source in solutions:
        assert source.strip() not in student_text, f"a solution's code survived:\n{source}"
        own = _lines(source) - elsewhere
        assert own, f"this solution's code has no line of its own to look for:\n{source}"
        leaked = sorted(own & student_lines)
        assert not leaked, f"solution code in the student notebook: {leaked}"


def test_the_chapters_have_gated_solutions_with_code():
    """The check above is not vacuous: the book's coding solutions are found."""
    found = {p.stem: len(solution_code(nbformat.read(p, as_version=4))) for p in CHAPTERS}
    assert sum(found.values()) >= len(CHAPTERS), found


def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_gated_solution_with_code_becomes_a_placeholder():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = _nb(
        md("```{exercise}\n:label: e\nCompute it.\n```\n"),
        md("````{solution-start} e\n:class: dropdown\n````"),
        code("answer = 42"),
        md("Because 42.\n\n````{solution-end}\n````\n\n## Next section"),
    )
    student = strip_solutions(nb)
    assert [c.cell_type for c in student.cells] == ["markdown", "code", "markdown"]
    assert student.cells[1].source == "# Your answer here\n"
    assert student.cells[2].source.strip() == "## Next section"
    assert "Compute it." in student.cells[0].source
    assert "Because 42" not in _markdown(student)
    assert solution_texts(nb) == ["Because 42."]
    assert solution_code(nb) == ["answer = 42"]


def test_solution_code_needs_fences_in_order():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    with pytest.raises(ValueError, match="no matching"):
        solution_code(_nb(md("````{solution-start} e\n````"), code("x = 1")))
    with pytest.raises(ValueError, match="was expected"):
        solution_code(_nb(md("````{solution-end}\n````"), code("x = 1")))


def test_unclosed_gated_solution_is_an_error():
    nb = _nb(nbformat.v4.new_markdown_cell("````{solution-start} e\n````\nNo end."))
    with pytest.raises(ValueError, match="no matching"):
        strip_solutions(nb)


def test_student_source_is_a_full_book_without_solutions(tmp_path):
    stripped = write_student_source(ROOT, tmp_path / "student")
    assert {p.name for p in stripped} == {p.name for p in CHAPTERS}
    for name in ("_config.yml", "_toc.yml", "references.bib", "intro.md"):
        assert (tmp_path / "student" / name).is_file()
    assert not (tmp_path / "student" / "tests").exists()
    config = (tmp_path / "student" / "_config.yml").read_text()
    assert "student edition" in config and "execute_notebooks: 'off'" in config
    assert not (tmp_path / "student" / ".github").exists()  # the book's CI is not the edition's
    # the instructor's tools and everything built (make assignments' bundles) stay out
    assert not (tmp_path / "student" / "tools").exists()
    assert not (tmp_path / "student" / "_build").exists()
    names = {p.name for p in (tmp_path / "student").rglob("*")}
    assert not names & {"answers.py", "assignments.py", "autograder.zip", "_instructor_answers.py"}


def test_student_source_refuses_to_overwrite_the_book(tmp_path):
    with pytest.raises(ValueError, match="overwrite"):
        write_student_source(ROOT, ROOT)
    with pytest.raises(ValueError, match="_config.yml"):
        write_student_source(tmp_path, tmp_path / "out")


FULL_CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def test_the_student_edition_has_no_button_to_the_books_repository_by_default():
    """The book's repository holds every solution: without a repository of the student
    source, no Binder, Live Code, JupyterHub, Colab or repository button is left."""
    config = student_config(FULL_CONFIG)
    assert FULL_CONFIG["repository"]["url"] and FULL_CONFIG["launch_buttons"]["binderhub_url"]
    assert config["repository"]["url"] == ""  # not absent: Jupyter Book has a default URL
    launch = config["launch_buttons"]
    assert not any(launch.get(k) for k in ("binderhub_url", "jupyterhub_url", "colab_url"))
    assert launch["thebe"] is False
    assert not any(config["html"].get(k) for k in ("use_repository_button", "use_issues_button"))
    assert config["title"].endswith("(student edition)")
    assert FULL_CONFIG["launch_buttons"]["thebe"] is True  # the full edition's is untouched


def test_the_student_edition_opens_a_repository_of_the_student_source_when_named():
    config = student_config(FULL_CONFIG, "https://github.com/course/alliance-student", "week1")
    assert config["repository"]["url"] == "https://github.com/course/alliance-student"
    assert config["repository"]["branch"] == "week1"
    assert (
        config["launch_buttons"]["binderhub_url"] == FULL_CONFIG["launch_buttons"]["binderhub_url"]
    )


@pytest.mark.parametrize(
    ("repository", "branch", "message"),
    [
        (FULL_CONFIG["repository"]["url"], FULL_CONFIG["repository"]["branch"], "every solution"),
        (FULL_CONFIG["repository"]["url"].upper(), FULL_CONFIG["repository"]["branch"], "own"),
        ("https://example.org/course/book", "main", "not a GitHub repository"),
        ("https://github.com/course/book", "main; rm -rf /", "not a branch name"),
    ],
)
def test_a_repository_holding_solutions_or_none_at_all_is_refused(repository, branch, message):
    with pytest.raises(ValueError, match=message):
        student_config(FULL_CONFIG, repository, branch)


def test_the_books_repository_on_another_branch_may_hold_the_student_source():
    url = FULL_CONFIG["repository"]["url"]
    assert student_config(FULL_CONFIG, url, "student")["repository"]["branch"] == "student"


def test_the_command_line_refuses_the_books_repository(tmp_path, capsys):
    from tools.editions import main

    with pytest.raises(SystemExit):
        main(
            [
                "student",
                str(ROOT),
                str(tmp_path / "s"),
                "--repository",
                FULL_CONFIG["repository"]["url"],
                "--branch",
                FULL_CONFIG["repository"]["branch"],
            ]
        )
    assert "every solution" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


_TO_BINDER = re.compile(r"launch\s+button|rocket|\bon\s+Binder\b", re.I)


def _reader_text(folder):
    """The prose a student reads: the landing page and every chapter's Markdown."""
    texts = {"intro.md": (folder / "intro.md").read_text()}
    for path in sorted((folder / "chapters").glob("*.ipynb")):
        texts[path.name] = _markdown(nbformat.read(path, as_version=4))
    return texts


def test_the_full_edition_tells_readers_about_its_binder_button():
    """What the student edition must reword is there to reword (so the next test can fail)."""
    found = [name for name, text in _reader_text(ROOT).items() if _TO_BINDER.search(text)]
    assert "intro.md" in found and len(found) >= 2


def test_the_student_edition_without_a_repository_sends_no_reader_to_binder(tmp_path):
    write_student_source(ROOT, tmp_path / "student")
    left = {
        name: _TO_BINDER.findall(text)
        for name, text in _reader_text(tmp_path / "student").items()
        if _TO_BINDER.search(text)
    }
    assert not left, f"the student edition still points to a Binder button: {left}"


def test_the_student_edition_with_a_repository_keeps_the_binder_wording(tmp_path):
    write_student_source(ROOT, tmp_path / "s", "https://github.com/course/alliance-student")
    assert _TO_BINDER.search((tmp_path / "s" / "intro.md").read_text())


@pytest.mark.parametrize("repository", [None, "https://github.com/course/alliance-student"])
def test_the_student_edition_links_to_no_pdf(tmp_path, repository):
    """The PDF is built from the full edition, solutions included: no student page links it."""
    links = re.compile(r'href="book\.pdf"|\]\(book\.pdf\)')
    assert links.search((ROOT / "intro.md").read_text())  # so that this test can fail
    write_student_source(ROOT, tmp_path / "s", repository)
    linking = [p.name for p in (tmp_path / "s").glob("*.md") if links.search(p.read_text())]
    assert not linking, f"student pages link to the full edition's PDF: {linking}"


# --------------------------------------------------------------------------
# leaks: nothing of a solution reaches the student notebook, planted leaks are caught


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_student_notebook_leaks_a_solution(path):
    nb = nbformat.read(path, as_version=4)
    assert leaks(nb, strip_solutions(nb)) == []


def test_the_figure_exercises_values_are_glued_in_cells_of_their_own():
    """The cells that glue only solutions' values, left out of the student edition."""
    hidden = {p.stem: solution_glue(nbformat.read(p, as_version=4)) for p in CHAPTERS}
    assert {"band_min_iip", "band_min_width", "band_lo_width"} <= hidden["moderation"]
    assert "monitor_lowest_threshold" in hidden["ruptures"]
    assert "share_below_zero" in hidden["therapists"]
    for path in CHAPTERS:
        student = strip_solutions(nbformat.read(path, as_version=4))
        glued = set().union(
            *(glued_names(c.source) for c in student.cells if c.cell_type == "code")
        )
        assert not glued & hidden[path.stem]


_MARK = "Planted-leak-7f3a"


def _planted(kind, outputs=True):
    """A chapter with one leak of ``kind`` planted (solution text, code, or a glue cell)."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.read(ROOT / "chapters" / "simulated_study.ipynb", as_version=4)
    exercise = md(f"```{{exercise}}\n:label: ex-planted\nHow many? ({_MARK} question)\n```")
    if kind == "text":
        cells = [exercise, md(f"```{{solution}} ex-planted\n{_MARK} the answer is 12.\n```")]
    elif kind == "code":
        cells = [
            exercise,
            md("````{solution-start} ex-planted\n:class: dropdown\n````"),
            code(f"planted_answer = 12  # {_MARK}"),
            md(f"{_MARK} explained.\n\n````{{solution-end}}\n````"),
        ]
    else:  # a hidden glue cell whose only purpose is a solution's number
        glue_cell = code(f'glue("planted_value", 12 * 3, display=False)  # {_MARK}')
        glue_cell.metadata["tags"] = ["remove-cell"]
        if outputs:
            glue_cell.outputs = [
                nbformat.v4.new_output(
                    "display_data",
                    data={"application/papermill.record/text/plain": "36"},
                    metadata={"scrapbook": {"mime_prefix": "", "name": "planted_value"}},
                )
            ]
        cells = [
            glue_cell,
            exercise,
            md("```{solution} ex-planted\nIt is {glue:text}`planted_value`.\n```"),
        ]
    nb.cells.extend(cells)
    return nb


_KINDS = [("text", True), ("code", True), ("glue", True), ("glue", False)]


@pytest.mark.parametrize(("kind", "outputs"), _KINDS)
def test_a_planted_leak_is_caught_when_it_survives(kind, outputs):
    """The leak check finds each kind when the student notebook still holds it."""
    nb = _planted(kind, outputs)
    student = strip_solutions(nbformat.read(ROOT / "chapters" / "simulated_study.ipynb", 4))
    student.cells.extend(c for c in nb.cells[-4:] if _MARK in c.source or "glue(" in c.source)
    found = leaks(nb, student)
    assert found, f"a planted {kind} leak was not caught"
    if kind == "glue" and outputs:
        assert any("stored output" in f for f in found)


@pytest.mark.parametrize(("kind", "outputs"), _KINDS)
def test_the_student_edition_of_a_chapter_with_a_planted_leak_holds_none(tmp_path, kind, outputs):
    """Built from a copy with the leak planted, the student source has neither leak nor mark."""
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        (book / name).write_text((ROOT / name).read_text())
    nbformat.write(_planted(kind, outputs), book / "chapters" / "simulated_study.ipynb")
    write_student_source(book, tmp_path / "student")
    student = nbformat.read(tmp_path / "student" / "chapters" / "simulated_study.ipynb", 4)
    assert leaks(_planted(kind, outputs), student) == []
    text = "\n".join(c.source for c in student.cells)
    outputs_text = str([c.get("outputs") for c in student.cells if c.cell_type == "code"])
    assert f"{_MARK} question" in text  # the exercise stays
    assert _MARK not in text.replace(f"{_MARK} question", "")
    assert "planted_value" not in text + outputs_text


def test_a_cell_gluing_a_solutions_value_with_the_texts_is_refused():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = _nb(
        code('glue("shown", 1, display=False)\nglue("answer", 2, display=False)'),
        md("We saw {glue:text}`shown`.\n\n```{solution} e\nIt is {glue:text}`answer`.\n```"),
    )
    with pytest.raises(ValueError, match="put the solutions' values in a cell of their own"):
        strip_solutions(nb)
    nb = _nb(
        code('x = 2\nglue("answer", x, display=False)'),
        code("print(x)"),
        md("```{solution} e\nIt is {glue:text}`answer`.\n```"),
    )
    with pytest.raises(ValueError, match=r"also defines \['x'\]"):
        strip_solutions(nb)
