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

import html
import textwrap

import ipywidgets as widgets
import numpy as np
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from book.widgets import QuietUpdates, figure_png, new_figure

__all__ = ["Explorer", "slider"]

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
