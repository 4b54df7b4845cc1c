"""The book's Python package: every computation the chapters show.

Modules, one concept each:

- :mod:`book.parameters` -- every simulation parameter, with unit and source
- :mod:`book.simulate` -- the data-generating process (``simulate``)
- :mod:`book.study` -- the ``Study`` object: observed tables apart from the truth
- :mod:`book.codebook` -- every column of every table, with type, unit and range
- :mod:`book.data` -- the committed canonical study (``load_study``)
- :mod:`book.describe` -- first summaries: attendance, missing data, ruptures
- :mod:`book.decompose` -- between/within (trait/state) parts: centering, detrending, ICC, rm-corr
- :mod:`book.literature` -- published effect sizes the chapters compare with, with sources
- :mod:`book.panel` -- calendar-aware lags of session-by-session data
- :mod:`book.nickell` -- the exact Nickell bias of the within estimator in short panels
- :mod:`book.reml` -- fast restricted maximum likelihood for two-level mixed models
- :mod:`book.models` -- the lagged multilevel model (``fit_lagged_model``)
- :mod:`book.riclpm` -- the random-intercept cross-lagged panel model (``fit_riclpm``)
- :mod:`book.moderation` -- simple slopes, Johnson-Neyman region, power of the interaction
- :mod:`book.montecarlo` -- repeated simulated studies: bias, RMSE and coverage of estimators
- :mod:`book.exercises` -- self-checks of coding exercises (right, or a hint)
- :mod:`book.classroom` -- a dataset and answer key per student, from a roster
- :mod:`book.editions` -- the student edition: the book without solutions
- :mod:`book.fixed_effects` -- fast within-patient estimators of the lagged alliance effect
- :mod:`book.power` -- designing a study: power, bias and coverage by Monte Carlo
- :mod:`book.plots` -- the book's figures and colour-blind-safe palette
- :mod:`book.scales` -- session alliance questionnaires: range, SD, reliability, cut-off
- :mod:`book.ruptures` -- rupture rules that use only earlier sessions, scored against the truth
- :mod:`book.session_file` -- reading a clinician's session file, accounting for every row
- :mod:`book.experiment` -- in-silico experiments: the same patients under two conditions
- :mod:`book.widgets` -- interactive explorers (ipywidgets): the study, between vs within,
  Nickell bias, moderation, study design, the session monitor
"""

__version__ = "0.1.0"
