"""The explorers in the published pages, in Chromium with every outside host blocked.

Each chapter's static view (book.widgets.explorer.static_view) shows once; moving each
of its controls changes what is shown; and at three settings or more, reached by moving
the controls as a reader would, the numbers shown are what the Python explorer, made as
the chapter makes it, computes for the same values, and the figure is the one it draws.
No request leaves the machine and no script fails.
"""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib
import numpy as np
import pytest
from booksite import ROOT, report, toc_notebooks
from browsertools import Visit
from PIL import Image

from book.plots import set_style
from book.widgets.explorer import _apply, _describe, _palette_png


def _static_view_pages() -> list[str]:
    found = []
    for notebook in toc_notebooks():
        cells = json.loads(notebook.read_text())["cells"]
        if any("static_view(" in "".join(c["source"]) for c in cells if c["cell_type"] == "code"):
            found.append(notebook.relative_to(ROOT).with_suffix("").as_posix())
    return found


PAGES = _static_view_pages()

#: How each chapter makes its explorer (its live cell), for the Python side of the check.
FACTORIES = {
    "chapters/simulated_study": ("book.widgets.study", "study_explorer"),
    "chapters/trait_state": ("book.widgets.between_within", "between_within_explorer"),
    "chapters/lagged_models": ("book.widgets.nickell", "nickell_explorer"),
    "chapters/moderation": ("book.widgets.moderation", "moderation_explorer"),
    "chapters/study_design": ("book.widgets.design", "design_explorer"),
    "chapters/ruptures": ("book.widgets.session_monitor", "session_monitor_explorer"),
}


def test_every_explorer_chapter_has_a_static_view_and_a_factory_here():
    assert sorted(PAGES) == sorted(FACTORIES)


def _python_explorer(docname):
    import importlib

    module, function = FACTORIES[docname]
    live = [
        "".join(c["source"])
        for c in json.loads((ROOT / f"{docname}.ipynb").read_text())["cells"]
        if c["cell_type"] == "code" and f"{function}(" in "".join(c["source"])
    ]
    # the chapter makes it with the defaults (the moderation chapter passes the default
    # fit, fit_lagged_model(load_study(), detrend=True), and its study)
    assert live and re.search(rf"{function}\((fit, study=study)?\)", live[0]), live[0]
    return getattr(importlib.import_module(module), function)()


def _calls_set_style(docname) -> bool:
    cells = json.loads((ROOT / f"{docname}.ipynb").read_text())["cells"]
    return any("set_style()" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


class View:
    """One static view on the page: its data, and what it shows now."""

    def __init__(self, page, root):
        self.page, self.root = page, root
        self.spec = json.loads(root.locator("script.static-explorer-data").text_content())

    def setting(self) -> dict:
        frame = self.spec["frames"][int(self.root.get_attribute("data-frame"))]
        return {
            c["name"]: c["values"][i]
            for c, i in zip(self.spec["controls"], frame["setting"], strict=True)
        }

    def shown(self) -> tuple[str, str]:
        text = self.root.locator(".static-explorer-status").text_content()
        src = self.root.locator("img.static-explorer-figure").get_attribute("src")
        return text, src

    def control(self, c):
        return self.root.locator(f'[data-control="{c}"]')

    def move(self, c, key: str) -> None:
        """Move control c as a reader would: a key on a slider, a choice in a drop-down."""
        control = self.control(c)
        if self.spec["controls"][c]["kind"] == "range":
            control.focus()
            control.press(key)
        else:
            options = control.locator("option").count()
            index = {"End": options - 1, "Home": 0}.get(key)
            if index is None:
                index = (int(control.input_value()) + 1) % options
            control.select_option(index=index)


def _pixels(src: str) -> np.ndarray:
    png = base64.b64decode(src.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("docname", PAGES)
def test_the_static_explorer_responds_and_matches_python(
    browser, book_url, screenshots, docname, timed
):
    blocked_before = len(browser.blocked)
    visit = Visit(browser, f"{book_url}{docname}.html")
    page = visit.page
    roots = page.locator(".static-explorer")
    assert roots.count() == 1, f"{roots.count()} static views: one explorer, shown once"
    root = roots.first
    root.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('.static-explorer').dataset.ready === '1'", timeout=10_000
    )
    view = View(page, root)
    n = len(view.spec["controls"])
    start = view.shown()

    # moving each control alone changes what is shown
    for c in range(n):
        page.reload(wait_until="load")
        view = View(page, page.locator(".static-explorer").first)
        view.move(c, "ArrowRight")
        if view.shown() == start:  # at its maximum already: the other way
            view.move(c, "ArrowLeft")
            view.move(c, "ArrowLeft")
        assert view.shown() != start, f"moving control {c} changed nothing"

    # at three settings or more, the page shows what the Python explorer computes
    page.reload(wait_until="load")
    view = View(page, page.locator(".static-explorer").first)
    checked = []
    moves = [None, (0, "End"), (n - 1, "Home"), (0, "ArrowLeft")]
    # the chapter's matplotlib style (set_style(), as every chapter does) shapes its figures
    with matplotlib.rc_context():
        if _calls_set_style(docname):
            set_style()
        explorer = _python_explorer(docname)
        for move in moves:
            if move is not None:
                view.move(*move)
            setting = view.setting()
            if setting in checked:
                continue
            text, src = view.shown()
            _apply(explorer, setting)
            assert text == _describe(explorer), setting
            expected = np.asarray(
                Image.open(io.BytesIO(_palette_png(explorer.image.value))).convert("RGB")
            )
            assert np.array_equal(_pixels(src), expected), f"the figure differs at {setting}"
            checked.append(setting)
    assert len(checked) >= 3, checked

    root = page.locator(".static-explorer").first
    root.screenshot(path=screenshots / f"{docname.replace('/', '--')}--static-explorer.png")
    assert not visit.problems(), visit.problems()
    assert browser.blocked[blocked_before:] == [], browser.blocked[blocked_before:]
    html_bytes = (ROOT / "_build" / "html" / f"{docname}.html").stat().st_size
    report(
        "static explorers",
        f"{docname}: {len(view.spec['frames'])} settings, "
        f"{len(view.spec['images'])} figures, page {html_bytes / 1e6:.2f} MB; "
        f"{len(checked)} settings matched Python",
    )
    page.close()
