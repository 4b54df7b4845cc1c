"""Two editions from one source: the full book and a student edition without solutions.

The student edition is made by copying the book's source and removing every
solution from the chapters: ``{solution}`` blocks, and gated
``{solution-start}`` ... ``{solution-end}`` ranges together with the code
cells between them, which are replaced by an empty "your answer" cell.
(sphinx-exercise's own ``hide_solutions`` switch cannot be used: it crashes
the build on gated solutions, sphinx-exercise issue 89.) The same stripped
notebooks are what an instructor hands out on a JupyterHub.

The student edition links only to stripped notebooks. By default it has no
Binder, Live Code or repository buttons (the book's repository holds the full
edition, every solution included); its download button serves the stripped
notebook from the edition itself. An instructor who publishes the student
source (``DEST``, a complete book) as a repository of their own can name it,
and the buttons then open that repository's notebooks.

``python -m tools.editions student SOURCE DEST [--repository URL [--branch B]]``
writes the student source.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import yaml

__all__ = [
    "WITHOUT_BINDER",
    "WITHOUT_PDF",
    "glued_names",
    "leaks",
    "solution_code",
    "solution_texts",
    "strip_solutions",
    "student_config",
    "without_binder",
    "without_pdf",
    "write_student_source",
]

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[a-z-]+)\}")
# where markdown shows a glued value: {glue}`x`, {glue:text}`x:.2f`, ```{glue:figure} x
_GLUE_REFERENCE = re.compile(
    r"\{glue(?::[a-z]+)?\}(?:`(?P<role>[^`:]+)[^`]*`|[ \t]+(?P<directive>[^\s`]+))"
)
_PLACEHOLDER = "# Your answer here\n"

#: What the student source leaves out of the book's source tree.
_SKIP = {
    ".git",
    ".venv",
    "_build",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "__pycache__",
    "tests",
    "benchmarks",
    ".github",  # the book's own CI and publishing, not the edition's
    ".ci",
    "tools",  # the instructor's tools: reference answers, quiz answers
}

#: What the full edition tells readers about its Binder button, and what the student
#: edition says instead when it has none (no repository of the student source named).
#: Matched word by word, across line breaks; tests/site checks that nothing is left.
WITHOUT_BINDER = {
    "on Binder with the launch button at the top of the page, or in a copy of the "
    "book's repository with `make lab`": "download its notebook (the download button at "
    "the top of the page) and open it on your course's JupyterHub or on your own computer",
    "**On Binder**: the rocket button at the top of a chapter opens it in JupyterLab in "
    "your browser, with everything installed, so you can change the code.": "**In "
    "JupyterLab**: the download button at the top of a chapter gives its notebook, "
    "without the solutions; open it on your course's JupyterHub or on your own computer "
    "to change the code.",
}

#: The landing page's link to the PDF edition, reworded for the student edition: the PDF
#: is built from the full edition and holds every solution.
WITHOUT_PDF = {
    'the PDF edition, <a href="book.pdf">book.pdf</a>, is the whole book, with its '
    "figures, equations, cross-references and bibliography.": "every page prints from "
    "the browser, and once loaded it needs no network. (The book's PDF edition holds "
    "the solutions, so your instructor keeps it.)",
}

#: The buttons a page can have that lead to a repository or a live kernel there.
_REPOSITORY_BUTTONS = ("use_repository_button", "use_edit_page_button", "use_issues_button")
_LAUNCHERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url")


def _remove_solution_blocks(text: str) -> tuple[str, str | None]:
    """Drop ``{solution}`` blocks from markdown; report an unclosed gated start.

    Returns the new text and, if a ``{solution-start}`` opens in this cell without
    its ``{solution-end}``, the text before it is kept and ``"open"`` is returned.
    """
    out: list[str] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m["name"] == "solution":
            close = m["fence"]
            i += 1
            while i < len(lines) and lines[i].strip() != close:
                i += 1
            i += 1  # skip the closing fence
            continue
        if m and m["name"] == "solution-start":
            return "".join(out), "open"
        out.append(lines[i])
        i += 1
    return "".join(out), None


def _after_solution_end(text: str) -> str | None:
    """The text after a ``{solution-end}`` block's closing fence, or None if absent."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and m["name"] == "solution-end":
            j = i + 1
            while j < len(lines) and lines[j].strip() != m["fence"]:
                j += 1
            return "".join(lines[j + 1 :])
    return None


def strip_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    r"""A copy of a chapter notebook with every exercise solution removed.

    ``{solution}`` blocks are deleted from markdown cells. A gated solution,
    from its ``{solution-start}`` fence to its ``{solution-end}`` fence, is
    deleted with the cells in between; an empty code cell is left where a
    gated solution held code, for the student's answer.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook (version 4).

    Returns
    -------
    nbformat.NotebookNode
        The student version; the input is not modified.

    Raises
    ------
    ValueError
        If a ``{solution-start}`` has no matching ``{solution-end}``.

    Examples
    --------
    >>> import nbformat
    >>> text = "```{exercise}\n:label: ex1\nWhy?\n```\n\n```{solution} ex1\nBe so.\n```\n"
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    >>> print(strip_solutions(nb).cells[0].source)
    ```{exercise}
    :label: ex1
    Why?
    ```
    <BLANKLINE>
    """
    out = copy.deepcopy(notebook)
    cells = []
    inside = False
    had_code = False
    for cell in out.cells:
        if inside:
            if cell.cell_type == "code":
                had_code = True
                continue
            rest = _after_solution_end(cell.source)
            if rest is None:
                continue
            inside = False
            if had_code:
                cells.append(nbformat.v4.new_code_cell(_PLACEHOLDER))
            cell = copy.deepcopy(cell)
            cell.source = rest
        if cell.cell_type == "markdown":
            text, state = _remove_solution_blocks(cell.source)
            if state == "open":
                inside, had_code = True, False
                tail = _after_solution_end(cell.source)
                if tail is not None:  # start and end in one cell
                    inside = False
                    text = text + _remove_solution_blocks(tail)[0]
            cell.source = text
            if not cell.source.strip():
                continue
        cells.append(cell)
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    out.cells = _without_solution_glue(cells, _glue_references(notebook.cells))
    return out


def _glue_references(cells) -> set[str]:
    """The glued names that the markdown cells show."""
    return {
        m["role"] or m["directive"]
        for cell in cells
        if cell.cell_type == "markdown"
        for m in _GLUE_REFERENCE.finditer(cell.source)
    }


def glued_names(source: str) -> set[str]:
    """The names a code cell glues (``glue("name", ...)``); an f-string name as its pattern.

    Examples
    --------
    >>> sorted(glued_names('glue("a", 1, display=False)\\nfor k in "xy":\\n    glue(f"b_{k}", 2)'))
    ['a', 'b_{k}']
    """
    found = set()
    for m in re.finditer(r"\bglue\(\s*(f?)([\"'])(.+?)\2", source):
        found.add(m.group(3))
    return found


def _without_solution_glue(cells, everywhere: set[str]) -> list:
    """Drop the code cells that only glue values for solutions (gone from this edition).

    A value glued for a solution alone is the solution's number, whether the cell's
    stored output holds it or its code computes it. A cell that glues such a value
    together with values the text still shows is an error: split it.
    """
    shown = _glue_references(cells)
    solution_only = everywhere - shown
    kept, dropped = [], []
    for i, cell in enumerate(cells):
        names = glued_names(cell.source) if cell.cell_type == "code" else set()
        leaking = {n for n in names if n in solution_only}
        if not leaking:
            kept.append(cell)
            continue
        if leaking != names:
            raise ValueError(
                f"a code cell glues {sorted(leaking)} for solutions only and "
                f"{sorted(names - leaking)} for the text: put the solutions' values in a cell "
                "of their own, so that the student edition can leave it out"
            )
        dropped.append((i, cell))
    for i, cell in dropped:
        assigned = _assigned(cell.source)
        later = (
            set().union(*(_loaded(c.source) for c in cells[i + 1 :] if c in kept))
            if kept
            else set()
        )
        if assigned & later:
            raise ValueError(
                "a cell that glues values for solutions only also defines "
                f"{sorted(assigned & later)}, which later cells use: move those definitions "
                "to another cell"
            )
    return kept


def solution_glue(notebook: nbformat.NotebookNode) -> set[str]:
    """The glued names that only solutions show: each is a solution's number."""
    everywhere = _glue_references(notebook.cells)
    outside = copy.deepcopy(notebook)
    outside.cells = [c for c in outside.cells if c.cell_type == "markdown"]
    kept = strip_solutions(outside).cells  # markdown only: no glue cell to drop
    return everywhere - _glue_references(kept)


def leaks(full: nbformat.NotebookNode, student: nbformat.NotebookNode) -> list[str]:
    r"""What of the full chapter's solutions a student notebook still holds, in words.

    Looks for four kinds of leak: a solution's text, a line of a gated
    solution's code (one found nowhere else in the chapter), a code cell that
    glues a value only a solution shows, and a stored output carrying such a
    value. Written independently of :func:`strip_solutions`: the tests run it on
    every chapter's student version and on copies with leaks planted.

    Examples
    --------
    >>> import nbformat
    >>> md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    >>> full = nbformat.v4.new_notebook(cells=[
    ...     code('glue("x", 42, display=False)'),
    ...     md("```{solution} ex1\nIt is {glue:text}`x`.\n```"),
    ... ])
    >>> leaks(full, full)
    ["solution text: 'It is {glue:text}`x`.'", "a cell glues a solution's value: ['x']"]
    >>> leaks(full, strip_solutions(full))
    []
    """
    found = []
    text = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    found += [f"solution text: {t!r}" for t in solution_texts(full) if t and t in text]
    solutions = solution_code(full)
    elsewhere = {
        line.strip()
        for c in full.cells
        if not (c.cell_type == "code" and c.source in solutions)
        for line in c.source.splitlines()
    }
    student_lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    for source in solutions:
        own = {line.strip() for line in source.splitlines() if line.strip()} - elsewhere
        found += [f"solution code: {line!r}" for line in sorted(own & student_lines)]
    hidden = solution_glue(full)
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        names = sorted(n for n in glued_names(cell.source) if n in hidden)
        if names:
            found.append(f"a cell glues a solution's value: {names}")
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name in hidden:
                found.append(f"a stored output holds a solution's value: {name!r}")
    return found


def _names(source: str, context) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: nothing to learn from them
        return set()
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, context)
    }


def _assigned(source: str) -> set[str]:
    return _names(source, ast.Store)


def _loaded(source: str) -> set[str]:
    return _names(source, ast.Load)


def solution_texts(notebook: nbformat.NotebookNode) -> list[str]:
    """The first line of prose of every solution in a notebook.

    Used by the tests to check that the full edition shows every solution and
    the student edition none.
    """
    texts = []
    lines = [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
    ]
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m["name"] in ("solution", "solution-start"):
            j = i + 1
            # skip the directive's options and blank lines
            while j < len(lines) and (lines[j].startswith(":") or not lines[j].strip()):
                j += 1
            if m["name"] == "solution-start":
                # a gated solution's content follows its (empty) fence
                if j < len(lines) and lines[j].strip() == m["fence"]:
                    j += 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
            if j < len(lines) and not _FENCE.match(lines[j]):
                texts.append(lines[j].strip())
            i = j
        i += 1
    return texts


def solution_code(notebook: nbformat.NotebookNode) -> list[str]:
    r"""The source of every code cell inside a gated solution, in order.

    A code cell is inside a gated solution when the last ``{solution-start}``
    or ``{solution-end}`` fence in the markdown cells before it is a start.
    Written independently of :func:`strip_solutions`, so that the tests can
    check that none of these cells reaches the student edition.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook (version 4).

    Returns
    -------
    list of str
        The code cells' sources.

    Raises
    ------
    ValueError
        If gated fences do not alternate start, end, start, end...

    Examples
    --------
    >>> import nbformat
    >>> md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     code("study = load_study()"),
    ...     md("````{solution-start} ex1\n:class: dropdown\n````"),
    ...     code("answer = 42"),
    ...     md("Because.\n\n````{solution-end}\n````"),
    ...     code("plt.show()"),
    ... ])
    >>> solution_code(nb)
    ['answer = 42']
    """
    found = []
    inside = False
    for cell in notebook.cells:
        if cell.cell_type == "code":
            if inside:
                found.append(cell.source)
            continue
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = _FENCE.match(line)
            if not m or m["name"] not in ("solution-start", "solution-end"):
                continue
            opens = m["name"] == "solution-start"
            if opens == inside:
                raise ValueError(
                    f"a {{{m['name']}}} fence where a "
                    f"{{{'solution-end' if inside else 'solution-start'}}} was expected"
                )
            inside = opens
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    return found


def write_student_source(
    source: str | Path,
    destination: str | Path,
    repository: str | None = None,
    branch: str = "main",
) -> list[Path]:
    """Copy the book's source to ``destination`` with solutions stripped from chapters.

    Parameters
    ----------
    source : str or pathlib.Path
        The book's root (where ``_config.yml`` is).
    destination : str or pathlib.Path
        Where to write; replaced if it exists.
    repository : str, optional
        A public repository (``https://github.com/owner/name``) that holds this
        student source, for the edition's Binder, Live Code and repository
        buttons. Without it the edition has none of these buttons. It must not be
        the book's own repository and branch, which hold every solution.
    branch : str
        The branch of ``repository`` to open (default ``"main"``).

    Returns
    -------
    list of pathlib.Path
        The notebooks that were stripped.
    """
    source, destination = Path(source).resolve(), Path(destination).resolve()
    if not (source / "_config.yml").is_file():
        raise ValueError(f"{source} has no _config.yml; give the book's root folder")
    if destination == source or destination in source.parents:
        raise ValueError(f"destination {destination} would overwrite the book's source")
    _check_student_repository(
        yaml.safe_load((source / "_config.yml").read_text()), repository, branch
    )
    if destination.exists():
        shutil.rmtree(destination)

    def ignore(folder, names):
        here = Path(folder).resolve()
        skipped = {n for n in names if n in _SKIP}
        if here == source:
            skipped |= {n for n in names if (here / n).resolve() == destination}
        return skipped

    shutil.copytree(source, destination, ignore=ignore)
    _student_config(destination / "_config.yml", repository, branch)
    stripped = []
    for path in sorted((destination / "chapters").glob("*.ipynb")):
        nb = strip_solutions(nbformat.read(path, as_version=4))
        if repository is None:
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = without_binder(cell.source)
        nbformat.write(nb, path)
        stripped.append(path)
    for page in sorted(destination.glob("*.md")):
        text = without_pdf(page.read_text())
        page.write_text(without_binder(text) if repository is None else text)
    return stripped


def without_binder(text: str) -> str:
    r"""Text that points readers to a Binder button, reworded for an edition without one.

    Examples
    --------
    >>> text = ("to use it, open this chapter in JupyterLab: on Binder with the launch "
    ...         "button at the top of the page, or in a copy of the\nbook's repository "
    ...         "with `make lab`.")
    >>> student = without_binder(text)
    >>> "launch button" in student, "download button" in student
    (False, True)
    """
    return _reworded(text, WITHOUT_BINDER)


def without_pdf(text: str) -> str:
    r"""Text that links to the PDF edition, reworded for the student edition.

    Examples
    --------
    >>> text = ('the PDF edition, <a href="book.pdf">book.pdf</a>, is the\n  whole book, '
    ...         "with its figures, equations, cross-references and bibliography.")
    >>> "book.pdf" in without_pdf(text)
    False
    """
    return _reworded(text, WITHOUT_PDF)


def _reworded(text: str, wording: dict[str, str]) -> str:
    for said, instead in wording.items():
        pattern = r"\s+".join(re.escape(word) for word in said.split())
        text = re.sub(pattern, lambda _match, instead=instead: instead, text)
    return text


def _check_student_repository(config: dict, repository: str | None, branch: str) -> None:
    if repository is None:
        return
    parts = urlsplit(repository)
    owner_name = re.fullmatch(r"/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", parts.path)
    if (parts.scheme, parts.netloc) != ("https", "github.com") or not owner_name or parts.query:
        raise ValueError(
            f"repository {repository!r} is not a GitHub repository "
            "(https://github.com/owner/name): Binder opens the edition from one"
        )
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch or ""):
        raise ValueError(f"branch {branch!r} is not a branch name")
    book = config.get("repository", {})
    same_repository = repository.lower() == str(book.get("url", "")).rstrip("/").lower()
    if same_repository and branch == book.get("branch"):
        raise ValueError(
            f"{repository} (branch {branch}) is the book's own repository, whose "
            "notebooks hold every solution: name a repository or branch that holds "
            "this student source"
        )


def student_config(config: dict, repository: str | None = None, branch: str = "main") -> dict:
    """The student edition's ``_config.yml``, made from the full edition's.

    It is titled as the student edition, and built from the stored outputs
    instead of re-running them (the stored outputs are the ones nbval checks
    against a fresh run in ``make test``, so the student edition shows what the
    full one does, minus the solutions). Its Binder, Live Code and repository
    buttons open ``repository`` (which must hold the stripped notebooks), or,
    without one, are removed: the book's own repository holds every solution.

    Parameters
    ----------
    config : dict
        The full edition's configuration (``_config.yml``, read).
    repository : str, optional
        A repository holding the student source; see :func:`write_student_source`.
    branch : str
        Its branch.

    Returns
    -------
    dict
        A new configuration; ``config`` is not modified.

    Examples
    --------
    >>> full = {"title": "The book", "repository": {"url": "https://github.com/a/book",
    ...         "branch": "main"}, "launch_buttons": {"binderhub_url": "https://mybinder.org",
    ...         "thebe": True}, "html": {"use_repository_button": True}}
    >>> student = student_config(full)
    >>> student["title"], student["repository"]["url"], student["launch_buttons"]["thebe"]
    ('The book (student edition)', '', False)
    >>> student_config(full, "https://github.com/course/book-student")["repository"]["url"]
    'https://github.com/course/book-student'
    """
    _check_student_repository(config, repository, branch)
    config = copy.deepcopy(config)
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    launch = config.setdefault("launch_buttons", {})
    html = config.setdefault("html", {})
    if repository:
        config["repository"] = {**config.get("repository", {}), "url": repository}
        config["repository"]["branch"] = branch
        return config
    # No repository holds the stripped notebooks: no button may lead to one. The URL
    # is set empty, not left out: Jupyter Book would fill in a default repository.
    config["repository"] = {**config.get("repository", {}), "url": "", "branch": ""}
    for key in _LAUNCHERS:
        launch[key] = ""
    launch["thebe"] = False
    for key in _REPOSITORY_BUTTONS:
        html[key] = False
    return config


def _student_config(path: Path, repository: str | None = None, branch: str = "main") -> None:
    """Rewrite the copied ``_config.yml`` as the student edition's (:func:`student_config`)."""
    config = student_config(yaml.safe_load(path.read_text()), repository, branch)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.editions student SOURCE DEST``: write the student edition's source."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("edition", choices=["student"])
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument(
        "--repository",
        help="a repository that holds the student source, for the Binder, Live Code and "
        "repository buttons (default: the edition has no such buttons)",
    )
    parser.add_argument("--branch", default="main", help="its branch (default: main)")
    args = parser.parse_args(argv)
    try:
        stripped = write_student_source(
            args.source, args.destination, args.repository or None, args.branch
        )
    except ValueError as error:
        parser.error(str(error))
    for path in stripped:
        print(f"stripped solutions from {path}")
    if args.repository:
        print(
            f"its buttons open {args.repository} (branch {args.branch}): "
            f"publish {args.destination} there"
        )
    else:
        print("no Binder, Live Code or repository buttons (no --repository given)")


if __name__ == "__main__":
    main()
