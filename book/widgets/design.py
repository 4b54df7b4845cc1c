r"""Study design, explored: patients and sessions in; power for the effect and its moderation out.

The power of the fixed-effects estimators of the chapter "Designing a study"
(:data:`book.montecarlo.estimators.ESTIMATORS` ``"within"`` and ``"within_iip"``)
is looked up in a grid of designs (:func:`power_lookup`): by default the
``power`` table of the results store (:func:`book.montecarlo.store.load_results`),
so that the explorer and the chapters quote the same numbers; moving a
slider only reads the table and redraws.

The grid's designs share simulated patients: the runner simulates the studies
of the largest design (640 patients, 20 sessions) and estimates the design
with :math:`N` patients and :math:`T` sessions on the first :math:`N` patients
(whole therapists) and the first :math:`T` sessions of each of them
(:func:`book.montecarlo.runner.replicate_designs` with ``nested``). The
simulator is causal, a session depending only on earlier ones, so the first
:math:`T` sessions of a longer treatment are a study of :math:`T` sessions;
and the shared draws (common random numbers) make the power curves smooth.
Power, bias and their Monte Carlo standard errors come from
:func:`book.montecarlo.summary.summarize_replications`, as in the chapter.

>>> from book.widgets.design import design_explorer
>>> explorer = design_explorer()                       # reads the results store
>>> explorer.power["alliance_within"], round(explorer.power["alliance_within:iip_c"], 2)
(1.0, 0.73)
>>> explorer.controls["patients"].value = 640
>>> round(explorer.power["alliance_within:iip_c"], 2)
0.99
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
from matplotlib.collections import LineCollection

from book._checks import check_choice, check_count, check_params, check_seed
from book.montecarlo.runner import replicate_designs
from book.montecarlo.store import load_results
from book.montecarlo.summary import summarize_replications
from book.plots import COLORS
from book.simulation.parameters import SimulationParameters
from book.widgets.explorer import Explorer

__all__ = ["DesignExplorer", "PATIENTS", "SESSIONS", "design_explorer", "power_lookup"]

#: What to try, and what to notice.
TRY_THIS = (
    "Keep 40 patients and raise the sessions from 4 to 20, then do the same with 640 "
    "patients: the effect is soon found, while its moderation by interpersonal problems "
    "needs several hundred patients whatever the sessions."
)

#: The designs of the grid: patients per study (multiples of 8, whole therapists) and sessions.
PATIENTS = (40, 80, 160, 240, 320, 480, 640)
SESSIONS = (4, 6, 8, 12, 16, 20)

#: The terms the explorer reports, with the estimator that reports each.
TERMS = {"alliance_within": "within", "alliance_within:iip_c": "within_iip"}
_LABELS = {"alliance_within": "within-patient effect", "alliance_within:iip_c": "its moderation"}
_COLOURS = {"alliance_within": COLORS["alliance"], "alliance_within:iip_c": COLORS["rupture"]}

_LOOKUPS: dict[tuple, pd.DataFrame] = {}  # the replications of each grid, once per session


def power_lookup(
    n_reps: int | None = None,
    *,
    seed: int = 2022,
    patients=PATIENTS,
    sessions=SESSIONS,
    params: SimulationParameters | None = None,
    alpha: float = 0.05,
    replications: bool = False,
) -> pd.DataFrame:
    """Power and bias of the fixed-effects estimators on a grid of patients and sessions.

    With ``n_reps`` omitted, the rows of the results store's ``power`` table
    (the book's defaults, thousands of studies per design; nothing is
    simulated). With ``n_reps``, the runner simulates the grid afresh, once
    on the largest design, estimating every smaller design on the first
    patients and sessions of the same studies (see the module notes); the
    result is cached, so the same arguments return the same table without
    simulating again.

    Parameters
    ----------
    n_reps : int, optional
        Simulated studies per design; omitted: the stored table.
    seed : int, default 2022
        Seed of the runner (with ``n_reps``).
    patients : sequence of int, default PATIENTS
        Patients per study, multiples of ``params.patients_per_therapist``.
    sessions : sequence of int, default SESSIONS
        Sessions per patient, each at least 3.
    params : SimulationParameters, optional
        Everything else about the studies (with ``n_reps``); the defaults when
        omitted (its ``n_therapists`` and ``n_sessions`` are replaced by the
        largest design).
    alpha : float, default 0.05
        Significance level of the tests (with ``n_reps``; the store's is 0.05).
    replications : bool, default False
        Return every estimate instead (with ``n_reps``).

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and term (the columns of
        :func:`book.montecarlo.summary.summarize_replications`, with ``n_patients`` and
        ``n_sessions``); with ``replications=True``, one row per design,
        replication, estimator and term.

    Examples
    --------
    >>> table = power_lookup(50, patients=(40, 80), sessions=(4, 12))
    >>> rows = table[table["term"] == "alliance_within:iip_c"]
    >>> rows[["n_patients", "n_sessions", "power", "power_mcse"]].round(2)
        n_patients  n_sessions  power  power_mcse
    4           40           4   0.20        0.06
    9           40          12   0.24        0.06
    14          80           4   0.18        0.05
    19          80          12   0.22        0.06
    """
    patients, sessions = tuple(int(n) for n in patients), tuple(int(t) for t in sessions)
    if n_reps is None:
        if params is not None or replications or alpha != 0.05:
            raise ValueError(
                "the stored grid has the book's defaults and a 5% level, and no replications; "
                "give n_reps to simulate another"
            )
        return _stored_grid(patients, sessions)
    params = check_params(params)
    seed = check_seed(seed)
    n_reps = check_count(n_reps, "n_reps", minimum=2)
    per = params.patients_per_therapist
    if not patients or any(n < 2 * per or n % per for n in patients):
        raise ValueError(
            f"patients must be multiples of patients_per_therapist = {per}, at least {2 * per}; "
            f"got {patients}"
        )
    if not sessions or min(sessions) < 3:
        raise ValueError(f"sessions must be at least 3 (two lagged pairs), got {sessions}")
    key = (n_reps, seed, patients, sessions, params)
    if key not in _LOOKUPS:
        largest = params.replace(n_therapists=max(patients) // per, n_sessions=max(sessions))
        _LOOKUPS[key] = replicate_designs(
            largest,
            n_reps=n_reps,
            seed=seed,
            estimators=list(dict.fromkeys(TERMS.values())),
            nested={"n_patients": patients, "n_sessions": sessions},
        )
    if replications:
        return _LOOKUPS[key].copy()
    return summarize_replications(_LOOKUPS[key], alpha=alpha)


def _stored_grid(patients, sessions) -> pd.DataFrame:
    stored = load_results("power")
    missing = sorted(
        (set(patients) - set(stored["n_patients"])) | (set(sessions) - set(stored["n_sessions"]))
    )
    if missing:
        raise ValueError(
            f"the stored grid has no designs with {missing}; it has patients "
            f"{sorted(set(stored['n_patients']))} and sessions {sorted(set(stored['n_sessions']))} "
            "(give n_reps to simulate another grid)"
        )
    rows = stored[
        stored["n_patients"].isin(patients)
        & stored["n_sessions"].isin(sessions)
        & stored["estimator"].isin(set(TERMS.values()))
    ]
    return rows.reset_index(drop=True)


class DesignExplorer(Explorer):
    """Patients and sessions in; power for the within-patient effect and its moderation out.

    Parameters
    ----------
    patients : int, default 240
        Starting number of patients, one of :data:`PATIENTS`.
    sessions : int, default 12
        Starting number of sessions, one of :data:`SESSIONS`.
    n_reps : int, optional
        Simulated studies per design (:func:`power_lookup`); omitted: the results store.
    seed : int, default 2022
        Seed of the runner (with ``n_reps``).

    Attributes
    ----------
    table : pandas.DataFrame
        The whole grid (:func:`power_lookup`).
    power, power_mcse, mean_estimate, truth : dict
        For the chosen design, by term (``"alliance_within"``,
        ``"alliance_within:iip_c"``).
    """

    title = "Designing a study"
    try_this = TRY_THIS
    figsize = (10.0, 3.8)
    n_panels = 2
    margins = {"left": 0.07, "bottom": 0.15, "right": 0.98, "top": 0.9, "wspace": 0.2}

    def __init__(
        self,
        *,
        patients: int = 240,
        sessions: int = 12,
        n_reps: int | None = None,
        seed: int = 2022,
    ):
        check_choice(patients, "patients", PATIENTS)
        check_choice(sessions, "sessions", SESSIONS)
        self._start = (patients, sessions)
        self.table = power_lookup(n_reps, seed=seed)
        if n_reps is None:
            self.n_reps = int((self.table["n_reps"] + self.table["n_failed"]).max())
            self.source = "the book's results"
        else:
            self.n_reps, self.source = n_reps, f"seed {seed}"
        self.seed = seed
        wanted = [
            TERMS.get(t) == e
            for t, e in zip(self.table["term"], self.table["estimator"], strict=True)
        ]
        rows = self.table[wanted]
        self._rows = rows.set_index(["term", "n_patients", "n_sessions"]).sort_index()
        super().__init__()

    def _controls(self):
        patients, sessions = self._start

        def choice(description, options, value):
            return widgets.SelectionSlider(
                options=list(options),
                value=value,
                description=description,
                continuous_update=False,
                style={"description_width": "initial"},
                layout=widgets.Layout(width="420px"),
            )

        return [
            ("patients", choice("patients", PATIENTS, patients)),
            ("sessions", choice("sessions per patient", SESSIONS, sessions)),
        ]

    def _compute(self) -> None:
        n, t = self.controls["patients"].value, self.controls["sessions"].value
        self.patients, self.sessions = n, t
        cells = {term: self._rows.loc[(term, n, t)] for term in TERMS}
        self.power = {k: float(r["power"]) for k, r in cells.items()}
        self.power_mcse = {k: float(r["power_mcse"]) for k, r in cells.items()}
        self.mean_estimate = {k: float(r["mean_estimate"]) for k, r in cells.items()}
        self.truth = {k: float(r["truth"]) for k, r in cells.items()}

    def curve(self, term: str, by: str) -> pd.DataFrame:
        """Power of ``term`` over ``by`` (``"n_patients"`` or ``"n_sessions"``), the other fixed."""
        rows = self._rows.loc[term].reset_index()
        if by == "n_patients":
            return rows[rows["n_sessions"] == self.sessions]
        return rows[rows["n_patients"] == self.patients]

    # -- the view -------------------------------------------------------------------------
    def _create_artists(self, axes):
        artists = {}
        for ax, by, label, ticks in (
            (axes[0], "n_patients", "patients (log scale)", PATIENTS),
            (axes[1], "n_sessions", "sessions per patient", SESSIONS),
        ):
            ax.axhline(0.8, color="0.5", ls="--", lw=1)
            ax.axhline(0.05, color="0.7", ls=":", lw=1)
            for term in TERMS:
                colour = _COLOURS[term]
                (line,) = ax.plot([], [], "o-", color=colour, ms=4, lw=1.8, label=_LABELS[term])
                bars = LineCollection([], colors=colour, linewidths=1.2)
                ax.add_collection(bars)
                (mark,) = ax.plot([], [], "o", ms=11, mfc="none", mec=colour, mew=2.2)
                artists[(by, term)] = (line, bars, mark)
            if by == "n_patients":
                ax.set_xscale("log")
                ax.set_xticks(ticks, [str(t) for t in ticks])
                ax.minorticks_off()
                ax.set_xlim(ticks[0] / 1.15, ticks[-1] * 1.15)
            else:
                ax.set_xticks(ticks)
                ax.set_xlim(ticks[0] - 1, ticks[-1] + 1)
            ax.set(ylim=(-0.02, 1.04), xlabel=label, ylabel="power (5% level)")
        axes[0].legend(loc="upper left", fontsize="x-small")
        artists["titles"] = (axes[0].set_title(""), axes[1].set_title(""))
        return artists

    def _set_artists(self, a) -> None:
        for by in ("n_patients", "n_sessions"):
            for term in TERMS:
                line, bars, mark = a[(by, term)]
                c = self.curve(term, by)
                x, p, half = c[by].to_numpy(), c["power"].to_numpy(), 2 * c["power_mcse"]
                line.set_data(x, p)
                bars.set_segments(
                    [[(xi, pi - h), (xi, pi + h)] for xi, pi, h in zip(x, p, half, strict=True)]
                )
                here = self.patients if by == "n_patients" else self.sessions
                mark.set_data([here], [self.power[term]])
        left, right = a["titles"]
        left.set_text(f"{self.sessions} sessions per patient")
        right.set_text(f"{self.patients} patients")

    def _status(self) -> str:
        w, m = "alliance_within", "alliance_within:iip_c"
        p, se, est, truth = self.power, self.power_mcse, self.mean_estimate, self.truth
        return (
            f"{self.patients} patients with {self.sessions} sessions each ({self.n_reps:,} "
            f"simulated studies per design, {self.source}): power {p[w]:.2f} (Monte Carlo SE "
            f"{se[w]:.2f}) "
            f"to detect the within-patient effect, {p[m]:.2f} (MC SE {se[m]:.2f}) for its "
            f"moderation by interpersonal problems.\n"
            f"Mean estimates {est[w]:.2f} and {est[m]:.2f} against the truth {truth[w]:.2f} and "
            f"{truth[m]:.2f} BDI-II points: power is not accuracy (measurement error attenuates "
            f"both, however many patients)."
        )


def design_explorer(
    *, patients: int = 240, sessions: int = 12, n_reps: int | None = None, seed: int = 2022
) -> DesignExplorer:
    """An explorer of power over patients and sessions (the stored grid, or one simulated anew).

    Parameters
    ----------
    patients : int, default 240
        One of :data:`PATIENTS`.
    sessions : int, default 12
        One of :data:`SESSIONS`.
    n_reps : int, optional
        Simulated studies per design; omitted, the results store's grid (no
        simulation). With a value, the first call simulates the grid (about 3 s
        for 100 on a 2-core machine).
    seed : int, default 2022
        Seed of the runner (with ``n_reps``).

    Returns
    -------
    DesignExplorer
        Display it in a notebook for the live widget; ``draw(axes)`` gives the
        static figure (two panels).

    Examples
    --------
    >>> explorer = design_explorer(patients=80, sessions=4)
    >>> explorer.power["alliance_within"] < 0.8
    True
    """
    return DesignExplorer(patients=patients, sessions=sessions, n_reps=n_reps, seed=seed)
