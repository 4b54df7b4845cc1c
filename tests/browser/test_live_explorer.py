"""Live notebooks: JupyterLab from the book's environment, a notebook run in it up to
its explorer, a slider moved, and the output it drives must change (the reader's path
on Binder).

The cases come from `lab.explorer_cases()`: the fixture notebook beside this file,
and every cell tagged `explorer` in a notebook listed in `_toc.yml`.
"""

from __future__ import annotations

import shutil
import time

import pytest
from booksite import ROOT, report
from lab import (
    JupyterLab,
    explorer_cases,
    file_digest,
    move_slider,
    open_and_run_through,
    output_state,
    wait_for_changed_output,
)

CASES = explorer_cases()


@pytest.fixture(scope="module")
def lab():
    start = time.perf_counter()
    server = JupyterLab()
    report("browser timings", f"JupyterLab answered in {time.perf_counter() - start:.1f} s")
    yield server
    server.stop()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.slug}-cell{c.cell}" for c in CASES])
def test_moving_the_slider_changes_the_output(browser, lab, screenshots, case, timed):
    notebook = ROOT / case.notebook
    digest = file_digest(notebook)
    checkpoints = notebook.parent / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    blocked_before = len(browser.blocked)
    page = browser.context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    start = time.perf_counter()
    open_and_run_through(page, lab, case.notebook, case.cell)
    ran = time.perf_counter() - start

    cell = page.locator(".jp-Notebook .jp-Cell").nth(case.cell)
    cell.locator(f"{case.control} .noUi-handle").first.wait_for(timeout=30_000)
    # the first output must be there, its figures loaded, before the slider moves
    page.wait_for_function(
        """c => {
            const outputs = '.jp-OutputArea-output pre, .jp-OutputArea-output img';
            const out = [...c.querySelectorAll(outputs)];
            return out.length > 0
                && out.every(o => o.tagName !== 'IMG' || (o.complete && o.naturalWidth > 0));
        }""",
        arg=cell.element_handle(),
        timeout=30_000,
    )
    before = output_state(cell)
    readout_before = move_slider(page, cell, case)

    readout_after = cell.locator(f"{case.control} .widget-readout").first.inner_text()
    assert readout_after != readout_before, "the slider did not move"

    expect_text = None
    if case.notebook == "tests/browser/fixture_explorer.ipynb":
        # the fixture prints its slider's value: the output must follow the slider to
        # where it stopped (each key press runs the callback once, in order)
        assert abs(int(readout_after) - int(readout_before)) == case.presses
        expect_text = f"sessions: {int(readout_after)};"
    after = wait_for_changed_output(cell, before, case.must_change, expect_text)
    assert after != before

    page.wait_for_timeout(300)  # let the new figure paint before the screenshot
    cell.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"jupyterlab--{case.slug}.png")
    assert not errors, errors
    assert file_digest(notebook) == digest, f"{case.notebook} was written to by JupyterLab"
    if not had_checkpoints:  # JupyterLab made it on opening; leave the tree as it was
        shutil.rmtree(checkpoints, ignore_errors=True)
    report(
        "browser live explorers",
        f"{case.notebook} cell {case.cell}: slider {readout_before} -> {readout_after}; "
        f"{case.must_change} changed; opened and ran to the explorer in {ran:.1f} s; "
        f"{len(browser.blocked) - blocked_before} outside "
        "requests blocked",
    )
    page.close()
