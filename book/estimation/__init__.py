"""Estimation: from observed session-by-session data to trait-like and state-like effects.

- :mod:`book.estimation.decomposition` -- between/within (trait/state) parts:
  person-mean centring, detrending, ICC, repeated-measures correlation
- :mod:`book.estimation.panel` -- lags by session number
- :mod:`book.estimation.within` -- closed-form within-patient (fixed-effects)
  estimators, vectorised over many studies
- :mod:`book.estimation.reml` -- fast restricted maximum likelihood for two-level models
- :mod:`book.estimation.multilevel` -- the lagged multilevel model (:func:`fit_lagged_model`)
- :mod:`book.estimation.fiml` -- full-information maximum likelihood for small
  structural equation models (path models) with missing data
- :mod:`book.estimation.riclpm` -- the random-intercept cross-lagged panel model
- :mod:`book.estimation.dynamic_panel` -- the ML-SEM dynamic panel model with fixed
  effects (Allison, Williams & Moral-Benito 2017)
- :mod:`book.estimation.moderation` -- simple slopes and the Johnson-Neyman region
- :mod:`book.estimation.nickell` -- the bias of the within estimator in short panels
"""

from book.estimation.decomposition import (
    detrend,
    icc,
    person_mean_center,
    person_mean_reliability,
    person_trends,
    within_correlation,
)
from book.estimation.dynamic_panel import (
    DynamicPanelResult,
    dynamic_panel_description,
    fit_dynamic_panel,
)
from book.estimation.moderation import JohnsonNeyman, johnson_neyman, simple_slopes
from book.estimation.multilevel import (
    LaggedModelResult,
    ModelFitWarning,
    build_model_frame,
    fit_lagged_model,
    fit_pooled_regression,
)
from book.estimation.nickell import nickell_bias
from book.estimation.panel import add_lags
from book.estimation.riclpm import (
    RiclpmResult,
    fit_riclpm,
    riclpm_description,
    riclpm_model,
    riclpm_paths,
)
from book.estimation.within import WithinFit, fit_within, within_formula, within_regression

__all__ = [
    "DynamicPanelResult",
    "JohnsonNeyman",
    "LaggedModelResult",
    "ModelFitWarning",
    "RiclpmResult",
    "WithinFit",
    "add_lags",
    "build_model_frame",
    "detrend",
    "dynamic_panel_description",
    "fit_dynamic_panel",
    "fit_lagged_model",
    "fit_pooled_regression",
    "fit_riclpm",
    "fit_within",
    "icc",
    "johnson_neyman",
    "nickell_bias",
    "person_mean_center",
    "person_mean_reliability",
    "person_trends",
    "riclpm_description",
    "riclpm_model",
    "riclpm_paths",
    "simple_slopes",
    "within_correlation",
    "within_formula",
    "within_regression",
]
