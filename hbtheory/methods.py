r"""The method family: every method-specific fact in one place, and the maps from framework conventions.

Every method studied by hbtheory is a linear system in the sense of Lessard, Recht and Packard
(2016): with state :math:`\xi_t = (x_t, x_{t-1})` and input :math:`u_t = \nabla f(y_t)`,

.. math::

    \xi_{t+1} = A \xi_t + B u_t, \qquad y_t = C \xi_t, \qquad z_t = C_z \xi_t,

where :math:`y_t` is the point where the gradient is taken and :math:`z_t` the output. All members
are the general three-parameter method

.. math::

    x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f\bigl(x_t + \gamma (x_t - x_{t-1})\bigr),

with :math:`A = \begin{pmatrix} 1 + \beta & -\beta \\ 1 & 0 \end{pmatrix}`,
:math:`B = \begin{pmatrix} -\alpha \\ 0 \end{pmatrix}`, :math:`C = (1 + \gamma, -\gamma)` and
:math:`C_z = (1 + \delta, -\delta)`: heavy ball is :math:`\gamma = 0`, Nesterov :math:`\gamma = \beta`,
gradient descent :math:`\beta = \gamma = 0`, :func:`general` any fixed :math:`\gamma`, and Triple
Momentum ties :math:`\gamma` and :math:`\delta` to :math:`\beta` (:data:`TRIPLE_MOMENTUM`).

On one eigen-direction of a quadratic with curvature :math:`h` the iteration matrix is
:math:`A + h B C`, with characteristic polynomial :math:`z^2 - c_1 z + c_0`,

.. math::

    c_1 = 1 + \beta - \alpha h (1 + \gamma), \qquad c_0 = \beta - \alpha h \gamma.

Each :class:`Method` carries its coefficient functions (written so that their float64 rounding is
small and known: the error bounds the numeric kernel routes by are fields too), its realisation
(a test checks ``det(zI - (A + hBC)) == z^2 - c1 z + c0`` symbolically for every method), its update
rule (:meth:`Method.step`, used by every layer that iterates) and, where one exists, its
closed-form tuning. The coefficient functions use nothing but ``+``, ``-`` and ``*``, so the same
definition evaluates on floats, numpy arrays, :class:`fractions.Fraction`, sympy symbols and the
double-double numbers of the accurate spectral-radius path. No other module asks a method for its
name to decide what to compute.

The second half maps the ways frameworks and texts write momentum to the canonical
``(method, alpha, beta)``, each with the exact condition under which the map is an identity of
iterates (not merely of rates).

References
----------
B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
Math. Math. Phys. 4(5), 1964. L. Lessard, B. Recht and A. Packard, "Analysis and design of
optimization algorithms via integral quadratic constraints", SIAM J. Optim. 26(1), 2016.
B. Van Scoy, R. A. Freeman and K. M. Lynch, "The fastest known globally convergent first-order
method for minimizing strongly convex functions", IEEE Control Systems Letters 2(1), 2018.
J. Ma and D. Yarats, "Quasi-hyperbolic momentum and Adam for deep learning", ICLR 2019.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from hbtheory._dd import DD
from hbtheory._result import Result
from hbtheory._validation import as_scalar

__all__ = [
    "GRADIENT_DESCENT",
    "HEAVY_BALL",
    "METHODS",
    "NESTEROV",
    "TRIPLE_MOMENTUM",
    "Canonical",
    "ClosedForm",
    "Method",
    "from_chapter",
    "from_d2l",
    "from_ema",
    "from_keras",
    "from_qhm",
    "from_torch",
    "general",
    "get_method",
]

Coefficient = Callable[[Any, Any, Any], Any]
Shift = Callable[[Any], Any]


class ClosedForm(NamedTuple):
    """A method's closed-form tuning on ``[mu, L]`` (see :attr:`Method.closed_form`).

    Attributes
    ----------
    alpha : float
        Step size.
    beta : float
        Momentum (a starting point: :func:`hbtheory.optimal_parameters` refines it on the float64
        grid so that the returned pair attains ``rate``).
    rate : float or None
        Worst asymptotic rate on quadratics with spectrum in ``[mu, L]``, computed without
        cancellation; ``None`` when the method's tuning has no closed-form quadratic rate (it is
        then computed by :func:`hbtheory.worst_case_rate`).
    note : str
        Where the formula comes from.
    """

    alpha: float
    beta: float
    rate: float | None
    note: str


@dataclass(frozen=True, eq=False)
class Method:
    r"""A first-order method of the family, with every fact that differs between methods.

    Attributes
    ----------
    name : str
        Identifier used by every ``method=`` argument (``"heavy_ball"``, ``"nesterov"``,
        ``"gradient_descent"``, ``"triple_momentum"``, ``"general(gamma=0.5)"``).
    title : str
        Human-readable name.
    c1, c0 : callable
        ``c1(alpha, beta, h)`` and ``c0(alpha, beta, h)``: the coefficients of
        :math:`z^2 - c_1 z + c_0`. Pure arithmetic, so they accept floats, arrays, fractions,
        sympy symbols or double-double numbers.
    uses_beta : bool
        ``False`` for gradient descent, whose polynomial does not depend on ``beta``
        (``beta`` must then be 0).
    update : str
        The update rule in LaTeX, in the canonical variables.
    gamma, delta : callable or None
        ``gamma(beta)``: the look-ahead of the gradient point :math:`y = x_t + \gamma (x_t - x_{t-1})`;
        ``delta(beta)``: that of the output :math:`z = x_t + \delta (x_t - x_{t-1})` (``None``: 0).
        Constants for every built-in method but Triple Momentum, whose values are float64
        functions of ``beta``. A user-defined method given only by ``c1`` and ``c0`` has
        ``gamma = None``: everything on quadratics works, but it has no realisation or step.
    error_bounds : tuple of (bool, float, float) or None
        ``(product, k1, k0)``: the float64 evaluation of ``c1`` and ``c0`` by the functions above
        is within ``k1 eps sigma`` and ``k0 eps sigma`` of the exact values (to first order), with
        ``sigma = (1 + |beta|)(1 + |alpha h|)`` when ``product`` else ``1 + |beta| + |alpha h|``.
        :mod:`hbtheory._kernel` routes a point to double-double by them; ``k0 == 0`` means ``c0``
        is exact. Derived at each method's definition below; ``None`` (a user-defined method
        whose rounding is unknown) makes the kernel take its accurate path everywhere.
    closed_form : callable or None
        ``closed_form(mu, L) -> ClosedForm``: the method's tuning on ``[mu, L]`` in closed form,
        or ``None``, in which case :func:`hbtheory.optimal_parameters` minimises numerically.
    reference : str
        Where the method comes from.
    design : callable or None
        ``design(r) -> (beta, gamma, delta)``: the method's momentum parameters as rational functions
        of one design parameter ``r``, for a method whose ``gamma(beta)`` is not polynomial in
        ``beta`` (Triple Momentum: ``beta = r^2/(2 - r)``). :mod:`hbtheory.symbolic` derives such a
        method's results in ``(alpha, r, h)`` so that they stay polynomial; see
        :meth:`design_coefficients`.
    coefficients_at : callable or None
        ``coefficients_at(beta)(alpha, h) == (c1(alpha, beta, h), c0(alpha, beta, h))`` bit for bit
        on float64 arrays, with the work that depends on ``beta`` alone (Triple Momentum's
        ``gamma(beta)``, ``1 + beta``) done once: :mod:`hbtheory._kernel` evaluates a grid's rows
        this way. ``None`` (a user-defined method): the kernel calls ``c1`` and ``c0``. If the
        returned function takes a keyword ``out``, ``at(alpha, h, out=(c1, c0))`` writes the same
        values into the two float64 arrays of the broadcast shape (it may use them as scratch)
        and returns them: the kernel's blocks then reuse two buffers.

    Examples
    --------
    >>> hb = get_method("heavy_ball")
    >>> hb.c1(0.5, 0.25, 1.0), hb.c0(0.5, 0.25, 1.0)
    (0.75, 0.25)
    >>> hb.matrix(0.5, 0.25, 1.0)
    ((0.75, -0.25), (1, 0))
    >>> x, x_prev = hb.step(lambda y: 2.0 * y, 1.0, 1.0, 0.25, 0.5)   # f(x) = x^2 from x_{-1} = x_0 = 1
    >>> x, x_prev
    (0.5, 1.0)
    """

    name: str
    title: str
    c1: Coefficient
    c0: Coefficient
    uses_beta: bool = True
    update: str = ""
    gamma: Shift | None = None
    delta: Shift | None = None
    error_bounds: tuple[bool, float, float] | None = None
    closed_form: Callable[[float, float], ClosedForm] | None = None
    reference: str = ""
    design: Callable[[Any], tuple[Any, Any, Any]] | None = None
    coefficients_at: Callable[[Any], Callable[..., tuple[Any, Any]]] | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Method):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash(("Method", self.name))

    def __repr__(self) -> str:
        return f"Method({self.name!r})"

    def matrix(self, alpha: Any, beta: Any, h: Any) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        """The iteration matrix ``((c1, -c0), (1, 0))`` on a quadratic of curvature ``h``, as nested
        tuples of whatever type the coefficients evaluate to (see
        :func:`hbtheory.spectral.iteration_matrix` for arrays)."""
        return ((self.c1(alpha, beta, h), -self.c0(alpha, beta, h)), (1, 0))

    def design_coefficients(self, alpha: Any, r: Any, h: Any) -> tuple[Any, Any]:
        """``(c1, c0)`` in terms of the design parameter ``r`` (see :attr:`design`); the general
        method's coefficients at ``(beta, gamma) = design(r)``.

        Examples
        --------
        >>> c1, c0 = TRIPLE_MOMENTUM.design_coefficients(1.0, 0.5, 1.0)   # beta = 1/6, gamma = 1/9
        >>> round(c1, 12), round(c0, 12)
        (0.055555555556, 0.055555555556)
        """
        if self.design is None:
            raise ValueError(f"method {self.name!r} has no design parameter")
        b, g, _ = self.design(r)
        c1, c0 = _general_coefficients(_const(g))
        return c1(alpha, b, h), c0(alpha, b, h)

    def _shifts(self, beta: Any) -> tuple[Any, Any]:
        if self.gamma is None:
            raise ValueError(
                f"method {self.name!r} is given by its polynomial only (`gamma` is None): it has no realisation or step"
            )
        return self.gamma(beta), (0 * beta if self.delta is None else self.delta(beta))

    def realisation(self, alpha: Any, beta: Any) -> tuple[Any, Any, Any, Any]:
        r"""The linear system ``(A, B, C, C_z)`` of the method as nested tuples (rows).

        State :math:`\xi_t = (x_t, x_{t-1})`, input :math:`u_t = \nabla f(y_t)`:
        :math:`\xi_{t+1} = A \xi_t + B u_t`, :math:`y_t = C \xi_t`, output :math:`z_t = C_z \xi_t`.
        On a quadratic of curvature ``h`` the iteration matrix is :math:`A + h B C`.

        Examples
        --------
        >>> A, B, C, Cz = get_method("nesterov").realisation(0.1, 0.5)
        >>> A, B, C, Cz
        (((1.5, -0.5), (1, 0)), ((-0.1,), (0,)), ((1.5, -0.5),), ((1.0, -0.0),))
        """
        if not self.uses_beta:
            beta = 0 * beta
        g, d = self._shifts(beta)
        a_mat = ((1 + beta, -beta), (1, 0))
        b_mat = ((-alpha,), (0,))
        c_mat = ((1 + g, -g),)
        cz_mat = ((1 + d, -d),)
        return a_mat, b_mat, c_mat, cz_mat

    def lookahead(self, x: Any, x_prev: Any, beta: Any) -> Any:
        r"""The point :math:`y_t = x_t + \gamma (x_t - x_{t-1})` where the gradient is taken."""
        return x + self._shifts(beta)[0] * (x - x_prev)

    def output(self, x: Any, x_prev: Any, beta: Any) -> Any:
        r"""The output :math:`z_t = x_t + \delta (x_t - x_{t-1})` (``x_t`` unless Triple Momentum)."""
        return x + self._shifts(beta)[1] * (x - x_prev)

    def step(self, grad: Callable[[Any], Any], x: Any, x_prev: Any, alpha: Any, beta: Any) -> tuple[Any, Any]:
        r"""One step of the method: ``(x_{t+1}, x_t)`` from ``(x_t, x_{t-1})``.

        :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(y_t)` with
        :math:`y_t` from :meth:`lookahead`. Arithmetic only, so ``x`` may be a float, a numpy
        array, a :class:`fractions.Fraction` or a torch tensor; ``grad`` maps ``y`` to the
        gradient there. Start from ``x_prev = x`` (a method at rest).

        Examples
        --------
        >>> nag = get_method("nesterov")
        >>> nag.step(lambda y: y, 1.0, 2.0, 0.5, 0.5)   # y = 0.5, x+ = 1 - 0.5 - 0.25
        (0.25, 1.0)
        """
        diff = x - x_prev
        return x + beta * diff - alpha * grad(self.lookahead(x, x_prev, beta)), x


# ------------------------------------------------------------------------------------------------
# The members
# ------------------------------------------------------------------------------------------------
#
# Error bounds (Method.error_bounds), first order, eps the unit roundoff doubled (np.finfo eps):
# * heavy ball (1 + beta) - alpha h: three roundings, each at most eps/2 of a term or of the
#   result (all bounded by sigma = 1 + |beta| + |alpha h|): k1 = 1; c0 = beta is exact;
# * gradient descent 1 - alpha h: two roundings, k1 = 1; c0 = 0 * h is exact;
# * Nesterov (1 + beta)(1 - alpha h): four roundings, (eps/2)(1 + beta)(3 + 4|alpha h|), so k1 = 2
#   with sigma = (1 + |beta|)(1 + |alpha h|); beta (1 - alpha h): (eps/2) beta (3 + 3|alpha h|)
#   <= 0.75 eps sigma, k0 = 1;
# * the general method (1 + beta) - alpha h - (alpha h) gamma and beta - (alpha h) gamma with a
#   float64 gamma: c1 has five roundings, at most (eps/2)((1 + |beta|) + 3|alpha h| + 3|alpha h gamma|)
#   <= 2 (1 + |gamma|) eps sigma (product sigma); c0 three, (eps/2)(|beta| + 3|alpha h gamma|)
#   <= (1 + 2|gamma|) eps sigma. Triple Momentum has gamma in [0, 1/2].


def _const(value: Any) -> Shift:
    def shift(beta: Any) -> Any:
        if isinstance(value, float):  # exact in the caller's exact arithmetic
            if _is_symbolic(beta):
                return _symbolic_constant(value)
            if isinstance(beta, Fraction):
                return Fraction(value)
        return value

    return shift


def _symbolic_constant(value: float) -> Any:
    """The simplest rational that rounds to the float64 ``value`` (exact for sympy work)."""
    import sympy as sp

    simple = sp.nsimplify(value, rational=True)
    return simple if float(simple) == value else sp.Rational(value)


def _same(beta: Any) -> Any:
    return beta


def _hb_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return 1 + beta - alpha * h


def _hb_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return beta


def _nag_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return (1 + beta) * (1 - alpha * h)


def _nag_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return beta * (1 - alpha * h)


def _gd_c1(alpha: Any, beta: Any, h: Any) -> Any:
    return 1 - alpha * h


def _gd_c0(alpha: Any, beta: Any, h: Any) -> Any:
    return 0 * h


def _hb_at(beta: Any) -> Callable[..., tuple[Any, Any]]:
    p = 1 + beta

    def at(alpha: Any, h: Any, out: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
        if out is None:
            return p - alpha * h, beta
        np.subtract(p, alpha * h, out=out[0])
        np.copyto(out[1], beta)
        return out

    return at


def _nag_at(beta: Any) -> Callable[..., tuple[Any, Any]]:
    beta = _once_per_row(_const(0.0), beta)[1]
    p = 1 + beta

    def at(alpha: Any, h: Any, out: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
        w = 1 - alpha * h
        if out is None:
            return p * w, beta * w
        if np.ndim(p) and np.shape(w)[-1:] == (1,) and np.shape(out[0])[-1] > 1:
            # a column against rows: spread once (see _general_at)
            np.copyto(out[1], w)
            w = out[1]
        np.multiply(p, w, out=out[0])
        np.multiply(beta, w, out=out[1])
        return out

    return at


def _gd_at(beta: Any) -> Callable[..., tuple[Any, Any]]:
    def at(alpha: Any, h: Any, out: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
        if out is None:
            return 1 - alpha * h, 0 * h
        np.subtract(1, alpha * h, out=out[0])
        np.multiply(0, h, out=out[1])
        return out

    return at


def _general_at(gamma: Shift) -> Callable[[Any], Callable[..., tuple[Any, Any]]]:
    """``coefficients_at`` of :func:`_general_coefficients`: the same operations in the same order."""

    def prepared(beta: Any) -> Callable[..., tuple[Any, Any]]:
        g, beta = _once_per_row(gamma, beta)
        p = 1 + beta

        def at(alpha: Any, h: Any, out: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
            ah = alpha * h
            if out is None:
                v = ah * g
                return p - ah - v, beta - v
            c1, c0 = out
            if np.ndim(g) and np.shape(ah)[-1:] == (1,) and np.shape(c1)[-1] > 1:
                # a column of alpha h against rows of g: spread it into c1's buffer once, so that
                # both products below run on contiguous operands (faster than broadcasting it twice)
                np.copyto(c1, ah)
                ah = c1
            np.multiply(ah, g, out=c0)  # v, in c0's buffer
            np.subtract(p, ah, out=c1)
            np.subtract(c1, c0, out=c1)
            np.subtract(beta, c0, out=c0)
            return out

        return at

    return prepared


def _once_per_row(gamma: Shift, beta: Any) -> tuple[Any, Any]:
    """``(gamma(beta), beta)``; for a broadcast view of a row (an axis of stride 0, how the kernel
    passes a grid's row to :attr:`Method.coefficients_at`) ``gamma`` runs on the row once and both
    come back as contiguous arrays of the view's shape: the same values, ``gamma`` (Triple
    Momentum's square root and division) not repeated per copy of the row."""
    if not isinstance(beta, np.ndarray) or beta.size <= 1 or 0 not in beta.strides:
        return gamma(beta), beta
    row = beta[tuple(slice(0, 1) if st == 0 else slice(None) for st in beta.strides)]
    g = gamma(row)
    full = np.ascontiguousarray(beta)
    if np.ndim(g) == 0:
        return g, full
    return np.ascontiguousarray(np.broadcast_to(g, beta.shape)), full


def _general_coefficients(gamma: Shift) -> tuple[Coefficient, Coefficient]:
    def c1(alpha: Any, beta: Any, h: Any) -> Any:
        ah = alpha * h
        return 1 + beta - ah - ah * gamma(beta)

    def c0(alpha: Any, beta: Any, h: Any) -> Any:
        return beta - alpha * h * gamma(beta)

    return c1, c0


def _general_bounds(gamma_max: float) -> tuple[bool, float, float]:
    return (True, 2.0 * (1.0 + gamma_max), 1.0 + 2.0 * gamma_max)


# -- Triple Momentum: gamma and delta as float64 functions of beta -------------------------------
#
# Van Scoy, Freeman and Lynch tune by rho = 1 - 1/sqrt(kappa): alpha = (1 + rho)/L,
# beta = rho^2/(2 - rho), gamma = rho^2/((1 + rho)(2 - rho)) = beta/(1 + rho), delta = rho^2/(1 - rho^2).
# As a method of (alpha, beta), rho is the root in [0, 1] of rho^2 + beta rho - 2 beta = 0, so
# gamma and delta are functions of beta. They are evaluated in float64 (a float64 beta gives one
# float64 gamma) and lifted into the caller's number type, so that the coefficient polynomials
# are evaluated exactly at those float64 values on every path (double-double, fractions).


def _tm_rho_float(beta: Any) -> Any:
    b = np.asarray(beta, dtype=np.float64)
    # rho = (sqrt(b^2 + 8b) - b)/2 = 4b/(sqrt(b^2 + 8b) + b): the second form has no cancellation.
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(b * b + 8.0 * b)
        rho = np.where(b > 0.0, 4.0 * b / (root + b), 0.0)
    return rho


def _lift(value: Any, like: Any) -> Any:
    """``value`` (float64) in the number type of ``like``."""
    if isinstance(like, DD):
        return np.asarray(value, dtype=np.float64)
    if isinstance(like, Fraction):
        return Fraction(float(value))
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return float(value)
    if isinstance(like, np.ndarray | np.generic):
        return np.asarray(value, dtype=np.float64)[()] if np.ndim(like) == 0 else np.asarray(value, dtype=np.float64)
    return None


def _beta_float(beta: Any) -> Any:
    return beta.hi if isinstance(beta, DD) else beta


def _is_symbolic(x: Any) -> bool:
    return type(x).__module__.startswith("sympy")


def _tm_design(r: Any) -> tuple[Any, Any, Any]:
    """Triple Momentum's ``(beta, gamma, delta)`` from its design parameter ``r`` (the robust rate)."""
    return r * r / (2 - r), r * r / ((1 + r) * (2 - r)), r * r / ((1 - r) * (1 + r))


def _tm_gamma(beta: Any) -> Any:
    if _is_symbolic(beta):
        import sympy as sp

        rho = (sp.sqrt(beta**2 + 8 * beta) - beta) / 2
        return beta / (1 + rho)
    b = np.asarray(_beta_float(beta), dtype=np.float64) if not isinstance(beta, Fraction) else float(beta)
    g = np.asarray(b, dtype=np.float64) / (1.0 + _tm_rho_float(b))
    return _lift(g, beta) if _lift(g, beta) is not None else g


def _tm_delta(beta: Any) -> Any:
    if _is_symbolic(beta):
        import sympy as sp

        rho = (sp.sqrt(beta**2 + 8 * beta) - beta) / 2
        return rho**2 / (1 - rho**2)
    b = np.asarray(_beta_float(beta), dtype=np.float64) if not isinstance(beta, Fraction) else float(beta)
    rho = _tm_rho_float(b)
    with np.errstate(divide="ignore"):
        d = rho * rho / ((1.0 - rho) * (1.0 + rho))
    return _lift(d, beta) if _lift(d, beta) is not None else d


# -- closed-form tunings ---------------------------------------------------------------------


def _scaled(mu: float, L: float) -> tuple[float, float, int]:
    """``(mu, L) * 2**e`` with ``L * 2**e`` in ``[0.25, 1)``, and ``e``: no overflow in ``3 L + mu``.

    ``e`` is even, so square roots scale exactly too (``sqrt(mu)/sqrt(L)`` has the same bits at
    every scale, and ``sqrt(1/kappa)`` stays exact for a square ``kappa``).
    """
    e = math.frexp(L)[1]
    e += e % 2
    return math.ldexp(mu, -e), math.ldexp(L, -e), -e


def _hb_closed_form(mu: float, L: float) -> ClosedForm:
    ms, Ls, e = _scaled(mu, L)
    sm, sl = math.sqrt(ms), math.sqrt(Ls)
    # 1 - 2 sqrt(mu)/(sqrt(L) + sqrt(mu)) = (sqrt(kappa) - 1)/(sqrt(kappa) + 1), without cancellation
    rate = 1.0 - 2.0 * sm / (sl + sm) if Ls >= 4.0 * ms else (Ls - ms) / (sl + sm) ** 2
    alpha = math.ldexp(4.0 / (sl + sm) ** 2, e)
    note = "optimal parameters (Polyak 1964): both ends of [mu, L] critically damped"
    return ClosedForm(alpha, rate * rate, rate, note)


def _nag_closed_form(mu: float, L: float) -> ClosedForm:
    ms, Ls, e = _scaled(mu, L)
    r, sm = math.sqrt(3.0 * Ls + ms), math.sqrt(ms)
    rate = 1.0 - 2.0 * sm / r if Ls >= 4.0 * ms else 3.0 * (Ls - ms) / (r * (r + 2.0 * sm))
    alpha = math.ldexp(4.0 / (3.0 * Ls + ms), e)
    s = 2.0 * sm
    note = "optimal parameters on quadratics (Lessard, Recht & Packard 2016)"
    return ClosedForm(alpha, (r - s) / (r + s), rate, note)


def _gd_closed_form(mu: float, L: float) -> ClosedForm:
    ms, Ls, e = _scaled(mu, L)
    rate = 1.0 - 2.0 * ms / (Ls + ms) if Ls >= 4.0 * ms else (Ls - ms) / (Ls + ms)
    return ClosedForm(math.ldexp(2.0 / (Ls + ms), e), 0.0, rate, "optimal step 2/(mu + L)")


def _tm_closed_form(mu: float, L: float) -> ClosedForm:
    ms, Ls, e = _scaled(mu, L)
    rho = 1.0 - math.sqrt(ms / Ls)
    alpha = math.ldexp((1.0 + rho) / Ls, e)
    return ClosedForm(
        alpha, rho * rho / (2.0 - rho), None,
        "Triple Momentum's design (Van Scoy, Freeman & Lynch 2018): rate 1 - 1/sqrt(kappa) on every "
        "mu-strongly convex L-smooth function; the rate shown is its worst rate on quadratics",
    )


HEAVY_BALL = Method(
    name="heavy_ball",
    title="Heavy ball (Polyak)",
    c1=_hb_c1,
    c0=_hb_c0,
    gamma=_const(0.0),
    delta=_const(0.0),
    uses_beta=True,
    update=r"x_{t+1} = x_t - \alpha \nabla f(x_t) + \beta (x_t - x_{t-1})",
    error_bounds=(False, 1.0, 0.0),
    closed_form=_hb_closed_form,
    coefficients_at=_hb_at,
    reference="B. T. Polyak, USSR Comput. Math. Math. Phys. 4(5), 1964",
)
NESTEROV = Method(
    name="nesterov",
    title="Nesterov accelerated gradient",
    c1=_nag_c1,
    c0=_nag_c0,
    gamma=_same,
    delta=_const(0.0),
    uses_beta=True,
    update=(
        r"y_t = x_t + \beta (x_t - x_{t-1}),\quad "
        r"x_{t+1} = y_t - \alpha \nabla f(y_t)"
    ),
    error_bounds=(True, 2.0, 1.0),
    closed_form=_nag_closed_form,
    coefficients_at=_nag_at,
    reference="Y. Nesterov, Soviet Math. Dokl. 27, 1983; tuning on quadratics: Lessard, Recht & Packard 2016",
)
GRADIENT_DESCENT = Method(
    name="gradient_descent",
    title="Gradient descent",
    c1=_gd_c1,
    c0=_gd_c0,
    gamma=_const(0.0),
    delta=_const(0.0),
    uses_beta=False,
    update=r"x_{t+1} = x_t - \alpha \nabla f(x_t)",
    error_bounds=(False, 1.0, 0.0),
    closed_form=_gd_closed_form,
    coefficients_at=_gd_at,
    reference="A. Cauchy, 1847",
)
_tm_c1, _tm_c0 = _general_coefficients(_tm_gamma)
TRIPLE_MOMENTUM = Method(
    name="triple_momentum",
    title="Triple Momentum (Van Scoy, Freeman, Lynch)",
    c1=_tm_c1,
    c0=_tm_c0,
    gamma=_tm_gamma,
    delta=_tm_delta,
    uses_beta=True,
    update=(
        r"y_t = x_t + \gamma (x_t - x_{t-1}),\quad "
        r"x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(y_t),\quad "
        r"z_t = x_t + \delta (x_t - x_{t-1}),\quad "
        r"\gamma = \tfrac{\beta}{1 + r},\ \delta = \tfrac{r^2}{1 - r^2},\ r^2 + \beta r = 2 \beta"
    ),
    error_bounds=_general_bounds(0.5),
    closed_form=_tm_closed_form,
    reference="B. Van Scoy, R. A. Freeman, K. M. Lynch, IEEE Control Systems Letters 2(1), 2018",
    design=_tm_design,
    coefficients_at=_general_at(_tm_gamma),
)

METHODS: dict[str, Method] = {m.name: m for m in (HEAVY_BALL, NESTEROV, GRADIENT_DESCENT, TRIPLE_MOMENTUM)}


@functools.lru_cache(maxsize=256)
def _general(gamma: float) -> Method:
    c1, c0 = _general_coefficients(_const(gamma))
    return Method(
        name=f"general(gamma={gamma!r})",
        title=f"General three-parameter method, gamma = {gamma!r}",
        c1=c1,
        c0=c0,
        gamma=_const(gamma),
        delta=_const(0.0),
        uses_beta=True,
        update=(
            rf"x_{{t+1}} = x_t + \beta (x_t - x_{{t-1}}) - \alpha \nabla f(x_t + \gamma (x_t - x_{{t-1}})),"
            rf"\quad \gamma = {gamma!r}"
        ),
        error_bounds=_general_bounds(abs(gamma)),
        closed_form=None,
        reference="the family of Lessard, Recht & Packard 2016, Sec. 2",
        coefficients_at=_general_at(_const(gamma)),
    )


def general(gamma: float) -> Method:
    r"""The general three-parameter method with a fixed look-ahead ``gamma``.

    :math:`x_{t+1} = x_t + \beta (x_t - x_{t-1}) - \alpha \nabla f(x_t + \gamma (x_t - x_{t-1}))`;
    on a quadratic of curvature ``h``, :math:`c_1 = 1 + \beta - \alpha h (1 + \gamma)`,
    :math:`c_0 = \beta - \alpha h \gamma`. ``gamma = 0`` is heavy ball; Nesterov is ``gamma = beta``
    (a different ``gamma`` at each ``beta``, so it is its own :data:`NESTEROV`). It has no
    closed-form tuning: :func:`hbtheory.optimal_parameters` minimises its worst rate numerically.
    ``get_method("general(gamma=0.5)")`` (or ``"general(0.5)"``) gives the same method.

    Parameters
    ----------
    gamma : float
        The look-ahead, any finite real.

    Returns
    -------
    Method

    Raises
    ------
    ValueError
        For a ``gamma`` that is not a finite real.

    Examples
    --------
    >>> m = general(0.5)
    >>> m.name, m.c1(0.5, 0.25, 1.0), m.c0(0.5, 0.25, 1.0)
    ('general(gamma=0.5)', 0.5, 0.0)
    >>> get_method("general(0.5)") == m
    True
    """
    g = as_scalar(gamma, "gamma")
    return _general(g + 0.0)  # -0.0 and 0.0 name one method


_GENERAL_NAME = re.compile(r"^general\((?:gamma=)?\s*([^)]+)\)$")


def get_method(method: str | Method) -> Method:
    """Return the :class:`Method` called ``method`` (``-``, spaces and case are ignored).

    Parameters
    ----------
    method : str or Method
        ``"heavy_ball"``, ``"nesterov"``, ``"gradient_descent"``, ``"triple_momentum"``,
        ``"general(gamma=G)"`` (also ``"general(G)"``), or a :class:`Method`.

    Returns
    -------
    Method

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    TypeError
        If ``method`` is neither a string nor a :class:`Method`.

    Examples
    --------
    >>> get_method("Heavy-Ball").title
    'Heavy ball (Polyak)'
    >>> get_method("general(gamma=0.25)").c0(1.0, 0.5, 1.0)
    0.25
    >>> get_method("general(gamma=-0.5)") is general(-0.5)
    True
    """
    if isinstance(method, Method):
        return method
    if not isinstance(method, str):
        raise TypeError(f"`method` must be a string or a Method, got {type(method).__name__}")
    compact = method.strip().lower().replace(" ", "")
    key = compact.replace("-", "_")
    if key in METHODS:
        return METHODS[key]
    match = _GENERAL_NAME.match(compact)  # before "-" -> "_": gamma may be negative
    if match:
        try:
            value = float(match.group(1))
        except ValueError:
            raise ValueError(f"`method` {method!r}: gamma must be a number, e.g. 'general(gamma=0.5)'") from None
        if not math.isfinite(value):
            raise ValueError(f"`method` {method!r}: gamma must be a finite number, e.g. 'general(gamma=0.5)'")
        return general(value)
    known = ", ".join(repr(k) for k in METHODS)
    raise ValueError(f"`method` must be one of {known} or 'general(gamma=G)' with a finite G, got {method!r}")


# --------------------------------------------------------------------------------------------
# Conventions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Canonical(Result):
    """Canonical parameters ``(method, alpha, beta)`` of an update written in some convention.

    Attributes
    ----------
    method : str
        The name of a :class:`Method` (``"heavy_ball"``, ``"nesterov"``, ``"gradient_descent"`` or
        ``"general(gamma=G)"``).
    alpha, beta : float
        Step size and momentum of the canonical recurrence (see :data:`METHODS`).
    exact : bool
        ``True`` when the convention's iterates equal the canonical iterates started from
        ``x_{-1} = x_0`` for every step (at a constant learning rate); ``False`` when only the
        recurrence from the second step on (hence every rate) agrees.
    note : str
        The condition of equivalence in words.

    Examples
    --------
    >>> c = from_torch(lr=0.1, momentum=0.9)
    >>> (c.method, c.alpha, c.beta, c.exact)
    ('heavy_ball', 0.1, 0.9, True)
    >>> c.to_torch()
    {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.0, 'nesterov': False}
    >>> Canonical("general(gamma=0.0)", 0.1, 0.9, True, "").to_torch()["nesterov"]   # gamma = 0: heavy ball
    False
    """

    method: str
    alpha: float
    beta: float
    exact: bool
    note: str

    def as_method(self) -> Method:
        """The :class:`Method` named by :attr:`method`."""
        return get_method(self.method)

    def to_torch(self) -> dict[str, Any]:
        """Keyword arguments of ``torch.optim.SGD`` that run these canonical parameters exactly.

        Raises ``ValueError`` for a method that ``torch.optim.SGD`` cannot run: a look-ahead
        ``gamma`` other than ``0`` (plain momentum) or ``beta`` (``nesterov=True``), an output shift
        (Triple Momentum), or a method given by its polynomial only.
        """
        m = self.as_method()
        # torch.optim.SGD runs the family's members with no output shift whose look-ahead is 0
        # (plain momentum) or beta (nesterov=True): decided from the method's gamma, not its name.
        shift = 0.0 if m.delta is None else float(m.delta(self.beta))
        if m.gamma is not None and shift == 0.0:
            gamma = float(m.gamma(self.beta))
            if gamma == 0.0:
                return {"lr": self.alpha, "momentum": self.beta, "dampening": 0.0, "nesterov": False}
            if gamma == self.beta:
                return {"lr": self.alpha, "momentum": self.beta, "dampening": 0.0, "nesterov": True}
        raise ValueError(
            f"`method` {self.method!r} has no torch.optim.SGD equivalent at beta = {self.beta!r}: torch runs the "
            "look-ahead gamma = 0 (momentum) or gamma = beta (nesterov=True) only"
        )


_CONSTANT_LR = "at a constant learning rate; under a schedule the maps differ (see the docs)"


def from_torch(lr: float, momentum: float, dampening: float = 0.0, nesterov: bool = False) -> Canonical:
    r"""Canonical parameters of ``torch.optim.SGD(lr, momentum, dampening, nesterov)``.

    PyTorch keeps a buffer :math:`b` with :math:`b_1 = g_1` (the first step is never damped) and
    :math:`b_t = m\, b_{t-1} + (1 - d)\, g_t`, then steps :math:`p \mathrel{-}= \mathrm{lr}\, b_t`
    (or :math:`p \mathrel{-}= \mathrm{lr}\,(g_t + m\, b_t)` with ``nesterov=True``).

    * ``nesterov=False``: heavy ball with ``alpha = lr * (1 - dampening)``, ``beta = momentum``.
      With ``dampening == 0`` the iterates are identical to heavy ball started from
      ``x_{-1} = x_0``. With ``dampening > 0`` the undamped first step is ``1 / (1 - dampening)``
      times too long, so only the recurrence from step two on (and every rate) agrees.
    * ``nesterov=True``: PyTorch's parameter is the look-ahead point ``y_t`` of Nesterov's method
      with ``alpha = lr``, ``beta = momentum``, identical for every step (``y_0 = x_0``).
      PyTorch requires ``momentum > 0`` and ``dampening == 0`` here, and so does this function.

    Parameters
    ----------
    lr : float
        Learning rate, ``> 0``.
    momentum : float
        Momentum factor in ``[0, 1)``.
    dampening : float, optional
        Dampening in ``[0, 1)``.
    nesterov : bool, optional
        PyTorch's Nesterov flag.

    Returns
    -------
    Canonical

    Raises
    ------
    ValueError
        For a parameter outside its range, or ``nesterov=True`` with ``momentum == 0`` or
        ``dampening != 0``.

    Examples
    --------
    >>> from_torch(0.01, 0.8).alpha
    0.01
    >>> c = from_torch(0.1, 0.9, dampening=0.5)
    >>> (c.alpha, c.beta, c.exact)
    (0.05, 0.9, False)
    >>> from_torch(0.1, 0.9, nesterov=True).method
    'nesterov'
    """
    lr = as_scalar(lr, "lr", low=0.0, low_open=True)
    momentum = as_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    dampening = as_scalar(dampening, "dampening", low=0.0, high=1.0, high_open=True)
    if not isinstance(nesterov, (bool, np.bool_)):  # numpy booleans too, as worst_case's `log`
        raise TypeError(f"`nesterov` must be a bool, got {type(nesterov).__name__}")
    nesterov = bool(nesterov)
    if nesterov:
        if momentum == 0.0 or dampening != 0.0:
            raise ValueError("`nesterov=True` requires `momentum` in (0, 1) and `dampening` == 0 (as torch.optim.SGD)")
        return Canonical(
            "nesterov", lr, momentum, True,
            "torch's parameter is Nesterov's look-ahead point y_t; identical iterates " + _CONSTANT_LR,
        )
    if dampening == 0.0:
        return Canonical("heavy_ball", lr, momentum, True, "identical iterates " + _CONSTANT_LR)
    return Canonical(
        "heavy_ball", _positive_product(lr, 1.0 - dampening, "lr"), momentum, False,
        "same recurrence from step 2 on; torch's first step is undamped, 1/(1-dampening) times longer",
    )


def from_chapter(lr: float, gamma: float) -> Canonical:
    r"""Canonical parameters of the source chapter's hand-written step.

    The update is :math:`v \leftarrow \gamma v + \mathrm{lr}\, g`, :math:`p \leftarrow p - v`
    with :math:`v_0 = 0`: heavy ball with ``alpha = lr``, ``beta = gamma``, identical iterates at a
    constant learning rate. Under a schedule ``lr_t`` the learning rate sits *inside* the buffer,
    so old steps keep their old ``lr``; PyTorch multiplies the whole buffer by the current ``lr``.

    Parameters
    ----------
    lr : float
        Learning rate, ``> 0``.
    gamma : float
        Momentum in ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> c = from_chapter(0.01, 0.8)
    >>> (c.method, c.alpha, c.beta, c.exact)
    ('heavy_ball', 0.01, 0.8, True)
    """
    lr = as_scalar(lr, "lr", low=0.0, low_open=True)
    gamma = as_scalar(gamma, "gamma", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", lr, gamma, True, "identical iterates " + _CONSTANT_LR)


def from_keras(learning_rate: float, momentum: float) -> Canonical:
    r"""Canonical parameters of the Keras-style update :math:`v \leftarrow m v - \eta g`,
    :math:`p \leftarrow p + v` (``v_0 = 0``).

    The velocity has the opposite sign to the chapter's, the iterates are the same:
    heavy ball with ``alpha = learning_rate``, ``beta = momentum``, exact at a constant rate.

    Parameters
    ----------
    learning_rate : float
        ``> 0``.
    momentum : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_keras(0.01, 0.9).beta
    0.9
    """
    learning_rate = as_scalar(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = as_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", learning_rate, momentum, True, "identical iterates " + _CONSTANT_LR)


def from_d2l(eta: float, beta: float) -> Canonical:
    r"""Canonical parameters of the d2l / optax form :math:`v \leftarrow \beta v + g`,
    :math:`x \leftarrow x - \eta v` (``v_0 = 0``).

    This is PyTorch's undamped convention: heavy ball with ``alpha = eta``, exact at a constant
    ``eta``. The learning rate is outside the buffer, as in PyTorch.

    Parameters
    ----------
    eta : float
        ``> 0``.
    beta : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_d2l(0.6, 0.5).alpha
    0.6
    """
    eta = as_scalar(eta, "eta", low=0.0, low_open=True)
    beta = as_scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    return Canonical("heavy_ball", eta, beta, True, "identical iterates " + _CONSTANT_LR)


def from_ema(eta: float, beta: float) -> Canonical:
    r"""Canonical parameters of the exponential-moving-average form
    :math:`m \leftarrow \beta m + (1 - \beta) g`, :math:`x \leftarrow x - \eta m` (``m_0 = 0``).

    Heavy ball with ``alpha = eta * (1 - beta)``: the average is normalised, so there is no
    ``1 / (1 - beta)`` amplification of the step. Exact at a constant ``eta`` (the first step is
    ``eta * (1 - beta) * g``, the canonical first step).

    Parameters
    ----------
    eta : float
        ``> 0``.
    beta : float
        In ``[0, 1)``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> from_ema(1.0, 0.9).alpha  # doctest: +ELLIPSIS
    0.0999999999999999...
    """
    eta = as_scalar(eta, "eta", low=0.0, low_open=True)
    beta = as_scalar(beta, "beta", low=0.0, high=1.0, high_open=True)
    alpha = _positive_product(eta, 1.0 - beta, "eta")
    return Canonical("heavy_ball", alpha, beta, True, "identical iterates " + _CONSTANT_LR)


def from_qhm(lr: float, momentum: float, nu: float) -> Canonical:
    r"""Canonical parameters of quasi-hyperbolic momentum (Ma and Yarats 2019), PyTorch style.

    The update is :math:`g \leftarrow \beta g + (1 - \beta) \nabla f(\theta)`,
    :math:`\theta \leftarrow \theta - \alpha ((1 - \nu) \nabla f(\theta) + \nu g)` with
    :math:`g_0 = 0` (``lr`` = :math:`\alpha`, ``momentum`` = :math:`\beta`). Eliminating ``g``,

    .. math::

        \theta_{t+1} = \theta_t + \beta (\theta_t - \theta_{t-1}) - \alpha (1 - \nu\beta) \nabla f(\theta_t)
        + \alpha \beta (1 - \nu) \nabla f(\theta_{t-1}),

    which on a quadratic (an affine gradient) is the general method of :func:`general` with
    ``alpha' = lr (1 - momentum)``, ``beta' = momentum`` and ``gamma = momentum (1 - nu) / (1 - momentum)``.

    * ``nu == 1``: the exponential-moving-average form (:func:`from_ema`): heavy ball, identical
      iterates on every function;
    * ``nu == 0`` or ``momentum == 0``: plain gradient descent with ``alpha = lr``, identical iterates;
    * otherwise the general method, with the same recurrence from the second step on and on
      quadratics only (``exact=False``): QHM's first step is ``lr (1 - nu momentum)`` times the
      gradient, the canonical one ``lr (1 - momentum)`` times it, and on a non-quadratic function the
      two gradients at ``theta_t`` and ``theta_{t-1}`` are not one gradient at a look-ahead point.

    Parameters
    ----------
    lr : float
        Learning rate, ``> 0``.
    momentum : float
        In ``[0, 1)``.
    nu : float
        The immediate discount factor, in ``[0, 1]``.

    Returns
    -------
    Canonical

    Examples
    --------
    >>> c = from_qhm(1.0, 0.5, 0.5)
    >>> c.method, c.alpha, c.beta, c.exact
    ('general(gamma=0.5)', 0.5, 0.5, False)
    >>> from_qhm(0.1, 0.9, 1.0).method, from_qhm(0.1, 0.9, 0.0).method
    ('heavy_ball', 'gradient_descent')
    """
    lr = as_scalar(lr, "lr", low=0.0, low_open=True)
    momentum = as_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    nu = as_scalar(nu, "nu", low=0.0, high=1.0)
    if nu == 0.0 or momentum == 0.0:
        return Canonical("gradient_descent", lr, 0.0, True, "QHM with nu = 0 or momentum = 0 is plain gradient descent")
    alpha = _positive_product(lr, 1.0 - momentum, "lr")
    if nu == 1.0:
        return Canonical("heavy_ball", alpha, momentum, True, "QHM with nu = 1 is the EMA form: identical iterates "
                         + _CONSTANT_LR)
    gamma = momentum * (1.0 - nu) / (1.0 - momentum)
    return Canonical(
        general(gamma).name, alpha, momentum, False,
        "same recurrence from step 2 on, on quadratics only; QHM's first step is (1 - nu momentum)/(1 - momentum) "
        "times the canonical one",
    )


def _positive_product(x: float, factor: float, name: str) -> float:
    """``x * factor`` (``factor`` in (0, 1]), or a ``ValueError`` naming ``name`` when it underflows to 0."""
    value = x * factor
    if value == 0.0:
        raise ValueError(f"`{name}` = {x!r} is too small: the canonical step {name} * {factor!r} underflows to 0")
    return value
