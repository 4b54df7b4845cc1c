r"""Dynamic panel bias, explored: fewer sessions, a more biased within estimate.

Every update simulates symptoms that follow an autoregression around each
patient's own level, :math:`y_{it} = \mu_i + s_{it}` with
:math:`s_{it} = \rho\, s_{i,t-1} + e_{it}` started from its stationary
distribution, and an alliance that does not act on them, for the chosen number
of patients. It then fits the book's lagged fixed-effects model,
``bdi_next ~ bdi + alliance_within + C(patient_id)``
(:func:`book.estimation.within.within_regression`), to the first 3, 4, ..., 30
sessions of the same patients. The symptom coefficient is the within
(person-mean-centred) estimate of :math:`\rho`, drawn against the truth and the
exact large-sample value of Nickell (1981), :func:`book.estimation.nickell.nickell_bias`
(an alliance unrelated to the symptoms leaves that limit unchanged). The
random draws are made once, so moving a slider changes the parameters and
nothing else.

>>> from book.widgets.nickell import nickell_explorer
>>> explorer = nickell_explorer()
>>> round(explorer.estimate, 2), round(explorer.exact_bias, 3)
(0.19, -0.122)
>>> explorer.controls["sessions"].value = 30
>>> round(explorer.estimate, 2), round(explorer.exact_bias, 3)
(0.25, -0.045)
"""

from __future__ import annotations

import numbers

import numpy as np

from book._checks import check_count
from book.estimation.nickell import nickell_bias
from book.estimation.within import within_regression
from book.plots import COLORS
from book.widgets.explorer import Explorer, slider

__all__ = ["NickellExplorer", "nickell_explorer", "symptom_panel"]

#: What to try, and what to notice.
TRY_THIS = (
    "Cut the sessions to five and then add patients: the error bar shrinks around the "
    "wrong value, because the bias comes from short treatments, not from small samples."
)

MAX_SESSIONS = 30
MAX_PATIENTS = 2000


def symptom_panel(
    rho: float, n_patients: int, n_sessions: int, *, seed: int = 1981
) -> tuple[np.ndarray, np.ndarray]:
    r"""Simulate autoregressive symptoms around patient levels, and an alliance without effect.

    Symptoms (in within-patient SDs) are :math:`y_{it} = \mu_i + s_{it}` with
    :math:`s_{it} = \rho\, s_{i,t-1} + e_{it}`, :math:`e_{it} \sim N(0, 1)`,
    :math:`\mu_i \sim N(0, 1)`, and :math:`s_{i1}` drawn from the stationary
    distribution :math:`N(0, 1/(1-\rho^2))`. The alliance is the patient's own
    level plus independent session noise (WAI-SR-like: mean 3.9, SDs 0.55 and
    0.3); it neither acts on the symptoms nor responds to them. The draws
    depend only on ``seed``: the first ``n`` patients and ``T`` sessions are
    the same numbers whatever ``rho``, ``n_patients`` and ``n_sessions`` (up to
    2,000 patients and 30 sessions).

    Parameters
    ----------
    rho : float
        Autoregression, in (-1, 1).
    n_patients : int
        1 to 2,000.
    n_sessions : int
        2 to 30.
    seed : int, default 1981

    Returns
    -------
    symptoms, alliance : numpy.ndarray
        Each of shape ``(n_patients, n_sessions)``.

    Examples
    --------
    >>> symptoms, alliance = symptom_panel(0.5, n_patients=3, n_sessions=4)
    >>> symptoms.shape, alliance.shape
    ((3, 4), (3, 4))
    >>> bool(np.allclose(symptom_panel(0.5, 2, 4)[0], symptoms[:2]))   # the same patients
    True
    """
    if not isinstance(rho, numbers.Real) or not -1 < rho < 1:
        raise ValueError(f"rho must be a number in (-1, 1), got {rho!r}")
    for name, value, low, high in (
        ("n_patients", n_patients, 1, MAX_PATIENTS),
        ("n_sessions", n_sessions, 2, MAX_SESSIONS),
    ):
        if check_count(value, name, minimum=low) > high:
            raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    draws = _draws(seed)
    shocks = draws["shocks"][:n_patients, :n_sessions]
    s = np.empty((n_patients, n_sessions))
    s[:, 0] = draws["start"][:n_patients] / np.sqrt(1 - rho**2)
    for t in range(1, n_sessions):
        s[:, t] = rho * s[:, t - 1] + shocks[:, t]
    symptoms = draws["level"][:n_patients, None] + s
    alliance = 3.9 + 0.55 * draws["trait"][:n_patients, None]
    alliance = alliance + 0.3 * draws["state"][:n_patients, :n_sessions]
    return symptoms, alliance


_DRAW_CACHE: dict[int, dict[str, np.ndarray]] = {}


def _draws(seed: int) -> dict[str, np.ndarray]:
    if seed not in _DRAW_CACHE:
        rng = np.random.default_rng(seed)
        _DRAW_CACHE[seed] = {
            "level": rng.standard_normal(MAX_PATIENTS),
            "start": rng.standard_normal(MAX_PATIENTS),
            "shocks": rng.standard_normal((MAX_PATIENTS, MAX_SESSIONS)),
            "trait": rng.standard_normal(MAX_PATIENTS),
            "state": rng.standard_normal((MAX_PATIENTS, MAX_SESSIONS)),
        }
    return _DRAW_CACHE[seed]


class NickellExplorer(Explorer):
    """Number of sessions, true autoregression and patients in; the within estimate out.

    Parameters
    ----------
    sessions : int, default 12
        Sessions per patient (3 to 30).
    rho : float, default 0.3
        True autoregression (-0.5 to 0.9).
    patients : int, default 500
        Patients (50 to 2,000).
    seed : int, default 1981
        Seed of the draws (:func:`symptom_panel`).

    Attributes
    ----------
    estimate, std_error : float
        The within estimate of the autoregression at the chosen number of
        sessions (the ``bdi`` coefficient of
        :func:`book.estimation.within.within_regression`), and its classical SE.
    estimates : numpy.ndarray
        The within estimate for every number of sessions in :attr:`session_grid`
        (the same patients, their first sessions).
    exact_bias, approximate_bias : float
        :func:`book.estimation.nickell.nickell_bias` at the chosen setting.
    """

    title = "Dynamic panel (Nickell) bias"
    try_this = TRY_THIS
    figsize = (7.0, 3.8)
    margins = {"left": 0.12, "bottom": 0.14, "right": 0.97, "top": 0.95}
    session_grid = np.arange(3, MAX_SESSIONS + 1)

    def __init__(
        self, *, sessions: int = 12, rho: float = 0.3, patients: int = 500, seed: int = 1981
    ):
        self.seed = seed
        self._start = {"sessions": sessions, "rho": rho, "patients": patients}
        super().__init__()

    def _controls(self):
        v = self._start
        return [
            (
                "sessions",
                slider("sessions per patient", v["sessions"], 3, MAX_SESSIONS, 1, integer=True),
            ),
            ("rho", slider("true autoregression ρ", v["rho"], -0.5, 0.9, 0.05)),
            ("patients", slider("patients", v["patients"], 50, MAX_PATIENTS, 50, integer=True)),
        ]

    def _compute(self) -> None:
        T = int(self.controls["sessions"].value)
        rho = float(self.controls["rho"].value)
        n = int(self.controls["patients"].value)
        symptoms, alliance = symptom_panel(rho, n, MAX_SESSIONS, seed=self.seed)
        fits = np.array([self._within(symptoms[:, :t], alliance[:, :t]) for t in self.session_grid])
        self.rho, self.sessions, self.patients = rho, T, n
        self.estimates, self.std_errors = fits[:, 0], fits[:, 1]
        k = int(np.flatnonzero(self.session_grid == T)[0])
        self.estimate, self.std_error = float(fits[k, 0]), float(fits[k, 1])
        self.exact_bias = float(nickell_bias(rho, T))
        self.approximate_bias = float(nickell_bias(rho, T, approximate=True))

    @staticmethod
    def _within(symptoms, alliance) -> tuple[float, float]:
        """The symptom coefficient of the lagged fixed-effects model, and its classical SE."""
        fit = within_regression(symptoms, alliance, cov_type="classical")
        return float(fit.estimate[0]), float(fit.std_error[0])

    # -- the view -------------------------------------------------------------------------
    def _create_artists(self, ax):
        grid = self.session_grid
        (truth,) = ax.plot([], [], color=COLORS["truth"], lw=1.5)
        (exact,) = ax.plot([], [], color=COLORS["alliance"], lw=2)
        (approx,) = ax.plot([], [], color=COLORS["alliance"], lw=1.2, ls="--")
        others = ax.scatter([], [], s=14, color="0.55", zorder=3)
        (interval,) = ax.plot([], [], color=COLORS["estimate"], lw=2.5, zorder=4)
        (point,) = ax.plot([], [], "o", color=COLORS["estimate"], ms=8, zorder=5)
        label = ax.text(
            0.98,
            0.04,
            "",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9},
        )
        ax.set(
            xlim=(grid[0] - 1, grid[-1] + 1),
            ylim=(-1.05, 1.05),
            xlabel="sessions per patient",
            ylabel="autoregression",
        )
        ax.legend(
            handles=[truth, exact, approx, others, point],
            labels=[
                "truth ρ",
                "ρ + exact bias (Nickell 1981)",
                "ρ + first-order approximation",
                "within estimates, other lengths",
                "within estimate (95% CI)",
            ],
            loc="upper left",
            fontsize="x-small",
            ncol=2,
        )
        return {
            "truth": truth,
            "exact": exact,
            "approx": approx,
            "others": others,
            "interval": interval,
            "point": point,
            "label": label,
        }

    def _set_artists(self, a) -> None:
        grid = self.session_grid
        fine = np.arange(3, MAX_SESSIONS + 0.01, 1)
        rho = self.rho
        a["truth"].set_data([grid[0] - 1, grid[-1] + 1], [rho, rho])
        a["exact"].set_data(fine, rho + nickell_bias(rho, fine.astype(int)))
        a["approx"].set_data(fine, rho + nickell_bias(rho, fine.astype(int), approximate=True))
        a["others"].set_offsets(np.column_stack([grid, self.estimates]))
        half = 1.96 * self.std_error
        a["interval"].set_data([self.sessions] * 2, [self.estimate - half, self.estimate + half])
        a["point"].set_data([self.sessions], [self.estimate])
        a["label"].set_text(
            f"{self.sessions} sessions, {self.patients} patients: estimate "
            f"{self.estimate:.2f}\nbias {self.estimate - rho:+.3f} (exact formula "
            f"{self.exact_bias:+.3f})"
        )

    def _status(self) -> str:
        half = 1.96 * self.std_error
        return (
            f"True ρ = {self.rho:.2f}. Within estimate with {self.sessions} sessions and "
            f"{self.patients} patients: {self.estimate:.3f} (95% CI {self.estimate - half:.3f} "
            f"to {self.estimate + half:.3f}), a bias of {self.estimate - self.rho:+.3f}.\n"
            f"Large-sample bias: exact {self.exact_bias:+.3f}, first-order approximation "
            f"-(1 + ρ)/(T - 1) = {self.approximate_bias:+.3f}."
        )


def nickell_explorer(
    *, sessions: int = 12, rho: float = 0.3, patients: int = 500, seed: int = 1981
) -> NickellExplorer:
    """An explorer of the dynamic panel bias of the within estimator.

    Parameters
    ----------
    sessions : int, default 12
        Sessions per patient, 3 to 30.
    rho : float, default 0.3
        True autoregression, -0.5 to 0.9.
    patients : int, default 500
        50 to 2,000.
    seed : int, default 1981

    Returns
    -------
    NickellExplorer
        Display it in a notebook for the live widget; ``draw(ax)`` gives the
        static figure.

    Examples
    --------
    >>> explorer = nickell_explorer(sessions=5)
    >>> round(explorer.exact_bias, 2), round(explorer.estimate - explorer.rho, 2)
    (-0.34, -0.38)
    """
    return NickellExplorer(sessions=sessions, rho=rho, patients=patients, seed=seed)
