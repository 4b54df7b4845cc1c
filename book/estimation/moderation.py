r"""Moderation: for whom does the within-patient alliance effect matter most?

In the lagged model the within-patient effect of the alliance depends on
interpersonal problems (IIP) through the cross-level interaction,

.. math::

    \theta(\mathrm{IIP}) = b_W + b_{W\times I}\,(\mathrm{IIP} - c),

where :math:`c` is the sample mean IIP the model centred at. Its standard
error follows from the covariance of the two estimates,

.. math::

    \mathrm{SE}^2 = V_{WW} + (\mathrm{IIP}-c)^2 V_{II} + 2(\mathrm{IIP}-c) V_{WI}.

*Simple slopes* evaluate :math:`\theta` at chosen IIP values (Aiken & West
1991); the *Johnson–Neyman* technique solves for the IIP values where
:math:`|\theta/\mathrm{SE}|` equals the critical value, the boundaries of the
region where the effect is significant (Bauer & Curran 2005).

How often a study detects the interaction is a question for the Monte Carlo
runner (:mod:`book.montecarlo`), whose estimators ``multilevel_detrended``
and ``within_detrended_iip`` report the interaction as this model does,
``alliance_within:iip_c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from book._checks import check_level
from book.estimation.multilevel import LaggedModelResult

__all__ = ["JohnsonNeyman", "johnson_neyman", "simple_slopes"]


def _parts(result):
    if not isinstance(result, LaggedModelResult):
        raise TypeError(
            f"result must come from book.estimation.fit_lagged_model, got {type(result).__name__}"
        )
    w, x = result.predictor, f"{result.predictor}:{result.moderator}"
    cov = result.cov_fixed
    if x not in cov.index:
        raise ValueError(f"the model has no interaction term {x!r}")
    b = np.array([result.coef(w), result.coef(x)])
    V = cov.loc[[w, x], [w, x]].to_numpy()
    return b, V, result.centering["iip"]


def simple_slopes(result: LaggedModelResult, at=None, *, alpha: float = 0.05) -> pd.DataFrame:
    """The within-patient effect at chosen values of interpersonal problems.

    Parameters
    ----------
    result : LaggedModelResult
        A fit of :func:`book.estimation.fit_lagged_model` (it has the interaction).
    at : array_like, optional
        IIP values (IIP-32 item-mean scale). By default one SD below the mean,
        the mean and one SD above it, over the patients in the model.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        ``iip``, ``slope`` (outcome units per unit of the predictor: BDI-II
        points per WAI-SR point for the default direction), ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``; with the default ``at``, also a
        ``label`` column.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> from book.estimation.multilevel import fit_lagged_model
    >>> fit = fit_lagged_model(load_study())
    >>> simple_slopes(fit).round(2)
              label   iip  slope  std_error  ci_low  ci_high  p_value
    0   low (-1 SD)  1.08  -0.92       0.74   -2.37     0.54     0.22
    1          mean  1.59  -2.29       0.48   -3.22    -1.36     0.00
    2  high (+1 SD)  2.10  -3.67       0.58   -4.81    -2.53     0.00
    """
    b, V, center = _parts(result)
    alpha = check_level(alpha, "alpha")
    labels = None
    if at is None:
        iip = result.data.drop_duplicates("patient_id")["iip"]
        m, s = float(iip.mean()), float(iip.std())
        at = np.array([m - s, m, m + s])
        labels = ["low (-1 SD)", "mean", "high (+1 SD)"]
    at = np.atleast_1d(np.asarray(at, dtype=float))
    if at.ndim != 1 or not np.isfinite(at).all():
        raise ValueError("at must be a finite number or a 1-dimensional array of numbers")
    d = at - center
    slope = b[0] + b[1] * d
    se = np.sqrt(V[0, 0] + d**2 * V[1, 1] + 2 * d * V[0, 1])
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    out = pd.DataFrame(
        {
            "iip": at,
            "slope": slope,
            "std_error": se,
            "ci_low": slope - z * se,
            "ci_high": slope + z * se,
            "p_value": 2 * scipy.stats.norm.sf(np.abs(slope / se)),
        }
    )
    if labels is not None:
        out.insert(0, "label", labels)
    return out


@dataclass(frozen=True)
class JohnsonNeyman:
    """Where the within-patient effect is significant, as a function of IIP.

    Attributes
    ----------
    bounds : tuple of float
        The IIP values where the effect's confidence interval touches zero
        (zero, one or two of them).
    significant : list of tuple
        Intervals of IIP, ``(low, high)`` with infinite ends where open, on
        which the effect differs from zero.
    observed_range : tuple of float
        The lowest and highest IIP of the patients in the model.
    alpha : float
    """

    bounds: tuple[float, ...]
    significant: list[tuple[float, float]]
    observed_range: tuple[float, float]
    alpha: float

    def describe(self) -> str:
        """One sentence on where, within the observed IIP range, the effect is significant."""
        lo, hi = self.observed_range
        parts = []
        for a, b in self.significant:
            a2, b2 = max(a, lo), min(b, hi)
            if a2 < b2:
                if a2 == lo and b2 == hi:
                    parts.append(f"everywhere in the observed range {lo:.2f}-{hi:.2f}")
                elif a2 == lo:
                    parts.append(f"IIP below {b2:.2f}")
                elif b2 == hi:
                    parts.append(f"IIP above {a2:.2f}")
                else:
                    parts.append(f"IIP between {a2:.2f} and {b2:.2f}")
        level = f"{100 * (1 - self.alpha):.0f}%"
        if not parts:
            return f"nowhere in the observed IIP range ({lo:.2f}-{hi:.2f}) at the {level} level"
        return f"significant at the {level} level for " + " and ".join(parts)


def johnson_neyman(result: LaggedModelResult, *, alpha: float = 0.05) -> JohnsonNeyman:
    """The Johnson-Neyman region: IIP values where the within-patient effect is significant.

    Solves :math:`(b_W + b_{W\\times I} d)^2 = z^2 (V_{WW} + d^2 V_{II} + 2 d V_{WI})`
    for :math:`d = \\mathrm{IIP} - c`, a quadratic.

    Parameters
    ----------
    result : LaggedModelResult
        A fit of :func:`book.estimation.fit_lagged_model`.
    alpha : float, default 0.05
        Significance level (two-sided).

    Returns
    -------
    JohnsonNeyman

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> from book.estimation.multilevel import fit_lagged_model
    >>> jn = johnson_neyman(fit_lagged_model(load_study()))
    >>> [round(x, 2) for x in jn.bounds]
    [-1.24, 1.21]
    >>> jn.describe()
    'significant at the 95% level for IIP above 1.21'
    """
    b, V, center = _parts(result)
    alpha = check_level(alpha, "alpha")
    z2 = scipy.stats.norm.ppf(1 - alpha / 2) ** 2
    # a d^2 + b d + c >= 0  <=>  significant
    qa = b[1] ** 2 - z2 * V[1, 1]
    qb = 2 * (b[0] * b[1] - z2 * V[0, 1])
    qc = b[0] ** 2 - z2 * V[0, 0]
    disc = qb**2 - 4 * qa * qc
    iip = result.data.drop_duplicates("patient_id")["iip"]
    observed = (float(iip.min()), float(iip.max()))
    inf = np.inf
    if abs(qa) < 1e-15:
        if abs(qb) < 1e-15:
            bounds: tuple[float, ...] = ()
            significant = [(-inf, inf)] if qc >= 0 else []
        else:
            root = -qc / qb + center
            bounds = (float(root),)
            significant = [(float(root), inf)] if qb > 0 else [(-inf, float(root))]
    elif disc < 0:
        bounds = ()
        significant = [(-inf, inf)] if qa > 0 else []
    else:
        r = np.sort((-qb + np.array([-1.0, 1.0]) * np.sqrt(disc)) / (2 * qa)) + center
        bounds = (float(r[0]), float(r[1]))
        if qa > 0:  # significant outside the roots
            significant = [(-inf, bounds[0]), (bounds[1], inf)]
        else:  # significant between them
            significant = [bounds]
    return JohnsonNeyman(
        bounds=bounds, significant=significant, observed_range=observed, alpha=alpha
    )
