"""The explorers' static views (book.widgets.explorer.static_view): each setting's figure
and numbers are the explorer's own, the explorer is left as it was, the page stays
within its budget, and bad grids are refused. The views in the built pages are driven
in Chromium by tests/browser/test_static_explorers.py."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from PIL import Image

from book.widgets import STATIC_HINT
from book.widgets.between_within import between_within_explorer
from book.widgets.explorer import FRAME_COLOURS, PAGE_BUDGET, static_view
from book.widgets.session_monitor import session_monitor_explorer


def _spec(view) -> dict:
    html = view._repr_mimebundle_()["text/html"]
    data = re.search(r'class="static-explorer-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(data.replace("<\\/", "</"))


@pytest.fixture(scope="module")
def view_and_explorer():
    explorer = between_within_explorer()
    view = static_view(explorer, {"between": [-8.0, 0.0, 8.0], "within": [-2.0, 4.0]})
    return view, explorer


def test_each_setting_shows_what_the_explorer_computes_for_it(view_and_explorer):
    view, _ = view_and_explorer
    fresh = between_within_explorer()
    for setting, text in zip(view.settings, view.texts, strict=True):
        fresh.set(**setting)
        assert text == fresh.describe(width=10_000)  # unwrapped: the page wraps it
    spec = _spec(view)
    # 4 x 2: the start (-4, 4) adds -4 to the between values; 4 is among the within ones
    assert len(spec["frames"]) == len(view.settings) == 8
    # the figures are the explorer's live PNG, reduced to a palette of FRAME_COLOURS
    for uri in spec["images"]:
        image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert image.mode == "P" and len(image.getcolors()) <= FRAME_COLOURS
        assert image.size == (int(fresh.figsize[0] * 96), int(fresh.figsize[1] * 96))


def test_the_view_starts_at_the_explorer_setting_and_leaves_it_there(view_and_explorer):
    view, explorer = view_and_explorer
    assert view.settings[0] == {"between": -4.0, "within": 4.0}  # added to the grid
    assert explorer.controls["between"].value == -4.0
    assert view.texts[0] == explorer.describe(width=10_000)
    spec = _spec(view)
    assert spec["start"] == 0
    between = spec["controls"][0]
    assert between["labels"] == ["-8.00", "-4.00", "0.00", "8.00"]  # sorted, start included


def test_the_html_has_labelled_controls_a_live_status_and_alt_text(view_and_explorer):
    view, _ = view_and_explorer
    bundle = view._repr_mimebundle_()
    html = bundle["text/html"]
    for c in range(2):
        ident = re.search(rf'<input type="range" id="([^"]+)" data-control="{c}"', html).group(1)
        assert f'<label for="{ident}">' in html
    assert 'aria-live="polite"' in html
    assert re.search(
        r'<img class="static-explorer-figure" src="data:image/png;base64,[^"]+" '
        r'alt="Between versus within, with between',
        html,
    )
    assert STATIC_HINT in html
    assert bundle["text/plain"].startswith("Between versus within: 8 settings")
    assert set(bundle) == {"text/html", "text/plain"}


def test_dependent_settings_keep_each_rule_with_its_own_thresholds():
    monitor = session_monitor_explorer()
    settings = [{"rule": "own-mean", "threshold": k} for k in (0.5, 1.0, 2.0)]
    settings += [{"rule": "reliable-drop", "threshold": z} for z in (1.0, 3.0)]
    view = static_view(monitor, settings=settings)
    assert view.settings[0] == {"rule": "reliable-drop", "threshold": 1.96}  # the start
    assert len(view.settings) == 6
    assert "k = 2" in view.texts[3] or "2.0" in view.texts[3]
    spec = _spec(view)
    assert spec["controls"][0]["kind"] == "select"
    assert spec["controls"][0]["labels"][0].startswith("Drop larger")
    assert monitor.rule.value == "reliable-drop" and monitor.threshold.value == 1.96


def test_bad_grids_are_refused_with_a_clear_message():
    explorer = between_within_explorer()
    with pytest.raises(ValueError, match="either grid"):
        static_view(explorer)
    with pytest.raises(ValueError, match=r"no control\(s\) \['slope'\]"):
        static_view(explorer, {"slope": [1.0]})
    with pytest.raises(ValueError, match="same controls"):
        static_view(explorer, settings=[{"between": 1.0}, {"within": 1.0}])
    with pytest.raises(ValueError, match="over the budget"):
        static_view(explorer, {"between": [0.0, 8.0]}, budget=10_000)
    assert PAGE_BUDGET == 3_000_000
