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
import pandas as pd

from book.practice.ruptures import RULES, detect, plot_alerts
from book.practice.scales import SCALES, get_scale
from book.practice.session_file import SessionFileError, read_sessions, scores_from_text
from book.widgets import QuietUpdates, figure_png, new_figure

__all__ = ["DEFAULT_SCORES", "TRY_THIS", "SessionMonitor", "session_monitor_explorer"]

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
    """

    #: Heading and "try this" of the explorer's static view (book.widgets.explorer.static_view).
    title = "Session monitor"
    try_this = TRY_THIS

    def __init__(
        self, scores: str = DEFAULT_SCORES, *, rule: str = "reliable-drop", scale="wai-sr"
    ):
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(map(repr, RULES))}")
        scale = get_scale(scale)
        self.file = None
        self._upload_bytes: bytes | None = None
        self._upload_name = ""
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
        self.patient = widgets.Dropdown(options=[], description="Patient")
        self.scale = widgets.Dropdown(
            options=[(s.label.split(";")[0] + ")", s.name) for s in SCALES.values()],
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
                widgets.HBox([self.upload, self.delimiter, self.patient]),
                self.scale,
                self.rule,
                self.threshold,
                self.status,
                self.image,
                self.alert_list,
            ]
        )
        for control in (self.source, self.text, self.delimiter, self.patient, self.threshold):
            control.observe(self._changed, names="value")
        self.scale.observe(self._rule_or_scale_changed, names="value")
        self.rule.observe(self._rule_or_scale_changed, names="value")
        self.upload.observe(self._uploaded, names="value")
        self.update()

    # -- callbacks: each only prepares, then calls update() --------------------
    def _rule_or_scale_changed(self, change=None):
        self._set_slider()
        self.update()

    def _uploaded(self, change=None):
        if not self.upload.value:
            return
        item = self.upload.value[0]
        self.load_file(bytes(item["content"]), name=item.get("name", "upload.csv"))

    def load_file(self, content: bytes, name: str = "upload.csv") -> None:
        """Use the CSV ``content`` (bytes) as the data source, as an upload does."""
        self._upload_bytes = bytes(content)
        self._upload_name = name
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
        """Read the controls, apply the rule, redraw; problems go to ``message``."""
        scale = get_scale(self.scale.value)
        problems: list[str] = []
        notes: list[str] = []
        self.data = pd.DataFrame(
            {
                "patient_id": pd.Series(dtype="str"),
                "session": pd.Series(dtype="int64"),
                "alliance": pd.Series(dtype="float64"),
            }
        )
        self.alerts = pd.DataFrame()
        if self.source.value == "typed":
            self.file = None
            typed = scores_from_text(self.text.value, scale=scale)
            problems += [f"entry {r.line}: {r.reason}" for r in typed.rejected.itertuples()]
            if typed.rows_read == 0:
                problems.append("type at least one score")
            self.data = typed.sessions[["patient_id", "session", "alliance"]]
        elif self._upload_bytes is None:
            problems.append("no file uploaded yet: use the CSV button, or switch to typed scores")
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
        self.message = "; ".join(problems)
        # the figure first: when the status line shows a new setting, the figure of that
        # setting is already there (a reader, or the browser test, can trust the text)
        self._redraw(scale)
        self._show_status(problems, notes)
        self._show_alert_list()

    def _parameter(self) -> str:
        return RULES[self.rule.value]["parameter"]

    def _from_file(self, scale, problems, notes) -> pd.DataFrame:
        try:
            self.file = read_sessions(
                self._upload_bytes, scale=scale, delimiter=self.delimiter.value
            )
        except (SessionFileError, ValueError) as err:
            self.file = None
            problems.append(f"{self._upload_name}: {err}")
            return self.data
        self.file = replace(self.file, source=self._upload_name)  # the upload's own name
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
            return self.data
        chosen = f.sessions[f.sessions["patient_id"] == self.patient.value]
        return chosen[["patient_id", "session", "alliance"]].reset_index(drop=True)

    # -- the view -------------------------------------------------------------------
    def draw(self, ax) -> None:
        """Draw the current view on a matplotlib ``Axes`` (the static figure of a chapter)."""
        scale = get_scale(self.scale.value)
        if len(self.alerts):
            plot_alerts(self.alerts, scale=scale, ax=ax)
            n = int(self.alerts["alert"].sum())
            setting = self.alerts["setting"].iloc[0]
            ax.set_title(
                f"{_RULE_TITLES[self.rule.value]} ({setting}): {n} alert{'s' if n != 1 else ''}",
                fontsize="medium",
            )
        else:
            if len(self.data):
                ax.plot(self.data["session"], self.data["alliance"], "o-")
            ax.set_ylim(scale.minimum, scale.maximum)
            ax.set_xlabel("session")
            ax.set_ylabel(f"alliance ({scale.name.upper()})")
            ax.set_title("no alerts computed: see the message above", fontsize="medium")

    def _redraw(self, scale) -> None:
        fig = new_figure()
        self.draw(fig.add_subplot())
        self.figure = fig
        self.image.value = figure_png(fig)

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
