"""Published effect sizes the book compares its estimates with, each with its source.

One table, so that a number quoted in a chapter (the meta-analytic
alliance-outcome correlation, the size of a trait correlate) is read from the
same place every time and never typed by hand. Each row says how the figure
was checked: ``"checked"`` (seen in the source's abstract or full text) or
``"assumption"`` (no source found: a plausible value, never to be presented
as a finding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["observed_figures", "published_effects", "session_studies"]

_NAN = np.nan

# quantity, label, r, ci_low, ci_high, k (studies or samples), source, bibtex key, mark, note
_ROWS = [
    (
        "alliance_outcome",
        "alliance and outcome",
        0.278,
        0.256,
        0.299,
        295,
        "Flückiger et al. 2018",
        "fluckiger2018",
        "checked",
        "face-to-face psychotherapy, >30,000 patients; equivalent to d = .579",
    ),
    (
        "alliance_outcome_internet",
        "alliance and outcome, internet-based",
        0.275,
        _NAN,
        _NAN,
        23,
        "Flückiger et al. 2018",
        "fluckiger2018",
        "checked",
        "internet-based psychotherapy",
    ),
    (
        "alliance_outcome_2011",
        "alliance and outcome (2011 synthesis)",
        0.275,
        _NAN,
        _NAN,
        190,
        "Horvath et al. 2011",
        "horvath2011",
        "checked",
        ">14,000 treatments",
    ),
    (
        "iip",
        "interpersonal problems and alliance",
        -0.12,
        -0.16,
        -0.08,
        27,
        "meta-analysis in Psychotherapy 61(3), 198-211 (2024), doi:10.1037/pst0000534",
        "",
        "checked",
        "pretreatment interpersonal problems; 48 correlations from 27 studies",
    ),
    (
        "avoidance",
        "attachment avoidance and alliance",
        -0.13,
        _NAN,
        _NAN,
        33,
        "Notsu et al. 2024",
        "notsu2024",
        "checked",
        "client-rated alliance",
    ),
    (
        "attachment_anxiety",
        "attachment anxiety and alliance",
        -0.09,
        _NAN,
        _NAN,
        33,
        "Notsu et al. 2024",
        "notsu2024",
        "checked",
        "client-rated alliance",
    ),
    (
        "attachment_security",
        "attachment security and alliance",
        0.17,
        0.10,
        0.23,
        17,
        "Diener & Monroe 2011",
        "diener2011",
        "checked",
        "17 independent samples, N = 886",
    ),
    (
        "self_esteem",
        "self-esteem and alliance",
        0.12,
        _NAN,
        _NAN,
        0,
        "assumption (no meta-analysis found)",
        "",
        "assumption",
        "a plausible size, about +.10 to +.15; not a finding",
    ),
    (
        "repair_outcome",
        "rupture repair and outcome",
        0.29,
        _NAN,
        _NAN,
        11,
        "Eubanks et al. 2018",
        "eubanks2018",
        "checked",
        "1,314 patients; equivalent to d = .62",
    ),
    (
        "training_outcome",
        "rupture-resolution training and outcome",
        0.11,
        _NAN,
        _NAN,
        6,
        "Eubanks et al. 2018",
        "eubanks2018",
        "checked",
        "not statistically significant",
    ),
]

_COLUMNS = ["quantity", "label", "r", "ci_low", "ci_high", "k", "source", "key", "mark", "note"]


def published_effects(quantities=None) -> pd.DataFrame:
    """Published correlations about the alliance, with confidence interval and source.

    Parameters
    ----------
    quantities : str or sequence of str, optional
        Rows to return, by ``quantity`` name (for example
        ``"alliance_outcome"``, ``"iip"``, ``"avoidance"``, ``"self_esteem"``);
        all rows when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quantity``: ``label``, ``r`` (a correlation; positive
        means a better alliance goes with more of the other variable),
        ``ci_low`` and ``ci_high`` (95% interval, missing where the source
        gives none that was checked), ``k`` (studies or samples pooled; 0 for
        an assumption), ``source``, ``key`` (the entry in ``references.bib``,
        empty if there is none), ``mark`` (``"checked"`` or
        ``"assumption"``) and ``note``.

    Examples
    --------
    >>> table = published_effects(["alliance_outcome", "iip"])
    >>> table[["r", "ci_low", "ci_high", "k"]]
                         r  ci_low  ci_high    k
    quantity
    alliance_outcome  0.278   0.256    0.299  295
    iip              -0.120  -0.160   -0.080   27
    """
    table = pd.DataFrame(_ROWS, columns=_COLUMNS).set_index("quantity")
    if quantities is None:
        return table
    wanted = [quantities] if isinstance(quantities, str) else list(quantities)
    unknown = [q for q in wanted if q not in table.index]
    if unknown:
        raise ValueError(f"unknown quantities {unknown}; available: {list(table.index)}")
    return table.loc[wanted]


# Session-by-session studies of the alliance: what each observed, and which
# simulation parameters it informs (book.simulation.parameters). All were
# checked in the source's abstract or full text.
# study, key, patients, design, finding, informs
_SESSION_STUDIES = [
    (
        "Crits-Christoph et al. 2011",
        "critschristoph2011",
        _NAN,
        "alliance rated session by session; generalizability of a patient's score",
        "one session's alliance is below .80 as a measure of the patient; four or more "
        "sessions reach .90 or more",
        ("trait_sd", "state_sd"),
    ),
    (
        "Whelen et al. 2021",
        "whelen2021",
        191,
        "early sessions of cognitive behavioural therapy for depression",
        "most alliance variance lies between patients; within-patient effects in both "
        "directions in the primary model, not significant after detrending",
        ("state_sd", "alliance_trend"),
    ),
    (
        "Zilcha-Mano et al. 2014",
        "zilchamano2014",
        149,
        "depression; supportive-expressive therapy, medication or placebo; four waves",
        "alliance and prior symptoms both predicted later symptoms; symptoms did not "
        "predict later alliance",
        ("alliance_to_symptoms", "symptoms_to_alliance"),
    ),
    (
        "Falkenström et al. 2013",
        "falkenstrom2013",
        646,
        "primary care; WAI-SR and CORE-OM every session",
        "reciprocal effects; the alliance effect varied between patients and was "
        "stronger with personality problems",
        ("alliance_to_symptoms", "symptoms_to_alliance", "alliance_to_symptoms_sd"),
    ),
    (
        "Falkenström et al. 2016",
        "falkenstrom2016",
        84,
        "depression; BDI-II before and WAI after each session; difference GMM",
        "one WAI point of within-patient improvement predicted b = -4.35 (SE 1.96) "
        "BDI-II points at the next session",
        ("alliance_to_symptoms",),
    ),
    (
        "Flückiger et al. 2020",
        "fluckiger2020",
        5350,
        "17 studies, sessions 1-7",
        "reciprocal within-patient lagged effects in both directions",
        ("alliance_to_symptoms", "symptoms_to_alliance"),
    ),
    (
        "Zilcha-Mano & Errázuriz 2015",
        "zilchamano2015",
        547,
        "outpatients in Chile",
        "more severe and longer treatments benefited more from state-like gains",
        (),
    ),
    (
        "Zilcha-Mano et al. 2018",
        "zilchamano2018",
        185,
        "cognitive behavioural therapy",
        "state-like strengthening of the alliance predicted outcome for patients who "
        "described themselves as overly cold (IIP)",
        ("alliance_to_symptoms_iip",),
    ),
]


def session_studies() -> pd.DataFrame:
    """Session-by-session alliance studies: design, finding, and what they inform in the simulation.

    Returns
    -------
    pandas.DataFrame
        One row per study: ``study``, ``key`` (the entry in
        ``references.bib``), ``patients`` (missing where the source's sample
        was not checked), ``design``, ``finding`` (in the book's words) and
        ``informs`` (the names of the simulation parameters the finding
        grounds, in :class:`~book.simulation.parameters.SimulationParameters`;
        empty when the simulation does not model it).

    Examples
    --------
    >>> studies = session_studies()
    >>> studies.loc[studies["key"] == "falkenstrom2016", "patients"].item()
    84.0
    """
    columns = ["study", "key", "patients", "design", "finding", "informs"]
    table = pd.DataFrame(_SESSION_STUDIES, columns=columns)
    return table.astype({"patients": "float64"})


# Published figures computed from *observed* scores, each with the statistic it is in
# its source: what the simulation's defaults are calibrated against
# (book.montecarlo.calibration). All were seen in the source's abstract or text.
# quantity, label, value, ci_low, ci_high, patients, statistic, source, key, note
_OBSERVED = [
    (
        "alliance_outcome_r",
        "alliance and outcome",
        0.278,
        0.256,
        0.299,
        _NAN,
        "correlation of the patient's alliance, mostly rated early in treatment, with "
        "treatment outcome; three-level random-effects meta-analysis of 295 studies",
        "Flückiger et al. 2018",
        "fluckiger2018",
        "more than 30,000 patients of face-to-face psychotherapy",
    ),
    (
        "session_icc",
        "a single session's alliance as a measure of the patient",
        0.77,
        _NAN,
        _NAN,
        45,
        "generalizability coefficient of one session's alliance rating at the patient "
        "level: the share of its variance that lies between patients (23% error)",
        "Crits-Christoph et al. 2011",
        "critschristoph2011",
        "alliance rated after every session of psychotherapy for major depression; at least "
        "two sessions reach .80, four or more .90",
    ),
    (
        "alliance_outcome_r_session3",
        "alliance at session 3 and outcome",
        0.217,
        -0.082,
        0.480,
        45,
        "square root of the 4.7% of outcome variance explained by the session-3 alliance "
        "(interval: Fisher z with 45 patients)",
        "Crits-Christoph et al. 2011",
        "critschristoph2011",
        "the same study; one early rating, as most studies use",
    ),
    (
        "alliance_outcome_r_sessions3to9",
        "mean alliance of sessions 3 to 9 and outcome",
        0.383,
        0.101,
        0.608,
        45,
        "square root of the 14.7% of outcome variance explained by the mean alliance of "
        "sessions 3 to 9 (interval: Fisher z with 45 patients)",
        "Crits-Christoph et al. 2011",
        "critschristoph2011",
        "the same study; averaging sessions removes session-to-session noise",
    ),
    (
        "within_effect_standardized",
        "alliance after one session and distress before the next, standardized",
        -0.185,
        -0.21,
        -0.16,
        345,
        "within-patient cross-lagged effect of the random-intercept cross-lagged panel "
        "model, standardized; the source gives its range over sessions, .16 to .21 in size "
        "(value: the middle of the range; sign: a better alliance, less distress)",
        "Falkenström et al. 2019",
        "falkenstrom2019",
        "Session Alliance Inventory and CORE-OM after every session, outpatients in Nairobi; "
        "1.27 CORE-OM points per SAI point (SE .60)",
    ),
    (
        "within_effect_bdi_per_wai",
        "alliance after one session and BDI-II before the next",
        -4.35,
        -8.19,
        -0.51,
        84,
        "within-patient effect in BDI-II points per point of the Working Alliance Inventory, "
        "from a dynamic panel model (difference GMM), b = -4.35, SE 1.96 (interval: "
        "b ± 1.96 SE)",
        "Falkenström et al. 2016",
        "falkenstrom2016",
        "depression; BDI-II before and alliance after each session",
    ),
]

_OBSERVED_COLUMNS = [
    "quantity",
    "label",
    "value",
    "ci_low",
    "ci_high",
    "patients",
    "statistic",
    "source",
    "key",
    "note",
]


def observed_figures(quantities=None) -> pd.DataFrame:
    """Published figures from observed scores that the simulation is calibrated against.

    A latent parameter of the simulation is not a published figure: published
    figures come from questionnaire scores, with their measurement error. The
    defaults of :class:`~book.simulation.parameters.SimulationParameters` are
    chosen so that the same analysis of simulated studies reproduces these
    figures (:mod:`book.montecarlo.calibration`).

    Parameters
    ----------
    quantities : str or sequence of str, optional
        Rows to return, by ``quantity``; all rows when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quantity``: ``label``, ``value`` (the published figure,
        signed so that a better alliance goes with fewer symptoms or more
        improvement as in the simulation), ``ci_low`` and ``ci_high`` (a 95%
        interval: published, or derived as its ``statistic`` says; missing
        where neither exists), ``patients`` (the source's sample, missing for a
        meta-analysis), ``statistic`` (what the figure is in its source),
        ``source``, ``key`` (in ``references.bib``) and ``note``.

    Examples
    --------
    >>> observed_figures(["alliance_outcome_r", "session_icc"])[["value", "patients"]]
                        value  patients
    quantity
    alliance_outcome_r  0.278       NaN
    session_icc         0.770      45.0
    """
    table = pd.DataFrame(_OBSERVED, columns=_OBSERVED_COLUMNS).set_index("quantity")
    table = table.astype({"patients": "float64"})
    if quantities is None:
        return table
    wanted = [quantities] if isinstance(quantities, str) else list(quantities)
    unknown = [q for q in wanted if q not in table.index]
    if unknown:
        raise ValueError(f"unknown quantities {unknown}; available: {list(table.index)}")
    return table.loc[wanted]
