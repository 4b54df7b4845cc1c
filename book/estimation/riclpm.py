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
(Falkenström et al. 2022).

It is fitted by full-information maximum likelihood with
:mod:`book.estimation.fiml` (every observed session of every patient, as
lavaan's ``missing = "ml"``); fitting it to the pairwise-complete
covariance matrix instead is kept, for teaching, as ``missing="pairwise"``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from book.estimation.fiml import Path, PathModel, PathModelFit, fit_path_model
from book.simulation.study import Study

__all__ = [
    "SMALL_SAMPLE_PATIENTS",
    "LaggedEffectsFit",
    "RiclpmResult",
    "fit_riclpm",
    "lagged_effects_table",
    "small_sample_message",
    "riclpm_description",
    "riclpm_model",
    "riclpm_paths",
]

#: The lagged effects, named as in :class:`book.simulation.parameters.SimulationParameters`.
LAGGED_TERMS = ("alliance_ar", "symptoms_ar", "alliance_to_symptoms", "symptoms_to_alliance")

#: The labels of the lagged effects in the model syntax, by term.
_LABELS = {
    "alliance_ar": "ar_a",
    "symptoms_ar": "ar_s",
    "alliance_to_symptoms": "a_to_s",
    "symptoms_to_alliance": "s_to_a",
}

#: Below this many patients a fit says that its standard errors and p-values
#: are not to be trusted (Notes of :func:`fit_riclpm`: chosen by a coverage simulation).
SMALL_SAMPLE_PATIENTS = 100


class LaggedEffectsFit:
    """What the fits of cross-lagged panel models share: the table of lagged effects.

    Subclasses hold ``estimates`` (one row per term) and write ``summary()``.
    """

    def coef(self, term: str) -> float:
        """The estimate of one lagged effect."""
        table = self.estimates.set_index("term")
        if term not in table.index:
            raise KeyError(f"no term {term!r}; terms are {list(table.index)}")
        return float(table.loc[term, "estimate"])

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True, repr=False)
class RiclpmResult(LaggedEffectsFit):
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
        The model in lavaan syntax (:func:`riclpm_description`).
    data : pandas.DataFrame
        The wide data, one row per patient, columns ``A1, S1, A2, S2, ...``.
    converged : bool
        Whether the optimiser reached a maximum.
    messages : tuple of str
        Plain notes: missing data handling, sample size, problems found.
    n_patients, n_waves : int
    missing : str
        ``"fiml"`` or ``"pairwise"``.
    model : PathModelFit
        The fitted model: every parameter in the data's units, with its
        standard error, the log-likelihood, the implied moments.
    """

    estimates: pd.DataFrame
    variance_components: pd.DataFrame
    description: str
    data: pd.DataFrame
    converged: bool
    messages: tuple[str, ...]
    n_patients: int
    n_waves: int
    missing: str = "fiml"
    model: PathModelFit | None = None

    def summary(self) -> str:
        """Plain-text summary."""
        how = {
            "fiml": "full-information ML",
            "pairwise": "ML on pairwise covariances",
        }[self.missing]
        lines = [
            f"RI-CLPM of alliance and symptoms: {self.n_patients} patients, "
            f"{self.n_waves} sessions, lagged effects equal over sessions, {how}; "
            f"converged: {'yes' if self.converged else 'NO'}",
            "",
            self.estimates.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
            "",
            self.variance_components.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
        ]
        lines += [f"note: {m}" for m in self.messages]
        return "\n".join(lines)


def _check_waves(n_waves) -> int:
    if not isinstance(n_waves, numbers.Integral) or isinstance(n_waves, bool) or n_waves < 3:
        raise ValueError(
            f"n_waves must be an integer of at least 3 (three waves separate the stable "
            f"levels from the lagged effects), got {n_waves!r}"
        )
    return int(n_waves)


def riclpm_model(n_waves: int) -> PathModel:
    """The RI-CLPM as a path model: every loading, regression, variance and covariance.

    Parameters
    ----------
    n_waves : int
        Number of sessions (at least 3).

    Returns
    -------
    PathModel
        Observed ``A1, S1, ..., AT, ST``; latent ``RI_A``, ``RI_S``, ``wA1..wAT``,
        ``wS1..wST``. See :func:`riclpm_paths` for the table with each path's
        meaning.

    Examples
    --------
    >>> m = riclpm_model(3)
    >>> m.observed
    ('A1', 'S1', 'A2', 'S2', 'A3', 'S3')
    >>> len(m.free_parameters)  # 4 lagged effects, 3 intercept (co)variances, 3 per wave
    16
    """
    T = _check_waves(n_waves)
    waves = range(1, T + 1)
    paths: list[Path] = []
    for x, name in (("A", "alliance"), ("S", "symptoms")):
        paths += [
            Path(
                f"RI_{x}",
                "=~",
                f"{x}{t}",
                value=1.0,
                meaning=f"random intercept of the {name}: the patient's stable level, "
                f"the same at every session",
            )
            for t in waves
        ]
    for t in waves:
        for x, name in (("A", "alliance"), ("S", "symptoms")):
            paths.append(
                Path(
                    f"w{x}{t}",
                    "=~",
                    f"{x}{t}",
                    value=1.0,
                    meaning=f"within component: session {t}'s {name} minus the session "
                    f"mean and the patient's stable level",
                )
            )
    for t in range(2, T + 1):
        paths += [
            Path(
                f"wA{t}",
                "~",
                f"wA{t - 1}",
                label="ar_a",
                meaning="alliance autoregression (equal over sessions)",
            ),
            Path(
                f"wA{t}",
                "~",
                f"wS{t - 1}",
                label="s_to_a",
                meaning="cross-lag: symptoms at one session -> alliance at the next "
                "(equal over sessions)",
            ),
            Path(
                f"wS{t}",
                "~",
                f"wS{t - 1}",
                label="ar_s",
                meaning="symptoms autoregression (equal over sessions)",
            ),
            Path(
                f"wS{t}",
                "~",
                f"wA{t - 1}",
                label="a_to_s",
                meaning="cross-lag: alliance after one session -> symptoms before the "
                "next (equal over sessions)",
            ),
        ]
    for t in waves:
        paths += [
            Path(
                f"A{t}",
                "~~",
                f"A{t}",
                value=0.0,
                meaning="no residual: the score is mean + intercept + within component",
            ),
            Path(
                f"S{t}",
                "~~",
                f"S{t}",
                value=0.0,
                meaning="no residual: the score is mean + intercept + within component",
            ),
        ]
    for t in waves:
        what = "variance" if t == 1 else "residual (innovation) variance"
        paths += [
            Path(f"wA{t}", "~~", f"wA{t}", meaning=f"alliance within-component {what}"),
            Path(f"wS{t}", "~~", f"wS{t}", meaning=f"symptoms within-component {what}"),
            Path(
                f"wA{t}",
                "~~",
                f"wS{t}",
                meaning=f"within-session covariance of alliance and symptoms ({what})",
            ),
        ]
    paths += [
        Path("RI_A", "~~", "RI_A", meaning="variance of the patients' stable alliance levels"),
        Path("RI_S", "~~", "RI_S", meaning="variance of the patients' stable symptom levels"),
        Path("RI_A", "~~", "RI_S", meaning="covariance of the two stable levels"),
    ]
    for ri in ("RI_A", "RI_S"):
        for w in ("wA1", "wS1"):
            paths.append(
                Path(
                    ri,
                    "~~",
                    w,
                    value=0.0,
                    meaning="stable levels uncorrelated with the first within components",
                )
            )
    observed = tuple(f"{x}{t}" for t in waves for x in "AS")
    latent = ("RI_A", "RI_S", *(f"w{x}{t}" for t in waves for x in "AS"))
    return PathModel(observed=observed, latent=latent, paths=tuple(paths))


def riclpm_description(n_waves: int) -> str:
    """The RI-CLPM in lavaan syntax, lagged effects equal over waves.

    The syntax is complete: every loading, regression, variance and
    covariance of the model is written (fit it in lavaan with
    ``lavaan(model, data, missing = "ml", meanstructure = TRUE,
    int.ov.free = TRUE)``, which adds a free mean per observed score and
    nothing else). It is the model :func:`fit_riclpm` fits.

    *What the lines say.* ``RI_A`` and ``RI_S`` are the random intercepts:
    each patient's stable alliance and symptom levels, loading 1 on every
    session's score, so they are the same at every session and free to
    correlate with each other. ``wA1..`` and ``wS1..`` are the within
    components: the session's score minus the session mean and the
    patient's stable level, that is, the patient's state at that session.
    The observed scores have no residual of their own (``A1 ~~ 0*A1``):
    a score is its session mean, plus the stable level, plus the state.
    Only the within components carry the lagged effects, so the cross-lags
    are within-patient effects.

    *Constraints in words.* (1) Each lagged effect is the same at every pair
    of sessions (labels ``ar_a``, ``ar_s``, ``a_to_s``, ``s_to_a``). (2) The
    stable levels are uncorrelated with the first within components (lines
    ``RI_A ~~ 0*wA1``). (3) Loadings are fixed at 1, so a stable level
    shifts every session equally. Free: a mean per session and measure,
    the variances and covariance of the stable levels, the variances of
    the first within components and their covariance, and at each later
    session the variances and covariance of the innovations (what the
    lagged effects do not predict).

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
    return riclpm_model(n_waves).syntax()


def riclpm_paths(n_waves: int) -> pd.DataFrame:
    """Every path of the RI-CLPM, for a table or a path diagram.

    Parameters
    ----------
    n_waves : int
        Number of sessions (at least 3).

    Returns
    -------
    pandas.DataFrame
        One row per path, as in lavaan's parameter table: ``lhs``, ``op``
        (``=~`` loading, from ``lhs`` to ``rhs``; ``~`` regression, from ``rhs``
        to ``lhs``; ``~~`` variance or covariance), ``rhs``, ``label`` (equal labels
        are one parameter), ``free``, ``value`` (if fixed) and ``meaning``.

    Examples
    --------
    >>> paths = riclpm_paths(3)
    >>> paths[paths["op"] == "~"][["lhs", "rhs", "label"]].head(4).to_string(index=False)
    'lhs rhs  label\\nwA2 wA1   ar_a\\nwA2 wS1 s_to_a\\nwS2 wS1   ar_s\\nwS2 wA1 a_to_s'
    """
    return riclpm_model(n_waves).table()


def _measure(variable: str) -> str:
    """``"A"`` (alliance) or ``"S"`` (symptoms): the measure a model variable is in."""
    return variable.removeprefix("RI_").removeprefix("w")[0]


def lagged_effects_table(fit: PathModelFit, labels: dict, *, alpha: float) -> pd.DataFrame:
    """The tidy table of lagged effects: one row per term, Wald intervals and p-values.

    Parameters
    ----------
    fit : PathModelFit
    labels : dict
        Term -> label of its parameter in the model.
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``.
    """
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    records = []
    for term, label in labels.items():
        b, se = fit.estimate(label), fit.std_error(label)
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
    return pd.DataFrame(records)


def small_sample_message(n_patients: int) -> str:
    """What a fit on fewer than :data:`SMALL_SAMPLE_PATIENTS` patients says about itself.

    >>> small_sample_message(8)[:60]
    'only 8 patients: the standard errors, intervals and p-values'
    """
    return (
        f"only {n_patients} patients: the standard errors, intervals and p-values rest "
        f"on large-sample theory and are not trustworthy with fewer than "
        f"{SMALL_SAMPLE_PATIENTS} patients (their intervals cover the truth less often "
        "than they claim)"
    )


def _wide(df: pd.DataFrame, n_waves: int) -> pd.DataFrame:
    kept = df[df["session"].between(1, n_waves)]
    wide = kept.pivot(index="patient_id", columns="session", values=["alliance", "bdi"])
    wide.columns = [f"{'A' if v == 'alliance' else 'S'}{int(t)}" for v, t in wide.columns]
    cols = [f"{x}{t}" for t in range(1, n_waves + 1) for x in "AS"]
    return wide.reindex(columns=cols).astype("float64")


def _long_table(data) -> pd.DataFrame:
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
    df = df[needed].astype({"alliance": "float64", "bdi": "float64"})
    if np.isinf(df[["alliance", "bdi"]].to_numpy()).any():
        raise ValueError("alliance and bdi must be finite (or missing), not infinite")
    return df


def _panel(data, *, n_waves, alpha, model: str):
    """Check the arguments shared by the panel models; the wide data, waves and SDs.

    Returns the wide table (one row per patient, ``A1, S1, A2, ...``), the
    number of waves, and the SD of each measure over all sessions (``"A"``,
    ``"S"``), by which the models scale the data.
    """
    df = _long_table(data)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    max_session = int(df["session"].max()) if len(df) else 0
    if n_waves is None:
        n_waves = max_session
    if (
        not isinstance(n_waves, numbers.Integral)
        or isinstance(n_waves, bool)
        or not 3 <= n_waves <= max_session
    ):
        raise ValueError(
            f"n_waves must be an integer from 3 to the last session ({max_session}), "
            f"got {n_waves!r}"
        )
    n_waves = int(n_waves)
    sd = {"A": float(df["alliance"].std()), "S": float(df["bdi"].std())}
    for col, key in (("alliance", "A"), ("bdi", "S")):
        if not sd[key] > 0:
            raise ValueError(f"{col} does not vary; {model} needs variation in it")
    return _wide(df, n_waves), n_waves, sd


def fit_riclpm(
    data,
    *,
    n_waves: int | None = None,
    alpha: float = 0.05,
    missing: str = "fiml",
) -> RiclpmResult:
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
    missing : {"fiml", "pairwise"}, default "fiml"
        How missing sessions are handled: full-information maximum
        likelihood, or (for teaching why it fails) maximum likelihood on the
        pairwise-complete covariance matrix.

    Returns
    -------
    RiclpmResult
        The lagged effects in the scales' units (``estimates``), random-intercept
        variances, the fitted model and its syntax.

    Raises
    ------
    ValueError
        When the model cannot be fitted or identified: fewer than 3 waves,
        a measure that does not vary, a session or measure observed in fewer
        than two patients, or data whose likelihood has no proper maximum
        (the information matrix is not positive definite where the search
        ends; for example 8 patients over 12 sessions).

    Notes
    -----
    *Model.* See :func:`riclpm_description` for the syntax, the random
    intercepts, the within components and the constraints in words.

    *Timing.* Wave :math:`t` pairs the symptoms reported before session
    :math:`t` with the alliance rated after it, so ``alliance_to_symptoms`` is
    the effect of the alliance after session :math:`t` on the symptoms before
    session :math:`t+1`.

    *Missing data.* By default, full-information maximum likelihood: each
    patient contributes the likelihood of the sessions observed for them
    (:mod:`book.estimation.fiml`), which is unbiased when sessions are
    missing at random given the observed ones (dropout that depends on
    earlier observed scores included), and whose standard errors come
    from the observed information. ``missing="pairwise"`` fits the
    covariance matrix of all available pairs with the number of patients
    as the sample size: it treats the data as complete, is biased unless
    data are missing completely at random, and its intervals are too
    narrow.

    *Sample size.* Standard errors, intervals and p-values rest on
    large-sample theory. :data:`SMALL_SAMPLE_PATIENTS` (100) was chosen by
    a simulation of studies that follow the model (its own world: the
    simulator without individual symptom slopes, ruptures or effects that
    differ between patients, the alliance without measurement error; 12
    sessions, the default missing sessions; 200 studies per size;
    ``benchmarks/riclpm_coverage.py``). The 95% intervals of the four
    lagged effects covered the truth in 89-90% of the studies with 16
    patients, 89-92% with 24, 91-95% with 48, 93-95% with 96 and 94-96%
    with 240 (Monte Carlo SE about 2 points): from about 100 patients every
    coverage was within two Monte Carlo SEs of 95%. Below that the fit
    says so in ``messages``. With 16 patients 6% of the studies, with 8
    patients all of 20 tried, were refused: the likelihood has no proper
    maximum. The alliance -> symptoms estimate is also pulled towards zero
    in small studies (by about 0.3 BDI-II points per WAI-SR point with 24
    patients, 0.1 with 96, against standard errors of 0.9 and 0.5).

    *When the model is wrong.* The RI-CLPM assumes that each patient
    fluctuates around a stable level. In the default simulated world the
    symptoms follow patient-specific slopes, and the symptoms'
    autoregression comes out near 0.47 against a true 0.30 (240 patients);
    the cross-lags are barely affected. Measurement error in the WAI-SR
    pulls the alliance -> symptoms effect towards zero (bias about +0.38
    with 240 patients, intervals covering the truth in 69% of studies);
    with the error-free alliance it is recovered.

    *Scaling and optimiser.* Each measure is divided by its SD before
    fitting and the estimates are scaled back (the ML fit is invariant to
    such rescaling; it keeps the problem well conditioned). The pairwise
    fit is computed first and the FIML fit starts from it.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> fit = fit_riclpm(load_study())
    >>> fit.estimates["term"].tolist()
    ['alliance_ar', 'symptoms_ar', 'alliance_to_symptoms', 'symptoms_to_alliance']
    >>> round(fit.coef("alliance_to_symptoms"), 2), fit.converged
    (-2.9, True)
    >>> round(fit_riclpm(load_study(), missing="pairwise").coef("alliance_to_symptoms"), 2)
    -3.05
    """
    if missing not in ("fiml", "pairwise"):
        raise ValueError(f"missing must be 'fiml' or 'pairwise', got {missing!r}")
    wide, n_waves, sd = _panel(data, n_waves=n_waves, alpha=alpha, model="the RI-CLPM")
    model = riclpm_model(n_waves)
    scale = {v: sd[_measure(v)] for v in model.observed + model.latent}
    try:
        fit = fit_path_model(model, wide, missing=missing, scale=scale)
    except ValueError as err:
        if missing == "pairwise" and "pairwise covariance" in str(err):
            raise ValueError(
                f"{err}; too much missing data for this many sessions: use fewer waves "
                "(or missing='fiml')"
            ) from None
        raise ValueError(f"the RI-CLPM cannot be fitted to these data: {err}") from None

    estimates = lagged_effects_table(fit, _LABELS, alpha=alpha)
    var_a = fit.estimate("RI_A~~RI_A")
    var_s = fit.estimate("RI_S~~RI_S")
    cov_as = fit.estimate("RI_A~~RI_S")
    n = fit.n_rows
    messages = list(fit.messages)
    if missing == "fiml":
        messages.append(
            "fitted by full-information maximum likelihood: every observed session of "
            "every patient is used (unbiased if sessions are missing at random)"
        )
    else:
        messages.append(
            "fitted to the pairwise-complete covariance matrix (data assumed missing "
            "completely at random, and treated as complete: intervals too narrow)"
        )
    if n < SMALL_SAMPLE_PATIENTS:
        messages.append(small_sample_message(n))
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
    return RiclpmResult(
        estimates=estimates,
        variance_components=components,
        description=model.syntax(),
        data=wide,
        converged=fit.converged,
        messages=tuple(messages),
        n_patients=n,
        n_waves=n_waves,
        missing=missing,
        model=fit,
    )
