r"""The book's Monte Carlo results: what each stored table holds and how it is computed.

Every Monte Carlo number a chapter or an explorer quotes comes from one of the
tables defined here, computed once by ``make results`` with the one runner
(:func:`book.montecarlo.runner.replicate_designs`) and kept in ``data/results/``
(:mod:`book.montecarlo.store` writes and reads them). The replication counts
make each table's Monte Carlo standard errors small next to the digits the
chapters print: thousands of studies for the closed-form estimators, hundreds
for those fitted one study at a time (the multilevel model, the RI-CLPM).

Each :class:`ResultTable` names its designs, estimators, replications and
seed, so a table is a pure function of the code: :func:`compute_table` with
``scale=1`` recomputes it exactly, and with a small ``scale`` a subsample of
its replications (the tests compare that subsample with the stored table
within Monte Carlo error).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from book._checks import check_n_jobs
from book.estimation.moderation import johnson_neyman, simple_slopes
from book.estimation.multilevel import fit_lagged_model
from book.montecarlo.calibration import STATISTICS, summarize_statistics
from book.montecarlo.designs import autoregression_only
from book.montecarlo.estimators import ESTIMATORS, Estimator, Fits
from book.montecarlo.runner import replicate_designs
from book.montecarlo.summary import (
    patients_for_power,
    replication_outcomes,
    summarize_replications,
)
from book.simulation.engine import true_effects
from book.simulation.parameters import SimulationParameters
from book.simulation.representative import SEED_STATISTICS, seed_table
from book.simulation.worlds import WORLDS

__all__ = [
    "BIAS_SOURCES",
    "level_correlations",
    "mean_alliance_iip_r",
    "MEASURES",
    "RESULT_TABLES",
    "ResultTable",
    "compute_table",
    "moderation_truth",
]

#: The performance measures of every summary table, as
#: :func:`book.montecarlo.summary.summarize_replications` computes them.
MEASURES = (
    "truth",
    "n_reps",
    "n_failed",
    "mean_estimate",
    "bias",
    "bias_mcse",
    "emp_se",
    "emp_se_mcse",
    "model_se",
    "model_se_mcse",
    "rmse",
    "rmse_mcse",
    "coverage",
    "coverage_mcse",
    "power",
    "power_mcse",
    "wrong_sign",
    "singular",
)

#: Replications: closed-form estimators (vectorised), and those fitted one study at a time.
FAST_REPS = 2000
SLOW_REPS = 300

#: The estimators of the performance tables.
FAST = ("within", "within_iip", "within_detrended", "within_detrended_iip", "within_reverse")
SLOW = ("pooled", "multilevel", "multilevel_detrended", "multilevel_reverse", "riclpm")

#: Conditions of the bias-by-source table: the review's world with one
#: mechanism switched off at a time (``"alliance_latent"``: the error-free alliance).
BIAS_SOURCES: dict[str, dict] = {
    "all mechanisms": {},
    "no feedback": {"symptoms_to_alliance": 0.0, "symptoms_to_alliance_same_session": 0.0},
    "no common trend": {"alliance_trend": 0.0},
    "no own growth": {"alliance_growth_sd": 0.0},
    "no ruptures": {"rupture_rate": 0.0},
    "no error in the BDI-II": {"symptom_error_sd": 0.0},
    "no error in the WAI-SR": {"alliance_latent": True},
}

#: The power grid: patients (whole therapists of 8) and sessions.
POWER_PATIENTS = (40, 80, 120, 160, 240, 320, 480, 640)
POWER_SESSIONS = (4, 6, 8, 12, 16, 20)
#: The smaller grid of the estimators fitted one study at a time.
SLOW_POWER_PATIENTS = (80, 160, 240, 320, 480, 640)
RICLPM_POWER_PATIENTS = (24, 40, 64, 80, 120, 160)


@dataclass(frozen=True)
class _Run:
    """How a table is computed this time: the share of its replications, workers, a cache.

    ``scale`` is the share of every design's replications; ``slow_scale`` a
    further share for the estimators fitted one study at a time (at least 10
    replications per design either way).
    """

    scale: float = 1.0
    n_jobs: int | None = None
    progress: bool | None = None
    cache: dict = dataclasses.field(default_factory=dict, compare=False)
    slow_scale: float = 1.0

    def reps(self, n: int, *, slow: bool = False) -> int:
        share = self.scale * (self.slow_scale if slow else 1.0)
        return n if share == 1 else max(10, math.ceil(n * share))

    def replicate(self, designs, *, n_reps: int, seed: int, estimators, **kw) -> pd.DataFrame:
        """The runner, once per distinct call of a ``make results`` run."""
        if isinstance(estimators, str | Estimator) or callable(estimators):
            estimators = (estimators,)
        names = tuple(
            e if isinstance(e, str) else getattr(e, "name", None) or e.__name__ for e in estimators
        )
        n = self.reps(n_reps, slow=_fitted_one_study_at_a_time(estimators))
        key = (repr(designs), n, seed, names, repr(sorted(kw.items())))
        if key not in self.cache:
            self.cache[key] = replicate_designs(
                designs,
                n_reps=n,
                seed=seed,
                estimators=list(estimators),
                n_jobs=self.n_jobs,
                progress=self.progress,
                **kw,
            )
        return self.cache[key]


def _fitted_one_study_at_a_time(estimators) -> bool:
    """Whether any estimator is fitted study by study (not vectorised over panels)."""
    for e in estimators:
        e = ESTIMATORS.get(e) if isinstance(e, str) else e
        if not isinstance(e, Estimator) or e.data != "panels":
            return True
    return False


@dataclass(frozen=True)
class ResultTable:
    """One table of the results store.

    Attributes
    ----------
    name : str
        Its name: ``data/results/<name>.csv``.
    description : str
        What it holds, in a sentence.
    keys : tuple of str
        The columns that identify a row.
    compute : callable
        ``compute(run)``: the table (see :func:`compute_table`).
    settings : dict
        Seeds, replications, designs and estimators, as recorded in the store.
    used_by : tuple of str
        The chapters and explorers that quote it.
    compare : tuple of (str, str)
        Pairs of (value column, its Monte Carlo SE column) that a rerun on a
        subsample must reproduce within Monte Carlo error.
    columns : tuple of str
        Every column, in order; by default ``keys`` and the performance
        measures :data:`MEASURES`.
    """

    name: str
    description: str
    keys: tuple[str, ...]
    compute: Callable[[_Run], pd.DataFrame]
    settings: dict
    used_by: tuple[str, ...]
    compare: tuple[tuple[str, str], ...] = (("mean_estimate", "bias_mcse"),)
    columns: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.columns:
            object.__setattr__(self, "columns", (*self.keys, *MEASURES))


def _summary(reps: pd.DataFrame, keys) -> pd.DataFrame:
    table = summarize_replications(reps)
    return table[[*keys, *MEASURES]].reset_index(drop=True)


# --------------------------------------------------------------------------
# the tables


def _calibration(run: _Run) -> pd.DataFrame:
    fast = ["alliance_outcome_r", "alliance_outcome_r_sessions3to9"]
    parts = [
        run.replicate(
            SimulationParameters(),
            n_reps=FAST_REPS,
            seed=101,
            estimators=[STATISTICS[n] for n in fast],
        ),
        run.replicate(
            SimulationParameters(), n_reps=1000, seed=102, estimators=[STATISTICS["session_icc"]]
        ),
        run.replicate(
            SimulationParameters(),
            n_reps=SLOW_REPS,
            seed=103,
            estimators=[STATISTICS["riclpm_effects"]],
        ),
    ]
    return summarize_statistics(pd.concat(parts, ignore_index=True))


def _canonical_seeds(run: _Run) -> pd.DataFrame:
    return seed_table(n_candidates=1000)  # the rule's candidates, whatever the scale


def _world_designs() -> dict[str, SimulationParameters]:
    return {name: w.params() for name, w in WORLDS.items()}


def _performance(run: _Run) -> pd.DataFrame:
    designs = _world_designs()
    reps = pd.concat(
        [
            run.replicate(designs, n_reps=FAST_REPS, seed=201, estimators=FAST),
            run.replicate(designs, n_reps=SLOW_REPS, seed=201, estimators=SLOW),
        ],
        ignore_index=True,
    ).rename(columns={"label": "world"})
    return _summary(reps, ("world", "estimator", "term"))


def _bias_sources(run: _Run) -> pd.DataFrame:
    designs = {
        name: WORLDS["review"].params(**{k: v for k, v in change.items() if k != "alliance_latent"})
        for name, change in BIAS_SOURCES.items()
    }
    latent = [n for n, c in BIAS_SOURCES.items() if c.get("alliance_latent")]
    frames = []
    for alliance, names in (
        ("observed", [n for n in designs if n not in latent]),
        ("latent", latent),
    ):
        chosen = {n: designs[n] for n in names}
        for estimators, n_reps in ((FAST, FAST_REPS), (SLOW, SLOW_REPS)):
            frames.append(
                run.replicate(
                    chosen, n_reps=n_reps, seed=202, estimators=estimators, alliance=alliance
                )
            )
    reps = pd.concat(frames, ignore_index=True).rename(columns={"label": "condition"})
    return _summary(reps, ("condition", "estimator", "term"))


def _power_reps(run: _Run) -> pd.DataFrame:
    largest = SimulationParameters(
        n_therapists=max(POWER_PATIENTS) // 8, n_sessions=max(POWER_SESSIONS)
    )
    fast = run.replicate(
        largest,
        n_reps=FAST_REPS,
        seed=301,
        estimators=("within", "within_iip", "within_detrended", "within_detrended_iip"),
        nested={"n_patients": POWER_PATIENTS, "n_sessions": POWER_SESSIONS},
    )
    multilevel = run.replicate(
        largest.replace(n_sessions=12),
        n_reps=SLOW_REPS,
        seed=302,
        estimators=("multilevel", "multilevel_detrended"),
        nested={"n_patients": SLOW_POWER_PATIENTS, "n_sessions": (12,)},
    )
    # the RI-CLPM reports no moderation, and finds the effect with few patients
    riclpm = run.replicate(
        largest.replace(n_therapists=max(RICLPM_POWER_PATIENTS) // 8, n_sessions=12),
        n_reps=SLOW_REPS,
        seed=304,
        estimators=("riclpm",),
        nested={"n_patients": RICLPM_POWER_PATIENTS, "n_sessions": (12,)},
    )
    return pd.concat([fast, multilevel, riclpm], ignore_index=True)


def _power(run: _Run) -> pd.DataFrame:
    return _summary(_power_reps(run), ("n_patients", "n_sessions", "estimator", "term"))


#: Bootstrap resamples of the replications for the Monte Carlo interval of the
#: patients needed for 80% power.
BOOTSTRAP = 1000


def _patients_for_power(run: _Run) -> pd.DataFrame:
    reps = _power_reps(run)
    reps = reps[reps["term"].isin(["alliance_within", "alliance_within:iip_c"])]
    rng = np.random.default_rng(303)
    n_boot = BOOTSTRAP if run.scale == 1 else 50  # the store's at any slow_scale
    rows = []
    for (estimator, term), group in reps.groupby(["estimator", "term"], sort=False):
        point = patients_for_power(summarize_replications(group), term=term, estimator=estimator)
        # power of every design in every bootstrap resample of the replications
        rejected = group.assign(rejected=replication_outcomes(group)["rejected"].to_numpy())
        matrix = rejected.pivot_table(
            index=["n_patients", "n_sessions"], columns="replication", values="rejected"
        )
        designs = matrix.index.to_frame(index=False)
        values = matrix.to_numpy()
        n_reps = values.shape[1]
        draws = []
        for _ in range(n_boot):
            chosen = rng.integers(0, n_reps, n_reps)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a design no fit reached
                mean_rejected = np.nanmean(values[:, chosen], axis=1)
            power = designs.assign(power=mean_rejected, estimator=estimator, term=term)
            draws.append(patients_for_power(power, term=term)["n_patients"].to_numpy())
        draws = np.array(draws)
        for i, row in point.iterrows():
            boot = draws[:, i]
            finite = np.isfinite(boot).mean() > 0.975  # reached in (almost) every resample
            rows.append(
                {
                    "estimator": estimator,
                    "term": term,
                    "n_sessions": int(row["n_sessions"]),
                    "n_patients": row["n_patients"],
                    "mc_low": np.nanpercentile(boot, 2.5) if finite else np.nan,
                    "mc_high": np.nanpercentile(boot, 97.5) if finite else np.nan,
                    "reached_in_grid": bool(row["reached_in_grid"]),
                    "n_reps": n_reps,
                }
            )
    return pd.DataFrame(rows)


NICKELL_SESSIONS = (3, 4, 5, 6, 8, 10, 12, 16, 20, 30)


def _nickell(run: _Run) -> pd.DataFrame:
    designs = {}
    for process, values in (("pure AR(1)", autoregression_only(0.3)), ("review", {})):
        for t in NICKELL_SESSIONS:
            designs[f"{process}|{t}"] = SimulationParameters(
                **{**values, "n_sessions": t, "n_therapists": 25}
            )
    reps = run.replicate(
        designs, n_reps=FAST_REPS, seed=401, estimators=("within", "within_detrended")
    )
    reps = reps[reps["term"] == "bdi_c"]
    # the detrended estimator needs 4 sessions: with 3 it reports nothing
    reps = reps.assign(process=reps["label"].str.split("|").str[0])
    return _summary(reps, ("process", "n_patients", "n_sessions", "estimator", "term"))


_NO_STATE = {
    "alliance_to_symptoms": 0.0,
    "alliance_to_symptoms_iip": 0.0,
    "alliance_to_symptoms_sd": 0.0,
    "symptoms_to_alliance": 0.0,
}


def _trends(run: _Run) -> pd.DataFrame:
    designs = {
        "none|240": SimulationParameters(**_NO_STATE),
        "none|640": SimulationParameters(**_NO_STATE, n_therapists=80),
        "review|240": SimulationParameters(),
    }
    reps = run.replicate(
        designs, n_reps=FAST_REPS, seed=402, estimators=("within", "within_detrended")
    )
    reps = reps[reps["term"] == "alliance_within"]
    reps = reps.assign(effect=reps["label"].str.split("|").str[0])
    return _summary(reps, ("effect", "n_patients", "estimator", "term"))


#: Published designs: (study, patients, sessions tried).
PUBLISHED_DESIGNS = (
    ("Zilcha-Mano et al. 2014", 149, (4,)),
    ("Falkenström et al. 2016", 84, (6, 12)),
    ("Whelen et al. 2021", 191, (6, 12)),
    ("Falkenström et al. 2013", 646, (6, 12)),
)
#: Multiples of the default standardized alliance effect tried for each published design.
EFFECT_MULTIPLES = (0.5, 1.0, 1.5)


def _published_designs(run: _Run) -> pd.DataFrame:
    beta0 = SimulationParameters().alliance_to_symptoms
    designs = {}
    for study, patients, sessions in PUBLISHED_DESIGNS:
        for t in sessions:
            for m in EFFECT_MULTIPLES:
                designs[f"{study}|{t}|{m}"] = SimulationParameters(
                    n_therapists=patients,
                    patients_per_therapist=1,
                    n_sessions=t,
                    alliance_to_symptoms=round(m * beta0, 4),
                )
    reps = run.replicate(
        designs,
        n_reps=FAST_REPS,
        seed=403,
        estimators=("within", "within_iip", "within_detrended_iip"),
    )
    parts = reps["label"].str.split("|")
    reps = reps.assign(study=parts.str[0], effect_multiple=parts.str[2].astype(float))
    return _summary(
        reps, ("study", "n_patients", "n_sessions", "effect_multiple", "estimator", "term")
    )


def _large_studies(run: _Run) -> pd.DataFrame:
    large = SimulationParameters(n_therapists=250)
    reps = run.replicate(
        large,
        n_reps=50,
        seed=404,
        estimators=("pooled", "multilevel", "multilevel_detrended", "riclpm"),
        alliance="latent",
    )
    reps = reps[reps["term"] == "alliance_within"]
    return _summary(reps, ("n_patients", "alliance", "estimator", "term"))


# -- the moderation probed over many studies --------------------------------------


def moderation_truth(params: SimulationParameters | None = None) -> dict[str, float]:
    """The truths of the moderation probe: simple slopes at fixed IIP, the effect's zero crossing.

    The simple slopes are at the population's IIP mean and one SD either side
    (``iip_mean ± iip_sd``, in IIP-32 points); the zero crossing is the IIP at
    which the true average effect is zero.

    Examples
    --------
    >>> {k: round(v, 2) for k, v in moderation_truth(SimulationParameters()).items()}
    {'slope_low': -3.03, 'slope_mean': -4.87, 'slope_high': -6.71, 'zero_crossing': 0.28}
    """
    p = SimulationParameters() if params is None else params
    t = true_effects(p)
    main, per_point = t["alliance_within"], t["alliance_within:iip_c"]
    return {
        "slope_low": main - per_point * p.iip_sd,
        "slope_mean": main,
        "slope_high": main + per_point * p.iip_sd,
        "zero_crossing": p.iip_mean - main / per_point,
    }


_PROBE_TERMS = ("slope_low", "slope_mean", "slope_high", "zero_crossing", "jn_boundary")


def _probe(data: pd.DataFrame) -> Fits:
    """The detrended model of the moderation chapter, probed: simple slopes and Johnson-Neyman."""
    p = SimulationParameters()
    nan = np.full(len(_PROBE_TERMS), np.nan)
    try:
        fit = fit_lagged_model(data, detrend=True)
    except ValueError:
        return Fits(nan, nan.copy(), np.full(len(nan), np.inf))
    if not fit.converged:
        return Fits(nan, nan.copy(), np.full(len(nan), np.inf))
    at = [p.iip_mean - p.iip_sd, p.iip_mean, p.iip_mean + p.iip_sd]
    slopes = simple_slopes(fit, at=at)
    b = fit.fixed_effects.set_index("term")["estimate"]
    crossing = fit.centering["iip"] - b["alliance_within"] / b["alliance_within:iip_c"]
    jn = johnson_neyman(fit)
    lo, hi = jn.observed_range
    inside = [x for x in jn.bounds if lo < x < hi]
    boundary = inside[0] if len(inside) == 1 else np.nan
    estimate = np.r_[slopes["slope"].to_numpy(), crossing, boundary]
    se = np.r_[slopes["std_error"].to_numpy(), np.nan, np.nan]
    return Fits(estimate, se, np.full(len(estimate), np.inf))


PROBE = Estimator(
    "moderation_probe",
    _PROBE_TERMS,
    "long",
    _probe,
    "fit_lagged_model(detrend=True), then simple_slopes and johnson_neyman",
    "the moderation chapter's model probed: simple slopes at IIP mean and +-1 SD, the "
    "estimated zero crossing, the Johnson-Neyman boundary inside the observed IIP range",
)


def _moderation(run: _Run) -> pd.DataFrame:
    params = SimulationParameters()
    reps = run.replicate(params, n_reps=SLOW_REPS, seed=501, estimators=[PROBE])
    truth = moderation_truth(params)
    reps = reps.assign(truth=reps["term"].map(truth).astype(float))
    return _summary(reps, ("estimator", "term"))


def _training(run: _Run) -> pd.DataFrame:
    designs = {
        "canonical": SimulationParameters(),
        "planned": SimulationParameters(n_therapists=60, patients_per_therapist=20),
    }
    frames = [
        run.replicate(
            {"canonical": designs["canonical"]}, n_reps=1000, seed=601, estimators="training_trial"
        ),
        run.replicate(
            {"planned": designs["planned"]}, n_reps=SLOW_REPS, seed=602, estimators="training_trial"
        ),
    ]
    reps = pd.concat(frames, ignore_index=True).rename(columns={"label": "design_name"})
    return _summary(reps, ("design_name", "n_patients", "estimator", "term"))


# -- trait and state: functions of one simulated study ---------------------------


def level_correlations(study) -> dict[str, float]:
    """Between- and within-patient correlations of the alliance with next-session symptoms.

    ``between``: the correlation of the patients' mean alliance with their
    mean BDI-II before the next session; ``within``: the repeated-measures
    correlation (:func:`book.estimation.decomposition.within_correlation`) of
    the alliance after session t with the BDI-II before session t+1.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> {k: round(v, 2) for k, v in level_correlations(simulate(seed=1)).items()}
    {'between': -0.21, 'within': -0.18}
    """
    from book.estimation.decomposition import within_correlation
    from book.estimation.panel import add_lags

    sessions = study.sessions.assign(bdi=study.sessions["bdi"].astype("float64"))
    d = add_lags(sessions, "bdi", lead=True).dropna(subset=["alliance", "bdi_next"])
    means = d.groupby("patient_id")[["alliance", "bdi_next"]].mean()
    return {
        "between": float(means["alliance"].corr(means["bdi_next"])),
        "within": float(within_correlation(d, "alliance", "bdi_next")["r"].iloc[0]),
    }


def mean_alliance_iip_r(study) -> dict[str, float]:
    """The correlation of the patients' mean WAI-SR with their intake IIP-32, in one study.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> round(mean_alliance_iip_r(simulate(seed=1))["r"], 2)
    -0.08
    """
    means = study.sessions.groupby("patient_id")["alliance"].mean()
    return {"r": float(means.corr(study.patients.set_index("patient_id")["iip"]))}


#: The three worlds of the trait-and-state chapter.
TRAIT_STATE_WORLDS = {
    "review": {},
    "trait only": {
        "alliance_to_symptoms": 0.0,
        "alliance_to_symptoms_iip": 0.0,
        "alliance_to_symptoms_sd": 0.0,
    },
    "state only": {"r_trait_improvement": 0.0},
}


def _replication_rows(reps: pd.DataFrame, keys) -> pd.DataFrame:
    return reps[[*keys, "estimate"]].reset_index(drop=True)


def _trait_levels(run: _Run) -> pd.DataFrame:
    designs = {k: SimulationParameters(**v) for k, v in TRAIT_STATE_WORLDS.items()}
    reps = run.replicate(designs, n_reps=500, seed=701, estimators=[level_correlations])
    reps = reps.rename(columns={"label": "world", "term": "level"})
    return _replication_rows(reps, ("world", "replication", "level"))


def _trait_correlate(run: _Run) -> pd.DataFrame:
    reps = run.replicate(
        SimulationParameters(), n_reps=FAST_REPS, seed=702, estimators=[mean_alliance_iip_r]
    )
    return _replication_rows(reps, ("replication", "term"))


#: Every table of the results store, by name.
RESULT_TABLES: dict[str, ResultTable] = {
    t.name: t
    for t in (
        ResultTable(
            "calibration",
            "the calibration statistics of studies simulated with the defaults: mean, SD and "
            "Monte Carlo SE of each (book.montecarlo.calibration)",
            ("statistic",),
            _calibration,
            {
                "seeds": [101, 102, 103],
                "n_reps": {
                    "alliance_outcome_r": FAST_REPS,
                    "session_icc": 1000,
                    "riclpm_effects": SLOW_REPS,
                },
            },
            ("chapters/simulated_study",),
            (("mean", "mcse"),),
            ("statistic", "mean", "sd", "mcse", "n_reps"),
        ),
        ResultTable(
            "canonical_seeds",
            "the canonical study's rule: the data-generating statistics of the studies of "
            "seeds 0-999 and their distance from the average (book.simulation.representative)",
            ("seed",),
            _canonical_seeds,
            {"n_candidates": 1000},
            ("chapters/simulated_study",),
            (),
            ("seed", *SEED_STATISTICS, "distance"),
        ),
        ResultTable(
            "performance",
            "bias, RMSE, coverage and power of every estimator in every named world "
            "(book.simulation.worlds), observed WAI-SR",
            ("world", "estimator", "term"),
            _performance,
            {
                "seed": 201,
                "n_reps": {"closed-form": FAST_REPS, "one fit per study": SLOW_REPS},
                "estimators": [*FAST, *SLOW],
                "worlds": list(WORLDS),
            },
            ("chapters/lagged_models", "chapters/study_design", "chapters/moderation"),
            (("mean_estimate", "bias_mcse"), ("coverage", "coverage_mcse")),
        ),
        ResultTable(
            "bias_sources",
            "bias of each estimator in the review's world with one mechanism switched off "
            "at a time",
            ("condition", "estimator", "term"),
            _bias_sources,
            {
                "seed": 202,
                "n_reps": {"closed-form": FAST_REPS, "one fit per study": SLOW_REPS},
                "conditions": {k: v for k, v in BIAS_SOURCES.items()},
            },
            ("chapters/lagged_models",),
        ),
        ResultTable(
            "power",
            "power, bias and coverage over a grid of patients and sessions (the smaller "
            "designs on the first patients and sessions of the largest)",
            ("n_patients", "n_sessions", "estimator", "term"),
            _power,
            {
                "seeds": [301, 302, 304],
                "n_reps": {"closed-form": FAST_REPS, "one fit per study": SLOW_REPS},
                "patients": POWER_PATIENTS,
                "sessions": POWER_SESSIONS,
                "patients, multilevel (12 sessions)": SLOW_POWER_PATIENTS,
                "patients, RI-CLPM (12 sessions)": RICLPM_POWER_PATIENTS,
            },
            ("chapters/study_design", "chapters/moderation", "book.widgets.design"),
            (("mean_estimate", "bias_mcse"), ("power", "power_mcse")),
        ),
        ResultTable(
            "patients_for_power",
            "patients needed for 80% power, by estimator, term and sessions, with a 95% Monte "
            "Carlo interval (bootstrap over the replications of the power table)",
            ("estimator", "term", "n_sessions"),
            _patients_for_power,
            {"seeds": [301, 302, 303, 304], "bootstrap": BOOTSTRAP},
            ("chapters/study_design", "chapters/moderation", "book.widgets.design"),
            (),
            (
                "estimator",
                "term",
                "n_sessions",
                "n_patients",
                "mc_low",
                "mc_high",
                "reached_in_grid",
                "n_reps",
            ),
        ),
        ResultTable(
            "nickell",
            "bias of the within estimator's symptom autoregression by sessions, for a pure "
            "AR(1) and for the review's process",
            ("process", "n_patients", "n_sessions", "estimator", "term"),
            _nickell,
            {"seed": 401, "n_reps": FAST_REPS, "sessions": NICKELL_SESSIONS},
            ("chapters/lagged_models", "chapters/study_design"),
        ),
        ResultTable(
            "trends",
            "the within estimators with and without detrending when the alliance has no "
            "effect, at 240 and 640 patients, and in the review's world",
            ("effect", "n_patients", "estimator", "term"),
            _trends,
            {"seed": 402, "n_reps": FAST_REPS},
            ("chapters/study_design",),
            (("mean_estimate", "bias_mcse"), ("power", "power_mcse")),
        ),
        ResultTable(
            "published_designs",
            "power of published designs for the alliance effect (half, once and one and a "
            "half times the default) and its moderation",
            ("study", "n_patients", "n_sessions", "effect_multiple", "estimator", "term"),
            _published_designs,
            {
                "seed": 403,
                "n_reps": FAST_REPS,
                "designs": PUBLISHED_DESIGNS,
                "effect_multiples": EFFECT_MULTIPLES,
            },
            ("chapters/study_design",),
            (("power", "power_mcse"),),
        ),
        ResultTable(
            "large_studies",
            "the estimators of the lagged-models chapter on large studies (2,000 patients) "
            "with the error-free alliance",
            ("n_patients", "alliance", "estimator", "term"),
            _large_studies,
            {"seed": 404, "n_reps": 50},
            ("chapters/lagged_models",),
        ),
        ResultTable(
            "moderation",
            "the moderation chapter's model over many studies: simple slopes at fixed IIP, "
            "the zero crossing, the Johnson-Neyman boundary",
            ("estimator", "term"),
            _moderation,
            {"seed": 501, "n_reps": SLOW_REPS},
            ("chapters/moderation",),
        ),
        ResultTable(
            "training_trial",
            "trials of alliance-focused training analysed as a real trial would be, at the "
            "canonical size and a planned larger one",
            ("design_name", "n_patients", "estimator", "term"),
            _training,
            {"seeds": [601, 602], "n_reps": {"canonical": 1000, "planned": SLOW_REPS}},
            ("chapters/therapists",),
            (("mean_estimate", "bias_mcse"), ("power", "power_mcse")),
        ),
        ResultTable(
            "trait_levels",
            "the between- and within-patient correlations of the alliance with next-session "
            "symptoms in three worlds, one row per simulated study and level",
            ("world", "replication", "level"),
            _trait_levels,
            {"seed": 701, "n_reps": 500, "worlds": TRAIT_STATE_WORLDS},
            ("chapters/trait_state",),
            (),
            ("world", "replication", "level", "estimate"),
        ),
        ResultTable(
            "trait_correlate",
            "the correlation of the patients' mean alliance with interpersonal problems, one "
            "row per simulated study of the defaults",
            ("replication", "term"),
            _trait_correlate,
            {"seed": 702, "n_reps": FAST_REPS},
            ("chapters/trait_state",),
            (),
            ("replication", "term", "estimate"),
        ),
    )
}


def compute_table(
    name: str,
    *,
    scale: float = 1.0,
    n_jobs: int | None = None,
    progress: bool | None = None,
    cache: dict | None = None,
    slow_scale: float = 1.0,
) -> pd.DataFrame:
    """Compute one table of the store, in full or on a share of its replications.

    Parameters
    ----------
    name : str
        A key of :data:`RESULT_TABLES`.
    scale : float, default 1.0
        The share of the replications (at least 10 per design): 1 computes the
        stored table exactly; less, a subsample of the same replications.
    n_jobs, progress
        As in :func:`book.montecarlo.runner.replicate_designs`.
    cache : dict, optional
        Shared between calls, so that tables built on the same replications
        (``power`` and ``patients_for_power``) simulate them once.
    slow_scale : float, default 1.0
        A further share for the estimators fitted one study at a time (the
        multilevel model, the RI-CLPM), whose replications cost the most.

    Returns
    -------
    pandas.DataFrame
    """
    if name not in RESULT_TABLES:
        raise ValueError(f"unknown result table {name!r}; tables: {list(RESULT_TABLES)}")
    for label, value in (("scale", scale), ("slow_scale", slow_scale)):
        if not (isinstance(value, int | float) and 0 < value <= 1):
            raise ValueError(f"{label} must be a number in (0, 1], got {value!r}")
    run = _Run(
        slow_scale=float(slow_scale),
        scale=float(scale),
        n_jobs=check_n_jobs(n_jobs),
        progress=progress,
        cache={} if cache is None else cache,
    )
    return RESULT_TABLES[name].compute(run).reset_index(drop=True)
