r"""Between versus within: two slopes set independently, and the pooled line that mixes them.

A small two-level data set (ten patients, ten sessions each) is made from two
slopes the reader sets: how next-session symptoms differ between patients whose
*average* alliance differs (the between-patient slope, trait-like), and how they
move when a patient's alliance is above *their own* average (the within-patient
slope, state-like). :func:`level_slopes` splits the alliance with
:func:`book.estimation.decomposition.person_mean_center` and fits the between-patient,
within-patient and pooled lines; the explorer draws all three, so the two
levels can be made to disagree in sign.

>>> from book.widgets.between_within import between_within_explorer
>>> explorer = between_within_explorer(between=-4, within=4)
>>> explorer.slopes["slope"].round(1).to_dict()
{'between': -3.8, 'within': 4.0, 'pooled': -1.2}
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import scipy.stats
from matplotlib.collections import LineCollection

from book.estimation.decomposition import person_mean_center
from book.plots import COLORS
from book.widgets.explorer import Explorer, slider

__all__ = [
    "BetweenWithinExplorer",
    "between_within_explorer",
    "level_slopes",
    "two_level_sample",
]

#: What to try, and what to notice.
TRY_THIS = (
    "Give the two slopes opposite signs, and notice that the pooled line through all "
    "sessions describes neither level: it follows whichever level varies more."
)

# the toy study: alliance (WAI-SR) levels and deviations, symptoms (BDI-II) noise
_LEVEL_MEAN, _LEVEL_SD, _DEVIATION_SD = 3.6, 0.4, 0.3
_BDI_MEAN, _PATIENT_NOISE_SD, _SESSION_NOISE_SD = 20.0, 0.7, 1.0
# half-heights of the symptom axis around 20: a few fixed steps, so that most
# updates keep the axes (and are fast)
_HALF_HEIGHTS = (8, 12, 16, 20, 25, 30, 40, 60)


def two_level_sample(
    between: float,
    within: float,
    *,
    n_patients: int = 10,
    n_sessions: int = 10,
    seed: int = 1,
) -> pd.DataFrame:
    r"""A small two-level study whose between- and within-patient slopes are set apart.

    Patient :math:`i` has an average alliance :math:`L_i` (WAI-SR points) at
    the :math:`(i - 1/2)/n` quantile of :math:`N(3.6, 0.4^2)`, so the patients
    spread evenly, and session deviations :math:`d_{it}` with SD 0.3, centred
    so that they average exactly zero within each patient (the person mean
    *is* the level). Symptoms before the next session are

    .. math::

        \mathrm{BDI}_{it} = 20 + b_B\,(L_i - 3.6) + b_W\, d_{it} + u_i + e_{it},
        \qquad u_i \sim N(0, 0.7^2), \quad e_{it} \sim N(0, 1).

    The same seed gives the same draws whatever the slopes, so changing a slope
    moves the points and nothing else.

    Parameters
    ----------
    between, within : float
        :math:`b_B` and :math:`b_W`, in BDI-II points per WAI-SR point.
    n_patients : int, default 10
        At least 3.
    n_sessions : int, default 10
        At least 2.
    seed : int, default 1

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``session``, ``alliance`` and ``bdi_next``.

    Examples
    --------
    >>> d = two_level_sample(-4, 4)
    >>> d.shape, d.groupby("patient_id")["alliance"].std().round(2).iloc[:3].tolist()
    ((100, 4), [0.21, 0.15, 0.38])
    """
    for name, value in (("between", between), ("within", within)):
        if not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number (BDI-II per WAI-SR point)")
    for name, value, least in (("n_patients", n_patients, 3), ("n_sessions", n_sessions, 2)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    rng = np.random.default_rng(seed)
    quantiles = (np.arange(n_patients) + 0.5) / n_patients
    level = _LEVEL_MEAN + _LEVEL_SD * scipy.stats.norm.ppf(quantiles)
    raw = rng.standard_normal((n_patients, n_sessions))
    deviation = (raw - raw.mean(axis=1, keepdims=True)) * _DEVIATION_SD
    deviation *= np.sqrt(n_sessions / (n_sessions - 1))  # keep the SD after centring
    patient_noise = _PATIENT_NOISE_SD * rng.standard_normal(n_patients)
    session_noise = _SESSION_NOISE_SD * rng.standard_normal((n_patients, n_sessions))
    bdi = (
        _BDI_MEAN
        + between * (level[:, None] - _LEVEL_MEAN)
        + within * deviation
        + patient_noise[:, None]
        + session_noise
    )
    return pd.DataFrame(
        {
            "patient_id": np.repeat(np.arange(1, n_patients + 1), n_sessions),
            "session": np.tile(np.arange(1, n_sessions + 1), n_patients),
            "alliance": (level[:, None] + deviation).ravel(),
            "bdi_next": bdi.ravel(),
        }
    )


def level_slopes(data: pd.DataFrame, x: str, y: str, *, by: str = "patient_id") -> pd.DataFrame:
    """The between-patient, within-patient and pooled least-squares slopes of ``y`` on ``x``.

    After splitting both columns with :func:`book.estimation.decomposition.person_mean_center`:

    - **between**: ordinary least squares of the patient means of ``y`` on the
      patient means of ``x``, one point per patient;
    - **within**: least squares of the within-patient deviations of ``y`` on
      those of ``x``: the fixed-effects (within) estimator, the slope of
      ``y ~ x + C(patient)``;
    - **pooled**: ordinary least squares of ``y`` on ``x`` over all rows,
      ignoring patients.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data; rows with ``x`` or ``y`` missing are dropped.
    x, y : str
        Predictor and outcome columns.
    by : str, default "patient_id"

    Returns
    -------
    pandas.DataFrame
        Indexed by ``level`` (``between``, ``within``, ``pooled``): ``slope``,
        ``intercept`` (missing for ``within``: each patient's line passes
        through their own means) and ``n`` (points the line is fitted to).

    Notes
    -----
    With the same number of sessions per patient, a random-intercept model
    ``y ~ x_between + x_within`` gives exactly the between and within slopes
    here, whatever its variance estimates: the within part is orthogonal to
    everything constant within a patient (the tests check it against
    statsmodels' ``MixedLM``).

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 4.0],
    ...                   "y": [2.0, 3.0, 1.0, 2.0]})
    >>> level_slopes(d, "x", "y")
             slope  intercept  n
    level
    between   -0.5       3.25  2
    within     1.0        NaN  4
    pooled    -0.2       2.50  4
    """
    d = data.dropna(subset=[x, y])
    parts = person_mean_center(d, [x, y], by=by)
    xw, yw = parts[f"{x}_within"].to_numpy(), parts[f"{y}_within"].to_numpy()
    sxx = float(xw @ xw)
    if sxx <= 0:
        raise ValueError(f"{x!r} does not vary within any {by!r}: no within-patient slope")
    means = parts.groupby(by, sort=False)[[f"{x}_between", f"{y}_between"]].first()
    if len(means) < 2 or means[f"{x}_between"].nunique() < 2:
        raise ValueError(f"the patient means of {x!r} do not vary: no between-patient slope")
    b_slope, b_icept = _ols(means[f"{x}_between"].to_numpy(), means[f"{y}_between"].to_numpy())
    p_slope, p_icept = _ols(d[x].to_numpy(dtype=float), d[y].to_numpy(dtype=float))
    return pd.DataFrame(
        {
            "slope": [b_slope, float(xw @ yw) / sxx, p_slope],
            "intercept": [b_icept, np.nan, p_icept],
            "n": [len(means), len(d), len(d)],
        },
        index=pd.Index(["between", "within", "pooled"], name="level"),
    )


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    dx = x - x.mean()
    slope = float(dx @ (y - y.mean())) / float(dx @ dx)
    return slope, float(y.mean() - slope * x.mean())


class BetweenWithinExplorer(Explorer):
    """Set a between-patient and a within-patient slope; see both fitted lines and the pooled one.

    Parameters
    ----------
    between, within : float
        Starting slopes (BDI-II points per WAI-SR point), each in [-8, 8].
    seed : int, default 1
        Seed of :func:`two_level_sample`.

    Attributes
    ----------
    data : pandas.DataFrame
        The sample shown (:func:`two_level_sample`).
    slopes : pandas.DataFrame
        :func:`level_slopes` of ``bdi_next`` on ``alliance``.
    """

    title = "Between versus within"
    try_this = TRY_THIS
    figsize = (7.0, 4.2)
    margins = {"left": 0.1, "bottom": 0.13, "right": 0.97}

    def __init__(self, *, between: float = -4.0, within: float = 4.0, seed: int = 1):
        self.seed = seed
        self._start = (between, within)
        self.data = two_level_sample(between, within, seed=seed)
        super().__init__()

    def _controls(self):
        b, w = self._start
        return [
            ("between", slider("between-patient slope (BDI-II per WAI-SR point)", b, -8, 8, 0.5)),
            ("within", slider("within-patient slope (BDI-II per WAI-SR point)", w, -8, 8, 0.5)),
        ]

    def _compute(self) -> None:
        between, within = self.controls["between"].value, self.controls["within"].value
        data = two_level_sample(between, within, seed=self.seed)
        slopes = level_slopes(data, "alliance", "bdi_next")
        self.data, self.slopes = data, slopes

    # -- the view -------------------------------------------------------------------------
    def _create_artists(self, ax):
        patients = self.data["patient_id"].to_numpy()
        codes = (patients - patients.min()) / max(1, np.ptp(patients))
        colours = matplotlib.colormaps["viridis"](0.9 * codes)
        points = ax.scatter(
            self.data["alliance"], self.data["bdi_next"], s=16, c=colours, alpha=0.8, zorder=2
        )
        n = self.data["patient_id"].nunique()
        per_patient = LineCollection(
            [np.zeros((2, 2))] * n,
            colors=matplotlib.colormaps["viridis"](0.9 * np.linspace(0, 1, n)),
            linewidths=1.5,
            zorder=3,
        )
        ax.add_collection(per_patient)
        means = ax.scatter(
            [], [], s=70, facecolor="white", edgecolor=COLORS["trait"], linewidths=2, zorder=4
        )
        (between,) = ax.plot([], [], color=COLORS["trait"], lw=3, zorder=5)
        (pooled,) = ax.plot([], [], color=COLORS["estimate"], lw=2.5, ls="--", zorder=5)
        label = ax.text(
            0.02,
            0.97,
            "",
            transform=ax.transAxes,
            va="top",
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
        )
        ax.set(
            xlim=(2.4, 5.1),
            xlabel="alliance after session t (WAI-SR)",
            ylabel="symptoms before session t+1 (BDI-II)",
        )
        # a legend for lines drawn on the background's axes, with stand-in handles
        ax.legend(
            handles=[
                matplotlib.lines.Line2D([], [], color=COLORS["trait"], lw=3),
                matplotlib.lines.Line2D([], [], color="0.45", lw=1.5),
                matplotlib.lines.Line2D([], [], color=COLORS["estimate"], lw=2.5, ls="--"),
                matplotlib.lines.Line2D(
                    [], [], marker="o", ls="", mfc="white", mec=COLORS["trait"], mew=2, ms=8
                ),
            ],
            labels=[
                "between patients (means)",
                "within each patient",
                "pooled (all sessions)",
                "patient means",
            ],
            loc="lower right",
            fontsize="x-small",
        )
        return {
            "points": points,
            "per_patient": per_patient,
            "means": means,
            "between": between,
            "pooled": pooled,
            "label": label,
        }

    def _set_artists(self, a) -> None:
        d, s = self.data, self.slopes
        a["points"].set_offsets(d[["alliance", "bdi_next"]].to_numpy())
        m = d.groupby("patient_id", sort=True)[["alliance", "bdi_next"]]
        centre, low, high = m.mean(), m.min()["alliance"], m.max()["alliance"]
        a["means"].set_offsets(centre.to_numpy())
        w = s.loc["within", "slope"]
        a["per_patient"].set_segments(
            [
                [(lo, my + w * (lo - mx)), (hi, my + w * (hi - mx))]
                for (mx, my), lo, hi in zip(centre.to_numpy(), low, high, strict=True)
            ]
        )
        for name, xs in (("between", centre["alliance"]), ("pooled", d["alliance"])):
            grid = np.array([xs.min(), xs.max()])
            a[name].set_data(grid, s.loc[name, "intercept"] + s.loc[name, "slope"] * grid)
        a["label"].set_text(self._slope_text())
        spread = float(np.abs(d["bdi_next"] - _BDI_MEAN).max()) * 1.1
        half = next((h for h in _HALF_HEIGHTS if h >= spread), spread)
        a["points"].axes.set_ylim(_BDI_MEAN - half, _BDI_MEAN + half)

    def _slope_text(self) -> str:
        s = self.slopes["slope"]
        return (
            f"fitted slopes: between {s['between']:+.1f}, within {s['within']:+.1f}, "
            f"pooled {s['pooled']:+.1f}"
        )

    def _status(self) -> str:
        b, w = self.controls["between"].value, self.controls["within"].value
        s = self.slopes["slope"]
        return (
            f"Fitted slopes (BDI-II points per WAI-SR point): between patients {s['between']:+.2f} "
            f"(set {b:+.1f}), within patients {s['within']:+.2f} (set {w:+.1f}), "
            f"pooled over all sessions {s['pooled']:+.2f}."
        )


def between_within_explorer(
    *, between: float = -4.0, within: float = 4.0, seed: int = 1
) -> BetweenWithinExplorer:
    """An explorer of between- and within-patient slopes that can disagree.

    Parameters
    ----------
    between, within : float
        Starting slopes in BDI-II points per WAI-SR point, in [-8, 8].
    seed : int, default 1
        Seed of the sample (:func:`two_level_sample`).

    Returns
    -------
    BetweenWithinExplorer
        Display it in a notebook for the live widget; ``draw(ax)`` gives the
        static figure.

    Examples
    --------
    >>> explorer = between_within_explorer()
    >>> explorer.controls["within"].value = -4     # now both levels agree
    >>> explorer.slopes["slope"].round(1).to_dict()
    {'between': -3.8, 'within': -4.0, 'pooled': -3.8}
    """
    return BetweenWithinExplorer(between=between, within=within, seed=seed)
