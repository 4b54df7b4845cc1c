r"""Restricted maximum likelihood (REML) for two-level linear mixed models, fast.

The model is the one statsmodels' ``MixedLM`` fits: for patient :math:`g`,

.. math::

    y_g = X_g b + Z_g u_g + e_g, \qquad
    u_g \sim N(0, \sigma^2 \Psi), \quad e_g \sim N(0, \sigma^2 I),

with a few random effects per patient (:math:`q` columns of :math:`Z`).
statsmodels evaluates the likelihood with a Python loop over patients, about
60 ms per evaluation of its score on the book's data, and its default
optimiser needs dozens. Here every patient's contribution is reduced once to
a handful of small cross-products (:math:`Z_g'Z_g`, :math:`Z_g'X_g`,
:math:`Z_g'y_g`), after which the profiled REML criterion and its gradient
cost a few batched :math:`q \times q` operations (Woodbury identity):

.. math::

    -2\ell_R(\Psi) = \sum_g \log|I + Z_g'Z_g\Psi| + \log|X'\bar V^{-1}X|
                     + (N-p)\log r'\bar V^{-1} r + \text{const},

where :math:`\bar V_g = I + Z_g \Psi Z_g'` and :math:`r` are the GLS residuals;
:math:`b` and :math:`\sigma^2` are profiled out. :math:`\Psi = LL'` is
parametrised by its Cholesky factor, so a variance of zero (a *singular* fit)
is an ordinary point the optimiser can reach, as in lme4 (Bates et al. 2015).
The criterion is the same function statsmodels maximises, so the estimates are
the same; :func:`fit_reml` only gets there faster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from book._threads import single_thread

__all__ = ["RemlFit", "fit_reml"]

#: lme4's threshold for calling a fit singular: a diagonal element of the
#: relative Cholesky factor below this (lme4's ``isSingular``, tol = 1e-4).
SINGULAR_TOL = 1e-4


@dataclass(frozen=True)
class RemlFit:
    """The REML estimates of a two-level linear mixed model.

    Attributes
    ----------
    fe_params : numpy.ndarray
        Fixed effects :math:`\\hat b` (GLS at the REML covariance).
    cov_fe : numpy.ndarray
        Their model-based covariance :math:`\\hat\\sigma^2 (X'\\bar V^{-1}X)^{-1}`.
    cov_re : numpy.ndarray
        Covariance of the random effects, :math:`\\hat\\sigma^2\\hat\\Psi`.
    scale : float
        Residual variance :math:`\\hat\\sigma^2`.
    random_effects : numpy.ndarray
        Predicted random effects (BLUPs), one row per group in sorted order.
    groups : numpy.ndarray
        The group labels, sorted, matching the rows of ``random_effects``.
    loglike : float
        The maximised REML log-likelihood (statsmodels' ``llf`` convention).
    converged : bool
        Whether the optimiser met its gradient tolerance.
    singular : bool
        Whether the random-effects covariance is (nearly) singular.
    n_iter : int
        Optimiser iterations.
    gradient_norm : float
        Largest absolute gradient of :math:`-\\ell_R` at the estimate.
    """

    fe_params: np.ndarray
    cov_fe: np.ndarray
    cov_re: np.ndarray
    scale: float
    random_effects: np.ndarray
    groups: np.ndarray
    loglike: float
    converged: bool
    singular: bool
    n_iter: int
    gradient_norm: float


class _Sufficient:
    """Per-group cross-products, computed once."""

    def __init__(self, y, X, Z, groups):
        labels, codes = np.unique(groups, return_inverse=True)
        order = np.argsort(codes, kind="stable")
        y, X, Z, codes = y[order], X[order], Z[order], codes[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        self.labels = labels
        self.ZtZ = np.add.reduceat(Z[:, :, None] * Z[:, None, :], starts, axis=0)
        self.ZtX = np.add.reduceat(Z[:, :, None] * X[:, None, :], starts, axis=0)
        self.Zty = np.add.reduceat(Z * y[:, None], starts, axis=0)
        self.XtX = X.T @ X
        self.Xty = X.T @ y
        self.yty = float(y @ y)
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.tril = np.tril_indices(self.q)

    def psi(self, theta):
        L = np.zeros((self.q, self.q))
        L[self.tril] = theta
        return L, L @ L.T

    def evaluate(self, theta, *, gradient=False, full=False):
        """-REML log-likelihood (profiled), optionally its gradient and the estimates."""
        L, Psi = self.psi(theta)
        A = np.eye(self.q) + self.ZtZ @ Psi  # I + Z'Z Psi, per group
        _, logdet_a = np.linalg.slogdet(A)
        M = Psi @ np.linalg.inv(A)  # Psi (I + Z'Z Psi)^-1 = (Psi^-1 + Z'Z)^-1
        # X'V^-1 X, X'V^-1 y, y'V^-1 y summed over groups (Woodbury)
        MZX = M @ self.ZtX
        Mzy = (M @ self.Zty[..., None])[..., 0]
        xtvx = self.XtX - np.tensordot(self.ZtX, MZX, axes=([0, 1], [0, 1]))
        xtvy = self.Xty - np.tensordot(MZX, self.Zty, axes=([0, 1], [0, 1]))
        ytvy = self.yty - float((self.Zty * Mzy).sum())
        chol = np.linalg.cholesky(xtvx)
        b = np.linalg.solve(xtvx, xtvy)
        rss = ytvy - xtvy @ b
        k = self.n - self.p
        logdet_x = 2.0 * np.log(np.diag(chol)).sum()
        value = 0.5 * (logdet_a.sum() + logdet_x + k * np.log(rss))
        value += 0.5 * k * (np.log(2 * np.pi) - np.log(k) + 1.0)
        out = [value]
        if gradient or full:
            # Z_g' V_g^-1 X_g and Z_g' V_g^-1 r_g
            C = self.ZtX - self.ZtZ @ MZX
            e = self.Zty - (self.ZtZ @ Mzy[..., None])[..., 0] - C @ b
        if gradient:
            W = self.ZtZ.sum(axis=0) - np.tensordot(self.ZtZ, M @ self.ZtZ, axes=([0, 2], [0, 1]))
            CH = C @ np.linalg.inv(xtvx)
            G = (
                W
                - np.tensordot(CH, C, axes=([0, 2], [0, 2]))
                - (k / rss) * np.tensordot(e, e, axes=([0], [0]))
            )
            out.append((G @ L)[self.tril])
        if full:
            scale = rss / k
            blup = e @ Psi.T
            out.append((b, scale * np.linalg.inv(xtvx), scale * Psi, scale, blup, L))
        return tuple(out) if len(out) > 1 else out[0]


def fit_reml(y, X, Z, groups, *, start=None, maxiter=200, gtol=1e-6) -> RemlFit:
    r"""Fit a two-level linear mixed model by REML, vectorised over groups.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome.
    X : array_like, shape (n, p)
        Fixed-effects design (with the intercept column, if any).
    Z : array_like, shape (n, q)
        Random-effects design.
    groups : array_like, shape (n,)
        Group (patient) label of each row.
    start : array_like, optional
        Starting values of the lower triangle of the relative Cholesky factor
        :math:`L` (row by row); by default :math:`L = I`, random-effect SDs
        equal to the residual SD, as in lme4.
    maxiter : int, default 200
        Maximum optimiser iterations (BFGS with the analytic gradient, from
        two starting points; the better optimum is kept).
    gtol : float, default 1e-6
        Convergence tolerance on the largest absolute gradient of the
        criterion (in log-likelihood units).

    Returns
    -------
    RemlFit

    Examples
    --------
    A random-intercept model with a known answer: group means 0 and 2,
    within-group spread 1.

    >>> import numpy as np
    >>> y = np.array([-1.0, 0.0, 1.0, 1.0, 2.0, 3.0])
    >>> X = np.ones((6, 1)); Z = np.ones((6, 1)); g = np.repeat([1, 2], 3)
    >>> fit = fit_reml(y, X, Z, g)
    >>> round(float(fit.fe_params[0]), 4), round(fit.scale, 4), round(float(fit.cov_re[0, 0]), 4)
    (1.0, 1.0, 1.6667)

    The fit runs with one BLAS thread (:func:`book._threads.single_thread`), so
    the optimum does not depend on the machine's thread count or load, which
    matters where it lies on a boundary (a variance at zero).
    """
    with single_thread():
        return _fit(y, X, Z, groups, start=start, maxiter=maxiter, gtol=gtol)


def _fit(y, X, Z, groups, *, start, maxiter, gtol) -> RemlFit:
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    Z = np.asarray(Z, dtype=float)
    groups = np.asarray(groups)
    if X.ndim != 2 or Z.ndim != 2 or y.ndim != 1:
        raise ValueError("y must be 1-dimensional, X and Z 2-dimensional")
    if not (len(y) == len(X) == len(Z) == len(groups)):
        raise ValueError(
            f"y, X, Z and groups must have the same number of rows, got "
            f"{len(y)}, {len(X)}, {len(Z)} and {len(groups)}"
        )
    if not (np.isfinite(y).all() and np.isfinite(X).all() and np.isfinite(Z).all()):
        raise ValueError("y, X and Z must be finite (drop rows with missing values first)")
    if len(y) <= X.shape[1]:
        raise ValueError(f"need more rows ({len(y)}) than fixed effects ({X.shape[1]})")
    if np.linalg.matrix_rank(X.T @ X) < X.shape[1]:
        raise ValueError("the fixed-effects design X is rank deficient (collinear columns)")

    # Random-effect columns on a common scale (intercept 1, others unit SD)
    # keep the optimiser's steps balanced; Psi is transformed back below.
    z_scale = Z.std(axis=0)
    constant = z_scale < 1e-12
    z_scale[constant] = np.abs(Z[0, constant])  # the intercept column: its value, 1
    z_scale[z_scale == 0] = 1.0
    suff = _Sufficient(y, X, Z / z_scale, groups)
    q = suff.q
    n_theta = q * (q + 1) // 2
    theta0 = np.eye(q)[suff.tril] if start is None else np.asarray(start, dtype=float)
    if theta0.shape != (n_theta,):
        raise ValueError(f"start must have {n_theta} values, got {theta0.shape}")

    def fun(theta):
        return suff.evaluate(theta, gradient=True)

    # Psi = L L' has a zero gradient at L = 0 (a saddle, not an optimum), so a
    # bounded optimiser can stall there; unconstrained BFGS from two starts,
    # keeping the better, does not (the sign of L's diagonal is immaterial).
    best, n_iter = None, 0
    for begin in (theta0, 0.3 * theta0 + 0.1):
        res = scipy.optimize.minimize(
            fun, begin, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": gtol}
        )
        n_iter = max(n_iter, int(res.nit))
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x
    _, grad = suff.evaluate(theta, gradient=True)
    gnorm = float(np.abs(grad).max())
    value, (b, cov_fe, cov_re, scale, blup, L) = suff.evaluate(theta, full=True)
    cov_re = cov_re / np.outer(z_scale, z_scale)
    blup = blup / z_scale
    # loose enough for the flat directions of a singular fit, tight enough
    # that the estimates are fixed to well beyond 4 decimals
    converged = bool(gnorm < 1e-3 and n_iter < maxiter)
    singular = bool((np.abs(np.diag(L)) < SINGULAR_TOL).any())
    return RemlFit(
        fe_params=b,
        cov_fe=cov_fe,
        cov_re=cov_re,
        scale=float(scale),
        random_effects=blup,
        groups=suff.labels,
        loglike=float(-value),
        converged=converged,
        singular=singular,
        n_iter=n_iter,
        gradient_norm=gnorm,
    )
