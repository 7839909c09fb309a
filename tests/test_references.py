"""Reference values from the literature, one section per source.

Each section names its source (with theorem / section numbers) in a comment and states the
published value as a literal or as the published formula evaluated with plain math (``math``,
``fractions``, 50-digit ``mpmath``), never by calling hbtheory to produce the expected number.
The library is then checked against it.

To add a source: a new section with a header comment ``# ---- Author (year), where ----``, the
full citation below it, and the values as the source states them.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest

from hbtheory import optimal_beta, optimal_parameters, worst_case_rate

EPS = 2.0**-52
TOL = 1e-6  # target contraction of the iteration-count references

mpmath.mp.dps = 50


def smallest_t(rate: mpmath.mpf) -> int:
    """Smallest integer t with rate**t <= 1e-6, from 50-digit logarithms (no hbtheory)."""
    tol = mpmath.mpf("1e-6")
    t = int(mpmath.ceil(mpmath.log(tol) / mpmath.log(rate)))
    assert rate**t <= tol < rate ** (t - 1)
    return t


# ---- Polyak (1964); Polyak (1987), section 3.2.1: heavy ball ---------------------------------
# B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", USSR Comput.
# Math. Math. Phys. 4(5):1-17, 1964. B. T. Polyak, Introduction to Optimization, Optimization
# Software, 1987, section 3.2.1 (the heavy-ball method, its optimal parameters and rate):
#   alpha = 4/(sqrt(L) + sqrt(mu))^2, beta = ((sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)))^2,
#   rate q = (sqrt(L) - sqrt(mu))/(sqrt(L) + sqrt(mu)).


def test_polyak_kappa_100_rate_is_9_over_11() -> None:
    # sqrt(100) = 10: q = 9/11, beta = 81/121, alpha = 4/(1 + 1/10)^2 = 400/121 on [1/100, 1].
    t = optimal_parameters(kappa=100)
    assert abs(t.rate - 9 / 11) <= 2 * EPS
    assert abs(t.beta - 81 / 121) <= 2 * EPS
    assert abs(t.alpha - 400 / 121) <= 2 * EPS * 400 / 121


def test_polyak_on_an_interval() -> None:
    # [mu, L] = [1, 4]: q = (2 - 1)/(2 + 1) = 1/3, alpha = 4/9, beta = 1/9.
    t = optimal_parameters(mu=1.0, L=4.0)
    assert abs(t.rate - 1 / 3) <= 2 * EPS
    assert abs(t.alpha - 4 / 9) <= 2 * EPS
    assert abs(t.beta - 1 / 9) <= 2 * EPS


@pytest.mark.parametrize("kappa", [4.0, 9.0, 25.0, 1e4])
def test_polyak_rate_is_attained(kappa: float) -> None:
    # The rate is the spectral radius on the whole interval (both ends critically damped).
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    t = optimal_parameters(kappa=kappa)
    assert abs(float(worst_case_rate(t.alpha, t.beta, t.mu, t.L)) - q) <= 4 * EPS


# ---- Nesterov (2004), Theorem 2.1.15: gradient descent with step 2/(mu + L) -------------------
# Yu. Nesterov, Introductory Lectures on Convex Optimization: A Basic Course, Kluwer, 2004,
# Theorem 2.1.15: with h = 2/(mu + L), ||x_k - x*|| <= ((L/mu - 1)/(L/mu + 1))^k ||x_0 - x*||.
# On quadratics this is the exact worst rate and the best constant step.


@pytest.mark.parametrize(("kappa", "rate"), [(2, Fraction(1, 3)), (10, Fraction(9, 11)), (100, Fraction(99, 101))])
def test_gradient_descent_rate(kappa: int, rate: Fraction) -> None:
    t = optimal_parameters(kappa=kappa, method="gradient_descent")
    assert abs(t.rate - float(rate)) <= 2 * EPS
    assert abs(t.alpha - 2 / (1 + 1 / kappa)) <= 2 * EPS
    assert t.beta == 0.0


def test_heavy_ball_at_kappa_squared_is_gradient_descent_at_kappa() -> None:
    # (sqrt(K) - 1)/(sqrt(K) + 1) with K = kappa^2 is (kappa - 1)/(kappa + 1): momentum turns
    # kappa into sqrt(kappa).
    for kappa in (3.0, 10.0, 1e3):
        hb = optimal_parameters(kappa=kappa**2).rate
        gd = optimal_parameters(kappa=kappa, method="gradient_descent").rate
        assert abs(hb - gd) <= 2 * EPS


# ---- Lessard, Recht & Packard (2016), Proposition 1: tunings on quadratics --------------------
# L. Lessard, B. Recht, A. Packard, "Analysis and design of optimization algorithms via integral
# quadratic constraints", SIAM J. Optim. 26(1):57-95, 2016, Proposition 1 (p. 62) and its table
# of parameters and rates for quadratics with spectrum in [m, L], kappa = L/m:
#   gradient, popular     alpha = 1/L                                       rate 1 - 1/kappa
#   gradient, optimal     alpha = 2/(L + m)                                  rate (kappa - 1)/(kappa + 1)
#   Nesterov, standard    alpha = 1/L, beta = (sqrt(kappa)-1)/(sqrt(kappa)+1) rate 1 - 1/sqrt(kappa)
#   Nesterov, optimal     alpha = 4/(3L + m),
#                         beta = (sqrt(3 kappa + 1) - 2)/(sqrt(3 kappa + 1) + 2) rate 1 - 2/sqrt(3 kappa + 1)
#   heavy ball, optimal   Polyak's tuning (above)                          rate (sqrt(kappa)-1)/(sqrt(kappa)+1)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1e4])
def test_lrp_nesterov_optimal(kappa: float) -> None:
    r = mpmath.sqrt(3 * mpmath.mpf(kappa) + 1)
    t = optimal_parameters(kappa=kappa, method="nesterov")
    assert abs(t.rate - (1 - 2 / r)) <= 2 * EPS
    assert abs(t.alpha - 4 / (3 + 1 / mpmath.mpf(kappa))) <= 4 * EPS
    assert abs(t.beta - (r - 2) / (r + 2)) <= 4 * EPS
    assert abs(float(worst_case_rate(t.alpha, t.beta, t.mu, t.L, "nesterov")) - (1 - 2 / r)) <= 4 * EPS


def test_lrp_nesterov_kappa_100() -> None:
    # 3 * 100 + 1 = 301: rate 1 - 2/sqrt(301) = 0.88472191645...
    assert abs(optimal_parameters(kappa=100, method="nesterov").rate - 0.884721916459) <= 1e-12


@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_lrp_nesterov_standard(kappa: float) -> None:
    # alpha = 1/L: the best beta is the standard one and the rate is 1 - 1/sqrt(kappa).
    sk = math.sqrt(kappa)
    beta, rate = (sk - 1) / (sk + 1), 1 - 1 / sk
    # h = mu is critically damped there: the formula's beta, rounded to float64, may land on the
    # real side of the curve, where rho has a square-root singularity (kappa = 1e4: +4e-10).
    assert abs(float(worst_case_rate(1.0, beta, 1 / kappa, 1.0, "nesterov")) - rate) <= 1e-8
    # optimal_beta returns the float64 beta (within an ulp or two of the formula) that attains it.
    t = optimal_beta(1.0, 1 / kappa, 1.0, method="nesterov")
    assert abs(t.beta - beta) <= 4 * EPS and abs(t.rate - rate) <= 4 * EPS


@pytest.mark.parametrize("kappa", [4.0, 100.0, 1e4])
def test_lrp_gradient_popular(kappa: float) -> None:
    rate = 1 - 1 / kappa
    t = optimal_beta(1.0, 1 / kappa, 1.0, method="gradient_descent")
    assert abs(t.rate - rate) <= 2 * EPS


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1e4])
def test_lrp_ordering(kappa: float) -> None:
    # heavy ball < Nesterov optimal < Nesterov standard < gradient optimal < gradient popular
    sk = math.sqrt(kappa)
    rates = [(sk - 1) / (sk + 1), 1 - 2 / math.sqrt(3 * kappa + 1), 1 - 1 / sk]
    rates += [(kappa - 1) / (kappa + 1), 1 - 1 / kappa]
    assert rates == sorted(rates)
    ours = [optimal_parameters(kappa=kappa, method=m).rate for m in ("heavy_ball", "nesterov", "gradient_descent")]
    assert ours == sorted(ours)


# ---- Iteration counts to 1e-6 (derived here from the rates above) -----------------------------
# Smallest t with rate^t <= 1e-6, from the published rates: rational rates exactly with Fraction,
# the others with 50-digit logarithms. The literals were computed that way once and are re-derived
# below (no value is near an integer boundary: the fractional parts of log(1e-6)/log(rate) are
# all between 0.04 and 0.85).

ITERATIONS_1E6 = {
    # kappa: (heavy ball, Nesterov optimal, gradient descent optimal)
    10: (22, 32, 69),
    100: (69, 113, 691),
    1000: (219, 372, 6908),
    10000: (691, 1190, 69078),
}


@pytest.mark.parametrize("kappa", sorted(ITERATIONS_1E6))
def test_iteration_table_rederived(kappa: int) -> None:
    k = mpmath.mpf(kappa)
    hb = (mpmath.sqrt(k) - 1) / (mpmath.sqrt(k) + 1)
    nag = 1 - 2 / mpmath.sqrt(3 * k + 1)
    gd = (k - 1) / (k + 1)
    assert tuple(smallest_t(r) for r in (hb, nag, gd)) == ITERATIONS_1E6[kappa]


def test_iteration_counts_exact_for_rational_rates() -> None:
    # kappa = 100: heavy ball 9/11, gradient descent 99/101; (p/q)^t <= 10^-6 in integers.
    def exact(p: int, q: int) -> int:
        t = 1
        while p**t * 10**6 > q**t:
            t += 1
        return t

    assert exact(9, 11) == ITERATIONS_1E6[100][0] == 69
    assert exact(99, 101) == ITERATIONS_1E6[100][2] == 691


@pytest.mark.parametrize("kappa", sorted(ITERATIONS_1E6))
@pytest.mark.parametrize("column", [0, 1, 2])
def test_iteration_counts(kappa: int, column: int) -> None:
    method = ("heavy_ball", "nesterov", "gradient_descent")[column]
    assert optimal_parameters(kappa=kappa, method=method).iterations(TOL) == ITERATIONS_1E6[kappa][column]


# ---- The classical complexity: O(sqrt(kappa)) with momentum, O(kappa) without ---------------
# Nesterov (2004), section 2.1 (the lower complexity bound for smooth strongly convex functions,
# whose rate (sqrt(kappa) - 1)/(sqrt(kappa) + 1) heavy ball attains on quadratics) and Polyak
# (1987), section 3.2.1: with rate 1 - c/sqrt(kappa) (momentum) or 1 - c/kappa (gradient
# descent), t(eps) ~ log(1/eps) sqrt(kappa)/c resp. log(1/eps) kappa/c. From the rates:
#   heavy ball  -log(rate) ~ 2/sqrt(kappa)      -> t ~ sqrt(kappa)/2 * log(1/tol)
#   Nesterov    -log(rate) ~ 2/sqrt(3 kappa)    -> t ~ sqrt(3 kappa)/2 * log(1/tol)
#   gradient    -log(rate) ~ 2/kappa            -> t ~ kappa/2 * log(1/tol)


@pytest.mark.parametrize(
    ("method", "scale"),
    [("heavy_ball", lambda k: math.sqrt(k) / 2), ("nesterov", lambda k: math.sqrt(3 * k) / 2),
     ("gradient_descent", lambda k: k / 2)],
)
def test_asymptotic_iteration_counts(method: str, scale: object) -> None:
    assert callable(scale)
    for kappa in (1e6, 1e8, 1e10):
        predicted = scale(kappa) * math.log(1 / TOL)
        n = optimal_parameters(kappa=kappa, method=method).iterations(TOL)
        assert abs(n - predicted) <= 1e-3 * predicted + 1


def test_sqrt_kappa_versus_kappa_scaling() -> None:
    # Multiplying kappa by 100 multiplies the iterations by ~10 with momentum and ~100 without.
    def n(kappa: float, method: str) -> float:
        return float(optimal_parameters(kappa=kappa, method=method).iterations(TOL))

    for method, factor in (("heavy_ball", 10.0), ("nesterov", 10.0), ("gradient_descent", 100.0)):
        assert n(1e8, method) / n(1e6, method) == pytest.approx(factor, rel=2e-3)
