r"""Dynamic panel bias: the within estimator of an autoregression in short panels.

With a patient-specific intercept and a lagged outcome, person-mean centering
(the within, or fixed-effects, estimator) makes the centred lag correlate with
the centred error, because the person mean contains the later errors. The
estimate of the autoregression :math:`\rho` is biased downwards, by about
:math:`-(1+\rho)/(T-1)` with :math:`T` observations per patient, however many
patients there are (Nickell 1981).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["nickell_bias"]


def nickell_bias(rho, n_waves, *, approximate: bool = False):
    r"""Large-sample bias of the within estimator of an AR(1) coefficient.

    For :math:`y_{it} = \alpha_i + \rho\, y_{i,t-1} + e_{it}` observed at
    ``n_waves`` occasions, the regression of :math:`y_{it}` on
    :math:`y_{i,t-1}` after person-mean centering uses :math:`T = ` ``n_waves - 1``
    pairs per patient. As the number of patients grows, its estimate converges
    to :math:`\rho + b`, with (Nickell 1981, eq. 18)

    .. math::

        b = -\frac{1+\rho}{T-1}\left(1 - \frac{1-\rho^T}{T(1-\rho)}\right)
            \left[1 - \frac{2\rho}{(1-\rho)(T-1)}
            \left(1 - \frac{1-\rho^T}{T(1-\rho)}\right)\right]^{-1},

    and the first-order approximation :math:`b \approx -(1+\rho)/(T-1)`.

    Parameters
    ----------
    rho : float or array_like
        True autoregression, each in (-1, 1).
    n_waves : int or array_like of int
        Occasions per patient (sessions), each at least 3.
    approximate : bool, default False
        Return the first-order approximation instead of the exact value.

    Returns
    -------
    float or numpy.ndarray
        The bias (estimate minus truth); an array if either input is one.

    Examples
    --------
    The two cases checked by simulation in the book's literature notes:

    >>> round(nickell_bias(0.3, 12), 3), round(nickell_bias(0.3, 12, approximate=True), 3)
    (-0.122, -0.13)
    >>> round(nickell_bias(0.3, 7), 3), round(nickell_bias(0.3, 7, approximate=True), 3)
    (-0.228, -0.26)
    """
    rho_arr = np.asarray(rho, dtype=float)
    waves = np.asarray(n_waves)
    if not np.all(np.isfinite(rho_arr)) or np.any(np.abs(rho_arr) >= 1):
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    if waves.dtype.kind not in "iu" and not all(
        isinstance(w, numbers.Integral) for w in np.atleast_1d(n_waves)
    ):
        raise ValueError(f"n_waves must be an integer (or integers), got {n_waves!r}")
    if np.any(waves < 3):
        raise ValueError(f"n_waves must be at least 3 (two lagged pairs), got {n_waves!r}")
    T = waves.astype(float) - 1.0
    if approximate:
        out = -(1.0 + rho_arr) / (T - 1.0)
    else:
        h = 1.0 - (1.0 - rho_arr**T) / (T * (1.0 - rho_arr))
        out = -(1.0 + rho_arr) / (T - 1.0) * h
        out = out / (1.0 - 2.0 * rho_arr / ((1.0 - rho_arr) * (T - 1.0)) * h)
    return float(out) if np.ndim(out) == 0 else out
