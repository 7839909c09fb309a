r"""Proven cycles on a regular K-gon (Goujaud, Taylor and Dieuleveut 2023), with explicit functions.

**The condition.** Identify the plane with :math:`\mathbb C` and let :math:`\omega = e^{2\pi i k/K}`.
Suppose a method of the family visits :math:`x_t = \omega^t` (a regular K-gon, turning by
:math:`2\pi k/K` per step). Its gradient points are then
:math:`y_t = x_t + \gamma (x_t - x_{t-1}) = \omega^t \eta` with :math:`\eta = 1 + \gamma - \gamma \omega^{-1}`,
and the update :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha g_t` forces
:math:`g_t = \omega^t G` with :math:`G = (1 + \beta - \beta \omega^{-1} - \omega)/\alpha`. Such an orbit
exists for some :math:`f \in F(\mu, L)` exactly when the data :math:`(y_t, g_t, f_t)` are
:math:`F(\mu, L)`-interpolable (Taylor, Hendrickx and Glineur 2017, Theorem 4):

.. math::

    f_i \ge f_j + \langle g_j, y_i - y_j\rangle + \frac{1}{2(1 - \mu/L)}\Bigl(\frac1L \|g_i - g_j\|^2
    + \mu \|y_i - y_j\|^2 - \frac{2\mu}{L} \langle g_j - g_i, y_j - y_i\rangle\Bigr).

The data are invariant under the rotation :math:`t \mapsto t + 1` and the conditions are linear in
:math:`f`, so if any values work, their average over rotations (all equal) works: take
:math:`f_t = 0`. Each condition then depends only on :math:`d = i - j`; with
:math:`\Delta_y = (\omega^d - 1)\eta`, :math:`\Delta_g = (\omega^d - 1) G`,

.. math::

    Q_d = \langle G, \Delta_y\rangle + \frac{1}{2(1 - \mu/L)}\Bigl(\frac{|\Delta_g|^2}{L} + \mu |\Delta_y|^2
    - \frac{2\mu}{L} \langle \Delta_g, \Delta_y\rangle\Bigr) \le 0, \qquad d = 1, \dots, K - 1,

and the margin is :math:`-\max_d Q_d` (in units :math:`L = 1`, :math:`|x_0| = 1`), maximised over
the turning numbers :math:`k` coprime to :math:`K`. This is the computation of Goujaud, Taylor and
Dieuleveut (2023), who derive it for heavy ball in closed form; here it is evaluated for every member
of the family through its look-ahead :math:`\gamma`.

**The function.** Given interpolable data, :math:`f(x) = \frac\mu2 \|x\|^2 + h(x)` with
:math:`h \in F(0, L')`, :math:`L' = L - \mu`, interpolating :math:`(y_i, g_i - \mu y_i, -\frac\mu2\|y_i\|^2)`.
Conjugation turns smooth convex interpolation into strongly convex interpolation, for which a
maximum of affine functions plus a quadratic works; conjugating back,

.. math::

    h(x) = \min_{\lambda \in \Delta_K} \frac{L'}{2}\Bigl\|x - \sum_i \lambda_i a_i\Bigr\|^2 - \sum_i \lambda_i c_i,
    \qquad a_i = y_i - \frac{g'_i}{L'}, \quad c_i = \frac{\|g'_i\|^2}{2L'} - h_i,

a quadratic program over the simplex whose optimal support has at most three points in the plane
(it is solved exactly by enumerating supports), with :math:`\nabla h(x) = L'(x - \sum_i \lambda^*_i a_i)`.
Near each :math:`y_i` only the piece :math:`i` is active, so :math:`f` is a quadratic of curvature
:math:`L` there, and the cycle is locally attracting wherever the method is stable on that curvature.

References
----------
B. Goujaud, A. Taylor, A. Dieuleveut (2023). Provable non-accelerations of the heavy-ball method.
arXiv:2307.11291.
A. Taylor, J. Hendrickx, F. Glineur (2017). Smooth strongly convex interpolation and exact
worst-case performance of first-order methods. Math. Program. 161:307-345, Theorem 4.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._result import Result, frozen_array
from hbtheory._validation import as_int, as_real, check_interval, finish
from hbtheory.methods import Method, get_method

Arr = NDArray[np.float64]


def _turns(K: int) -> list[int]:
    return [k for k in range(1, K // 2 + 1) if math.gcd(k, K) == 1]


def _q_values(alpha: Arr, beta: Arr, gamma: Arr, mu: Arr, K: int, k: int) -> Arr:
    """``Q_d`` for ``d = 1..K-1`` (last axis), units ``L = 1``, ``|x_0| = 1``."""
    w = np.exp(2j * np.pi * k / K)
    eta = 1.0 + gamma - gamma / w
    G = (1.0 + beta - beta / w - w) / alpha
    d = np.arange(1, K)
    wd = np.exp(2j * np.pi * k * d / K) - 1.0
    dy = wd * eta[..., None]
    dg = wd * G[..., None]
    inner = np.real(G[..., None] * np.conj(dy))
    cross = np.real(dg * np.conj(dy))
    m = mu[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        quad = (np.abs(dg) ** 2 + m * np.abs(dy) ** 2 - 2.0 * m * cross) / (2.0 * (1.0 - m))
    out: Arr = inner + quad
    return out


def cycle_margin(alpha: Any, beta: Any, mu: Any, L: Any, K: int, *, method: str | Method = "heavy_ball") -> Any:
    r"""How far a method is inside the region where it provably cycles on a regular K-gon.

    ``>= 0`` exactly when there is :math:`f \in F(\mu, L)` on which the method visits the vertices
    of a regular K-gon (turning by :math:`2\pi k/K`, some :math:`k` coprime to :math:`K`) forever,
    from the start :math:`(x_0, x_{-1})` on that orbit (Goujaud, Taylor and Dieuleveut 2023, with the
    interpolation conditions of Taylor, Hendrickx and Glineur 2017; derivation in the module notes of
    :mod:`hbtheory._cycles_gtd`). The value is :math:`-\max_d Q_d / L` for an orbit of radius 1, so its
    sign is the answer and its size a distance. :func:`cycle_witness` builds the function.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``(-1, 1)``.
    mu, L : float or array_like
        ``0 < mu < L`` (on ``mu == L`` every function is quadratic and nothing cycles: ``-inf``).
        Everything broadcasts.
    K : int
        Period, ``>= 2``.
    method : str or Method, optional, keyword-only

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Raises
    ------
    TypeError, ValueError
        For a parameter outside its range.

    References
    ----------
    B. Goujaud, A. Taylor, A. Dieuleveut (2023). Provable non-accelerations of the heavy-ball method.
    arXiv:2307.11291.

    Examples
    --------
    >>> from hbtheory.methods import HEAVY_BALL
    >>> cf = HEAVY_BALL.closed_form(1.0, 25.0)       # Polyak's tuning, kappa = 25
    >>> bool(cycle_margin(cf.alpha, cf.beta, 1.0, 25.0, 3) >= 0)   # provably cycles (period 3)
    True
    >>> bool(cycle_margin(0.1, 0.5, 1.0, 10.0, 3) >= 0)
    False
    """
    m = get_method(method)
    if m.gamma is None:
        raise ValueError(f"`method` {m.name!r} has no realisation (it is given by its polynomial only)")
    Kn = int(as_int(K, "K", low=2))
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
    beta1 = np.array(b_b, dtype=np.float64) if m.uses_beta else np.zeros(b_b.shape)
    gamma1 = np.broadcast_to(np.asarray(m.gamma(beta1), dtype=np.float64), beta1.shape)
    if not np.all(np.isfinite(gamma1)):
        raise ValueError(f"`beta` is outside the domain of method {m.name!r}")
    alpha1 = a_b * L_b
    q = mu_b / L_b
    best = np.full(a_b.shape, -np.inf)
    for k in _turns(Kn):
        Q = _q_values(alpha1, beta1, gamma1, q, Kn, k)
        best = np.maximum(best, -np.max(Q, axis=-1))
    best = np.where(q < 1.0, best, -np.inf)
    return finish(np.asarray(best, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class Interpolant(Result):
    r"""An explicit :math:`f \in F(\mu, L)` through given points, gradients and values (see :func:`interpolant`).

    Attributes
    ----------
    mu, L : float
    points : numpy.ndarray
        ``(k, d)``: the points :math:`y_i`.
    gradients : numpy.ndarray
        ``(k, d)``: :math:`\nabla f(y_i)`.
    values : numpy.ndarray
        ``(k,)``: :math:`f(y_i)`.
    """

    mu: float
    L: float
    points: Arr
    gradients: Arr
    values: Arr

    def _pieces(self) -> tuple[Arr, Arr, float]:
        Lp = self.L - self.mu
        y, g = np.asarray(self.points), np.asarray(self.gradients)
        gp = g - self.mu * y
        hv = np.asarray(self.values) - 0.5 * self.mu * np.sum(y * y, axis=1)
        a = y - gp / Lp
        c = np.sum(gp * gp, axis=1) / (2.0 * Lp) - hv
        return a, c, Lp

    def weights(self, x: Any) -> Arr:
        r"""The optimal :math:`\lambda^*(x)` of the interpolant's quadratic program, shape ``(..., k)``."""
        a, c, Lp = self._pieces()
        xs = np.asarray(x, dtype=np.float64)
        d = np.asarray(self.points).shape[1]
        if xs.shape[-1:] != (d,):
            raise ValueError(f"`x` must have a last axis of length {d}, got shape {xs.shape}")
        flat = xs.reshape(-1, d)
        k = np.asarray(self.points).shape[0]
        best = np.full(flat.shape[0], np.inf)
        lam_best = np.zeros((flat.shape[0], k))
        for size in range(1, min(d + 1, k) + 1):  # an optimal support has at most d + 1 points
            for S in itertools.combinations(range(k), size):
                idx = list(S)
                A = a[idx].T  # (d, s)
                kkt = np.zeros((size + 1, size + 1))
                kkt[:size, :size] = Lp * A.T @ A
                kkt[:size, size] = 1.0
                kkt[size, :size] = 1.0
                rhs = np.zeros((flat.shape[0], size + 1))
                rhs[:, :size] = Lp * flat @ A + c[idx]
                rhs[:, size] = 1.0
                sol = np.linalg.lstsq(kkt, rhs.T, rcond=None)[0].T
                lam = sol[:, :size]
                feas = np.all(lam >= -1e-12, axis=1) & np.all(np.abs(kkt @ sol.T - rhs.T) <= 1e-9, axis=0)
                z = flat - lam @ a[idx]
                val = 0.5 * Lp * np.sum(z * z, axis=1) - lam @ c[idx]
                take = feas & (val < best)
                best[take] = val[take]
                lam_best[take] = 0.0
                lam_best[np.ix_(np.flatnonzero(take), np.array(idx, dtype=np.intp))] = lam[take]
        return lam_best.reshape(*xs.shape[:-1], k)

    def value(self, x: Any) -> Any:
        r"""The function :math:`f(x)` at points ``x`` of shape ``(..., d)``."""
        a, c, Lp = self._pieces()
        xs = np.asarray(x, dtype=np.float64)
        lam = self.weights(xs)
        z = xs - lam @ a
        out = 0.5 * self.mu * np.sum(xs * xs, axis=-1) + 0.5 * Lp * np.sum(z * z, axis=-1) - lam @ c
        return finish(np.asarray(out, dtype=np.float64))

    def gradient(self, x: Any) -> Arr:
        r""":math:`\nabla f(x) = \mu x + L'(x - \sum_i \lambda^*_i a_i)`, shape ``(..., d)``."""
        a, _, Lp = self._pieces()
        xs = np.asarray(x, dtype=np.float64)
        lam = self.weights(xs)
        out: Arr = self.mu * xs + Lp * (xs - lam @ a)
        return out

    def value_torch(self, x: Any) -> Any:
        r"""The function on a torch tensor of shape ``(..., d)``, differentiable by autograd.

        :math:`\lambda^*` is computed without gradient; by the envelope theorem the autograd
        gradient of :math:`\frac\mu2\|x\|^2 + \frac{L'}2\|x - A\lambda^*\|^2 - c^T\lambda^*` is
        exactly :meth:`gradient`.
        """
        import importlib

        torch = importlib.import_module("torch")
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
        a, c, Lp = self._pieces()
        lam = torch.as_tensor(self.weights(x.detach().cpu().numpy().astype(np.float64)), dtype=x.dtype,
                              device=x.device)
        at = torch.as_tensor(a, dtype=x.dtype, device=x.device)
        ct = torch.as_tensor(c, dtype=x.dtype, device=x.device)
        z = x - lam @ at
        return 0.5 * self.mu * (x * x).sum(-1) + 0.5 * Lp * (z * z).sum(-1) - lam @ ct


@dataclass(frozen=True, eq=False)
class CycleWitness(Interpolant):
    r"""A function of :math:`F(\mu, L)` on which heavy ball cycles on a regular K-gon, and the cycle.

    Attributes
    ----------
    mu, L : float
    points : numpy.ndarray
        ``(K, 2)``: :math:`x_0, \dots, x_{K-1}` in visiting order (radius 1).
    gradients : numpy.ndarray
        ``(K, 2)``: :math:`\nabla f(x_t)`.
    values : numpy.ndarray
        ``(K,)``: :math:`f(x_t)` (all 0).
    alpha, beta : float
    K, turn : int
        Period and turning number (the orbit turns by :math:`2\pi\,\mathrm{turn}/K` per step).
    margin : float
        :func:`cycle_margin` of the orbit (``>= 0``).
    """

    alpha: float = 0.0
    beta: float = 0.0
    K: int = 0
    turn: int = 0
    margin: float = 0.0


def cycle_witness(alpha: float, beta: float, mu: float, L: float, K: int) -> CycleWitness:
    r"""Heavy ball's period-K cycle on a regular K-gon and an explicit :math:`f \in F(\mu, L)` that makes it.

    The orbit :math:`x_t = (\cos(2\pi t\,k/K), \sin(2\pi t\,k/K))` with the turning number ``k`` of
    the largest :func:`cycle_margin`, its gradients :math:`g_t = (x_t - x_{t+1} + \beta (x_t - x_{t-1}))/\alpha`,
    and the interpolating function of :mod:`hbtheory._cycles_gtd` (value, gradient, torch).
    Started at :math:`x_0` with :math:`x_{-1} = x_{K-1}` (in ``torch.optim.SGD``: the momentum buffer
    :math:`(x_{-1} - x_0)/\alpha`), heavy ball stays on the cycle.

    Parameters
    ----------
    alpha, beta, mu, L, K : float and int
        Heavy ball's parameters, ``0 < mu < L`` and the period ``K >= 2``.

    Returns
    -------
    CycleWitness

    Raises
    ------
    ValueError
        When the parameters do not cycle on a regular K-gon (``cycle_margin < 0``).

    Examples
    --------
    >>> from hbtheory.methods import HEAVY_BALL
    >>> cf = HEAVY_BALL.closed_form(1.0, 25.0)
    >>> w = cycle_witness(cf.alpha, cf.beta, 1.0, 25.0, 3)
    >>> import numpy as np
    >>> bool(np.allclose(w.gradient(w.points), w.gradients))
    True
    >>> x, xp = w.points[0], w.points[-1]
    >>> for _ in range(30):
    ...     x, xp = x + cf.beta * (x - xp) - cf.alpha * w.gradient(x), x
    >>> bool(np.allclose(x, w.points[0]))   # 30 steps = 10 periods
    True
    """
    for name, v in (("alpha", alpha), ("beta", beta), ("mu", mu), ("L", L)):
        if np.ndim(v) != 0:
            raise TypeError(f"`{name}` must be a single real number, got an array of shape {np.shape(v)}")
    Kn = int(as_int(K, "K", low=2))
    margin = float(cycle_margin(alpha, beta, mu, L, Kn))
    if not margin >= 0.0:
        raise ValueError(
            f"heavy ball with alpha = {alpha!r}, beta = {beta!r} has no period-{Kn} cycle on a regular polygon "
            f"for mu = {mu!r}, L = {L!r} (cycle_margin = {margin:.3g} < 0)"
        )
    a, b, m_, L_ = float(alpha), float(beta), float(mu), float(L)
    best_k, best = 1, -math.inf
    for k in _turns(Kn):
        v = float(-np.max(_q_values(np.array(a * L_), np.array(b), np.array(0.0), np.array(m_ / L_), Kn, k)))
        if v > best:
            best_k, best = k, v
    ang = 2.0 * np.pi * best_k * np.arange(Kn) / Kn
    pts = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    nxt, prv = np.roll(pts, -1, axis=0), np.roll(pts, 1, axis=0)
    grads = (pts - nxt + b * (pts - prv)) / a
    return CycleWitness(
        alpha=a, beta=b, mu=m_, L=L_, K=Kn, turn=best_k, margin=margin, points=frozen_array(pts),
        gradients=frozen_array(grads), values=frozen_array(np.zeros(Kn)),
    )


def interpolant(points: Any, gradients: Any, values: Any, mu: float, L: float) -> Interpolant:
    r"""The explicit function of :math:`F(\mu, L)` through ``(points, gradients, values)``, when one exists.

    The data must satisfy the interpolation conditions of Taylor, Hendrickx and Glineur (2017,
    Theorem 4), checked here; the function is the one of the module notes (value, gradient, torch).
    With the Lessard-Recht-Packard cycle's points, gradients and values it gives a function on which
    heavy ball cycles through the same three points, as :func:`cycle_witness` does for regular polygons.

    Parameters
    ----------
    points, gradients : array_like
        ``(k, d)``, ``k >= 1``.
    values : array_like
        ``(k,)``.
    mu, L : float
        ``0 <= mu < L``.

    Returns
    -------
    Interpolant

    Raises
    ------
    ValueError
        For data that no function of :math:`F(\mu, L)` interpolates (a violated condition is named).

    Examples
    --------
    >>> f = interpolant([[0.0], [1.0]], [[0.0], [2.0]], [0.0, 1.0], 2.0, 4.0)   # x^2 through 0 and 1
    >>> float(f.value(np.array([0.5]))), f.gradient(np.array([[0.5]])).tolist()
    (0.25, [[1.0]])
    """
    y = np.atleast_2d(as_real(points, "points"))
    g = np.atleast_2d(as_real(gradients, "gradients"))
    f = np.atleast_1d(as_real(values, "values"))
    if y.ndim != 2 or g.shape != y.shape or f.shape != (y.shape[0],):
        raise ValueError(f"`points`, `gradients` must have one shape (k, d) and `values` (k,), got {y.shape}, "
                         f"{g.shape}, {f.shape}")
    mu_f = float(as_real(mu, "mu", low=0.0))
    L_f = float(as_real(L, "L", low=0.0, low_open=True))
    if not mu_f < L_f:
        raise ValueError(f"`mu` must be < `L`, got mu = {mu_f!r}, L = {L_f!r}")
    dy = y[:, None, :] - y[None, :, :]
    dg = g[:, None, :] - g[None, :, :]
    lin = np.einsum("jd,ijd->ij", g, dy)
    quad = (np.sum(dg * dg, -1) / L_f + mu_f * np.sum(dy * dy, -1)
            - 2.0 * mu_f / L_f * np.sum(dg * dy, -1)) / (2.0 * (1.0 - mu_f / L_f))
    viol = f[None, :] + lin + quad - f[:, None]
    scale = 1.0 + np.max(np.abs(f)) + np.max(np.abs(lin)) + np.max(quad)
    worst = float(np.max(viol))
    if worst > 1e-12 * scale:
        i, j = np.unravel_index(int(np.argmax(viol)), viol.shape)
        raise ValueError(f"no function of F(mu, L) interpolates the data: the condition between points {j} and {i} "
                         f"is violated by {worst:.3g}")
    return Interpolant(mu=mu_f, L=L_f, points=frozen_array(y), gradients=frozen_array(g), values=frozen_array(f))
