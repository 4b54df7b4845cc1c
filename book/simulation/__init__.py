"""Simulation: the data-generating process and the study it produces.

The first layer of the pipeline. Parameters (each with its unit and source)
go into the engine, which returns a :class:`Study`: the observed tables a
researcher would have, apart from the ground truth that generated them.

- :mod:`book.simulation.parameters` -- :class:`SimulationParameters`, :func:`describe_parameters`
- :mod:`book.simulation.engine` -- :func:`simulate`, :func:`true_effects`, :data:`CANONICAL_SEED`
- :mod:`book.simulation.study` -- :class:`Study` (observed tables) and :class:`Truth`
- :mod:`book.simulation.worlds` -- named worlds (presets) that referee the estimators, :func:`world`
- :mod:`book.simulation.representative` -- the rule that chose the canonical study's seed
  (:func:`representative_seed`)
- :mod:`book.simulation.describe` -- first summaries: attendance, missing data, ruptures
- :mod:`book.simulation.experiment` -- in-silico experiments: the same patients under two conditions
"""

from book.simulation.describe import (
    example_patients,
    missing_by_session,
    rupture_summary,
    ruptures_per_patient,
)
from book.simulation.engine import CANONICAL_SEED, simulate, true_effects
from book.simulation.experiment import (
    check_same_patients,
    effect_by_group,
    feedback_parameters,
    paired_outcomes,
    training_trial,
)
from book.simulation.parameters import SimulationParameters, describe_parameters
from book.simulation.study import WAI_ITEMS, WAI_SUBSCALES, Study, Truth
from book.simulation.worlds import WORLDS, describe_worlds, world

__all__ = [
    "CANONICAL_SEED",
    "SimulationParameters",
    "Study",
    "Truth",
    "WAI_ITEMS",
    "WAI_SUBSCALES",
    "WORLDS",
    "check_same_patients",
    "describe_parameters",
    "describe_worlds",
    "effect_by_group",
    "example_patients",
    "feedback_parameters",
    "missing_by_session",
    "paired_outcomes",
    "rupture_summary",
    "ruptures_per_patient",
    "simulate",
    "training_trial",
    "true_effects",
    "world",
]
