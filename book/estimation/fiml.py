r"""Full-information maximum likelihood (FIML) for small linear structural equation models.

A model is a list of paths, written as in lavaan's parameter table: ``=~``
(a latent variable measured by an observed one), ``~`` (a regression) and
``~~`` (a variance or covariance), each either fixed to a value or free,
free paths with the same label held equal. In the reticular action model
(McArdle & McDonald 1984) that list fills three matrices: the directed
paths :math:`\mathbf{A}`, the (co)variances :math:`\mathbf{S}` and a filter
:math:`\mathbf{F}` that picks the observed variables, so that the model
implies the covariance matrix

.. math::

    \Sigma(\theta) = \mathbf{F} (\mathbf{I} - \mathbf{A})^{-1} \mathbf{S}
                     (\mathbf{I} - \mathbf{A})^{-\top} \mathbf{F}^{\top}

and, here, a free mean for every observed variable (a saturated mean
structure, as lavaan's ``meanstructure = TRUE`` with free intercepts).

*Missing data.* Each patient contributes the normal likelihood of what was
observed for them, :math:`\log\phi(y_{i,o};\,\mu_o,\Sigma_{oo})`: the rows
and columns of :math:`\Sigma` for the variables observed. Grouped by
missing-data pattern, the log-likelihood is

.. math::

    \ell(\theta) = -\tfrac12 \sum_p \Big[ n_p \log|\Sigma_p| +
        \operatorname{tr}\big(\Sigma_p^{-1} \textstyle\sum_{i \in p}
        (y_{i} - \mu_p)(y_{i} - \mu_p)^{\top}\big) + n_p k_p \log 2\pi \Big],

which is lavaan's ``missing = "ml"``: every unit's observed values enter,
nothing is filled in or dropped. It is unbiased when data are missing at
random given what was observed. The patterns are handled at once (each
pattern's matrix padded with the identity where values are missing), and
the gradient is analytic: the derivative with respect to :math:`\Sigma`
and :math:`\mu`, summed over patterns, then carried through the matrices
by the chain rule. Standard errors come from the observed information
matrix (minus the Hessian of the log-likelihood, also analytic), as
lavaan's for ``missing = "ml"``: the expected information, computed as if
the missing-data patterns had been fixed in advance, would depend on why
data are missing, the observed information does not.

*Pairwise.* ``missing="pairwise"`` instead fits the same model by maximum
likelihood to the covariance matrix of all available pairs and the
available-case means, as if every patient had been observed completely
(the number of patients as the sample size). It is kept to show why that
shortcut fails; it is also the first stage of every FIML fit, which starts
from its solution.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from book._threads import single_thread

__all__ = ["Path", "PathModel", "PathModelFit", "fit_path_model"]

_OPS = ("=~", "~", "~~")

#: Convergence: the largest element of the gradient of the mean log-likelihood (data
#: in units of about one SD). Below it an estimate is within about 1e-6 of the maximum,
#: and the closing Newton step takes it to the precision of the arithmetic. (The
#: gradient itself is only computed to about 1e-8: rounding in sums over patients.)
_GTOL = 1e-6
_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Path:
    """One row of a model's parameter table.

    Parameters
    ----------
    lhs, op, rhs : str
        As in lavaan: ``"F =~ x"`` (latent ``F`` measured by ``x``, a path
        from ``F`` to ``x``), ``"y ~ x"`` (``y`` regressed on ``x``, a path from
        ``x`` to ``y``), ``"x ~~ y"`` (a covariance; a variance when ``lhs ==
        rhs``).
    label : str, optional
        Name of a free parameter; free paths with the same label are equal.
        Free paths without a label get their own, ``lhs + op + rhs``.
    value : float, optional
        A fixed value; the path is then not estimated. ``label`` and
        ``value`` cannot both be given.
    meaning : str, optional
        What the path stands for, in words (for tables and diagrams).
    """

    lhs: str
    op: str
    rhs: str
    label: str | None = None
    value: float | None = None
    meaning: str = ""

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {_OPS}, got {self.op!r}")
        if self.label is not None and self.value is not None:
            raise ValueError(f"path {self.lhs} {self.op} {self.rhs}: a label or a value, not both")

    @property
    def free(self) -> bool:
        """Whether the path is estimated."""
        return self.value is None

    @property
    def name(self) -> str:
        """The parameter's name: its label, or ``lhs + op + rhs``."""
        return self.label if self.label is not None else f"{self.lhs}{self.op}{self.rhs}"


@dataclass(frozen=True)
class PathModel:
    """A linear structural equation model: observed and latent variables, and paths.

    Parameters
    ----------
    observed : sequence of str
        The observed variables, in the order of the data's columns.
    latent : sequence of str
        The latent variables (mean zero).
    paths : sequence of Path
        Every loading, regression, variance and covariance; anything not
        listed is zero. Every observed variable also has a free mean.

    Examples
    --------
    A one-factor model of three measures:

    >>> m = PathModel(
    ...     observed=("x1", "x2", "x3"), latent=("F",),
    ...     paths=(Path("F", "=~", "x1", value=1.0), Path("F", "=~", "x2"),
    ...            Path("F", "=~", "x3"), Path("F", "~~", "F"),
    ...            *(Path(x, "~~", x) for x in ("x1", "x2", "x3"))))
    >>> print(m.syntax())
    F =~ 1*x1 + x2 + x3
    F ~~ F
    x1 ~~ x1
    x2 ~~ x2
    x3 ~~ x3
    >>> m.free_parameters
    ('F=~x2', 'F=~x3', 'F~~F', 'x1~~x1', 'x2~~x2', 'x3~~x3')
    """

    observed: tuple[str, ...]
    latent: tuple[str, ...]
    paths: tuple[Path, ...]
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "observed", tuple(self.observed))
        object.__setattr__(self, "latent", tuple(self.latent))
        object.__setattr__(self, "paths", tuple(self.paths))
        names = self.observed + self.latent
        if len(set(names)) != len(names):
            raise ValueError("a variable is listed twice among observed and latent variables")
        if not self.observed:
            raise ValueError("a model needs at least one observed variable")
        index = {v: i for i, v in enumerate(names)}
        seen = set()
        for p in self.paths:
            if not isinstance(p, Path):
                raise TypeError(f"paths must be Path objects, got {type(p).__name__}")
            for v in (p.lhs, p.rhs):
                if v not in index:
                    raise ValueError(f"path {p.lhs} {p.op} {p.rhs}: unknown variable {v!r}")
            if p.op == "=~" and p.lhs not in self.latent:
                raise ValueError(f"path {p.lhs} =~ {p.rhs}: {p.lhs!r} is not a latent variable")
            key = (p.op, *sorted((p.lhs, p.rhs))) if p.op == "~~" else (p.op, p.lhs, p.rhs)
            if key in seen:
                raise ValueError(f"path {p.lhs} {p.op} {p.rhs} is listed twice")
            seen.add(key)
        object.__setattr__(self, "_index", index)

    @property
    def free_parameters(self) -> tuple[str, ...]:
        """Names of the free parameters other than the means, in order of first use."""
        out = []
        for p in self.paths:
            if p.free and p.name not in out:
                out.append(p.name)
        return tuple(out)

    def syntax(self) -> str:
        """The model in lavaan syntax (semopy reads it too).

        One line per left-hand side and operator, in the order the paths are
        listed; fixed paths as ``value*variable``, labelled free ones as
        ``label*variable``. The means are not written: fit it in lavaan with
        ``meanstructure = TRUE`` and free intercepts (``int.ov.free = TRUE``),
        nothing else added automatically.
        """
        lines: dict[tuple[str, str], list[str]] = {}
        for p in self.paths:
            if p.value is not None:
                term = f"{_number(p.value)}*{p.rhs}"
            elif p.label is not None:
                term = f"{p.label}*{p.rhs}"
            else:
                term = p.rhs
            lines.setdefault((p.lhs, p.op), []).append(term)
        return "\n".join(f"{lhs} {op} {' + '.join(terms)}" for (lhs, op), terms in lines.items())

    def table(self) -> pd.DataFrame:
        """The parameter table: ``lhs, op, rhs, label, free, value, meaning``, one row a path."""
        return pd.DataFrame(
            {
                "lhs": [p.lhs for p in self.paths],
                "op": [p.op for p in self.paths],
                "rhs": [p.rhs for p in self.paths],
                "label": [p.name if p.free else "" for p in self.paths],
                "free": [p.free for p in self.paths],
                "value": [np.nan if p.value is None else float(p.value) for p in self.paths],
                "meaning": [p.meaning for p in self.paths],
            }
        )


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


# --------------------------------------------------------------------------
# the model compiled into index arrays


class _Compiled:
    """Matrices and index arrays of a PathModel, for fast evaluation."""

    def __init__(self, model: PathModel):
        self.model = model
        index = model._index
        self.p = len(model.observed)
        self.v = len(index)
        self.names = model.free_parameters
        self.k = self.p + len(self.names)  # means first
        pos = {name: self.p + j for j, name in enumerate(self.names)}
        self.A0 = np.zeros((self.v, self.v))
        self.S0 = np.zeros((self.v, self.v))
        a_rows, s_rows = [], []
        for path in model.paths:
            if path.op == "=~":
                i, j = index[path.rhs], index[path.lhs]
            else:
                i, j = index[path.lhs], index[path.rhs]
            if path.op == "~~":
                i, j = min(i, j), max(i, j)
                if path.free:
                    s_rows.append((pos[path.name], i, j))
                else:
                    self.S0[i, j] = self.S0[j, i] = path.value
            elif path.free:
                a_rows.append((pos[path.name], i, j))
            else:
                self.A0[i, j] = path.value
        self.a_idx = np.array(a_rows, dtype=int).reshape(-1, 3)
        self.s_idx = np.array(s_rows, dtype=int).reshape(-1, 3)
        # incidence of parameters in the positions, for the chain rule
        self.a_inc = np.zeros((len(self.a_idx), self.k))
        self.a_inc[np.arange(len(self.a_idx)), self.a_idx[:, 0]] = 1.0
        self.s_inc = np.zeros((len(self.s_idx), self.k))
        self.s_inc[np.arange(len(self.s_idx)), self.s_idx[:, 0]] = 1.0
        self.s_off = self.s_idx[:, 1] != self.s_idx[:, 2]
        self.s_factor = np.where(self.s_off, 2.0, 1.0)  # S_ij and S_ji move together
        self.a_params = np.unique(self.a_idx[:, 0])

    def matrices(self, theta: np.ndarray):
        """Parameters -> means (p,), A and S (v, v)."""
        A = self.A0.copy()
        S = self.S0.copy()
        A[self.a_idx[:, 1], self.a_idx[:, 2]] = theta[self.a_idx[:, 0]]
        S[self.s_idx[:, 1], self.s_idx[:, 2]] = theta[self.s_idx[:, 0]]
        S[self.s_idx[:, 2], self.s_idx[:, 1]] = theta[self.s_idx[:, 0]]
        return theta[: self.p], A, S

    def implied(self, theta: np.ndarray):
        """Means and covariance matrix of the observed variables, and (B, S) for derivatives."""
        mu, A, S = self.matrices(theta)
        B = np.linalg.inv(np.eye(self.v) - A)
        full = B @ S @ B.T
        return mu, full[: self.p, : self.p], (B, S)

    def chain(self, g_mu, g_sigma, pieces) -> np.ndarray:
        """Gradient in the parameters from the gradient in mu and Sigma (chain rule)."""
        B, S = pieces
        G = np.zeros((self.v, self.v))
        G[: self.p, : self.p] = g_sigma
        K = B.T @ G @ B
        grad = np.zeros(self.k)
        grad[: self.p] = g_mu
        grad += (K[self.s_idx[:, 1], self.s_idx[:, 2]] * self.s_factor) @ self.s_inc
        if len(self.a_idx):
            dA = 2.0 * K @ S @ B.T
            grad += dA[self.a_idx[:, 1], self.a_idx[:, 2]] @ self.a_inc
        return grad

    def jacobian(self, pieces) -> np.ndarray:
        """d Sigma / d theta for the parameters other than the means: (k - p, p, p)."""
        B, S = pieces
        p = self.p
        FB = B[:p, :]  # p x v
        M = (B @ S @ B.T)[:, :p]  # v x p
        out = np.zeros((self.k - p, p, p))
        j, a, b = self.s_idx.T
        terms = FB[:, a].T[:, :, None] * FB[:, b].T[:, None, :]
        terms[self.s_off] += np.swapaxes(terms[self.s_off], 1, 2)
        np.add.at(out, j - p, terms)
        if len(self.a_idx):
            j, a, c = self.a_idx.T
            terms = FB[:, a].T[:, :, None] * M[c, :][:, None, :]
            np.add.at(out, j - p, terms + np.swapaxes(terms, 1, 2))
        return out

    def curvature(self, theta: np.ndarray, g_sigma: np.ndarray) -> np.ndarray:
        """Second derivatives of tr(G Sigma(theta)) with G held fixed: (k, k).

        Non-zero only where a directed path is involved (Sigma is linear in the
        variances and covariances); the columns of the directed paths by
        central differences of the (analytic) chain rule, the rest by symmetry.
        """
        out = np.zeros((self.k, self.k))
        zero = np.zeros(self.p)
        for j in self.a_params:
            h = 1e-6 * max(1.0, abs(theta[j]))
            step = np.zeros(self.k)
            step[j] = h
            up = self.chain(zero, g_sigma, self.implied(theta + step)[2])
            down = self.chain(zero, g_sigma, self.implied(theta - step)[2])
            out[:, j] = (up - down) / (2 * h)
        out[self.a_params, :] = out[:, self.a_params].T
        return 0.5 * (out + out.T)


class _Patterns:
    """Sufficient statistics of the data, one set per missing-data pattern."""

    def __init__(self, y: np.ndarray, center: np.ndarray):
        observed = ~np.isnan(y)
        keys, inverse = np.unique(observed, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        yc = np.where(observed, y - center, 0.0)
        P, p = keys.shape
        self._setup(keys.astype(float), np.bincount(inverse, minlength=P).astype(float))
        self.sums = np.zeros((P, p))
        np.add.at(self.sums, inverse, yc)
        self.cross = np.zeros((P, p, p))
        np.add.at(self.cross, inverse, yc[:, :, None] * yc[:, None, :])

    def _setup(self, mask: np.ndarray, n: np.ndarray):
        P, p = mask.shape
        self.mask = mask
        self.outer_mask = mask[:, :, None] * mask[:, None, :]
        self.pad = np.zeros((P, p, p))
        idx = np.arange(p)
        self.pad[:, idx, idx] = 1.0 - mask
        self.n = n
        self.constant = -0.5 * float(n @ mask.sum(axis=1)) * _LOG_2PI

    @classmethod
    def from_moments(cls, cov: np.ndarray, n: int):
        """One complete pattern with the given (centred) covariance matrix."""
        self = cls.__new__(cls)
        p = cov.shape[0]
        self._setup(np.ones((1, p)), np.array([float(n)]))
        self.sums = np.zeros((1, p))
        self.cross = n * cov[None]
        return self

    def loglik(self, mu: np.ndarray, sigma: np.ndarray, *, gradient: bool):
        """Log-likelihood and, if asked, its gradient in mu and Sigma (and what the
        information needs). Raises LinAlgError if a pattern's Sigma is not positive
        definite."""
        sig = sigma[None] * self.outer_mask + self.pad
        chol = np.linalg.cholesky(sig)
        logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        W = np.linalg.inv(sig) * self.outer_mask
        m = mu[None] * self.mask  # (P, p)
        n = self.n
        Wm = np.einsum("pab,pb->pa", W, m)
        Ws = np.einsum("pab,pb->pa", W, self.sums)
        quad = (
            (W * self.cross).sum(axis=(1, 2))
            - 2.0 * (m * Ws).sum(axis=1)
            + n * (m * Wm).sum(axis=1)
        )
        ll = self.constant - 0.5 * float(n @ logdet + quad.sum())
        if not gradient:
            return ll, None, None, None
        Wr = Ws - n[:, None] * Wm  # W (sum of y - mu)
        # Q = W (scatter about mu) W
        Q = W @ self.cross @ W
        outer = Ws[:, :, None] * Wm[:, None, :]
        Q += n[:, None, None] * Wm[:, :, None] * Wm[:, None, :] - outer - np.swapaxes(outer, 1, 2)
        g_sigma = 0.5 * (Q - n[:, None, None] * W).sum(axis=0)
        g_mu = Wr.sum(axis=0)
        return ll, g_mu, g_sigma, (W, Q, Wr)

    def hessian(self, cache, d_sigma: np.ndarray):
        """The data part of the Hessian of the log-likelihood, in (mu, covariance params).

        With X_i = W dSigma_i and Y_i = Q dSigma_i per pattern:
        H_cc[i, j] = sum_p -tr(X_j Y_i) + n_p/2 tr(X_j X_i);
        H_mc[:, j] = -sum_p W dSigma_j W r_p; H_mm = -sum_p n_p W.
        """
        W, Q, Wr = cache
        kc = d_sigma.shape[0]
        # laid out (parameter, pattern, row, column), so the traces are two products
        ds = d_sigma[:, None]
        X = np.matmul(W[None], ds).reshape(kc, -1)  # W dSigma_i
        XT = np.matmul(ds, W[None])  # (W dSigma_i)'
        YT = np.matmul(ds, Q[None]).reshape(kc, -1)  # (Q dSigma_i)'
        XTw = (XT * self.n[None, :, None, None]).reshape(kc, -1)
        h_cc = -(X @ YT.T) + 0.5 * (X @ XTw.T)
        h_cc = 0.5 * (h_cc + h_cc.T)
        h_mc = -np.einsum("pab,pjb->aj", W, np.einsum("jab,pb->pja", d_sigma, Wr))
        h_mm = -(self.n[:, None, None] * W).sum(axis=0)
        return np.block([[h_mm, h_mc], [h_mc.T, h_cc]])


# --------------------------------------------------------------------------
# the fit


@dataclass(frozen=True, repr=False)
class PathModelFit:
    """A path model fitted by maximum likelihood.

    Attributes
    ----------
    model : PathModel
    missing : str
        ``"fiml"`` or ``"pairwise"``.
    parameters : pandas.DataFrame
        One row per free parameter and per mean: ``name``, ``estimate``,
        ``std_error`` (from the observed information), in the data's units.
    vcov : pandas.DataFrame
        Their covariance matrix (the inverse observed information).
    loglik : float
        The maximised log-likelihood (for ``"pairwise"``, of the moments).
    n_rows : int
        Rows (patients) with at least one observed value.
    converged : bool
        The optimiser reported success, the gradient is near zero and the
        information matrix is positive definite.
    messages : tuple of str
        Problems found, in words.
    iterations : int
        Iterations of the quasi-Newton optimiser (both stages for FIML).
    """

    model: PathModel
    missing: str
    parameters: pd.DataFrame
    vcov: pd.DataFrame
    loglik: float
    n_rows: int
    converged: bool
    messages: tuple[str, ...]
    iterations: int
    implied_mean: np.ndarray
    implied_cov: np.ndarray

    def estimate(self, name: str) -> float:
        """The estimate of the free parameter (or ``mean:<variable>``) called ``name``."""
        return float(self.parameters.set_index("name").loc[name, "estimate"])

    def std_error(self, name: str) -> float:
        """Its standard error."""
        return float(self.parameters.set_index("name").loc[name, "std_error"])

    def __repr__(self) -> str:
        return (
            f"<PathModelFit ({self.missing}): {len(self.parameters)} parameters, "
            f"{self.n_rows} rows, loglik {self.loglik:.3f}, converged {self.converged}>"
        )


def fit_path_model(
    model: PathModel,
    data,
    *,
    missing: str = "fiml",
    scale: Mapping[str, float] | None = None,
    start: Mapping[str, float] | None = None,
) -> PathModelFit:
    """Fit a path model by full-information (or pairwise) maximum likelihood.

    Parameters
    ----------
    model : PathModel
    data : pandas.DataFrame
        One row per unit (patient), one column per observed variable of the
        model; missing values as NaN. Rows with nothing observed are dropped.
    missing : {"fiml", "pairwise"}
        Full-information ML (each row's own observed values), or ML fitted to
        the pairwise-complete covariance matrix as if the data were complete.
    scale : mapping, optional
        A positive factor for every variable (observed and latent): the data
        are divided by it before fitting, for a well-conditioned problem,
        and the results are returned in the data's units. Give the same
        factor to variables whose paths are held equal.
    start : mapping, optional
        Starting values (in the data's units) for free parameters by name;
        the others start as lavaan's "simple" ones do (see ``_start_values``:
        regressions at 0, (co)variances of observed variables from the data).

    Returns
    -------
    PathModelFit

    Notes
    -----
    The pairwise stage is fitted first, from the starting values, by
    Newton's method with the analytic observed information (damped where it
    is not positive definite); the FIML stage starts from its solution and
    uses BFGS, started with the inverse of that information, then one Newton
    step. If the pairwise covariance matrix is not positive definite (few
    rows, much missing), FIML starts from the starting values by Newton's
    method. The fit refuses (``ValueError``) when the information matrix at
    the end is not positive definite: the data do not identify the model.
    Linear algebra runs on one thread (see :mod:`book._threads`).

    Examples
    --------
    A regression of y on x is a path model; its slope is the OLS slope:

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200); y = 0.5 * x + rng.normal(size=200)
    >>> m = PathModel(observed=("x", "y"), latent=(),
    ...               paths=(Path("y", "~", "x", label="b"), Path("x", "~~", "x"),
    ...                      Path("y", "~~", "y")))
    >>> fit = fit_path_model(m, pd.DataFrame({"x": x, "y": y}))
    >>> round(fit.estimate("b"), 6) == round(float(np.polyfit(x, y, 1)[0]), 6)
    True
    """
    if not isinstance(model, PathModel):
        raise TypeError(f"model must be a PathModel, got {type(model).__name__}")
    if missing not in ("fiml", "pairwise"):
        raise ValueError(f"missing must be 'fiml' or 'pairwise', got {missing!r}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    absent = [v for v in model.observed if v not in data.columns]
    if absent:
        raise ValueError(f"column(s) {absent} not in data; the model's observed variables")
    comp = _Compiled(model)
    factors = _scale_factors(model, scale)
    y = data[list(model.observed)].to_numpy(dtype=float) / factors[: comp.p]
    if not np.isfinite(y[~np.isnan(y)]).all():
        raise ValueError("data hold infinite values")
    y = y[~np.isnan(y).all(axis=1)]
    n_rows = len(y)
    if n_rows < 2:
        raise ValueError(f"at least 2 rows with data are needed, got {n_rows}")
    counts = (~np.isnan(y)).sum(axis=0)
    if (counts < 2).any():
        bad = [v for v, c in zip(model.observed, counts, strict=True) if c < 2]
        raise ValueError(f"variable(s) {bad} observed fewer than twice; the model needs them")

    center = np.nanmean(y, axis=0)
    messages: list[str] = []
    with single_thread():
        pair_cov = pd.DataFrame(y).cov().to_numpy()
        theta0 = _start_values(comp, factors, start, pair_cov)
        pairwise_ok = np.isfinite(pair_cov).all() and np.linalg.eigvalsh(pair_cov).min() > 0
        if missing == "pairwise" and not pairwise_ok:
            raise ValueError(
                "the pairwise covariance matrix is not positive definite (or some pair of "
                "variables is never observed together); the pairwise fit needs it"
            )
        iterations = 0
        theta, h0 = theta0, None
        if pairwise_ok:
            moments = _Patterns.from_moments(pair_cov, n_rows)
            theta, ll, grad, info, iterations, ok = _maximise(comp, moments, theta)
            h0 = _inverse_hessian(info, n_rows)
        if missing == "fiml":
            patterns = _Patterns(y, center)
            theta, ll, grad, info, it, ok = _maximise(comp, patterns, theta, h0)
            iterations += it

    eig = np.linalg.eigvalsh(info)
    if not eig.min() > 1e-8 * max(eig.max(), 1.0):
        raise ValueError(
            "the data do not identify the model: where the search for the maximum ended, "
            "the information matrix is not positive definite (with too few rows the "
            "likelihood has no proper maximum, a variance running to zero; or some "
            "parameters are not determined by the data)"
        )
    vcov = np.linalg.inv(info)
    small_gradient = np.abs(grad).max() < 1e-3 * max(1.0, n_rows) ** 0.5
    converged = bool(ok and small_gradient)
    if not converged:
        messages.append("the optimiser did not reach a maximum; do not trust the numbers")

    # back to the data's units
    scale_theta = _theta_scale(comp, factors)
    shift = np.zeros(comp.k)
    shift[: comp.p] = center
    est = (theta + shift) * scale_theta
    vcov = vcov * np.outer(scale_theta, scale_theta)
    names = [f"mean:{v}" for v in model.observed] + list(comp.names)
    mu, sigma, _ = comp.implied(theta)
    # the density of the data in their own units (each value divided by its factor)
    n_values = counts if missing == "fiml" else np.full(comp.p, n_rows)
    loglik = float(ll) - float(np.log(factors[: comp.p]) @ n_values)
    return PathModelFit(
        model=model,
        missing=missing,
        parameters=pd.DataFrame(
            {"name": names, "estimate": est, "std_error": np.sqrt(np.diag(vcov))}
        ),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        loglik=loglik,
        n_rows=n_rows,
        converged=converged,
        messages=tuple(messages),
        iterations=iterations,
        implied_mean=(mu + shift[: comp.p]) * factors[: comp.p],
        implied_cov=sigma * np.outer(factors[: comp.p], factors[: comp.p]),
    )


def _scale_factors(model: PathModel, scale) -> np.ndarray:
    names = model.observed + model.latent
    if scale is None:
        return np.ones(len(names))
    if not isinstance(scale, Mapping):
        raise TypeError("scale must be a mapping from variable names to positive numbers")
    out = []
    for v in names:
        s = scale.get(v)
        if not isinstance(s, numbers.Real) or not s > 0 or not math.isfinite(s):
            raise ValueError(f"scale needs a positive factor for every variable; {v!r}: {s!r}")
        out.append(float(s))
    return np.array(out)


def _theta_scale(comp: _Compiled, factors: np.ndarray) -> np.ndarray:
    """Per-parameter factor from scaled to the data's units; equal labels must agree."""
    out = np.full(comp.k, np.nan)
    out[: comp.p] = factors[: comp.p]
    for j, i, c in comp.a_idx:  # A[i, c]: path from c to i
        _set_factor(out, j, factors[i] / factors[c], comp)
    for j, i, c in comp.s_idx:
        _set_factor(out, j, factors[i] * factors[c], comp)
    return out


def _set_factor(out, j, value, comp):
    if np.isnan(out[j]):
        out[j] = value
    elif not math.isclose(out[j], value, rel_tol=1e-12):
        raise ValueError(
            f"parameter {comp.names[j - comp.p]!r} joins paths whose variables have "
            "different scale factors; give them the same factor"
        )


def _start_values(comp: _Compiled, factors, start, sample_cov) -> np.ndarray:
    """Starting values in scaled units, as lavaan's "simple" ones.

    Directed paths 0; an observed variable that no path points to starts at
    its sample variance and its sample covariances with other such variables,
    one that a path points to at half its sample variance; a latent variable
    at half the mean variance of the observed variables it loads on with a
    fixed loading (1 without such); other covariances at 0.
    ``start`` overrides any of them.
    """
    theta = np.zeros(comp.k)
    p = comp.p
    endogenous = np.zeros(comp.v, dtype=bool)
    endogenous[comp.a_idx[:, 1]] = True
    endogenous[np.flatnonzero(np.abs(comp.A0).sum(axis=1))] = True
    loads = {(int(r), int(c)) for _, r, c in comp.a_idx}
    for j, i, c in comp.s_idx:
        if i < p and c < p:
            value = sample_cov[i, c]
            if i == c:
                theta[j] = value * (0.5 if endogenous[i] else 1.0)
            elif not (endogenous[i] or endogenous[c]) and np.isfinite(value):
                theta[j] = value
        elif i == c:  # a latent variable: half the variance of what it is measured by
            indicators = [r for r in range(p) if comp.A0[r, i] != 0 or (r, i) in loads]
            variances = [sample_cov[r, r] / comp.A0[r, i] ** 2 for r in indicators if comp.A0[r, i]]
            theta[j] = 0.5 * float(np.mean(variances)) if variances else 1.0
    scale_theta = _theta_scale(comp, factors)
    if start is not None:
        for name, value in start.items():
            if name not in comp.names:
                raise ValueError(f"start names an unknown parameter {name!r}")
            j = p + comp.names.index(name)
            theta[j] = float(value) / scale_theta[j]
    return theta


def _evaluate(comp: _Compiled, patterns: _Patterns, theta: np.ndarray):
    """Log-likelihood, its gradient and what the information needs; None if not PD."""
    try:
        mu, sigma, pieces = comp.implied(theta)
        ll, g_mu, g_sigma, cache = patterns.loglik(mu, sigma, gradient=True)
    except np.linalg.LinAlgError:
        return None
    return ll, comp.chain(g_mu, g_sigma, pieces), (pieces, g_sigma, cache)


def _information(comp: _Compiled, patterns: _Patterns, theta: np.ndarray, state) -> np.ndarray:
    """Observed information: minus the Hessian of the log-likelihood, analytically.

    The Hessian is J' H J + C: the Hessian in (mu, Sigma) carried by the
    Jacobian J = d(mu, Sigma)/d(theta) (:meth:`_Patterns.hessian`), plus the
    curvature of Sigma(theta) weighted by the gradient in Sigma
    (:meth:`_Compiled.curvature`).
    """
    pieces, g_sigma, cache = state
    hess = patterns.hessian(cache, comp.jacobian(pieces))
    hess += comp.curvature(theta, g_sigma)
    return -hess


def _maximise(comp: _Compiled, patterns: _Patterns, theta: np.ndarray, h0=None):
    """Maximise the log-likelihood from ``theta``.

    With ``h0`` (an inverse Hessian of the mean log-likelihood, from a nearby
    fit), by BFGS; without, or if BFGS fails, by Newton's method with the
    observed information, damped where it is not positive definite. Either
    ends with one Newton step. Returns the estimates, log-likelihood, gradient, information (at the
    last point but one), iterations and whether the gradient vanished.
    """
    if _evaluate(comp, patterns, theta) is None:
        raise ValueError(
            "the starting values imply a covariance matrix that is not positive definite"
        )
    iterations, ok = 0, False
    if h0 is not None:
        theta, iterations, ok = _bfgs(_mean_objective(comp, patterns), theta, h0=h0)
    if not ok:
        theta, more, ok = _newton(comp, patterns, theta)
        iterations += more
    ll, grad, state = _evaluate(comp, patterns, theta)
    info = _information(comp, patterns, theta, state)
    try:  # one Newton step: the last digits, for agreement with other programs
        new = theta + np.linalg.solve(info, grad)
        new_state = _evaluate(comp, patterns, new)
        if new_state is not None and new_state[0] >= ll - 1e-9 * abs(ll):
            theta, (ll, grad, _) = new, new_state
    except np.linalg.LinAlgError:
        pass
    return theta, ll, grad, info, iterations, ok


def _mean_objective(comp, patterns):
    """Minus the mean log-likelihood and its gradient (infinite where Sigma is not PD)."""
    n = float(patterns.n.sum())

    def f(x):
        out = _evaluate(comp, patterns, x)
        if out is None:
            return np.inf, None
        return -out[0] / n, -out[1] / n

    return f


def _newton(comp, patterns, theta, *, max_iter: int = 100, gtol: float = _GTOL):
    """Newton's method with a backtracking line search.

    Where the information is not positive definite, a multiple of its
    diagonal is added until it is (Levenberg-Marquardt damping), so every
    step goes uphill.
    """
    n = float(patterns.n.sum())
    ll, grad, state = _evaluate(comp, patterns, theta)
    for it in range(1, max_iter + 1):
        if np.abs(grad).max() / n < gtol:
            return theta, it - 1, True
        info = _information(comp, patterns, theta, state)
        diag = np.maximum(np.abs(np.diag(info)), 1e-8 * n)
        damping = 0.0
        while True:
            try:
                np.linalg.cholesky(info + damping * np.diag(diag))
                break
            except np.linalg.LinAlgError:
                damping = max(1e-4, 10 * damping)
        step = np.linalg.solve(info + damping * np.diag(diag), grad)
        t = 1.0
        while True:
            out = _evaluate(comp, patterns, theta + t * step)
            if out is not None and out[0] >= ll + 1e-4 * t * float(grad @ step):
                break
            t *= 0.5
            if t < 1e-14:  # no uphill step left: a maximum, if the gradient is small
                return theta, it, bool(np.abs(grad).max() / n < 1e2 * gtol)
        theta = theta + t * step
        ll, grad, state = out
    return theta, max_iter, bool(np.abs(grad).max() / n < gtol)


def _inverse_hessian(info: np.ndarray, n: float):
    """Inverse Hessian of the mean log-likelihood from the information, if positive definite."""
    try:
        root = np.linalg.inv(np.linalg.cholesky(info / n))
    except np.linalg.LinAlgError:
        return None
    return root.T @ root


def _bfgs(f, x, *, h0=None, max_iter: int = 500, gtol: float = _GTOL):
    """Minimise ``f`` (value and gradient) by BFGS with a backtracking line search.

    A step into parameters whose implied covariance matrix is not positive
    definite (``f`` infinite) is halved until it is not, as lavaan's
    optimiser does; scipy's line searches cannot step back from such points.
    ``h0`` is the starting inverse Hessian (the identity, scaled after the
    first step, when not given). Returns the minimiser, the iterations used
    and whether the gradient's largest element fell below ``gtol``.
    """
    fx, g = f(x)
    k = len(x)
    H = np.eye(k) if h0 is None else h0
    for it in range(1, max_iter + 1):
        if np.abs(g).max() < gtol:
            return x, it - 1, True
        d = -H @ g
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            H = np.eye(k)
            d, slope = -g, -float(g @ g)
        t = 1.0
        while True:
            x_new = x + t * d
            f_new, g_new = f(x_new)
            if np.isfinite(f_new) and f_new <= fx + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-14:  # no downhill step left: a minimum, if the gradient is small
                return x, it, bool(np.abs(g).max() < 1e2 * gtol)
        s, yv = x_new - x, g_new - g
        sy = float(s @ yv)
        if sy > 1e-12 * float(np.sqrt((s @ s) * (yv @ yv))):
            if it == 1 and h0 is None:
                H = np.eye(k) * sy / float(yv @ yv)
            rho = 1.0 / sy
            Hy = H @ yv
            H = (
                H
                + (rho * rho * float(yv @ Hy) + rho) * np.outer(s, s)
                - rho * (np.outer(Hy, s) + np.outer(s, Hy))
            )
        x, fx, g = x_new, f_new, g_new
    return x, max_iter, bool(np.abs(g).max() < gtol)
