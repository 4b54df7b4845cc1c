"""Monte Carlo: many simulated studies, every estimator held against the truth.

One runner, one registry of estimators, one summary:

- :mod:`book.montecarlo.designs` -- designs (worlds) as ``SimulationParameters``,
  grids of them, and the random-number stream of each (:func:`design_grid`,
  :func:`autoregression_only`)
- :mod:`book.montecarlo.panels` -- the data of many replications at once,
  observed or error-free (:func:`simulate_panels`, :func:`error_free_alliance`)
- :mod:`book.montecarlo.estimators` -- the registry :data:`ESTIMATORS`, whose
  terms are those of the multilevel model and of
  :func:`book.simulation.engine.true_effects` (:func:`describe_estimators`,
  :func:`as_estimator` for a reader's own analysis)
- :mod:`book.montecarlo.runner` -- the runner: :func:`replicate_designs` (one
  row per replication, estimator and term) and :func:`run_design_study` (summarized)
- :mod:`book.montecarlo.summary` -- performance measures with their Monte Carlo
  standard errors (:func:`summarize_replications`), and reading power off them
  (:func:`patients_for_power`, :func:`plot_power`)
- :mod:`book.montecarlo.calibration` -- calibration on the observed scale: the
  statistics of simulated studies that reproduce published figures
  (:func:`calibration_table`, :func:`calibrate`)
- :mod:`book.montecarlo.results` -- the tables of the results store: what each
  holds, its designs, replications and seeds (:data:`RESULT_TABLES`)
- :mod:`book.montecarlo.store` -- the results store in ``data/results/``:
  :func:`load_results` (checks hashes and codebook), ``make results``
"""

from book.montecarlo.designs import as_designs, autoregression_only, design_grid, design_key
from book.montecarlo.estimators import (
    ESTIMATORS,
    RICLPM_TERMS,
    Estimator,
    Fits,
    as_estimator,
    describe_estimators,
)
from book.montecarlo.panels import Panels, chunk_seed, error_free_alliance, simulate_panels
from book.montecarlo.runner import replicate_designs, run_design_study
from book.montecarlo.store import load_results
from book.montecarlo.summary import patients_for_power, plot_power, summarize_replications

__all__ = [
    "ESTIMATORS",
    "RICLPM_TERMS",
    "Estimator",
    "Fits",
    "Panels",
    "as_designs",
    "as_estimator",
    "autoregression_only",
    "chunk_seed",
    "describe_estimators",
    "design_grid",
    "design_key",
    "error_free_alliance",
    "load_results",
    "patients_for_power",
    "plot_power",
    "replicate_designs",
    "run_design_study",
    "simulate_panels",
    "summarize_replications",
]
