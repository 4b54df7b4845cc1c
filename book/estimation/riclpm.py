r"""The random-intercept cross-lagged panel model (RI-CLPM) of alliance and symptoms.

Hamaker, Kuiper & Grasman (2015) split each repeated measure into a stable,
patient-level random intercept and within-patient deviations, and let only
the deviations carry the lagged effects. With :math:`A_{it}` the alliance
after session :math:`t` and :math:`S_{it}` the symptoms before it,

.. math::

    A_{it} &= \mu^A_t + \kappa^A_i + a^*_{it}, \qquad
    S_{it} = \mu^S_t + \kappa^S_i + s^*_{it}, \\
    a^*_{it} &= \rho_A\, a^*_{i,t-1} + \gamma\, s^*_{i,t-1} + u_{it}, \\
    s^*_{it} &= \rho_S\, s^*_{i,t-1} + \beta\, a^*_{i,t-1} + v_{it},

with wave-specific means :math:`\mu_t`, correlated random intercepts
:math:`\kappa` and, here, lagged effects constrained equal over sessions.
Unlike the multilevel model with a lagged outcome, the model does not
centre on an observed person mean, so it does not suffer Nickell's bias
(Falkenström et al. 2022). It is fitted with semopy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from book._threads import single_thread
from book.simulation.study import Study

__all__ = ["RiclpmResult", "fit_riclpm", "riclpm_description"]

#: The lagged effects, named as in :class:`book.simulation.parameters.SimulationParameters`.
LAGGED_TERMS = ("alliance_ar", "symptoms_ar", "alliance_to_symptoms", "symptoms_to_alliance")


@dataclass(frozen=True, repr=False)
class RiclpmResult:
    """A fitted RI-CLPM.

    Attributes
    ----------
    estimates : pandas.DataFrame
        The four lagged effects in the scales' units: ``term``, ``estimate``,
        ``std_error``, ``ci_low``, ``ci_high``, ``p_value``.
        ``alliance_to_symptoms`` is in BDI-II points per WAI-SR point,
        ``symptoms_to_alliance`` in WAI-SR points per BDI-II point, the
        autoregressions are unitless.
    variance_components : pandas.DataFrame
        Variances of the random intercepts (raw units) and their correlation.
    description : str
        The model in semopy's (lavaan-like) syntax.
    data : pandas.DataFrame
        The wide data, one row per patient, columns ``A1, S1, A2, S2, ...``.
    converged : bool
        Whether semopy's optimiser reported success.
    messages : tuple of str
        Plain notes: missing data handling, problems found.
    n_patients, n_waves : int
    model : semopy.Model
        The fitted semopy model (on rescaled data; see Notes of :func:`fit_riclpm`).
    """

    estimates: pd.DataFrame
    variance_components: pd.DataFrame
    description: str
    data: pd.DataFrame
    converged: bool
    messages: tuple[str, ...]
    n_patients: int
    n_waves: int
    model: object = None

    def coef(self, term: str) -> float:
        """The estimate of one lagged effect."""
        table = self.estimates.set_index("term")
        if term not in table.index:
            raise KeyError(f"no term {term!r}; terms are {list(table.index)}")
        return float(table.loc[term, "estimate"])

    def summary(self) -> str:
        """Plain-text summary."""
        lines = [
            f"RI-CLPM of alliance and symptoms: {self.n_patients} patients, "
            f"{self.n_waves} sessions, lagged effects equal over sessions; "
            f"converged: {'yes' if self.converged else 'NO'}",
            "",
            self.estimates.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
            "",
            self.variance_components.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
        ]
        lines += [f"note: {m}" for m in self.messages]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def riclpm_description(n_waves: int) -> str:
    """The RI-CLPM in semopy syntax, lagged effects equal over waves.

    Parameters
    ----------
    n_waves : int
        Number of sessions (at least 3).

    Returns
    -------
    str
        Observed ``A1..AT`` (alliance) and ``S1..ST`` (symptoms); random
        intercepts ``RI_A``, ``RI_S``; within components ``wA1..``, ``wS1..``.

    Examples
    --------
    >>> print(riclpm_description(3).splitlines()[0])
    RI_A =~ 1*A1 + 1*A2 + 1*A3
    >>> [line for line in riclpm_description(3).splitlines() if line.startswith("wS3 ~ ")]
    ['wS3 ~ ar_s*wS2 + a_to_s*wA2']
    """
    if not isinstance(n_waves, (int, np.integer)) or n_waves < 3:
        raise ValueError(f"n_waves must be an integer of at least 3, got {n_waves!r}")
    T = int(n_waves)
    waves = range(1, T + 1)
    lines = [
        "RI_A =~ " + " + ".join(f"1*A{t}" for t in waves),
        "RI_S =~ " + " + ".join(f"1*S{t}" for t in waves),
    ]
    for t in waves:
        lines += [f"wA{t} =~ 1*A{t}", f"wS{t} =~ 1*S{t}"]
    for t in range(2, T + 1):
        lines += [
            f"wA{t} ~ ar_a*wA{t - 1} + s_to_a*wS{t - 1}",
            f"wS{t} ~ ar_s*wS{t - 1} + a_to_s*wA{t - 1}",
        ]
    for t in waves:
        lines += [f"A{t} ~~ 0*A{t}", f"S{t} ~~ 0*S{t}", f"wA{t} ~~ wS{t}"]
    lines += [
        "RI_A ~~ RI_S",
        "RI_A ~~ 0*wA1",
        "RI_A ~~ 0*wS1",
        "RI_S ~~ 0*wA1",
        "RI_S ~~ 0*wS1",
    ]
    return "\n".join(lines)


def _wide(df: pd.DataFrame, n_waves: int) -> pd.DataFrame:
    kept = df[df["session"].between(1, n_waves)]
    wide = kept.pivot(index="patient_id", columns="session", values=["alliance", "bdi"])
    wide.columns = [f"{'A' if v == 'alliance' else 'S'}{int(t)}" for v, t in wide.columns]
    cols = [f"{x}{t}" for t in range(1, n_waves + 1) for x in "AS"]
    return wide.reindex(columns=cols).astype("float64")


def fit_riclpm(data, *, n_waves: int | None = None, alpha: float = 0.05) -> RiclpmResult:
    """Fit a random-intercept cross-lagged panel model of alliance and symptoms.

    Parameters
    ----------
    data : Study or pandas.DataFrame
        A study, or a long table with ``patient_id``, ``session`` (integer),
        ``alliance`` (rated after the session) and ``bdi`` (reported before it).
    n_waves : int, optional
        Use sessions ``1..n_waves``; all sessions by default.
    alpha : float, default 0.05
        1 - confidence level of the intervals.

    Returns
    -------
    RiclpmResult
        The lagged effects in the scales' units (``estimates``), random-intercept
        variances, the semopy model and its syntax.

    Notes
    -----
    *Timing.* Wave :math:`t` pairs the symptoms reported before session
    :math:`t` with the alliance rated after it, so ``alliance_to_symptoms`` is
    the effect of the alliance after session :math:`t` on the symptoms before
    session :math:`t+1`.

    *Missing data.* The model is fitted by maximum likelihood to the
    covariance matrix of all available pairs (pairwise deletion), with the
    number of patients as the sample size. With data missing completely at
    random this is consistent; standard errors are slightly optimistic
    compared with full-information ML.

    *Scaling and optimiser.* semopy's optimisers stop far from the optimum
    when the variables' variances differ a hundredfold (BDI-II against
    WAI-SR), while reporting success. Each measure is therefore divided by
    its SD before fitting and the estimates are scaled back; the ML fit is
    invariant to such rescaling. On the rescaled data semopy's default
    (SLSQP) and L-BFGS-B reach the same optimum; L-BFGS-B needs about half
    the time, so it is used, with linear algebra on one thread (the
    matrices are small; several threads only wait for each other on a busy
    machine). A fit whose optimiser does not report success has
    ``converged=False`` and says so first in ``messages``.

    *Errors.* A measure that does not vary at all (for example a constant
    alliance) raises ``ValueError``: its scaling, and the model, need
    variation.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> fit = fit_riclpm(load_study())
    >>> fit.estimates["term"].tolist()
    ['alliance_ar', 'symptoms_ar', 'alliance_to_symptoms', 'symptoms_to_alliance']
    >>> round(fit.coef("alliance_to_symptoms"), 2), fit.converged
    (-1.79, True)
    """
    import semopy  # imported here: it is slow to import and only this function needs it

    if isinstance(data, Study):
        df = data.sessions
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise TypeError(
            f"data must be a book Study or a pandas DataFrame, got {type(data).__name__}"
        )
    needed = ["patient_id", "session", "alliance", "bdi"]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in data; the RI-CLPM needs {needed}; "
            f"available columns: {list(df.columns)}"
        )
    if df.duplicated(["patient_id", "session"]).any():
        raise ValueError("data has duplicate (patient_id, session) rows")
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    df = df[needed].astype({"alliance": "float64", "bdi": "float64"})
    max_session = int(df["session"].max())
    if n_waves is None:
        n_waves = max_session
    if not isinstance(n_waves, (int, np.integer)) or not 3 <= n_waves <= max_session:
        raise ValueError(
            f"n_waves must be an integer from 3 to the last session ({max_session}), "
            f"got {n_waves!r}"
        )
    sd = {
        "alliance": float(df["alliance"].std()),
        "bdi": float(df["bdi"].std()),
    }
    for col, value in sd.items():
        if not value > 0:
            raise ValueError(f"{col} does not vary; the RI-CLPM needs variation in it")
    wide = _wide(df, n_waves)
    scaled = wide.copy()
    for c in scaled.columns:
        scaled[c] = scaled[c] / (sd["alliance"] if c.startswith("A") else sd["bdi"])
    cov = scaled.cov()  # pairwise complete observations
    if cov.isna().any().any():
        raise ValueError("some pair of sessions is never observed together; use fewer waves")
    if np.linalg.eigvalsh(cov.to_numpy()).min() <= 0:
        raise ValueError(
            "the pairwise covariance matrix is not positive definite (too much missing "
            "data for this many sessions); use fewer waves"
        )
    n = len(wide)
    description = riclpm_description(n_waves)
    model = semopy.Model(description)
    # one thread: the model's matrices are small, and with more threads a busy
    # machine makes each fit up to ten times slower; and the optimiser stops at
    # slightly different points (fifth digit) with different thread counts, so
    # one thread also keeps the result the same in any process (joblib workers)
    with warnings.catch_warnings(), single_thread():
        warnings.simplefilter("ignore")
        res = model.fit(cov=cov, n_samples=n, solver="L-BFGS-B")
        est = model.inspect()

    def row(lval, rval, op):
        hit = est[(est["lval"] == lval) & (est["rval"] == rval) & (est["op"] == op)]
        return float(hit["Estimate"].iloc[0]), float(hit["Std. Err"].iloc[0])

    ratio = sd["bdi"] / sd["alliance"]
    lagged = {
        "alliance_ar": (row("wA2", "wA1", "~"), 1.0),
        "symptoms_ar": (row("wS2", "wS1", "~"), 1.0),
        "alliance_to_symptoms": (row("wS2", "wA1", "~"), ratio),
        "symptoms_to_alliance": (row("wA2", "wS1", "~"), 1.0 / ratio),
    }
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    records = []
    for term, ((b, se), factor) in lagged.items():
        b, se = b * factor, se * factor
        records.append(
            {
                "term": term,
                "estimate": b,
                "std_error": se,
                "ci_low": b - z * se,
                "ci_high": b + z * se,
                "p_value": float(2 * scipy.stats.norm.sf(abs(b / se))) if se > 0 else np.nan,
            }
        )
    var_a = row("RI_A", "RI_A", "~~")[0] * sd["alliance"] ** 2
    var_s = row("RI_S", "RI_S", "~~")[0] * sd["bdi"] ** 2
    cov_as = row("RI_A", "RI_S", "~~")[0] * sd["alliance"] * sd["bdi"]
    messages = [
        "fitted to the pairwise-complete covariance matrix (data assumed missing "
        "completely at random)"
    ]
    if var_a <= 0 or var_s <= 0:
        messages.append("a random-intercept variance is not positive (a Heywood case)")
    corr = cov_as / np.sqrt(var_a * var_s) if var_a > 0 and var_s > 0 else np.nan
    components = pd.DataFrame(
        {
            "component": [
                "random intercept variance, alliance (WAI-SR points^2)",
                "random intercept variance, symptoms (BDI-II points^2)",
                "random intercept correlation",
            ],
            "estimate": [var_a, var_s, corr],
        }
    )
    converged = bool(res.success)
    if not converged:
        messages.insert(0, "semopy's optimiser did not report success; do not trust the numbers")
    return RiclpmResult(
        estimates=pd.DataFrame(records),
        variance_components=components,
        description=description,
        data=wide,
        converged=converged,
        messages=tuple(messages),
        n_patients=n,
        n_waves=int(n_waves),
        model=model,
    )
