"""Named worlds: presets of the simulation that referee the book's estimators fairly.

A simulation that encodes one account of the alliance can only confirm the
estimators built for that account. Each world here is a different account of
how alliance and symptoms are related, written as changes to the review's
world (the defaults of :class:`SimulationParameters`), with the estimator
question it referees. An estimator that ranks first in every world, including
worlds its model does not match, has earned its place; one that wins only in
its own world has not.

>>> from book.simulation.worlds import world
>>> world("growth_causal").growth_to_symptom_slope
-8.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from book._checks import check_choice
from book.simulation.parameters import BDI_II_ALPHA, SimulationParameters

__all__ = ["BDI_II_ALPHA", "WORLDS", "World", "describe_worlds", "world"]

_NO_STATE_EFFECT = {
    "alliance_to_symptoms": 0.0,
    "alliance_to_symptoms_iip": 0.0,
    "alliance_to_symptoms_sd": 0.0,
}
# design choices of the worlds, each stated once and quoted from here
_GROWTH = {"alliance_growth_sd": 0.03, "growth_to_symptom_slope": -8.0}
_GROWTH_SHARE = SimulationParameters(**_GROWTH).growth_improvement_correlation() ** 2
_REVERSE = -0.15  # symptoms -> alliance, within the session and a session later
# dropout that responds to worsening; the base hazard is lowered so that about as
# many patients drop out as in the review's world (more for an observed worsening,
# which carries the BDI-II's measurement error and so varies more than the true one)
_DROPOUT = {"dropout_worsening_odds_ratio": 1.2, "dropout_hazard": 0.01}
_DROPOUT_MAR = {**_DROPOUT, "dropout_hazard": 0.008}


@dataclass(frozen=True)
class World:
    """A named account of how alliance and symptoms are related.

    Attributes
    ----------
    name : str
        Its key in :data:`WORLDS`.
    title : str
        The account in a few words.
    description : str
        What holds in this world, in a sentence or two.
    referees : str
        The estimator question it answers: which estimators should succeed
        or fail here, and why the book needs to know.
    changes : Mapping
        The parameters that differ from the review's world (the defaults).
    """

    name: str
    title: str
    description: str
    referees: str
    changes: Mapping = field(default_factory=dict)

    def __post_init__(self):
        # frozen all the way down, and checked once: an impossible preset fails on import
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))
        SimulationParameters(**self.changes)

    def params(self, **overrides) -> SimulationParameters:
        """The world's parameters, with any further changes (e.g. the design's size).

        Examples
        --------
        >>> WORLDS["riclpm"].params(n_therapists=60).n_patients
        480
        """
        return SimulationParameters(**{**self.changes, **overrides})


def _register(*worlds: World) -> Mapping[str, World]:
    return MappingProxyType({w.name: w for w in worlds})


#: The worlds, by name. ``"review"`` is the default world.
WORLDS: Mapping[str, World] = _register(
    World(
        name="review",
        title="the review's world",
        description=(
            "The defaults: trait-like alliance predicts improvement; a better-than-usual "
            "session lowers the next session's symptoms, more so with more interpersonal "
            "problems; symptoms weigh on the next session's alliance; ruptures, repaired "
            "more often by trained therapists; the alliance rises by a common trend and each "
            "patient's by a rate of their own; the BDI-II is measured with the error its "
            "published reliability implies."
        ),
        referees=(
            "Do the estimators recover the effects the book is about, in the world the "
            "review describes?"
        ),
    ),
    World(
        name="trait_only",
        title="trait only, no state-like effect",
        description=(
            "Patients with a higher trait-like alliance improve faster, but session-to-session "
            "changes in the alliance and in symptoms do not act on each other in either "
            "direction."
        ),
        referees=(
            "The false alarm: does an estimator of the within-patient effect stay at zero, "
            "and does its test reject no more often than its nominal 5%?"
        ),
        changes={**_NO_STATE_EFFECT, "symptoms_to_alliance": 0.0},
    ),
    World(
        name="growth_causal",
        title="growth is causal",
        description=(
            "Each patient's alliance grows at a rate of their own (SD "
            f"{_GROWTH['alliance_growth_sd']} WAI-SR points per session), and faster growth "
            f"makes symptoms fall faster ({-_GROWTH['growth_to_symptom_slope']:g} BDI-II "
            "points per session per WAI-SR point per session: growth explains "
            f"{_GROWTH_SHARE:.0%} of the differences in improvement). A single session's ups "
            "and downs do nothing."
        ),
        referees=(
            "Does a lagged within-patient estimator mistake growth-driven improvement for a "
            "session-to-session effect, and does removing the common trend (detrending) "
            "protect it when each patient's trend is their own?"
        ),
        changes={**_NO_STATE_EFFECT, **_GROWTH},
    ),
    World(
        name="symptoms_drive_alliance",
        title="symptoms drive the alliance, not the reverse",
        description=(
            "The alliance has no effect on symptoms. Symptoms weigh on the alliance, both "
            "on the alliance rated after the same session and a session later (each "
            f"{_REVERSE} within-patient SD of alliance per SD of symptoms)."
        ),
        referees=(
            "Reverse causation: does an estimator of the alliance's effect on next-session "
            "symptoms stay at zero when the dependence runs the other way, and does it "
            "find the reverse path?"
        ),
        changes={
            **_NO_STATE_EFFECT,
            "symptoms_to_alliance": _REVERSE,
            "symptoms_to_alliance_same_session": _REVERSE,
        },
    ),
    World(
        name="no_feedback",
        title="no feedback",
        description=(
            "The review's alliance effect on next-session symptoms, but symptoms do not act "
            "on the alliance: the effects run one way."
        ),
        referees=(
            "Do estimators that allow effects in both directions (the RI-CLPM) keep the "
            "alliance effect and find no reverse path, and do simpler ones that ignore "
            "feedback lose anything when there is none?"
        ),
        changes={"symptoms_to_alliance": 0.0},
    ),
    World(
        name="riclpm",
        title="the RI-CLPM's own world",
        description=(
            "A bivariate VAR(1) of alliance and symptoms around stable person levels and "
            "common means per session, with the same lagged effects for every patient: no "
            "ruptures, no patient-specific symptom slopes or alliance growth, no moderation, "
            "no error in the BDI-II. The questionnaires still measure the alliance with "
            "error, which the model does not include."
        ),
        referees=(
            "The RI-CLPM's home ground: with the error-free alliance its model holds and it "
            "should recover every lagged effect, so what it misses on the observed scores is "
            "the questionnaire's measurement error. A ranking that holds only in this world is "
            "built into the simulation, not found in it."
        ),
        changes={
            "alliance_to_symptoms_iip": 0.0,
            "alliance_to_symptoms_sd": 0.0,
            "rupture_rate": 0.0,
            "symptom_slope_sd": 0.0,
            "alliance_growth_sd": 0.0,
            "symptom_error_sd": 0.0,
        },
    ),
    World(
        name="dropout_at_random",
        title="dropout at random",
        description=(
            "Patients who last reported their symptoms getting worse are more likely to leave "
            "(odds ratio "
            f"{_DROPOUT['dropout_worsening_odds_ratio']} per BDI-II point per week beyond the "
            "average course); about as many drop out as in the review's world."
        ),
        referees=(
            "Dropout that depends on what was observed: likelihood-based estimators that use "
            "every observed session (full-information maximum likelihood, mixed models) "
            "should stay unbiased; do pairwise and complete-case ones?"
        ),
        changes={"dropout_mechanism": "mar", **_DROPOUT_MAR},
    ),
    World(
        name="dropout_not_at_random",
        title="dropout not at random",
        description=(
            "Patients are more likely to leave when their symptoms truly worsen in the week "
            "after a session, a worsening they never report (odds ratio "
            f"{_DROPOUT['dropout_worsening_odds_ratio']} per BDI-II point beyond the average "
            "course); about as many drop out as in the review's world."
        ),
        referees=(
            "Dropout that depends on what was not observed: no standard estimator is "
            "protected; how far does each drift, and does any analysis of the observed "
            "data reveal it?"
        ),
        changes={"dropout_mechanism": "mnar", **_DROPOUT},
    ),
)


def world(name: str, **overrides) -> SimulationParameters:
    """The parameters of a named world, with any further changes.

    Parameters
    ----------
    name : str
        A key of :data:`WORLDS` (see :func:`describe_worlds`).
    **overrides
        Further :class:`SimulationParameters` values, e.g. ``n_therapists``.

    Returns
    -------
    SimulationParameters

    Examples
    --------
    >>> p = world("symptoms_drive_alliance")
    >>> p.alliance_to_symptoms, p.symptoms_to_alliance_same_session
    (0.0, -0.15)
    >>> world("riclpm", n_sessions=8).n_sessions
    8
    >>> world("Review")
    Traceback (most recent call last):
    ...
    ValueError: world must be one of ['review', 'trait_only', ...], got 'Review'
    """
    return WORLDS[check_choice(name, "world", WORLDS)].params(**overrides)


def describe_worlds() -> pd.DataFrame:
    """A table of the named worlds: what each is, what it referees, how it differs.

    Returns
    -------
    pandas.DataFrame
        One row per world: ``world`` (its name), ``title``, ``description``,
        ``referees`` (the estimator question) and ``changes`` (the parameters
        that differ from the review's world, as ``name = value``).

    Examples
    --------
    >>> table = describe_worlds()
    >>> table[["world", "title"]].head(3)
              world                             title
    0        review               the review's world
    1    trait_only  trait only, no state-like effect
    2 growth_causal                  growth is causal
    """
    rows = [
        {
            "world": w.name,
            "title": w.title,
            "description": w.description,
            "referees": w.referees,
            "changes": "; ".join(f"{k} = {v}" for k, v in w.changes.items())
            or "none (the defaults)",
        }
        for w in WORLDS.values()
    ]
    return pd.DataFrame(rows)
