"""The book's Python package: every computation the chapters show.

Modules, one concept each:

- :mod:`book.parameters` -- every simulation parameter, with unit and source
- :mod:`book.simulate` -- the data-generating process (``simulate``)
- :mod:`book.study` -- the ``Study`` object: observed tables apart from the truth
- :mod:`book.codebook` -- every column of every table, with type, unit and range
- :mod:`book.data` -- the committed canonical study (``load_study``)
- :mod:`book.describe` -- first summaries: attendance, missing data, ruptures
- :mod:`book.decompose` -- between/within (trait/state) parts: centering, detrending
- :mod:`book.panel` -- calendar-aware lags of session-by-session data
- :mod:`book.nickell` -- the exact Nickell bias of the within estimator in short panels
- :mod:`book.fixed_effects` -- fast within-patient estimators of the lagged alliance effect
- :mod:`book.power` -- designing a study: power, bias and coverage by Monte Carlo
- :mod:`book.plots` -- the book's figures and colour-blind-safe palette
"""

__version__ = "0.1.0"
