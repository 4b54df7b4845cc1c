"""The vendored widget manager, offline: a small book built with the book's own Sphinx
settings (`_config.yml`, `_ext/`, `_static/vendor/`) shows an ipywidgets output in
Chromium with every outside host blocked, once, and its `jslink`ed controls respond
without a kernel; a page whose widget output is removed loads no widget script.

The book's chapters show no widget view (their explorers' static views are plain HTML,
tests/browser/test_static_explorers.py), so this small book is what exercises the
widget manager that myst-nb loads for any page that does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from booksite import ROOT, report
from browsertools import Visit, serve

WIDGET_CODE = """\
import ipywidgets as widgets

slider = widgets.IntSlider(value=2, min=0, max=9, description="value")
mirror = widgets.IntText(description="mirror")
widgets.jslink((slider, "value"), (mirror, "value"))
widgets.VBox([slider, mirror])
"""


def _notebook(title: str, tags: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nThe square is $x^2$.\n"),
        nbformat.v4.new_code_cell(WIDGET_CODE, metadata={"tags": tags}),
    ]
    return nb


@pytest.fixture(scope="module")
def widget_book(tmp_path_factory):
    """A two-page book with the book's Sphinx settings, built strictly."""
    source = tmp_path_factory.mktemp("widget-book")
    shutil.copytree(ROOT / "_ext", source / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "_static", source / "_static")
    sphinx = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    sphinx["config"].pop("bibtex_reference_style")  # this book has no bibliography
    config = {
        "title": "Widgets offline",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "force", "raise_on_error": True},
        "sphinx": sphinx,
    }
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    toc = {"format": "jb-book", "root": "shown", "chapters": [{"file": "hidden"}]}
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    nbformat.write(_notebook("Shown", []), source / "shown.ipynb")
    nbformat.write(_notebook("Hidden", ["remove-output"]), source / "hidden.ipynb")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    run = subprocess.run(
        [str(jupyter_book), "build", str(source), "-n", "-W", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with serve(source / "_build" / "html") as url:
        yield url


def test_a_widget_shows_once_and_its_jslinked_controls_respond(browser, widget_book, screenshots):
    blocked_before = len(browser.blocked)
    visit = Visit(browser, f"{widget_book}shown.html")
    page = visit.page
    slider = page.locator(".jupyter-widgets.widget-slider")
    slider.first.wait_for(state="visible", timeout=20_000)
    assert slider.count() == 1, f"{slider.count()} sliders: the widget is shown more than once"
    mirror = page.locator(".widget-text input").first
    assert mirror.input_value() == "2"
    handle = page.locator(".jupyter-widgets.widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.widget-text input').value === '5'", timeout=5_000
    )
    # the math rendered as math, from the vendored MathJax
    page.wait_for_selector("mjx-container", timeout=20_000)
    assert "$x^2$" not in page.locator("article").inner_text()
    page.locator(".cell_output").first.screenshot(path=screenshots / "offline-widget.png")
    assert not visit.problems(), visit.problems()
    assert browser.blocked[blocked_before:] == []
    page.close()


def test_a_page_whose_widget_is_removed_loads_no_widget_script(browser, widget_book):
    requests: list[str] = []
    visit = Visit(browser, f"{widget_book}hidden.html")
    visit.page.on("request", lambda request: requests.append(request.url))
    visit.page.reload(wait_until="load")
    assert visit.page.locator(".jupyter-widgets").count() == 0
    loaded = " ".join(requests)
    assert "embed-amd.js" not in loaded and "require.js" not in loaded.replace("tex/", "")
    assert "vendor/mathjax/tex-chtml.js" in loaded
    assert not visit.problems(), visit.problems()
    report("browser pages", f"widget book: {len(requests)} requests on the page without widgets")
    visit.page.close()
