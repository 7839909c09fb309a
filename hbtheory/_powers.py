r"""Exact norms of matrix powers and the constants of Theorem 1.

Both functions rest on Cayley-Hamilton for the 2x2 iteration matrix
:math:`A = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0 \end{pmatrix}`:

.. math::

    A^t = p_t A - c_0 p_{t-1} I
        = \begin{pmatrix} p_{t+1} & -c_0 p_t \\ p_t & -c_0 p_{t-1} \end{pmatrix},

with :math:`p_t` the Lucas sequence of :mod:`hbtheory._kernel` in closed form. Writing
:math:`p_t = \rho^{t-1} u_t` keeps every entry of :math:`A^t/\rho^t` of moderate size, so nothing
overflows before the final multiplication by :math:`\rho^t`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hbtheory._kernel import (
    COMPLEX,
    NILPOTENT,
    REAL,
    Arr,
    Char,
    Lucas,
    characteristic,
    lucas_params,
    lucas_unit,
)
from hbtheory._params import check_method_params
from hbtheory._validation import as_int, as_real, finish
from hbtheory.methods import Method

__all__ = ["power_norm", "theorem1_constant"]

#: Default cap on the number of powers :func:`theorem1_constant` scans for one point (``eps > 0``).
MAX_T = 10**7

# Elements (points x powers) evaluated per vectorised step of the eps > 0 scan.
_BLOCK = 2**18


def _norm2(a: Arr, b: Arr, c: Arr, d: Arr) -> Arr:
    """Spectral norm of ``[[a, b], [c, d]]`` without cancellation:
    ``sigma_max = (hypot(a + d, b - c) + hypot(a - d, b + c)) / 2`` (a sum of two non-negative
    terms, each with an absolute error of a few ulps of the largest entry)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out: Arr = 0.5 * (np.hypot(a + d, b - c) + np.hypot(a - d, b + c))
        over = np.isinf(out)
        if np.any(over):
            # a sum of entries near the float64 limit overflowed (c1 = 9e307 warned and gave inf):
            # the same formula on halved entries (exact but for subnormals, negligible there)
            half = np.hypot(0.5 * a + 0.5 * d, 0.5 * b - 0.5 * c) + np.hypot(0.5 * a - 0.5 * d, 0.5 * b + 0.5 * c)
            out = np.where(over, half, out)
    return out


def _scaled_norm(lp: Lucas, um: Arr, u0: Arr, up: Arr) -> Arr:
    r""":math:`\|A^t\|_2 / \rho^t` from :math:`u_{t-1}, u_t, u_{t+1}` (``rho > 0``)."""
    return _norm2(up, -lp.ls * u0, u0 / lp.rho, -lp.q * um)


def _power_norm(lp: Lucas, t: Arr) -> Arr:
    """``||A^t||_2`` for float-valued whole ``t >= 0``, broadcast against ``lp``."""
    tc = np.maximum(t, 1.0)
    live = lp.kind != NILPOTENT
    lp_safe = lp._replace(rho=np.where(live, lp.rho, 1.0))
    u_prev, u_now, u_next = (lucas_unit(lp_safe, tc + k) for k in (-1.0, 0.0, 1.0))
    n_scaled = _scaled_norm(lp_safe, u_prev, u_now, u_next)
    rho = lp_safe.rho
    with np.errstate(over="ignore", under="ignore"):
        # rho^(t-1) * (rho N) for rho < 1 keeps a representable result from underflowing early.
        value = np.where(rho < 1.0, np.power(rho, tc - 1.0) * (rho * n_scaled), np.power(rho, tc) * n_scaled)
    nilpotent = np.where(t <= 1.0, 1.0, 0.0)  # A = [[0, 0], [1, 0]]: ||A^0|| = ||A|| = 1, A^2 = 0
    out: Arr = np.where(t == 0.0, 1.0, np.where(live, value, nilpotent))
    return out


def power_norm(alpha: Any, beta: Any, h: Any, t: Any, method: str | Method = "heavy_ball") -> Any:
    r"""Spectral norm :math:`\|A^t\|_2` of the ``t``-th power of the iteration matrix, in closed form.

    The worst-case factor by which ``t`` steps of the method can multiply the error
    :math:`(x_t - x^*, x_{t-1} - x^*)` on an eigen-direction with curvature ``h``.

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`hbtheory.spectral.spectral_radius` (``alpha > 0``, ``beta`` in ``[0, 1]``,
        ``h`` finite).
    t : int or array_like of int
        Power, ``>= 0`` (whole floats such as ``3.0`` are accepted).
    method : str or Method, optional
        Any member of the family: ``"heavy_ball"`` (default), ``"nesterov"``,
        ``"gradient_descent"``, ``"triple_momentum"``, ``"general(gamma=G)"`` or a
        :class:`~hbtheory.methods.Method` (only its ``c1``/``c0`` are used).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`\|A^t\|_2`, broadcast over ``alpha``, ``beta``, ``h`` and ``t``; ``1`` at ``t = 0``.
        Values beyond the float64 range are ``inf`` (or ``0``), never NaN.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, a non-integer or negative ``t``, NaN, infinity or
        non-numeric input.

    Notes
    -----
    No matrix is multiplied. By Cayley-Hamilton
    :math:`A^t = \begin{pmatrix} p_{t+1} & -c_0 p_t \\ p_t & -c_0 p_{t-1} \end{pmatrix}` with the
    Lucas sequence :math:`p_t = \rho^{t-1} u_t` in closed form (:mod:`hbtheory._kernel`; the
    coefficients and discriminant are evaluated in double-double near the critical curves), and
    the spectral norm of :math:`M = \begin{pmatrix} a & b \\ c & d \end{pmatrix}` is
    :math:`\sigma_{\max} = \tfrac12\left(\sqrt{(a+d)^2 + (b-c)^2} + \sqrt{(a-d)^2 + (b+c)^2}\right)`,
    a sum of non-negative terms.

    Accuracy: :math:`c_1`, :math:`c_0` are rounded once to float64 (from exact or double-double
    values), and the phase :math:`t\theta`, the power :math:`q^t` and :math:`\rho^t` each
    inherit that one rounding, so the relative error is :math:`O(t\epsilon)` with a small
    constant, uniformly up to and on the critical-damping curves. For :math:`\rho \ll 1` a factor
    up to :math:`1/\rho` can appear where :math:`t\theta` is close to a multiple of :math:`\pi`
    (an entry of :math:`A^t` then cancels to :math:`O(\rho^{t+1})` and inherits the rounding of
    :math:`c_1` at the scale :math:`\rho^t`). ``tests/test_spectral.py`` checks
    :math:`\le 8(t + 2)\epsilon \max(1, 1/\rho)` against 50-digit mpmath powers of the same
    float64 matrices for ``t`` up to ``10**5``; measured: :math:`\le (t + 2)\epsilon` for
    :math:`\rho \gtrsim 0.1`. The cost does not depend on ``t``.

    Examples
    --------
    >>> from hbtheory import power_norm
    >>> float(power_norm(0.5, 0.25, 1.0, 0))
    1.0
    >>> A = [[0.75, -0.25], [1.0, 0.0]]     # the iteration matrix at (0.5, 0.25, 1.0)
    >>> import numpy as np
    >>> bool(np.isclose(power_norm(0.5, 0.25, 1.0, 5), np.linalg.norm(np.linalg.matrix_power(A, 5), 2)))
    True
    >>> power_norm(0.1, 0.9, 1.0, [1, 10, 100, 1000])
    array([2.21e+00, 7.40e-01, 2.25e-02, 7.89e-23])
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    tt = as_int(t, "t")
    _check_broadcast({"alpha": a, "beta": b, "h": hh, "t": tt})
    lp = lucas_params(characteristic(m, a, b, hh, exact_disc=True))
    return finish(_power_norm(lp, tt.astype(np.float64)))


def _check_broadcast(arrays: dict[str, NDArray[Any]]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(x.shape for x in arrays.values()))
    except ValueError:
        names = ", ".join(f"`{k}`" for k in arrays)
        shapes = ", ".join(str(x.shape) for x in arrays.values())
        raise ValueError(f"{names} must broadcast together, got shapes {shapes}") from None


def _exact_coefficients(m: Method, a: float, b: float, h: float) -> tuple[Fraction, Fraction]:
    fa, fb, fh = Fraction(a), Fraction(b), Fraction(h)
    return Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))


def _constant_eps0(m: Method, a: Arr, b: Arr, hh: Arr, ch: Char, lp: Lucas) -> tuple[Arr, Arr]:
    """The ``eps = 0`` constant and ``||A||_2`` (1-d inputs), by the closed forms of the Notes."""
    c1, c0 = np.abs(ch.c1), ch.c0
    norm_a = _norm2(c1, -c0, np.ones_like(c1), np.zeros_like(c1))
    k = np.hypot(c1, 1.0 - c0)  # sqrt((1 + l_b^2)(1 + l_s^2)) = sqrt(c1^2 + (1 - c0)^2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        by_norm = norm_a / lp.rho
        projector = k / lp.sqrt_disc
        dense = ((1.0 + c0) + k) / lp.sqrt_disc
        real = np.where(lp.q_neg, by_norm, projector)
        out = np.where(lp.kind == REAL, real, np.where(lp.kind == COMPLEX, dense, np.inf))
    # Rational angle theta/pi: by Niven only cos^2(theta) = c1^2/(4 c0) = 1/4 has an orbit that
    # misses |sin(t theta)| = 1 (theta = pi/3 or 2 pi/3; 0, 1/2, 3/4 hit it). Decide it exactly.
    cplx = lp.kind == COMPLEX
    with np.errstate(over="ignore", under="ignore"):
        candidates = np.flatnonzero(cplx & (np.abs(c1 * c1 - c0) <= 1e-8 * c0))
    for i in candidates:
        f1, f0 = _exact_coefficients(m, float(a[i]), float(b[i]), float(hh[i]))
        if f1 * f1 == f0:
            out[i] = by_norm[i]
    return out, norm_a


def _scan(lp: Lucas, c_zero: Arr, norm_a: Arr, eps: Arr, max_t: int) -> Arr:
    r"""``max_t ||A^t|| / (rho + eps)^t`` over all ``t >= 0`` for 1-d inputs with ``rho, eps > 0``.

    Scans ``t = 1, 2, ...`` in vectorised blocks and stops once a bound on the whole tail is
    below the running maximum: with :math:`x = \rho/(\rho + \epsilon)`,
    :math:`\|A^t\|/(\rho+\epsilon)^t \le \min(C_0 x^t,\ x^t (t(\|A\| + \rho) - \rho)/\rho)`, the
    second bound from :math:`|u_t| \le t` and :math:`|c_0| \le \rho^2`.
    """
    n = lp.rho.shape[0]
    log_x = -np.log1p(eps / lp.rho)  # log(rho / (rho + eps)) < 0, accurate for eps << rho
    slope = (norm_a + lp.rho) / lp.rho
    with np.errstate(divide="ignore", over="ignore"):  # log_x = -5e-324 (eps = 5e-324 at rho = 1): t_peak = inf
        t_peak = 1.0 / slope + 1.0 / -log_x  # maximiser of x^t (slope t - 1) over real t
    best = np.ones(n)  # t = 0
    done_t = np.zeros(n)  # powers scanned so far, per point
    active = np.arange(n)
    chunk = 64
    while active.size:
        k = int(max(1, min(chunk, _BLOCK // active.size)))
        sub = lp.take(active[:, None])
        ts = done_t[active][:, None] + np.arange(0.0, k + 2.0)  # t - 1 ... t + k: u needed around each t
        u = lucas_unit(sub, ts)
        t_mid = ts[:, 1:-1]
        with np.errstate(under="ignore"):
            ratio = np.exp(t_mid * log_x[active][:, None]) * _scaled_norm(sub, u[:, :-2], u[:, 1:-1], u[:, 2:])
        best[active] = np.maximum(best[active], ratio.max(axis=1))
        done_t[active] += k
        tail = _tail_bound(done_t[active] + 1.0, c_zero[active], slope[active], t_peak[active], log_x[active])
        finished = tail * (1.0 + 1e-12) <= best[active]
        stuck = ~finished & (done_t[active] >= max_t)
        if stuck.any():
            i = int(active[np.argmax(stuck)])
            raise ValueError(
                f"`eps` = {float(eps[i])!r} is too small relative to rho = {float(lp.rho[i])!r} to bound "
                f"||A^t|| / (rho + eps)^t within `max_t` = {max_t} powers; "
                f"pass a larger `eps` or `max_t`"
            )
        active = active[~finished]
        chunk = min(2 * chunk, 8192)
    return best


def _tail_bound(t: Arr, c_zero: Arr, slope: Arr, t_peak: Arr, log_x: Arr) -> Arr:
    """Upper bound of ``||A^s|| / (rho + eps)^s`` over all ``s >= t`` (see :func:`_scan`)."""
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        geometric = np.where(np.isfinite(c_zero), c_zero * np.exp(t * log_x), np.inf)
        s = np.maximum(t, t_peak)  # x^s (slope s - 1) decreases for s >= t_peak
        linear = np.exp(s * log_x) * (slope * s - 1.0)
    out: Arr = np.minimum(geometric, linear)
    return out


def theorem1_constant(
    alpha: Any,
    beta: Any,
    h: Any,
    eps: Any = 0.0,
    method: str | Method = "heavy_ball",
    *,
    max_t: int = MAX_T,
) -> Any:
    r"""The smallest :math:`C` with :math:`\|A^t\|_2 \le C (\rho + \epsilon)^t` for all integers :math:`t \ge 0`.

    Theorem 1 of the source chapter states that such a :math:`C_\epsilon` exists for every
    :math:`\epsilon > 0`; this computes the best one, and tells when :math:`\epsilon = 0` works.

    Parameters
    ----------
    alpha, beta, h : float or array_like
        As in :func:`hbtheory.spectral.spectral_radius`.
    eps : float or array_like, optional
        :math:`\epsilon \ge 0` (default ``0``), broadcast with the other parameters.
    method : str or Method, optional
        Any member of the family: ``"heavy_ball"`` (default), ``"nesterov"``,
        ``"gradient_descent"``, ``"triple_momentum"``, ``"general(gamma=G)"`` or a
        :class:`~hbtheory.methods.Method` (only its ``c1``/``c0`` are used).
    max_t : int, optional
        For ``eps > 0``: the most powers scanned for one point before giving up (default
        ``10**7``; the scan needs about :math:`(\rho/\epsilon)\log C_0` of them).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`C = \sup_{t \ge 0} \|A^t\|_2 / (\rho + \epsilon)^t \ge 1`; ``inf`` when no finite
        constant exists (:math:`\epsilon = 0` at a double root, or :math:`\rho + \epsilon = 0`).

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, NaN, infinity or non-numeric input; ``ValueError``
        also when ``eps > 0`` is so small relative to :math:`\rho` that the scan would need more
        than ``max_t`` powers (never a truncated, possibly wrong, answer).

    Notes
    -----
    Let :math:`\rho` be the spectral radius and :math:`D = c_1^2 - 4c_0` (exact at the float64
    inputs: ``disc == 0`` only on a critical curve). For :math:`\epsilon = 0`:

    * Distinct real roots :math:`\lambda_b` (dominant), :math:`\lambda_s`,
      :math:`q = \lambda_s/\lambda_b \in (-1, 1)`: :math:`A^t/\lambda_b^t = P_1 + q^t P_2` with the
      spectral projectors :math:`P_1, P_2`, and :math:`u \mapsto \|P_1 + u P_2\|` is convex. If
      :math:`q \ge 0` the values :math:`q^t` fill :math:`(0, 1]` down to 0, so
      :math:`C = \max(\|I\|, \|P_1\|) = \|P_1\|_2 = \sqrt{(1+\lambda_b^2)(1+\lambda_s^2)}/|\lambda_b - \lambda_s|
      = \sqrt{c_1^2 + (1-c_0)^2}/\sqrt{D}`, approached as :math:`t \to \infty` (attained at
      ``t = 1`` if :math:`c_0 = 0`). If :math:`q < 0` the values lie in :math:`[q, 1]` and
      :math:`C = \max(1, \|A\|_2/\rho) = \|A\|_2/\rho`, attained at ``t = 1``.
    * Double root (:math:`D = 0`, :math:`A` defective): :math:`\|A^t\| \sim t\rho^{t-1}`, so
      :math:`C = \infty` (the chapter's ":math:`O(\rho^t)`" fails there). Also :math:`\infty` when
      :math:`\rho = 0` (then :math:`A \ne 0` is nilpotent).
    * Complex roots :math:`\rho e^{\pm i\theta}`: with :math:`B = A/\rho`,
      :math:`B^t = M(t\theta)`, :math:`M(\phi) = (\sin\phi\, B - \sin(\phi-\theta) I)/\sin\theta`,
      :math:`\det M = 1`, and :math:`\|M(\phi)\|_F^2 = 2 + (\|B\|_F^2 - 2)\sin^2\phi/\sin^2\theta`.
      As :math:`\sigma_{\max} = (\sqrt{F^2+2} + \sqrt{F^2-2})/2` increases with
      :math:`F^2 = \|M\|_F^2`, the supremum over all phases is at :math:`\sin^2\phi = 1`:
      :math:`C = \left(1 + c_0 + \sqrt{c_1^2 + (1-c_0)^2}\right)/\sqrt{-D}`. If :math:`\theta/\pi`
      is irrational, :math:`\{t\theta \bmod \pi\}` is dense and this supremum is the smallest
      valid :math:`C` (approached, not attained). If it is rational, the orbit is finite: since
      :math:`\cos^2\theta = c_1^2/(4c_0)` is rational, Niven's theorem leaves
      :math:`\cos^2\theta \in \{0, \tfrac14, \tfrac12, \tfrac34\}` (periods 4, 6, 8, 12), decided
      exactly in rational arithmetic. For 0, 1/2 and 3/4 the orbit reaches
      :math:`\sin^2\phi = 1` and the supremum is attained (at ``t = 1, 2, 3``). For
      :math:`c_1^2 = c_0` (:math:`\theta = \pi/3, 2\pi/3`) it only reaches
      :math:`\sin^2\phi = \sin^2\theta`, so :math:`C = \|A\|_2/\rho`, attained at ``t = 1``.
      Both sides of the curve blow up like :math:`1/\sqrt{|D|}`: :math:`C\sqrt{|D|} \to 1 + c_0`
      from the real side and :math:`2(1 + c_0)` from the complex side.

    For :math:`\epsilon > 0`, :math:`x = \rho/(\rho+\epsilon) < 1` and the maximum of
    :math:`\|A^t\| / (\rho+\epsilon)^t` is attained at a finite ``t``. The powers are scanned
    with :func:`power_norm`'s closed form in vectorised blocks until a rigorous bound on all later
    ratios, :math:`\min\left(C_0 x^t,\ x^t (t\|A\| + (t-1)\rho)/\rho\right)` (:math:`C_0` the
    :math:`\epsilon = 0` constant; the second bound, from :math:`|p_t| \le t\rho^{t-1}`, also covers
    the defective case), falls below the running maximum.

    Examples
    --------
    >>> from hbtheory import theorem1_constant
    >>> float(theorem1_constant(0.5, 0.25, 1.0))   # complex roots, irrational angle
    3.4934
    >>> float(theorem1_constant(0.25, 0.25, 1.0))  # critical damping: A is defective
    inf
    >>> float(theorem1_constant(0.25, 0.25, 1.0, eps=0.01))  # finite for every eps > 0
    46.444
    >>> theorem1_constant(1.0, [0.0, 0.5], 0.05)    # real roots: the projector norm
    array([1.4519, 4.7907])
    """
    m, a, b, hh = check_method_params(method, alpha, beta, h)
    e = as_real(eps, "eps", low=0.0)
    if isinstance(max_t, (bool, np.bool_)) or not isinstance(max_t, (int, np.integer)):
        raise TypeError(f"`max_t` must be an integer, got {type(max_t).__name__}")
    cap = int(as_int(max_t, "max_t", low=1))
    shape = _check_broadcast({"alpha": a, "beta": b, "h": hh, "eps": e})
    a, b, hh, e = (np.broadcast_to(x, shape).ravel() for x in (a, b, hh, e))
    ch = characteristic(m, a, b, hh, exact_disc=True)
    lp = lucas_params(ch)
    c_zero, norm_a = _constant_eps0(m, a, b, hh, ch, lp)
    out = c_zero.copy()
    positive = e > 0.0
    nilpotent = lp.kind == NILPOTENT
    with np.errstate(divide="ignore"):
        out[positive & nilpotent] = np.maximum(1.0, 1.0 / e[positive & nilpotent])  # 1, 1/eps, 0, 0, ...
    scan = np.flatnonzero(positive & ~nilpotent)
    if scan.size:
        out[scan] = _scan(lp.take(scan), c_zero[scan], norm_a[scan], e[scan], cap)
    return finish(out.reshape(shape))

