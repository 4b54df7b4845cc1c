r"""The data-generating process of the simulated therapy study.

Therapists treat patients in weekly sessions. Before each session the patient
reports symptoms (BDI-II); after it, the alliance (WAI-SR). Time index
:math:`t = 0` is the intake assessment, :math:`t = 1, \dots, T` the sessions.

For patient :math:`i` the latent alliance after session :math:`t` is

.. math::

    A_{it} = \tau_i + (\delta + g_i)(t - 1) + \sigma_A a_{it} + r_{it},

the trait-like level :math:`\tau_i` (the capacity at the outset), a common
trend :math:`\delta`, the patient's own growth :math:`g_i` around it (SD
``alliance_growth_sd``; 0 by default), a state-like fluctuation :math:`a_{it}`
(standardized) and the drop :math:`r_{it}` left by ruptures. The latent
symptoms before session :math:`t` are

.. math::

    S_{it} = \mu_i + \lambda_i t + \sigma_S s_{it},

a patient trajectory (intake level :math:`\mu_i`, slope :math:`\lambda_i`,
steeper for higher :math:`\tau_i` and, if ``growth_to_symptom_slope``
:math:`\kappa \ne 0`, for faster alliance growth: :math:`\lambda_i` contains
:math:`\kappa g_i`) and a fluctuation :math:`s_{it}`. The fluctuations follow
a within-patient cross-lagged process,

.. math::

    s_{it} &= \rho_S s_{i,t-1} + \beta_i (a_{i,t-1} + r_{i,t-1}/\sigma_A) + v_{it} \\
    a_{it} &= \rho_A a_{i,t-1} + \gamma s_{i,t-1} + \gamma_0 s_{it} + u_{it},

so the alliance after one session moves the symptoms reported before the next
(:math:`\beta_i`, stronger with more interpersonal problems), symptoms move
the alliance a session later (:math:`\gamma`) and, if
``symptoms_to_alliance_same_session`` :math:`\gamma_0 \ne 0`, also the alliance
rated after the same session. Innovation variances are solved per patient so
that, without ruptures, :math:`a` and :math:`s` have unit stationary variance:
``state_sd`` and ``symptom_state_sd`` are exactly the within-patient SDs of the
state-like parts, whatever :math:`\gamma_0`
(:meth:`SimulationParameters.state_transition` gives the implied VAR(1)).

Observed scores: WAI-SR items are the latent alliance plus item noise, rounded
to 1..5; a BDI-II score is :math:`S_{it} + e_{it}` rounded to whole points in
0..63, with measurement error :math:`e_{it}` of SD ``symptom_error_sd`` (0 by
default). Patients drop out after a session with a chance that depends on
nothing, on the symptom change they last reported, or on the true change in
the following week (``dropout_mechanism``: completely at random, at random, not
at random).

All parameters are in :class:`book.simulation.parameters.SimulationParameters`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from book.simulation.parameters import SimulationParameters
from book.simulation.study import WAI_ITEMS, WAI_SUBSCALES, Study, Truth

__all__ = [
    "CANONICAL_SEED",
    "SimulatedArrays",
    "SimulationParameters",
    "check_dynamics",
    "simulate",
    "simulate_arrays",
    "true_effects",
]

#: The seed of the canonical study committed in ``data/``: among the seeds 0-999, the study
#: whose data-generating statistics are jointly closest to their average
#: (:func:`book.simulation.representative.representative_seed`; a test checks it).
CANONICAL_SEED = 325

# independent random streams, so that changing one part of the model leaves
# the draws of the others unchanged
# unchanged (``SeedSequence.spawn`` children depend only on their position): new
# streams are appended at the end
_STREAMS = (
    "therapists",
    "baseline",
    "dynamics",
    "ruptures",
    "items",
    "missing",
    "growth",
    "symptom_error",
)


def simulate(params: SimulationParameters | None = None, *, seed: int) -> Study:
    """Simulate a session-by-session therapy study with known ground truth.

    Parameters
    ----------
    params : SimulationParameters, optional
        Parameters of the data-generating process; the documented defaults
        when omitted.
    seed : int
        Seed of the random number generator (a non-negative integer). The same
        parameters and seed always give the same study.

    Returns
    -------
    Study
        Observed tables ``therapists``, ``patients`` and ``sessions`` and the
        ground truth in ``truth``.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> study = simulate(seed=1)
    >>> study
    <Study (simulated): 30 therapists, 240 patients, 2633 sessions>
    >>> list(study.sessions.columns[:5])
    ['patient_id', 'session', 'bdi', 'alliance', 'wai_goal']
    """
    return _assemble(simulate_arrays(params, seed=seed))


@dataclass(frozen=True, repr=False)
class SimulatedArrays:
    """One simulated study as arrays, before any table is built.

    The engine's output in the form the Monte Carlo runner needs: arrays of
    shape ``(patients, sessions)`` (or ``(patients,)``), nothing rounded away
    but what the questionnaires round. :func:`simulate` builds its tables from
    exactly these arrays, so the two never disagree.

    Attributes
    ----------
    params : SimulationParameters
        The parameters that generated the study.
    seed : int
        Its seed.
    therapists, people, ruptures, states, latent, attendance : dict of numpy.ndarray
        The pieces of the data-generating process, by name (see the module notes).
        ``latent["symptom_error"]`` holds the BDI-II measurement errors (intake
        and sessions), ``attendance["hazard"]`` and ``attendance["signal"]`` the
        chance of dropping out after each session and the symptom worsening it
        responded to.
    items : numpy.ndarray of int8, shape (patients, sessions, 12)
        WAI-SR item responses 1..5, before missing questionnaires are masked.
    """

    params: SimulationParameters
    seed: int
    therapists: dict
    people: dict
    ruptures: dict
    states: dict
    latent: dict
    attendance: dict
    items: np.ndarray

    def __repr__(self) -> str:
        n, t = self.items.shape[:2]
        return f"<SimulatedArrays: {n} patients x {t} sessions, seed {self.seed}>"

    @property
    def attended(self) -> np.ndarray:
        """Whether each patient attended each session (False after dropout)."""
        T = self.params.n_sessions
        return np.arange(1, T + 1)[None, :] <= self.attendance["last"][:, None]

    def observed(self) -> dict[str, np.ndarray]:
        """The observed scores as arrays, ``nan`` where missing or after dropout.

        Returns
        -------
        dict
            ``bdi`` (BDI-II before each session: true symptoms plus measurement
            error, whole points 0..63, exactly as in :func:`simulate`),
            ``alliance`` (WAI-SR mean of the 12 items after each session), both of
            shape ``(patients, sessions)``; ``iip`` (IIP-32 at intake, shape
            ``(patients,)``).

        Examples
        --------
        >>> arrays = simulate_arrays(seed=1)
        >>> {k: v.shape for k, v in arrays.observed().items()}
        {'bdi': (240, 12), 'alliance': (240, 12), 'iip': (240,)}
        """
        p = self.params
        attended = self.attended
        bdi = _observed_symptoms(self.latent)[:, 1:]
        bdi[~attended | self.attendance["miss_bdi"]] = np.nan
        alliance = _item_totals(self.items) / 12.0
        alliance[~attended | self.attendance["miss_alliance"]] = np.nan
        return {"bdi": bdi, "alliance": alliance, "iip": _iip_scores(p, self.people["iip_z"])}


def simulate_arrays(params: SimulationParameters | None = None, *, seed: int) -> SimulatedArrays:
    """Simulate a study and return its arrays, without building tables.

    The engine behind :func:`simulate`, for code that needs speed more than
    tables (the Monte Carlo runner simulates many studies as one with
    ``n_therapists`` times the number of replications).

    Parameters
    ----------
    params : SimulationParameters, optional
        Parameters of the data-generating process; the defaults when omitted.
    seed : int
        Seed of the random number generator (a non-negative integer).

    Returns
    -------
    SimulatedArrays

    Examples
    --------
    >>> arrays = simulate_arrays(seed=1)
    >>> arrays
    <SimulatedArrays: 240 patients x 12 sessions, seed 1>
    >>> bool((simulate(seed=1).sessions["alliance"].to_numpy()
    ...       == arrays.observed()["alliance"][arrays.attended]).sum() > 2000)
    True
    """
    params = _check_params(params)
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")

    streams = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}

    therapists = _therapists(params, rng["therapists"])
    growth = _alliance_growth(params, rng["growth"])
    people = _patients(params, therapists, growth, rng["baseline"])
    ruptures = _ruptures(params, people, therapists, rng["ruptures"])
    states = _dynamics(params, people, ruptures["drop"], rng["dynamics"])
    latent = _latent_scores(params, people, states, ruptures["drop"])
    latent["symptom_error"] = _symptom_errors(params, rng["symptom_error"])
    attendance = _attendance(params, latent, rng["missing"])
    items = _wai_items(params, latent["alliance"], rng["items"])
    return SimulatedArrays(
        params=params,
        seed=int(seed),
        therapists=therapists,
        people=people,
        ruptures=ruptures,
        states=states,
        latent=latent,
        attendance=attendance,
        items=items,
    )


def check_dynamics(params: SimulationParameters, alliance_effects) -> None:
    """Raise ``ValueError`` unless patients with these alliance effects have valid dynamics.

    The cross-lagged process of the state-like parts must leave room for random
    innovations (positive innovation variances) for every patient's alliance
    effect :math:`\\beta_i` (standardized units). The Monte Carlo runner calls it
    to reject a design before any worker starts.

    Examples
    --------
    >>> check_dynamics(SimulationParameters(), [-0.5, 0.0, 0.5])
    >>> check_dynamics(SimulationParameters(), [-3.0])
    Traceback (most recent call last):
    ...
    ValueError: these cross-lagged effects leave no room for random innovations ...
    """
    params = _check_params(params)
    _innovation_variances(params, np.asarray(alliance_effects, dtype=float).reshape(-1))


def _check_params(params) -> SimulationParameters:
    if params is None:
        return SimulationParameters()
    if not isinstance(params, SimulationParameters):
        raise TypeError(
            "params must be a book.simulation.SimulationParameters, "
            f"got {type(params).__name__}; build one with SimulationParameters(**values)"
        )
    return params


def _bdi_scores(symptoms: np.ndarray) -> np.ndarray:
    """Symptoms as BDI-II scores: whole points, 0 to 63."""
    return np.clip(np.rint(symptoms), 0, 63)


def _observed_symptoms(latent: dict) -> np.ndarray:
    """The BDI-II score the patient would report: true symptoms plus measurement error.

    Shape ``(patients, sessions + 1)``: intake, then before each session, whether or
    not the questionnaire is missing. The one place observed symptoms are made.
    """
    return _bdi_scores(latent["symptoms"] + latent["symptom_error"])


def _iip_scores(p: SimulationParameters, iip_z: np.ndarray) -> np.ndarray:
    """Standardized interpersonal problems as IIP-32 item means, 0 to 4, two decimals."""
    return np.clip(np.round(p.iip_mean + p.iip_sd * iip_z, 2), 0.0, 4.0)


def true_effects(params: SimulationParameters | None = None) -> dict[str, float]:
    r"""The simulation's true effects, keyed by the terms of the models that estimate them.

    The keys are the coefficient names of :func:`book.estimation.fit_lagged_model`
    (and of every estimator of :mod:`book.montecarlo`, which report in the same
    terms), so an estimate and its truth are looked up by one name. Effects are
    in the scales' units: the simulation's standardized effects times the
    within-patient SDs of symptoms (:math:`\sigma_S`, ``symptom_state_sd``) and
    of the latent alliance (:math:`\sigma_A`, ``state_sd``).

    Parameters
    ----------
    params : SimulationParameters, optional
        Defaults when omitted.

    Returns
    -------
    dict
        Next-session symptoms (``bdi_next ~ ...``):

        - ``"alliance_within"``: BDI-II points per WAI-SR point of
          within-patient alliance, for a patient of average interpersonal
          problems (:math:`\beta_0 \sigma_S / \sigma_A`);
        - ``"alliance_within:iip_c"``: its change per IIP-32 point
          (:math:`\beta_{IIP}\sigma_S/(\sigma_A\,\mathrm{SD}_{IIP})`);
        - ``"alliance_within:iip_z"``: its change per SD of IIP
          (:math:`\beta_{IIP}\sigma_S/\sigma_A`), the same moderation on the
          simulation's own scale;
        - ``"bdi_c"``: the autoregression of the symptoms' fluctuations
          (``symptom_ar``).

        Next-session alliance (``direction="symptoms_to_alliance"``):

        - ``"bdi_within"``: WAI-SR points per BDI-II point of within-patient
          symptoms (:math:`\gamma \sigma_A/\sigma_S`);
        - ``"bdi_within:iip_c"``: its change per IIP-32 point, 0 (the
          simulation does not moderate this path);
        - ``"alliance_c"``: the autoregression of the alliance's fluctuations
          (``alliance_ar``).

    Examples
    --------
    >>> {k: round(v, 3) for k, v in true_effects().items()}  # doctest: +NORMALIZE_WHITESPACE
    {'alliance_within': -4.868, 'alliance_within:iip_c': -3.684, 'alliance_within:iip_z': -1.842,
     'bdi_c': 0.3, 'bdi_within': -0.003, 'bdi_within:iip_c': 0.0, 'alliance_c': 0.3}
    """
    p = SimulationParameters() if params is None else params
    if not isinstance(p, SimulationParameters):
        raise TypeError(f"params must be SimulationParameters, got {type(p).__name__}")
    if p.state_sd <= 0 or p.symptom_state_sd <= 0 or p.iip_sd <= 0:
        raise ValueError("state_sd, symptom_state_sd and iip_sd must be positive")
    ratio = p.symptom_state_sd / p.state_sd
    return {
        "alliance_within": p.alliance_to_symptoms * ratio,
        "alliance_within:iip_c": p.alliance_to_symptoms_iip * ratio / p.iip_sd,
        "alliance_within:iip_z": p.alliance_to_symptoms_iip * ratio,
        "bdi_c": p.symptom_ar,
        "bdi_within": p.symptoms_to_alliance / ratio,
        "bdi_within:iip_c": 0.0,
        "alliance_c": p.alliance_ar,
    }


# --------------------------------------------------------------------------
# the pieces of the data-generating process


def _therapists(p: SimulationParameters, rng: np.random.Generator) -> dict:
    n_trained = round(p.share_trained * p.n_therapists)
    trained = rng.permutation(p.n_therapists) < n_trained
    effect_z = rng.standard_normal(p.n_therapists)
    return {"trained": trained, "effect_z": effect_z}


def _alliance_growth(p: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Each patient's own alliance growth around the common trend (WAI-SR points per session)."""
    if p.alliance_growth_sd == 0:
        return np.zeros(p.n_patients)  # no draws needed: the other streams never see this one
    return p.alliance_growth_sd * rng.standard_normal(p.n_patients)


def _patients(
    p: SimulationParameters, therapists: dict, growth: np.ndarray, rng: np.random.Generator
) -> dict:
    n = p.n_patients
    therapist = np.repeat(np.arange(p.n_therapists), p.patients_per_therapist)
    z = rng.standard_normal((n, 4)) @ np.linalg.cholesky(p.baseline_correlation()).T
    weights = p.trait_weights()
    explained = float(
        np.array([p.r_trait_iip, p.r_trait_avoidance, p.r_trait_self_esteem]) @ weights
    )
    unique = np.sqrt(1.0 - explained - p.therapist_share)
    trait_z = (
        z[:, :3] @ weights
        + np.sqrt(p.therapist_share) * therapists["effect_z"][therapist]
        + unique * rng.standard_normal(n)
    )
    # the symptom slope: trait-related improvement, the growth's effect, and other
    # causes, scaled so that its SD stays symptom_slope_sd and its correlation with
    # the trait r_trait_improvement whatever the growth effect
    r, w = p.r_trait_improvement, p.growth_improvement_correlation()
    improvement_z = r * trait_z + np.sqrt(1.0 - r**2 - w**2) * rng.standard_normal(n)
    from_growth = p.growth_to_symptom_slope * growth + 0.0  # + 0.0: no negative zeros
    beta = (
        p.alliance_to_symptoms
        + p.alliance_to_symptoms_iip * z[:, 0]
        + p.alliance_to_symptoms_sd * rng.standard_normal(n)
    )
    return {
        "therapist": therapist,
        "iip_z": z[:, 0],
        "avoidance_z": z[:, 1],
        "self_esteem_z": z[:, 2],
        "bdi_z": z[:, 3],
        "trait": p.alliance_mean + p.trait_sd * trait_z,
        "therapist_effect": p.trait_sd
        * np.sqrt(p.therapist_share)
        * therapists["effect_z"][therapist],
        "intercept": p.bdi_mean + p.bdi_sd * z[:, 3],
        "slope": p.symptom_slope_mean - p.symptom_slope_sd * improvement_z + from_growth,
        "slope_from_growth": from_growth,
        "growth": growth,
        "beta_std": beta,
    }


def _ruptures(p, people: dict, therapists: dict, rng: np.random.Generator) -> dict:
    """Rupture events at sessions 2..T and the alliance drop they leave."""
    n, T = len(people["iip_z"]), p.n_sessions
    logit = np.log(p.rupture_rate / (1 - p.rupture_rate)) if 0 < p.rupture_rate < 1 else None
    if logit is None:
        prob = np.full(n, p.rupture_rate)
    else:
        prob = 1 / (1 + np.exp(-(logit + np.log(p.rupture_iip_odds_ratio) * people["iip_z"])))
    occurs = rng.random((n, T)) < prob[:, None]
    occurs[:, 0] = False  # a rupture is a drop relative to an earlier session
    depth = np.maximum(
        0.0,
        p.rupture_depth
        + p.rupture_depth_iip * people["iip_z"][:, None]
        + p.rupture_depth_sd * rng.standard_normal((n, T)),
    )
    trained = therapists["trained"][people["therapist"]]
    p_repair = np.where(trained, p.repair_prob_trained, p.repair_prob_untrained)
    repaired = rng.random((n, T)) < p_repair[:, None]

    # shape of the drop k sessions after a rupture: V-shaped if repaired
    # (full, half, gone), otherwise full then a lasting share
    # (only the rows with a rupture at t change: faster, and the same numbers)
    drop = np.zeros((n, T))
    for t in np.flatnonzero(occurs.any(axis=0)):
        rows = np.flatnonzero(occurs[:, t])
        after = np.arange(T - t)
        v_shape = np.where(after == 0, 1.0, np.where(after == 1, 0.5, 0.0))
        lasting = np.where(after == 0, 1.0, p.unrepaired_persistence)
        shape = np.where(repaired[rows, t, None], v_shape[None, :], lasting[None, :])
        drop[rows, t:] -= depth[rows, t, None] * shape
    return {
        "prob": prob,
        "occurs": occurs,
        "depth": depth,
        "repaired": repaired,
        "trained": trained,
        "drop": drop,
    }


def _innovation_variances(p: SimulationParameters, beta: np.ndarray):
    """Per-patient innovation variances giving unit stationary variances.

    The state-like parts follow the VAR(1) ``x_t = Phi x_{t-1} + e_t``
    (:meth:`SimulationParameters.state_transition`), whose innovation covariance
    comes from the structural innovations ``u`` (alliance) and ``v`` (symptoms)
    with variances ``q_a`` and ``q_s``: ``e = (u + g0 v, v)``, so
    ``Q = q_a [[1, 0], [0, 0]] + q_s [[g0^2, g0], [g0, 1]]`` with ``g0`` the
    within-session effect. ``vec(Sigma) = (I - Phi kron Phi)^{-1} vec(Q)``: the
    two diagonal elements of Sigma are linear in ``q_a`` and ``q_s``; setting
    both to 1 gives the innovation variances.

    Without a within-session effect (``g0 = 0``) only the columns of
    ``(I - Phi kron Phi)^{-1}`` at ``vec`` positions 0 and 3 are needed; they
    are solved for directly, the same numbers as those columns of the inverse
    (a test checks it) at three quarters of the cost.
    """
    n = beta.shape[0]
    phi = p.state_transition(beta)
    # Phi kron Phi, element by element: [n, 2i + k, 2j + l] = phi[n, i, j] * phi[n, k, l]
    kron = (phi[:, :, None, :, None] * phi[:, None, :, None, :]).reshape(n, 4, 4)
    system = np.eye(4)[None] - kron
    # vec index: (0,0)->0, (0,1)->1, (1,0)->2, (1,1)->3; a row of m = system^-1 times
    # vec(Q) is m[., 0] q_a + (m[., 3] + g0 (m[., 1] + m[., 2]) + g0^2 m[., 0]) q_s
    g0 = p.symptoms_to_alliance_same_session
    if g0:
        m = np.linalg.inv(system)

        def per_q_s(row):
            return m[:, row, 3] + g0 * (m[:, row, 1] + m[:, row, 2]) + g0**2 * m[:, row, 0]

        per_q_a = m[:, :, 0]
        per_q_s = np.stack([per_q_s(0), per_q_s(1), per_q_s(3)], axis=1)
    else:
        unit = np.zeros((n, 4, 2))
        unit[:, 0, 0] = unit[:, 3, 1] = 1.0
        columns = np.linalg.solve(system, unit)  # columns 0 and 3 of m
        per_q_a = columns[..., 0]
        per_q_s = columns[:, [0, 1, 3], 1]

    # rows: the stationary variances of a and s; columns: per unit of q_a and of q_s
    a = np.stack([per_q_a[:, 0], per_q_s[:, 0], per_q_a[:, 3], per_q_s[:, 2]], axis=1)
    q = np.linalg.solve(a.reshape(n, 2, 2), np.ones((n, 2, 1)))[..., 0]
    if (q <= 0).any():
        raise ValueError(
            "these cross-lagged effects leave no room for random innovations "
            "(alliance_to_symptoms, symptoms_to_alliance, symptoms_to_alliance_same_session, "
            "alliance_ar, symptom_ar); make them smaller in size"
        )
    cov01 = per_q_a[:, 1] * q[:, 0] + per_q_s[:, 1] * q[:, 1]
    return phi, q, cov01


def _dynamics(p, people: dict, drop: np.ndarray, rng: np.random.Generator) -> dict:
    """State-like fluctuations a (alliance) and s (symptoms), t = 0..T."""
    n, T = len(people["iip_z"]), p.n_sessions
    phi, q, cov01 = _innovation_variances(p, people["beta_std"])
    # time-major arrays, so that each step works on contiguous memory
    a = np.empty((T + 1, n))
    s = np.empty((T + 1, n))
    z0 = rng.standard_normal((n, 2))
    a[0] = z0[:, 0]
    s[0] = cov01 * z0[:, 0] + np.sqrt(1 - cov01**2) * z0[:, 1]
    shocks = rng.standard_normal((n, T, 2))
    shocks *= np.sqrt(q)[:, None, :]
    shocks = shocks.transpose(1, 2, 0).copy()  # (T, 2, n)
    # the rupture drop (standardized) before each step: none before session 1
    drop_std = np.zeros((T, n))
    if p.state_sd > 0:
        np.divide(drop[:, :-1].T, p.state_sd, out=drop_std[1:])
    beta = np.ascontiguousarray(phi[:, 1, 0])
    g0 = p.symptoms_to_alliance_same_session
    work = np.empty(n)
    for t in range(1, T + 1):
        # s_t = beta (a_{t-1} + drop_{t-1}) + rho_S s_{t-1} + v_t, in place
        np.add(a[t - 1], drop_std[t - 1], out=s[t])
        s[t] *= beta
        s[t] += np.multiply(s[t - 1], p.symptom_ar, out=work)
        s[t] += shocks[t - 1, 1]
        # a_t = rho_A a_{t-1} + gamma s_{t-1} + u_t (+ g0 s_t)
        np.multiply(a[t - 1], p.alliance_ar, out=a[t])
        a[t] += np.multiply(s[t - 1], p.symptoms_to_alliance, out=work)
        a[t] += shocks[t - 1, 0]
        if g0:  # symptoms reported before session t act on the alliance rated after it
            a[t] += np.multiply(s[t], g0, out=work)
    return {"a": np.ascontiguousarray(a.T), "s": np.ascontiguousarray(s.T)}


def _latent_scores(p, people: dict, states: dict, drop: np.ndarray) -> dict:
    T = p.n_sessions
    t = np.arange(T + 1)
    trend = p.alliance_trend * (t[1:] - 1)
    growth = people["growth"][:, None] * (t[None, 1:] - 1)
    alliance = (
        people["trait"][:, None] + trend[None, :] + growth + p.state_sd * states["a"][:, 1:] + drop
    )
    trajectory = people["intercept"][:, None] + people["slope"][:, None] * t[None, :]
    symptoms = trajectory + p.symptom_state_sd * states["s"]
    return {
        "alliance": alliance,
        "trend": trend,
        "growth": growth,
        "trajectory": trajectory,
        "symptoms": symptoms,
    }


def _symptom_errors(p: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Measurement error of every BDI-II score, intake and sessions: (patients, sessions + 1)."""
    shape = (p.n_patients, p.n_sessions + 1)
    if p.symptom_error_sd == 0:
        return np.zeros(shape)  # no draws needed: the other streams never see this one
    return p.symptom_error_sd * rng.standard_normal(shape)


def _attendance(p, latent: dict, rng: np.random.Generator) -> dict:
    """Last session attended (dropout) and missing questionnaires."""
    n, T = p.n_patients, p.n_sessions
    u = rng.random((n, T - 1))  # stop after session 1..T-1 if u < hazard
    miss_alliance = rng.random((n, T)) < p.missing_alliance
    miss_bdi = rng.random((n, T)) < p.missing_symptoms
    signal, hazard = _dropout_hazard(p, latent, miss_bdi)
    stops = u < hazard
    last = np.where(stops.any(axis=1), stops.argmax(axis=1) + 1, T)
    return {
        "last": last,
        "miss_alliance": miss_alliance,
        "miss_bdi": miss_bdi,
        "hazard": np.broadcast_to(hazard, (n, T - 1)),
        "signal": signal,
    }


def _dropout_hazard(p, latent: dict, miss_bdi: np.ndarray):
    """The chance of leaving after sessions 1..T-1, and the worsening it responds to.

    A logistic model in the form of Diggle & Kenward (1994): ``logit h_it =
    logit(dropout_hazard) + log(dropout_worsening_odds_ratio) * w_it``, with the
    worsening ``w_it`` in BDI-II points per week beyond the average course
    (``symptom_slope_mean``):

    - ``"mcar"``: no worsening is seen (``w`` is empty, ``h`` constant);
    - ``"mar"``: the change per week between the two most recent BDI-II reports up
      to session ``t`` (intake included), as reported: a function of observed data;
    - ``"mnar"``: the true change from session ``t`` to ``t + 1``, which the patient
      who leaves never reports.
    """
    n, T = miss_bdi.shape
    if p.dropout_mechanism == "mcar":
        return np.full((n, T - 1), np.nan), p.dropout_hazard
    if p.dropout_mechanism == "mnar":
        true = latent["symptoms"]
        change = true[:, 2:] - true[:, 1:-1]  # from session t to t + 1, t = 1..T-1
    else:
        scores = _observed_symptoms(latent)
        change = np.empty((n, T - 1))
        last, last_t = scores[:, 0], np.zeros(n)  # the intake is always reported
        prev, prev_t = np.full(n, np.nan), np.full(n, np.nan)
        for t in range(1, T):
            seen = ~miss_bdi[:, t - 1]
            prev = np.where(seen, last, prev)
            prev_t = np.where(seen, last_t, prev_t)
            last = np.where(seen, scores[:, t], last)
            last_t = np.where(seen, t, last_t)
            change[:, t - 1] = (last - prev) / (last_t - prev_t)
    signal = change - p.symptom_slope_mean
    h0 = p.dropout_hazard
    if h0 in (0.0, 1.0):
        return signal, h0
    logit = np.log(h0 / (1 - h0)) + np.log(p.dropout_worsening_odds_ratio) * signal
    # before a patient's first report there is no change to react to: the base hazard
    logit = np.where(np.isnan(logit), np.log(h0 / (1 - h0)), logit)
    return signal, 1.0 / (1.0 + np.exp(-logit))


def _wai_items(p, alliance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integer item responses 1..5, shape (patients, sessions, 12).

    Each response is the latent alliance plus the patient's subscale profile
    plus item noise (``item_error_sd``), rounded to a whole point and clipped to
    1..5. The noise is drawn in single precision (ample for noise that is
    rounded to whole scale points), a block of patients at a time: the draws
    are the same as in one call (a generator's stream does not depend on how
    it is cut), and a block's arithmetic stays in the processor's cache.
    """
    n, T = alliance.shape
    profile = p.subscale_sd * rng.standard_normal((n, 3))
    profile -= profile.mean(axis=1, keepdims=True)  # the profile does not move the total
    items = np.empty((n, T, 12), dtype=np.int8)
    block = max(1, _ITEM_BLOCK_SESSIONS // max(T, 1))
    raw_buffer = np.empty((min(n, block), T, 12), dtype=np.float32)
    level_buffer = np.empty((min(n, block), T, 3))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        raw, level = raw_buffer[: hi - lo], level_buffer[: hi - lo]
        rng.standard_normal(dtype=np.float32, out=raw)
        raw *= p.item_error_sd
        # each subscale's level once (in double, then single), spread over its items
        for g in range(3):
            np.add(alliance[lo:hi], profile[lo:hi, g, None], out=level[:, :, g])
        raw += level.astype(np.float32)[:, :, _SUBSCALE_OF_ITEM]
        np.rint(raw, out=raw)
        np.clip(raw, 1, 5, out=raw)
        items[lo:hi] = raw
    return items


#: Sessions' item noise drawn and rounded together (about 300 kB of single floats).
_ITEM_BLOCK_SESSIONS = 6144

#: The subscale (0, 1, 2 in the order of ``WAI_SUBSCALES``) of each of the 12 items.
_SUBSCALE_OF_ITEM = np.empty(12, dtype=np.intp)
for _g, _members in enumerate(WAI_SUBSCALES.values()):
    _SUBSCALE_OF_ITEM[np.array(_members) - 1] = _g
del _g, _members


def _item_totals(items: np.ndarray) -> np.ndarray:
    """The sum of each session's 12 item responses (1..5 each), as ``int64``.

    The 12 responses of a session are 12 consecutive bytes. Read as three
    4-byte words, their sum adds four columns of bytes at once (no byte
    exceeds 3 x 5 = 15, so nothing carries into the next); multiplying that word
    by ``0x01010101`` adds its four bytes into the top byte (at most 60), on
    either byte order. The same integers as summing the items one by one, at a
    tenth of the cost of a reduction over a short last axis.
    """
    words = np.ascontiguousarray(items).view(np.uint32)  # (..., 3)
    total = words[..., 0] + words[..., 1]
    total += words[..., 2]
    total *= np.uint32(0x01010101)
    total >>= np.uint32(24)
    return total.astype(np.int64)


# --------------------------------------------------------------------------
# tidy tables


def _assemble(arrays: SimulatedArrays) -> Study:
    p, seed = arrays.params, arrays.seed
    therapists, people, ruptures = arrays.therapists, arrays.people, arrays.ruptures
    states, latent, attendance, items = (
        arrays.states,
        arrays.latent,
        arrays.attendance,
        arrays.items,
    )
    n, T = p.n_patients, p.n_sessions
    patient_id = np.arange(1, n + 1)
    therapist_id = people["therapist"] + 1
    last = attendance["last"]

    therapists_df = pd.DataFrame(
        {
            "therapist_id": np.arange(1, p.n_therapists + 1),
            "alliance_training": therapists["trained"],
        }
    )

    def _scale(z, mean, sd, lo, hi, decimals):
        return np.clip(np.round(mean + sd * z, decimals), lo, hi)

    scores = _observed_symptoms(latent)
    patients_df = pd.DataFrame(
        {
            "patient_id": patient_id,
            "therapist_id": therapist_id,
            "iip": _iip_scores(p, people["iip_z"]),
            "avoidance": _scale(
                people["avoidance_z"], p.avoidance_mean, p.avoidance_sd, 1.0, 7.0, 2
            ),
            "self_esteem": _scale(
                people["self_esteem_z"], p.self_esteem_mean, p.self_esteem_sd, 10, 40, 0
            ).astype(np.int64),
            "bdi_intake": scores[:, 0].astype(np.int64),
            "sessions_attended": last,
            "dropped_out": last < T,
        }
    )

    # one row per (patient, session), then keep the attended sessions
    pid = np.repeat(patient_id, T)
    session = np.tile(np.arange(1, T + 1), n)
    attended = session <= np.repeat(last, T)

    # keep the attended sessions; missing questionnaires become masked (empty) values
    bdi = scores[:, 1:].reshape(-1)[attended]
    bdi_missing = attendance["miss_bdi"].reshape(-1)[attended]
    items_kept = items.reshape(n * T, 12)[attended]
    alliance_missing = attendance["miss_alliance"].reshape(-1)[attended]
    items_float = items_kept.astype(float)
    items_float[alliance_missing] = np.nan

    obs = {
        "patient_id": pid[attended],
        "session": session[attended],
        "bdi": pd.arrays.IntegerArray(bdi.astype(np.int64), bdi_missing),
        "alliance": items_float.mean(axis=1),
    }
    for name, members in WAI_SUBSCALES.items():
        obs[f"wai_{name}"] = items_float[:, np.array(members) - 1].mean(axis=1)
    for k, col in enumerate(WAI_ITEMS):
        obs[col] = pd.arrays.IntegerArray(items_kept[:, k].astype(np.int64), alliance_missing)
    sessions_df = pd.DataFrame(obs)

    truth_patients = pd.DataFrame(
        {
            "patient_id": patient_id,
            "iip_z": people["iip_z"],
            "avoidance_z": people["avoidance_z"],
            "self_esteem_z": people["self_esteem_z"],
            "trait_alliance": people["trait"],
            "therapist_effect": people["therapist_effect"],
            "symptom_intercept": people["intercept"],
            "symptom_slope": people["slope"],
            "alliance_effect_std": people["beta_std"],
            "alliance_effect": people["beta_std"] * p.symptom_state_sd / p.state_sd
            if p.state_sd > 0
            else np.nan,
            "rupture_prob": ruptures["prob"],
            "n_ruptures": ruptures["occurs"].sum(axis=1),
            "last_session": last,
            "alliance_growth": people["growth"],
            "symptom_slope_from_growth": people["slope_from_growth"],
            "bdi_intake_error": latent["symptom_error"][:, 0],
        }
    )
    # the chance of leaving after each session, 0 after the last planned one
    hazard = np.zeros((n, T))
    hazard[:, :-1] = attendance["hazard"]
    signal = np.full((n, T), np.nan)
    signal[:, :-1] = attendance["signal"]
    truth_sessions = pd.DataFrame(
        {
            "patient_id": pid,
            "session": session,
            "attended": attended,
            "alliance_latent": latent["alliance"].reshape(-1),
            "alliance_trait": np.repeat(people["trait"], T),
            "alliance_trend": np.tile(latent["trend"], n),
            "alliance_state": (p.state_sd * states["a"][:, 1:]).reshape(-1),
            "rupture_drop": ruptures["drop"].reshape(-1),
            "symptoms_latent": latent["symptoms"][:, 1:].reshape(-1),
            "symptoms_trajectory": latent["trajectory"][:, 1:].reshape(-1),
            "symptoms_state": (p.symptom_state_sd * states["s"][:, 1:]).reshape(-1),
            "alliance_growth": latent["growth"].reshape(-1),
            "symptoms_error": latent["symptom_error"][:, 1:].reshape(-1),
            "dropout_hazard": hazard.reshape(-1),
            "dropout_signal": signal.reshape(-1),
        }
    )
    r_pat, r_ses = np.nonzero(ruptures["occurs"])
    truth_ruptures = pd.DataFrame(
        {
            "patient_id": patient_id[r_pat],
            "session": r_ses + 1,
            "depth": ruptures["depth"][r_pat, r_ses],
            "repaired": ruptures["repaired"][r_pat, r_ses],
            "therapist_trained": ruptures["trained"][r_pat],
            "attended": r_ses + 1 <= last[r_pat],
        }
    )
    truth = Truth(
        patients=truth_patients, sessions=truth_sessions, ruptures=truth_ruptures, params=p
    )
    return Study(
        therapists=therapists_df,
        patients=patients_df,
        sessions=sessions_df,
        truth=truth,
        seed=int(seed),
    )
