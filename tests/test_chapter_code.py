"""A student who copies a chapter's code from the page can run it.

Code cells tagged `remove-cell` or `remove-input` are not on the page; every other
code cell is (`hide-input` collapses its code, which the reader can open and copy).
So no visible cell may use a name that only a removed cell defines: the set-up
cell that imports pandas, a number of replications, a helper table. Removed cells
may stay removed when they only feed the prose (`glue`) or check a claim (`assert`).
`make chapter-tags` (scripts/chapter_tags.py) retags the chapters that fail here;
it changes nothing but the cells' tags.

The names are found by reading the code (the order of the cells and of the
statements in each), without a kernel.
"""

from __future__ import annotations

import copy
import json

import pytest
from booksite import load_script, toc_notebooks

chapter_tags = load_script("chapter_tags")
CHAPTERS = toc_notebooks()


def _cells(path):
    return json.loads(path.read_text())["cells"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_visible_cell_needs_a_name_only_a_removed_cell_defines(chapter):
    needs = chapter_tags.missing_definitions(_cells(chapter))
    described = [
        f"cell {n.cell} uses {n.name!r}, defined only in removed cell {n.defined_in}" for n in needs
    ]
    assert not described, f"{chapter.name}: run make chapter-tags; {described}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_figure_is_drawn_in_a_removed_cell(chapter):
    """Plotting code a reader may want is collapsed (`hide-input`), never removed."""
    for index, cell in enumerate(_cells(chapter)):
        if cell["cell_type"] == "code" and chapter_tags.is_removed(cell):
            images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            assert not images, f"{chapter.name}: removed cell {index} draws a figure"


# -- the reading of the code can fail ---------------------------------------------------------


def _code(source, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source}


@pytest.mark.parametrize(
    ("source", "needed", "defined"),
    [
        ("y = x + 1", ["x"], {"y"}),
        ("x = 1\ny = x", [], {"x", "y"}),
        ("total += 1", ["total"], {"total"}),
        ("import numpy as np\nfrom a.b import c as d", [], {"np", "d"}),
        ("[i * k for i in range(3)]", ["k"], set()),
        ("def f(a, b=default):\n    return a + b + later\nlater = 1", ["default"], {"f", "later"}),
        ("def f():\n    return undefined_global", ["undefined_global"], {"f"}),
        ("with open(p) as fh:\n    data = fh.read()", ["p"], {"fh", "data"}),
        ("for i, row in rows:\n    s = i", ["rows"], {"i", "row", "s"}),
        ("try:\n    pass\nexcept ValueError as e:\n    print(e)", [], {"e"}),
        ("%matplotlib inline\nprint(len(x))", ["x"], set()),
        ("f = lambda v: v + w", ["w"], {"f"}),
        ("(n := 3) and n", [], {"n"}),
        ("display(df)", ["df"], set()),
    ],
)
def test_a_cell_needs_the_names_it_reads_before_it_binds_them(source, needed, defined):
    got_needed, got_defined = chapter_tags.cell_flow(source, set())
    assert got_needed == needed
    assert got_defined == defined


def test_a_visible_cell_using_a_removed_cells_name_is_caught_and_retagged():
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# A chapter"},
        _code("import pandas as pd\nn_reps = 30", ["remove-cell"]),
        _code("glue('n', 3, display=False)", ["remove-cell"]),
        _code("df = pd.DataFrame({'r': range(n_reps)})"),
        _code("assert len(df) == n_reps", ["remove-cell"]),
        _code("df.describe()", ["hide-input"]),
    ]
    needs = chapter_tags.missing_definitions(cells)
    assert [(n.cell, n.name, n.defined_in) for n in needs] == [(3, "pd", 1), (3, "n_reps", 1)]

    retagged = copy.deepcopy(cells)
    assert chapter_tags.retag(retagged) == [1]
    assert retagged[1]["metadata"]["tags"] == ["hide-input"]
    assert chapter_tags.missing_definitions(retagged) == []
    # only the tags of the one cell changed; the glue and assert cells stay removed
    for before, after in zip(cells, retagged, strict=True):
        assert before["source"] == after["source"]
    assert [c["metadata"].get("tags") for c in retagged[2:]] == [
        ["remove-cell"],
        [],
        ["remove-cell"],
        ["hide-input"],
    ]


def test_a_collapsed_cell_counts_as_on_the_page():
    cells = [_code("x = 1", ["hide-input"]), _code("print(x)")]
    assert chapter_tags.missing_definitions(cells) == []
    cells = [_code("x = 1", ["remove-input"]), _code("print(x)")]
    assert [n.name for n in chapter_tags.missing_definitions(cells)] == ["x"]


def test_retagging_is_repeated_until_nothing_is_missing():
    """Collapsing a cell puts its own needs on the page: they are followed in turn."""
    cells = [
        _code("import numpy as np", ["remove-cell"]),
        _code("grid = np.linspace(0, 1, 5)", ["remove-cell"]),
        _code("print(grid)"),
    ]
    assert sorted(chapter_tags.retag(cells)) == [0, 1]
    assert chapter_tags.missing_definitions(cells) == []
