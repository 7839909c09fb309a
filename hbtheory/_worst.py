r"""Worst cases over a spectrum interval ``[mu, L]``: the asymptotic rate and the exact n-step bound.

:func:`worst_case_rate` is the largest spectral radius over the interval. :func:`worst_case` is
the exact worst case of :math:`\|x_n - x^*\|^2 / \|x_0 - x^*\|^2` after ``n`` steps over every
quadratic with Hessian spectrum in ``[mu, L]``; it is the maximum over ``h`` of the square of the
polynomial :math:`P_n(h)` with :math:`x_n - x^* = P_n(H)(x_0 - x^*)`.

How the maximum is found
------------------------
:math:`|P_n|` can have ``n`` local maxima on ``[mu, L]`` (at Polyak's tuning the whole interval
lies in the critical-damping band and the ripples are nearly equal), so a local optimiser alone is
useless. Each parameter set is searched on its own.

* ``n <= 16``: :math:`P_n` is a polynomial of degree ``n`` in ``h``. Its values at the ``n + 1``
  Chebyshev-Lobatto points of ``[mu, L]`` give its Chebyshev coefficients exactly (a DCT), the
  derivative series gives *every* critical point as an eigenvalue of the colleague matrix, and the
  maximum is taken over the real critical points and both ends. Values come from the three-term
  recurrence in float64 (roots scaled by a power of two): a relative error of order
  ``n**3 eps / 6`` at most, a few ulps in practice.
* ``n > 16``: inside the band the roots are :math:`r e^{\pm i\theta}` and :math:`P_n` oscillates
  with the phase :math:`n\theta(h)`. A grid uniform in :math:`\theta` (:data:`_PER_PEAK` points
  per half-period :math:`\pi/n`; the map to ``h`` is clustered quadratically at the band's ends,
  where :math:`\theta \sim \sqrt{h - h_e}`) and grids clustered geometrically towards the band on
  the real-root side (where :math:`|P_n|` does not oscillate) bracket every local maximum. The
  brackets whose grid value is at least :data:`_KEEP` of the grid maximum are refined together:
  parabolic steps on the closed form (:func:`hbtheory._kernel.lucas_u`, roots scaled by the
  rate), then one on double-double values. The candidates are evaluated in double-double by
  binary powering of :math:`z^{n+1} \bmod (z^2 - c_1 z + c_0)` renormalised by powers of two:
  a few ulps, with no over- or underflow of the value or its exponent. The cost grows like ``n``
  where the band meets ``[mu, L]``, hence the next item.
* ``n > 4096`` with the band inside ``[mu, L]``: branch and bound. With complex roots,
  :math:`|P_n| = \rho^n |\sin((n+1)\theta) - \rho \sin(n\theta)| / \sin\theta \le
  \rho^n |1 - \lambda| / \sin\theta`, an envelope without ripples whose bound on an interval
  follows from the interval's ends (:func:`_log_envelope`). Intervals are split in halves, the
  highest bound first; an interval whose bound cannot beat the best value found is dropped, one
  with at most :data:`_BNB_LEAF` ripples is searched as above. The envelope grows like
  :math:`1/\sqrt{h - h_e}` at a band edge and is smooth inside, so only a few intervals next to
  the edges are searched: the cost grows like ``log n`` (``n = 10**8`` in well under a second;
  tests check equality with the full search at ``n`` up to ``6 * 10**4``).
* ``mu == L``: double-double at that point (it may sit near a zero of :math:`P_n`).
* Huge roots (``alpha * L`` beyond about ``2**200``): the method's coefficients are scaled to
  :math:`(c_1 2^{-k}, c_0 2^{-2k})`, which divides the roots by :math:`2^k`, the error is started
  from :math:`x_{-1} = 2^k` (:math:`x_t = p_{t+1} x_0 - c_0 p_t x_{-1}` is not homogeneous), and
  :math:`k n` is added to the binary exponent. Without it ``c1**2`` overflows from ``|c1| ~ 1e154``.
"""

from __future__ import annotations

import functools
import heapq
import math
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.polynomial import chebyshev as _cheb
from numpy.typing import NDArray

from hbtheory import _kernel
from hbtheory._dd import DD
from hbtheory._params import check_alpha_beta
from hbtheory._validation import as_int, check_interval, finish
from hbtheory.methods import Method

__all__ = ["worst_case", "worst_case_rate"]

Arr = NDArray[np.float64]
IntArr = NDArray[np.int64]

#: Largest ``n`` handled by the colleague-matrix path (its float64 recurrence error is of order
#: ``n**3 eps / 6 < 1.6e-13`` relative; the grid path evaluates in double-double instead).
_DIRECT_MAX_N = 16
#: Grid points per half-period ``pi / n`` of the phase inside the critical-damping band
#: (32 per period of ``n * theta``; a sampled peak of ``|sin|`` is then within 0.5% of its top).
_PER_PEAK = 16
#: Grid local maxima below this fraction of the grid maximum cannot be the global maximum
#: (with 16 points per peak the grid underestimates a peak by far less than a factor 2).
_KEEP = 0.5
#: Parabolic steps on the closed form, stencils shrinking by up to ``_SHRINK``: from the grid
#: step (``pi / 16`` of a peak) to ``1 / 256`` of it, where the closed form's rounding still
#: averages out; a last step on double-double values uses a stencil 16 times smaller again.
#: (A location error ``delta`` costs only ``(n theta' delta)**2`` relative in the value.)
_REFINE_STEPS = 3
_SHRINK = 16.0
#: Base points for the map from the band's phase to ``h`` and for the real-root segments.
_BASE_POINTS = 257
#: Grid points evaluated at a time (bounds the memory of the closed form's temporaries).
_CHUNK = 1 << 16
_LN2 = math.log(2.0)
#: Root moduli from ``2**_SCALE_EXP`` on are scaled down by a power of two (:func:`_max_abs_p`).
_SCALE_EXP = 200
#: Largest number of ripples of ``P_n`` the search scans one by one (about 16 points each;
#: ``2 * 10**5`` take about 4 s and 250 MB). Below :data:`_BNB_MIN_N` steps the whole band is
#: scanned, so ``n`` is capped there; above it branch and bound scans only the ripples whose
#: envelope can hold the maximum (a few hundred in practice).
MAX_BAND_N = 200_000
#: From this ``n`` on, the band is searched by branch and bound (:func:`_bound_band`).
_BNB_MIN_N = 4096
#: Most ripples in an interval that :func:`_bound_band` scans instead of splitting.
_BNB_LEAF = 256
#: Most pieces of the band the branch and bound examines (the usual cases take 10 to 50; each costs
#: about 10 ms at n = 1e12).
_MAX_BNB_POPS = 128
#: Largest ``n`` at all (the binary exponents of ``P_n`` stay far inside int64).
MAX_N = 10**12
_EPS = float(np.finfo(np.float64).eps)


def worst_case_rate(alpha: Any, beta: Any, mu: Any, L: Any, method: str | Method = "heavy_ball") -> Any:
    r"""Worst asymptotic rate :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))`.

    Parameters
    ----------
    alpha : float or array_like
        Step size, ``> 0``.
    beta : float or array_like
        Momentum in ``[0, 1]`` (``0`` for gradient descent).
    mu, L : float or array_like
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any member of the family (see :func:`worst_case`).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The rate, broadcast over the inputs. Below 1 iff the method converges linearly on every
        quadratic whose Hessian spectrum lies in ``[mu, L]``.

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range, or inputs that do not broadcast together.

    Notes
    -----
    For each method in the family, :math:`h \mapsto \rho(h)` is quasi-convex on
    :math:`h > 0`: it decreases while the roots are real and :math:`c_1 > 0` (left of the
    critical-damping band), equals :math:`\sqrt{c_0}` inside the band (constant for heavy ball,
    decreasing for Nesterov) and increases once :math:`c_1 < 0` (right of the band). The maximum
    over an interval is therefore attained at an end, so the rate is
    :math:`\max(\rho(\mu), \rho(L))` (checked against dense grids in the tests).

    Examples
    --------
    >>> from hbtheory import worst_case_rate
    >>> kappa = 100.0   # Polyak's tuning gives (sqrt(kappa) - 1) / (sqrt(kappa) + 1)
    >>> a = 4 / (1 + kappa ** -0.5) ** 2
    >>> b = ((kappa ** 0.5 - 1) / (kappa ** 0.5 + 1)) ** 2
    >>> round(float(worst_case_rate(a, b, 1 / kappa, 1.0)), 12)
    0.818181818182
    """
    m, a, b = check_alpha_beta(method, alpha, beta)
    mu_a, L_a = check_interval(mu, L)
    _broadcast_shape(a=a, beta=b, mu=mu_a, L=L_a)
    a, b, mu_a, L_a = np.broadcast_arrays(a, b, mu_a, L_a)
    rho_mu = _kernel.spectral_radius(m, a, b, mu_a)
    rho_L = _kernel.spectral_radius(m, a, b, L_a)
    return finish(np.maximum(rho_mu, rho_L))


def worst_case(
    n: Any,
    alpha: Any,
    beta: Any,
    mu: Any,
    L: Any,
    method: str | Method = "heavy_ball",
    *,
    log: bool = False,
) -> Any:
    r"""Exact n-step worst case of :math:`\|x_n - x^*\|^2 / \|x_0 - x^*\|^2` over quadratics.

    The maximum is over every quadratic :math:`f(x) = \tfrac12 (x - x^*)^\top H (x - x^*)`, in any
    dimension, whose Hessian spectrum lies in :math:`[\mu, L]`, and every start
    :math:`x_0 \neq x^*` with :math:`x_{-1} = x_0` (the convention of ``torch.optim.SGD``).

    Parameters
    ----------
    n : int or array_like of int
        Number of steps, ``0 <= n <= 10**12`` (:data:`MAX_N`). The cost grows like ``log n`` for
        large ``n`` (``n = 10**8`` takes well under a second); a ``ValueError`` is raised in the
        rare case where more than ``2 * 10**5`` (:data:`MAX_BAND_N`) nearly equal ripples of
        :math:`P_n` could hold the maximum and would each have to be resolved.
    alpha : float or array_like
        Step size, ``> 0``; ``alpha * L`` (and the method's coefficients at ``L``) must be finite
        in float64.
    beta : float or array_like
        Momentum in ``[0, 1]`` (exactly ``0`` for gradient descent).
    mu, L : float or array_like
        The spectrum interval, ``0 < mu <= L``.
    method : str or Method, optional
        Any member of the family: ``"heavy_ball"`` (default), ``"nesterov"``,
        ``"gradient_descent"``, ``"triple_momentum"``, ``"general(gamma=G)"`` or a
        :class:`~hbtheory.methods.Method`.
    log : bool, optional, keyword-only
        Return the natural logarithm of the worst case instead. For large ``n`` the value itself
        leaves the float64 range (``0.5**2000`` underflows); its logarithm does not, and is
        accurate to a few units in its last place.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        :math:`\max_{h \in [\mu, L]} P_n(h)^2` (or its logarithm), broadcast over the inputs.
        Relative accuracy a few ulps wherever the value is a normal float64 (for ``n <= 16`` of
        order ``n**3 eps / 3`` at most, below ``3e-13``); ``0.0`` where it underflows and ``inf``
        where it overflows (use ``log=True``, which stays accurate for every representable
        ``alpha * L``: roots beyond ``2**200`` are scaled by a power of two first).

    Raises
    ------
    ValueError, TypeError
        For a parameter outside its range (the message names it, including ``n`` above its cap and
        an ``alpha * L`` that overflows), or inputs that do not broadcast together.

    Notes
    -----
    On an eigen-direction of :math:`H` with eigenvalue :math:`h` the error obeys
    :math:`e_{t+1} = c_1 e_t - c_0 e_{t-1}` (:mod:`hbtheory.methods`), i.e.
    :math:`(e_{t+1}, e_t) = A (e_t, e_{t-1})` with :math:`A = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0
    \end{pmatrix}`. For Nesterov's method the recurrence holds for the iterates :math:`x_t` (not
    the look-ahead points), and :math:`x_{-1} = x_0` gives its first step
    :math:`x_1 = (1 - \alpha h) x_0`. Cayley-Hamilton gives :math:`A^n = p_n A - c_0 p_{n-1} I` with
    the Lucas sequence :math:`p_0 = 0`, :math:`p_1 = 1`, :math:`p_{t+1} = c_1 p_t - c_0 p_{t-1}`;
    applied to :math:`(e_0, e_{-1}) = (1, 1)`:

    .. math::

        P_n(h) = (c_1 - c_0)\, p_n - c_0\, p_{n-1} = p_{n+1} - c_0\, p_n \quad (n \ge 1),
        \qquad P_0 = 1.

    Since :math:`\|x_n - x^*\|^2 = \sum_i P_n(h_i)^2 \langle x_0 - x^*, v_i\rangle^2`, the ratio is at
    most :math:`\max_h P_n(h)^2`, with equality for :math:`x_0 - x^*` along an eigenvector whose
    eigenvalue attains the maximum: the dimension plays no role. Bounds that follow:
    :math:`|p_t| \le t \rho^{t-1}` and :math:`|c_0| \le \rho^2` give
    :math:`|P_n(h)| \le \rho(h)^n (n + 1 + n \rho(h))`, with equality at a double root
    :math:`\lambda = -\rho`; at Polyak's tuning :math:`L` is such a point, so there the worst case
    is :math:`(\rho^n (n (1 + \rho) + 1))^2` with :math:`\rho = \sqrt\beta`.

    This is the quantity that PEPit (Goujaud et al.) computes by semidefinite programming for the
    class ``SmoothStronglyConvexQuadraticFunction(mu, L)`` (interpolation conditions of
    Bousselmi, Hendrickx and Glineur), initial condition :math:`\|x_0 - x^*\|^2 \le 1` and
    performance measure :math:`\|x_n - x^*\|^2`: ``tests/test_pepit.py`` checks the agreement to
    the solver's accuracy and ``benchmarks/worst_case_vs_pepit.py`` compares the costs.

    The search for the maximum is described in :mod:`hbtheory._worst`: about ``16 n``
    closed-form evaluations up to ``n = 4096``, then branch and bound on the envelope
    :math:`|P_n| \le \rho^n |1 - \lambda| / \sin\theta`, whose cost grows like ``log n``.
    Array inputs are handled by a Python loop over the
    broadcast elements, each an independent search.

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
       USSR Comput. Math. Math. Phys. 4(5), 1964.
    .. [2] B. Goujaud, C. Moucer, F. Glineur, J. Hendrickx, A. Taylor, A. Dieuleveut, "PEPit:
       computer-assisted worst-case analyses of first-order optimization methods in Python",
       Math. Prog. Comp., 2024.
    .. [3] N. Bousselmi, J. Hendrickx, F. Glineur, "Interpolation conditions for linear operators
       and applications to performance estimation problems", arXiv:2302.08781, 2023.

    Examples
    --------
    Polyak's tuning for ``kappa = 10``: the worst case after 10 steps, and the closed form above.

    >>> from hbtheory import worst_case
    >>> mu, L = 0.1, 1.0
    >>> alpha = 4 / (mu ** 0.5 + L ** 0.5) ** 2
    >>> beta = ((L ** 0.5 - mu ** 0.5) / (L ** 0.5 + mu ** 0.5)) ** 2
    >>> w = float(worst_case(10, alpha, beta, mu, L))
    >>> rho = beta ** 0.5
    >>> w, (rho ** 10 * (10 * (1 + rho) + 1)) ** 2
    (0.000537485650467, 0.000537485650467)
    >>> worst_case([0, 1, 2], 0.5, 0.0, 1.0, 3.0, method="gradient_descent")  # max (1 - h/2)^(2n)
    array([1.    , 0.25  , 0.0625])
    >>> round(float(worst_case(10_000, alpha, beta, mu, L, log=True)), 6)  # the value underflows
    -13078.748443
    """
    if not isinstance(log, (bool, np.bool_)):
        raise TypeError(f"`log` must be a bool, got {type(log).__name__}")
    m, a, b = check_alpha_beta(method, alpha, beta)
    nn = as_int(n, "n", low=0)
    mu_a, L_a = check_interval(mu, L)
    shape = _broadcast_shape(n=nn, alpha=a, beta=b, mu=mu_a, L=L_a)
    n_b, a_b, b_b, mu_b, L_b = np.broadcast_arrays(nn, a, b, mu_a, L_a)
    if nn.size and int(nn.max()) > MAX_N:
        raise ValueError(f"`n` must be an integer <= {MAX_N}, got {int(nn.max())}")
    with np.errstate(over="ignore", invalid="ignore"):
        overflow = ~np.isfinite(a_b * L_b)
        for h_end in (mu_b, L_b):  # the coefficients are affine in h: finite at both ends is enough
            overflow |= ~(np.isfinite(m.c1(a_b, b_b, h_end)) & np.isfinite(m.c0(a_b, b_b, h_end)))
    if overflow.any():
        i = tuple(int(k) for k in np.argwhere(overflow)[0])
        raise ValueError(
            f"`alpha * L` overflows float64 (or the method's coefficients do), got alpha = {float(a_b[i])!r}, "
            f"L = {float(L_b[i])!r}"
        )
    mant = np.empty(shape, dtype=np.float64)
    expo = np.empty(shape, dtype=np.int64)
    for idx in np.ndindex(shape):
        mant[idx], expo[idx] = _max_abs_p(
            m, int(n_b[idx]), float(a_b[idx]), float(b_b[idx]), float(mu_b[idx]), float(L_b[idx])
        )
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        if log:
            out = 2.0 * (np.log(mant) + expo * _LN2)
        else:
            out = np.ldexp(mant * mant, 2 * expo)
    return finish(np.asarray(out, dtype=np.float64))


def _broadcast_shape(**arrays: NDArray[Any]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(v.shape for v in arrays.values()))
    except ValueError:
        names = ", ".join(f"`{k}`" for k in arrays)
        shapes = ", ".join(str(v.shape) for v in arrays.values())
        raise ValueError(f"{names} must broadcast together, got shapes {shapes}") from None


# ------------------------------------------------------------------------------------------------
# The search for max |P_n| on [mu, L], one parameter set at a time. Results are returned as
# (mantissa, exponent) with max |P_n| = mantissa * 2**exponent, so nothing over- or underflows.
# ------------------------------------------------------------------------------------------------


def _max_abs_p(m: Method, n: int, a: float, b: float, mu: float, L: float) -> tuple[float, int]:
    if n == 0:
        return 1.0, 0
    # Roots beyond 2**_SCALE_EXP: divide them by 2**k (k from the largest root modulus, attained
    # at an end), i.e. search the method with coefficients (c1 / 2**k, c0 / 2**2k) from
    # x_{-1} = 2**k (see _scaled_method); then |P_n| = 2**(k n) times the scaled value. Without
    # it c1**2 overflows from |c1| ~ 1e154 on (NaN or a wrong maximum, issue 11).
    top = float(np.max(_kernel.spectral_radius(m, a, b, np.array([mu, L]))))
    k = math.frexp(top)[1] - 1 if top >= 2.0**_SCALE_EXP else 0
    sm, sigma = (_scaled_method(m, k), math.ldexp(1.0, k)) if k else (m, 1.0)
    if mu == L:  # a single point, possibly close to a zero of P_n: double-double
        mant, e = _best(*_dd_abs_p(sm, n, a, b, np.array([mu]), sigma))
    elif n <= _DIRECT_MAX_N:
        mant, e = _direct(sm, n, a, b, mu, L, sigma)
    else:
        mant, e = _phase_grid(sm, n, a, b, mu, L, sigma)
    return mant, e + k * n


def _scaled_method(m: Method, k: int) -> Method:
    """``m`` with its roots divided by ``2**k``: coefficients ``(c1 2**-k, c0 2**-2k)`` (exact scalings;
    a ``c0`` far below the scale may underflow, a change of relative size ``2**-1000`` at most)."""
    s1 = math.ldexp(1.0, -k)  # c0 is scaled by s1 twice: 2**-2k itself may underflow

    def times(x: Any, s: float) -> Any:
        return x * Fraction(s) if isinstance(x, Fraction) else x * s

    return Method(
        name=f"{m.name} / 2**{k}", title=m.title, uses_beta=m.uses_beta,
        c1=lambda a, b, h: times(m.c1(a, b, h), s1), c0=lambda a, b, h: times(times(m.c0(a, b, h), s1), s1),
    )


@functools.lru_cache(maxsize=_DIRECT_MAX_N)
def _chebyshev_tools(n: int) -> tuple[Arr, Arr]:
    """Chebyshev-Lobatto nodes of degree ``n`` and the matrix from values at the nodes to the
    Chebyshev coefficients of the derivative of the interpolant (a DCT-I, then ``chebder``)."""
    j = np.arange(n + 1)
    nodes = np.cos(np.pi * j / n)
    weights = np.where((j == 0) | (j == n), 0.5, 1.0)
    dct = (2.0 / n) * weights[:, None] * np.cos(np.pi * np.outer(j, j) / n) * weights[None, :]
    deriv = np.asarray(_cheb.chebder(dct, axis=0), dtype=np.float64)
    nodes.setflags(write=False)
    deriv.setflags(write=False)
    return nodes, deriv


def _direct(m: Method, n: int, a: float, b: float, mu: float, L: float, sigma: float = 1.0) -> tuple[float, int]:
    """Colleague-matrix path: every critical point of the degree-``n`` polynomial ``P_n``
    (started from ``x_{-1} = sigma``, ``x_0 = 1``; see :func:`_max_abs_p`)."""
    # Scale the roots by an exact power of two near the largest root modulus (attained at an
    # end, see worst_case_rate): P_n / 2**(k n) is then at most O(2**n n) and stays in range.
    top = 0.0
    for h in (mu, L):
        c1, c0 = float(m.c1(a, b, h)), float(m.c0(a, b, h))
        disc = c1 * c1 - 4.0 * c0
        top = max(top, 0.5 * (abs(c1) + math.sqrt(disc)) if disc >= 0.0 else math.sqrt(abs(c0)))
    k = math.frexp(top)[1] if 0.0 < top < math.inf else 0
    scale = math.ldexp(1.0, -k)

    def p_scaled(h: Arr) -> Arr:
        # x~_t = x_t * scale**t obeys the recurrence of (c1 scale, c0 scale**2) from
        # x~_0 = 1, x~_{-1} = sigma / scale; every scaling is exact.
        c1 = m.c1(a, b, h) * scale
        c0 = m.c0(a, b, h) * (scale * scale)
        x = np.ones(h.shape)
        x_prev = np.full(h.shape, sigma / scale)
        for _ in range(n):
            x, x_prev = c1 * x - c0 * x_prev, x
        return x

    candidates = np.array([mu, L])
    mid, half = 0.5 * (mu + L), 0.5 * (L - mu)
    nodes, to_deriv = _chebyshev_tools(n)
    deriv = to_deriv @ p_scaled(mid + half * nodes)
    # Drop leading coefficients at rounding level (a tiny interval makes them vanish).
    big = np.flatnonzero(np.abs(deriv) > 8.0 * n * _EPS * np.abs(deriv).max())
    deriv = deriv[: big[-1] + 1] if big.size else deriv[:1]
    if deriv.size > 1:
        roots = np.linalg.eigvals(_cheb.chebcompanion(deriv))
        # Real critical points; a near-double root may come back as a complex pair with a tiny
        # imaginary part: keep its real part (extra candidates are valid lower bounds).
        real = roots.real[(np.abs(roots.imag) <= 1e-6) & (np.abs(roots.real) <= 1.0)]
        candidates = np.concatenate([candidates, mid + half * real])
    values = np.abs(p_scaled(candidates))
    mant, e = math.frexp(float(values.max()))
    return mant, e + k * n


def _affine(coefficient: Any, a: float, b: float) -> tuple[float, float]:
    """``(value at h = 0, slope)`` of a coefficient of the family, which is affine in ``h``."""
    v = coefficient(a, b, _Affine(0.0, 1.0))
    if isinstance(v, _Affine):
        return v.c, v.s
    return float(v), 0.0


class _Affine:
    """``c + s h`` with exact structure: evaluates a method coefficient symbolically in ``h``.

    Every method of the family uses one gradient per step, so its ``c1`` and ``c0`` are affine in
    ``h``; a product of two non-constant forms would mean otherwise and raises ``TypeError``.
    """

    __slots__ = ("c", "s")

    def __init__(self, c: float, s: float) -> None:
        self.c = c
        self.s = s

    @staticmethod
    def _lift(x: Any) -> _Affine:
        return x if isinstance(x, _Affine) else _Affine(float(x), 0.0)

    def __add__(self, other: Any) -> _Affine:
        o = _Affine._lift(other)
        return _Affine(self.c + o.c, self.s + o.s)

    __radd__ = __add__

    def __neg__(self) -> _Affine:
        return _Affine(-self.c, -self.s)

    def __sub__(self, other: Any) -> _Affine:
        return self + (-_Affine._lift(other))

    def __rsub__(self, other: Any) -> _Affine:
        return _Affine._lift(other) + (-self)

    def __mul__(self, other: Any) -> _Affine:
        o = _Affine._lift(other)
        if self.s != 0.0 and o.s != 0.0:
            raise TypeError("method coefficients must be affine in h")
        return _Affine(self.c * o.c, self.c * o.s + self.s * o.c)

    __rmul__ = __mul__


def _band(m: Method, a: float, b: float) -> tuple[float, float] | None:
    """Edges ``(h_lo, h_hi)`` of the critical-damping band ``disc(h) < 0``, or ``None``.

    ``disc = c1(h)^2 - 4 c0(h)`` is a convex quadratic in ``h``: its minimiser is explicit, its
    minimum (accurate, from the kernel) gives the half-width, and Newton's method on the kernel's
    accurate ``disc`` polishes the two edges to a few ulps.
    """
    a1, b1 = _affine(m.c1, a, b)
    b0 = _affine(m.c0, a, b)[1]
    if b1 == 0.0:
        return None
    h_min = (2.0 * b0 / b1 - a1) / b1
    d_min = float(_kernel.characteristic(m, a, b, h_min, exact_disc=True).disc)
    if not d_min < 0.0:
        return None
    half = math.sqrt(-d_min) / abs(b1)
    edges = np.array([h_min - half, h_min + half])
    for _ in range(4):
        ch = _kernel.characteristic(m, a, b, edges, exact_disc=True)
        slope = 2.0 * b1 * ch.c1 - 4.0 * b0
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope != 0.0, ch.disc / slope, 0.0)
        if not np.any(np.abs(step) > 4.0 * _EPS * np.abs(edges)):
            break
        # Stay on the proper side of the minimiser (Newton on a convex function from outside does).
        edges = np.array([min(edges[0] - step[0], h_min), max(edges[1] - step[1], h_min)])
    return float(edges[0]), float(edges[1])


def _theta(ch: _kernel.Char) -> Arr:
    """Argument of the dominant root: ``theta`` inside the band, 0 or pi outside."""
    return np.arctan2(np.sqrt(np.maximum(-ch.disc, 0.0)), ch.c1)


def _p_scaled(ch: _kernel.Char, n: int, inv_s: float, sigma: float = 1.0) -> Arr:
    """``P_n / s**n`` from the closed form at 1-d ``ch``, roots scaled by ``1 / s`` (no overflow)."""
    # With p~_t = p_t / s**(t-1) the Lucas sequence of (c1 / s, c0 / s**2):
    # P_n / s**n = p~_{n+1} - sigma (c0 / s) p~_n (P_n is not homogeneous: x_{-1} = sigma x_0
    # breaks scaling; x_t = p_{t+1} x_0 - c0 p_t x_{-1}).
    scaled = _kernel.Char(ch.c1 * inv_s, ch.c0 * inv_s * inv_s, ch.disc * inv_s * inv_s)
    t = np.empty((2, *ch.c1.shape))
    t[0], t[1] = n, n + 1
    p = _kernel.lucas_u(scaled, t)
    return np.asarray(p[1] - (ch.c0 * (sigma * inv_s)) * p[0], dtype=np.float64)


def _warp(u: Arr) -> Arr:
    """``[0, 1] -> [0, 1]``, quadratic at both ends: at a band edge ``theta ~ sqrt(h - h_e)``, so
    ``theta`` is smooth in ``u``; where ``[mu, L]`` cuts the band instead, the safety net of
    :func:`_phase_grid` splits the few steps this makes too long."""
    return np.asarray(0.5 * (1.0 - np.cos(np.pi * u)), dtype=np.float64)


def _phase_grid(
    m: Method, n: int, a: float, b: float, mu: float, L: float, sigma: float = 1.0
) -> tuple[float, int]:
    """Grid uniform in the phase, parabolic refinement of the high brackets, double-double values;
    for large ``n`` with the band inside ``[mu, L]``, branch and bound first (:func:`_bound_band`)."""
    if n > _BNB_MIN_N:
        band = _band(m, a, b)
        if band is not None and band[0] < L and band[1] > mu:
            return _bound_band(m, n, a, b, mu, L, (max(mu, band[0]), min(L, band[1])), sigma)
    return _scan_and_refine(m, n, a, b, mu, L, sigma)


def _log_value(v: tuple[float, int]) -> float:
    return math.log(v[0]) + v[1] * _LN2 if v[0] > 0.0 else -math.inf


def _log_envelope(m: Method, n: int, a: float, b: float, h1: float, h2: float, sigma: float) -> float:
    r"""Upper bound of :math:`\log|P_n|` on ``[h1, h2]`` inside the band, from its ends.

    With complex roots :math:`\rho e^{\pm i\theta}`, :math:`p_t = \rho^{t-1}\sin(t\theta)/\sin\theta` and
    :math:`P_n = \rho^n (\sin((n+1)\theta) - \rho\sin(n\theta))/\sin\theta`, whose numerator has the
    amplitude :math:`|1 - \lambda| = \sqrt{1 - c_1 + c_0}`: :math:`|P_n| \le c_0^{n/2} \sqrt{1 - c_1 + c_0}
    / \sin\theta`. ``c0`` and ``1 - c1 + c0`` are affine in ``h``, and :math:`\sin^2\theta = -D/(4c_0)
    = 1 - c_1^2/(4c_0)` is concave (a quadratic over a linear function is convex), so the bound over
    the interval takes the larger ends of the first two and the smaller end of the last. At a
    nilpotent end (``c0 = c1 = 0``) :math:`\sin^2\theta \to 1`. (For roots scaled by ``1/s`` from
    ``x_{-1} = sigma`` the amplitude is :math:`|1 - \sigma\lambda'|`.)
    """
    ch = _kernel.characteristic(m, a, b, np.array([h1, h2]), exact_disc=True)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        amp2 = 1.0 - sigma * ch.c1 + sigma * (sigma * ch.c0)
        sin2 = np.where(ch.c0 > 0.0, -ch.disc / (4.0 * ch.c0), np.where((ch.c0 == 0.0) & (ch.c1 == 0.0), 1.0, 0.0))
        c0, amp, low = float(ch.c0.max()), float(amp2.max()), float(np.min(sin2))
        if not (c0 > 0.0 and low > 0.0 and amp >= 0.0 and math.isfinite(amp)):
            return math.inf
        if amp == 0.0:
            return -math.inf
        return 0.5 * n * math.log(c0) + 0.5 * math.log(amp) - 0.5 * math.log(low)


def _bound_band(
    m: Method, n: int, a: float, b: float, mu: float, L: float, band: tuple[float, float], sigma: float
) -> tuple[float, int]:
    """Branch and bound over the band: an interval is scanned (:func:`_scan_and_refine`) only when it
    holds at most :data:`_BNB_LEAF` ripples and its envelope bound (:func:`_log_envelope`) can beat
    the best value found. The envelope is ``~1/sqrt(h - h_edge)`` at the band's edges and smooth
    inside, so for large ``n`` only a few intervals next to the edges (and where ``[mu, L]`` cuts
    the band) are scanned: the cost grows like ``log n``."""
    lo, hi = band
    best = _best(*_dd_abs_p(m, n, a, b, np.array([mu, L, lo, hi]), sigma))
    for piece in ((mu, lo), (hi, L)):  # no complex roots there: the plain search is cheap
        if piece[0] < piece[1]:
            best = max(best, _scan_and_refine(m, n, a, b, *piece, sigma), key=_log_value)
    margin = 16.0 * (n + 1) * _EPS + 1e-6  # more than the bound's own rounding, in the logarithm
    heap = [(-_log_envelope(m, n, a, b, lo, hi, sigma), lo, hi)]
    scanned = 0
    pops = 0
    while heap:
        neg_ub, h1, h2 = heapq.heappop(heap)
        pops += 1
        if pops > _MAX_BNB_POPS:
            # a work budget besides the ripple count: where many pieces' bounds stay above the best value
            # (nearly equal ripples everywhere), the splitting alone took minutes before the count refused
            raise ValueError(
                f"`n` = {n}: the worst case is among nearly equal ripples of P_n spread over the band; resolving "
                f"it needs more than {_MAX_BNB_POPS} pieces of the band; use a smaller `n`"
            )
        if -neg_ub + margin < _log_value(best):
            break  # the largest remaining bound cannot win, nor can any other
        ripples = _ripples(m, n, a, b, h1, h2)
        if ripples <= _BNB_LEAF or h2 - h1 <= 4.0 * _EPS * abs(h2):
            scanned += math.ceil(ripples)
            if scanned > MAX_BAND_N:
                raise ValueError(
                    f"`n` = {n}: the worst case is attained among more than {MAX_BAND_N} nearly equal ripples of "
                    "P_n, each of which the search would have to resolve; use a smaller `n`"
                )
            best = max(best, _scan_and_refine(m, n, a, b, h1, h2, sigma), key=_log_value)
            continue
        mid = 0.5 * (h1 + h2)
        for x1, x2 in ((h1, mid), (mid, h2)):
            heapq.heappush(heap, (-_log_envelope(m, n, a, b, x1, x2, sigma), x1, x2))
    return best


def _ripples(m: Method, n: int, a: float, b: float, h1: float, h2: float) -> float:
    """About how many half-periods ``n theta / pi`` of ``P_n`` lie in ``[h1, h2]`` (inside the band):
    the variation of the phase on a small grid clustered at the ends like :func:`_grid`'s, skipping a
    nilpotent point (``c0 = disc = 0``, e.g. Nesterov at ``alpha h = 1``), where the phase is undefined."""
    h = h1 + (h2 - h1) * _warp(np.linspace(0.0, 1.0, 33))
    ch = _kernel.characteristic(m, a, b, h, exact_disc=True)
    theta = _theta(ch)[~((ch.disc == 0.0) & (ch.c0 == 0.0))]
    return float(n * np.abs(np.diff(theta)).sum() / math.pi)


def _scan_and_refine(
    m: Method, n: int, a: float, b: float, mu: float, L: float, sigma: float = 1.0
) -> tuple[float, int]:
    """Grid uniform in the phase, parabolic refinement of the high brackets, double-double values."""
    ends = np.array([mu, L])
    # Scale of the closed-form values: P_n / s**n stays O(n) with s the largest root modulus.
    s = float(_kernel.spectral_radius(m, a, b, ends).max())
    inv_s = 1.0 / s if s > 0.0 and math.isfinite(1.0 / s) else 1.0
    grid, scan = _grid(m, n, a, b, mu, L, inv_s, sigma)
    # Local maxima of the grid values, the ends included: a peak just inside [mu, L] may have
    # only the end above it on the grid. Each bracket [lo, hi] contains a local maximum.
    f = np.concatenate([[-np.inf], scan.abs_p, [-np.inf]])
    top = float(scan.abs_p.max())
    idx = np.flatnonzero((f[1:-1] >= f[:-2]) & (f[1:-1] >= f[2:]) & (f[1:-1] >= _KEEP * top) & (top > 0.0))
    candidates = [ends]
    if idx.size:
        lo, hi = grid[np.maximum(idx - 1, 0)], grid[np.minimum(idx + 1, grid.size - 1)]
        x, d = _refine(m, n, a, b, grid[idx], lo, hi, inv_s, sigma)
        candidates.append(_polish(m, n, a, b, x, d, lo, hi, sigma))
    return _best(*_dd_abs_p(m, n, a, b, np.concatenate(candidates), sigma))


class _Scan(NamedTuple):
    inside: NDArray[np.bool_]  # disc < 0: complex roots
    theta: Arr  # argument of the dominant root
    abs_p: Arr  # |P_n| / s**n


def _scan(m: Method, n: int, a: float, b: float, h: Arr, inv_s: float, sigma: float = 1.0) -> _Scan:
    """The closed form on a grid, in chunks of :data:`_CHUNK` points (memory stays bounded)."""
    out = _Scan(np.empty(h.size, dtype=bool), np.empty(h.size), np.empty(h.size))
    for start in range(0, h.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        ch = _kernel.characteristic(m, a, b, h[part], exact_disc=True)
        out.inside[part] = ch.disc < 0.0
        out.theta[part] = _theta(ch)
        out.abs_p[part] = np.abs(_p_scaled(ch, n, inv_s, sigma))
    return out


def _grid(
    m: Method, n: int, a: float, b: float, mu: float, L: float, inv_s: float, sigma: float = 1.0
) -> tuple[Arr, _Scan]:
    """Sorted grid on ``[mu, L]`` resolving every local maximum of ``|P_n|``, and the scan on it.

    Inside the band: :data:`_PER_PEAK` points per half-period of ``n theta``, placed by
    interpolating ``u(theta)`` on a base grid ``h = lo + (hi - lo) _warp(u)``. Outside it
    (real roots, ``|P_n|`` without oscillation): a uniform grid plus one clustered geometrically
    towards the band, down to the band's own resolution.
    """
    near = 1.0 / (n * _PER_PEAK) ** 2  # relative scale of P_n's variation next to a band edge
    base = np.linspace(0.0, 1.0, _BASE_POINTS)
    ramp = np.concatenate([base, np.geomspace(near, 1.0, 64)])
    pieces = [np.array([mu, L])]
    band = _band(m, a, b)
    if band is not None and band[0] < L and band[1] > mu:
        lo, hi = max(mu, band[0]), min(L, band[1])
        h_base = lo + (hi - lo) * _warp(base)
        theta = np.maximum.accumulate(_theta(_kernel.characteristic(m, a, b, h_base, exact_disc=True)))
        count = math.ceil(n * float(theta[-1] - theta[0]) * _PER_PEAK / math.pi) + 2
        u = np.interp(np.linspace(float(theta[0]), float(theta[-1]), count), theta, base)
        pieces += [h_base, lo + (hi - lo) * _warp(u)]
        closest = (hi - lo) * near
        if mu < lo:
            pieces.append(lo - (lo - mu) * np.maximum(ramp, min(1.0, closest / (lo - mu))))
        if hi < L:
            pieces.append(hi + (L - hi) * np.maximum(ramp, min(1.0, closest / (L - hi))))
    else:
        pieces += [mu + (L - mu) * ramp, L - (L - mu) * ramp]
    grid = np.unique(np.clip(np.concatenate(pieces), mu, L))
    scan = _scan(m, n, a, b, grid, inv_s, sigma)
    # Safety net: split any in-band step longer than 1.5 / _PER_PEAK of a half-period (the map
    # u(theta) is interpolated, and quadratic at ends where [mu, L] cuts the band).
    inside = scan.inside[:-1] & scan.inside[1:]
    steps = np.where(inside, n * np.diff(scan.theta) * _PER_PEAK / math.pi, 0.0)
    wide = np.flatnonzero(steps > 1.5)
    if wide.size:
        extra = [np.linspace(grid[i], grid[i + 1], math.ceil(steps[i]) + 1)[1:-1] for i in wide]
        grid = np.unique(np.concatenate([grid, *extra]))
        scan = _scan(m, n, a, b, grid, inv_s, sigma)
    return grid, scan


def _parabola_step(g: Arr, x: Arr, d: Arr, lo: Arr, hi: Arr) -> tuple[Arr, Arr]:
    """Vertex of the parabola through ``g`` at ``x - d, x, x + d`` (rows of ``g``) where it is
    concave, kept inside the bracket ``[lo, hi]``; returns the new point and the step."""
    curv = g[0] - 2.0 * g[1] + g[2]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        offset = np.where(curv < 0.0, 0.5 * d * (g[0] - g[2]) / curv, 0.0)
    new = np.clip(np.where(np.isfinite(offset), x + offset, x), lo, hi)
    return new, new - x


def _refine(
    m: Method, n: int, a: float, b: float, x: Arr, lo: Arr, hi: Arr, inv_s: float, sigma: float = 1.0
) -> tuple[Arr, Arr]:
    """Successive parabolic interpolation on the closed form towards the maximum of ``|P_n|`` in
    each bracket ``[lo, hi]`` (around a local maximum of the grid, so it contains one).

    Returns the points and the stencil reached. The closed form's rounding (relative ``n eps``,
    more where it cancels) limits how finely float64 values can locate a maximum; the last step,
    on double-double values, does not have that limit (:func:`_polish`).
    """
    d = 0.5 * (hi - lo)
    for _ in range(_REFINE_STEPS):
        pts = np.concatenate([x - d, x, x + d])
        f = _p_scaled(_kernel.characteristic(m, a, b, pts, exact_disc=True), n, inv_s, sigma).reshape(3, -1)
        x, step = _parabola_step(f * np.sign(f[1]), x, d, lo, hi)  # the sign is constant at a peak
        # Shrink the stencil, less so after a long step (the model was poor at that scale).
        d = np.maximum(d / _SHRINK, np.minimum(d, 2.0 * np.abs(step)))
    return x, d


def _polish(m: Method, n: int, a: float, b: float, x: Arr, d: Arr, lo: Arr, hi: Arr, sigma: float = 1.0) -> Arr:
    """A last parabolic step on double-double values: a Newton step on ``|P_n|'``, derivatives
    by differences over the stencil ``d / _SHRINK``. Returns the stencil and the vertex (all are
    candidates: any point gives a valid lower bound)."""
    d = d / _SHRINK
    pts = np.concatenate([x - d, x, x + d])
    mant, expo = _dd_abs_p(m, n, a, b, pts, sigma)
    g = np.ldexp(mant, expo - np.tile(expo[x.size : 2 * x.size], 3)).reshape(3, -1)  # relative to the centre
    vertex, _ = _parabola_step(g, x, d, lo, hi)
    return np.concatenate([np.clip(pts, np.tile(lo, 3), np.tile(hi, 3)), vertex])


def _renormalise(u: DD, v: DD) -> tuple[DD, DD, IntArr]:
    """Divide ``u`` and ``v`` by the power of two that brings ``max(|u|, |v|)`` into ``[0.5, 1)``."""
    k = np.frexp(np.maximum(np.abs(u.hi), np.abs(v.hi)))[1].astype(np.int64)
    return DD(np.ldexp(u.hi, -k), np.ldexp(u.lo, -k)), DD(np.ldexp(v.hi, -k), np.ldexp(v.lo, -k)), k


def _dd_abs_p(m: Method, n: int, a: float, b: float, h: Arr, sigma: float = 1.0) -> tuple[Arr, IntArr]:
    r"""``|P_n(h)| = mant * 2**expo`` to double-double accuracy, by binary powering.

    With :math:`z^j \equiv u z + v \pmod{z^2 - c_1 z + c_0}`: squaring gives
    :math:`(c_1 u^2 + 2 u v,\ v^2 - c_0 u^2)`, a multiplication by :math:`z` gives
    :math:`(c_1 u + v,\ -c_0 u)`, and :math:`P_n = p_{n+1} - c_0 p_n` is the remainder of
    :math:`z^{n+1}` evaluated at :math:`z = 1`, i.e. :math:`u + v`. The coefficients come from the
    method's own functions on double-double inputs, so they carry the exact float64 inputs.
    """
    shape = h.shape
    da, db, dh = DD(a), DD(b), DD(h)
    c1 = _as_dd(m.c1(da, db, dh), shape)
    c0 = _as_dd(m.c0(da, db, dh), shape)
    u = DD(np.zeros(shape))
    v = DD(np.ones(shape))
    expo = np.zeros(shape, dtype=np.int64)
    for bit in bin(n + 1)[2:]:
        uu = u * u
        uv = u * v
        u, v = uu * c1 + uv * 2.0, v * v - c0 * uu
        expo *= 2
        if bit == "1":
            u, v = u * c1 + v, -(c0 * u)
        u, v, k = _renormalise(u, v)
        expo += k
    mant, k = np.frexp(np.abs((u + v * sigma).to_float()))  # x_n = p_{n+1} - sigma c0 p_n
    return np.asarray(mant, dtype=np.float64), expo + k.astype(np.int64)


def _as_dd(x: Any, shape: tuple[int, ...]) -> DD:
    if isinstance(x, DD):
        return DD(np.broadcast_to(x.hi, shape), np.broadcast_to(x.lo, shape))
    return DD(np.broadcast_to(np.asarray(x, dtype=np.float64), shape))


def _best(mant: Arr, expo: IntArr) -> tuple[float, int]:
    """The largest ``mant * 2**expo`` (``mant`` in ``[0.5, 1)`` or 0)."""
    key = np.where(mant > 0.0, expo.astype(np.float64) + np.log2(np.where(mant > 0.0, mant, 1.0)), -np.inf)
    i = int(np.argmax(key))
    return float(mant[i]), int(expo[i])
