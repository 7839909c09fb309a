r"""Exact derivations with sympy: the theory of :mod:`hbtheory.methods`, derived rather than typed.

Every result here is built from the two coefficients :math:`c_1(\alpha, \beta, h)`,
:math:`c_0(\alpha, \beta, h)` of a method's characteristic polynomial :math:`z^2 - c_1 z + c_0`,
applied to sympy symbols. Nothing about a particular method is retyped: the region comes from a
generic Schur–Cohn test, the critical curves from solving the discriminant, the optimum from the
equal-ripple equations, the noise variance from a Lyapunov equation.

Public API (``method`` is ``"heavy_ball"``, ``"nesterov"`` or ``"gradient_descent"``):

* symbols :data:`alpha`, :data:`beta`, :data:`h`, :data:`mu`, :data:`L`, :data:`kappa`, :data:`g`,
  :data:`t`, :data:`sigma`, :data:`z`, :data:`rho`;
* :func:`iteration_matrix`, :func:`characteristic_polynomial`, :func:`eigenvalues`,
  :func:`discriminant`;
* :func:`schur_cohn_conditions` (any real polynomial) and :func:`convergence_region`;
* :func:`critical_curves` (:class:`CriticalCurves`), :func:`optimal_parameters`
  (:class:`OptimalParameters`);
* :func:`amplification_series` (:class:`AmplificationSeries`), :func:`stationary_variance`;
* :func:`derivation`, :func:`latex` and :func:`to_numpy` (a ``lambdify`` bridge to numpy).

Symbol assumptions: ``alpha``, ``mu``, ``L``, ``kappa``, ``sigma``, ``rho`` are positive;
``beta``, ``h``, ``g`` are real (negative ``beta`` and ``h`` are meaningful for the region);
``t`` is a positive integer; ``z`` is complex. The derivations are cached, so a repeated call is
instantaneous and returns the same (immutable) sympy objects.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from hbtheory.methods import Method, get_method

__all__ = [
    "AmplificationSeries",
    "CriticalCurves",
    "L",
    "MeanSquareRegion",
    "OptimalParameters",
    "alpha",
    "amplification_series",
    "beta",
    "characteristic_polynomial",
    "convergence_region",
    "critical_curves",
    "derivation",
    "discriminant",
    "eigenvalues",
    "g",
    "h",
    "iteration_matrix",
    "kappa",
    "latex",
    "mean_square_region",
    "mu",
    "optimal_parameters",
    "r",
    "rho",
    "schur_cohn_conditions",
    "sigma",
    "stationary_variance",
    "t",
    "to_numpy",
    "z",
]

#: Step size, ``> 0``.
alpha = sp.Symbol("alpha", positive=True)
#: Momentum; real (the region is derived for every real value).
beta = sp.Symbol("beta", real=True)
#: Curvature (Hessian eigenvalue); real, negative on directions of negative curvature.
h = sp.Symbol("h", real=True)
#: Smallest curvature of the spectrum interval ``[mu, L]``.
mu = sp.Symbol("mu", positive=True)
#: Largest curvature of the spectrum interval ``[mu, L]``.
L = sp.Symbol("L", positive=True)
#: Condition number ``L / mu``.
kappa = sp.Symbol("kappa", positive=True)
#: A constant gradient (amplification).
g = sp.Symbol("g", real=True)
#: A number of steps.
t = sp.Symbol("t", integer=True, positive=True)
#: Standard deviation of the gradient noise.
sigma = sp.Symbol("sigma", positive=True)
#: Variable of the characteristic polynomial.
z = sp.Symbol("z")
#: A rate (the unknown of the equal-ripple equations).
rho = sp.Symbol("rho", positive=True)
#: The design parameter of a method whose momentum parameters are functions of one number
#: (Triple Momentum: its robust rate, with ``beta = r**2 / (2 - r)``); see ``Method.design``.
r = sp.Symbol("r", positive=True)

_ORDER = (alpha, beta, r, h, mu, L, kappa, g, t, sigma, z, rho)

# Auxiliary unknowns, substituted away before anything is returned.
_r = sp.Dummy("r", positive=True)  # sqrt(alpha*h)
_s = sp.Dummy("s", positive=True)  # sqrt(beta)
_q = sp.Dummy("q", positive=True)  # alpha*mu, the dimensionless step
_w = sp.Dummy("w", positive=True)  # a square root being rationalised
_k = sp.Symbol("k", integer=True, nonnegative=True)  # summation index (shown in LaTeX)


# --------------------------------------------------------------------------------------------
# Small algebra helpers
# --------------------------------------------------------------------------------------------


def _negative_constant(expr: Any) -> bool:
    """Whether an ``Add`` has a negative constant term (``beta - 1``, ``alpha*h - 2``)."""
    const, _ = expr.as_coeff_Add()
    return bool(const.is_negative)


def _tidy_signs(expr: Any) -> Any:
    """Rewrite a product so that its sum factors have non-negative constant terms.

    ``alpha*sigma**2*(beta + 1)/(h*(beta - 1)*(alpha*h - 2*beta - 2))`` becomes
    ``alpha*sigma**2*(beta + 1)/(h*(1 - beta)*(2*beta + 2 - alpha*h))``: the same expression with
    the signs where a reader expects them. Pure presentation; the value is unchanged.
    """
    coeff, factors = sp.factor(expr).as_coeff_mul()
    out: list[list[Any]] = []
    flipped_odd: list[int] = []
    for f in factors:
        base, exp = f.as_base_exp()
        if base.is_Add and exp.is_Integer and _negative_constant(base):
            base = -base
            if exp % 2:
                coeff = -coeff
                flipped_odd.append(len(out))
        out.append([base, exp])
    if coeff.is_negative and flipped_odd:
        i = flipped_odd[0]
        out[i][0] = -out[i][0]
        coeff = -coeff
    return sp.Mul(coeff, *(b**e for b, e in out))


def _with_sqrt_alpha_h(expr: Any) -> Any:
    """Substitute ``sqrt(alpha*h)`` back for the auxiliary ``r``."""
    return expr.subs(_r, sp.sqrt(alpha * h))


def _in_alpha_h(expr: Any) -> Any | None:
    """``expr`` as a function of ``r = sqrt(alpha*h)`` (``None`` if it is not a function of ``alpha*h``)."""
    out = sp.expand(expr.subs(alpha, _r**2 / h))
    return None if out.has(h) else out


def _rationalise(expr: Any, var: Any) -> Any:
    """Simplify an expression with one square root ``sqrt(E(var))`` by solving ``E = w**2`` for ``var``.

    With ``w`` positive the expression becomes rational in ``w``, where ``factor``/``cancel`` find
    the simple form (``(kappa + 1 - 2*sqrt(kappa))/(kappa - 1)`` -> ``(sqrt(kappa) - 1)/(sqrt(kappa) + 1)``).
    Among the candidates the shortest when printed is returned.
    """
    expr = sp.sympify(expr)
    candidates = [sp.factor(sp.cancel(expr))]
    radicands = {p.base for p in expr.atoms(sp.Pow) if p.exp.is_Rational and p.exp.q == 2 and p.base.has(var)}
    if len(radicands) == 1:
        (radicand,) = radicands
        solutions = sp.solve(sp.Eq(radicand, _w**2), var)
        if len(solutions) == 1:
            rational = sp.factor(sp.cancel(expr.subs(var, solutions[0])))
            back = rational.subs(_w, sp.sqrt(radicand))
            candidates += [back, sp.expand(back)]
    return _shortest(candidates)


def _shortest(candidates: Sequence[Any]) -> Any:
    """The candidate with the shortest printed form (then the fewest operations): presentation only."""
    return min(candidates, key=lambda e: (len(str(e)), sp.count_ops(e)))


# --------------------------------------------------------------------------------------------
# Matrix, polynomial, eigenvalues, discriminant
# --------------------------------------------------------------------------------------------


@functools.cache
def _param(m: Method) -> Any:
    """The symbol of the momentum parameter: ``beta``, or ``r`` for a method with a design parameter."""
    return beta if m.design is None else r


def _coefficients(m: Method) -> tuple[Any, Any]:
    """``(c1, c0)`` of ``m`` in ``(alpha, beta, h)``, or in ``(alpha, r, h)`` when ``m.design`` is set
    (there ``gamma(beta)`` is not polynomial in ``beta``, but every parameter is rational in ``r``)."""
    if m.design is None:
        return m.c1(alpha, beta, h), m.c0(alpha, beta, h)
    c1, c0 = m.design_coefficients(alpha, r, h)
    return sp.factor(sp.together(c1)), sp.factor(sp.together(c0))


def _matrix(m: Method) -> Any:
    c1, c0 = _coefficients(m)
    return sp.ImmutableMatrix([[c1, -c0], [1, 0]])


def iteration_matrix(method: str | Method = "heavy_ball") -> Any:
    r"""The iteration matrix :math:`A = \begin{pmatrix} c_1 & -c_0 \\ 1 & 0 \end{pmatrix}` in ``alpha, beta, h``.

    It maps :math:`(e_t, e_{t-1})` to :math:`(e_{t+1}, e_t)` on one eigen-direction of curvature
    :math:`h`, with :math:`c_1, c_0` read from :mod:`hbtheory.methods`.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    sympy.Matrix
        A new 2x2 matrix (a mutable copy of the cached one).

    Raises
    ------
    ValueError
        For an unknown ``method``.
    TypeError
        If ``method`` is not a string or :class:`~hbtheory.methods.Method`.

    Notes
    -----
    :func:`hbtheory.spectral.iteration_matrix` evaluates the same entries in float64.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
    Math. Math. Phys. 4(5), 1964.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.iteration_matrix("heavy_ball")
    Matrix([
    [-alpha*h + beta + 1, -beta],
    [                  1,     0]])
    >>> symbolic.iteration_matrix("nesterov")[0, 1]
    -beta*(-alpha*h + 1)
    """
    return sp.Matrix(_matrix(get_method(method)))


@functools.cache
def _charpoly(m: Method) -> Any:
    if m.design is not None:  # coefficients rational in r: keep them whole rather than expand over r
        c1, c0 = _coefficients(m)
        return z**2 - c1 * z + c0
    det = (z * sp.eye(2) - _matrix(m)).det()
    return sp.collect(sp.expand(det), z)


def characteristic_polynomial(method: str | Method = "heavy_ball") -> Any:
    r"""The characteristic polynomial :math:`\det(z I - A)` of the iteration matrix, in :data:`z`.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    sympy.Expr
        :math:`z^2 - c_1 z + c_0`, expanded and collected in ``z``.

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    Computed as the determinant of :math:`zI - A` (not read off the coefficients), so the test
    that it equals :math:`z^2 - c_1 z + c_0` checks the matrix as well.

    References
    ----------
    Polyak (1964), see :func:`iteration_matrix`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.characteristic_polynomial("heavy_ball")
    beta + z**2 + z*(alpha*h - beta - 1)
    >>> symbolic.characteristic_polynomial("gradient_descent")
    z**2 + z*(alpha*h - 1)
    """
    return _charpoly(get_method(method))


@functools.cache
def _eigenvalues(m: Method) -> tuple[Any, ...]:
    found = sp.roots(sp.Poly(_charpoly(m), z))
    values = [root for root, mult in found.items() for _ in range(mult)]
    if len(values) != 2:  # pragma: no cover - a quadratic always has two roots
        raise RuntimeError(f"expected two roots of the characteristic polynomial, got {found}")
    return tuple(sorted(values, key=sp.default_sort_key))


def eigenvalues(method: str | Method = "heavy_ball") -> tuple[Any, Any]:
    r"""The two eigenvalues of the iteration matrix (roots of :func:`characteristic_polynomial`).

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    tuple of sympy.Expr
        Both roots, repeated according to multiplicity, in sympy's canonical order.

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    The roots are :math:`(c_1 \pm \sqrt{D})/2` with :math:`D` the :func:`discriminant`; the
    spectral radius is the larger modulus, :math:`\sqrt{c_0}` when :math:`D < 0`.

    References
    ----------
    Polyak (1964), see :func:`iteration_matrix`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.eigenvalues("gradient_descent")
    (0, -alpha*h + 1)
    >>> z1, z2 = symbolic.eigenvalues("heavy_ball")
    >>> sorted(float(abs(v.subs({symbolic.alpha: 1, symbolic.beta: 0.25, symbolic.h: 1}))) for v in (z1, z2))
    [0.5, 0.5]
    """
    first, second = _eigenvalues(get_method(method))
    return first, second


def _factor_over_square_roots(factor: Any) -> Any:
    """Factor a polynomial in ``alpha, beta, h`` further over ``sqrt(alpha*h)`` and ``sqrt(beta)``.

    Only factors that contain ``beta`` are split (those carry the critical-damping curves); the
    finer of the candidate factorisations is kept.
    """
    if not factor.has(beta):
        return factor
    candidates = [factor]
    in_r = _in_alpha_h(factor)
    if in_r is not None:
        candidates.append(sp.factor(in_r))
        candidates.append(sp.factor(in_r.subs(beta, _s**2)))
    best = max(candidates, key=lambda c: len(sp.factor_list(c)[1]))  # first maximum: fewest roots
    return best.subs({_r: sp.sqrt(alpha * h), _s: sp.sqrt(beta)})


@functools.cache
def _discriminant(m: Method) -> tuple[Any, Any]:
    if m.design is not None:
        c1, c0 = _coefficients(m)
        disc = sp.factor(sp.together(c1**2 - 4 * c0))
        return disc, disc
    expanded = sp.expand(sp.discriminant(_charpoly(m), z))
    coeff, factors = sp.factor_list(expanded)
    product = sp.Mul(coeff, *(_factor_over_square_roots(f) ** e for f, e in factors))
    return expanded, _tidy_signs(product) if product.free_symbols else product


def discriminant(method: str | Method = "heavy_ball", *, factored: bool = True) -> Any:
    r"""The discriminant :math:`D = c_1^2 - 4 c_0` of the characteristic polynomial.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.
    factored : bool, optional
        ``True`` (default): fully factored, splitting the factors that contain ``beta`` over
        :math:`\sqrt{\alpha h}` and :math:`\sqrt{\beta}` when that splits them further.
        ``False``: expanded polynomial in ``alpha, beta, h``.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``; ``TypeError`` if ``factored`` is not a bool.

    Notes
    -----
    Heavy ball: :math:`D = (1+\beta-\alpha h)^2 - 4\beta` splits into four linear factors in
    :math:`\sqrt{\alpha h}` and :math:`\sqrt\beta`,

    .. math::

        D = (1 - \sqrt\beta - \sqrt{\alpha h})(1 - \sqrt\beta + \sqrt{\alpha h})
            (1 + \sqrt\beta - \sqrt{\alpha h})(1 + \sqrt\beta + \sqrt{\alpha h}),

    i.e. :math:`((1-\sqrt\beta)^2 - \alpha h)((1+\sqrt\beta)^2 - \alpha h)` after pairing.
    Nesterov: :math:`D = (1 - \alpha h)\,\big((1-\beta)^2 - \alpha h (1+\beta)^2\big)`, the second
    factor splitting over :math:`\sqrt{\alpha h}`. Gradient descent: :math:`(1 - \alpha h)^2`.
    The identities are polynomial identities in the square roots, valid on every branch (also for
    :math:`\alpha h < 0` or :math:`\beta < 0`, where a root is imaginary).

    References
    ----------
    Polyak (1964), see :func:`iteration_matrix`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.discriminant("heavy_ball", factored=False)
    alpha**2*h**2 - 2*alpha*beta*h - 2*alpha*h + beta**2 - 2*beta + 1
    >>> symbolic.discriminant("gradient_descent")
    (-alpha*h + 1)**2
    >>> d = symbolic.discriminant("heavy_ball")
    >>> len(d.args), d.subs({symbolic.alpha: 1, symbolic.h: 1, symbolic.beta: 4})
    (4, 0)
    """
    if not isinstance(factored, bool):
        raise TypeError(f"`factored` must be a bool, got {type(factored).__name__}")
    expanded, product = _discriminant(get_method(method))
    return product if factored else expanded


# --------------------------------------------------------------------------------------------
# Schur-Cohn stability and the convergence region
# --------------------------------------------------------------------------------------------


def _known_sign(factor: Any, positive: Sequence[Any]) -> int:
    """+1 / -1 if ``factor`` is a non-zero constant multiple of an expression known to be positive, else 0."""
    for known in positive:
        ratio = sp.cancel(factor / known)
        if ratio.is_number and ratio != 0:
            return 1 if ratio > 0 else -1
    return 0


def _without_known_factors(expr: Any, positive: Sequence[Any]) -> Any:
    """``expr`` divided by its factors of known sign, times their signs: same sign, simpler."""
    coeff, factors = sp.factor_list(expr)
    out = sp.sign(coeff)
    for f, e in factors:
        s = _known_sign(f, positive)
        out *= s**e if s else f**e
    return out


def _strip_content(coeffs: list[Any], positive: Sequence[Any]) -> list[Any]:
    """Divide a polynomial (coefficient list) by the positive part of its content of known sign."""
    content = sp.gcd_list(coeffs)
    c, factors = sp.factor_list(content)
    divisor = abs(c)
    for f, e in factors:
        s = _known_sign(f, positive)
        if s:
            divisor *= (s * f) ** e
    return [sp.expand(sp.cancel(a / divisor)) for a in coeffs]


def schur_cohn_conditions(polynomial: Any, var: Any = z) -> tuple[Any, ...]:
    r"""Conditions, all of the form ``expr > 0``, for every root of a real polynomial to satisfy ``|z| < 1``.

    The Schur–Cohn recursion, run symbolically. For :math:`p(z) = a_n z^n + \dots + a_0` with
    :math:`a_n > 0` and real coefficients, let :math:`p^*(z) = z^n p(1/z)` and

    .. math::

        T p(z) = \frac{a_n\, p(z) - a_0\, p^*(z)}{z},

    a polynomial of degree :math:`n - 1` with leading coefficient :math:`a_n^2 - a_0^2`. Then all roots
    of :math:`p` lie in the open unit disk iff :math:`|a_0| < a_n` and all roots of :math:`Tp` do.
    Each step contributes :math:`a_n - a_0 > 0` and :math:`a_n + a_0 > 0` (together
    :math:`|a_0| < a_n`, and the new leading coefficient is then positive), until degree 0.

    Parameters
    ----------
    polynomial : sympy.Expr or sympy.Poly
        A polynomial in ``var`` of degree ``>= 1`` whose leading coefficient is a non-zero real
        number; the other coefficients may be symbolic (they are taken to be real).
    var : sympy.Symbol, optional
        The polynomial's variable, :data:`z` by default.

    Returns
    -------
    tuple of sympy.Expr
        Expressions ``e`` such that the polynomial is Schur stable iff every ``e > 0``, in the
        order the recursion produces them. Conditions that are positive numbers are omitted; a
        non-positive number (never stable) ends the list.

    Raises
    ------
    TypeError
        If ``var`` is not a sympy Symbol or ``polynomial`` is not a sympy expression.
    ValueError
        If ``polynomial`` is not a polynomial in ``var``, has degree 0, a non-numeric or
        complex leading coefficient, or a coefficient known to be non-real.

    Notes
    -----
    To keep the conditions short, every step divides :math:`Tp` by the factors of its content
    whose sign is known from earlier conditions (this changes neither the roots nor the sign of the
    leading coefficient), and cancels such factors from the new conditions. For a monic quadratic
    :math:`z^2 + b z + c` the result is :math:`1 - c,\ 1 + c,\ 1 - b + c,\ 1 + b + c`: the Jury
    conditions :math:`|c| < 1`, :math:`P(-1) > 0`, :math:`P(1) > 0` (plus :math:`1 + c > 0`,
    implied by the last two).

    References
    ----------
    I. Schur, "Über Potenzreihen, die im Innern des Einheitskreises beschränkt sind", J. Reine
    Angew. Math. 147, 1917. A. Cohn, "Über die Anzahl der Wurzeln einer algebraischen Gleichung in
    einem Kreise", Math. Z. 14, 1922. P. Henrici, *Applied and Computational Complex Analysis*,
    vol. 1, Wiley 1974, sec. 6.8. E. I. Jury, *Theory and Application of the z-Transform Method*,
    Wiley 1964.

    Examples
    --------
    >>> import sympy as sp
    >>> from hbtheory.symbolic import schur_cohn_conditions, z
    >>> b, c = sp.symbols("b c", real=True)
    >>> schur_cohn_conditions(z**2 + b*z + c)
    (1 - c, c + 1, -b + c + 1, b + c + 1)
    >>> schur_cohn_conditions(2*z - 3)    # the root 3/2 is outside the disk
    (-1,)
    """
    if not isinstance(var, sp.Symbol):
        raise TypeError(f"`var` must be a sympy Symbol, got {type(var).__name__}")
    if not isinstance(polynomial, (sp.Expr, sp.Poly)):
        raise TypeError(f"`polynomial` must be a sympy expression, got {type(polynomial).__name__}")
    try:
        poly = sp.Poly(polynomial, var)
    except sp.PolynomialError as exc:
        raise ValueError(f"`polynomial` must be a polynomial in {var}: {exc}") from None
    if poly.degree() < 1:
        raise ValueError(f"`polynomial` must have degree >= 1 in {var}, got degree {poly.degree()}")
    coeffs = [sp.sympify(c) for c in poly.all_coeffs()]
    lead = coeffs[0]
    if not (lead.is_number and lead.is_extended_real and lead != 0):
        raise ValueError(f"`polynomial` must have a non-zero real number as leading coefficient, got {lead}")
    if any(c.is_extended_real is False for c in coeffs):
        raise ValueError("`polynomial` must have real coefficients")
    if lead < 0:
        coeffs = [-c for c in coeffs]

    conditions: list[Any] = []
    while len(coeffs) > 1:
        an, a0 = coeffs[0], coeffs[-1]
        for expr in (an - a0, an + a0):
            cond = _without_known_factors(sp.expand(expr), conditions)
            if cond.is_number:
                if cond <= 0:
                    return (*conditions, cond)
                continue
            conditions.append(sp.expand(cond))
        shifted = [sp.expand(an * a - a0 * b) for a, b in zip(coeffs, reversed(coeffs), strict=True)]
        coeffs = _strip_content(shifted[:-1], conditions)  # the constant term is a_n a_0 - a_0 a_n = 0
    return tuple(conditions)


def _implied(target: Any, others: Sequence[Any]) -> bool:
    """Whether ``target`` is a non-negative constant combination of at most two of ``others``.

    If so, ``others > 0`` implies ``target > 0`` and the condition is redundant.
    """
    for size in (1, 2):
        for combo in itertools.combinations(others, size):
            lams = sp.symbols(f"lam0:{size}")
            residual = sp.expand(sum(lam * c for lam, c in zip(lams, combo, strict=True)) - target)
            gens = sorted(residual.free_symbols - set(lams), key=sp.default_sort_key)
            try:
                equations = sp.Poly(residual, *gens).coeffs() if gens else [residual]
            except sp.PolynomialError:
                continue
            solution = sp.solve(equations, lams, dict=True)
            if len(solution) != 1 or set(solution[0]) != set(lams):
                continue
            values = [solution[0][lam] for lam in lams]
            if all(v.is_number and v >= 0 for v in values) and any(v > 0 for v in values):
                return True
    return False


def _relational(expr: Any) -> Any:
    """``expr > 0`` written as ``negative part < positive part`` (``1 - beta > 0`` -> ``beta < 1``)."""
    terms = sp.Add.make_args(sp.expand(expr))
    negative = [-term for term in terms if term.could_extract_minus_sign()]
    positive = [term for term in terms if not term.could_extract_minus_sign()]
    return sp.Lt(sp.factor(sp.Add(*negative)), sp.factor(sp.Add(*positive)))


def _design_conditions(m: Method) -> list[Any]:
    """Jury's conditions of ``z^2 - c1 z + c0`` with coefficients rational in ``r`` (a design
    parameter in ``(0, 1)``), each cleared of its denominator, whose sign is constant there."""
    c1, c0 = _coefficients(m)
    out = []
    for cond in (1 - c0, 1 + c0, 1 - c1 + c0, 1 + c1 + c0):
        num, den = sp.fraction(sp.factor(sp.together(cond)))
        if den.free_symbols - {r}:  # pragma: no cover - a design maps r to parameters only
            raise ValueError(f"`method` {m.name!r}: a denominator depends on more than the design parameter")
        crossings = [x for x in sp.Poly(den, r).real_roots() if 0 < x < 1] if den.has(r) else []
        if crossings:  # pragma: no cover - Triple Momentum's denominators keep their sign on (0, 1)
            raise ValueError(f"`method` {m.name!r}: a denominator changes sign for r in (0, 1)")
        sign = 1 if den.subs(r, sp.Rational(1, 2)) > 0 else -1
        out.append(sp.factor(sign * num))
    return out


@functools.cache
def _region(m: Method) -> tuple[Any, tuple[Any, ...]]:
    conditions = _design_conditions(m) if m.design is not None else list(schur_cohn_conditions(_charpoly(m), z))
    if any(c.is_number for c in conditions):  # a non-positive constant: never stable
        return sp.false, tuple(conditions)
    kept = list(conditions)
    for cond in conditions:
        rest = [c for c in kept if c is not cond]
        if _implied(cond, rest):
            kept = rest
    return sp.And(*(_relational(c) for c in kept)), tuple(kept)


def convergence_region(method: str | Method = "heavy_ball") -> Any:
    r"""The set of ``(alpha, beta, h)`` where the method converges, :math:`\rho(A) < 1`, derived.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    sympy.logic.boolalg.Boolean
        A conjunction of strict inequalities in ``alpha, beta, h`` (``beta`` and ``h`` any real).

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    :math:`\rho(A) < 1` iff both roots of :math:`z^2 - c_1 z + c_0` lie in the open unit disk. The
    conditions come from :func:`schur_cohn_conditions` applied to :func:`characteristic_polynomial`;
    a condition that is a non-negative combination of (at most two) others is dropped as implied,
    and each is written as ``negative terms < positive terms``. Results:

    * heavy ball: :math:`\beta < 1,\ 0 < \alpha h < 2\beta + 2`, equivalent to the textbook
      :math:`|\beta| < 1,\ 0 < \alpha h < 2(1 + \beta)` (:math:`\beta > -1` is the half-sum of
      the last two conditions);
    * Nesterov: :math:`0 < \alpha h,\ \beta(1 - \alpha h) < 1,\ \alpha h (1 + 2\beta) < 2 (1 + \beta)`;
    * gradient descent: :math:`0 < \alpha h < 2`.

    References
    ----------
    Schur (1917), Cohn (1922), Jury (1964): see :func:`schur_cohn_conditions`. Polyak (1964) for
    the heavy-ball region.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.convergence_region("heavy_ball")
    (beta < 1) & (0 < alpha*h) & (alpha*h < 2*(beta + 1))
    >>> symbolic.convergence_region("gradient_descent")
    (0 < alpha*h) & (alpha*h < 2)
    >>> point = {symbolic.alpha: 1, symbolic.beta: 0.5, symbolic.h: 2.9}
    >>> bool(symbolic.convergence_region("heavy_ball").subs(point))
    True
    """
    return _region(get_method(method))[0]


# --------------------------------------------------------------------------------------------
# Critical-damping curves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalCurves:
    r"""Where the discriminant vanishes (a double eigenvalue): the critical-damping set.

    Attributes
    ----------
    method : str
        The method's name.
    beta : tuple of sympy.Expr
        The curves :math:`\beta = \beta_i(\alpha h)`, written with :math:`\sqrt{\alpha h}`, ordered
        by their value at :math:`\alpha h = 1/4` (lower curve first).
    alpha_h : tuple of sympy.Expr
        Values of :math:`\alpha h` at which the discriminant vanishes for *every* ``beta``
        (Nesterov and gradient descent at :math:`\alpha h = 1`, where both roots are 0).

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.critical_curves("gradient_descent")
    CriticalCurves(method='gradient_descent', beta=(), alpha_h=(1,))
    """

    method: str
    beta: tuple[Any, ...]
    alpha_h: tuple[Any, ...]

    def _latex_parts(self) -> list[str]:
        return [rf"\beta = {sp.latex(b)}" for b in self.beta] + [rf"\alpha h = {sp.latex(v)}" for v in self.alpha_h]


def _needs_beta(m: Method, what: str, instead: str) -> None:
    if m.design is not None:
        raise ValueError(
            f"`method` {m.name!r}: its momentum parameters are not polynomial in beta (they are rational in its "
            f"design parameter r), so {what} is not derived symbolically; {instead}"
        )


@functools.cache
def _critical_curves(m: Method) -> CriticalCurves:
    _needs_beta(m, "the curves beta(alpha*h)", "the critical set is discriminant(method) == 0 in (alpha*h, r)")
    expanded = _discriminant(m)[0]
    in_r = _in_alpha_h(expanded)
    if in_r is None:
        raise ValueError(f"`method` {m.name!r}: its coefficients must depend on alpha and h only through alpha*h")
    curves: list[Any] = []
    lines: list[Any] = []
    for factor, _ in sp.factor_list(in_r)[1]:
        if factor.has(beta):
            curves += [_tidy_signs(sp.cancel(sol)) for sol in sp.solve(factor, beta)]
        else:
            lines += [sol**2 for sol in sp.solve(factor, _r)]
    curves = sorted(set(curves), key=lambda c: float(c.subs(_r, sp.Rational(1, 2))))
    lines = sorted(set(lines), key=float)
    return CriticalCurves(m.name, tuple(_with_sqrt_alpha_h(c) for c in curves), tuple(lines))


def critical_curves(method: str | Method = "heavy_ball") -> CriticalCurves:
    r"""The critical-damping curves :math:`D = 0`, solved for ``beta`` as functions of :math:`\alpha h`.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    CriticalCurves
        ``beta``: the solutions :math:`\beta(\alpha h)`; ``alpha_h``: the values of
        :math:`\alpha h` where :math:`D = 0` whatever ``beta`` is.

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    The discriminant depends on ``alpha`` and ``h`` only through :math:`\alpha h = r^2`; it is
    factored over :math:`\mathbb{Q}[r, \beta]`, each factor containing ``beta`` is solved for it
    and :math:`r = \sqrt{\alpha h}` substituted back.

    * Heavy ball: :math:`\beta = (1 \mp \sqrt{\alpha h})^2`. Between the curves the roots are
      complex and :math:`\rho = \sqrt\beta`; on them :math:`A` is a defective Jordan block.
    * Nesterov: :math:`\beta = (1 - \sqrt{\alpha h})/(1 + \sqrt{\alpha h})` and its reciprocal, and
      the line :math:`\alpha h = 1` (characteristic polynomial :math:`z^2`).
    * Gradient descent: only :math:`\alpha h = 1`.

    References
    ----------
    Polyak (1964), see :func:`iteration_matrix`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.critical_curves("heavy_ball").beta
    ((-sqrt(alpha)*sqrt(h) + 1)**2, (sqrt(alpha)*sqrt(h) + 1)**2)
    >>> cc = symbolic.critical_curves("nesterov")
    >>> cc.beta[0], cc.alpha_h
    ((-sqrt(alpha)*sqrt(h) + 1)/(sqrt(alpha)*sqrt(h) + 1), (1,))
    """
    return _critical_curves(get_method(method))


# --------------------------------------------------------------------------------------------
# Optimal parameters (equal ripple)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimalParameters:
    r"""The minimax tuning of a method on the spectrum interval ``[mu, L]``, as exact expressions.

    Attributes
    ----------
    method : str
        The method's name.
    alpha, beta, rho : sympy.Expr
        Optimal step, momentum (``0`` for gradient descent) and worst-case rate, in ``mu`` and ``L``.
    alpha_mu, beta_kappa, rho_kappa : sympy.Expr
        The same in terms of :data:`kappa` only: the dimensionless step :math:`\alpha^* \mu`,
        :math:`\beta^*` and :math:`\rho^*`.
    equations : tuple of sympy.Eq
        The equal-ripple equations that were solved, in ``alpha, beta, rho, mu, L``.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.optimal_parameters("gradient_descent").alpha
    2/(L + mu)
    """

    method: str
    alpha: Any
    beta: Any
    rho: Any
    alpha_mu: Any
    beta_kappa: Any
    rho_kappa: Any
    equations: tuple[Any, ...]

    def _latex_parts(self) -> list[str]:
        in_mu_L = {r"\alpha^*": self.alpha, r"\beta^*": self.beta, r"\rho^*": self.rho}
        in_kappa = {r"\alpha^* \mu": self.alpha_mu, r"\beta^*": self.beta_kappa, r"\rho^*": self.rho_kappa}
        return [f"{n} = {sp.latex(v)}" for n, v in (*in_mu_L.items(), *in_kappa.items())]


# Test values of kappa used to pick the admissible branch of the equal-ripple system.
_PROBE_KAPPAS = (sp.Integer(4), sp.Integer(100))


def _admissible(m: Method, q: Any, b: Any, r: Any) -> bool:
    """At each probe kappa (with mu = 1): a real step and rate, ``0 < rho < 1``, ``0 <= beta < 1``,
    and ``rho`` equal to the spectral radius at both ends of the spectrum."""
    for kap in _PROBE_KAPPAS:
        vals = [sp.N(v.subs(kappa, kap), 30) for v in (q, b, r)]
        if not all(v.is_real for v in vals):
            return False
        qv, bv, rv = vals
        if not (qv > 0 and 0 < rv < 1 and 0 <= bv < 1):
            return False
        for hv in (sp.Integer(1), kap):
            poly = sp.Poly(z**2 - m.c1(qv, bv, hv) * z + m.c0(qv, bv, hv), z)
            # a double root is found to about half the working digits, hence the loose tolerance
            radius = max(abs(root) for root in poly.nroots(n=30))
            if abs(radius - rv) > sp.Float("1e-10", 30):
                return False
    return True


@functools.cache
def _optimal(m: Method) -> OptimalParameters:
    if m.closed_form is None or m.design is not None:
        raise ValueError(
            f"`method` {m.name!r}: no equal-ripple optimum is derived symbolically for it (only for methods whose "
            "optimum on quadratics has a closed form and whose parameters are polynomial in beta); "
            "hbtheory.optimal_parameters computes its tuning numerically"
        )
    poly = _charpoly(m)
    at_mu, at_L = poly.subs(h, mu), poly.subs(h, L)
    equations = [sp.Eq(at_mu.subs(z, rho), 0), sp.Eq(at_L.subs(z, -rho), 0)]
    if m.uses_beta:
        equations.append(sp.Eq(sp.diff(at_mu, z).subs(z, rho), 0))
    # Dimensionless form: alpha*mu = q, alpha*L = q*kappa (the coefficients depend on alpha*h only).
    scaled = [sp.expand((e.lhs - e.rhs).subs({L: kappa * mu}).subs(alpha, _q / mu)) for e in equations]
    if any(e.has(mu) for e in scaled):
        raise ValueError(f"`method` {m.name!r}: its coefficients must depend on alpha and h only through alpha*h")
    unknowns = [_q, beta, rho] if m.uses_beta else [_q, rho]
    admissible = []
    for sol in sp.solve(scaled, unknowns, dict=True):
        if set(sol) != set(unknowns) or any(v.free_symbols - {kappa} for v in sol.values()):
            continue
        q_k, b_k, r_k = sol[_q], sol.get(beta, sp.Integer(0)), sol[rho]
        if _admissible(m, q_k, b_k, r_k):
            admissible.append((q_k, b_k, r_k))
    if len(admissible) != 1:  # pragma: no cover - would mean the method family changed shape
        raise RuntimeError(f"equal-ripple system for {m.name!r} has {len(admissible)} admissible solutions")
    q_k, b_k, r_k = (_rationalise(v, kappa) for v in admissible[0])

    def in_mu_L(expr: Any) -> Any:
        expr = expr.subs(kappa, L / mu)
        return _shortest([expr, sp.simplify(expr), sp.factor(expr)])

    return OptimalParameters(
        method=m.name,
        alpha=in_mu_L(q_k / mu),
        beta=in_mu_L(b_k),
        rho=in_mu_L(r_k),
        alpha_mu=q_k,
        beta_kappa=b_k,
        rho_kappa=r_k,
        equations=tuple(equations),
    )


def optimal_parameters(method: str | Method = "heavy_ball") -> OptimalParameters:
    r"""The tuning that minimises the worst-case rate on a spectrum ``[mu, L]``, derived by sympy.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    OptimalParameters
        :math:`\alpha^*, \beta^*, \rho^*` in ``mu, L`` and in ``kappa``, and the equations solved.

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    **Problem.** Minimise :math:`\max_{h \in [\mu, L]} \rho(A(\alpha, \beta, h))`. For every method
    of the family :math:`\rho` is quasi-convex in :math:`h` (see
    :func:`hbtheory.spectral.worst_case_rate`), so the maximum is :math:`\max(\rho(\mu), \rho(L))`.

    **Equal-ripple conditions.** Let :math:`P_h(z) = z^2 - c_1(h) z + c_0(h)` and :math:`\rho` the
    optimal rate. At the optimum the two ends are equally bad (otherwise moving :math:`\alpha`
    lowers the worse one) and each end is at its best for that rate, which for a polynomial whose
    roots must fit in the disk :math:`|z| \le \rho` means touching its boundary at a real point:
    the small end :math:`h = \mu` (where :math:`c_1 > 0`) at :math:`+\rho`, the large end
    :math:`h = L` (where :math:`c_1 < 0`) at :math:`-\rho`. The imposed equations are

    .. math::

        P_\mu(\rho) = 0, \qquad P_L(-\rho) = 0, \qquad P_\mu'(\rho) = 0 \ \text{(if the method has } \beta),

    the last one making :math:`+\rho` a double root at :math:`\mu`: for a fixed :math:`\alpha`,
    :math:`\rho(\mu)` as a function of :math:`\beta` is smallest on the critical-damping curve. This
    is the Chebyshev equioscillation picture: as :math:`h` runs over :math:`[\mu, L]` the roots
    travel on the circle :math:`|z| = \rho` from :math:`+\rho` to :math:`-\rho`. Three equations
    for :math:`(\alpha, \beta, \rho)` (two for gradient descent) are solved exactly in the
    dimensionless unknowns :math:`\alpha\mu` and :math:`\kappa`; of the solutions, the one
    with :math:`0 < \rho < 1`, :math:`0 \le \beta < 1`, :math:`\alpha > 0` and :math:`\rho` equal to
    the spectral radius at both ends (checked at :math:`\kappa = 4, 100`) is kept. The equations
    are necessary conditions for an optimum of this equal-ripple shape; that their solution is the
    global minimax is the content of the references below, and the tests confirm it numerically
    (the worst case over a dense grid of :math:`[\mu, L]` equals :math:`\rho^*`, and no perturbed
    :math:`(\alpha, \beta)` does better).

    **Results.**

    * Heavy ball (Polyak 1964): :math:`\alpha^* = 4/(\sqrt L + \sqrt\mu)^2`,
      :math:`\beta^* = \big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2`,
      :math:`\rho^* = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`; here :math:`P_L(-\rho) = 0` forces a
      double root at :math:`L` too, so both ends are on the critical curves.
    * Nesterov (Lessard, Recht, Packard 2016): :math:`\alpha^* = 4/(3L + \mu)`,
      :math:`\beta^* = (\sqrt{3\kappa+1} - 2)/(\sqrt{3\kappa+1} + 2)`,
      :math:`\rho^* = 1 - 2/\sqrt{3\kappa + 1}`.
    * Gradient descent: :math:`\alpha^* = 2/(\mu + L)`, :math:`\rho^* = (\kappa-1)/(\kappa+1)`.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
    Math. Math. Phys. 4(5), 1964. L. Lessard, B. Recht, A. Packard, "Analysis and design of
    optimization algorithms via integral quadratic constraints", SIAM J. Optim. 26(1), 2016 (the
    tunings for quadratics). B. T. Polyak, *Introduction to Optimization*, 1987 (gradient descent).

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> hb = symbolic.optimal_parameters("heavy_ball")
    >>> hb.alpha, hb.rho_kappa
    (4/(sqrt(L) + sqrt(mu))**2, (sqrt(kappa) - 1)/(sqrt(kappa) + 1))
    >>> nag = symbolic.optimal_parameters("nesterov")
    >>> nag.alpha, nag.rho_kappa
    (4/(3*L + mu), 1 - 2/sqrt(3*kappa + 1))
    """
    return _optimal(get_method(method))


# --------------------------------------------------------------------------------------------
# Amplification and noise
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AmplificationSeries:
    r"""The momentum step under a constant gradient :math:`g`, summed by sympy.

    Attributes
    ----------
    steady_sum, partial_sum : sympy.Sum
        The unevaluated sums :math:`\sum_{k \ge 0} \alpha g \beta^k` and
        :math:`\sum_{k=0}^{t-1} \alpha g \beta^k`.
    steady : sympy.Expr
        Value of the infinite sum where it converges: :math:`\alpha g/(1 - \beta)`.
    condition : sympy.Boolean
        Where it converges: :math:`|\beta| < 1`.
    transient : sympy.Expr
        The partial sum for :math:`\beta \ne 1`: :math:`\alpha g (1 - \beta^t)/(1 - \beta)`.
    window : sympy.Expr
        The amplification factor (effective averaging window) :math:`1/(1 - \beta)`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.amplification_series().window
    1/(1 - beta)
    """

    steady_sum: Any
    steady: Any
    condition: Any
    partial_sum: Any
    transient: Any
    window: Any

    def _latex_parts(self) -> list[str]:
        return [
            rf"{sp.latex(self.steady_sum)} = {sp.latex(self.steady)} \quad ({sp.latex(self.condition)})",
            f"{sp.latex(self.partial_sum)} = {sp.latex(self.transient)}",
        ]


def _generic_piece(expr: Any) -> tuple[Any, Any]:
    """The first ``(value, condition)`` of a piecewise result whose value is not an unevaluated sum."""
    folded = sp.piecewise_fold(expr)
    pieces = folded.args if isinstance(folded, sp.Piecewise) else ((folded, sp.true),)
    for value, cond in pieces:
        if not value.has(sp.Sum):
            return value, cond
    raise RuntimeError(f"sympy left the series unevaluated: {expr}")  # pragma: no cover


@functools.cache
def _amplification() -> AmplificationSeries:
    term = alpha * g * beta**_k
    steady_sum = sp.Sum(term, (_k, 0, sp.oo))
    partial_sum = sp.Sum(term, (_k, 0, t - 1))
    steady, condition = _generic_piece(steady_sum.doit())
    # Sympy returns the beta = 1 branch (alpha*g*t) first; the generic branch is the last one.
    pieces = sp.piecewise_fold(partial_sum.doit())
    pieces = pieces.args if isinstance(pieces, sp.Piecewise) else ((pieces, sp.true),)
    transient = next(value for value, cond in pieces if cond == sp.true)
    return AmplificationSeries(
        steady_sum=steady_sum,
        steady=steady,
        condition=condition,
        partial_sum=partial_sum,
        transient=transient,
        window=_tidy_signs(sp.simplify(steady / (alpha * g))),
    )


def amplification_series() -> AmplificationSeries:
    r"""The step that momentum builds under a constant gradient, as sums evaluated by sympy.

    Under a constant gradient :math:`g`, the momentum step after :math:`t` steps is the geometric
    sum :math:`\sum_{k=0}^{t-1} \alpha g \beta^k` (the same for heavy ball and Nesterov; gradient
    descent is :math:`\beta = 0`).

    Returns
    -------
    AmplificationSeries
        ``steady`` :math:`= \alpha g/(1-\beta)` under ``condition`` :math:`|\beta| < 1`,
        ``transient`` :math:`= \alpha g (1 - \beta^t)/(1 - \beta)`, ``window`` :math:`= 1/(1-\beta)`.

    Notes
    -----
    Both sums are ``sympy.Sum(...).doit()``; sympy answers with piecewise results whose generic
    branches are kept (the infinite sum diverges for :math:`|\beta| \ge 1`; the partial sum is
    :math:`\alpha g t` at :math:`\beta = 1`). The EMA convention
    (:func:`hbtheory.methods.from_ema`) multiplies the step by :math:`1 - \beta` and so has no
    amplification.

    References
    ----------
    Polyak (1964); G. Goh, "Why momentum really works", Distill, 2017.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> a = symbolic.amplification_series()
    >>> a.steady, a.condition
    (alpha*g/(1 - beta), Abs(beta) < 1)
    >>> a.transient
    alpha*g*(1 - beta**t)/(1 - beta)
    """
    return _amplification()


@functools.cache
def _variance(m: Method) -> Any:
    s11, s12, s22 = sp.symbols("s11 s12 s22", cls=sp.Dummy)
    cov = sp.Matrix([[s11, s12], [s12, s22]])
    a = _matrix(m)
    b = sp.Matrix([-alpha, 0])
    lyapunov = cov - a * cov * a.T - sigma**2 * (b * b.T)
    solution = sp.solve([lyapunov[0, 0], lyapunov[0, 1], lyapunov[1, 1]], [s11, s12, s22], dict=True)
    if len(solution) != 1:  # pragma: no cover - the Lyapunov equation is linear and regular
        raise RuntimeError(f"Lyapunov equation for {m.name!r} has {len(solution)} solutions")
    return _tidy_signs(sp.factor(solution[0][s11]))


def stationary_variance(method: str | Method = "heavy_ball") -> Any:
    r"""Stationary :math:`\operatorname{Var}(x)` on :math:`f = \tfrac h2 x^2` with noisy gradients :math:`h x + \xi`.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    sympy.Expr
        The variance, in ``alpha, beta, h, sigma``. Meaningful inside
        :func:`convergence_region` (outside it there is no stationary distribution).

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    With i.i.d. zero-mean :math:`\xi_t` of variance :math:`\sigma^2`, every method of the family
    (Nesterov evaluates the gradient at :math:`y_t`, and the noise enters the same way) follows

    .. math::

        x_{t+1} = c_1 x_t - c_0 x_{t-1} - \alpha \xi_t,\qquad
        s_{t+1} = A s_t + b\, \xi_t,\quad s_t = (x_t, x_{t-1})^\top,\ b = (-\alpha, 0)^\top,

    so the stationary covariance solves the discrete Lyapunov equation
    :math:`\Sigma = A \Sigma A^\top + \sigma^2 b b^\top`, solved here as a linear system in the
    three entries of :math:`\Sigma`; the result is :math:`\Sigma_{11}`. Heavy ball:

    .. math::

        \operatorname{Var}(x) = \frac{\alpha \sigma^2 (1 + \beta)}{h (1 - \beta)(2(1 + \beta) - \alpha h)},

    gradient descent :math:`\alpha\sigma^2/(h(2 - \alpha h))`.

    References
    ----------
    Polyak (1964), see :func:`iteration_matrix`; for the Lyapunov equation, e.g. K. J. Åström,
    *Introduction to Stochastic Control Theory*, Academic Press 1970, ch. 3.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.stationary_variance("gradient_descent")
    alpha*sigma**2/(h*(-alpha*h + 2))
    >>> symbolic.stationary_variance("heavy_ball")
    alpha*sigma**2*(beta + 1)/(h*(1 - beta)*(-alpha*h + 2*beta + 2))
    """
    return _variance(get_method(method))


# --------------------------------------------------------------------------------------------
# LaTeX and numpy bridges
# --------------------------------------------------------------------------------------------

_RESULTS = (CriticalCurves, OptimalParameters, AmplificationSeries)


def latex(obj: Any) -> str:
    r"""LaTeX of a result of this module.

    Parameters
    ----------
    obj : sympy object, sequence, CriticalCurves, OptimalParameters or AmplificationSeries
        A sympy expression, matrix or boolean; a tuple/list of them (joined with ``\quad``); or a
        result object, rendered as its equations (``\beta = ...``, ``\alpha^* = ...``, the sums).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For any other ``obj``.

    Notes
    -----
    A thin layer over :func:`sympy.latex`; :func:`derivation` assembles the full set of results
    of a method.

    References
    ----------
    The sympy printing documentation, https://docs.sympy.org/latest/modules/printing.html.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> symbolic.latex(symbolic.amplification_series().window)
    '\\frac{1}{1 - \\beta}'
    >>> symbolic.latex(symbolic.critical_curves("gradient_descent"))
    '\\alpha h = 1'
    """
    if isinstance(obj, (sp.Basic, sp.MatrixBase)):
        return str(sp.latex(obj))
    if isinstance(obj, _RESULTS):
        return r",\quad ".join(obj._latex_parts())
    if isinstance(obj, (tuple, list)):
        return r",\quad ".join(latex(item) for item in obj)
    raise TypeError(
        f"`obj` must be a sympy object, a sequence of them or a result of hbtheory.symbolic, got {type(obj).__name__}"
    )


@functools.cache
def _derivation(m: Method) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = [("update", m.update)]
    out.append(("iteration_matrix", "A = " + latex(_matrix(m))))
    out.append(("characteristic_polynomial", r"\det(zI - A) = " + latex(_charpoly(m))))
    roots = _eigenvalues(m)
    out.append(("eigenvalues", r",\quad ".join(f"z_{i} = {latex(v)}" for i, v in enumerate(roots, 1))))
    out.append(("discriminant", r"D = c_1^2 - 4 c_0 = " + latex(_discriminant(m)[1])))
    out.append(("convergence_region", r"\rho(A) < 1 \iff " + latex(_region(m)[0])))
    if m.design is not None:
        b, gam, dlt = m.design(r)
        out.append(("design", rf"\beta = {latex(b)},\quad \gamma = {latex(gam)},\quad \delta = {latex(dlt)}"))
    try:
        out.append(("critical_curves", r"D = 0:\quad " + latex(_critical_curves(m))))
    except ValueError:  # not derivable for this method (the message of critical_curves says why)
        pass
    try:
        opt = _optimal(m)._latex_parts()
    except ValueError:  # no symbolic optimum for this method (the message of optimal_parameters says why)
        opt = []
    if opt:
        out.append(("optimal_parameters", r",\quad ".join(opt[:3])))
        out.append(("optimal_parameters_kappa", r",\quad ".join(opt[3:])))
    if m.uses_beta:
        steady, transient = _amplification()._latex_parts()
        out.append(("amplification", steady))
        out.append(("amplification_transient", transient))
    out.append(("stationary_variance", r"\operatorname{Var}(x) = " + latex(_variance(m))))
    return tuple(out)


def derivation(method: str | Method = "heavy_ball") -> dict[str, str]:
    r"""Every result of this module for one method, as LaTeX, in the order of the derivation.

    Parameters
    ----------
    method : str or Method, optional
        ``"heavy_ball"`` (default), ``"nesterov"`` or ``"gradient_descent"``.

    Returns
    -------
    dict of str to str
        Keys, in order: ``update``, ``iteration_matrix``, ``characteristic_polynomial``,
        ``eigenvalues``, ``discriminant``, ``convergence_region``, ``critical_curves``,
        ``optimal_parameters``, ``optimal_parameters_kappa``, ``amplification`` and
        ``amplification_transient`` (methods with momentum only), ``stationary_variance``.
        Values are LaTeX math (without ``$``). A new dict on every call.

    Raises
    ------
    ValueError, TypeError
        For a bad ``method``.

    Notes
    -----
    The first call for a method runs every derivation (about a second); later calls are cached.

    References
    ----------
    See :func:`optimal_parameters` and :func:`schur_cohn_conditions`.

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> d = symbolic.derivation("heavy_ball")
    >>> list(d)[:4]
    ['update', 'iteration_matrix', 'characteristic_polynomial', 'eigenvalues']
    >>> print(d["optimal_parameters_kappa"].replace(r",\quad ", "\n"))
    \alpha^* \mu = \frac{4}{\left(\sqrt{\kappa} + 1\right)^{2}}
    \beta^* = \frac{\left(\sqrt{\kappa} - 1\right)^{2}}{\left(\sqrt{\kappa} + 1\right)^{2}}
    \rho^* = \frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}
    """
    return dict(_derivation(get_method(method)))


def to_numpy(expr: Any, args: Sequence[Any] | None = None) -> Callable[..., Any]:
    r"""A numpy function evaluating a sympy result (``sympy.lambdify`` with ``modules="numpy"``).

    Parameters
    ----------
    expr : sympy expression, boolean or matrix
        For example ``optimal_parameters().rho_kappa`` or ``convergence_region()``.
    args : sequence of sympy.Symbol, optional
        The positional arguments of the returned function. By default the free symbols of
        ``expr`` in the order ``alpha, beta, h, mu, L, kappa, g, t, sigma, z, rho`` (others after,
        by name).

    Returns
    -------
    callable
        Broadcasts over numpy arrays; returns floats (booleans for a region).

    Raises
    ------
    TypeError
        If ``expr`` is not a sympy object or an entry of ``args`` is not a Symbol.
    ValueError
        If ``args`` misses a free symbol of ``expr``.

    Notes
    -----
    The numpy function evaluates the formula as written, in float64: near the critical-damping
    curves it loses the accuracy that :func:`hbtheory.spectral.spectral_radius` keeps, and square
    roots of negative numbers give ``nan`` with a ``RuntimeWarning``.

    References
    ----------
    https://docs.sympy.org/latest/modules/utilities/lambdify.html

    Examples
    --------
    >>> import numpy as np
    >>> from hbtheory import symbolic
    >>> rate = symbolic.to_numpy(symbolic.optimal_parameters("heavy_ball").rho_kappa)
    >>> rate(np.array([4.0, 100.0]))
    array([0.33333333, 0.81818182])
    >>> inside = symbolic.to_numpy(symbolic.convergence_region("heavy_ball"))
    >>> inside(1.0, 0.5, np.array([1.0, 3.5]))
    array([ True, False])
    """
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        raise TypeError(f"`expr` must be a sympy expression, boolean or matrix, got {type(expr).__name__}")
    free = expr.free_symbols
    if args is None:
        ordered = [s for s in _ORDER if s in free]
        ordered += sorted(free - set(ordered), key=sp.default_sort_key)
    else:
        if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
            raise TypeError(f"`args` must be a sequence of sympy Symbols, got {type(args).__name__}")
        ordered = list(args)
        for a in ordered:
            if not isinstance(a, sp.Symbol):
                raise TypeError(f"`args` must contain sympy Symbols, got {type(a).__name__}")
        missing = free - set(ordered)
        if missing:
            raise ValueError(f"`args` must include every free symbol of `expr`; missing {sorted(map(str, missing))}")
    return _lambdify(ordered, expr)


def _lambdify(args: list[Any], expr: Any) -> Callable[..., Any]:
    # sympy's numpy printer reduces a conjunction with logical_and.reduce over a tuple, which fails
    # when the conjuncts broadcast to different shapes; combine them pairwise instead.
    if isinstance(expr, (sp.And, sp.Or)):
        parts = [_lambdify(args, a) for a in expr.args]
        combine = np.logical_and if isinstance(expr, sp.And) else np.logical_or

        def combined(*values: Any) -> Any:
            return functools.reduce(combine, (part(*values) for part in parts))

        return combined
    result: Callable[..., Any] = sp.lambdify(args, expr, modules="numpy")
    return result


# --------------------------------------------------------------------------------------------
# Mean-square region under sampled gradients (issue 13; numeric side: hbtheory.stochastic)
# --------------------------------------------------------------------------------------------

#: The normalised curvature variance ``v / h**2`` of :func:`mean_square_region` (Gaussian features: ``2 / B``).
_kv = sp.Symbol("k", nonnegative=True)


@dataclass(frozen=True)
class MeanSquareRegion:
    r"""Where SGD with momentum is mean-square stable on least squares (see :func:`mean_square_region`).

    Attributes
    ----------
    method : str
    k : sympy.Symbol
        The normalised curvature variance :math:`k = v / h^2 \ge 0` (:math:`2/B` for Gaussian features
        and batch size :math:`B`; 0 without sampling noise).
    unit_noise_moment : sympy.Expr
        :math:`S_y`: the stationary :math:`\mathbb E y^2` of the exact-gradient method under additive
        gradient noise of unit variance, in ``alpha, h`` and the momentum parameter.
    condition : sympy.Expr
        A polynomial that is positive exactly where :math:`k h^2 S_y < 1` inside the deterministic
        region: mean-square stable iff deterministically stable and ``condition > 0``.
    alpha_h_bound : sympy.Expr
        The boundary :math:`\alpha h` as a function of the momentum parameter and ``k`` (the branch of
        ``condition = 0`` that is the first sign change above 0 at ``beta = 1/2``, ``k = 2``).
    gaussian_bound : sympy.Expr
        ``alpha_h_bound`` at ``k = 2`` (Gaussian features, one sample per step).
    deterministic_bound : sympy.Expr
        The exact-gradient bound on :math:`\alpha h` (``alpha_h_bound`` at ``k = 0``): where a root
        reaches -1 (:math:`\chi(-1) = 0`) or, for a negative look-ahead, a complex pair reaches the
        unit circle (:math:`\det M = 1`); a ``Min`` of the two where each binds for some momenta
        (``general(gamma)`` with :math:`-1/4 < \gamma < 0`).

    Examples
    --------
    >>> mean_square_region("gradient_descent").gaussian_bound
    2/3
    """

    method: str
    k: Any
    unit_noise_moment: Any
    condition: Any
    alpha_h_bound: Any
    gaussian_bound: Any
    deterministic_bound: Any


def _ms_method(m: Method) -> tuple[Method, Any]:
    """``m`` with a symbolic look-ahead, and its momentum as an expression of :func:`_param`."""
    import dataclasses

    if m.design is None:
        return m, (beta if m.uses_beta else sp.Integer(0))
    b, gam, _ = m.design(r)
    return dataclasses.replace(m, gamma=lambda _beta: gam), b


def _deterministic_bound(iteration: Any, u: Any, param: Any) -> Any:
    """The exact-gradient bound on ``u = alpha h``: the first ``u > 0`` where a Jury condition of the
    iteration matrix ``M`` fails, ``chi(-1) = det(I + M) > 0`` or ``|det M| < 1`` (``chi(1) > 0`` holds
    for every ``u > 0``). Heavy ball and the look-aheads ``gamma >= 0`` leave by a root at -1; a
    negative look-ahead (``general(gamma)``, ``gamma < 0``) by a complex pair of modulus 1,
    ``det M = 1``, for some or all momenta. Candidates that are not positive at ``param = 1/2`` are
    dropped, then one that is provably never below another on ``0 < param < 1`` (``param = t/(1+t)``,
    ``t > 0``); what remains is their ``Min``.
    """
    at = {param: sp.Rational(1, 2)}
    c0 = sp.together(iteration.det())
    conditions = [sp.numer(sp.together((sp.eye(2) + iteration).det())), sp.numer(c0 - 1), sp.numer(c0 + 1)]
    found: list[Any] = []
    for cond in conditions:
        if not sp.expand(cond).has(u):
            continue
        for root in _poly_roots(sp.expand(cond), u, at):
            x = complex(sp.N(root.subs(at)))
            if abs(x.imag) < 1e-12 and x.real > 0:
                found.append(sp.factor(root))
    if not found:  # pragma: no cover - u -> infinity always breaks a condition for a member
        raise RuntimeError("no positive boundary found")
    t = sp.Symbol("t", positive=True)
    kept = []
    for i, a in enumerate(found):
        dominated = any(
            j != i and (sp.factor(sp.together((a - b).subs(param, t / (1 + t)))).is_positive
                        or (j < i and sp.simplify(a - b) == 0))
            for j, b in enumerate(found)
        )
        if not dominated:
            kept.append(a)
    return kept[0] if len(kept) == 1 else sp.Min(*kept)


def _first_positive_root(roots: Sequence[Any], var: Any, at: dict[Any, Any]) -> Any:
    best, value = None, None
    for root in roots:
        x = complex(sp.N(root.subs(at)))
        if abs(x.imag) < 1e-12 and x.real > 0 and (value is None or x.real < value):
            best, value = root, x.real
    if best is None:  # pragma: no cover - every member has a positive boundary
        raise RuntimeError("no positive boundary found")
    return best


def _cleared(mat: Any) -> tuple[Any, Any]:
    """``(P, D)`` with ``mat = P / D``, ``P`` polynomial (rational entries over a common denominator)."""
    mat = mat.applyfunc(sp.together)
    den = sp.lcm([sp.denom(e) for e in mat])
    return (mat * den).applyfunc(sp.cancel), den


def _unit_moment(lhs: Any, c: Any, b: Any) -> Any:
    """``c (lhs)^-1 b`` by the adjugate of polynomial matrices (LU on rational functions is slow)."""
    P, dp = _cleared(lhs)
    cp, dc = _cleared(c)
    bp, db = _cleared(b)
    num = sp.expand((cp * P.adjugate() * bp)[0]) * dp
    return sp.factor(num / sp.expand(P.det() * dc * db))


def _tidy_bound(expr: Any) -> Any:
    """``simplify`` a rational bound (cheap, and it finds ``2 (1 - beta^2)``); a root of a quadratic
    only ``cancel``-ed: ``radsimp`` would move the square root back into the numerator, where
    :func:`_poly_roots` took it out (cancellation)."""
    has_root = any(not p.exp.is_integer for p in expr.atoms(sp.Pow))
    return sp.cancel(expr) if has_root else sp.simplify(expr)


def _poly_roots(expr: Any, var: Any, at: dict[Any, Any] | None = None) -> list[Any]:
    """Roots in ``var`` of a polynomial of degree 1 or 2 (the quadratic formula: faster than ``solve``).

    With ``at`` (a point of the parameters, where the linear coefficient ``a1`` is not 0) the two
    roots of a quadratic come as ``q / a2`` and ``a0 / q`` with ``q = -(a1 + sign(a1) sqrt(D)) / 2``
    (the sign taken at ``at``): no difference of the two nearly equal terms ``-a1`` and
    ``sqrt(D)``, and no ``0/0`` where ``a2`` vanishes (Nesterov's and Triple Momentum's
    mean-square bound at ``beta = 0``, where the textbook form loses every digit).
    """
    coeffs = sp.Poly(expr, var).all_coeffs()
    if len(coeffs) == 2:
        return [sp.cancel(-coeffs[1] / coeffs[0])]
    if len(coeffs) == 3:
        a2, a1, a0 = coeffs
        root = sp.sqrt(sp.expand(a1 * a1 - 4 * a2 * a0))
        sign = None if at is None else sp.sign(sp.N(a1.subs(at)))
        if sign in (1, -1):
            q = -(a1 + sign * root) / 2
            return [sp.cancel(q / a2), sp.cancel(a0 / q)]
        return [sp.cancel((-a1 - root) / (2 * a2)), sp.cancel((-a1 + root) / (2 * a2))]
    return list(sp.solve(sp.Eq(expr, 0), var))  # pragma: no cover - every member is of degree <= 2


@functools.cache
def _mean_square_region(m: Method) -> MeanSquareRegion:
    from hbtheory.stochastic import moment_equations

    mm, mom = _ms_method(m)
    u = sp.Dummy("u", positive=True)  # alpha * h: with h = 1, v = k h^2 = k and alpha = u
    T0, b0 = moment_equations(mm, u, mom, sp.Integer(1), sp.Integer(0))
    _, _, C, _ = mm.realisation(u, mom)
    c = sp.Matrix([[C[0][0] ** 2, 2 * C[0][0] * C[0][1], C[0][1] ** 2]])
    sy = _unit_moment(sp.eye(3) - sp.Matrix(T0), c, sp.Matrix(b0))
    num, den = sp.fraction(sp.factor(sp.together(1 - _kv * sy)))
    # sign of the denominator inside the deterministic region (small alpha h, mid momentum)
    probe = {u: sp.Rational(1, 100), _param(m): sp.Rational(1, 2), _kv: 0}
    if den.subs(probe) < 0:
        num = -num
    cond = sp.expand(num)
    probe = {_param(m): sp.Rational(1, 2), _kv: 2}
    bound = _first_positive_root(_poly_roots(cond, u, probe), u, probe)
    bound = _tidy_bound(bound)
    A, B, _, _ = mm.realisation(u, mom)
    iteration = sp.Matrix(A) + sp.Matrix(B) * sp.Matrix(C)  # A + h B C at h = 1
    det = _deterministic_bound(iteration, u, _param(m))
    ah = alpha * h
    return MeanSquareRegion(
        method=m.name,
        k=_kv,
        unit_noise_moment=sp.factor(alpha**2 * (sy / u**2).subs(u, ah)),  # S_y = alpha^2 f(alpha h)
        condition=cond.subs(u, ah),
        alpha_h_bound=bound,
        gaussian_bound=_tidy_bound(bound.subs(_kv, 2)),
        deterministic_bound=det,
    )


def mean_square_region(method: str | Method = "heavy_ball") -> MeanSquareRegion:
    r"""The mean-square stability region of SGD with momentum on least squares, derived for any member.

    Per direction the sampled gradient's variance is :math:`v y^2 + h s^2` with :math:`v = k h^2`
    (:mod:`hbtheory.stochastic`). The second-moment map is the deterministic one plus a rank-one
    positive term, so the method is mean-square stable iff it is stable with exact gradients and
    :math:`k h^2 S_y < 1`, with :math:`S_y` the stationary :math:`\mathbb E y^2` under unit additive
    gradient noise: derived here from :func:`hbtheory.stochastic.moment_equations` on sympy symbols
    (the realisation, nothing method-specific).

    Parameters
    ----------
    method : str or Method, optional
        Any member (Triple Momentum in its design parameter ``r``).

    Returns
    -------
    MeanSquareRegion

    Notes
    -----
    Heavy ball: :math:`\alpha h < 2 (1 - \beta^2) / (k (1 + \beta) + 1 - \beta)`; Gaussian features
    (:math:`k = 2`): :math:`2 (1 - \beta^2)/(3 + \beta)` against the exact-gradient :math:`2 (1 + \beta)`:
    at :math:`\beta = 0.9`, :math:`0.098` instead of :math:`3.8`.

    References
    ----------
    Kidambi, Netrapalli, Jain and Kakade, ICLR 2018; Costa, Fragoso and Marques, *Discrete-Time Markov
    Jump Linear Systems*, 2005, ch. 3 (mean-square stability via the second-moment operator).

    Examples
    --------
    >>> from hbtheory import symbolic
    >>> reg = symbolic.mean_square_region("heavy_ball")
    >>> reg.alpha_h_bound
    2*(1 - beta**2)/(beta*k - beta + k + 1)
    >>> reg.gaussian_bound, reg.deterministic_bound
    (2*(1 - beta**2)/(beta + 3), 2*(beta + 1))
    >>> symbolic.mean_square_region("gradient_descent").alpha_h_bound
    2/(k + 1)
    """
    return _mean_square_region(get_method(method))
