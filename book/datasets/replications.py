"""Published model output the book reproduces: each number as printed, with its source.

A replication matches when the book's number, rounded to the digits the
source prints, is the printed number: ``|ours - printed|`` is at most half a
unit in the last printed place. The numbers are kept as the text the source
prints (``"-935.75"``), so the printed precision travels with them.

Analyses:

``btheb_intercept``
    Beat the Blues, random-intercept model fitted by maximum likelihood,
    ``lmer(bdi ~ bdi.pre + time + treatment + drug + length + (1 | subject),
    REML = FALSE)`` (Hothorn & Everitt 2014, section 13.3: Figure 13.2 and the
    ``anova()`` table before it).
``btheb_slope``
    The same with a random slope of time, ``(time | subject)``, and the
    likelihood-ratio test of the two (the same ``anova()`` table).
``sleepstudy``
    ``lmer(Reaction ~ Days + (Days | Subject))`` by REML, as ``summary()``
    prints it (Bates et al. 2015, section 5.2).
``sleepstudy_varcorr``
    The variance components of the same fit printed with more digits by
    ``as.data.frame(VarCorr(fm1))`` (Bates et al. 2015, section 5.2).

Every value was checked against the printed page: the handbook's chapter as
Debian's ``r-cran-hsaur3`` 1.0-13 ships it (``Ch_analysing_longitudinal_dataI.pdf``)
and the lme4 paper as ``r-cran-lme4`` 1.1-31 ships it (``lmer.pdf``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["ANALYSES", "compare_with_published", "published_output"]

_HE = "Hothorn & Everitt (2014)"
_BATES = "Bates et al. (2015)"
_FIG = "Figure 13.2"
_ANOVA = "section 13.3, anova(BtheB_lmer1, BtheB_lmer2)"
_SUMMARY = "section 5.2, summary(fm1)"
_VARCORR = "section 5.2, as.data.frame(VarCorr(fm1))"
_VC = "sleepstudy_varcorr"

# analysis, quantity (the book's name), label (lme4's), printed, source, where
_ROWS = [
    ("btheb_intercept", "Intercept", "(Intercept)", "5.59239", _HE, _FIG),
    ("btheb_intercept", "bdi_pre", "bdi.pre", "0.63968", _HE, _FIG),
    ("btheb_intercept", "time", "time", "-0.70476", _HE, _FIG),
    ("btheb_intercept", "treatment[T.BtheB]", "treatmentBtheB", "-2.32908", _HE, _FIG),
    ("btheb_intercept", "drug[T.Yes]", "drugYes", "-2.82495", _HE, _FIG),
    ("btheb_intercept", "length[T.>6m]", "length>6m", "0.19708", _HE, _FIG),
    ("btheb_intercept", "se:Intercept", "SE (Intercept)", "2.24244", _HE, _FIG),
    ("btheb_intercept", "se:bdi_pre", "SE bdi.pre", "0.07789", _HE, _FIG),
    ("btheb_intercept", "se:time", "SE time", "0.14639", _HE, _FIG),
    ("btheb_intercept", "se:treatment[T.BtheB]", "SE treatmentBtheB", "1.67036", _HE, _FIG),
    ("btheb_intercept", "se:drug[T.Yes]", "SE drugYes", "1.72684", _HE, _FIG),
    ("btheb_intercept", "se:length[T.>6m]", "SE length>6m", "1.63832", _HE, _FIG),
    ("btheb_intercept", "var:Intercept", "subject variance", "48.78", _HE, _FIG),
    ("btheb_intercept", "sd:Intercept", "subject SD", "6.984", _HE, _FIG),
    ("btheb_intercept", "var:residual", "residual variance", "25.14", _HE, _FIG),
    ("btheb_intercept", "sd:residual", "residual SD", "5.014", _HE, _FIG),
    ("btheb_intercept", "n_obs", "observations", "280", _HE, _FIG),
    ("btheb_intercept", "n_groups", "subjects", "97", _HE, _FIG),
    ("btheb_intercept", "loglik", "logLik", "-935.75", _HE, _ANOVA),
    ("btheb_intercept", "aic", "AIC", "1887.5", _HE, _ANOVA),
    ("btheb_intercept", "bic", "BIC", "1916.6", _HE, _ANOVA),
    ("btheb_intercept", "deviance", "deviance", "1871.5", _HE, _ANOVA),
    ("btheb_slope", "loglik", "logLik", "-935.52", _HE, _ANOVA),
    ("btheb_slope", "aic", "AIC", "1891.0", _HE, _ANOVA),
    ("btheb_slope", "bic", "BIC", "1927.4", _HE, _ANOVA),
    ("btheb_slope", "deviance", "deviance", "1871.0", _HE, _ANOVA),
    ("btheb_slope", "lr_chisq", "Chisq (against the intercept model)", "0.4542", _HE, _ANOVA),
    ("btheb_slope", "lr_df", "Df", "2", _HE, _ANOVA),
    ("btheb_slope", "lr_p", "Pr(>Chisq)", "0.7969", _HE, _ANOVA),
    ("sleepstudy", "Intercept", "(Intercept)", "251.41", _BATES, _SUMMARY),
    ("sleepstudy", "days", "Days", "10.47", _BATES, _SUMMARY),
    ("sleepstudy", "se:Intercept", "SE (Intercept)", "6.82", _BATES, _SUMMARY),
    ("sleepstudy", "se:days", "SE Days", "1.55", _BATES, _SUMMARY),
    ("sleepstudy", "var:Intercept", "Subject (Intercept) variance", "612.1", _BATES, _SUMMARY),
    ("sleepstudy", "sd:Intercept", "Subject (Intercept) SD", "24.74", _BATES, _SUMMARY),
    ("sleepstudy", "var:days", "Subject Days variance", "35.1", _BATES, _SUMMARY),
    ("sleepstudy", "sd:days", "Subject Days SD", "5.92", _BATES, _SUMMARY),
    ("sleepstudy", "cor:Intercept:days", "correlation", "0.07", _BATES, _SUMMARY),
    ("sleepstudy", "var:residual", "residual variance", "654.9", _BATES, _SUMMARY),
    ("sleepstudy", "sd:residual", "residual SD", "25.59", _BATES, _SUMMARY),
    ("sleepstudy", "reml_criterion", "REML criterion at convergence", "1743.6", _BATES, _SUMMARY),
    ("sleepstudy", "n_obs", "observations", "180", _BATES, _SUMMARY),
    ("sleepstudy", "n_groups", "subjects", "18", _BATES, _SUMMARY),
    (_VC, "var:Intercept", "(Intercept) vcov", "612.1002", _BATES, _VARCORR),
    (_VC, "var:days", "Days vcov", "35.0717", _BATES, _VARCORR),
    (_VC, "cov:Intercept:days", "(Intercept), Days vcov", "9.6044", _BATES, _VARCORR),
    (_VC, "var:residual", "Residual vcov", "654.9400", _BATES, _VARCORR),
    (_VC, "sd:Intercept", "(Intercept) sdcor", "24.740658", _BATES, _VARCORR),
    (_VC, "sd:days", "Days sdcor", "5.922138", _BATES, _VARCORR),
    (_VC, "cor:Intercept:days", "(Intercept), Days sdcor", "0.065551", _BATES, _VARCORR),
    (_VC, "sd:residual", "Residual sdcor", "25.591796", _BATES, _VARCORR),
]  # fmt: skip

#: The analyses with published output, in the order above.
ANALYSES = tuple(dict.fromkeys(row[0] for row in _ROWS))


def _decimals(printed: str) -> int:
    return len(printed.split(".", 1)[1]) if "." in printed else 0


def published_output(analysis: str) -> pd.DataFrame:
    """The published numbers of one analysis, as printed, with their source.

    Parameters
    ----------
    analysis : str
        One of :data:`ANALYSES`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quantity`` (the name :meth:`book.estimation.reml.RemlFit.summary`
        gives it): ``label`` (lme4's name), ``printed`` (the text as printed),
        ``value`` (as a number), ``decimals`` (digits after the point),
        ``source`` and ``where`` (figure or section and R call).

    Examples
    --------
    >>> published_output("btheb_slope").loc["loglik", ["printed", "where"]].tolist()
    ['-935.52', 'section 13.3, anova(BtheB_lmer1, BtheB_lmer2)']
    """
    if analysis not in ANALYSES:
        raise ValueError(f"analysis must be one of {list(ANALYSES)}, got {analysis!r}")
    rows = [r[1:] for r in _ROWS if r[0] == analysis]
    table = pd.DataFrame(rows, columns=["quantity", "label", "printed", "source", "where"])
    table.insert(3, "value", table["printed"].astype(float))
    table.insert(4, "decimals", table["printed"].map(_decimals))
    return table.set_index("quantity")


def compare_with_published(analysis: str, ours: Mapping[str, float]) -> pd.DataFrame:
    """Set the book's numbers beside the published ones, at the published precision.

    Parameters
    ----------
    analysis : str
        One of :data:`ANALYSES`.
    ours : mapping of str to float
        The book's value of every quantity of the analysis (e.g. a
        :meth:`RemlFit.summary <book.estimation.reml.RemlFit.summary>`
        Series); extra entries are ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by lme4's ``label``: ``published`` (as printed), ``book``
        (the book's value rounded to the same number of decimals, as text),
        ``difference`` (the book's unrounded value minus the printed one,
        shown to two significant digits: its last digits depend on where an
        optimiser stopped) and ``agrees`` (true when the unrounded difference
        is at most half a unit in the last printed place, i.e. the book's value
        rounds to the printed one).

    Raises
    ------
    ValueError
        If a published quantity has no value in ``ours``, or one is not finite.

    Examples
    --------
    >>> compare_with_published("btheb_slope", {"loglik": -935.5189, "aic": 1891.0378,
    ...     "bic": 1927.3857, "deviance": 1871.0378, "lr_chisq": 0.45416, "lr_df": 2,
    ...     "lr_p": 0.79686})[["published", "book", "agrees"]]
                                        published     book  agrees
    label
    logLik                                -935.52  -935.52    True
    AIC                                    1891.0   1891.0    True
    BIC                                    1927.4   1927.4    True
    deviance                               1871.0   1871.0    True
    Chisq (against the intercept model)    0.4542   0.4542    True
    Df                                          2        2    True
    Pr(>Chisq)                             0.7969   0.7969    True
    """
    table = published_output(analysis)
    missing = [q for q in table.index if q not in ours]
    if missing:
        raise ValueError(f"no value for {missing}; {analysis} needs {list(table.index)}")
    values = np.array([float(ours[q]) for q in table.index])
    if not np.isfinite(values).all():
        raise ValueError(f"the values for {analysis} must be finite numbers")
    difference = values - table["value"].to_numpy()
    # half a unit in the last printed place, with room for the binary representation
    half_unit = 0.5 * 10.0 ** -table["decimals"].to_numpy() * (1 + 1e-9)
    return pd.DataFrame(
        {
            "published": table["printed"].to_numpy(),
            "book": [f"{v:.{d}f}" for v, d in zip(values, table["decimals"], strict=True)],
            "difference": [float(f"{d:.2g}") for d in difference],
            "agrees": np.abs(difference) <= half_unit,
        },
        index=pd.Index(table["label"].to_numpy(), name="label"),
    )
