"""The data of many replications at once: simulated studies as arrays, observed or error-free.

The runner is fast because it rarely builds one small study at a time. A
*chunk* of :math:`R` replications is simulated as one study with :math:`R`
times as many therapists (each replication a block of therapists and their
patients, all drawn independently), through the simulator's public seam
:func:`book.simulation.engine.simulate_arrays`. The result, a :class:`Panels`,
holds arrays of shape (replications, patients, sessions) that vectorised
estimators take whole, and gives any one replication as a long table for the
estimators that fit one study at a time.

Since the data are simulated, the alliance can also be had without its
measurement error: the latent alliance that generated the WAI-SR items, with
the same questionnaires missing (:meth:`Panels.error_free`,
:func:`error_free_alliance`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from book._checks import check_count, check_params, check_seed
from book.montecarlo.designs import design_key
from book.simulation.engine import simulate_arrays
from book.simulation.parameters import SimulationParameters
from book.simulation.study import Study

__all__ = ["Panels", "chunk_seed", "error_free_alliance", "simulate_panels"]


def chunk_seed(seed: int, params: SimulationParameters, chunk: int) -> int:
    """The seed of chunk ``chunk`` of a design: 128 bits from its own ``SeedSequence``.

    ``numpy.random.SeedSequence(seed, spawn_key=(design_key(params), chunk))``
    (see :func:`book.montecarlo.designs.design_key`), as one integer for the
    simulator. A chunk of one replication is then exactly
    ``simulate(params, seed=chunk_seed(seed, params, r))``.

    Examples
    --------
    >>> chunk_seed(1, SimulationParameters(), 0) == chunk_seed(1, SimulationParameters(), 1)
    False
    """
    seq = np.random.SeedSequence(check_seed(seed), spawn_key=(design_key(params), int(chunk)))
    words = seq.generate_state(4, np.uint32)
    return int(sum(int(w) << (32 * i) for i, w in enumerate(words)))


@dataclass(frozen=True)
class Panels:
    """Observed data of many replications of one design, as arrays.

    Attributes
    ----------
    bdi : numpy.ndarray, shape (replications, patients, sessions)
        BDI-II before each session; ``nan`` when missing or after dropout.
    alliance : numpy.ndarray, same shape
        WAI-SR mean after each session; ``nan`` when missing or after dropout.
    iip : numpy.ndarray, shape (replications, patients)
        IIP-32 at intake.
    params : SimulationParameters
        The design of one replication.
    alliance_latent : numpy.ndarray, same shape as ``alliance``, optional
        The latent (error-free) alliance behind every session, observed or not.
    """

    bdi: np.ndarray
    alliance: np.ndarray
    iip: np.ndarray
    params: SimulationParameters
    alliance_latent: np.ndarray | None = None

    @property
    def n_reps(self) -> int:
        """Number of replications."""
        return self.bdi.shape[0]

    def long(self, replication: int) -> pd.DataFrame:
        """One replication in long format, like ``Study.long()`` (these columns only).

        Patients are numbered from 1 within the replication. Sessions with
        neither questionnaire (after dropout, or both missing) have no row:
        they carry no information for the models.
        """
        if not 0 <= replication < self.n_reps:
            raise ValueError(f"replication must be in 0..{self.n_reps - 1}, got {replication}")
        n, T = self.bdi.shape[1:]
        pid = np.repeat(np.arange(1, n + 1), T)
        session = np.tile(np.arange(1, T + 1), n)
        keep = np.isfinite(self.bdi[replication]) | np.isfinite(self.alliance[replication])
        keep = keep.reshape(-1)
        return pd.DataFrame(
            {
                "patient_id": pid[keep],
                "session": session[keep],
                "bdi": self.bdi[replication].reshape(-1)[keep],
                "alliance": self.alliance[replication].reshape(-1)[keep],
                "iip": np.repeat(self.iip[replication], T)[keep],
            }
        )

    def error_free(self) -> Panels:
        """The same replications with the latent alliance in place of the observed WAI-SR.

        Every questionnaire that is missing stays missing, so the only change
        is the measurement error of the items (with their rounding and ceiling).
        """
        if self.alliance_latent is None:
            raise ValueError("these panels hold no latent alliance")
        latent = np.where(np.isfinite(self.alliance), self.alliance_latent, np.nan)
        return Panels(self.bdi, latent, self.iip, self.params, self.alliance_latent)

    def first(self, n_patients: int, n_sessions: int) -> Panels:
        """The first patients (whole therapists) and sessions of every replication.

        The simulator is causal, a session depending only on earlier ones, so
        the first sessions of a longer treatment are a study of fewer
        sessions; and the first therapists of a study are a smaller study.
        """
        per = self.params.patients_per_therapist
        n, T = self.bdi.shape[1:]
        if n_patients % per or not per <= n_patients <= n or not 3 <= n_sessions <= T:
            raise ValueError(
                f"a smaller design needs whole therapists of {per} patients, at most {n}, "
                f"and 3 to {T} sessions; got {n_patients} patients and {n_sessions} sessions"
            )
        latent = self.alliance_latent
        return Panels(
            self.bdi[:, :n_patients, :n_sessions],
            self.alliance[:, :n_patients, :n_sessions],
            self.iip[:, :n_patients],
            self.params.replace(n_therapists=n_patients // per, n_sessions=n_sessions),
            None if latent is None else latent[:, :n_patients, :n_sessions],
        )

    @classmethod
    def from_study(cls, study: Study) -> Panels:
        """One simulated study as the panels of a single replication.

        Equal to ``simulate_panels(params, 1, seed=study.seed)`` for a study
        made by ``simulate(params, seed=...)``.
        """
        if not isinstance(study, Study) or study.truth is None:
            raise ValueError("Panels.from_study needs a simulated Study with ground truth")
        p = study.truth.params
        n, T = p.n_patients, p.n_sessions
        s = study.sessions
        row = s["patient_id"].to_numpy() - 1
        col = s["session"].to_numpy() - 1
        bdi = np.full((n, T), np.nan)
        alliance = np.full((n, T), np.nan)
        bdi[row, col] = s["bdi"].astype("float64").to_numpy(na_value=np.nan)
        alliance[row, col] = s["alliance"].to_numpy(dtype=float)
        truth = study.truth.sessions
        latent = np.full((n, T), np.nan)
        latent[truth["patient_id"].to_numpy() - 1, truth["session"].to_numpy() - 1] = truth[
            "alliance_latent"
        ].to_numpy(dtype=float)
        iip = study.patients.sort_values("patient_id")["iip"].to_numpy(dtype=float)
        return cls(bdi[None], alliance[None], iip[None], p, latent[None])


def simulate_panels(params: SimulationParameters | None, n_reps: int, *, seed: int) -> Panels:
    """Simulate ``n_reps`` replications of a design at once, as arrays.

    The replications are one run of :func:`book.simulation.engine.simulate_arrays`
    with ``n_reps`` times as many therapists: replication ``r`` is the block of
    therapists ``r * n_therapists`` to ``(r + 1) * n_therapists - 1`` and
    their patients. The values are exactly those of
    ``simulate(params.replace(n_therapists=n_reps * params.n_therapists), seed=seed)``
    (a test checks it), without building its tables. One difference from
    ``n_reps`` separate studies: the number of therapists with
    alliance-focused training is fixed for the whole run, so it varies a
    little between replications around ``share_trained``.

    Parameters
    ----------
    params : SimulationParameters or None
        The design of one replication (the defaults when ``None``).
    n_reps : int
        Number of replications, at least 1.
    seed : int
        Seed of the run (a non-negative integer).

    Returns
    -------
    Panels
        Arrays of shape ``(n_reps, patients, sessions)``, with the latent alliance.

    Examples
    --------
    >>> panels = simulate_panels(None, 3, seed=1)
    >>> panels.bdi.shape, panels.iip.shape
    ((3, 240, 12), (3, 240))
    """
    params = check_params(params)
    n_reps = check_count(n_reps, "n_reps")
    run = params.replace(n_therapists=params.n_therapists * n_reps)
    arrays = simulate_arrays(run, seed=check_seed(seed))
    observed = arrays.observed()
    shape = (n_reps, params.n_patients, run.n_sessions)
    return Panels(
        bdi=observed["bdi"].reshape(shape),
        alliance=observed["alliance"].reshape(shape),
        iip=observed["iip"].reshape(shape[:2]),
        params=params,
        alliance_latent=arrays.latent["alliance"].reshape(shape),
    )


def error_free_alliance(study: Study) -> pd.DataFrame:
    """The study's long table with the observed alliance replaced by the latent one.

    Keeps every missing questionnaire missing, so the only change is the
    measurement error of the WAI-SR items (and their rounding and ceiling).
    Something only a simulation can do: it shows how much of an estimator's
    bias is due to measurement error. The runner's ``alliance="latent"`` does
    the same to every replication.

    Parameters
    ----------
    study : Study
        A simulated study (with ``truth``).

    Returns
    -------
    pandas.DataFrame
        ``study.long()`` with ``alliance`` set to ``truth.sessions.alliance_latent``.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> study = simulate(seed=1)
    >>> clean = error_free_alliance(study)
    >>> bool(clean["alliance"].isna().equals(study.long()["alliance"].isna()))
    True
    """
    if not isinstance(study, Study) or study.truth is None:
        raise ValueError("error_free_alliance needs a simulated Study with ground truth")
    long = study.long()
    latent = study.truth.sessions[["patient_id", "session", "alliance_latent"]]
    out = long.merge(latent, on=["patient_id", "session"], how="left", validate="1:1")
    out["alliance"] = out["alliance_latent"].where(long["alliance"].notna())
    return out.drop(columns="alliance_latent")
