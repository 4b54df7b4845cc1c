"""Interactive explorers for the chapters (ipywidgets 8 and matplotlib).

The explorers, one module and one ``<idea>_explorer()`` function each (the
chapter each lives in):

- :mod:`book.widgets.study` -- :func:`~book.widgets.study.study_explorer`: trait SD,
  within SD, autoregression, the alliance effect and its moderation in; four patients
  and the ICC out (``chapters/simulated_study``)
- :mod:`book.widgets.between_within` --
  :func:`~book.widgets.between_within.between_within_explorer`: set a between-patient
  and a within-patient slope; see both fitted lines and the pooled one
  (``chapters/trait_state``)
- :mod:`book.widgets.nickell` -- :func:`~book.widgets.nickell.nickell_explorer`:
  sessions, autoregression and patients in; the within estimate against the truth
  and Nickell's formula (``chapters/lagged_models``)
- :mod:`book.widgets.moderation` -- :func:`~book.widgets.moderation.moderation_explorer`:
  a patient's IIP in; that patient's alliance effect and its confidence band out,
  from a model fitted once (``chapters/moderation``)
- :mod:`book.widgets.design` -- :func:`~book.widgets.design.design_explorer`: patients
  and sessions in; the power to detect the within-patient effect and its moderation,
  with Monte Carlo errors, from a grid simulated once (``chapters/study_design``)
- :mod:`book.widgets.session_monitor` --
  :func:`~book.widgets.session_monitor.session_monitor_explorer`: type or upload a
  patient's session scores, pick a rupture rule, see the alerts (``chapters/ruptures``)
- :mod:`book.widgets.explorer` -- what the explorers share: the ``Explorer`` base
  class (controls, status line, a figure redrawn in place and blitted) and
  ``static_view`` (the explorer in a page without a kernel)

Conventions every explorer follows, so that it works live (JupyterLab,
Binder), in the tests (no browser) and in the static HTML book (no kernel):

1. **One module per explorer, one class.** The constructor builds the controls
   and the layout in ``.widget`` and draws once.
2. **``update()`` is a plain method.** It reads the controls, recomputes,
   keeps the results as attributes (what tests check) and redraws. Control
   observers only call it, so a test drives an explorer by setting a
   control's ``.value`` and reading the attributes; no frontend is needed.
   An update must feel live: a median of at most 150 ms and a 95th percentile
   of at most 300 ms (``benchmarks/widget_latency.py``). So no model refits on
   the update path (closed-form or vectorised estimators, checked against the
   full fit in the tests), artists changed in place, one PNG per update, and
   sliders that recompute when released (``continuous_update=False``).
3. **``draw(ax)`` draws the current view** on a matplotlib ``Axes``. The live
   widget shows it as a PNG (:func:`figure_png`); a chapter calls it in its own
   cell to give the HTML book a static figure with alt text and a caption.
4. **Input errors become a message** (``.message``, shown in the widget),
   never a traceback.
5. **In a chapter** the cell that displays the live widget is tagged
   ``remove-output`` (without a kernel its controls would be dead). It needs no
   ``NBVAL_IGNORE_OUTPUT``, and must not have one: nbval compares the widget's
   text form (its heading and "try this" sentence) and skips only the widget
   view, whose model id is random. The next cell, tagged ``hide-input`` and
   ``html-only`` (left out of the PDF), shows the explorer's **static view** for
   the HTML book: :func:`book.widgets.explorer.static_view` runs the explorer on a
   grid of control values and keeps its own figure and ``describe()`` at each,
   and the page's controls switch between them without a kernel. Then a cell
   draws the view at the default values as a static figure (with alt text and a
   caption; it is what the PDF shows) and one prints its numbers, and the text
   tells the reader how to run it live
   (:data:`LIVE_HINT`). With the tag ``explorer`` as well, the browser test runs
   the chapter in JupyterLab and moves the cell's first slider (CONTRIBUTING.md
   says which explorers carry it). The explorer's one-sentence
   "try this, notice that" (its module's ``TRY_THIS``) appears in the widget and in
   the chapter's text.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = ["LIVE_HINT", "STATIC_HINT", "QuietUpdates", "figure_png", "new_figure"]

#: What to tell a reader of the static book about running an explorer live.
LIVE_HINT = (
    "In the HTML book the controls move over a grid of settings computed when the book "
    "was built. To set any value, open this chapter in JupyterLab: on Binder with the "
    "launch button at the top of the page, or in a copy of the book's repository with "
    "`make lab`."
)

#: The note under an explorer's static view (:func:`book.widgets.explorer.static_view`).
STATIC_HINT = (
    "Computed when the book was built, for the settings the controls offer; "
    "the live explorer in JupyterLab takes any value."
)


class QuietUpdates:
    """Redraw when a control changes, except while the widget sets controls itself.

    A widget that sets several controls at once (a preset, a new data file)
    would otherwise redraw once per control. Subclasses define ``update()``
    and observe their controls with ``_changed``.

    Examples
    --------
    >>> class Counter(QuietUpdates):
    ...     n = 0
    ...     def update(self):
    ...         self.n += 1
    >>> c = Counter()
    >>> c._changed()
    >>> with c._quiet():
    ...     c._changed()
    >>> c.n
    1
    """

    _busy = False

    def update(self) -> None:  # pragma: no cover - always overridden
        raise NotImplementedError

    def _changed(self, change=None) -> None:
        if not self._busy:
            self.update()

    @contextlib.contextmanager
    def _quiet(self):
        """A context in which control changes do not trigger update()."""
        self._busy = True
        try:
            yield
        finally:
            self._busy = False


def new_figure(width: float = 7.0, height: float = 3.4) -> Figure:
    """A matplotlib figure outside pyplot, so an explorer never leaks figures.

    Examples
    --------
    >>> fig = new_figure()
    >>> fig.get_size_inches().tolist()
    [7.0, 3.4]
    """
    fig = Figure(figsize=(width, height), dpi=96)
    FigureCanvasAgg(fig)
    # fixed margins: a layout engine would double the drawing time of every update
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.9)
    return fig


def figure_png(fig: Figure, *, drawn: bool = False) -> bytes:
    """The figure as PNG bytes, for an ``ipywidgets.Image``.

    With ``drawn=True`` the canvas is encoded as it was last drawn (an explorer
    that blits draws only what changed, then encodes); otherwise it is drawn first.
    Fast compression: the PNG is shown once, not stored.

    Examples
    --------
    >>> figure_png(new_figure())[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    if not drawn:
        fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
