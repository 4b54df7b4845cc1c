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
:math:`b` and :math:`\sigma^2` are profiled out. Maximum likelihood (``reml=False``)
drops the :math:`\log|X'\bar V^{-1}X|` term and has :math:`N` in place of
:math:`N - p`, as in lme4 and statsmodels. :math:`\Psi = LL'` is
parametrised by its Cholesky factor, so a variance of zero (a *singular* fit)
is an ordinary point the optimiser can reach, as in lme4 (Bates et al. 2015).
The criterion is the same function statsmodels maximises, so the estimates are
the same; :func:`fit_reml` only gets there faster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.optimize

from book._threads import single_thread

__all__ = ["RemlFit", "fit_reml", "profiled_loglike"]

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
        The maximised REML log-likelihood (the ML log-likelihood with
        ``reml=False``), in statsmodels' ``llf`` convention: lme4's REML
        criterion or deviance is :math:`-2` times it.
    converged : bool
        Whether the optimiser met its gradient tolerance.
    singular : bool
        Whether the random-effects covariance is (nearly) singular.
    n_iter : int
        Optimiser iterations.
    gradient_norm : float
        Largest absolute gradient of :math:`-\\ell_R` at the estimate.
    reml : bool
        Whether the fit is REML (``True``) or ML.
    n_obs : int
        Observations (rows) the model was fitted to.
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
    reml: bool = True
    n_obs: int = 0

    def summary(self, fe_names, re_names) -> pd.Series:
        """The numbers lme4's ``summary()`` prints, named, for comparison with published output.

        Parameters
        ----------
        fe_names : sequence of str
            Names of the fixed effects (the columns of ``X``), e.g. a
            statsmodels model's ``exog_names``.
        re_names : sequence of str
            Names of the random effects (the columns of ``Z``).

        Returns
        -------
        pandas.Series
            ``<name>`` and ``se:<name>`` for each fixed effect (its standard
            error given the fitted covariance, as lme4 reports it);
            ``var:<re>`` and ``sd:<re>`` for each random effect,
            ``cov:<re1>:<re2>`` and ``cor:<re1>:<re2>`` for each pair; ``var:residual`` and
            ``sd:residual``; ``loglik``; with ML, ``deviance`` (``-2 loglik``),
            ``aic`` and ``bic``, and with REML, ``reml_criterion``
            (``-2 loglik``), as lme4 defines them; ``n_obs`` and ``n_groups``.

        Examples
        --------
        >>> import numpy as np
        >>> y = np.array([-1.0, 0.0, 1.0, 1.0, 2.0, 3.0])
        >>> X = np.ones((6, 1)); g = np.repeat([1, 2], 3)
        >>> fit = fit_reml(y, X, X, g, reml=False)  # ML: the same numbers as statsmodels
        >>> summary = fit.summary(["Intercept"], ["Intercept"])
        >>> summary[["Intercept", "var:Intercept", "aic"]].round(4)
        Intercept         1.0000
        var:Intercept     0.6667
        aic              25.2245
        dtype: float64
        """
        fe_names, re_names = list(fe_names), list(re_names)
        if len(fe_names) != len(self.fe_params) or len(re_names) != len(self.cov_re):
            raise ValueError(
                f"need {len(self.fe_params)} fixed-effect and {len(self.cov_re)} random-effect "
                f"names, got {len(fe_names)} and {len(re_names)}"
            )
        out = dict(zip(fe_names, self.fe_params, strict=True))
        se = np.sqrt(np.diag(self.cov_fe))
        out |= {f"se:{name}": value for name, value in zip(fe_names, se, strict=True)}
        sd = np.sqrt(np.diag(self.cov_re))
        for i, name in enumerate(re_names):
            out[f"var:{name}"] = self.cov_re[i, i]
            out[f"sd:{name}"] = sd[i]
        for i, j in zip(*np.tril_indices(len(re_names), -1), strict=True):
            out[f"cov:{re_names[j]}:{re_names[i]}"] = self.cov_re[i, j]
            out[f"cor:{re_names[j]}:{re_names[i]}"] = self.cov_re[i, j] / (sd[i] * sd[j])
        out["var:residual"] = self.scale
        out["sd:residual"] = np.sqrt(self.scale)
        out["loglik"] = self.loglike
        n_par = len(fe_names) + len(re_names) * (len(re_names) + 1) // 2 + 1
        if self.reml:
            out["reml_criterion"] = -2 * self.loglike
        else:
            out["deviance"] = -2 * self.loglike
            out["aic"] = -2 * self.loglike + 2 * n_par
            out["bic"] = -2 * self.loglike + np.log(self.n_obs) * n_par
        out["n_obs"] = self.n_obs
        out["n_groups"] = len(self.groups)
        return pd.Series(out, dtype="float64")


class _Sufficient:
    """Per-group cross-products, computed once."""

    def __init__(self, y, X, Z, groups, reml=True):
        self.reml = reml
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
        # REML: log|X'V^-1 X| and N - p; ML: neither term, and N
        k = self.n - self.p if self.reml else self.n
        logdet_x = 2.0 * np.log(np.diag(chol)).sum() if self.reml else 0.0
        value = 0.5 * (logdet_a.sum() + logdet_x + k * np.log(rss))
        value += 0.5 * k * (np.log(2 * np.pi) - np.log(k) + 1.0)
        out = [value]
        if gradient or full:
            # Z_g' V_g^-1 X_g and Z_g' V_g^-1 r_g
            C = self.ZtX - self.ZtZ @ MZX
            e = self.Zty - (self.ZtZ @ Mzy[..., None])[..., 0] - C @ b
        if gradient:
            W = self.ZtZ.sum(axis=0) - np.tensordot(self.ZtZ, M @ self.ZtZ, axes=([0, 2], [0, 1]))
            G = W - (k / rss) * np.tensordot(e, e, axes=([0], [0]))
            if self.reml:
                CH = C @ np.linalg.inv(xtvx)
                G = G - np.tensordot(CH, C, axes=([0, 2], [0, 2]))
            out.append((G @ L)[self.tril])
        if full:
            scale = rss / k
            blup = e @ Psi.T
            out.append((b, scale * np.linalg.inv(xtvx), scale * Psi, scale, blup, L))
        return tuple(out) if len(out) > 1 else out[0]


def fit_reml(y, X, Z, groups, *, start=None, maxiter=200, gtol=1e-6, reml=True) -> RemlFit:
    r"""Fit a two-level linear mixed model by REML (or ML), vectorised over groups.

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
    reml : bool, default True
        Restricted maximum likelihood; ``False`` fits by maximum likelihood
        (needed to compare models with different fixed effects, and what
        ``lmer(..., REML = FALSE)`` fits). Either way the fixed effects are
        the GLS estimates at the fitted covariance and ``cov_fe`` is their
        covariance given it, as lme4 reports them.

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
    if not isinstance(reml, bool):
        raise TypeError(f"reml must be True or False, got {reml!r}")
    with single_thread():
        return _fit(y, X, Z, groups, start=start, maxiter=maxiter, gtol=gtol, reml=reml)


def _fit(y, X, Z, groups, *, start, maxiter, gtol, reml) -> RemlFit:
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
    suff = _Sufficient(y, X, Z / z_scale, groups, reml=reml)
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
    theta, refit_iter = _on_the_boundary(suff, best, maxiter=maxiter, gtol=gtol)
    if refit_iter is not None:  # the boundary refit is the optimiser whose result we keep
        n_iter = refit_iter
    _, grad = suff.evaluate(theta, gradient=True)
    gnorm = float(np.abs(grad).max())
    value, (b, cov_fe, cov_re, scale, blup, L) = suff.evaluate(theta, full=True)
    cov_re = cov_re / np.outer(z_scale, z_scale)
    blup = blup / z_scale
    # loose enough for the flat directions of a singular fit, tight enough
    # that the estimates are fixed to well beyond 4 decimals; with many rows
    # the criterion is so curved that its gradient stays above that while the
    # estimate is already fixed: then the Newton step decides (as lme4's
    # scaled-gradient check does)
    converged = bool(gnorm < 1e-3 and n_iter < maxiter) or _newton_step_small(
        suff, theta, fixed=refit_iter is not None
    )
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
        reml=reml,
        n_obs=len(y),
    )


def _newton_step_small(suff: _Sufficient, theta: np.ndarray, *, fixed: bool) -> bool:
    """Whether a Newton step from ``theta`` moves no free parameter by more than 1e-5.

    The Hessian of the criterion over the free parameters (all of them, or
    all but the last diagonal element of :math:`L` after a boundary refit) is
    taken by central differences of the analytic gradient. It must be
    positive definite: the point is then a minimum, fixed to about five
    decimals of the relative standard deviations however large its gradient.
    """
    free = np.arange(len(theta) - 1 if fixed else len(theta))
    if len(free) == 0:
        return True
    h = 1e-5
    hessian = np.empty((len(free), len(free)))
    for a, i in enumerate(free):
        step = np.zeros_like(theta)
        step[i] = h
        up = suff.evaluate(theta + step, gradient=True)[1][free]
        down = suff.evaluate(theta - step, gradient=True)[1][free]
        hessian[:, a] = (up - down) / (2 * h)
    hessian = (hessian + hessian.T) / 2
    if not np.isfinite(hessian).all() or np.linalg.eigvalsh(hessian)[0] <= 0:
        return False
    gradient = suff.evaluate(theta, gradient=True)[1][free]
    return bool(np.abs(np.linalg.solve(hessian, gradient)).max() < 1e-5)


def _on_the_boundary(suff: _Sufficient, best, *, maxiter: int, gtol: float):
    """The optimum, moved onto the boundary when the fit is singular, as lme4 reports it.

    At a singular fit the criterion is nearly flat in the direction of the
    vanishing variance, so the unconstrained optimiser stops at a point that
    depends on its path in the sixth decimal. With one or two random effects,
    the optimum is refitted with that direction removed: a zero variance
    (one effect), or a covariance matrix of rank one (two effects; the last
    diagonal element of :math:`L` fixed at zero, which also covers a zero
    intercept variance). The refit is an interior optimum of the smaller
    problem, determined to many more digits; it is kept only if the
    criterion is no worse. Returns the optimum and the refit's iterations
    (``None`` if the optimum was kept as it was).
    """
    theta = best.x
    L, psi = suff.psi(theta)
    if not (np.abs(np.diag(L)) < SINGULAR_TOL).any() or suff.q > 2:
        return theta, None
    n_iter = 0
    if suff.q == 1:
        candidate = np.zeros(1)
    else:
        values, vectors = np.linalg.eigh(psi)
        if values[-1] < SINGULAR_TOL**2:
            candidate = np.zeros(3)
        else:
            v = np.sqrt(values[-1]) * vectors[:, -1]
            v = -v if v[0] < 0 else v

            def reduced(t):
                value, grad = suff.evaluate(np.r_[t, 0.0], gradient=True)
                return value, grad[:2]

            res = scipy.optimize.minimize(
                reduced, v, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": gtol}
            )
            candidate, n_iter = np.r_[res.x, 0.0], int(res.nit)
    if suff.evaluate(candidate) <= best.fun + 1e-9:
        return candidate, n_iter
    return theta, None


def profiled_loglike(y, X, Z, groups, relative_cov, *, reml=True) -> float:
    r"""The REML (or ML) log-likelihood at a given random-effects covariance.

    The criterion :func:`fit_reml` maximises, evaluated at one point: the
    random-effects covariance relative to the residual variance,
    :math:`\Psi = \Sigma_u / \sigma^2`, with the fixed effects and
    :math:`\sigma^2` profiled out. It lets one ask whether another program's
    estimates are a better or worse optimum than the book's.

    Parameters
    ----------
    y, X, Z, groups : array_like
        As for :func:`fit_reml`.
    relative_cov : array_like, shape (q, q)
        :math:`\Psi`, symmetric and positive definite: the random-effects
        covariance divided by the residual variance.
    reml : bool, default True
        Restricted (``True``) or full maximum likelihood.

    Returns
    -------
    float
        The log-likelihood (statsmodels' ``llf`` convention; lme4's REML
        criterion or deviance is :math:`-2` times it).

    Examples
    --------
    At the optimum it is the fit's own log-likelihood:

    >>> import numpy as np
    >>> y = np.array([-1.0, 0.0, 1.0, 1.0, 2.0, 3.0])
    >>> X = np.ones((6, 1)); g = np.repeat([1, 2], 3)
    >>> fit = fit_reml(y, X, X, g)
    >>> psi = fit.cov_re / fit.scale
    >>> round(profiled_loglike(y, X, X, g, psi), 6) == round(fit.loglike, 6)
    True
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    Z = np.asarray(Z, dtype=float)
    psi = np.asarray(relative_cov, dtype=float)
    if psi.shape != (Z.shape[1], Z.shape[1]) or not np.allclose(psi, psi.T):
        raise ValueError(
            f"relative_cov must be a symmetric {Z.shape[1]} x {Z.shape[1]} matrix, got "
            f"shape {psi.shape}"
        )
    try:
        L = np.linalg.cholesky(psi)
    except np.linalg.LinAlgError:
        raise ValueError("relative_cov must be positive definite") from None
    suff = _Sufficient(y, X, Z, np.asarray(groups), reml=reml)
    with single_thread():
        return float(-suff.evaluate(L[suff.tril]))
