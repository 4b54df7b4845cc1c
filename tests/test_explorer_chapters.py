"""Every explorer sits in its chapter as the book's convention says (book/widgets/__init__.py):
a live cell for Jupyter, its static view for the HTML book, a static figure with alt text and
the printed numbers (for the PDF too), the one-sentence "try this" and the line on how to run
it live."""

import json
import re

import pytest
from booksite import ROOT

from book.widgets import (
    LIVE_HINT,
    between_within,
    design,
    moderation,
    nickell,
    session_monitor,
    study,
)

#: Chapters whose explorer the live JupyterLab test drives (tag `explorer`): one per kind
#: of control, a FloatSlider and a SelectionSlider on the shared machinery
#: (book.widgets.explorer, tested headlessly), and the session monitor, built apart from
#: it (text box, dropdowns, a threshold slider); each adds 15-25 s to `make test`.
LIVE_TESTED = {"simulated_study", "study_design", "ruptures"}

#: chapter -> (explorer module, the function its live cell calls)
EXPLORERS = {
    "simulated_study": (study, "study_explorer"),
    "trait_state": (between_within, "between_within_explorer"),
    "lagged_models": (nickell, "nickell_explorer"),
    "moderation": (moderation, "moderation_explorer"),
    "study_design": (design, "design_explorer"),
    "ruptures": (session_monitor, "session_monitor_explorer"),
}


def _words(text: str) -> str:
    return " ".join(re.sub(r"\*\*|`", "", text).split())


def _cells(chapter):
    return json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())


def _is_live(cell, function) -> bool:
    source = "".join(cell["source"])
    return cell["cell_type"] == "code" and f"{function}(" in source and "import" in source


@pytest.mark.parametrize("chapter", list(EXPLORERS))
def test_the_live_cell_is_tagged_and_checked_by_nbval(chapter):
    module, function = EXPLORERS[chapter]
    nb = _cells(chapter)
    live = [c for c in nb["cells"] if _is_live(c, function)]
    assert len(live) == 1, f"{chapter}: {len(live)} cells make the explorer"
    source = "".join(live[0]["source"])
    tags = live[0]["metadata"].get("tags", [])
    assert "remove-output" in tags  # no dead controls in the HTML
    assert ("explorer" in tags) == (chapter in LIVE_TESTED)  # driven in JupyterLab, or not
    # nbval compares the widget's text form (its heading and "try this" sentence) and
    # skips only the widget view, whose model id is random: nothing else is ignored
    assert "NBVAL_IGNORE_OUTPUT" not in source
    assert any("text/plain" in o.get("data", {}) for o in live[0]["outputs"])
    assert f"from {module.__name__} import {function}" in source
    assert not any(o["output_type"] == "error" for o in live[0]["outputs"])


@pytest.mark.parametrize("chapter", list(EXPLORERS))
def test_the_static_view_follows_the_live_cell(chapter):
    """The explorer's controls, moving in the HTML page (book.widgets.explorer.static_view)."""
    nb = _cells(chapter)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    i = next(k for k, c in enumerate(code) if _is_live(c, EXPLORERS[chapter][1]))
    view = code[i + 1]
    assert re.search(r"static_view\(\s*explorer,", "".join(view["source"]))
    # plumbing, hidden but not removed; for the web page only (the PDF has the figure)
    assert view["metadata"].get("tags") == ["hide-input", "html-only"]
    html = [o["data"]["text/html"] for o in view["outputs"] if "text/html" in o.get("data", {})]
    assert len(html) == 1 and 'class="static-explorer"' in "".join(html[0])


@pytest.mark.parametrize("chapter", list(EXPLORERS))
def test_the_static_figure_follows_with_alt_text_caption_and_numbers(chapter):
    nb = _cells(chapter)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    i = next(k for k, c in enumerate(code) if _is_live(c, EXPLORERS[chapter][1]))
    figure, numbers = code[i + 2], code[i + 3]
    assert "explorer.draw(" in "".join(figure["source"])
    meta = figure["metadata"]["mystnb"]
    assert len(meta["image"]["alt"]) > 80 and meta["figure"]["caption"] and meta["figure"]["name"]
    assert any("image/png" in o.get("data", {}) for o in figure["outputs"])
    assert "".join(numbers["source"]).strip() == "print(explorer.describe())"
    assert numbers["outputs"] and numbers["outputs"][0]["output_type"] == "stream"


@pytest.mark.parametrize("chapter", list(EXPLORERS))
def test_the_chapter_says_what_to_try_and_how_to_run_it_live(chapter):
    module, _ = EXPLORERS[chapter]
    nb = _cells(chapter)
    text = _words(
        "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    )
    assert "Try this. " + _words(module.TRY_THIS) in text
    assert _words(LIVE_HINT) in text


@pytest.mark.parametrize("chapter", list(EXPLORERS))
def test_the_stored_notebook_has_no_widget_state(chapter):
    # the build re-executes every chapter; stored state would only add random ids and PNGs
    assert "widgets" not in _cells(chapter)["metadata"]


#: chapter -> what a frame of its static view must show for its "try this" to work in the
#: page (the other explorers' try-this moves are plainly on their grids)
TRY_THIS_IN_THE_PAGE = {
    # "Move the threshold z down until the small dips at sessions 4 and 11 alert too"
    "ruptures": r"Reliable drop \(z = [\d.]+, .*alerts, at sessions 4, 6, 11\.",
    # "Raise the within SD from 0.3 to 0.6 ... the ICC falls below one half"
    "simulated_study": r"^ICC from the parameters 0\.4\d ",
}


@pytest.mark.parametrize("chapter", list(TRY_THIS_IN_THE_PAGE))
def test_the_static_view_lets_the_reader_do_what_it_suggests(chapter):
    nb = _cells(chapter)
    html = next(
        "".join(o["data"]["text/html"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "static_view(" in "".join(c["source"])
        for o in c["outputs"]
        if "text/html" in o.get("data", {})
    )
    spec = json.loads(
        re.search(r'class="static-explorer-data">(.*?)</script>', html, re.S)
        .group(1)
        .replace("<\\/", "</")
    )
    texts = [frame["text"] for frame in spec["frames"]]
    assert any(re.search(TRY_THIS_IN_THE_PAGE[chapter], t, re.M) for t in texts)
