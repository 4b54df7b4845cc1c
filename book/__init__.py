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

Two private helpers serve every layer:

- :mod:`book._checks` -- argument checks shared by the public functions (their one home)
- :mod:`book._threads` -- one BLAS thread for the optimisers, so results do not
  depend on the machine's load

Maintainer and instructor tools that readers never import (the student
edition, per-student datasets and answer keys) live outside the package, in
``tools/``.

Each subpackage's docstring lists its modules. These lists are the package's
map: CONTRIBUTING.md shows them (``make docs`` copies them there), and a test
checks that they name every module and nothing else.
"""

__version__ = "0.1.0"
