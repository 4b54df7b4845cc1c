r"""Moderation, explored: one patient's IIP in, that patient's expected alliance effect out.

The lagged model is fitted once (by default the detrended
:func:`book.estimation.fit_lagged_model` on the canonical study, as in the
moderation chapter). Moving the slider only evaluates

.. math::

    \hat\theta(m) = \hat b_W + \hat b_{W\times I}\,(m - c), \qquad
    \mathrm{SE}^2(m) = V_{WW} + (m-c)^2 V_{II} + 2(m-c) V_{WI},

with :func:`book.estimation.moderation.simple_slopes`: arithmetic on the stored estimates
and their covariance, never a refit. The left panel shows the effect across
IIP with its 95% band and the Johnson-Neyman region
(:func:`book.estimation.moderation.johnson_neyman`); the right panel what it means for
that patient: the expected change in next-session BDI-II after a session
better or worse than the patient's usual alliance.

>>> from book.widgets.moderation import moderation_explorer
>>> explorer = moderation_explorer()
>>> round(explorer.iip, 3), round(explorer.slope, 2)
(1.588, -2.37)
>>> explorer.controls["iip"].value = 2.5
>>> round(explorer.slope, 2), explorer.significant
(-4.82, True)
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Polygon

from book.estimation.moderation import johnson_neyman, simple_slopes
from book.estimation.multilevel import LaggedModelResult, fit_lagged_model
from book.plots import COLORS
from book.simulation.engine import true_effects
from book.simulation.study import Study
from book.widgets.explorer import Explorer, slider

__all__ = ["ModerationExplorer", "moderation_explorer"]

#: What to try, and what to notice.
TRY_THIS = (
    "Slide from the lowest to the highest IIP and watch the interval: the effect grows "
    "more negative and only leaves zero behind in the shaded Johnson–Neyman region."
)

_DEVIATION = 0.5  # the right panel spans sessions this many WAI-SR points off the usual


class ModerationExplorer(Explorer):
    """The within-patient alliance effect at a chosen IIP, from one fitted model.

    Parameters
    ----------
    fit : LaggedModelResult
        A fit of :func:`book.estimation.fit_lagged_model` (with the interaction).
    study : Study, optional
        The simulated study the model was fitted to; its true effect is drawn
        as a dashed line.
    iip : float, optional
        Starting IIP; by default the mean the model centred IIP at, exactly
        (not rounded to the slider's step), so that the explorer starts at the
        simple slope at the mean of :func:`book.estimation.moderation.simple_slopes`.

    Attributes
    ----------
    iip, slope, std_error, ci_low, ci_high, p_value : float
        The simple slope at the chosen IIP (BDI-II points per WAI-SR point).
    significant : bool
        Whether its 95% confidence interval excludes zero.
    johnson_neyman : book.estimation.moderation.JohnsonNeyman
    true_slope : float or None
        The true effect at the chosen IIP, when ``study`` has a truth.
    """

    title = "For whom does the alliance matter most?"
    try_this = TRY_THIS
    figsize = (10.0, 3.8)
    n_panels = 2
    margins = {"left": 0.07, "bottom": 0.15, "right": 0.98, "top": 0.9, "wspace": 0.25}

    def __init__(self, fit: LaggedModelResult, *, study: Study | None = None, iip=None):
        if not isinstance(fit, LaggedModelResult):
            raise TypeError(
                f"fit must come from book.estimation.fit_lagged_model, got {type(fit).__name__}"
            )
        if fit.direction != "alliance_to_symptoms":
            raise ValueError("the explorer shows the alliance -> symptoms model; refit with it")
        self.fit = fit
        patients = fit.data.drop_duplicates("patient_id")["iip"]
        self.patient_iip = patients.to_numpy()
        self.iip_range = (
            float(np.floor(patients.min() * 20) / 20),
            float(np.ceil(patients.max() * 20) / 20),
        )
        self.johnson_neyman = johnson_neyman(fit)
        self._truth = None
        if study is not None:
            if not isinstance(study, Study) or study.truth is None:
                raise ValueError("study must be a simulated Study (with truth) to draw the truth")
            p = study.truth.params
            t = true_effects(p)
            self._truth = (t["alliance_within"], t["alliance_within:iip_c"], p.iip_mean)
        start = fit.centering["iip"] if iip is None else iip
        if not isinstance(start, (int, float, np.floating, np.integer)) or not np.isfinite(start):
            raise ValueError(f"iip must be a finite number, got {iip!r}")
        # off the slider's 0.05 grid is fine: the slider keeps the value until moved
        self._start = float(np.clip(start, *self.iip_range))
        grid = np.linspace(*self.iip_range, 121)
        self._band = simple_slopes(fit, at=grid)
        super().__init__()

    def _controls(self):
        lo, hi = self.iip_range
        return [
            ("iip", slider("interpersonal problems (IIP-32 item mean)", self._start, lo, hi, 0.05))
        ]

    def _compute(self) -> None:
        row = simple_slopes(self.fit, at=[float(self.controls["iip"].value)]).iloc[0]
        self.iip = float(row["iip"])
        self.slope, self.std_error = float(row["slope"]), float(row["std_error"])
        self.ci_low, self.ci_high = float(row["ci_low"]), float(row["ci_high"])
        self.p_value = float(row["p_value"])
        self.significant = bool(self.ci_high < 0 or self.ci_low > 0)
        self.true_slope = None
        if self._truth is not None:
            main, per_point, centre = self._truth
            self.true_slope = float(main + per_point * (self.iip - centre))

    # -- the view -------------------------------------------------------------------------
    def _create_artists(self, axes):
        ax_l, ax_r = axes
        band, lo, hi = self._band, *self.iip_range
        # what does not change with the slider: drawn once, into the background
        ax_l.axhline(0, color="0.5", lw=0.8)
        ax_l.fill_between(
            band["iip"],
            band["ci_low"],
            band["ci_high"],
            color=COLORS["estimate"],
            alpha=0.25,
            lw=0,
            label="95% confidence band",
        )
        ax_l.plot(
            band["iip"], band["slope"], color=COLORS["estimate"], lw=2, label="estimated effect"
        )
        shaded = False
        for a, b in self.johnson_neyman.significant:
            a, b = max(a, lo), min(b, hi)
            if a < b:
                ax_l.axvspan(
                    a,
                    b,
                    color=COLORS["state"],
                    alpha=0.15,
                    label=None if shaded else "Johnson–Neyman region",
                )
                shaded = True
        if self._truth is not None:
            main, per_point, centre = self._truth
            ends = [main + per_point * (x - centre) for x in (lo, hi)]
            ax_l.plot(
                [lo, hi], ends, color=COLORS["truth"], ls="--", lw=1.2, label="truth (simulation)"
            )
        floor = float(band["ci_low"].min())
        ceiling = float(band["ci_high"].max())
        pad = 0.08 * (ceiling - floor)
        ax_l.plot(
            self.patient_iip,
            np.full(len(self.patient_iip), floor - pad / 2),
            "|",
            color="0.5",
            ms=6,
        )
        ax_l.set(
            xlim=(lo, hi),
            ylim=(floor - pad, max(ceiling, 0) + pad),
            xlabel="interpersonal problems (IIP-32 item mean)",
            ylabel="effect (BDI-II per WAI-SR point)",
            title="the alliance effect across patients",
        )
        ax_l.legend(loc="upper right", fontsize="x-small")
        # what the slider moves
        marker = ax_l.axvline(lo, color=COLORS["alliance"], lw=1)
        (interval,) = ax_l.plot([], [], color=COLORS["alliance"], lw=3)
        (point,) = ax_l.plot([], [], "o", color=COLORS["alliance"], ms=8)

        span = max(abs(floor), abs(ceiling)) * _DEVIATION * 1.1
        ax_r.axhline(0, color="0.5", lw=0.8)
        ax_r.axvline(0, color="0.5", lw=0.8)
        cone = Polygon(np.zeros((4, 2)), closed=True, color=COLORS["alliance"], alpha=0.2, lw=0)
        ax_r.add_patch(cone)
        (line,) = ax_r.plot([], [], color=COLORS["alliance"], lw=2)
        (true_line,) = ax_r.plot([], [], color=COLORS["truth"], ls="--", lw=1.2)
        box = {"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9}
        label = ax_r.text(
            0.03, 0.04, "", transform=ax_r.transAxes, fontsize="small", va="bottom", bbox=box
        )
        ax_r.set(
            xlim=(-_DEVIATION, _DEVIATION),
            ylim=(-span, span),
            xlabel="alliance minus the patient's usual (WAI-SR points)",
            ylabel="expected change in next BDI-II",
            title="what it means for this patient",
        )
        return {
            "marker": marker,
            "interval": interval,
            "point": point,
            "cone": cone,
            "line": line,
            "true_line": true_line,
            "label": label,
        }

    def _set_artists(self, a) -> None:
        x = self.iip
        a["marker"].set_xdata([x, x])
        a["interval"].set_data([x, x], [self.ci_low, self.ci_high])
        a["point"].set_data([x], [self.slope])
        d = np.array([-_DEVIATION, _DEVIATION])
        a["line"].set_data(d, self.slope * d)
        # the band of slope * d: from ci_low * d to ci_high * d (a bow tie through zero)
        a["cone"].set_xy(
            [
                (-_DEVIATION, -self.ci_low * _DEVIATION),
                (0, 0),
                (_DEVIATION, self.ci_low * _DEVIATION),
                (_DEVIATION, self.ci_high * _DEVIATION),
                (0, 0),
                (-_DEVIATION, -self.ci_high * _DEVIATION),
            ]
        )
        if self.true_slope is not None:
            a["true_line"].set_data(d, self.true_slope * d)
        a["label"].set_text(
            f"IIP {x:.2f}: {self.slope:+.2f} BDI-II per WAI-SR point\n"
            f"95% CI {self.ci_low:+.2f} to {self.ci_high:+.2f}"
            + ("" if self.true_slope is None else f"; truth {self.true_slope:+.2f}")
        )

    def _status(self) -> str:
        lo, hi = self.iip_range
        verdict = "significant" if self.significant else "not significant"
        truth = (
            "" if self.true_slope is None else f" The simulation's truth: {self.true_slope:.2f}."
        )
        return (
            f"A patient with IIP {self.iip:.2f} (patients range from {lo:.2f} to {hi:.2f}): a "
            f"session one WAI-SR point better than usual is followed by {self.slope:+.2f} BDI-II "
            f"points (95% CI {self.ci_low:+.2f} to {self.ci_high:+.2f}; {verdict} at the 5% "
            f"level).{truth}\nJohnson–Neyman: {self.johnson_neyman.describe()}."
        )


def moderation_explorer(
    fit: LaggedModelResult | None = None, *, study: Study | None = None, iip=None
) -> ModerationExplorer:
    """An explorer of the within-patient alliance effect across interpersonal problems.

    Parameters
    ----------
    fit : LaggedModelResult, optional
        The fitted model. By default the detrended lagged model of the
        canonical study, ``fit_lagged_model(load_study(), detrend=True)``,
        whose truth is then drawn too.
    study : Study, optional
        The simulated study ``fit`` was fitted to, to draw its truth.
    iip : float, optional
        Starting IIP (IIP-32 item mean); the sample mean (exactly) by default.

    Returns
    -------
    ModerationExplorer
        Display it in a notebook for the live widget; ``draw(axes)`` gives the
        static figure (two panels).

    Examples
    --------
    >>> explorer = moderation_explorer(iip=0.5)
    >>> round(explorer.slope, 2), explorer.significant
    (0.56, False)
    """
    if fit is None:
        from book.datasets.canonical import load_study

        study = load_study() if study is None else study
        fit = fit_lagged_model(study, detrend=True)
    return ModerationExplorer(fit, study=study, iip=iip)
