"""The book's figures: one colour-blind-safe palette and the plots chapters share.

The palette is Okabe & Ito's (2008), distinguishable under the common forms
of colour blindness. Chapters call :func:`set_style` once; figures that several
chapters draw live here, simple ones are written in the chapter with seaborn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from book.simulation.study import Study

__all__ = ["OKABE_ITO", "set_style", "plot_trajectories", "plot_alliance_parts"]

#: Okabe-Ito colours: black, orange, sky blue, bluish green, yellow, blue,
#: vermillion, reddish purple.
OKABE_ITO = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)

#: Named roles, so that a colour means the same thing in every chapter.
COLORS = {
    "alliance": "#0072B2",
    "symptoms": "#D55E00",
    "trait": "#009E73",
    "state": "#56B4E9",
    "rupture": "#CC79A7",
    "truth": "#000000",
    "estimate": "#E69F00",
}


def set_style() -> None:
    """Use the book's seaborn theme and colour-blind-safe palette."""
    sns.set_theme(context="notebook", style="whitegrid", palette=list(OKABE_ITO[1:]))
    plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "axes.titleweight": "bold"})


def plot_trajectories(study: Study, patient_ids, *, mark_ruptures: bool = True):
    """Alliance and symptoms of a few patients, session by session.

    Each line is drawn with :func:`seaborn.lineplot`, one unit per run of rated
    sessions, so that a missing questionnaire leaves a gap in the line instead
    of being bridged.

    Parameters
    ----------
    study : Study
        A study from :func:`book.simulation.simulate` or :func:`book.datasets.load_study`.
    patient_ids : sequence of int
        The patients to draw, one panel column each (at most 6).
    mark_ruptures : bool, default True
        Mark true ruptures (simulated studies only) with a triangle.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows of panels: alliance (WAI-SR) on top, symptoms (BDI-II) below.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> fig = plot_trajectories(simulate(seed=1), [1, 2, 3])
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['patient 1', 'patient 2', 'patient 3']
    >>> plt.close(fig)
    """
    ids = list(patient_ids)
    if not 1 <= len(ids) <= 6:
        raise ValueError(f"patient_ids must name 1 to 6 patients, got {len(ids)}")
    unknown = sorted(set(ids) - set(study.patients["patient_id"]))
    if unknown:
        raise ValueError(f"patient_ids {unknown} are not in this study")
    fig, axes = plt.subplots(
        2, len(ids), figsize=(2.0 * len(ids) + 1.2, 4.8), sharex=True, sharey="row", squeeze=False
    )
    ruptures = study.truth.ruptures if (mark_ruptures and study.truth is not None) else None
    for col, pid in enumerate(ids):
        rows = study.sessions[study.sessions["patient_id"] == pid].sort_values("session")
        rows = rows.assign(bdi=rows["bdi"].astype(float))
        top, bottom = axes[0, col], axes[1, col]
        for ax, column, marker, colour in (
            (top, "alliance", "o", COLORS["alliance"]),
            (bottom, "bdi", "s", COLORS["symptoms"]),
        ):
            # a new unit after every missing value: the line breaks where a
            # questionnaire is missing, as a plain line plot would
            runs = rows.assign(run=rows[column].isna().cumsum())
            sns.lineplot(
                data=runs,
                x="session",
                y=column,
                units="run",
                estimator=None,
                marker=marker,
                markersize=4,
                markeredgecolor=colour,
                color=colour,
                ax=ax,
            )
        if ruptures is not None:
            events = ruptures[(ruptures["patient_id"] == pid) & ruptures["attended"]]
            hit = rows.set_index("session").reindex(events["session"])["alliance"]
            top.plot(
                events["session"],
                hit - 0.25,
                "^",
                color=COLORS["rupture"],
                ms=7,
                label="rupture (truth)",
            )
        top.set_title(f"patient {pid}")
        top.set_ylabel("")
        bottom.set_ylabel("")
        bottom.set_xlabel("session")
    axes[0, 0].set_ylabel("alliance (WAI-SR, 1–5)")
    axes[1, 0].set_ylabel("symptoms (BDI-II, 0–63)")
    axes[0, 0].set_ylim(1, 5.2)
    fig.tight_layout()
    return fig


def plot_alliance_parts(study: Study, patient_id: int, ax=None):
    """One patient's alliance as a stable level plus session-to-session change.

    Draws the observed alliance, the patient's true trait-like level, the
    level plus the common trend, and (shaded) the state-like deviations from it.

    Parameters
    ----------
    study : Study
        A simulated study (it needs ``study.truth``).
    patient_id : int
        The patient to draw.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if study.truth is None:
        raise ValueError("plot_alliance_parts needs a simulated study with ground truth")
    truth = study.truth.sessions
    mine = truth[(truth["patient_id"] == patient_id) & truth["attended"]]
    if mine.empty:
        raise ValueError(f"patient {patient_id} is not in this study")
    obs = study.sessions[study.sessions["patient_id"] == patient_id]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    level = mine["alliance_trait"] + mine["alliance_trend"]
    ax.axhline(
        mine["alliance_trait"].iloc[0],
        color=COLORS["trait"],
        lw=2,
        ls="--",
        label="trait-like level (truth)",
    )
    ax.plot(
        mine["session"], level, color=COLORS["trait"], lw=1, label="level + common trend (truth)"
    )
    ax.fill_between(
        mine["session"],
        level,
        mine["alliance_latent"],
        color=COLORS["state"],
        alpha=0.35,
        label="state-like deviation (truth)",
    )
    ax.plot(obs["session"], obs["alliance"], "o", color=COLORS["alliance"], label="observed WAI-SR")
    ax.set_xlabel("session")
    ax.set_ylabel("alliance (WAI-SR, 1–5)")
    ax.set_xticks(np.arange(1, int(mine["session"].max()) + 1))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize="small")
    ax.figure.tight_layout()
    return ax
