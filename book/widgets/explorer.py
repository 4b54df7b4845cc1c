"""What every chapter explorer shares: controls, a status line and one figure shown as a PNG.

An explorer subclasses :class:`Explorer` and supplies four methods:

- ``_controls()`` builds the controls (ipywidgets sliders) and returns them in
  display order;
- ``_compute()`` reads the controls, recomputes, and keeps the results as
  attributes; a ``ValueError`` it raises becomes :attr:`Explorer.message`;
- ``_create_artists(axes)`` draws empty artists (lines, points, bars, texts)
  on the explorer's axes and returns them;
- ``_set_artists(artists)`` puts the current results into those artists.

The live figure is built once: an update changes its artists in place
(``set_data``, ``set_offsets``, ...) and renders one PNG. Rendering is blitted:
axes, ticks, labels and legends are drawn once and kept as a background, and an
update draws only the artists that ``_create_artists`` returned on top of it
(the whole figure is drawn again only when an axis range changes). Drawing the
text of a three-panel figure takes about 130 ms on a 2-core machine; restoring
the background and drawing the data takes a few. :meth:`Explorer.draw` runs the
same two drawing methods on axes the caller provides, which is how a chapter
shows the view at the default values as an ordinary figure with alt text and a
caption.
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import io
import itertools
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from PIL import Image

from book.widgets import STATIC_HINT, QuietUpdates, figure_png, new_figure

__all__ = ["PAGE_BUDGET", "Explorer", "StaticView", "slider", "static_view"]

#: Fixed margins of the live figure (a layout engine would slow every update).
_MARGINS = {"left": 0.08, "right": 0.98, "bottom": 0.16, "top": 0.88, "wspace": 0.32}


def slider(description, value, minimum, maximum, step, *, integer=False, readout_format=".2f"):
    """A slider that recomputes when released (``continuous_update=False``).

    Examples
    --------
    >>> s = slider("sessions", 12, 3, 30, 1, integer=True)
    >>> s.value, s.min, s.max, s.continuous_update
    (12, 3, 30, False)
    >>> s.value = 99          # out of range: a slider clips to its bounds
    >>> s.value
    30
    """
    common = {
        "value": value,
        "min": minimum,
        "max": maximum,
        "step": step,
        "description": description,
        "continuous_update": False,
        "style": {"description_width": "initial"},
        "layout": widgets.Layout(width="420px"),
    }
    if integer:
        return widgets.IntSlider(**common)
    return widgets.FloatSlider(readout_format=readout_format, **common)


class Explorer(QuietUpdates):
    """Base class of the chapter explorers (see the module docstring).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The header (title and what to try), the controls, the status line and
        the figure; display it, or the explorer itself, in a notebook.
    controls : dict
        The controls by name.
    message : str
        Why the last update could not be computed, or ``""``. The view then
        keeps the last setting that could.
    figure : matplotlib.figure.Figure
        The live figure, redrawn in place at every update.
    updates : int
        How many updates have run.
    """

    #: Shown in bold at the top of the widget.
    title = ""
    #: One sentence: what to try, and what to notice.
    try_this = ""
    #: Size of the live figure in inches, and how many panels it has.
    figsize = (7.0, 3.4)
    n_panels = 1
    #: Changes to the live figure's margins (``subplots_adjust`` arguments).
    margins: dict = {}

    def __init__(self):
        self.message = ""
        self.updates = 0
        # the book's theme (book.plots.set_style), without changing the reader's settings
        with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
            self.figure = new_figure(*self.figsize)
            self.figure.subplots_adjust(**{**_MARGINS, **self.margins})
            axes = self.figure.subplots(1, self.n_panels, squeeze=False)[0]
            self._live = self._create_artists(axes if self.n_panels > 1 else axes[0])
        self._animated = _artists_in(self._live)
        for artist in self._animated:
            artist.set_animated(True)  # left out of full draws: drawn on the background
        self._background = None
        self._limits = None
        self.controls = dict(self._controls())
        self.status = widgets.HTML()
        width = int(self.figsize[0] * 96)
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(width="100%", max_width=f"{width}px")
        )
        title = self.title if self.title.endswith(("?", "!", ".")) else f"{self.title}."
        header = widgets.HTML(f"<b>{html.escape(title)}</b> {html.escape(self.try_this)}")
        self.widget = widgets.VBox([header, *self.controls.values(), self.status, self.image])
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        self.update()

    # -- to be supplied by each explorer ----------------------------------------------
    def _controls(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _compute(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _create_artists(self, axes):  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_artists(self, artists) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _status(self) -> str:
        """The numbers the reader should read, as one or two lines of plain text."""
        return ""

    # -- the plain methods tests drive --------------------------------------------------
    def update(self) -> None:
        """Read the controls, recompute, redraw the live figure (one PNG)."""
        try:
            self._compute()
            self.message = ""
        except ValueError as err:
            self.message = str(err)
        self.updates += 1
        self._set_artists(self._live)
        self.status.value = self._status_html()
        self.image.value = self._render()

    def _render(self) -> bytes:
        """The live figure as PNG bytes: the background, then the data artists on it."""
        canvas = self.figure.canvas
        limits = [(ax.get_xlim(), ax.get_ylim()) for ax in self.figure.axes]
        if self._background is None or limits != self._limits:
            canvas.draw()  # everything but the data artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._limits = limits
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return figure_png(self.figure, drawn=True)

    def draw(self, axes) -> None:
        """Draw the current view on matplotlib axes (one ``Axes``, or one per panel).

        This is the static figure of a chapter: the same view as the live
        widget, at whatever the controls are set to.
        """
        found = np.atleast_1d(axes).ravel()
        if len(found) != self.n_panels:
            raise ValueError(
                f"{type(self).__name__} draws {self.n_panels} panel(s); got {len(found)} axes"
            )
        self._set_artists(self._create_artists(axes if self.n_panels > 1 else found[0]))

    def describe(self, width: int = 88) -> str:
        """The numbers the widget prints beside its figure, as plain text wrapped at ``width``.

        A chapter prints it under the static figure, so that a reader without a
        kernel sees the same numbers as one with the live widget.
        """
        lines = [self._status(), *([f"Note: {self.message}"] if self.message else [])]
        return "\n".join(textwrap.fill(part, width) for line in lines for part in line.splitlines())

    def set(self, **values) -> None:
        """Set several controls at once, then update once.

        Examples
        --------
        ``explorer.set(sessions=6, rho=0.5)`` is what moving two sliders does,
        with one redraw instead of two.
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"no control(s) {unknown}; the controls are {list(self.controls)}")
        with self._quiet():
            for name, value in values.items():
                self.controls[name].value = value
        self.update()

    # -- plumbing ----------------------------------------------------------------------------
    def _status_html(self) -> str:
        lines = [html.escape(line) for line in self._status().splitlines()]
        if self.message:
            lines.append(
                "<span style='color:#D55E00'>&#9888; "
                f"{html.escape(self.message)} (the view shows the last setting that worked)</span>"
            )
        return "<br>".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _artists_in(tree) -> list[Artist]:
    """Every matplotlib artist (not an Axes) in a nest of dicts, lists and tuples."""
    if isinstance(tree, Artist) and not isinstance(tree, Axes):
        return [tree]
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, (list, tuple)):
        return [a for item in tree for a in _artists_in(item)]
    return []


# -- the explorer in a page without a kernel ------------------------------------------------

#: The most an explorer's static view may weigh, in bytes of HTML (its figures included).
PAGE_BUDGET = 3_000_000
#: Colours kept in each figure of a static view (a palette PNG: a third of the bytes).
FRAME_COLOURS = 64
_SCRIPT = Path(__file__).with_name("static_view.js")
_STYLE = Path(__file__).with_name("static_view.css")


@dataclass(frozen=True)
class _Control:
    name: str
    label: str
    kind: str  # "range" (a slider over the values) or "select" (a drop-down)
    values: tuple
    labels: tuple[str, ...]


class StaticView:
    """An explorer's views on a grid of control values, switched in the browser without Python.

    Made by :func:`static_view`; display it in a notebook. The HTML holds one
    figure and one status text per setting, each made by the explorer itself
    (``update()`` then its live PNG and ``describe()``), and a small script
    (``book/widgets/static_view.js``) that shows the one the controls select.

    Attributes
    ----------
    controls : list
        The controls shown (name, label, kind, values, labels).
    settings : list of dict
        Every setting computed, the explorer's starting setting first.
    texts : list of str
        ``describe()`` at each setting.
    nbytes : int
        Size of the HTML, figures included.
    """

    def __init__(self, title, try_this, controls, settings, images, frames, hint):
        self.title, self.try_this, self.hint = title, try_this, hint
        self.controls, self.settings = controls, settings
        self._images, self._frames = images, frames
        self.texts = [frame["text"] for frame in frames]
        self._html = self._render()
        self.nbytes = len(self._html.encode())

    def _render(self) -> str:
        spec = {
            "controls": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "labels": list(c.labels),
                    "values": [v.item() if hasattr(v, "item") else v for v in c.values],
                }
                for c in self.controls
            ],
            "frames": self._frames,
            "images": self._images,
            "start": 0,
        }
        data = json.dumps(spec, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
        key = hashlib.sha256(data.encode()).hexdigest()[:10]
        rows = []
        for c, control in enumerate(self.controls):
            ident = f"sx-{key}-{c}"
            label = f'<label for="{ident}">{html.escape(control.label)}</label>'
            if control.kind == "range":
                field = (
                    f'<input type="range" id="{ident}" data-control="{c}" min="0" '
                    f'max="{len(control.values) - 1}" step="1" value="0">'
                    f'<output for="{ident}" data-readout="{c}"></output>'
                )
            else:
                options = "".join(
                    f'<option value="{i}">{html.escape(text)}</option>'
                    for i, text in enumerate(control.labels)
                )
                field = f'<select id="{ident}" data-control="{c}">{options}</select>'
            rows.append(f'<div class="static-explorer-control">{label}{field}</div>')
        title = self.title if self.title.endswith(("?", "!", ".")) else f"{self.title}."
        first = self._frames[0]
        return (
            f'<div class="static-explorer" id="sx-{key}">'
            f"<style>{_STYLE.read_text()}</style>"
            f'<p class="static-explorer-header"><b>{html.escape(title)}</b> '
            f"<i>Try this.</i> {html.escape(self.try_this)}</p>"
            f"{''.join(rows)}"
            f'<p class="static-explorer-status" aria-live="polite">{html.escape(first["text"])}</p>'
            f'<img class="static-explorer-figure" src="{self._images[first["image"]]}" '
            f'alt="{html.escape(first["alt"])}">'
            f'<p class="static-explorer-note">{html.escape(self.hint)}</p>'
            f'<script type="application/json" class="static-explorer-data">{data}</script>'
            f"<script>{_SCRIPT.read_text()}</script>"
            "</div>"
        )

    def __repr__(self) -> str:
        grid = " x ".join(f"{c.name} ({len(c.values)})" for c in self.controls)
        return f"{self.title}: {len(self.settings)} settings of {grid}"

    def _repr_mimebundle_(self, **kwargs):
        # HTML for the book's pages and JupyterLab; a chapter tags the cell html-only,
        # and the PDF shows the chapter's static figure instead (_ext/pdf_edition.py)
        return {"text/html": self._html, "text/plain": repr(self)}


def static_view(explorer, grid=None, *, settings=None, hint=STATIC_HINT, budget=PAGE_BUDGET):
    """The explorer's views on a grid of control values, for a page without a kernel.

    For every setting, the explorer's controls are set and ``update()`` runs, as when
    a reader moves them; the live PNG and ``describe()`` are kept. Afterwards the
    controls are set back to where they were. In the browser, the controls move
    over the grid and the view switches with them; the two cannot disagree with the
    live explorer, because they are its own output.

    Parameters
    ----------
    explorer : Explorer or SessionMonitor
        Anything with ``controls`` (name to ipywidgets control), ``update()``,
        ``describe()``, ``image`` (the live PNG) and ``_quiet()``.
    grid : dict, optional
        Values of each control to compute, every combination (a product grid).
        The control's current value is added to its values if missing.
    settings : list of dict, optional
        Instead of ``grid``: the settings to compute, one dict per setting (for
        controls whose values depend on another, such as a threshold per rule).
        The current setting is added first if missing.
    hint : str
        The note under the view (how to run the explorer live).
    budget : int, default PAGE_BUDGET
        The most the view may weigh, in bytes.

    Returns
    -------
    StaticView

    Examples
    --------
    >>> from book.widgets.between_within import between_within_explorer
    >>> explorer = between_within_explorer()
    >>> view = static_view(explorer, {"between": [-4, 0, 4], "within": [-4, 4]})
    >>> view
    Between versus within: 6 settings of between (3) x within (2)
    >>> view.texts[0] == explorer.describe(width=10_000)   # the explorer is back where it was
    True
    """
    if (grid is None) == (settings is None):
        raise ValueError("give either grid (values per control) or settings (a list), not both")
    controls = dict(explorer.controls)
    if grid is not None and (not isinstance(grid, dict) or not grid):
        raise ValueError("grid must map control names to lists of values")
    if settings is not None and (not settings or not all(isinstance(s, dict) for s in settings)):
        raise ValueError("settings must be a non-empty list of dicts")
    start = {name: controls[name].value for name in _known(grid or settings[0], controls)}
    if grid is not None:
        values = {name: _with(start[name], grid[name]) for name in grid}
        settings = [
            dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())
        ]
        settings.sort(key=lambda s: s != start)  # the starting view first
    else:
        names = list(start)
        if any(list(s) != names for s in settings):
            raise ValueError(f"every setting must set the same controls, {names}, in that order")
        settings = [start] + [s for s in settings if s != start]
    names = list(settings[0])
    described = [
        _describe_control(name, controls[name], [s[name] for s in settings]) for name in names
    ]
    images, frames, seen = [], [], {}
    try:
        for setting in settings:
            _apply(explorer, setting)
            png = _palette_png(explorer.image.value)
            if png not in seen:
                seen[png] = len(images)
                images.append("data:image/png;base64," + base64.b64encode(png).decode())
            index = [c.values.index(setting[c.name]) for c in described]
            shown = ", ".join(
                f"{c.label} {c.labels[i]}" for c, i in zip(described, index, strict=True)
            )
            text = _describe(explorer)
            frames.append(
                {
                    "setting": index,
                    "image": seen[png],
                    "text": text,
                    "alt": f"{explorer.title}, with {shown}. {text}",
                }
            )
    finally:
        _apply(explorer, start)
    view = StaticView(explorer.title, explorer.try_this, described, settings, images, frames, hint)
    if view.nbytes > budget:
        raise ValueError(
            f"the static view weighs {view.nbytes / 1e6:.1f} MB, over the budget of "
            f"{budget / 1e6:.1f} MB: use fewer settings"
        )
    return view


def _known(names, controls):
    unknown = sorted(set(names) - set(controls))
    if unknown:
        raise ValueError(f"no control(s) {unknown}; the controls are {list(controls)}")
    return names


def _with(value, values) -> list:
    values = list(values)
    return values if value in values else sorted([*values, value])


def _describe(explorer) -> str:
    """The explorer's numbers, its lines unwrapped (the page wraps them to its width)."""
    if "width" in inspect.signature(explorer.describe).parameters:
        return explorer.describe(width=10_000)
    return explorer.describe()


def _apply(explorer, setting) -> None:
    """Set the controls as a reader would, then update once."""
    with explorer._quiet():
        for name, value in setting.items():
            explorer.controls[name].value = value
    explorer.update()


def _describe_control(name, widget, used) -> _Control:
    options = getattr(widget, "_options_values", None)
    if options is not None:  # a choice: drop-down, toggle buttons or selection slider
        labels = dict(zip(widget._options_values, widget._options_labels, strict=True))
        values = tuple(v for v in options if v in used)
        kind = "range" if isinstance(widget, widgets.SelectionSlider) else "select"
        return _Control(name, widget.description, kind, values, tuple(labels[v] for v in values))
    values = tuple(sorted(set(used)))
    fmt = getattr(widget, "readout_format", "d")
    return _Control(
        name, widget.description, "range", values, tuple(format(v, fmt) for v in values)
    )


def _palette_png(png: bytes) -> bytes:
    """The figure as a palette PNG of :data:`FRAME_COLOURS` colours (a third of the size)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(
        colors=FRAME_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()
