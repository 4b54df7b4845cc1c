"""Every parameter of the simulated therapy study, in one documented place.

Each field of :class:`SimulationParameters` carries, in its metadata, its unit,
what values are allowed and where its default comes from: a source in
``references.bib`` or the words "design choice". :func:`describe_parameters`
turns that metadata into a table, which the book prints and the data package
records, so the documentation can never drift from the code.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["BDI_II_ALPHA", "DROPOUT_MECHANISMS", "SimulationParameters", "describe_parameters"]

#: Coefficient alpha of the BDI-II among 140 psychiatric outpatients
#: (Beck, Steer, Ball & Ranieri 1996, J Pers Assess 67(3), 588-597).
BDI_II_ALPHA = 0.91

# What a field may hold. Each kind maps to a test and a sentence for errors.
_ALLOWED = {
    "count": (lambda v: isinstance(v, int) and v >= 1, "an integer of at least 1"),
    "sessions": (lambda v: isinstance(v, int) and v >= 3, "an integer of at least 3"),
    "probability": (lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]"),
    "share": (lambda v: 0.0 <= v < 1.0, "a number in [0, 1)"),
    "sd": (lambda v: v >= 0.0, "a number of at least 0"),
    "positive": (lambda v: v > 0.0, "a number greater than 0"),
    "correlation": (lambda v: -1.0 < v < 1.0, "a number in (-1, 1)"),
    "autoregression": (lambda v: -1.0 < v < 1.0, "a number in (-1, 1)"),
    "real": (lambda v: True, "any finite number"),
    "wai": (lambda v: 1.0 <= v <= 5.0, "a number in [1, 5] (the WAI-SR item range)"),
    "iip": (lambda v: 0.0 <= v <= 4.0, "a number in [0, 4] (the IIP-32 item range)"),
    "ecr": (lambda v: 1.0 <= v <= 7.0, "a number in [1, 7] (the ECR item range)"),
    "rosenberg": (lambda v: 10.0 <= v <= 40.0, "a number in [10, 40] (the Rosenberg range)"),
    "bdi": (lambda v: 0.0 <= v <= 63.0, "a number in [0, 63] (the BDI-II range)"),
}

#: The dropout mechanisms (Rubin 1976), by the value ``dropout_mechanism`` takes.
DROPOUT_MECHANISMS: dict[str, str] = {
    "mcar": "completely at random: the same chance of leaving after every session",
    "mar": "at random: the chance of leaving depends on the symptom change the patient "
    "last reported (observed)",
    "mnar": "not at random: the chance of leaving depends on how the symptoms truly change "
    "in the following week, which is never reported",
}

# fields whose value is a name from a fixed list, not a number
_CHOICES = {"dropout mechanism": DROPOUT_MECHANISMS}


def _param(default, *, unit: str, allowed: str, source: str, doc: str):
    """A dataclass field with the metadata that documents and checks it."""
    return field(
        default=default,
        metadata={"unit": unit, "allowed": allowed, "source": source, "doc": doc},
    )


def _reject_unknown_fields(cls):
    """Make the constructor raise ``ValueError`` (not ``TypeError``) for unknown names."""
    init = cls.__init__
    known = {f.name for f in dataclasses.fields(cls)}

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if args:
            raise ValueError(
                "SimulationParameters takes keyword arguments only, "
                f"e.g. SimulationParameters(n_sessions=12); got {len(args)} positional"
            )
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown}; allowed names are: {', '.join(sorted(known))}"
            )
        init(self, **kwargs)

    cls.__init__ = __init__
    return cls


@_reject_unknown_fields
@dataclass(frozen=True, kw_only=True)
class SimulationParameters:
    """Parameters of the simulated session-by-session therapy study.

    Every field has a unit, an allowed range, a default and a source; see
    :func:`describe_parameters` for the table. Values are checked on
    construction: an impossible value raises ``ValueError`` that names the
    field, the value and what is allowed.

    Standardized within-patient effects (``alliance_to_symptoms`` and its
    relatives) are in units of the within-patient standard deviations
    ``state_sd`` and ``symptom_state_sd``.

    Examples
    --------
    >>> from book.simulation.parameters import SimulationParameters
    >>> p = SimulationParameters(n_sessions=8)
    >>> p.n_patients, p.n_sessions
    (240, 8)
    >>> SimulationParameters(state_sd=-0.1)
    Traceback (most recent call last):
    ...
    ValueError: state_sd = -0.1 is not allowed: it must be a number of at least 0 (...)
    """

    # --- design -----------------------------------------------------------
    n_therapists: int = _param(
        30,
        unit="therapists",
        allowed="count",
        source="design choice (literature.md: about 30 therapists)",
        doc="number of therapists",
    )
    patients_per_therapist: int = _param(
        8,
        unit="patients",
        allowed="count",
        source="design choice (240 patients, the size of the studies reviewed)",
        doc="patients treated by each therapist",
    )
    n_sessions: int = _param(
        12,
        unit="sessions",
        allowed="sessions",
        source="design choice (weekly sessions of a brief treatment)",
        doc="planned weekly sessions per patient",
    )
    share_trained: float = _param(
        0.5,
        unit="proportion",
        allowed="probability",
        source="design choice",
        doc="share of therapists with alliance-focused training",
    )

    # --- baseline measures -------------------------------------------------
    iip_mean: float = _param(
        1.6,
        unit="IIP-32 item mean (0-4)",
        allowed="iip",
        source="assumption: clinical item means about 1.5-1.8 (unverified)",
        doc="mean interpersonal problems at intake",
    )
    iip_sd: float = _param(
        0.5,
        unit="IIP-32 item mean",
        allowed="sd",
        source="design choice",
        doc="SD of interpersonal problems at intake",
    )
    avoidance_mean: float = _param(
        3.5,
        unit="ECR item mean (1-7)",
        allowed="ecr",
        source="assumption (mid-scale; unverified)",
        doc="mean attachment avoidance at intake",
    )
    avoidance_sd: float = _param(
        1.1,
        unit="ECR item mean",
        allowed="sd",
        source="design choice",
        doc="SD of attachment avoidance at intake",
    )
    self_esteem_mean: float = _param(
        25.0,
        unit="Rosenberg sum (10-40)",
        allowed="rosenberg",
        source="assumption (below community norms, as in depressed samples; unverified)",
        doc="mean self-esteem at intake",
    )
    self_esteem_sd: float = _param(
        5.0,
        unit="Rosenberg sum",
        allowed="sd",
        source="design choice",
        doc="SD of self-esteem at intake",
    )
    bdi_mean: float = _param(
        28.0,
        unit="BDI-II (0-63)",
        allowed="bdi",
        source="assumption: depression-trial baselines around 28 (unverified)",
        doc="mean true symptom level at intake",
    )
    bdi_sd: float = _param(
        8.0,
        unit="BDI-II points",
        allowed="sd",
        source="assumption: SD about 8 (unverified)",
        doc="SD of the true symptom level at intake",
    )
    r_iip_avoidance: float = _param(
        0.4,
        unit="correlation",
        allowed="correlation",
        source="design choice",
        doc="correlation of interpersonal problems with attachment avoidance",
    )
    r_iip_self_esteem: float = _param(
        -0.4,
        unit="correlation",
        allowed="correlation",
        source="design choice",
        doc="correlation of interpersonal problems with self-esteem",
    )
    r_avoidance_self_esteem: float = _param(
        -0.3,
        unit="correlation",
        allowed="correlation",
        source="design choice",
        doc="correlation of attachment avoidance with self-esteem",
    )
    r_iip_bdi: float = _param(
        0.2,
        unit="correlation",
        allowed="correlation",
        source="design choice",
        doc="correlation of interpersonal problems with intake symptoms",
    )
    r_self_esteem_bdi: float = _param(
        -0.3,
        unit="correlation",
        allowed="correlation",
        source="design choice",
        doc="correlation of self-esteem with intake symptoms",
    )

    # --- trait-like alliance ------------------------------------------------
    alliance_mean: float = _param(
        3.9,
        unit="WAI-SR item mean (1-5)",
        allowed="wai",
        source="WAI-SR norms, item means about 3.8-4.1 (Hatcher & Gillaspy 2006; unverified)",
        doc="mean trait-like alliance, the expected level at session 1",
    )
    trait_sd: float = _param(
        0.55,
        unit="WAI-SR points",
        allowed="sd",
        source="design choice: a session's WAI-SR scores then have an SD of about 0.6 "
        "between patients",
        doc="SD of trait-like alliance between patients",
    )
    r_trait_iip: float = _param(
        -0.12,
        unit="correlation",
        allowed="correlation",
        source="meta-analysis, 27 studies (Psychotherapy 61(3), 2024)",
        doc="correlation of trait-like alliance with interpersonal problems",
    )
    r_trait_avoidance: float = _param(
        -0.13,
        unit="correlation",
        allowed="correlation",
        source="Notsu et al. 2024 meta-analysis, k = 33",
        doc="correlation of trait-like alliance with attachment avoidance",
    )
    r_trait_self_esteem: float = _param(
        0.12,
        unit="correlation",
        allowed="correlation",
        source="assumption: about +.10 to +.15 (no source found)",
        doc="correlation of trait-like alliance with self-esteem",
    )
    therapist_share: float = _param(
        0.05,
        unit="proportion of trait variance",
        allowed="share",
        source="design choice (therapists differ in alliance; Baldwin et al. 2007, unverified)",
        doc="share of trait-like alliance variance due to the therapist",
    )
    alliance_trend: float = _param(
        0.015,
        unit="WAI-SR points per session",
        allowed="real",
        source="design choice: the alliance tends to rise over treatment",
        doc="average growth of the alliance over treatment",
    )
    alliance_growth_sd: float = _param(
        0.02,
        unit="WAI-SR points per session",
        allowed="sd",
        source="design choice: patients' alliances grow at rates of their own around the "
        "common trend, one SD apart by 0.22 WAI-SR points over 12 sessions; whether that "
        "growth acts on symptoms is growth_to_symptom_slope",
        doc="SD between patients of their own alliance growth around the common trend",
    )

    # --- state-like alliance ------------------------------------------------
    state_sd: float = _param(
        0.152,
        unit="WAI-SR points",
        allowed="sd",
        source="calibrated: a session's observed WAI-SR score then has 77% of its variance "
        "between patients, the generalizability of a single session's alliance rating in "
        "Crits-Christoph et al. 2011 (book.montecarlo.calibration)",
        doc="latent within-patient SD of the alliance",
    )
    alliance_ar: float = _param(
        0.3,
        unit="coefficient",
        allowed="autoregression",
        source="design choice",
        doc="autoregression of state-like alliance from one session to the next",
    )

    # --- symptoms -----------------------------------------------------------
    symptom_slope_mean: float = _param(
        -1.1,
        unit="BDI-II points per session",
        allowed="real",
        source="assumption: BDI-II falls from about 28 to about 15 over 12 sessions",
        doc="average true symptom change per session",
    )
    symptom_slope_sd: float = _param(
        0.6,
        unit="BDI-II points per session",
        allowed="sd",
        source="design choice",
        doc="SD of the true symptom change per session between patients",
    )
    r_trait_improvement: float = _param(
        0.442,
        unit="correlation",
        allowed="correlation",
        source="calibrated: the session-3 WAI-SR then correlates .278 with residual change "
        "in the BDI-II, the meta-analytic alliance-outcome correlation of Fluckiger et al. "
        "2018 (book.montecarlo.calibration)",
        doc="correlation of trait-like alliance with the rate of improvement",
    )
    growth_to_symptom_slope: float = _param(
        0.0,
        unit="BDI-II points per session per WAI-SR point per session",
        allowed="real",
        source="design choice: 0, so a patient's alliance growth does not change how fast "
        "their symptoms fall; the spread of improvement (symptom_slope_sd) is the same "
        "whatever this effect",
        doc="effect of a patient's own alliance growth on their rate of symptom change",
    )
    symptom_state_sd: float = _param(
        4.0,
        unit="BDI-II points",
        allowed="sd",
        source="design choice",
        doc="within-patient SD of symptoms around the patient's trajectory",
    )
    symptom_ar: float = _param(
        0.3,
        unit="coefficient",
        allowed="autoregression",
        source="design choice",
        doc="autoregression of symptom fluctuations from one week to the next",
    )

    # --- within-patient cross-lagged effects (standardized) ------------------
    alliance_to_symptoms: float = _param(
        -0.185,
        unit="within-patient SD of symptoms per SD of alliance",
        allowed="real",
        source="calibrated: a random-intercept cross-lagged panel model of the observed "
        "scores then gives the standardized within-patient effect published by "
        "Falkenstrom et al. 2019, -.16 to -.21 over sessions (book.montecarlo.calibration)",
        doc="effect of state-like alliance after session t on symptoms before session t+1",
    )
    alliance_to_symptoms_iip: float = _param(
        -0.07,
        unit="standardized effect per SD of IIP",
        allowed="real",
        source="direction from Zilcha-Mano & Fisher 2022; size a design choice",
        doc="change in that effect per SD of interpersonal problems (the moderation)",
    )
    alliance_to_symptoms_sd: float = _param(
        0.05,
        unit="standardized effect",
        allowed="sd",
        source="design choice (the effect varies between patients; Falkenstrom et al. 2013)",
        doc="SD of the patient-specific alliance effect not explained by IIP",
    )
    symptoms_to_alliance: float = _param(
        -0.08,
        unit="within-patient SD of alliance per SD of symptoms",
        allowed="real",
        source="direction: symptoms weigh on the next session's alliance (Falkenstrom et al. "
        "2013; Fluckiger et al. 2020); its size is a design choice",
        doc="effect of symptoms before session t on alliance after session t+1",
    )
    symptoms_to_alliance_same_session: float = _param(
        0.0,
        unit="within-patient SD of alliance per SD of symptoms",
        allowed="real",
        source="design choice: 0, so symptoms act on the alliance only from one session "
        "to the next, not within the hour between the questionnaire and the session",
        doc="effect of symptoms before session t on alliance after the same session t",
    )

    # --- measurement ----------------------------------------------------------
    item_error_sd: float = _param(
        0.6,
        unit="WAI-SR item points",
        allowed="sd",
        source="design choice: the twelve items of a session then have a coefficient alpha "
        "of about .90",
        doc="SD of an item's response around the patient's alliance that session",
    )
    subscale_sd: float = _param(
        0.15,
        unit="WAI-SR points",
        allowed="sd",
        source="design choice",
        doc="SD of a patient's stable goal/task/bond profile around the total",
    )
    symptom_error_sd: float = _param(
        2.81,
        unit="BDI-II points",
        allowed="sd",
        source="intake BDI-II scores then have the questionnaire's published reliability, "
        "coefficient alpha .91 among 140 psychiatric outpatients (Beck, Steer, Ball & "
        "Ranieri 1996): symptom_error_for_reliability(BDI_II_ALPHA)",
        doc="SD of the measurement error of each BDI-II score around the true symptoms",
    )

    # --- ruptures and repair ---------------------------------------------------
    rupture_rate: float = _param(
        0.05,
        unit="probability per session",
        allowed="probability",
        source="about 46% of patients rupture in 12 sessions (McLaughlin et al. 2014)",
        doc="chance of a rupture at a session, for a patient of average IIP",
    )
    rupture_iip_odds_ratio: float = _param(
        1.5,
        unit="odds ratio per SD of IIP",
        allowed="positive",
        source="design choice",
        doc="how much more likely ruptures are per SD of interpersonal problems",
    )
    rupture_depth: float = _param(
        0.7,
        unit="WAI-SR points",
        allowed="sd",
        source="about 2 within-patient SDs (Gumz et al. 2012)",
        doc="mean drop of the alliance at a rupture",
    )
    rupture_depth_sd: float = _param(
        0.15,
        unit="WAI-SR points",
        allowed="sd",
        source="design choice",
        doc="SD of the drop between ruptures",
    )
    rupture_depth_iip: float = _param(
        0.1,
        unit="WAI-SR points per SD of IIP",
        allowed="real",
        source="design choice",
        doc="how much deeper ruptures are per SD of interpersonal problems",
    )
    repair_prob_trained: float = _param(
        0.75,
        unit="probability",
        allowed="probability",
        source="design choice (direction: Eubanks et al. 2018; Zilcha-Mano & Fisher 2022)",
        doc="chance a rupture is repaired when the therapist has alliance-focused training",
    )
    repair_prob_untrained: float = _param(
        0.45,
        unit="probability",
        allowed="probability",
        source="design choice (local repair in about 50% of cases; Stevens et al. 2007)",
        doc="chance a rupture is repaired when the therapist has no such training",
    )
    unrepaired_persistence: float = _param(
        0.5,
        unit="share of the drop",
        allowed="probability",
        source="design choice",
        doc="share of an unrepaired rupture's drop that lasts to the end of treatment",
    )

    # --- missing data ---------------------------------------------------------
    missing_alliance: float = _param(
        0.04,
        unit="probability per session",
        allowed="probability",
        source="design choice (a few percent)",
        doc="chance an attended session's alliance questionnaire is missing",
    )
    missing_symptoms: float = _param(
        0.03,
        unit="probability per session",
        allowed="probability",
        source="design choice (a few percent)",
        doc="chance an attended session's symptom questionnaire is missing",
    )
    dropout_hazard: float = _param(
        0.015,
        unit="probability per session",
        allowed="probability",
        source="design choice (some early dropout)",
        doc="chance a patient stops after any session before the last (if their symptoms "
        "change as on average)",
    )
    dropout_mechanism: str = _param(
        "mcar",
        unit="mechanism",
        allowed="dropout mechanism",
        source="the three mechanisms of Rubin 1976; which one holds is a design choice",
        doc="what the chance of dropping out depends on: 'mcar' (nothing), 'mar' (the "
        "symptom change last reported) or 'mnar' (the true symptom change in the following "
        "week, never reported)",
    )
    dropout_worsening_odds_ratio: float = _param(
        1.0,
        unit="odds ratio per BDI-II point",
        allowed="positive",
        source="logistic dropout model of Diggle & Kenward 1994; its size is a design choice",
        doc="how much more likely leaving is per BDI-II point that symptoms worsen more than "
        "on average (1 with 'mcar')",
    )

    def __post_init__(self):
        for f in dataclasses.fields(self):
            _check_field(f, getattr(self, f.name))
        self._check_joint()

    # ------------------------------------------------------------------------
    @property
    def n_patients(self) -> int:
        """Total number of patients, ``n_therapists * patients_per_therapist``."""
        return self.n_therapists * self.patients_per_therapist

    def replace(self, **changes) -> SimulationParameters:
        """A copy with some fields changed, checked like a new instance.

        >>> SimulationParameters().replace(n_sessions=20).n_sessions
        20
        """
        return SimulationParameters(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict:
        """The parameters as a plain ``{name: value}`` dictionary."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def baseline_correlation(self) -> np.ndarray:
        """Correlation matrix of the latent baseline measures.

        Order: interpersonal problems, avoidance, self-esteem, intake symptoms.
        """
        r = np.eye(4)
        pairs = {
            (0, 1): self.r_iip_avoidance,
            (0, 2): self.r_iip_self_esteem,
            (1, 2): self.r_avoidance_self_esteem,
            (0, 3): self.r_iip_bdi,
            (2, 3): self.r_self_esteem_bdi,
        }
        for (i, j), v in pairs.items():
            r[i, j] = r[j, i] = v
        return r

    def trait_weights(self) -> np.ndarray:
        """Regression weights of standardized trait alliance on IIP, avoidance, self-esteem.

        Chosen so that the trait's correlations with the three measures are exactly
        ``r_trait_iip``, ``r_trait_avoidance`` and ``r_trait_self_esteem``.
        """
        target = np.array([self.r_trait_iip, self.r_trait_avoidance, self.r_trait_self_esteem])
        return np.linalg.solve(self.baseline_correlation()[:3, :3], target)

    def state_transition(self, alliance_effect=None) -> np.ndarray:
        r"""The lagged coefficients of the standardized state-like parts, session to session.

        The state-like alliance :math:`a_t` and symptoms :math:`s_t` follow

        .. math::

            s_t &= \rho_S s_{t-1} + \beta a_{t-1} + v_t \\
            a_t &= \rho_A a_{t-1} + \gamma s_{t-1} + \gamma_0 s_t + u_t,

        where :math:`\gamma_0` (``symptoms_to_alliance_same_session``) acts within
        the session. Substituting :math:`s_t` gives a VAR(1),
        :math:`(a_t, s_t)' = \Phi (a_{t-1}, s_{t-1})' + e_t`, with

        .. math::

            \Phi = \begin{pmatrix} \rho_A + \gamma_0\beta & \gamma + \gamma_0\rho_S \\
                                    \beta & \rho_S \end{pmatrix}.

        :math:`\Phi` is what a model of lagged values alone (such as the
        RI-CLPM) estimates; with :math:`\gamma_0 = 0` it holds the structural
        effects themselves.

        Parameters
        ----------
        alliance_effect : float or array_like, optional
            A patient's standardized alliance effect :math:`\beta`; the
            average ``alliance_to_symptoms`` when omitted.

        Returns
        -------
        numpy.ndarray
            :math:`\Phi`, of shape ``(2, 2)`` or ``(n, 2, 2)`` for ``n`` effects
            (order: alliance, symptoms).

        Examples
        --------
        >>> SimulationParameters().state_transition().round(3).tolist()
        [[0.3, -0.08], [-0.185, 0.3]]
        >>> p = SimulationParameters(symptoms_to_alliance_same_session=-0.2)
        >>> p.state_transition().round(3).tolist()
        [[0.337, -0.14], [-0.185, 0.3]]
        """
        beta = np.asarray(
            self.alliance_to_symptoms if alliance_effect is None else alliance_effect, float
        )
        g0 = self.symptoms_to_alliance_same_session
        phi = np.empty(beta.shape + (2, 2))
        phi[..., 0, 0] = self.alliance_ar + g0 * beta
        phi[..., 0, 1] = self.symptoms_to_alliance + g0 * self.symptom_ar
        phi[..., 1, 0] = beta
        phi[..., 1, 1] = self.symptom_ar
        return phi

    def growth_improvement_correlation(self) -> float:
        """Correlation of a patient's own alliance growth with their symptom slope.

        ``growth_to_symptom_slope * alliance_growth_sd / symptom_slope_sd``: the
        growth takes this share (squared) of the differences between patients'
        rates of improvement, which keep the SD ``symptom_slope_sd``.

        Examples
        --------
        >>> p = SimulationParameters(alliance_growth_sd=0.03, growth_to_symptom_slope=-8.0)
        >>> round(p.growth_improvement_correlation(), 3)
        -0.4
        """
        effect = self.growth_to_symptom_slope * self.alliance_growth_sd
        if effect == 0.0:
            return 0.0
        if self.symptom_slope_sd == 0.0:
            return math.copysign(math.inf, effect)
        return effect / self.symptom_slope_sd

    def symptom_error_for_reliability(self, reliability: float) -> float:
        r"""The ``symptom_error_sd`` at which intake BDI-II scores have this reliability.

        Classical test theory: reliability is the true share of the observed
        variance between patients, so the error SD is
        :math:`\sigma_T \sqrt{(1 - \rho) / \rho}`, with :math:`\sigma_T^2` =
        ``bdi_sd**2 + symptom_state_sd**2`` the variance of the true intake symptoms.

        Parameters
        ----------
        reliability : float
            A reliability in (0, 1], e.g. the BDI-II's coefficient alpha of .91
            among psychiatric outpatients (Beck, Steer, Ball & Ranieri 1996).

        Examples
        --------
        >>> round(SimulationParameters().symptom_error_for_reliability(0.91), 2)
        2.81
        """
        if (
            not isinstance(reliability, (int, float))
            or isinstance(reliability, bool)
            or not 0.0 < reliability <= 1.0
        ):
            raise ValueError(f"reliability must be a number in (0, 1], got {reliability!r}")
        true_sd = math.hypot(self.bdi_sd, self.symptom_state_sd)
        return true_sd * math.sqrt((1.0 - reliability) / reliability)

    def _check_joint(self):
        if np.linalg.eigvalsh(self.baseline_correlation()).min() <= 1e-9:
            raise ValueError(
                "the correlations among IIP, avoidance, self-esteem and intake symptoms "
                "(r_iip_avoidance, r_iip_self_esteem, r_avoidance_self_esteem, r_iip_bdi, "
                "r_self_esteem_bdi) do not form a valid correlation matrix; "
                "make them smaller in size"
            )
        # the trait variance explained by baseline measures plus the therapist
        # share must leave room for a patient-specific part
        target = np.array([self.r_trait_iip, self.r_trait_avoidance, self.r_trait_self_esteem])
        explained = float(target @ self.trait_weights())
        if explained + self.therapist_share >= 1.0:
            raise ValueError(
                f"therapist_share = {self.therapist_share} is not allowed with these trait "
                f"correlations: together they explain {explained + self.therapist_share:.3f} "
                "of the trait variance; the total must stay below 1"
            )
        # the within-patient dynamics must be stationary for every plausible
        # patient: check the alliance effect at +-4 SD of IIP and of its spread
        spread = 4 * (abs(self.alliance_to_symptoms_iip) + self.alliance_to_symptoms_sd)
        for beta in (self.alliance_to_symptoms - spread, self.alliance_to_symptoms + spread):
            phi = self.state_transition(beta)
            if np.abs(np.linalg.eigvals(phi)).max() >= 0.99:
                raise ValueError(
                    "alliance_ar, symptom_ar and the cross-lagged effects "
                    "(alliance_to_symptoms, alliance_to_symptoms_iip, alliance_to_symptoms_sd, "
                    "symptoms_to_alliance, symptoms_to_alliance_same_session) make the "
                    "session-to-session dynamics explosive for some patients "
                    f"(alliance effect {beta:.2f}); make them smaller in size"
                )
        # the alliance growth's share of the differences in improvement, and the
        # trait's, must leave room for other causes
        growth_r = self.growth_improvement_correlation()
        if growth_r**2 + self.r_trait_improvement**2 >= 1.0:
            raise ValueError(
                f"growth_to_symptom_slope = {self.growth_to_symptom_slope} with "
                f"alliance_growth_sd = {self.alliance_growth_sd} is not allowed with "
                f"symptom_slope_sd = {self.symptom_slope_sd} and r_trait_improvement = "
                f"{self.r_trait_improvement}: growth and trait would explain "
                f"{growth_r**2 + self.r_trait_improvement**2:.3f} of the differences in "
                "improvement; the total must stay below 1 (make the growth effect smaller "
                "or symptom_slope_sd larger)"
            )
        if self.dropout_mechanism == "mcar" and self.dropout_worsening_odds_ratio != 1.0:
            raise ValueError(
                f"dropout_worsening_odds_ratio = {self.dropout_worsening_odds_ratio} needs "
                "dropout_mechanism = 'mar' or 'mnar': with 'mcar' (completely at random) the "
                "chance of dropping out depends on nothing, so the odds ratio must be 1"
            )


def _check_field(f: dataclasses.Field, value) -> None:
    kind = f.metadata["allowed"]
    if kind in _CHOICES:
        if not isinstance(value, str) or value not in _CHOICES[kind]:
            allowed = ", ".join(repr(k) for k in _CHOICES[kind])
            raise ValueError(
                f"{f.name} = {value!r} is not allowed: it must be one of {allowed} "
                f"({f.metadata['doc']})"
            )
        return
    test, words = _ALLOWED[kind]
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if kind in ("count", "sessions"):
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        value_ok = ok and test(int(value))
    else:
        value_ok = is_number and math.isfinite(float(value)) and test(float(value))
    if not value_ok:
        raise ValueError(
            f"{f.name} = {value!r} is not allowed: it must be {words} ({f.metadata['doc']})"
        )


def describe_parameters(params: SimulationParameters | None = None) -> pd.DataFrame:
    """A table of every simulation parameter: value, unit, meaning and source.

    Parameters
    ----------
    params : SimulationParameters, optional
        The parameters to describe; the defaults when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per parameter with columns ``parameter``, ``value``, ``unit``,
        ``description`` and ``source``.

    Examples
    --------
    >>> table = describe_parameters()
    >>> row = table.set_index("parameter").loc["trait_sd"]
    >>> row["value"], row["unit"]
    (0.55, 'WAI-SR points')
    """
    if params is None:
        params = SimulationParameters()
    if not isinstance(params, SimulationParameters):
        raise TypeError(
            f"params must be a SimulationParameters instance, got {type(params).__name__}"
        )
    rows = [
        {
            "parameter": f.name,
            "value": getattr(params, f.name),
            "unit": f.metadata["unit"],
            "description": f.metadata["doc"],
            "source": f.metadata["source"],
        }
        for f in dataclasses.fields(params)
    ]
    table = pd.DataFrame(rows)
    # keep counts as integers and rates as floats (a float column would show 30.0 therapists)
    table["value"] = pd.Series([r["value"] for r in rows], dtype=object)
    return table
