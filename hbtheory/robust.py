r"""Certified rates on every smooth strongly convex function, by the IQC LMIs of Lessard, Recht and Packard.

On quadratics the rate of a method is a spectral radius (:mod:`hbtheory.spectral`). On the class
:math:`F(\mu, L)` of all :math:`\mu`-strongly convex, :math:`L`-smooth functions it is not, and
heavy ball at Polyak's tuning does not even converge on some of them (:mod:`hbtheory.lrp`). What
*can* be proven is a rate :math:`\rho` with a quadratic Lyapunov function: Lessard, Recht and
Packard (2016) write the method as a linear system :math:`\xi_{t+1} = A\xi_t + B u_t`,
:math:`y_t = C\xi_t`, :math:`u_t = \nabla f(y_t)` (:meth:`hbtheory.methods.Method.realisation`)
and describe :math:`\nabla f` by integral quadratic constraints (IQCs):

* the **sector** IQC :math:`(L (y - y^*) - (u - u^*))^T (u - u^* - \mu (y - y^*)) \ge 0`, pointwise;
* the **weighted off-by-one** IQC (their Lemma 8), which couples consecutive steps through one
  filter state :math:`\zeta_{t+1} = -L y_t + u_t` and holds summed with weights :math:`\rho^{-2t}`:
  :math:`\sum_t \rho^{-2t} (u_t - \mu y_t)^T (L y_t - u_t - \rho^2 (L y_{t-1} - u_{t-1})) \ge 0`.

If there are :math:`P \succ 0` and multipliers :math:`\lambda_i \ge 0` with

.. math::

    \begin{pmatrix} \hat A^T P \hat A - \rho^2 P & \hat A^T P \hat B \\
    \hat B^T P \hat A & \hat B^T P \hat B \end{pmatrix}
    + \sum_i \lambda_i \begin{pmatrix} \hat C_i & \hat D_i \end{pmatrix}^T M
      \begin{pmatrix} \hat C_i & \hat D_i \end{pmatrix} \preceq 0,
    \qquad M = \begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix},

(:math:`\hat A, \hat B` the method with the filter appended), then every trajectory on every
:math:`f \in F(\mu, L)` satisfies
:math:`\|\xi_t - \xi^*\| \le \sqrt{\operatorname{cond} P}\, \rho^t \|\xi_0 - \xi^*\|`
(LRP, Theorem 4) from every start when the certificate lives on the whole state
(``lyapunov_function(c).entry == 0``); when it lives on a subspace (gradient descent, Nesterov at
:math:`\alpha = 1/L`, Triple Momentum: ``entry`` is 1) the bound holds from the step at which the
trajectory has entered it, with the off-by-one terms of the steps before kept
(:func:`lyapunov_function`; checked against PEPit by :func:`hbtheory.pep.certificate_check`).
:func:`certified_rate` returns the smallest such :math:`\rho`.

**The reduction to a small LMI.** The functions are separable in the coordinates, so it suffices
to take dimension one: the state is :math:`(x_t, x_{t-1})` plus the filter state, 2 or 3 numbers.
Units are :math:`L = 1` (the rate depends on :math:`\alpha L`, :math:`\beta`, :math:`\mu/L` only).
When the realisation with the filter is not minimal (gradient descent's :math:`x_{t-1}` plays no
role; at Nesterov's :math:`\alpha = 1/L` the filter state is a copy of :math:`-L x_t`; Triple
Momentum is designed that way) the LMI is posed on the controllable subspace of
:math:`(\hat A, \hat B)`, which every trajectory enters after a few steps: the remaining modes are
checked to be nilpotent (their spectral radius is part of the answer). Otherwise the optimal
:math:`P` would be singular and no solver, general or not, would return a checkable certificate.

**How it is solved.** Feasibility at a given :math:`\rho` is a 3 x 3 or 4 x 4 LMI with at most seven
unknowns, solved for every point at once by a batched barrier method in numpy
(:mod:`hbtheory._lmi`), and :math:`\rho` is found by bisection between the worst rate on quadratics
(a certificate on :math:`F(\mu, L)` covers quadratics, so nothing below it can be certified) and 1.
Every accepted certificate is evaluated again in float64: :math:`P` positive definite,
multipliers non-negative, the LMI's largest eigenvalue below minus a bound on its rounding error.
A general SDP solver (cvxpy) is the reference in the tests and in ``benchmarks/robust_speed.py``.

**Beyond certificates.** :func:`cycle_margin` and :func:`cycle_witness` prove the opposite where it
holds: a function of :math:`F(\mu, L)` on which the method cycles on a regular polygon
(:mod:`hbtheory._cycles_gtd`); :func:`robust_map_data` puts both on an :math:`(\alpha, \beta)` grid;
:data:`GFJ_STATEMENTS` and :func:`gfj_robust_check` set the Ghadimi-Feyzmahdavian-Johansson results
against the certificates. docs/robust.md tells the whole story.

References
----------
L. Lessard, B. Recht, A. Packard (2016). Analysis and design of optimization algorithms via
integral quadratic constraints. SIAM J. Optim. 26(1):57-95 (arXiv:1408.3595), Sections 3-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory import _lmi
from hbtheory._cycles_gtd import CycleWitness, Interpolant, cycle_margin, cycle_witness, interpolant
from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_real, check_interval, finish, number
from hbtheory.methods import Method, general, get_method

__all__ = [
    "GFJ_STATEMENTS",
    "IQCS",
    "CycleWitness",
    "GFJRobustCheck",
    "GFJStatement",
    "Interpolant",
    "LyapunovFunction",
    "RateCertificate",
    "RobustMap",
    "RobustTuning",
    "certified_rate",
    "cycle_margin",
    "cycle_witness",
    "gfj_convex_region",
    "gfj_robust_check",
    "gfj_sqrt_momentum",
    "interpolant",
    "lyapunov_function",
    "rate_certificate",
    "robust_map_data",
    "robust_optimal_parameters",
]

Arr = NDArray[np.float64]

#: The IQC choices: the sector IQC alone, or sector plus the rho-weighted off-by-one IQC.
IQCS = ("sector", "off_by_one")
#: Bisection stops when the bracket is this narrow (the answer is the bracket's certified end).
_RHO_TOL = 1e-9


def _entry(x: Any, shape: tuple[int, ...]) -> Arr:
    return np.broadcast_to(np.asarray(x, dtype=np.float64), shape).reshape(-1)


def _plant(m: Method, alpha: Arr, beta: Arr) -> tuple[Arr, Arr, Arr]:
    """``A (N, 2, 2)``, ``B (N, 2)``, ``C (N, 2)`` from the method's realisation (flat inputs)."""
    shape = alpha.shape
    a_mat, b_mat, c_mat, _ = m.realisation(alpha, beta)
    A = np.stack([np.stack([_entry(e, shape) for e in row], axis=-1) for row in a_mat], axis=-2)
    B = np.stack([_entry(row[0], shape) for row in b_mat], axis=-1)
    C = np.stack([_entry(e, shape) for e in c_mat[0]], axis=-1)
    return A, B, C


def _problem(m: Method, alpha: Arr, beta: Arr, mu: Arr, iqc: str) -> tuple[Arr, Arr, Arr, Arr, Arr]:
    """The full (unreduced) LMI data ``(Ahat, Bhat, a0, a1, b)`` in units ``L = 1``."""
    A, B, C = _plant(m, alpha, beta)
    N = alpha.shape[0]
    zero = np.zeros((N, 1))
    if iqc == "sector":
        Ah, Bh = A, B
        a0 = np.concatenate([C, -np.ones((N, 1))], axis=1)[:, None, :]
        b = np.concatenate([-mu[:, None] * C, np.ones((N, 1))], axis=1)[:, None, :]
        a1 = np.zeros_like(a0)
        return Ah, Bh, a0, a1, b
    top = np.concatenate([A, np.zeros((N, 2, 1))], axis=2)
    bottom = np.concatenate([-C, zero], axis=1)[:, None, :]
    Ah = np.concatenate([top, bottom], axis=1)
    Bh = np.concatenate([B, np.ones((N, 1))], axis=1)
    row_a = np.concatenate([C, zero, -np.ones((N, 1))], axis=1)
    row_b = np.concatenate([-mu[:, None] * C, zero, np.ones((N, 1))], axis=1)
    filt = np.zeros((N, 4))
    filt[:, 2] = 1.0
    a0 = np.stack([row_a, row_a], axis=1)
    a1 = np.stack([np.zeros((N, 4)), filt], axis=1)
    b = np.stack([row_b, row_b], axis=1)
    return Ah, Bh, a0, a1, b


def _reduce(Ah: Arr, Bh: Arr) -> tuple[NDArray[np.intp], list[Arr], Arr]:
    """Rank of the controllable subspace, an orthonormal basis of it (per rank) and the spectral
    radius of the discarded (quotient) modes."""
    N, n = Bh.shape
    cols = [Bh]
    for _ in range(n - 1):
        cols.append(np.einsum("nij,nj->ni", Ah, cols[-1]))
    K = np.stack(cols, axis=-1)
    U, s, _ = np.linalg.svd(K)
    rank = np.sum(s > 1e-9 * s[:, :1], axis=1)
    rest = np.zeros(N)
    for r in range(1, n):
        sel = rank == r
        if sel.any():
            Q = U[sel][:, :, r:]
            quotient = np.swapaxes(Q, -1, -2) @ Ah[sel] @ Q
            rest[sel] = np.max(np.abs(np.linalg.eigvals(quotient)), axis=-1)
    return rank, [U[..., :r] for r in range(n + 1)], rest


def _quadratic_floor(m: Method, alpha: Arr, beta: Arr, mu: Arr) -> Arr:
    from hbtheory._worst import worst_case_rate

    b = beta if m.uses_beta else np.zeros_like(beta)
    return np.asarray(worst_case_rate(alpha, b, mu, np.ones_like(mu), method=m), dtype=np.float64)


def _solve(
    m: Method, alpha: Arr, beta: Arr, mu: Arr, iqc: str, *, certificates: bool = False
) -> tuple[Arr, list[tuple[Any, ...]]]:
    """Certified rates of flat arrays (units ``L = 1``); with ``certificates`` also ``(P, lam, T)``."""
    N = alpha.shape[0]
    out = np.full(N, math.inf)
    certs: list[tuple[Any, ...]] = [()] * N
    floor = _quadratic_floor(m, alpha, beta, mu)
    Ah, Bh, a0, a1, b = _problem(m, alpha, beta, mu, iqc)
    rank, bases, rest = _reduce(Ah, Bh)
    n_full = Bh.shape[1]
    for r in range(1, n_full + 1):
        sel = np.flatnonzero((rank == r) & (floor < 1.0) & (rest < 1.0))
        if sel.size == 0:
            continue
        T = bases[r][sel]
        Tt = np.swapaxes(T, -1, -2)
        ab = np.concatenate([Tt @ Ah[sel] @ T, (Tt @ Bh[sel][..., None])], axis=2)

        def red(rows: Arr, T: Arr = T) -> Arr:
            return np.concatenate([rows[..., :-1] @ T, rows[..., -1:]], axis=-1)

        prob = _lmi.Problem(ab, red(a0[sel]), red(a1[sel]), red(b[sel]))
        lo = np.maximum(floor[sel], rest[sel]) * (1.0 - 4 * _lmi._EPS)
        hi = np.ones(sel.size)
        found = np.zeros(sel.size, dtype=bool)
        P_best = np.zeros((sel.size, r, r))
        lam_best = np.zeros((sel.size, prob.k))
        # first at rho just below 1: a point not certified there has no certificate at all
        top = np.full(sel.size, 1.0 - 2 * _RHO_TOL)
        warm_v = np.full((sel.size, prob.nv), np.nan)
        warm_T = np.full(sel.size, 10.0)
        wv, wt = warm_v.copy(), warm_T.copy()
        ok, P, lam = _lmi.feasible(prob, top, warm=(wv, wt))
        warm_v[ok], warm_T[ok] = wv[ok], wt[ok]
        todo = np.flatnonzero(ok)
        if todo.size:
            sub = prob.subset(todo)
            hi[todo] = _lmi.shrink(sub, P[todo], lam[todo], top[todo])
            found[todo] = True
            P_best[todo], lam_best[todo] = P[todo], lam[todo]
            lo[todo] = np.minimum(lo[todo], hi[todo])
        todo = todo[hi[todo] - lo[todo] > _RHO_TOL]
        first = True
        while todo.size:
            # the first probe just above the quadratic floor, which is often the answer (gradient
            # descent, Triple Momentum, small momentum); then bisection
            mid = np.minimum(lo[todo] + 0.5 * _RHO_TOL, hi[todo]) if first else 0.5 * (lo[todo] + hi[todo])
            first = False
            sub = prob.subset(todo)
            wv, wt = warm_v[todo], warm_T[todo]
            ok, P, lam = _lmi.feasible(sub, mid, warm=(wv, wt))
            warm_v[todo[ok]], warm_T[todo[ok]] = wv[ok], wt[ok]
            if ok.any():
                good = np.flatnonzero(ok)
                mid[good] = _lmi.shrink(sub.subset(good), P[good], lam[good], mid[good])
                lo[todo[good]] = np.minimum(lo[todo[good]], mid[good])
            hi[todo[ok]] = mid[ok]
            lo[todo[~ok]] = mid[~ok]
            found[todo[ok]] = True
            P_best[todo[ok]], lam_best[todo[ok]] = P[ok], lam[ok]
            todo = todo[hi[todo] - lo[todo] > _RHO_TOL]
        out[sel[found]] = np.maximum(hi[found], rest[sel[found]])
        if certificates:
            for j in np.flatnonzero(found):
                certs[sel[j]] = (P_best[j], lam_best[j], T[j], ab[j])
    return out, certs


def _inputs(alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method, iqc: str) -> tuple[Any, ...]:
    m = get_method(method)
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} has no realisation (it is given by its polynomial only)")
    if iqc not in IQCS:
        raise ValueError(f"`iqc` must be one of {', '.join(map(repr, IQCS))}, got {iqc!r}")
    mu_arr, L_arr = check_interval(mu, L)
    a = as_real(alpha, "alpha", low=0.0, low_open=True)
    b = as_real(beta, "beta", low=-1.0, high=1.0, low_open=True, high_open=True)
    try:
        a_b, b_b, mu_b, L_b = np.broadcast_arrays(a, b, mu_arr, L_arr)
    except ValueError:
        raise ValueError(
            f"`alpha`, `beta`, `mu` and `L` must broadcast together, got shapes {a.shape}, {b.shape}, "
            f"{mu_arr.shape}, {L_arr.shape}"
        ) from None
    shape = a_b.shape
    alpha1 = (a_b * L_b).reshape(-1)  # units L = 1
    beta1 = np.array(b_b, dtype=np.float64).reshape(-1)
    mu1 = (mu_b / L_b).reshape(-1)
    if not np.all(np.isfinite(alpha1)):
        raise ValueError("`alpha` * `L` must be finite")
    with np.errstate(all="ignore"):
        g = np.broadcast_to(np.asarray(m.gamma(beta1), dtype=np.float64), beta1.shape)
    if not np.all(np.isfinite(g)):
        i = int(np.flatnonzero(~np.isfinite(g))[0])
        raise ValueError(f"`beta` = {number(beta1[i])} is outside the domain of method {m.name!r}")
    return m, shape, alpha1, beta1, mu1


def certified_rate(
    alpha: Any, beta: Any, mu: Any, L: Any, *, method: str | Method = "heavy_ball", iqc: str = "off_by_one"
) -> Any:
    r"""The smallest rate :math:`\rho` certified on every :math:`\mu`-strongly convex :math:`L`-smooth function.

    **Theoretical guarantee** (Lessard, Recht and Packard 2016, Theorem 4 with Lemmas 6 and 8):
    at a returned :math:`\rho < 1` there are :math:`P \succ 0` and multipliers :math:`\lambda \ge 0`
    satisfying the IQC LMI (module docstring), checked in float64, so that for every
    :math:`f \in F(\mu, L)` and every start, the state :math:`\xi_t = (x_t, x_{t-1})` obeys
    :math:`\|\xi_t - \xi^*\| \le \sqrt{\operatorname{cond} P}\, \rho^t \|\xi_0 - \xi^*\|`
    when ``lyapunov_function(rate_certificate(...)).entry == 0``; otherwise (a certificate on a
    subspace of the state) from step ``entry`` on, see :func:`lyapunov_function`.
    The answer is a proof of an upper bound, not the true worst rate: it is at least the worst
    rate on quadratics (:func:`hbtheory.worst_case_rate`) and usually larger.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``(-1, 1)`` (ignored by gradient descent).
    mu, L : float or array_like
        ``0 < mu <= L``. Everything broadcasts.
    method : str or Method, optional, keyword-only
        Any member of the family with a realisation (see :func:`hbtheory.methods.get_method`).
    iqc : {"off_by_one", "sector"}, optional, keyword-only
        ``"sector"``: the pointwise sector IQC only (a 2-state LMI); ``"off_by_one"`` (default):
        sector plus the :math:`\rho`-weighted off-by-one IQC (a 3-state LMI).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The certified rate (to about 1e-9, rounded up: the certified end of the bisection), ``inf`` where no
        :math:`\rho < 1` is certified.

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range, an unknown ``method`` or ``iqc``.

    Notes
    -----
    Reference values (LRP 2016, Section 4.5 and Figure 5, :math:`\mu = 1`, Polyak's tuning):
    0.3361 at :math:`\kappa = 2`, 0.8604 at :math:`\kappa = 10`; no certificate beyond
    :math:`\kappa \approx 18` (sector alone: about 6). Gradient descent with
    :math:`\alpha = 2/(L + \mu)` is certified at :math:`(\kappa - 1)/(\kappa + 1)`, which is exact.

    References
    ----------
    L. Lessard, B. Recht, A. Packard (2016). SIAM J. Optim. 26(1):57-95, arXiv:1408.3595.

    Examples
    --------
    >>> from hbtheory.methods import HEAVY_BALL
    >>> cf = HEAVY_BALL.closed_form(1.0, 2.0)   # Polyak's tuning, kappa = 2
    >>> round(float(certified_rate(cf.alpha, cf.beta, 1.0, 2.0)), 4)
    0.3361
    >>> certified_rate(0.5, 0.0, 1.0, 3.0, method="gradient_descent")   # 2/(L + mu): (3-1)/(3+1)
    np.float64(0.5...)
    >>> certified_rate(1 / 9, 4 / 9, 1.0, 25.0)   # Polyak's tuning at kappa = 25: no certificate
    np.float64(inf)
    """
    m, shape, a1, b1, mu1 = _inputs(alpha, beta, mu, L, method, iqc)
    if a1.size == 0:
        return np.zeros(shape)
    out, _ = _solve(m, a1, b1, mu1, iqc)
    return finish(out.reshape(shape))


@dataclass(frozen=True, eq=False)
class RateCertificate(Result):
    r"""A checked IQC certificate at one point (see :func:`rate_certificate`).

    Attributes
    ----------
    method : str
    alpha, beta, mu, L : float
        The inputs.
    iqc : str
    rate : float
        The certified rate (``inf`` when none below 1).
    P : numpy.ndarray
        The Lyapunov matrix in units ``L = 1``, on the reduced state (``basis`` maps it back).
    multipliers : numpy.ndarray
        :math:`\lambda` (sector first, then off-by-one).
    basis : numpy.ndarray
        Orthonormal columns spanning the controllable subspace of the state ``(x_t, x_{t-1}[, zeta_t])``.
    constant : float
        :math:`\sqrt{\operatorname{cond} P}`, the constant of the guarantee.
    lmi_max_eigenvalue : float
        The LMI's largest eigenvalue at ``rate``, recomputed (negative).
    """

    method: str
    alpha: float
    beta: float
    mu: float
    L: float
    iqc: str
    rate: float
    P: Arr
    multipliers: Arr
    basis: Arr
    constant: float
    lmi_max_eigenvalue: float


def rate_certificate(
    alpha: float, beta: float, mu: float, L: float, *, method: str | Method = "heavy_ball", iqc: str = "off_by_one"
) -> RateCertificate:
    r"""The certificate behind :func:`certified_rate` at one point: :math:`P`, the multipliers, the constant.

    Parameters
    ----------
    alpha, beta, mu, L : float
        As in :func:`certified_rate` (scalars).
    method, iqc : optional, keyword-only
        As in :func:`certified_rate`.

    Returns
    -------
    RateCertificate

    Examples
    --------
    >>> c = rate_certificate(0.5, 0.0, 1.0, 3.0, method="gradient_descent")
    >>> round(c.rate, 6), c.P.shape, bool(c.lmi_max_eigenvalue < 0)
    (0.5, (2, 2), True)
    """
    for name, v in (("alpha", alpha), ("beta", beta), ("mu", mu), ("L", L)):
        if np.ndim(v) != 0:
            raise TypeError(f"`{name}` must be a single real number, got an array of shape {np.shape(v)}")
    m, _, a1, b1, mu1 = _inputs(alpha, beta, mu, L, method, iqc)
    out, certs = _solve(m, a1, b1, mu1, iqc, certificates=True)
    rate = float(out[0])
    if not certs[0]:
        empty = frozen_array(np.zeros((0, 0)))
        return RateCertificate(m.name, float(alpha), float(beta), float(mu), float(L), iqc, rate, empty,
                               frozen_array(np.zeros(0)), empty, math.inf, math.nan)
    P, lam, T, ab = certs[0]
    _, _, a0, a1r, brow = _problem(m, a1, b1, mu1, iqc)

    def red(rows: Arr) -> Arr:
        return np.concatenate([rows[..., :-1] @ T, rows[..., -1:]], axis=-1)

    prob = _lmi.Problem(ab[None], red(a0), red(a1r), red(brow))
    rho = np.array([min(rate, 1.0)])
    top = float(np.linalg.eigvalsh(prob.lmi(P[None], lam[None], rho))[0, -1])
    ev = np.linalg.eigvalsh(P)
    return RateCertificate(
        m.name, float(alpha), float(beta), float(mu), float(L), iqc, rate, frozen_array(P), frozen_array(lam),
        frozen_array(T), float(math.sqrt(ev[-1] / ev[0])), top,
    )


@dataclass(frozen=True, eq=False)
class LyapunovFunction(Result):
    r"""The Lyapunov function of a certificate in the method's own coordinates (see :func:`lyapunov_function`).

    With :math:`\tilde y_t = y_t - x^*`, :math:`u_t = \nabla f(y_t)`, the state
    :math:`\xi_t = (x_t - x^*, x_{t-1} - x^*[, \zeta_t - \zeta^*])` (the filter
    :math:`\zeta_{t+1} = -L y_t + u_t` of the off-by-one IQC, :math:`\zeta^* = -L x^*`) and
    :math:`V(\xi) = \xi^T (M \otimes I) \xi`, the certificate states: for every :math:`\xi_t` in the
    subspace spanned by ``basis`` (columns in the same coordinates),

    .. math::

        V(\xi_{t+1}) - \rho^2 V(\xi_t) + \sigma_s q_s(t) + \sigma_o q_o(t) \le 0,

    :math:`q_s(t) = \langle L\tilde y_t - u_t,\ u_t - \mu \tilde y_t\rangle` (the sector IQC, :math:`\ge 0`) and
    :math:`q_o(t) = \langle L\tilde y_t - u_t + \rho^2 (\zeta_t - \zeta^*),\ u_t - \mu \tilde y_t\rangle`
    (the off-by-one IQC, whose sums :math:`\sum_{t<T} \rho^{-2t} q_o(t)` are :math:`\ge 0` from
    :math:`\zeta_0 = \zeta^*`, LRP Lemma 8).

    Attributes
    ----------
    method : str
    alpha, beta, mu, L : float
    iqc : str
    rate : float
        :math:`\rho`, the certificate's rate.
    matrix : numpy.ndarray
        :math:`M`, ``(2, 2)`` (sector) or ``(3, 3)`` (off-by-one), symmetric positive semidefinite
        (singular when the certificate lives on a subspace).
    basis : numpy.ndarray
        Orthonormal columns (in the coordinates of :math:`\xi`) of the subspace where the inequality holds.
    sector, off_by_one : float
        :math:`\sigma_s, \sigma_o \ge 0` (``off_by_one`` is 0 for ``iqc="sector"``).
    entry : int
        Steps after which every trajectory started with :math:`\zeta_0 = \zeta^*` lies in that
        subspace (0 when the certificate is on the whole state; 1 for gradient descent, Nesterov
        at :math:`\alpha = 1/L` and Triple Momentum, where the filter state is not independent).
    p_min, p_max : float
        Extreme eigenvalues of the certificate's :math:`P` on the subspace, with the filter scaled to
        :math:`(\zeta_t - \zeta^*)/L` (units ``L = 1``): :math:`\|\xi\|^2 \le V(\xi)/p_{\min}` there.
    """

    method: str
    alpha: float
    beta: float
    mu: float
    L: float
    iqc: str
    rate: float
    matrix: Arr
    basis: Arr
    sector: float
    off_by_one: float
    entry: int
    p_min: float
    p_max: float


def lyapunov_function(certificate: RateCertificate) -> LyapunovFunction:
    r"""The certificate's Lyapunov function :math:`V` in the coordinates of the method (any ``L``).

    :class:`RateCertificate` keeps :math:`P` in units ``L = 1`` on an orthonormal basis of the
    controllable subspace; this maps it back:
    :math:`M = D T P T^T D`, :math:`D = \operatorname{diag}(1, 1[, 1/L])`, and the multipliers to
    :math:`\sigma = 2\lambda/L^2` (the LMI's multiplier matrices are :math:`a^T b + b^T a`, twice the
    product, and :math:`u, \zeta` scale with :math:`L`). It also finds ``entry``, the number of steps
    after which a trajectory started with the filter at rest lies in the subspace.

    What follows (the telescoped inequality, summed with weights :math:`\rho^{-2t}`): for every
    :math:`f \in F(\mu, L)`, every :math:`x_0, x_{-1}`, :math:`\zeta_0 = \zeta^*` and
    :math:`N \ge k` = ``entry``,

    .. math::

        V(\xi_N) \le \rho^{2(N - k)} W_k, \qquad
        W_k = V(\xi_k) + \sigma_o \sum_{t < k} \rho^{2(k - 1 - t)} q_o(t),

    so :math:`V(\xi_N) \le \rho^{2N} V(\xi_0)` when ``entry == 0``; with the sector IQC alone the
    one-step inequality holds from *every* state. :func:`hbtheory.pep.certificate_check` checks
    this with PEPit.

    Parameters
    ----------
    certificate : RateCertificate
        From :func:`rate_certificate`, with a finite rate.

    Returns
    -------
    LyapunovFunction

    Raises
    ------
    TypeError
        If ``certificate`` is not a :class:`RateCertificate`.
    ValueError
        If it has no certificate (rate ``inf``).

    Examples
    --------
    >>> c = rate_certificate(0.5, 0.0, 1.0, 3.0, method="gradient_descent")
    >>> v = lyapunov_function(c)
    >>> v.matrix.shape, v.entry, v.basis.shape   # x_{t-1} and zeta are tied after one step
    ((3, 3), 1, (3, 2))
    >>> rate_certificate(0.5, 0.3, 0.1, 1.0).P.shape, lyapunov_function(rate_certificate(0.5, 0.3, 0.1, 1.0)).entry
    ((3, 3), 0)
    """
    if not isinstance(certificate, RateCertificate):
        raise TypeError(f"`certificate` must be a RateCertificate, got {type(certificate).__name__}")
    c = certificate
    if not math.isfinite(c.rate) or c.P.size == 0:
        raise ValueError("`certificate` has no certificate (its rate is inf): there is no Lyapunov function")
    m = get_method(c.method)
    T = np.asarray(c.basis, dtype=np.float64)
    P = np.asarray(c.P, dtype=np.float64)
    n = T.shape[0]
    D = np.diag([1.0, 1.0, 1.0 / c.L][:n])
    M = D @ T @ P @ T.T @ D
    M = 0.5 * (M + M.T)
    basis = np.linalg.qr(np.linalg.solve(D, T))[0]
    Ah = _problem(m, np.array([c.alpha * c.L]), np.array([c.beta]), np.array([c.mu / c.L]), c.iqc)[0][0]
    Q = np.eye(n) - T @ T.T
    S = np.eye(n)[:, :2]  # the starts (x_0, x_{-1}, zeta_0 = zeta*)
    entry = -1
    for k in range(n + 1):
        if np.linalg.norm(Q @ S) <= 1e-9 * max(1.0, float(np.linalg.norm(S))):
            entry = k
            break
        S = Ah @ S
    if entry < 0:  # not reached: the discarded modes of _reduce are nilpotent for every method here
        raise ValueError("`certificate`: trajectories never enter its subspace exactly (discarded modes not nilpotent)")
    lam = np.asarray(c.multipliers, dtype=np.float64)
    sigma = 2.0 * lam / (c.L * c.L)
    ev = np.linalg.eigvalsh(P)
    return LyapunovFunction(
        c.method, c.alpha, c.beta, c.mu, c.L, c.iqc, c.rate, frozen_array(M), frozen_array(basis),
        float(sigma[0]), float(sigma[1]) if sigma.size > 1 else 0.0, entry, float(ev[0]), float(ev[-1]),
    )


@dataclass(frozen=True, eq=False)
class RobustTuning(Result):
    r"""The parameters of a method that minimise its certified rate (see :func:`robust_optimal_parameters`).

    Attributes
    ----------
    method : str
    mu, L, kappa : float
    alpha, beta : float
        The best parameters found.
    rate : float
        Their certified rate (sector + off-by-one IQC).
    quadratic_rate : float
        Their worst rate on quadratics (a lower bound of any rate on :math:`F(\mu, L)`).
    triple_momentum_rate : float
        :math:`1 - 1/\sqrt\kappa`, the best known rate on :math:`F(\mu, L)` over the family
        (Triple Momentum, Van Scoy, Freeman and Lynch 2018).
    evaluations : int
        Number of certified rates computed by the search.
    gamma : float or None
        The best look-ahead when the search was over the general method (``method="general"``).
    """

    method: str
    mu: float
    L: float
    kappa: float
    alpha: float
    beta: float
    rate: float
    quadratic_rate: float
    triple_momentum_rate: float
    evaluations: int
    gamma: float | None = None


def robust_optimal_parameters(
    kappa: float | None = None,
    *,
    mu: float | None = None,
    L: float | None = None,
    method: str | Method = "heavy_ball",
    grid: int = 13,
    levels: int = 8,
) -> RobustTuning:
    r"""The ``(alpha, beta)`` with the smallest certified rate on :math:`F(\mu, L)`, by a zooming grid search.

    Each level evaluates :func:`certified_rate` (sector + off-by-one) on a ``grid x grid`` grid in one
    batched call, centred on the best point so far, and shrinks the grid 4 times. The first level
    covers :math:`\alpha L \in (0, 2.2]`, :math:`\beta \in [0, 0.99]` (:math:`\beta = 0` for gradient
    descent). The certified-rate landscape has kinks, so the result is the best point found, each
    value a checked certificate; it is an upper bound of the true robust optimum of the IQC analysis.

    Parameters
    ----------
    kappa : float, optional
        Condition number ``>= 1`` (``mu = 1/kappa``, ``L = 1``); or give ``mu`` and ``L``.
    mu, L : float, optional, keyword-only
    method : str or Method, optional, keyword-only
        Any member; ``"general"`` (no ``gamma``) searches the look-ahead ``gamma`` of
        :func:`hbtheory.methods.general` too (``grid // 2`` values per level, from ``[0, 1]``).
    grid : int, optional, keyword-only
        Points per axis and level (``>= 3``).
    levels : int, optional, keyword-only
        Zoom levels (``>= 1``).

    Returns
    -------
    RobustTuning

    Raises
    ------
    ValueError
        For a bad ``kappa``/``mu``/``L`` combination or ``grid``/``levels`` out of range.

    Examples
    --------
    >>> t = robust_optimal_parameters(10.0, grid=7, levels=3)
    >>> bool(t.triple_momentum_rate <= t.rate < 0.85), round(t.triple_momentum_rate, 4)
    (True, 0.6838)
    """
    if kappa is not None:
        if mu is not None or L is not None:
            raise ValueError("give either `kappa` or both `mu` and `L`, not both")
        k = float(as_real(kappa, "kappa", low=1.0))
        mu_f, L_f = 1.0 / k, 1.0
    else:
        if mu is None or L is None:
            raise ValueError("give `kappa`, or both `mu` and `L`")
        mu_a, L_a = check_interval(mu, L)
        if mu_a.ndim or L_a.ndim:
            raise TypeError("`mu` and `L` must be single real numbers")
        mu_f, L_f = float(mu_a), float(L_a)
    if not (isinstance(grid, int) and grid >= 3):
        raise ValueError(f"`grid` must be an integer >= 3, got {grid!r}")
    if not (isinstance(levels, int) and levels >= 1):
        raise ValueError(f"`levels` must be an integer >= 1, got {levels!r}")
    q = mu_f / L_f
    search_gamma = isinstance(method, str) and method.strip().lower() == "general"
    m = general(0.0) if search_gamma else get_method(method)
    a_lo, a_hi, b_lo, b_hi = 0.01, 2.2, 0.0, 0.99 if m.uses_beta else 0.0
    g_lo, g_hi = 0.0, 1.0
    best_a, best_b, best_g, best_r = math.nan, 0.0, 0.0, math.inf
    evaluations = 0
    for _ in range(levels):
        a_axis = np.linspace(a_lo, a_hi, grid)
        b_axis = np.linspace(b_lo, b_hi, grid) if m.uses_beta else np.zeros(1)
        A, Bm = np.meshgrid(a_axis, b_axis, indexing="ij")
        for g in np.linspace(g_lo, g_hi, max(grid // 2, 3)) if search_gamma else [math.nan]:
            mg = general(float(g)) if search_gamma else m
            r = np.asarray(certified_rate(A, Bm, q, 1.0, method=mg))
            evaluations += r.size
            i = int(np.argmin(r))
            if r.flat[i] < best_r:
                best_a, best_b, best_r = float(A.flat[i]), float(Bm.flat[i]), float(r.flat[i])
                best_g = float(g)
        if not math.isfinite(best_r):
            break
        da, db, dg = (a_hi - a_lo) / 4, (b_hi - b_lo) / 4, (g_hi - g_lo) / 4
        a_lo, a_hi = max(best_a - da, 1e-6), best_a + da
        if m.uses_beta:
            b_lo, b_hi = max(best_b - db, -0.99), min(best_b + db, 0.999)
        g_lo, g_hi = best_g - dg, best_g + dg
    if search_gamma:
        m = general(best_g)
    quad = math.inf
    if math.isfinite(best_a):
        quad = float(_quadratic_floor(m, np.array([best_a]), np.array([best_b]), np.array([q]))[0])
    return RobustTuning(
        method=m.name, mu=mu_f, L=L_f, kappa=L_f / mu_f, alpha=best_a / L_f, beta=best_b, rate=best_r,
        quadratic_rate=quad, triple_momentum_rate=1.0 - math.sqrt(q), evaluations=evaluations,
        gamma=best_g if search_gamma else None,
    )


# ------------------------------------------------------------------ Ghadimi-Feyzmahdavian-Johansson


@dataclass(frozen=True, eq=False)
class GFJStatement(Result):
    """One result circulating as Ghadimi, Feyzmahdavian and Johansson (2015), with where it comes from.

    Attributes
    ----------
    key : str
        ``"region"``, ``"sqrt_tuning"`` or ``"convex_average"``.
    functions : str
        The function class.
    parameters : str
        The parameters the statement allows.
    guarantee : str
        What it guarantees.
    source : str
        Where this form of the statement is written (and whether the primary text was re-read here).
    """

    key: str
    functions: str
    parameters: str
    guarantee: str
    source: str


#: The three GFJ statements (two of them circulate as "Theorem 4").
GFJ_STATEMENTS: tuple[GFJStatement, ...] = (
    GFJStatement(
        "region", "mu-strongly convex, L-smooth",
        "alpha in (0, 2/L), 0 <= beta < (mu alpha/2 + sqrt(mu^2 alpha^2/4 + 4 (1 - alpha L/2)))/2",
        "f(x_k) - f* <= q^k (f(x_0) - f*) for some q < 1 (q not given)",
        "GFJ 2015 (ECC; arXiv:1412.7457) Theorem 4 as quoted by the lecture notes MerkulovDaniil/optim "
        "(docs/methods/fom/heavy_ball.md); hbtheory.gfj.gfj_region. Primary PDF not re-read here.",
    ),
    GFJStatement(
        "sqrt_tuning", "mu-strongly convex, L-smooth",
        "alpha in (0, 1/L], beta = sqrt((1 - alpha mu)(1 - alpha L))",
        "f(x_n) - f* <= (1 - alpha mu)^n (f(x_0) - f*)",
        "PEPit's example unconstrained_convex_minimization/heavy_ball_momentum.py, citing GFJ 2015 "
        "Theorem 4. Primary PDF not re-read here.",
    ),
    GFJStatement(
        "convex_average", "convex, L-smooth (mu = 0)",
        "beta in [0, 1), alpha in (0, 2 (1 - beta)/L)",
        "the Cesaro average of x_0..x_T satisfies f(avg) - f* = O(||x_0 - x*||^2 / T)",
        "GFJ 2015 abstract and Section 3 (the O(1/k) rate of the Cesaro average; the constant is not "
        "transcribed here). Checked by PEPit in tests/test_robust_gfj.py.",
    ),
)


def gfj_sqrt_momentum(alpha: Any, mu: Any, L: Any) -> Any:
    r"""The momentum :math:`\beta = \sqrt{(1 - \alpha\mu)(1 - \alpha L)}` of the ``"sqrt_tuning"`` statement.

    Parameters
    ----------
    alpha : float or array_like
        In :math:`(0, 1/L]`.
    mu, L : float or array_like
        ``0 < mu <= L``.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Examples
    --------
    >>> float(gfj_sqrt_momentum(0.5, 0.1, 1.0))   # PEPit's example: sqrt(0.95 * 0.5)
    0.6892024376045111
    """
    mu_arr, L_arr = check_interval(mu, L)
    a = as_real(alpha, "alpha", low=0.0, low_open=True)
    a_b, mu_b, L_b = np.broadcast_arrays(a, mu_arr, L_arr)
    if np.any(a_b * L_b > 1.0):
        raise ValueError("`alpha` must be in (0, 1/L] for the sqrt tuning")
    return finish(np.sqrt((1.0 - a_b * mu_b) * (1.0 - a_b * L_b)))


def gfj_convex_region(alpha: Any, beta: Any, L: Any) -> Any:
    r"""Whether :math:`\beta \in [0, 1)` and :math:`\alpha \in (0, 2(1 - \beta)/L)` (GFJ's convex case).

    Examples
    --------
    >>> gfj_convex_region([0.5, 1.5], 0.5, 1.0)
    array([ True, False])
    """
    a = as_real(alpha, "alpha")
    b = as_real(beta, "beta")
    L_arr = as_real(L, "L", low=0.0, low_open=True)
    a_b, b_b, L_b = np.broadcast_arrays(a, b, L_arr)
    return finish((b_b >= 0.0) & (b_b < 1.0) & (a_b > 0.0) & (a_b * L_b < 2.0 * (1.0 - b_b)))


@dataclass(frozen=True, eq=False)
class GFJRobustCheck(Result):
    r"""The GFJ strongly convex statements against :func:`certified_rate` (see :func:`gfj_robust_check`).

    Attributes
    ----------
    mu, L : float
    region_points : numpy.ndarray
        ``(k, 2)``: the ``(alpha, beta)`` sampled inside the ``"region"`` statement.
    region_rates : numpy.ndarray
        Their certified rates.
    uncertified : numpy.ndarray
        ``(j, 2)``: the sampled region points with no certificate (``inf``), reported, not hidden.
    sqrt_alphas : numpy.ndarray
        The ``alpha`` sampled on the ``"sqrt_tuning"`` curve.
    sqrt_rates : numpy.ndarray
        Their certified rates (on the state, a distance).
    sqrt_claimed : numpy.ndarray
        :math:`1 - \alpha\mu`, the claimed rate of :math:`f(x_n) - f^*`; a rate :math:`q` on function
        values gives :math:`\sqrt q` on distances, so ``sqrt_rates <= sqrt(sqrt_claimed)`` is consistent.
    """

    mu: float
    L: float
    region_points: Arr
    region_rates: Arr
    uncertified: Arr
    sqrt_alphas: Arr
    sqrt_rates: Arr
    sqrt_claimed: Arr

    @property
    def passed(self) -> bool:
        """Every sampled region point certified, and the sqrt tuning certified at least as fast as claimed."""
        return bool(self.uncertified.shape[0] == 0
                    and np.all(self.sqrt_rates <= np.sqrt(self.sqrt_claimed) + 2 * _RHO_TOL))


def gfj_robust_check(mu: float = 0.1, L: float = 1.0, *, grid: int = 12) -> GFJRobustCheck:
    r"""Check the two strongly convex GFJ statements against the IQC certificates.

    Samples ``grid x grid`` points inside the ``"region"`` statement (``alpha`` across
    :math:`(0, 2/L)`, ``beta`` from 0 to 0.999 of the bound) and ``2 grid`` points of the
    ``"sqrt_tuning"`` curve, and computes :func:`certified_rate` at each. Every region point should be
    certified (the region claims linear convergence on all of :math:`F(\mu, L)`); points that are
    not are listed in ``uncertified``.

    Parameters
    ----------
    mu, L : float, optional
        ``0 < mu < L``.
    grid : int, optional, keyword-only

    Returns
    -------
    GFJRobustCheck

    Examples
    --------
    >>> c = gfj_robust_check(grid=4)
    >>> c.passed, c.uncertified.shape
    (True, (0, 2))
    """
    from hbtheory.gfj import gfj_beta_bound

    mu_a, L_a = check_interval(mu, L)
    mu_f, L_f = float(mu_a), float(L_a)
    if not (isinstance(grid, int) and grid >= 2):
        raise ValueError(f"`grid` must be an integer >= 2, got {grid!r}")
    a = np.linspace(0.01, 1.99, grid) / L_f
    frac = np.linspace(0.0, 0.999, grid)
    A = np.repeat(a, grid)
    B = np.asarray(gfj_beta_bound(A, mu_f, L_f)) * np.tile(frac, grid)
    r = np.asarray(certified_rate(A, B, mu_f, L_f))
    pts = np.stack([A, B], axis=1)
    sa = np.linspace(0.02, 1.0, 2 * grid) / L_f
    sb = np.asarray(gfj_sqrt_momentum(sa, mu_f, L_f))
    sr = np.asarray(certified_rate(sa, sb, mu_f, L_f))
    return GFJRobustCheck(
        mu=mu_f, L=L_f, region_points=frozen_array(pts), region_rates=frozen_array(r),
        uncertified=frozen_array(pts[~np.isfinite(r)].reshape(-1, 2)), sqrt_alphas=frozen_array(sa),
        sqrt_rates=frozen_array(sr), sqrt_claimed=frozen_array(1.0 - sa * mu_f),
    )


# ------------------------------------------------------------------------------ the three-colour map


@dataclass(frozen=True, eq=False)
class RobustMap(Result):
    r"""The :math:`(\alpha, \beta)` plane for :math:`F(\mu, L)` in three colours (see :func:`robust_map_data`).

    Attributes
    ----------
    method : str
    mu, L : float
    alpha, beta : numpy.ndarray
        The axes (cell centres), lengths ``n_alpha`` and ``n_beta``.
    rate : numpy.ndarray
        ``(n_beta, n_alpha)``: the certified rate (``inf``: not certified).
    cycle : numpy.ndarray of int
        ``(n_beta, n_alpha)``: the smallest period ``K`` in ``periods`` with a proven regular K-gon
        cycle (``cycle_margin >= 0``), 0 where none.
    quadratic_rate : numpy.ndarray
        ``(n_beta, n_alpha)``: the worst rate on quadratics.
    periods : numpy.ndarray of int
        The periods searched.
    robust_optimum : tuple of float
        ``(alpha, beta, rate)``: the best certified point of the map.
    seconds : float
        Time taken by the certified rates.
    """

    method: str
    mu: float
    L: float
    alpha: Arr
    beta: Arr
    rate: Arr
    cycle: NDArray[np.int64]
    quadratic_rate: Arr
    periods: NDArray[np.int64]
    robust_optimum: tuple[float, float, float]
    seconds: float

    @property
    def certified(self) -> NDArray[np.bool_]:
        """Where a rate below 1 is certified."""
        return np.asarray(np.isfinite(self.rate))

    @property
    def unknown(self) -> NDArray[np.bool_]:
        """Neither certified nor proven to cycle (whatever the quadratic rate)."""
        return np.asarray(~self.certified & (self.cycle == 0))


def robust_map_data(
    mu: float,
    L: float,
    *,
    method: str | Method = "heavy_ball",
    alpha_range: tuple[float, float] | None = None,
    beta_range: tuple[float, float] = (0.0, 0.99),
    n: int = 60,
    periods: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8),
) -> RobustMap:
    r"""Certified rates and proven cycles over an :math:`(\alpha, \beta)` grid: the data of the robust map.

    Parameters
    ----------
    mu, L : float
        ``0 < mu < L``.
    method : str or Method, optional, keyword-only
    alpha_range : (float, float), optional, keyword-only
        Step-size axis; default ``(0, 3/L)``.
    beta_range : (float, float), optional, keyword-only
        Momentum axis within ``(-1, 1)``; default ``(0, 0.99)``.
    n : int, optional, keyword-only
        Cells per axis, in ``[2, 1000]`` (the certified rates cost about 2 ms of CPU per cell).
    periods : tuple of int, optional, keyword-only
        Periods ``K >= 2`` searched for cycles.

    Returns
    -------
    RobustMap

    Examples
    --------
    >>> m = robust_map_data(0.1, 1.0, n=6)
    >>> m.rate.shape, bool(np.any(m.certified)), bool(np.any(m.cycle > 0))
    ((6, 6), True, True)
    >>> bool(np.any(m.certified & (m.cycle > 0)))   # never both
    False
    """
    import time

    mu_a, L_a = check_interval(mu, L)
    mu_f, L_f = float(mu_a), float(L_a)
    if not mu_f < L_f:
        raise ValueError(f"`mu` must be < `L` for a robust map, got mu = {mu_f!r}, L = {L_f!r}")
    if not (isinstance(n, int) and 2 <= n <= 1000):
        raise ValueError(f"`n` must be an integer in [2, 1000], got {n!r}")
    a_lo, a_hi = (0.0, 3.0 / L_f) if alpha_range is None else (float(alpha_range[0]), float(alpha_range[1]))
    b_lo, b_hi = float(beta_range[0]), float(beta_range[1])
    if not (0.0 <= a_lo < a_hi and np.isfinite(a_hi)):
        raise ValueError(f"`alpha_range` must satisfy 0 <= low < high, got {alpha_range!r}")
    if not (-1.0 < b_lo < b_hi < 1.0):
        raise ValueError(f"`beta_range` must satisfy -1 < low < high < 1, got {beta_range!r}")
    ks = [int(k) for k in periods]
    if not ks or min(ks) < 2:
        raise ValueError(f"`periods` must be a non-empty sequence of integers >= 2, got {periods!r}")
    m = get_method(method)
    alpha = a_lo + (np.arange(n) + 0.5) * (a_hi - a_lo) / n
    beta = b_lo + (np.arange(n) + 0.5) * (b_hi - b_lo) / n if m.uses_beta else np.zeros(1)
    A, Bm = alpha[None, :], beta[:, None]
    start = time.process_time()
    rate = np.asarray(certified_rate(A, Bm, mu_f, L_f, method=m))
    seconds = time.process_time() - start
    cycle = np.zeros(rate.shape, dtype=np.int64)
    for K in sorted(ks, reverse=True):
        cycle = np.where(np.asarray(cycle_margin(A, Bm, mu_f, L_f, K, method=m)) >= 0.0, K, cycle)
    quad = np.asarray(_quadratic_floor(m, np.broadcast_to(A * L_f, rate.shape).ravel(),
                                       np.broadcast_to(Bm, rate.shape).ravel(),
                                       np.full(rate.size, mu_f / L_f))).reshape(rate.shape)
    i = int(np.argmin(rate))
    best = (float(np.broadcast_to(A, rate.shape).flat[i]), float(np.broadcast_to(Bm, rate.shape).flat[i]),
            float(rate.flat[i]))
    return RobustMap(
        method=m.name, mu=mu_f, L=L_f, alpha=frozen_array(alpha), beta=frozen_array(beta), rate=frozen_array(rate),
        cycle=frozen_array(cycle, dtype=np.int64), quadratic_rate=frozen_array(quad),
        periods=frozen_array(np.array(ks), dtype=np.int64), robust_optimum=best, seconds=seconds,
    )
