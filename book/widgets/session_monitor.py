"""A session monitor: one patient's alliance scores, a rupture rule and its alerts.

The reader types a patient's scores (one per session) or uploads a CSV file
(read with :func:`book.practice.session_file.read_sessions`), picks a rule from
:mod:`book.practice.ruptures` and its threshold, and sees the trajectory with the
alerts marked and the reason for each. :func:`session_monitor_explorer` makes
one (``chapters/ruptures``).

>>> from book.widgets.session_monitor import session_monitor_explorer
>>> monitor = session_monitor_explorer("4.2 4.3 4.1 3.3 4.0")
>>> monitor.alerts.loc[monitor.alerts["alert"], "session"].tolist()
[4]
>>> print(monitor.describe())
Reliable drop (z = 1.96, drop > 0.53): 5 sessions scored, 1 alert, at session 4.
>>> monitor.rule.value = "cutoff"      # what a click does: update() runs
>>> monitor.alert_sessions
[]
"""

from __future__ import annotations

import html
from dataclasses import replace

import ipywidgets as widgets
import numpy as np
import pandas as pd

from book.practice.ruptures import RULES, detect, plot_alerts
from book.practice.scales import SCALES, get_scale
from book.practice.session_file import SessionFileError, read_sessions, scores_from_text
from book.widgets import QuietUpdates, figure_png, new_figure

__all__ = [
    "DEFAULT_SCORES",
    "MAX_UPLOAD_BYTES",
    "TRY_THIS",
    "SessionMonitor",
    "session_monitor_explorer",
]

#: The largest file the monitor reads (about 600,000 sessions); larger files are
#: read in a notebook with :func:`book.practice.session_file.read_sessions`.
MAX_UPLOAD_BYTES = 10_000_000

#: A made-up patient with a V-shaped rupture at session 6 (patient A of
#: ``data/examples/session_scores.csv``).
DEFAULT_SCORES = "4.17 4.25 4.33 4.25 4.42 3.50 4.00 4.33 4.42 4.50 4.42 4.58"

#: What to try first, and what to notice (shown in the widget and the chapter).
TRY_THIS = (
    "Move the threshold z down until the small dips at sessions 4 and 11 alert too, and "
    "notice how few points a drop then needs to count as reliable."
)

# the threshold slider of each rule: (description, minimum, maximum, step, default)
_SLIDERS = {
    "reliable-drop": lambda scale: ("z", 0.25, 3.5, 0.05, 1.96),
    "own-mean": lambda scale: ("k (SD)", 0.5, 3.0, 0.1, 1.0),
    "cutoff": lambda scale: (
        "cut-off",
        scale.minimum,
        scale.maximum,
        (scale.maximum - scale.minimum) / 80,
        scale.cutoff,
    ),
}
_RULE_TITLES = {
    "reliable-drop": "Reliable drop",
    "own-mean": "Below own mean",
    "cutoff": "Below cut-off",
}
_RULE_LABELS = {
    "reliable-drop": "Drop larger than the reliable change",
    "own-mean": "Below own earlier mean",
    "cutoff": "Below an absolute cut-off",
}


class SessionMonitor(QuietUpdates):
    """An explorer of rupture alerts for one patient's session scores.

    Parameters
    ----------
    scores : str, default DEFAULT_SCORES
        Scores typed in the text box at the start, session 1 first.
    rule : str, default "reliable-drop"
        A key of :data:`book.practice.ruptures.RULES`.
    scale : str, default "wai-sr"
        A key of :data:`book.practice.scales.SCALES`.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The controls and the view; display it (or the monitor) in a notebook.
    data : pandas.DataFrame
        The sessions of the patient shown (``patient_id``, ``session``, ``alliance``).
    alerts : pandas.DataFrame
        The rule's output for those sessions (empty if the rule could not run).
    message : str
        What went wrong with the input or the rule, or ``""``.
    file : SessionFile or None
        The uploaded file as read, with its report.
    figure : matplotlib.figure.Figure
        The figure last drawn in the widget.

    Notes
    -----
    No exception escapes a control's callback: a problem with the input, or
    an unexpected error, becomes :attr:`message` and the view is cleared, so
    it never shows the scores of an earlier input as if they were the new ones.
    """

    #: Heading and "try this" of the explorer's static view (book.widgets.explorer.static_view).
    title = "Session monitor"
    try_this = TRY_THIS

    def __init__(
        self, scores: str = DEFAULT_SCORES, *, rule: str = "reliable-drop", scale="wai-sr"
    ):
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(map(repr, RULES))}")
        scale = get_scale(scale, construct="alliance")
        self.file = None
        self._upload_bytes: bytes | None = None
        self._upload_name = ""
        self._upload_error = ""  # why the upload cannot be read, before any parsing
        self._callback_error = ""  # an unexpected error in a callback, shown by update()
        self._read_key = None  # what the cached self.file was read with
        self._view = None  # the live figure's artists, redrawn in place
        self._view_key = None
        self.data = pd.DataFrame(columns=["patient_id", "session", "alliance"])
        self.alerts = pd.DataFrame()
        self.message = ""
        self.figure = None

        wide = widgets.Layout(width="95%")
        self.source = widgets.ToggleButtons(
            options=[("typed scores", "typed"), ("uploaded file", "file")],
            value="typed",
            description="Read",
        )
        self.text = widgets.Textarea(
            value=scores,
            description="Scores",
            placeholder="one score per session, e.g. 4.2 4.5 3.1 NA 4.0",
            layout=wide,
            continuous_update=False,  # recompute when the reader leaves the box, not per key
        )
        self.upload = widgets.FileUpload(accept=".csv,text/csv", multiple=False, description="CSV")
        self.delimiter = widgets.Dropdown(
            options=[("comma", ","), ("semicolon", ";"), ("tab", "\t")],
            value=",",
            description="Separator",
        )
        self.decimal = widgets.Dropdown(
            options=[("point (4.5)", "."), ("comma (4,5)", ",")],
            value=".",
            description="Decimal",
        )
        self.patient = widgets.Dropdown(options=[], description="Patient")
        self.scale = widgets.Dropdown(
            options=[
                (s.label.split(";")[0] + ")", s.name)
                for s in SCALES.values()
                if s.construct == "alliance"
            ],
            value=scale.name,
            description="Scale",
            layout=wide,
        )
        self.rule = widgets.Dropdown(
            options=[(_RULE_LABELS[name], name) for name in RULES],
            value=rule,
            description="Rule",
            layout=wide,
        )
        self.threshold = widgets.FloatSlider(continuous_update=False, readout_format=".2f")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="700px"))
        self.status = widgets.HTML()
        self.alert_list = widgets.HTML()
        self._set_slider()
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    "<b>Session monitor.</b> Type one alliance score per session (or upload a CSV "
                    "with columns <code>patient_id,session,score</code>), pick a rule, and move "
                    f"the threshold. <i>Try this.</i> {html.escape(TRY_THIS)}"
                ),
                self.source,
                self.text,
                widgets.HBox([self.upload, self.delimiter, self.decimal, self.patient]),
                self.scale,
                self.rule,
                self.threshold,
                self.status,
                self.image,
                self.alert_list,
            ]
        )
        for control in (
            self.source,
            self.text,
            self.delimiter,
            self.decimal,
            self.patient,
            self.threshold,
        ):
            control.observe(self._changed, names="value")
        self.scale.observe(self._rule_or_scale_changed, names="value")
        self.rule.observe(self._rule_or_scale_changed, names="value")
        self.upload.observe(self._uploaded, names="value")
        self.update()

    # -- callbacks: each only prepares, then calls update() --------------------
    def _rule_or_scale_changed(self, change=None):
        try:
            self._set_slider()
        except Exception as err:  # nothing escapes a callback: update() shows it
            self._callback_error = f"unexpected error: {type(err).__name__}: {err}"
        self.update()

    def _uploaded(self, change=None):
        try:
            if not self.upload.value:
                return
            item = self.upload.value[0]
            content, name = item["content"], str(item.get("name", "upload.csv"))
        except Exception as err:  # a malformed upload value: say so, never raise
            self._upload_bytes, self._upload_name = b"", "upload"
            self._upload_error = f"the upload could not be read ({type(err).__name__}: {err})"
            self._switch_to_file()
            return
        self.load_file(content, name=name)

    def load_file(self, content: bytes, name: str = "upload.csv") -> None:
        """Use the CSV ``content`` (bytes) as the data source, as an upload does.

        A file larger than :data:`MAX_UPLOAD_BYTES` is refused with a message.
        """
        self._upload_name = str(name)
        self._upload_error = ""
        size = len(content) if isinstance(content, (bytes, bytearray, memoryview)) else None
        if size is None:
            self._upload_bytes = b""
            self._upload_error = f"expected the file's bytes, got {type(content).__name__}"
        elif size > MAX_UPLOAD_BYTES:
            self._upload_bytes = b""
            self._upload_error = (
                f"the file is {size / 1e6:.1f} MB; the monitor reads files up to "
                f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB. Read a larger file in a notebook with "
                "read_sessions(path) and show one patient at a time"
            )
        else:
            self._upload_bytes = bytes(content)
        self._switch_to_file()

    def _switch_to_file(self) -> None:
        """A new upload replaces everything read from the previous one, then the view updates."""
        self.file, self._read_key = None, None
        with self._quiet():
            self.patient.options = []
            self.source.value = "file"
        self.update()

    def _set_slider(self):
        """Give the threshold slider the range and default of the rule (and scale)."""
        scale = get_scale(self.scale.value)
        description, low, high, step, default = _SLIDERS[self.rule.value](scale)
        t = self.threshold
        with self._quiet():
            t.max = max(t.max, high)  # widen first, so no bound ever crosses the value
            t.min = min(t.min, low)
            t.value = default
            t.min, t.max = low, high
            t.step = step
            t.description = description

    # -- the plain method tests drive --------------------------------------------
    def update(self) -> None:
        """Read the controls, apply the rule, redraw; problems go to ``message``.

        It never raises: an unexpected error is shown as a message, with the
        view cleared, because it runs inside the widget's callbacks.
        """
        problems: list[str] = [self._callback_error] if self._callback_error else []
        self._callback_error = ""
        notes: list[str] = []
        self.data = _no_sessions()
        self.alerts = pd.DataFrame()
        try:
            scale = get_scale(self.scale.value, construct="alliance")
            self._compute(scale, problems, notes)
        except Exception as err:  # the last line of defence of a callback
            self.file, self._read_key = None, None
            self.data, self.alerts = _no_sessions(), pd.DataFrame()
            problems.append(f"unexpected error: {type(err).__name__}: {err}")
        try:
            # the figure first: when the status line shows a new setting, the figure of that
            # setting is already there (a reader, or the browser test, can trust the text)
            self._redraw()
        except Exception as err:
            self._view = self._view_key = None
            self.image.value = b""
            problems.append(f"the figure could not be drawn ({type(err).__name__}: {err})")
        self.message = "; ".join(problems)
        try:
            self._show_status(problems, notes)
            self._show_alert_list()
        except Exception as err:
            self.alert_list.value = ""
            self.status.value = html.escape(f"{self.message}; unexpected error: {err}")

    def _compute(self, scale, problems, notes) -> None:
        if self.source.value == "typed":
            self.file = None
            try:
                typed = scores_from_text(self.text.value, scale=scale)
            except SessionFileError as err:
                problems.append(str(err))
                return
            problems += [f"entry {r.line}: {r.reason}" for r in typed.rejected.itertuples()]
            if typed.rows_read == 0:
                problems.append("type at least one score")
            self.data = typed.sessions[["patient_id", "session", "alliance"]]
        elif self._upload_bytes is None:
            problems.append("no file uploaded yet: use the CSV button, or switch to typed scores")
        elif self._upload_error:
            problems.append(f"{self._upload_name}: {self._upload_error}")
        else:
            self.data = self._from_file(scale, problems, notes)
        if len(self.data):
            try:
                self.alerts = detect(
                    self.data,
                    self.rule.value,
                    scale=scale,
                    **{self._parameter(): self.threshold.value},
                )
            except (ValueError, TypeError) as err:
                problems.append(str(err))

    def _parameter(self) -> str:
        return RULES[self.rule.value]["parameter"]

    def _from_file(self, scale, problems, notes) -> pd.DataFrame:
        key = (scale.name, self.delimiter.value, self.decimal.value)
        if self._read_key != key:  # read once per upload and setting, not on every slider move
            self.file, self._read_key = None, None
            try:
                found = read_sessions(
                    self._upload_bytes,
                    scale=scale,
                    delimiter=self.delimiter.value,
                    decimal=self.decimal.value,
                )
            except (SessionFileError, ValueError) as err:
                with self._quiet():
                    self.patient.options = []
                problems.append(f"{self._upload_name}: {err}")
                return _no_sessions()
            self.file = replace(found, source=self._upload_name)  # the upload's own name
            self._read_key = key
        f = self.file
        notes.append(
            f"{f.source}: {f.rows_read} rows read, {f.rows_kept} kept, {f.rows_rejected} rejected"
        )
        problems += [f"line {r.line}: {r.reason}" for r in f.rejected.head(10).itertuples()]
        if f.rows_rejected > 10:
            problems.append(f"... and {f.rows_rejected - 10} more rejected rows")
        patients = list(dict.fromkeys(f.sessions["patient_id"]))
        if list(self.patient.options) != patients:
            keep = self.patient.value if self.patient.value in patients else None
            with self._quiet():
                self.patient.options = patients
                self.patient.value = (
                    keep if keep is not None else (patients[0] if patients else None)
                )
        if not patients:
            problems.append("the file has no valid rows")
            return _no_sessions()
        chosen = f.sessions[f.sessions["patient_id"] == self.patient.value]
        return chosen[["patient_id", "session", "alliance"]].reset_index(drop=True)

    # -- the view -------------------------------------------------------------------
    def draw(self, ax) -> None:
        """Draw the current view on a matplotlib ``Axes`` (the static figure of a chapter)."""
        scale = get_scale(self.scale.value)
        if len(self.alerts):
            plot_alerts(self.alerts, scale=scale, ax=ax)
        else:
            if len(self.data):
                ax.plot(self.data["session"], self.data["alliance"], "o-")
            ax.set_ylim(scale.minimum, scale.maximum)
            ax.set_xlabel("session")
            ax.set_ylabel(f"alliance ({scale.name.upper()})")
        ax.set_title(self._title(), fontsize="medium")

    def _title(self) -> str:
        if not len(self.alerts):
            return "no alerts computed: see the message above"
        n = int(self.alerts["alert"].sum())
        setting = self.alerts["setting"].iloc[0]
        return f"{_RULE_TITLES[self.rule.value]} ({setting}): {n} alert{'s' if n != 1 else ''}"

    def _redraw(self) -> None:
        """The live figure as a PNG. A new threshold redraws only what it moves."""
        key = (
            self.scale.value,
            self.rule.value,
            bool(len(self.alerts)),
            tuple(self.data["session"].tolist()),
            tuple(np.nan_to_num(self.data["alliance"].to_numpy(dtype=float), nan=-1.0)),
        )
        if self._view is None or key != self._view_key:
            self._view_key = None
            fig = new_figure()
            ax = fig.add_subplot()
            self.draw(ax)
            moving = _moving_artists(ax) if len(self.alerts) else []
            for artist in moving:
                artist.set_animated(True)  # drawn on the saved background at each update
            fig.canvas.draw()
            legend = ax.get_legend()
            legend_box = legend.get_window_extent().padded(2).extents if legend else None
            self._view = (fig, moving, fig.canvas.copy_from_bbox(fig.bbox), legend_box)
            self._view_key = key
            self.figure = fig
        else:
            fig, moving, background, _ = self._view
            _set_moving(moving, self.alerts, self._title())
            fig.canvas.restore_region(background)
        fig, moving, background, legend_box = self._view
        for artist in moving:
            fig.draw_artist(artist)
        if moving and legend_box is not None:
            # the legend stays on top of the alert marks: its pixels come back from the background
            fig.canvas.restore_region(background, bbox=legend_box, xy=(0, 0))
        self.image.value = figure_png(fig, drawn=True)

    def _show_status(self, problems, notes) -> None:
        parts = [html.escape(self.describe())] if len(self.alerts) else []
        parts += [html.escape(n) for n in notes]
        parts += [f"<span style='color:#D55E00'>&#9888; {html.escape(p)}</span>" for p in problems]
        self.status.value = "<br>".join(parts)

    def _show_alert_list(self) -> None:
        if not len(self.alerts):
            self.alert_list.value = ""
            return
        hits = self.alerts[self.alerts["alert"]]
        if hits.empty:
            self.alert_list.value = "<p>No alerts: no session meets the rule.</p>"
            return
        cell = "style='padding:2px 12px 2px 0; text-align:left'"
        rows = "".join(
            f"<tr><td {cell}>{int(r.session)}</td><td {cell}>{r.alliance:.2f}</td>"
            f"<td {cell}>{html.escape(r.reason)}</td></tr>"
            for r in hits.itertuples()
        )
        self.alert_list.value = (
            f"<table><tr><th {cell}>session</th><th {cell}>score</th>"
            f"<th {cell}>why it alerts</th></tr>{rows}</table>"
        )

    @property
    def controls(self) -> dict:
        """The rule and its threshold, by name (what the static view moves)."""
        return {"rule": self.rule, "threshold": self.threshold}

    # -- display in a notebook ---------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def describe(self) -> str:
        """The current view in a sentence: rule and setting, sessions scored and alerts."""
        if not len(self.alerts):
            return f"No alerts computed: {self.message or 'no scores'}."
        setting = self.alerts["setting"].iloc[0]
        scored = int(self.alerts["alliance"].notna().sum())
        hits = self.alert_sessions
        if not hits:
            found = "no alert"
        elif len(hits) == 1:
            found = f"1 alert, at session {hits[0]}"
        else:
            found = f"{len(hits)} alerts, at sessions {', '.join(map(str, hits))}"
        sessions = f"{scored} session{'s' if scored != 1 else ''} scored"
        return f"{_RULE_TITLES[self.rule.value]} ({setting}): {sessions}, {found}."

    @property
    def alert_sessions(self) -> list[int]:
        """Sessions at which the rule alerts, in order."""
        if not len(self.alerts):
            return []
        return [int(s) for s in self.alerts.loc[self.alerts["alert"], "session"]]


def _no_sessions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype="str"),
            "session": pd.Series(dtype="int64"),
            "alliance": pd.Series(dtype="float64"),
        }
    )


def _moving_artists(ax) -> list:
    """What a new threshold changes: the threshold line, the alert marks and the title."""
    lines = {line.get_label(): line for line in ax.lines}
    return [lines["alert below this line"], lines["alert"], ax.title]


def _set_moving(moving, alerts: pd.DataFrame, title: str) -> None:
    threshold, marks, title_text = moving
    sessions = alerts["session"].to_numpy()
    hit = alerts["alert"].to_numpy(dtype=bool)
    threshold.set_data(sessions, alerts["threshold"].to_numpy(dtype=float))
    marks.set_data(sessions[hit], alerts["alliance"].to_numpy(dtype=float)[hit])
    title_text.set_text(title)


def session_monitor_explorer(
    scores: str = DEFAULT_SCORES, *, rule: str = "reliable-drop", scale="wai-sr"
) -> SessionMonitor:
    """The session monitor: one patient's scores, a rupture rule and its alerts.

    Parameters
    ----------
    scores : str, default DEFAULT_SCORES
        Scores typed in the text box at the start, session 1 first.
    rule : str, default "reliable-drop"
        A key of :data:`book.practice.ruptures.RULES`.
    scale : str, default "wai-sr"
        A key of :data:`book.practice.scales.SCALES`.

    Returns
    -------
    SessionMonitor
        Display it in a notebook; ``draw(ax)`` gives the static figure and
        ``describe()`` its numbers.

    Examples
    --------
    >>> monitor = session_monitor_explorer()
    >>> print(monitor.describe())
    Reliable drop (z = 1.96, drop > 0.53): 12 sessions scored, 1 alert, at session 6.
    """
    return SessionMonitor(scores, rule=rule, scale=scale)
