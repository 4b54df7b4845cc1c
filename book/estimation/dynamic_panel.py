r"""The ML-SEM dynamic panel model with fixed effects (Allison, Williams & Moral-Benito 2017).

An economist's answer to the same question as the RI-CLPM. For the effect of
the alliance on next-session symptoms, with :math:`S_{it}` the symptoms
before session :math:`t` and :math:`A_{it}` the alliance after it,

.. math::

    S_{it} = \nu_t + \rho_S S_{i,t-1} + \beta A_{i,t-1} + \alpha_i + \varepsilon_{it},
    \qquad t = 2, \dots, T,

with a session-specific intercept :math:`\nu_t`, one autoregression and one
cross-lagged effect for all sessions, and a *fixed effect* :math:`\alpha_i`:
everything stable about the patient that moves their symptoms, allowed to
correlate freely with every alliance rating and with the first symptom
score. Unlike the multilevel model, the model is written in levels and
never centres on a patient mean, so it has no Nickell bias; unlike the
RI-CLPM it assumes nothing about how the alliance itself evolves: the
alliance is *predetermined* (sequentially exogenous), uncorrelated with the
symptom shocks :math:`\varepsilon` of later sessions but free to react to
earlier ones, which is how the reverse effect, symptoms on later alliance,
is allowed for.

Allison, Williams & Moral-Benito (2017, *Socius* 3) show that this model is
estimated by maximum likelihood as a structural equation model (ML-SEM),
with less bias and more efficiency than the Arellano-Bond GMM estimators;
it is what Stata's ``xtdpdml`` (with Stata's ``sem``) and R's ``dpm`` package (with
lavaan) fit. As there:

- the fixed effect is a latent variable with loading 1 on :math:`S_2, \dots,
  S_T` and free covariances with :math:`S_1` and every :math:`A_t`;
- :math:`S_1` is not modelled (it is exogenous, correlated freely with the
  alliance ratings and the fixed effect);
- the error of :math:`S_t` is free to correlate with the alliance ratings
  that can react to it;
- error variances differ between sessions; the lagged effects do not.

The reverse direction, symptoms on the next alliance rating, is the same
model with the roles exchanged (``direction="symptoms_to_alliance"``):
:math:`A_{it} = \nu_t + \rho_A A_{i,t-1} + \gamma S_{i,t-1} + \alpha_i +
\varepsilon_{it}`, with the symptoms predetermined. Each direction is fitted
as its own model, as ``xtdpdml`` and ``dpm`` fit one dependent variable at a
time, by full-information maximum likelihood (:mod:`book.estimation.fiml`).
The predictor's last session predicts nothing and is left out.

*Timing, a design choice.* Here the error of the outcome at session
:math:`t` may correlate with the predictor at session :math:`t` and at every
later session. For the symptoms equation that is the feedback the model
exists for (the alliance after session :math:`t` is rated after the
symptoms before it). For the alliance equation it also lets the symptoms
reported before session :math:`t` covary with the alliance shock of the
same session, as the RI-CLPM's within-session covariance does. (``dpm``
frees these covariances for later waves only: it assumes that a wave's
predictor does not react to the same wave's shock.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from book.estimation.fiml import Path, PathModel, PathModelFit, fit_path_model
from book.estimation.riclpm import (
    _LABELS,
    SMALL_SAMPLE_PATIENTS,
    LaggedEffectsFit,
    _check_waves,
    _panel,
    lagged_effects_table,
    small_sample_message,
)

__all__ = [
    "DIRECTIONS",
    "DynamicPanelResult",
    "dynamic_panel_description",
    "dynamic_panel_model",
    "fit_dynamic_panel",
]

#: The two directions, each a model of its own, with their terms (autoregression, cross-lag).
DIRECTIONS = {
    "alliance_to_symptoms": ("symptoms_ar", "alliance_to_symptoms"),
    "symptoms_to_alliance": ("alliance_ar", "symptoms_to_alliance"),
}


@dataclass(frozen=True, repr=False)
class DynamicPanelResult(LaggedEffectsFit):
    """A fitted ML-SEM dynamic panel model (one or both directions).

    Attributes
    ----------
    estimates : pandas.DataFrame
        The lagged effects in the scales' units: ``term``, ``estimate``,
        ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` (the terms and units of
        :class:`book.estimation.riclpm.RiclpmResult`).
    description : dict of str
        The lavaan syntax of each direction's model.
    data : pandas.DataFrame
        The wide data, one row per patient, columns ``A1, S1, A2, S2, ...``.
    converged : bool
        Whether every model's optimiser reached a maximum.
    messages : tuple of str
        Plain notes: missing data handling, sample size, problems found.
    n_patients, n_waves : int
    models : dict of PathModelFit
        The fitted models, by direction.
    """

    estimates: pd.DataFrame
    description: dict
    data: pd.DataFrame
    converged: bool
    messages: tuple[str, ...]
    n_patients: int
    n_waves: int
    models: dict

    def summary(self) -> str:
        """Plain-text summary."""
        lines = [
            f"ML-SEM dynamic panel model with fixed effects: {self.n_patients} patients, "
            f"{self.n_waves} sessions, {len(self.models)} direction(s), full-information ML; "
            f"converged: {'yes' if self.converged else 'NO'}",
            "",
            self.estimates.to_string(index=False, float_format=lambda x: f"{x:.4f}"),
        ]
        lines += [f"note: {m}" for m in self.messages]
        return "\n".join(lines)


def dynamic_panel_model(n_waves: int, direction: str = "alliance_to_symptoms") -> PathModel:
    """The ML-SEM dynamic panel model of one direction as a path model.

    Parameters
    ----------
    n_waves : int
        Number of sessions (at least 3).
    direction : {"alliance_to_symptoms", "symptoms_to_alliance"}
        Which measure is the outcome: symptoms (alliance predetermined) or the
        alliance (symptoms predetermined).

    Returns
    -------
    PathModel
        Observed: the outcome at every session and the predictor at sessions
        ``1..T-1`` (named ``A1.., S1..`` as in :func:`book.estimation.riclpm.riclpm_model`);
        latent: the fixed effect ``alpha``. :meth:`PathModel.table` lists each
        path with its meaning.

    Examples
    --------
    >>> m = dynamic_panel_model(4)
    >>> print("\\n".join(m.syntax().splitlines()[:4]))
    S2 ~ ar_s*S1 + a_to_s*A1
    S3 ~ ar_s*S2 + a_to_s*A2
    S4 ~ ar_s*S3 + a_to_s*A3
    alpha =~ 1*S2 + 1*S3 + 1*S4
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {list(DIRECTIONS)}, got {direction!r}")
    T = _check_waves(n_waves)
    ar_term, cross_term = DIRECTIONS[direction]
    y, x = ("S", "A") if direction == "alliance_to_symptoms" else ("A", "S")
    names = {"S": "symptoms", "A": "alliance"}
    outcome, predictor = names[y], names[x]
    ar, cross = _LABELS[ar_term], _LABELS[cross_term]
    paths: list[Path] = []
    for t in range(2, T + 1):
        paths += [
            Path(f"{y}{t}", "~", f"{y}{t - 1}", label=ar, meaning=f"{outcome} autoregression"),
            Path(
                f"{y}{t}",
                "~",
                f"{x}{t - 1}",
                label=cross,
                meaning=f"cross-lag: {predictor} -> {outcome} at the next session",
            ),
        ]
    paths += [
        Path(
            "alpha",
            "=~",
            f"{y}{t}",
            value=1.0,
            meaning=f"fixed effect: everything stable about the patient that moves the {outcome}",
        )
        for t in range(2, T + 1)
    ]
    exogenous = [f"{y}1"] + [f"{x}{t}" for t in range(1, T)]
    paths.append(Path("alpha", "~~", "alpha", meaning="variance of the fixed effects"))
    paths += [
        Path("alpha", "~~", v, meaning="fixed effect free to correlate with it") for v in exogenous
    ]
    for i, a in enumerate(exogenous):
        for b in exogenous[: i + 1]:
            paths.append(
                Path(
                    a,
                    "~~",
                    b,
                    meaning="exogenous and predetermined scores: free (co)variances",
                )
            )
    for t in range(2, T + 1):
        paths.append(Path(f"{y}{t}", "~~", f"{y}{t}", meaning=f"error variance of the {outcome}"))
    for t in range(2, T + 1):
        paths += [
            Path(
                f"{y}{t}",
                "~~",
                f"{x}{s}",
                meaning=f"predetermined {predictor}: free to react to the {outcome} shock "
                f"of session {t}",
            )
            for s in range(t, T)
        ]
    observed = tuple(f"{v}{t}" for t in range(1, T + 1) for v in "AS" if not (v == x and t == T))
    return PathModel(observed=observed, latent=("alpha",), paths=tuple(paths))


def dynamic_panel_description(n_waves: int, direction: str = "alliance_to_symptoms") -> str:
    """The ML-SEM dynamic panel model of one direction in lavaan syntax.

    Complete, like :func:`book.estimation.riclpm.riclpm_description`: fit it
    in lavaan with ``lavaan(model, data, missing = "ml", meanstructure =
    TRUE, int.ov.free = TRUE, fixed.x = FALSE)``.

    Examples
    --------
    >>> print(dynamic_panel_description(3, "symptoms_to_alliance").splitlines()[0])
    A2 ~ ar_a*A1 + s_to_a*S1
    """
    return dynamic_panel_model(n_waves, direction).syntax()


def fit_dynamic_panel(
    data,
    *,
    direction: str | None = None,
    n_waves: int | None = None,
    alpha: float = 0.05,
) -> DynamicPanelResult:
    """Fit the ML-SEM dynamic panel model with fixed effects (Allison et al. 2017).

    Parameters
    ----------
    data : Study or pandas.DataFrame
        A study, or a long table with ``patient_id``, ``session`` (integer),
        ``alliance`` (rated after the session) and ``bdi`` (reported before it).
    direction : {"alliance_to_symptoms", "symptoms_to_alliance"}, optional
        Fit one direction only; both by default (two models).
    n_waves : int, optional
        Use sessions ``1..n_waves``; all sessions by default.
    alpha : float, default 0.05
        1 - confidence level of the intervals.

    Returns
    -------
    DynamicPanelResult
        ``estimates`` with the terms of :func:`book.estimation.riclpm.fit_riclpm`
        (only those of the direction asked for).

    Raises
    ------
    ValueError
        When the model cannot be fitted or identified (see
        :func:`book.estimation.fiml.fit_path_model`).

    Notes
    -----
    What each coefficient estimates: ``alliance_to_symptoms`` is the change
    in next-session BDI-II points per WAI-SR point of alliance, holding the
    symptoms before the session and the patient's fixed effect constant;
    ``symptoms_ar`` is the symptoms' autoregression net of the fixed effect.
    Both are within-patient quantities, as in the RI-CLPM; the two models
    differ in what they assume about the rest (the RI-CLPM models the
    alliance's own dynamics and the stable levels as random intercepts, the
    ML-SEM leaves the predictor's process and its relation to the fixed
    effect unrestricted). Missing sessions are handled by full-information
    maximum likelihood. Standard errors are from the observed information
    and rest on large-sample theory: the fit says so below
    :data:`book.estimation.riclpm.SMALL_SAMPLE_PATIENTS` patients.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> fit = fit_dynamic_panel(load_study())
    >>> fit.estimates["term"].tolist()
    ['alliance_ar', 'symptoms_ar', 'alliance_to_symptoms', 'symptoms_to_alliance']
    >>> round(fit.coef("alliance_to_symptoms"), 2), fit.converged
    (-2.15, True)
    """
    directions = list(DIRECTIONS) if direction is None else [direction]
    for d in directions:
        if d not in DIRECTIONS:
            raise ValueError(f"direction must be one of {list(DIRECTIONS)}, got {d!r}")
    wide, n_waves, sd = _panel(data, n_waves=n_waves, alpha=alpha, model="the model")
    fits: dict[str, PathModelFit] = {}
    tables = []
    for d in directions:
        model = dynamic_panel_model(n_waves, d)
        outcome = "S" if d == "alliance_to_symptoms" else "A"
        scale = {v: sd[v[0]] for v in model.observed} | {"alpha": sd[outcome]}
        try:
            fit = fit_path_model(model, wide[list(model.observed)], scale=scale)
        except ValueError as err:
            raise ValueError(
                f"the dynamic panel model ({d}) cannot be fitted to these data: {err}"
            ) from None
        fits[d] = fit
        tables.append(
            lagged_effects_table(fit, {t: _LABELS[t] for t in DIRECTIONS[d]}, alpha=alpha)
        )
    order = {t: i for i, t in enumerate(("alliance_ar", "symptoms_ar") + tuple(DIRECTIONS))}
    estimates = pd.concat(tables, ignore_index=True)
    estimates = estimates.sort_values("term", key=lambda s: s.map(order), ignore_index=True)
    n = max(f.n_rows for f in fits.values())
    messages = [m for f in fits.values() for m in f.messages]
    messages.append(
        "fitted by full-information maximum likelihood: every observed session of every "
        "patient is used (unbiased if sessions are missing at random)"
    )
    if n < SMALL_SAMPLE_PATIENTS:
        messages.append(small_sample_message(n))
    return DynamicPanelResult(
        estimates=estimates,
        description={d: f.model.syntax() for d, f in fits.items()},
        data=wide,
        converged=all(f.converged for f in fits.values()),
        messages=tuple(messages),
        n_patients=n,
        n_waves=n_waves,
        models=fits,
    )
