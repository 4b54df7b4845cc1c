"""The simulated study, explored: move a parameter, see patients and the ICC change.

Five sliders set the trait-like SD, the within-patient SD, the autoregression of
the session-to-session fluctuations, the alliance's effect on next-session
symptoms and its moderation by interpersonal problems. Every update simulates
the whole study again with :func:`book.simulation.simulate` (same seed, so the same
patients), draws four patients' alliance and symptoms, and splits the variance
of the observed alliance into between and within patients
(:func:`book.estimation.decomposition.icc`) beside the split the parameters imply.

>>> from book.widgets.study import study_explorer
>>> explorer = study_explorer()
>>> round(explorer.icc_parameters, 2), round(explorer.icc_estimate, 2)
(0.93, 0.77)
>>> explorer.controls["state_sd"].value = 0.6      # what moving the slider does
>>> round(explorer.icc_parameters, 2), round(explorer.icc_estimate, 2)
(0.46, 0.45)
"""

from __future__ import annotations

import numpy as np

from book.estimation.decomposition import icc
from book.plots import COLORS, OKABE_ITO
from book.simulation.engine import CANONICAL_SEED, simulate, true_effects
from book.simulation.parameters import SimulationParameters
from book.widgets.explorer import Explorer, slider

__all__ = ["StudyExplorer", "study_explorer"]

#: What to try, and what to notice.
TRY_THIS = (
    "Raise the within SD from 0.15 to 0.6, and notice that the ICC falls below one half and "
    "the four patients' lines tangle: one session then says more about the session than "
    "about the patient."
)

# four patients of the default study who attended all twelve sessions, from a low
# to a high trait-like alliance (chosen once; the same seed keeps them the same people)
_CONTROLS = ("trait_sd", "state_sd", "rho", "effect", "moderation")
_PATIENT_QUANTILES = (0.1, 0.4, 0.65, 0.9)
_PATIENT_COLOURS = (OKABE_ITO[5], OKABE_ITO[1], OKABE_ITO[3], OKABE_ITO[7])


class StudyExplorer(Explorer):
    """Simulate the book's study with other parameters, and look at what changes.

    Parameters
    ----------
    seed : int, default CANONICAL_SEED
        Seed of every simulation; at the default values the explorer shows the
        book's canonical study.
    **values
        Starting values of the controls (``trait_sd``, ``state_sd``, ``rho``,
        ``effect``, ``moderation``); the defaults are those of
        :class:`~book.simulation.parameters.SimulationParameters`.

    Attributes
    ----------
    params : SimulationParameters
        The parameters of the study shown.
    study : Study
        The simulated study.
    patient_ids : list of int
        The four patients drawn.
    icc_parameters : float
        :math:`\\sigma_\\tau^2 / (\\sigma_\\tau^2 + \\sigma_A^2)` from the sliders.
    icc_table : pandas.DataFrame
        :func:`book.estimation.decomposition.icc` of the observed WAI-SR.
    icc_estimate : float
    true_effects : dict
        The true effect of a better-than-usual alliance on next-session BDI-II,
        in BDI-II points per WAI-SR point: ``"mean IIP"``, ``"IIP -1 SD"``,
        ``"IIP +1 SD"``.
    """

    title = "The simulated study"
    try_this = TRY_THIS
    figsize = (10.0, 3.6)
    n_panels = 3
    margins = {"left": 0.07, "wspace": 0.3}

    def __init__(self, *, seed: int = CANONICAL_SEED, **values):
        unknown = sorted(set(values) - set(_CONTROLS))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; choose from {', '.join(_CONTROLS)}")
        self.seed = seed
        self._start = values
        default = SimulationParameters()
        self.patient_ids = _pick_patients(simulate(default, seed=seed))
        self.params = default
        super().__init__()

    def _controls(self):
        d = SimulationParameters()
        v = {
            "trait_sd": d.trait_sd,
            "state_sd": d.state_sd,
            "rho": d.alliance_ar,
            "effect": d.alliance_to_symptoms,
            "moderation": d.alliance_to_symptoms_iip,
            **self._start,
        }
        return [
            ("trait_sd", slider("trait-like SD σ_τ (WAI-SR points)", v["trait_sd"], 0, 1, 0.05)),
            (
                "state_sd",
                slider(
                    "within-patient SD σ_A (WAI-SR points)",
                    v["state_sd"],
                    0.05,
                    0.8,
                    0.001,
                    readout_format=".3f",
                ),
            ),
            ("rho", slider("autoregression ρ_A = ρ_S", v["rho"], 0, 0.9, 0.05)),
            (
                "effect",
                slider(
                    "alliance → symptoms β₀ (SD per SD)",
                    v["effect"],
                    -0.5,
                    0.2,
                    0.005,
                    readout_format=".3f",
                ),
            ),
            ("moderation", slider("moderation by IIP β_IIP", v["moderation"], -0.2, 0.1, 0.01)),
        ]

    def _compute(self) -> None:
        c = {name: control.value for name, control in self.controls.items()}
        params = SimulationParameters().replace(
            trait_sd=c["trait_sd"],
            state_sd=c["state_sd"],
            alliance_ar=c["rho"],
            symptom_ar=c["rho"],
            alliance_to_symptoms=c["effect"],
            alliance_to_symptoms_iip=c["moderation"],
        )
        study = simulate(params, seed=self.seed)
        table = icc(study.sessions, "alliance")
        truth = true_effects(params)  # BDI-II points per WAI-SR point
        # everything is computed before anything is kept: a failure leaves the last view
        self.params, self.study, self.icc_table = params, study, table
        self.icc_estimate = float(table["icc"].iloc[0])
        self.icc_parameters = params.trait_sd**2 / (params.trait_sd**2 + params.state_sd**2)
        main, per_sd = truth["alliance_within"], truth["alliance_within:iip_z"]
        self.true_effects = {
            "mean IIP": main,
            "IIP -1 SD": main - per_sd,
            "IIP +1 SD": main + per_sd,
        }

    def trajectories(self):
        """The drawn patients' sessions: ``patient_id``, ``session``, ``alliance``, ``bdi``."""
        s = self.study.sessions
        rows = s[s["patient_id"].isin(self.patient_ids)]
        out = rows[["patient_id", "session", "alliance"]].copy()
        out["bdi"] = rows["bdi"].astype("float64")
        return out.reset_index(drop=True)

    # -- the view -------------------------------------------------------------------------
    def _create_artists(self, axes):
        ax_a, ax_s, ax_v = axes
        sessions = np.arange(1, 13)
        lines_a, lines_s = [], []
        for colour, pid in zip(_PATIENT_COLOURS, self.patient_ids, strict=True):
            (la,) = ax_a.plot([], [], "o-", color=colour, ms=3.5, lw=1.5, label=f"patient {pid}")
            (ls,) = ax_s.plot([], [], "s-", color=colour, ms=3, lw=1.2)
            lines_a.append(la)
            lines_s.append(ls)
        ax_a.set(
            xlim=(0.5, 12.5),
            ylim=(1, 5.15),
            xticks=sessions[::2] + 0,
            xlabel="session",
            ylabel="alliance (WAI-SR, 1–5)",
            title="alliance",
        )
        ax_s.set(
            xlim=(0.5, 12.5),
            ylim=(0, 50),
            xticks=sessions[::2],
            xlabel="session",
            ylabel="symptoms (BDI-II, 0–63)",
            title="symptoms",
        )
        ax_a.legend(fontsize="x-small", loc="lower left", ncol=2, handlelength=1.2)
        rows = [1, 0]  # parameters on top, the estimate below
        between = ax_v.barh(
            rows, [0, 0], height=0.45, color=COLORS["trait"], label="between patients"
        )
        within = ax_v.barh(
            rows, [0, 0], height=0.45, color=COLORS["state"], label="within patients"
        )
        labels = [
            ax_v.text(0, r, "", va="center", fontsize="small", fontweight="bold") for r in rows
        ]
        for r, what in zip(
            rows, ["latent alliance (parameters)", "observed WAI-SR (estimate)"], strict=True
        ):
            ax_v.text(0, r + 0.26, what, va="bottom", fontsize="small")
        ax_v.set_yticks([])
        ax_v.set(
            xlim=(0, 1),
            ylim=(-0.35, 2.05),
            xlabel="share of the alliance's variance",
            title="ICC: share between patients",
        )
        ax_v.legend(fontsize="x-small", loc="upper center", ncol=2, handlelength=1)
        return {
            "alliance": lines_a,
            "symptoms": lines_s,
            "between": between.patches,
            "within": within.patches,
            "labels": labels,
            "ax_v": ax_v,
        }

    def _set_artists(self, a) -> None:
        data = self.trajectories()
        for pid, la, ls in zip(self.patient_ids, a["alliance"], a["symptoms"], strict=True):
            mine = data[data["patient_id"] == pid]
            la.set_data(mine["session"], mine["alliance"])
            ls.set_data(mine["session"], mine["bdi"])
        for r, bar_b, bar_w, text in zip(
            (self.icc_parameters, self.icc_estimate),
            a["between"],
            a["within"],
            a["labels"],
            strict=True,
        ):
            bar_b.set_width(r)
            bar_w.set_x(r)
            bar_w.set_width(1 - r)
            inside = r >= 0.3  # the label fits in the between bar, in white
            text.set_x(r - 0.02 if inside else r + 0.02)
            text.set_horizontalalignment("right" if inside else "left")
            text.set_color("white" if inside else COLORS["truth"])
            text.set_text(f"ICC {r:.2f}")

    def _status(self) -> str:
        e, p, row = self.true_effects, self.params, self.icc_table.iloc[0]
        return (
            f"ICC from the parameters {self.icc_parameters:.2f} (variance between patients "
            f"{p.trait_sd**2:.3f}, within {p.state_sd**2:.3f} WAI-SR points²); estimated from "
            f"the observed WAI-SR {self.icc_estimate:.2f} (95% CI {row['ci_low']:.2f} to "
            f"{row['ci_high']:.2f}; between {row['var_between']:.3f}, within "
            f"{row['var_within']:.3f}).\n"
            f"True effect of a session one WAI-SR point better than usual on next-session "
            f"BDI-II: {e['mean IIP']:.2f} points at average IIP, {e['IIP -1 SD']:.2f} at "
            f"IIP -1 SD, {e['IIP +1 SD']:.2f} at +1 SD."
        )


def _pick_patients(study) -> list[int]:
    complete = study.patients.loc[~study.patients["dropped_out"], "patient_id"]
    traits = study.truth.patients.set_index("patient_id").loc[complete, "trait_alliance"]
    ranked = traits.sort_values()
    picks = [int(ranked.index[int(q * (len(ranked) - 1))]) for q in _PATIENT_QUANTILES]
    return picks


def study_explorer(*, seed: int = CANONICAL_SEED, **values) -> StudyExplorer:
    """An explorer of the simulated study: parameters in, trajectories and ICC out.

    Parameters
    ----------
    seed : int, default CANONICAL_SEED
        Seed of every simulation (the defaults give the canonical study).
    **values
        Starting values of the controls: ``trait_sd``, ``state_sd``, ``rho``
        (both autoregressions), ``effect`` (:math:`\\beta_0`) and ``moderation``
        (:math:`\\beta_{\\mathrm{IIP}}`).

    Returns
    -------
    StudyExplorer
        Display it in a notebook to get the live widget; ``draw(axes)`` gives
        the static figure (three panels).

    Examples
    --------
    >>> explorer = study_explorer(trait_sd=0.3)
    >>> round(explorer.icc_parameters, 2)
    0.8
    >>> explorer.set(rho=0.9, effect=-0.5)   # too strong together: explosive dynamics
    >>> explorer.message[:60]
    'alliance_ar, symptom_ar and the cross-lagged effects (allian'
    """
    return StudyExplorer(seed=seed, **values)
