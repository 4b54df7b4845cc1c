"""Monte Carlo: many simulated studies, every estimator held against the truth.

- :mod:`book.montecarlo.runner` -- the design runner: estimators, designs,
  replications and their summary with Monte Carlo standard errors
- :mod:`book.montecarlo.compare` -- the chapters' comparisons of estimators
"""
