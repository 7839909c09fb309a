"""hbtheory.symbolic: the derivations checked against the numeric layer, independent numerics and the literature.

Expected values come from three places, never from the code under test:

* the numeric layer (:mod:`hbtheory.spectral`) and independent numerics (scipy, sympy ``nroots``,
  exact rational arithmetic) at random *dyadic* rational points, which float64 represents
  exactly, so the two layers see the very same point;
* the literature, typed below with its source;
* identities that must hold (Vieta, ``D = 0`` on the curves).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.linalg import solve_discrete_lyapunov
from sympy.printing.lambdarepr import LambdaPrinter

import hbtheory
from hbtheory import get_method
from hbtheory import symbolic as S
from hbtheory.symbolic import L, alpha, beta, g, h, kappa, mu, sigma, t, z

EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov", "gradient_descent")
BITS = 10  # dyadic grid 2**-10: products of two such numbers are exact in float64


def dyadic(lo: float, hi: float, bits: int = BITS) -> st.SearchStrategy[sp.Rational]:
    """Rationals k / 2**bits in [lo, hi]: exact in float64."""
    scale = 2**bits
    return st.integers(int(np.ceil(lo * scale)), int(np.floor(hi * scale))).map(lambda k: sp.Rational(k, scale))


def point(method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational) -> dict[Any, sp.Rational]:
    return {alpha: a, beta: b if get_method(method).uses_beta else sp.Integer(0), h: hh}


class _ExactPrinter(LambdaPrinter):
    """Prints sympy's rationals as ``Fraction``: a lambdified polynomial or rational function is exact."""

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"Fraction({expr.p}, {expr.q})"

    _print_Half = _print_Rational


@functools.cache
def exact(expr: Any, symbols: tuple[Any, ...] = (alpha, beta, h)) -> Callable[..., Any]:
    """``expr`` (an expression, a relation, a conjunction or a matrix) compiled once to exact arithmetic.

    Called with ``Fraction`` arguments it returns what ``expr.subs(...)`` does (a ``Fraction``, a
    bool, nested lists), exactly: sympy's ``subs`` costs milliseconds per new point (its assumption
    system), this microseconds, so the hypothesis tests below spend their time on the checks.
    ``test_exact_is_subs`` holds the two equal.
    """
    body = expr.tolist() if isinstance(expr, sp.MatrixBase) else expr
    return sp.lambdify(symbols, body, modules=[{"Fraction": Fraction}], printer=_ExactPrinter)


def fractions(pt: dict[Any, sp.Rational], symbols: tuple[Any, ...] = (alpha, beta, h)) -> list[Fraction]:
    return [Fraction(int(pt[s].p), int(pt[s].q)) for s in symbols]


@functools.cache
def _eigenvalues_mp(method: str) -> Callable[..., Any]:
    return sp.lambdify((alpha, beta, h), S.eigenvalues(method), modules="mpmath")


def exact_radius(method: str, pt: dict[Any, sp.Rational]) -> float:
    """max |eigenvalue| of the symbolic eigenvalues, evaluated to 50 digits (mpmath; the dyadic point is exact)."""
    with mp.workdps(50):
        values = _eigenvalues_mp(method)(*(mp.mpf(int(pt[s].p)) / int(pt[s].q) for s in (alpha, beta, h)))
        return float(max(abs(mp.mpmathify(v)) for v in values))


def numeric(method: str, pt: dict[Any, sp.Rational]) -> tuple[float, float, float]:
    return float(pt[alpha]), float(pt[beta]), float(pt[h])


def same(expr_a: Any, expr_b: Any) -> bool:
    """Exact equality of two expressions (simplify of the difference)."""
    return bool(sp.simplify(expr_a - expr_b) == 0)


# The method's polynomial, typed here from the design notes (DESIGN.md, "The mathematics in one place").
TEXTBOOK_MATRIX = {
    "heavy_ball": sp.Matrix([[1 + beta - alpha * h, -beta], [1, 0]]),
    "nesterov": sp.Matrix([[(1 + beta) * (1 - alpha * h), -beta * (1 - alpha * h)], [1, 0]]),
    "gradient_descent": sp.Matrix([[1 - alpha * h, 0], [1, 0]]),
}


def test_exact_is_subs() -> None:
    # The compiled expressions the hypothesis tests use give what sympy's substitution gives, at points
    # inside and outside the regions, on the boundary (alpha h = 2 (1 + beta)) and with beta < 0.
    points = [(sp.Rational(3, 1024), sp.Rational(511, 1024), sp.Rational(7, 4)), (1, sp.Rational(1, 2), 3),
              (sp.Rational(5, 2), sp.Rational(-3, 4), sp.Rational(9, 8)), (4, sp.Rational(1023, 1024), 8)]
    for method in METHODS:
        for a, b, hh in points:
            pt = {alpha: sp.Rational(a), beta: sp.Rational(b), h: sp.Rational(hh), sigma: sp.Rational(3, 2)}
            for expr in (S.convergence_region(method), S.iteration_matrix(method), TEXTBOOK_MATRIX[method]):
                got = exact(expr.as_immutable() if isinstance(expr, sp.MatrixBase) else expr)(*fractions(pt))
                want = expr.subs(pt)
                assert (got == [[Fraction(str(v)) for v in row] for row in want.tolist()]
                        if isinstance(expr, sp.MatrixBase) else got is bool(want)), (method, expr, pt)
            var = S.stationary_variance(method)
            if var.subs(pt).is_finite:  # (not at a pole: alpha h = 2 (1 + beta))
                got = exact(var, (alpha, beta, h, sigma))(*fractions(pt, (alpha, beta, h, sigma)))
                assert type(got) is Fraction and got == Fraction(str(var.subs(pt)))
            radius = max(float(sp.Abs(ev.subs(pt)).evalf(50)) for ev in S.eigenvalues(method))
            assert exact_radius(method, pt) == radius
    coeffs = sp.symbols("a0:3", real=True)
    values = {c: sp.Rational(k, 64) for c, k in zip(coeffs, (-37, 90, 5), strict=True)}
    for cond in _generic_conditions(3):
        assert exact(cond, coeffs)(*fractions(values, coeffs)) == cond.subs(values)


# --------------------------------------------------------------------------------------------
# Matrix, polynomial, eigenvalues, discriminant
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_matrix_and_polynomial_match_the_textbook(method: str) -> None:
    A = S.iteration_matrix(method)
    assert (A - TEXTBOOK_MATRIX[method]).expand() == sp.zeros(2, 2)
    c1, c0 = TEXTBOOK_MATRIX[method][0, 0], -TEXTBOOK_MATRIX[method][0, 1]
    assert sp.expand(S.characteristic_polynomial(method) - (z**2 - c1 * z + c0)) == 0


@pytest.mark.parametrize("method", METHODS)
def test_eigenvalues_satisfy_vieta(method: str) -> None:
    c1, c0 = TEXTBOOK_MATRIX[method][0, 0], -TEXTBOOK_MATRIX[method][0, 1]
    z1, z2 = S.eigenvalues(method)
    assert same(z1 + z2, c1)
    assert same(z1 * z2, c0)


@pytest.mark.parametrize("method", METHODS)
@given(a=dyadic(2**-BITS, 4), b=dyadic(0, 1), hh=dyadic(-2, 8))
def test_symbolic_matrix_equals_numeric_matrix(method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational) -> None:
    pt = point(method, a, b, hh)
    matrix = exact(S.iteration_matrix(method).as_immutable())(*fractions(pt))
    want = np.array(matrix, dtype=np.float64)  # exact, then rounded
    got = hbtheory.iteration_matrix(*numeric(method, pt), method=method)
    np.testing.assert_allclose(got, want, rtol=2 * EPS, atol=2 * EPS)


@pytest.mark.parametrize("method", METHODS)
@given(a=dyadic(2**-BITS, 4), b=dyadic(0, 1), hh=dyadic(-2, 8))
def test_symbolic_eigenvalues_give_numeric_spectral_radius(
    method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational
) -> None:
    pt = point(method, a, b, hh)
    want = exact_radius(method, pt)
    got = float(hbtheory.spectral_radius(*numeric(method, pt), method=method))
    # spectral_radius is accurate to a few ulps at its (here exact) inputs, also near the curves
    assert abs(got - want) <= 8 * EPS * max(want, 1.0)


def test_heavy_ball_discriminant_factors_as_in_the_design_notes() -> None:
    d = S.discriminant("heavy_ball")
    assert len(sp.Mul.make_args(d)) == 4  # four linear factors in sqrt(beta), sqrt(alpha*h)
    design = ((1 - sp.sqrt(beta)) ** 2 - alpha * h) * ((1 + sp.sqrt(beta)) ** 2 - alpha * h)
    assert sp.expand(d - design) == 0
    assert sp.expand(d - ((1 + beta - alpha * h) ** 2 - 4 * beta)) == 0


@pytest.mark.parametrize("method", METHODS)
def test_factored_discriminant_equals_expanded(method: str) -> None:
    c1, c0 = TEXTBOOK_MATRIX[method][0, 0], -TEXTBOOK_MATRIX[method][0, 1]
    expanded = S.discriminant(method, factored=False)
    assert sp.expand(expanded - (c1**2 - 4 * c0)) == 0
    assert sp.expand(S.discriminant(method) - expanded) == 0


def test_nesterov_discriminant_has_the_alpha_h_equals_one_factor() -> None:
    d = S.discriminant("nesterov")
    assert d.subs(alpha, 1 / h) == 0
    assert len(sp.Mul.make_args(d)) == 3


# --------------------------------------------------------------------------------------------
# Schur-Cohn conditions and the region
# --------------------------------------------------------------------------------------------


def test_schur_cohn_on_a_generic_quadratic_gives_the_jury_conditions() -> None:
    # Jury (1964): z^2 + b z + c is Schur stable iff |c| < 1, P(1) > 0, P(-1) > 0.
    b, c = sp.symbols("b c", real=True)
    P = z**2 + b * z + c
    jury = {1 - c, 1 + c, P.subs(z, 1), P.subs(z, -1)}
    assert {sp.expand(e) for e in S.schur_cohn_conditions(P)} == {sp.expand(e) for e in jury}


@pytest.mark.parametrize("degree", [3, 4])
@given(data=st.data())
def test_schur_cohn_matches_the_roots_of_random_polynomials(degree: int, data: st.DataObject) -> None:
    coeffs = sp.symbols(f"a0:{degree}", real=True)
    conditions = _generic_conditions(degree)
    values = {c: data.draw(dyadic(-2, 2, bits=6), label=str(c)) for c in coeffs}
    # The square-free part (exact, in rationals) has the same roots, all simple, on which mpmath's
    # polyroots converges; 40 digits for a decision that needs |radius - 1| > 1e-6. (The Poly is
    # built from its coefficients and the roots taken by mpmath directly: 3x cheaper than
    # substituting into the generic polynomial and sympy's nroots, the same roots to 2e-16.)
    square_free = sp.Poly([1, *(values[c] for c in reversed(coeffs))], z).sqf_part().all_coeffs()
    with mp.workdps(40):
        roots = mp.polyroots([mp.mpf(int(c.p)) / int(c.q) for c in square_free], maxsteps=200, extraprec=60)
        radius = max(abs(r) for r in roots)
    assume(abs(radius - 1) > 1e-6)
    at = fractions(values, coeffs)
    stable = all(exact(cond, coeffs)(*at) > 0 for cond in conditions)
    assert stable == (radius < 1)


@functools.cache
def _generic_conditions(degree: int) -> tuple[Any, ...]:
    coeffs = sp.symbols(f"a0:{degree}", real=True)
    conditions: tuple[Any, ...] = S.schur_cohn_conditions(z**degree + sum(c * z**k for k, c in enumerate(coeffs)))
    return conditions


def test_schur_cohn_normalises_a_negative_leading_coefficient() -> None:
    # -2 z + 1: root 1/2, stable; 2 z - 3: root 3/2, unstable (a non-positive constant condition)
    assert S.schur_cohn_conditions(-2 * z + 1) == ()
    conds = S.schur_cohn_conditions(2 * z - 3)
    assert len(conds) == 1 and conds[0] <= 0


@pytest.mark.parametrize("method", METHODS)
@given(a=dyadic(2**-BITS, 4), b=dyadic(0, 1), hh=dyadic(-1, 6))
def test_region_agrees_with_numeric_spectral_radius(
    method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational
) -> None:
    pt = point(method, a, b, hh)
    rate = float(hbtheory.spectral_radius(*numeric(method, pt), method=method))
    assume(abs(rate - 1.0) > 1e-9)  # off the boundary
    assert exact(S.convergence_region(method))(*fractions(pt)) == (rate < 1.0)


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov"])
@given(a=dyadic(2**-BITS, 4), b=dyadic(-1.5, 1.5), hh=dyadic(-1, 6))
def test_region_with_negative_momentum_agrees_with_numpy_roots(
    method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational
) -> None:
    # spectral_radius refuses beta < 0; the derived region covers every real beta.
    pt = point(method, a, b, hh)
    (m11, m12), _ = exact(TEXTBOOK_MATRIX[method].as_immutable())(*fractions(pt))
    c1, c0 = float(m11), float(-m12)
    rate = float(np.max(np.abs(np.roots([1.0, -c1, c0]))))
    assume(abs(rate - 1.0) > 1e-6)
    assert exact(S.convergence_region(method))(*fractions(pt)) == (rate < 1.0)


# The regions from the literature: heavy ball |beta| < 1, 0 < alpha h < 2 (1 + beta) (Polyak 1964;
# the design notes); gradient descent 0 < alpha h < 2; Nesterov for 0 <= beta < 1:
# 0 < alpha h < 2 (1 + beta) / (1 + 2 beta) (P(-1) > 0 binds there, |c0| < 1 is then implied).
LITERATURE_REGION: dict[str, Callable[[Any, Any, Any], bool]] = {
    "heavy_ball": lambda a, b, hh: abs(b) < 1 and 0 < a * hh < 2 * (1 + b),
    "gradient_descent": lambda a, b, hh: 0 < a * hh < 2,
    "nesterov": lambda a, b, hh: 0 < a * hh < 2 * (1 + b) / (1 + 2 * b),
}


@pytest.mark.parametrize("method", METHODS)
@given(a=dyadic(2**-BITS, 4), b=dyadic(-2, 2), hh=dyadic(-2, 8))
def test_region_is_the_literature_region(method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational) -> None:
    if method == "nesterov":
        assume(0 <= b < 1)
    pt = point(method, a, b, hh)
    # exact rational arithmetic on both sides: no margin needed, boundary points included
    expected = LITERATURE_REGION[method](*fractions(pt))
    assert exact(S.convergence_region(method))(*fractions(pt)) == expected


def test_heavy_ball_region_boundary_points_are_excluded() -> None:
    region = S.convergence_region("heavy_ball")
    inside = {alpha: 1, beta: sp.Rational(1, 2), h: sp.Rational(299, 100)}
    assert bool(region.subs(inside))
    assert not bool(region.subs({alpha: 1, beta: sp.Rational(1, 2), h: 3}))  # alpha h = 2 (1 + beta)
    assert not bool(region.subs({alpha: 1, beta: 1, h: 1}))  # beta = 1
    assert not bool(region.subs({alpha: 1, beta: 0, h: 0}))  # alpha h = 0


# --------------------------------------------------------------------------------------------
# Critical curves
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_critical_curves_make_the_discriminant_vanish(method: str) -> None:
    d = S.discriminant(method, factored=False)
    cc = S.critical_curves(method)
    for curve in cc.beta:
        assert sp.simplify(d.subs(beta, curve)) == 0
    for value in cc.alpha_h:
        assert sp.expand(d.subs(alpha, value / h)) == 0


def test_critical_curves_are_the_literature_curves() -> None:
    rt = sp.sqrt(alpha * h)
    hb = S.critical_curves("heavy_ball")  # beta = (1 -/+ sqrt(alpha h))^2 (design notes)
    assert len(hb.beta) == 2 and hb.alpha_h == ()
    assert same(hb.beta[0], (1 - rt) ** 2) and same(hb.beta[1], (1 + rt) ** 2)
    nag = S.critical_curves("nesterov")  # (1 - beta)^2 = alpha h (1 + beta)^2 and alpha h = 1
    assert same(nag.beta[0], (1 - rt) / (1 + rt)) and same(nag.beta[1], (1 + rt) / (1 - rt))
    assert nag.alpha_h == (1,)
    gd = S.critical_curves("gradient_descent")
    assert gd.beta == () and gd.alpha_h == (1,)


@given(r=dyadic(2**-BITS, 1))
def test_heavy_ball_on_the_lower_curve_has_rate_sqrt_beta(r: sp.Rational) -> None:
    # Exactly on a curve (the hardest points for the numeric layer): a double root 1 - sqrt(alpha h).
    a, hh = r**2, sp.Integer(1)
    b = S.critical_curves("heavy_ball").beta[0].subs({alpha: a, h: hh})
    assert b == (1 - r) ** 2 and S.discriminant("heavy_ball", factored=False).subs({alpha: a, beta: b, h: hh}) == 0
    got = float(hbtheory.spectral_radius(float(a), float(b), 1.0))
    assert abs(got - float(1 - r)) <= 4 * EPS


# --------------------------------------------------------------------------------------------
# Optimal parameters
# --------------------------------------------------------------------------------------------

sk = sp.sqrt(kappa)
# Heavy ball: Polyak (1964), "Some methods of speeding up the convergence of iteration methods", sec. 3.
# Nesterov: Lessard, Recht, Packard (2016), "Analysis and design of optimization algorithms via
#   integral quadratic constraints", SIAM J. Optim. 26(1):57-95, the tuning of Nesterov's method for
#   strongly convex quadratics (sec. 3): alpha = 4/(3L + mu), rate 1 - 2/sqrt(3 kappa + 1).
# Gradient descent: Polyak (1987), Introduction to Optimization, sec. 1.4: alpha = 2/(mu + L).
LITERATURE_OPTIMUM = {
    "heavy_ball": (4 / (sp.sqrt(L) + sp.sqrt(mu)) ** 2, ((sk - 1) / (sk + 1)) ** 2, (sk - 1) / (sk + 1)),
    "nesterov": (
        4 / (3 * L + mu),
        (sp.sqrt(3 * kappa + 1) - 2) / (sp.sqrt(3 * kappa + 1) + 2),
        1 - 2 / sp.sqrt(3 * kappa + 1),
    ),
    "gradient_descent": (2 / (mu + L), sp.Integer(0), (kappa - 1) / (kappa + 1)),
}


@pytest.mark.parametrize("method", METHODS)
def test_optimal_parameters_are_the_literature_values(method: str) -> None:
    opt = S.optimal_parameters(method)
    a_lit, b_lit, r_lit = LITERATURE_OPTIMUM[method]
    in_mu_L = {kappa: L / mu}
    assert same(opt.alpha, a_lit)
    assert same(opt.beta, b_lit.subs(in_mu_L))
    assert same(opt.rho, r_lit.subs(in_mu_L))
    assert same(opt.alpha_mu, sp.simplify(a_lit * mu).subs(L, kappa * mu))
    assert same(opt.beta_kappa, b_lit)
    assert same(opt.rho_kappa, r_lit)
    # and numerically, to 30 digits, in case simplify were too lenient
    for m_val, L_val in [(1, 4), (sp.Rational(1, 3), 50), (2, 2000)]:
        vals = {mu: m_val, L: L_val, kappa: sp.Rational(L_val) / m_val}
        for got, want in [(opt.alpha, a_lit), (opt.beta, b_lit), (opt.rho, r_lit), (opt.rho_kappa, r_lit)]:
            assert abs(sp.N(got.subs(vals), 40) - sp.N(want.subs(vals), 40)) < sp.Float("1e-30")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kappa_value", [10.0, 1000.0])
def test_optimum_is_attained_and_not_beaten_by_perturbations(
    method: str, kappa_value: float, rng: np.random.Generator
) -> None:
    # The derived tuning really is minimax: its worst case over [mu, L] (dense grid, numeric layer)
    # equals rho*, and no nearby (alpha, beta) does better.
    opt = S.optimal_parameters(method)
    vals = {mu: 1.0, L: kappa_value, kappa: kappa_value}
    a, b, r = (float(e.subs(vals)) for e in (opt.alpha, opt.beta, opt.rho))
    hs = np.linspace(1.0, kappa_value, 4001)
    worst = float(np.max(hbtheory.spectral_radius(a, b, hs, method=method)))
    assert abs(worst - r) <= 1e-7 * r  # the double root at mu: rho is only sqrt(eps)-sensitive to rounding
    uses_beta = get_method(method).uses_beta
    for _ in range(200):
        da, db = rng.uniform(-1, 1, 2) * rng.choice([1e-2, 1e-4, 1e-6])
        ap, bp = a * (1 + da), min(max(b + db * (1 - b), 0.0), 1.0) if uses_beta else 0.0
        perturbed = float(hbtheory.worst_case_rate(ap, bp, 1.0, kappa_value, method=method))
        assert perturbed >= r * (1 - 1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_equal_ripple_equations_hold_at_the_optimum(method: str) -> None:
    opt = S.optimal_parameters(method)
    subs = {alpha: opt.alpha, beta: opt.beta, S.rho: opt.rho}
    assert len(opt.equations) == (3 if get_method(method).uses_beta else 2)
    for eq in opt.equations:
        assert sp.simplify((eq.lhs - eq.rhs).subs(subs)) == 0


def test_heavy_ball_optimum_puts_both_ends_on_the_critical_curves() -> None:
    # Polyak's tuning: alpha* mu on the lower curve, alpha* L on the upper one (design notes)
    opt = S.optimal_parameters("heavy_ball")
    d = S.discriminant("heavy_ball", factored=False)
    for end in (mu, L):
        assert sp.simplify(d.subs({alpha: opt.alpha, beta: opt.beta, h: end})) == 0


# --------------------------------------------------------------------------------------------
# Amplification and noise
# --------------------------------------------------------------------------------------------


def test_amplification_series_values() -> None:
    amp = S.amplification_series()
    assert same(amp.steady, alpha * g / (1 - beta))  # geometric series, |beta| < 1
    assert amp.condition == (sp.Abs(beta) < 1)
    assert same(amp.transient, alpha * g * (1 - beta**t) / (1 - beta))
    assert same(amp.window, 1 / (1 - beta))
    assert isinstance(amp.steady_sum, sp.Sum) and isinstance(amp.partial_sum, sp.Sum)


@given(
    b=st.fractions(min_value=Fraction(-99, 100), max_value=Fraction(99, 100), max_denominator=100),
    steps=st.integers(1, 40),
    a=st.fractions(min_value=Fraction(1, 100), max_value=2, max_denominator=100),
    gg=st.fractions(min_value=-3, max_value=3, max_denominator=20),
)
def test_amplification_transient_is_the_exact_partial_sum(b: Fraction, steps: int, a: Fraction, gg: Fraction) -> None:
    exact = sum((a * gg * b**k for k in range(steps)), Fraction(0))
    amp = S.amplification_series()
    value = amp.transient.subs({alpha: sp.Rational(a), beta: sp.Rational(b), g: sp.Rational(gg), t: steps})
    assert value == sp.Rational(exact)


def test_heavy_ball_stationary_variance_closed_form() -> None:
    # The closed form quoted in the design notes / docs/theory.md sec. 6.
    expected = alpha * sigma**2 * (1 + beta) / (h * (1 - beta) * (2 * (1 + beta) - alpha * h))
    assert same(S.stationary_variance("heavy_ball"), expected)
    assert same(S.stationary_variance("gradient_descent"), alpha * sigma**2 / (h * (2 - alpha * h)))


@pytest.mark.parametrize("method", METHODS)
@given(a=dyadic(2**-BITS, 2), b=dyadic(0, 1), hh=dyadic(2**-BITS, 4), s=dyadic(2**-4, 2))
def test_stationary_variance_solves_the_lyapunov_equation(
    method: str, a: sp.Rational, b: sp.Rational, hh: sp.Rational, s: sp.Rational
) -> None:
    pt = point(method, a, b, hh)
    aa, bb, h_f = numeric(method, pt)
    assume(float(hbtheory.spectral_radius(aa, bb, h_f, method=method)) < 0.999)
    A = hbtheory.iteration_matrix(aa, bb, h_f, method=method)
    noise = np.array([[float(a) ** 2 * float(s) ** 2, 0.0], [0.0, 0.0]])  # sigma^2 b b^T, b = (-alpha, 0)
    expected = solve_discrete_lyapunov(A, noise)[0, 0]
    got = float(exact(S.stationary_variance(method), (alpha, beta, h, sigma))(*fractions({**pt, sigma: s},
                                                                                         (alpha, beta, h, sigma))))
    assert got == pytest.approx(expected, rel=1e-8)


# --------------------------------------------------------------------------------------------
# Bridges: numpy, LaTeX, derivation
# --------------------------------------------------------------------------------------------


def test_to_numpy_broadcasts_and_matches_the_numeric_layer() -> None:
    alphas = np.linspace(0.05, 1.5, 7)[:, None]
    hs = np.linspace(0.1, 4.0, 9)[None, :]
    variance = S.to_numpy(S.stationary_variance("heavy_ball"))
    got = variance(alphas, 0.5, hs, 1.0)
    assert got.shape == (7, 9)
    inside = S.to_numpy(S.convergence_region("heavy_ball"))(alphas, 0.5, hs)
    rates = hbtheory.spectral_radius(alphas, 0.5, hs)
    np.testing.assert_array_equal(inside, rates < 1)
    i, j = 3, 2
    expected = float(S.stationary_variance("heavy_ball").subs({alpha: alphas[i, 0], beta: 0.5, h: hs[0, j], sigma: 1}))
    assert got[i, j] == pytest.approx(expected, rel=4 * EPS)


def test_to_numpy_argument_order() -> None:
    f = S.to_numpy(S.optimal_parameters("gradient_descent").alpha, args=[L, mu])
    assert f(3.0, 1.0) == pytest.approx(0.5)
    assert S.to_numpy(S.optimal_parameters("gradient_descent").alpha)(1.0, 3.0) == pytest.approx(0.5)  # mu, L


def test_derivation_has_every_result_in_order() -> None:
    keys = [
        "update", "iteration_matrix", "characteristic_polynomial", "eigenvalues", "discriminant",
        "convergence_region", "critical_curves", "optimal_parameters", "optimal_parameters_kappa",
        "amplification", "amplification_transient", "stationary_variance",
    ]
    hb = S.derivation("heavy_ball")
    assert list(hb) == keys
    assert all(isinstance(v, str) and v for v in hb.values())
    assert r"\beta < 1" in hb["convergence_region"]
    assert r"\frac{4}{\left(\sqrt{L} + \sqrt{\mu}\right)^{2}}" in hb["optimal_parameters"]
    gd = S.derivation("gradient_descent")
    assert "amplification" not in gd and r"\alpha h = 1" in gd["critical_curves"]
    hb["update"] = "changed"
    assert S.derivation("heavy_ball")["update"] != "changed"  # a new dict each call


def test_latex_of_results() -> None:
    assert S.latex(S.optimal_parameters("gradient_descent")).startswith(r"\alpha^* = \frac{2}{L + \mu}")
    assert S.latex((alpha, beta)) == r"\alpha,\quad \beta"
    assert S.latex(S.iteration_matrix("gradient_descent")).startswith(r"\left[\begin{matrix}")


def test_results_are_cached_and_matrices_are_copies() -> None:
    assert S.optimal_parameters("nesterov") is S.optimal_parameters("nesterov")
    A = S.iteration_matrix("heavy_ball")
    A[0, 0] = 0
    assert S.iteration_matrix("heavy_ball")[0, 0] != 0


def test_accepts_method_objects_and_spellings() -> None:
    assert S.convergence_region(get_method("nesterov")) == S.convergence_region("Nesterov")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

PUBLIC_WITH_METHOD = [
    S.iteration_matrix, S.characteristic_polynomial, S.eigenvalues, S.discriminant, S.convergence_region,
    S.critical_curves, S.optimal_parameters, S.stationary_variance, S.derivation,
]


@pytest.mark.parametrize("func", PUBLIC_WITH_METHOD)
def test_unknown_method_is_rejected(func: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match="`method`"):
        func("adam")
    with pytest.raises(TypeError, match="`method`"):
        func(3)


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(TypeError, match="`factored`"):
        S.discriminant("heavy_ball", factored="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`var`"):
        S.schur_cohn_conditions(z**2, var="z")
    with pytest.raises(TypeError, match="`polynomial`"):
        S.schur_cohn_conditions("z**2 + 1")
    with pytest.raises(ValueError, match=r"`polynomial`.*polynomial"):
        S.schur_cohn_conditions(sp.sqrt(z) + 1)
    with pytest.raises(ValueError, match="degree"):
        S.schur_cohn_conditions(alpha + 1)
    with pytest.raises(ValueError, match="leading coefficient"):
        S.schur_cohn_conditions(alpha * z + 1)
    with pytest.raises(ValueError, match="real coefficients"):
        S.schur_cohn_conditions(z**2 + sp.I * z)
    with pytest.raises(TypeError, match="`expr`"):
        S.to_numpy("alpha + 1")
    with pytest.raises(TypeError, match="`args`"):
        S.to_numpy(alpha + 1, args=["alpha"])
    with pytest.raises(ValueError, match=r"`args`.*beta"):
        S.to_numpy(alpha + beta, args=[alpha])
    with pytest.raises(TypeError, match="`obj`"):
        S.latex(object())
