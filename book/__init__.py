"""The book's Python package: every computation the chapters show.

The subpackages follow the pipeline, and imports run one way, from top to
bottom:

- :mod:`book.simulation` -- parameters, the data-generating process, the ``Study``
- :mod:`book.datasets` -- the committed data, loaded through validated readers;
  published effect sizes
- :mod:`book.estimation` -- trait/state decomposition, lags, within estimators,
  the lagged multilevel model, the RI-CLPM, moderation, Nickell bias
- :mod:`book.montecarlo` -- many simulated studies: every estimator against the truth
- :mod:`book.practice` -- scales, rupture rules, a clinician's session file
- :mod:`book.teaching` -- self-checks of the exercises
- :mod:`book.widgets` -- the interactive explorers (ipywidgets)
- :mod:`book.plots` -- the book's figures and colour-blind-safe palette

Maintainer and instructor tools that readers never import (the student
edition, per-student datasets and answer keys) live outside the package, in
``tools/``.
"""

__version__ = "0.1.0"
