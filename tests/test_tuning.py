"""Tests of hbtheory.tuning: closed forms, float64-level optimality, brute force, validation.

Tolerances are in machine epsilons. "Brute force" minimises :func:`hbtheory.worst_case_rate`
with scipy (or zoomed grids) from the best points of a dense grid; the theory must never lose to it by more than a
few eps, and brute force must never beat the theory by more than a few eps.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hbtheory
import hbtheory.tuning
from hbtheory import Tuning, optimal_alpha, optimal_beta, optimal_parameters, worst_case_rate
from hbtheory._result import Result
from hbtheory.methods import HEAVY_BALL, TRIPLE_MOMENTUM, Method, general

EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov", "gradient_descent")
MOMENTUM = ("heavy_ball", "nesterov")

mpmath.mp.dps = 50


def wcr(t: Tuning) -> float:
    return float(worst_case_rate(t.alpha, t.beta, t.mu, t.L, t.as_method()))


def exact_count(rate: float, tol: float) -> int:
    """Smallest t >= 1 with rate**t <= tol for the float64 values, exactly: 120 digits of mpmath
    (the count has at most 19), rationals when the quotient is an integer to 1e-60."""
    if rate == 0.0:
        return 1
    with mpmath.workdps(120):
        q = mpmath.log(mpmath.mpf(tol)) / mpmath.log(mpmath.mpf(rate))
        n = int(mpmath.nint(q))
        if abs(q - n) > mpmath.mpf(10) ** -60:
            return max(1, int(mpmath.ceil(q)))
    assert n <= 2100  # an exact power: small exponent (or a power of two)
    return max(1, n if Fraction(rate) ** n <= Fraction(tol) else n + 1)


# --------------------------------------------------------------------------------------------
# Brute force (scipy)
# --------------------------------------------------------------------------------------------


def _nelder_mead(f: Callable[[Any], float], x0: list[float], step: list[float]) -> float:
    from scipy.optimize import minimize

    simplex = [x0] + [[x + (s if i == j else 0.0) for j, x in enumerate(x0)] for i, s in enumerate(step)]
    res = minimize(
        f, x0, method="Nelder-Mead",
        options={"xatol": 1e-15, "fatol": 1e-17, "maxfev": 2500, "initial_simplex": simplex},
    )
    return float(res.fun)


def _zoom(method: str | Method, mu: float, L: float, log_a: float, b: float, da: float, db: float) -> float:
    """Successively finer 21 x 21 grids in (log alpha, beta) centred on the best point so far, each
    spanning four spacings of the one before, down to spacings below 1e-17 (40 grids at most)."""
    uses_beta = hbtheory.get_method(method).uses_beta
    best, steps = math.inf, np.linspace(-2.0, 2.0, 21)
    for _ in range(40):
        a = log_a + da * steps[:, None]
        bb = np.clip(b + db * steps[None, :], 0.0, math.nextafter(1.0, 0.0)) if uses_beta else np.zeros((1, 1))
        grid = worst_case_rate(np.exp(a), bb, mu, L, method)
        i, j = np.unravel_index(int(np.argmin(grid)), grid.shape)
        if grid[i, j] <= best:
            best, log_a, b = float(grid[i, j]), float(a[i, 0]), float(bb[0, j])
        da, db = da / 5.0, db / 5.0
        if max(da, db if uses_beta else 0.0) < 1e-17:
            break
    return best


def brute_joint(method: str | Method, mu: float, L: float, refine: bool | str = True) -> float:
    """min over (alpha, beta) of worst_case_rate: a 500 x 500 grid, then (``refine``) Nelder-Mead
    from its two best points in (log alpha, beta); ``refine="zoom"``: zoomed grids (:func:`_zoom`)
    from the same two points instead."""
    uses_beta = hbtheory.get_method(method).uses_beta
    a = np.geomspace(1e-3 / L, 4.0 / L, 500)[:, None]
    b = np.linspace(0.0, 0.999, 500)[None, :] if uses_beta else np.zeros((1, 1))
    grid = worst_case_rate(a, b, mu, L, method)
    if not refine:
        return float(grid.min())

    def f(p: Any) -> float:
        beta = float(p[1]) if uses_beta else 0.0
        if not 0.0 <= beta < 1.0:
            return 2.0
        return float(worst_case_rate(math.exp(p[0]), beta, mu, L, method))

    best = float(grid.min())
    for flat in np.argsort(grid, axis=None)[:2]:
        i, j = np.unravel_index(flat, grid.shape)
        x0 = [math.log(a[i, 0]), float(b[0, j])]
        if refine == "zoom":
            best = min(best, _zoom(method, mu, L, *x0, math.log(4000.0) / 499, 0.999 / 499))
        else:
            best = min(best, _nelder_mead(f, x0, [0.01, 0.01]))
    return best


def brute_beta(alpha: float, mu: float, L: float, method: str | Method) -> float:
    """min over beta in [0, 1) at fixed alpha: a 20001-point grid, then bounded Brent between
    the grid neighbours of its minimum."""
    from scipy.optimize import minimize_scalar

    b = np.linspace(0.0, 1.0, 20001)[:-1]
    grid = worst_case_rate(alpha, b, mu, L, method)
    j = int(np.argmin(grid))
    lo, hi = b[max(j - 1, 0)], b[min(j + 1, b.size - 1)]
    res = minimize_scalar(
        lambda x: float(worst_case_rate(alpha, x, mu, L, method)),
        bounds=(lo, hi), method="bounded", options={"xatol": 1e-15},
    )
    return min(float(grid[j]), float(res.fun))


def brute_alpha(beta: float, mu: float, L: float, method: str | Method) -> float:
    """min over alpha in (0, 4(1 + beta)/L) at fixed beta: log grid then bounded Brent."""
    from scipy.optimize import minimize_scalar

    a = np.geomspace(1e-4 / L, 4.0 * (1.0 + beta) / L, 20001)
    grid = worst_case_rate(a, beta, mu, L, method)
    j = int(np.argmin(grid))
    lo, hi = a[max(j - 1, 0)], a[min(j + 1, a.size - 1)]
    res = minimize_scalar(
        lambda x: float(worst_case_rate(x, beta, mu, L, method)),
        bounds=(lo, hi), method="bounded", options={"xatol": 1e-15},
    )
    return min(float(grid[j]), float(res.fun))


def _nesterov_beta_closed_form(alpha: float, mu: float, L: float) -> float:
    """Best Nesterov momentum for a fixed step: the derivation in :func:`optimal_beta`'s Notes, kept
    here as an independent oracle for the generic float search."""
    xm, xl = alpha * mu, alpha * L
    beta_m = (1.0 - xm) / (1.0 + math.sqrt(xm)) ** 2 if xm < 1.0 else 0.0  # = beta_-(x_mu)
    if xl <= 1.0:
        return beta_m
    if xm + xl >= 2.0:
        return 0.0
    p, q = xl - xm, 2.0 - xm - xl
    k = 2.0 * (xl - 1.0) * (1.0 - xm) * q / (p * p)
    if k > 0.25:
        return beta_m
    b = 2.0 * k / ((1.0 - 2.0 * k) + math.sqrt(1.0 - 4.0 * k))  # the root of K(1+b)^2 = b in (0, 1]
    # The root equates rho_L with *a* root of mu's polynomial; it is the crossing only if that is
    # the larger one (>= half their sum) and mu's roots are still real there (b < beta_m).
    rho = b * p / ((1.0 + b) * q)
    if b < beta_m and 2.0 * rho >= (1.0 + b) * (1.0 - xm):
        return b
    return beta_m


# --------------------------------------------------------------------------------------------
# Tuning
# --------------------------------------------------------------------------------------------


class TestTuning:
    def test_fields_kappa_and_frozen(self) -> None:
        t = Tuning("heavy_ball", 0.5, 0.25, 0.5, 0.25, 1.0)
        assert (t.method, t.alpha, t.beta, t.rate, t.mu, t.L, t.note) == ("heavy_ball", 0.5, 0.25, 0.5, 0.25, 1.0, "")
        assert t.kappa == 4.0
        with pytest.raises(AttributeError):
            t.alpha = 1.0  # type: ignore[misc]

    @pytest.mark.parametrize("rate", [0.5, 0.9, 0.99, 0.818181, 1e-3, 0.999999])
    @pytest.mark.parametrize("tol", [1e-1, 1e-6, 1e-12, 0.5])
    def test_iterations_is_the_smallest_t(self, rate: float, tol: float) -> None:
        # Exactly, for the float64 values: float powers round (0.001**2 == 1e-6 in float64, but
        # the float 0.001 squared is 1.00000000000000004e-6 > the float 1e-6, so the count is 3).
        n = Tuning("heavy_ball", 1.0, 0.5, rate, 0.1, 1.0).iterations(tol)
        assert isinstance(n, int)
        assert n == exact_count(rate, tol)

    def test_iterations_exact_powers(self) -> None:
        # rate**t == tol exactly: equality counts (0.75**2 = 0.5625; 2**-1074 = (2**-2)**537)
        assert Tuning("heavy_ball", 1.0, 0.5, 0.75, 0.1, 1.0).iterations(0.5625) == 2
        assert Tuning("heavy_ball", 1.0, 0.5, 0.25, 0.1, 1.0).iterations(5e-324) == 537
        assert Tuning("heavy_ball", 1.0, 0.5, 0.25, 0.1, 1.0).iterations(math.nextafter(5e-324, 1.0)) == 537
        assert Tuning("heavy_ball", 1.0, 0.5, 0.5, 0.1, 1.0).iterations(math.nextafter(2.0**-20, 0.0)) == 21

    def test_iterations_subnormal_tol(self) -> None:
        # issue 11: 3708 before (rate**t underflows and the check by float powers is wrong); the
        # count is ceil(log(5e-324) / log(9/11)) = ceil(3709.4...) = 3710 (mpmath below).
        t = optimal_parameters(kappa=100)
        assert t.iterations(5e-324) == 3710 == exact_count(t.rate, 5e-324)

    def test_iterations_is_constant_time_for_huge_counts(self) -> None:
        # issue 11: kappa = 1e25 with tol = 1e-320 took more than 15 minutes (a loop of float
        # powers); the count, about 9.2e14, is one division and (near an integer) one mpmath call.
        t = optimal_parameters(kappa=1e25)
        start = time.perf_counter()
        n = t.iterations(1e-320)
        assert time.perf_counter() - start < 0.5
        assert n == exact_count(t.rate, 1e-320)
        rate_below_one = Tuning("gradient_descent", 1.0, 0.0, math.nextafter(1.0, 0.0), 0.1, 1.0)
        start = time.perf_counter()
        assert rate_below_one.iterations(5e-324) == exact_count(math.nextafter(1.0, 0.0), 5e-324)
        assert time.perf_counter() - start < 0.5

    def test_cli_optimal_huge_kappa_tiny_tol_is_fast(self, capsys: pytest.CaptureFixture[str]) -> None:
        from hbtheory.cli import main

        start = time.perf_counter()
        assert main(["optimal", "--kappa", "1e25", "--tol", "1e-320", "--json"]) == 0
        assert time.perf_counter() - start < 2.0  # > 40 s before
        payload = json.loads(capsys.readouterr().out)
        assert payload["iterations"] == exact_count(payload["rate"], 1e-320)

    @given(
        rate=st.one_of(st.floats(0.0, 1.0, exclude_max=True), st.floats(1.0 - 1e-9, 1.0, exclude_max=True)),
        tol=st.one_of(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), st.floats(5e-324, 1e-300)),
    )
    def test_iterations_against_mpmath(self, rate: float, tol: float) -> None:
        n = Tuning("heavy_ball", 1.0, 0.5, rate, 0.1, 1.0).iterations(tol)
        assert n == exact_count(rate, tol)

    def test_iterations_boundary_cases(self) -> None:
        assert Tuning("gradient_descent", 1.0, 0.0, 0.5, 1.0, 1.0).iterations(0.5) == 1
        assert Tuning("gradient_descent", 1.0, 0.0, 0.5, 1.0, 1.0).iterations(0.25) == 2
        assert Tuning("gradient_descent", 1.0, 0.0, 0.0, 1.0, 1.0).iterations(1e-300) == 1
        assert Tuning("heavy_ball", 1.0, 0.5, 1.0, 0.1, 1.0).iterations() == math.inf
        assert Tuning("heavy_ball", 1.0, 0.5, 1.5, 0.1, 1.0).iterations() == math.inf

    @pytest.mark.parametrize("tol", [0.0, 1.0, -1e-3, 2.0, math.nan, math.inf])
    def test_iterations_rejects_bad_tol(self, tol: float) -> None:
        with pytest.raises(ValueError, match="`tol`"):
            Tuning("heavy_ball", 1.0, 0.5, 0.5, 0.1, 1.0).iterations(tol)

    def test_iterations_rejects_non_numeric_tol(self) -> None:
        with pytest.raises(TypeError, match="`tol`"):
            Tuning("heavy_ball", 1.0, 0.5, 0.5, 0.1, 1.0).iterations("1e-6")  # type: ignore[arg-type]

    def test_as_dict_is_json(self) -> None:
        t = optimal_parameters(kappa=10.0, method="nesterov")
        d = t.as_dict()
        assert json.loads(json.dumps(d)) == d
        assert d["kappa"] == t.kappa and d["method"] == "nesterov" and d["rate"] == t.rate

    def test_str_is_one_readable_line(self) -> None:
        s = str(optimal_parameters(mu=0.5, L=2.0, method="gradient_descent"))
        assert s == "Tuning(gradient_descent, kappa=4): alpha=0.8, beta=0, rate=0.6"


# --------------------------------------------------------------------------------------------
# optimal_parameters: closed forms
# --------------------------------------------------------------------------------------------


def textbook(method: str, kappa: Any) -> tuple[Any, Any, Any]:
    """(alpha, beta, rate) on [1/kappa, 1] in 50-digit arithmetic, from the published formulas."""
    k = mpmath.mpf(kappa)
    if method == "heavy_ball":
        s = (mpmath.sqrt(k) - 1) / (mpmath.sqrt(k) + 1)
        return 4 / (1 + 1 / mpmath.sqrt(k)) ** 2, s**2, s
    if method == "nesterov":
        r = mpmath.sqrt(3 * k + 1)
        return 4 / (3 + 1 / k), (r - 2) / (r + 2), 1 - 2 / r
    return 2 / (1 + 1 / k), mpmath.mpf(0), (k - 1) / (k + 1)


KAPPAS = [1.0, 1.0 + 2**-40, 1.0 + 1e-8, 1.001, 1.5, 2.0, 10.0, 100.0, 12345.678, 1e8, 1e12, 1e16]


class TestOptimalParameters:
    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kappa", KAPPAS)
    def test_matches_the_published_formulas(self, method: str, kappa: float) -> None:
        t = optimal_parameters(kappa=kappa, method=method)
        alpha, beta, rate = textbook(method, kappa)
        # The rate is a closed form in kappa, computed without cancellation: relative accuracy
        # of a few eps even at kappa = 1 + 2**-40 (rate ~ 2**-42) and kappa = 1e16 (1 - rate ~ 1e-8).
        assert abs(t.rate - rate) <= 4 * EPS * rate
        assert abs(t.alpha - alpha) <= 4 * EPS * alpha
        # beta is tuned to the float64 spectrum [fl(1/kappa), 1] (near kappa = 1 the optimal beta
        # is as ill-conditioned as 1 - mu): compare with the exact beta of that spectrum.
        _, beta_float_spectrum, _ = textbook(method, 1 / mpmath.mpf(t.mu))
        if method == "heavy_ball":  # beta ~ rate**2: compare on the scale of the rate
            assert abs(math.sqrt(t.beta) - mpmath.sqrt(beta_float_spectrum)) <= 4 * EPS
        else:
            assert abs(t.beta - beta_float_spectrum) <= 4 * EPS
        assert abs(t.beta - beta) <= 4 * EPS + 4 * abs(beta_float_spectrum - beta)
        assert t.mu == 1.0 / kappa and t.L == 1.0

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kappa", KAPPAS)
    def test_worst_case_rate_agrees(self, method: str, kappa: float) -> None:
        # At the optimum mu (and for heavy ball also L) is critically damped: rounding beta down
        # by one ulp would put it on the real side, where rho has a square-root singularity.
        t = optimal_parameters(kappa=kappa, method=method)
        assert abs(wcr(t) - t.rate) <= 4 * EPS

    # Costly examples (an optimal_parameters call and two kernel evaluations, ~25 ms each): 100,
    # not the profile's 200; the fixed kappas and scales above cover the edges deterministically.
    @settings(max_examples=100)
    @given(
        log_kappa=st.floats(0.0, 16.0),
        log_scale=st.floats(-200.0, 200.0),
        method=st.sampled_from(METHODS),
    )
    def test_worst_case_rate_agrees_everywhere(self, log_kappa: float, log_scale: float, method: str) -> None:
        kappa = 10.0**log_kappa
        mu = 10.0**log_scale
        t = optimal_parameters(mu=mu, L=mu * kappa, method=method)
        assert abs(wcr(t) - t.rate) <= 6 * EPS
        assert 0.0 <= t.beta < 1.0 and 0.0 <= t.rate < 1.0

    @pytest.mark.parametrize("method", MOMENTUM)
    @pytest.mark.parametrize("kappa", [2.0, 100.0, 1e8])
    def test_beta_is_the_smallest_float_that_attains_the_rate(self, method: str, kappa: float) -> None:
        t = optimal_parameters(kappa=kappa, method=method)
        below = math.nextafter(t.beta, 0.0)
        assert float(worst_case_rate(t.alpha, below, t.mu, t.L, method)) > wcr(t)

    @pytest.mark.parametrize("method", METHODS)
    def test_kappa_one(self, method: str) -> None:
        t = optimal_parameters(kappa=1.0, method=method)
        assert (t.alpha, t.beta, t.rate) == (1.0, 0.0, 0.0)
        assert wcr(t) == 0.0
        assert t.iterations(1e-6) == 1
        t = optimal_parameters(mu=4.0, L=4.0, method=method)
        assert (t.alpha, t.beta, t.rate) == (0.25, 0.0, 0.0)

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kappa", [1.5, 100.0, 1e10])
    def test_kappa_and_interval_agree_and_scale(self, method: str, kappa: float) -> None:
        a = optimal_parameters(kappa=kappa, method=method)
        b = optimal_parameters(mu=1.0 / kappa, L=1.0, method=method)
        assert (a.alpha, a.beta) == (b.alpha, b.beta)
        assert abs(a.rate - b.rate) <= 2 * EPS
        c = optimal_parameters(mu=2.0**-30 / kappa, L=2.0**-30, method=method)  # exact rescaling
        assert (c.alpha, c.beta, c.rate) == (b.alpha * 2.0**30, b.beta, b.rate)

    def test_classic_ordering(self) -> None:
        for kappa in (2.0, 10.0, 1e4):
            hb, nag, gd = (optimal_parameters(kappa=kappa, method=m).rate for m in METHODS)
            assert hb < nag < gd

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1000.0])
    def test_no_better_than_brute_force_finds(self, method: str, kappa: float) -> None:
        # Zoomed grids, not Nelder-Mead: for these twelve they end within 0.5 eps of the optimum
        # (Nelder-Mead stopped 1106 eps above it for heavy ball at kappa 10) in a sixth of the time.
        t = optimal_parameters(kappa=kappa, method=method)
        brute = brute_joint(method, t.mu, t.L, refine="zoom")
        assert brute >= t.rate - 4 * EPS  # nothing beats the theory
        assert t.rate <= brute + 4 * EPS  # and the theory is no worse than the search

    @pytest.mark.parametrize("method", METHODS)
    def test_extreme_scales(self, method: str) -> None:
        for mu, L in ((1e-307, 1e-306), (1e300, 1e301), (1e-20, 1e-10)):
            t = optimal_parameters(mu=mu, L=L, method=method)
            assert abs(wcr(t) - t.rate) <= 4 * EPS
        with pytest.raises(ValueError, match=r"`L` must be >= 4.5e-308"):
            optimal_parameters(mu=1e-310, L=2e-310, method=method)
        with pytest.raises(ValueError, match=r"`L` must be >= 4.5e-308"):
            optimal_alpha(0.0, 1e-310, 2e-310, method=method)

    def test_huge_kappa_is_rejected_not_rounded(self) -> None:
        assert optimal_parameters(kappa=1e30).beta < 1.0
        with pytest.raises(ValueError, match=r"`kappa`.*too large"):
            optimal_parameters(kappa=1e40)
        with pytest.raises(ValueError, match=r"`kappa`.*too large"):
            optimal_parameters(kappa=1e17, method="gradient_descent")
        with pytest.raises(ValueError, match=r"`L`/`mu`.*too large"):
            optimal_parameters(mu=1e-300, L=1e300, method="nesterov")


# --------------------------------------------------------------------------------------------
# optimal_beta
# --------------------------------------------------------------------------------------------


class TestOptimalBeta:
    @pytest.mark.parametrize("alpha", [1e-3, 0.3, 1.0, 2.0, 3.3, 3.99])
    @pytest.mark.parametrize("mu", [1e-3, 0.1, 0.7, 1.0])
    def test_heavy_ball_closed_form(self, alpha: float, mu: float) -> None:
        t = optimal_beta(alpha, mu, 1.0)
        rate = max(abs(1 - mpmath.sqrt(alpha * mpmath.mpf(mu))), abs(1 - mpmath.sqrt(alpha)))
        assert abs(t.rate - rate) <= 4 * EPS
        assert abs(math.sqrt(t.beta) - rate) <= 4 * EPS
        assert t.rate == wcr(t)

    @pytest.mark.parametrize("kappa", [1.0, 4.0, 100.0, 1e6])
    def test_nesterov_at_one_over_L_is_the_classical_tuning(self, kappa: float) -> None:
        # alpha = 1/L: beta = (sqrt(kappa) - 1)/(sqrt(kappa) + 1), rate 1 - 1/sqrt(kappa)
        t = optimal_beta(1.0, 1.0 / kappa, 1.0, method="nesterov")
        k = mpmath.mpf(kappa)
        assert abs(t.beta - (mpmath.sqrt(k) - 1) / (mpmath.sqrt(k) + 1)) <= 4 * EPS
        assert abs(t.rate - (1 - 1 / mpmath.sqrt(k))) <= 4 * EPS

    def test_gradient_descent_only_evaluates(self) -> None:
        t = optimal_beta(1.5, 0.1, 1.0, method="gradient_descent")
        assert t.beta == 0.0 and t.rate == pytest.approx(0.85, abs=2 * EPS)

    # ~20 ms an example (the float search of optimal_beta): 100, with test_brute_force's 24 fixed
    # cases below refined by Brent.
    @settings(max_examples=100)
    @given(
        x=st.floats(1e-4, 0.9999),
        log_kappa=st.floats(0.0, 6.0),
        method=st.sampled_from(METHODS),
    )
    def test_no_beta_on_a_grid_is_better(self, x: float, log_kappa: float, method: str) -> None:
        limit = 4.0 if method == "heavy_ball" else 2.0
        mu, L, alpha = 10.0**-log_kappa, 1.0, x * limit
        t = optimal_beta(alpha, mu, L, method)
        assert t.rate == wcr(t) and 0.0 <= t.beta < 1.0
        grid = np.linspace(0.0, 1.0, 2001)[:-1] if method != "gradient_descent" else 0.0
        assert t.rate <= float(np.min(worst_case_rate(alpha, grid, mu, L, method))) + 2 * EPS

    # ~35 ms an example (optimal_beta's float search for Nesterov): 80 examples over two dimensions
    # (the profile's 200 took 7 s, the most costly test in this file).
    @settings(max_examples=80)
    @given(xm=st.floats(1e-4, 1.9), ratio=st.floats(1.0, 1e4))
    def test_nesterov_closed_form_matches_the_float_search(self, xm: float, ratio: float) -> None:
        # The derivation (cases x_L <= 1, x_mu + x_L >= 2, crossing K(1+b)^2 = b, or beta_-(x_mu))
        # against the bisection on the float64 grid, which only assumes quasi-convexity.
        alpha, mu, L = 1.0, xm, min(xm * ratio, 1.999)
        t = optimal_beta(alpha, mu, L, method="nesterov")
        closed = _nesterov_beta_closed_form(alpha, mu, L)
        rate_closed = float(worst_case_rate(alpha, closed, mu, L, "nesterov"))
        # near critical damping rho has a sqrt singularity in beta; compare rates, and betas loosely
        assert t.rate <= rate_closed + 2 * EPS
        assert rate_closed - t.rate <= 1e-7
        assert abs(closed - t.beta) <= 1e-6

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("kappa", [2.0, 100.0])
    @pytest.mark.parametrize("frac", [0.05, 0.3, 0.6, 0.9])
    def test_brute_force(self, method: str, kappa: float, frac: float) -> None:
        limit = 4.0 if method == "heavy_ball" else 2.0
        alpha = frac * limit
        t = optimal_beta(alpha, 1.0 / kappa, 1.0, method)
        brute = brute_beta(alpha, 1.0 / kappa, 1.0, method) if method != "gradient_descent" else wcr(t)
        assert brute >= t.rate - 4 * EPS
        assert t.rate <= brute + 4 * EPS

    @pytest.mark.parametrize(("method", "limit"), [("heavy_ball", 4.0), ("nesterov", 2.0), ("gradient_descent", 2.0)])
    def test_no_converging_beta_raises(self, method: str, limit: float) -> None:
        with pytest.raises(ValueError, match=r"`alpha` = .*: no momentum beta in \[0, 1\) makes .* converge"):
            optimal_beta(limit / 2.0, 0.1, 2.0, method)
        t = optimal_beta(limit * (1 - 1e-9) / 2.0, 0.1, 2.0, method)
        assert t.rate < 1.0
        edge = math.nextafter(limit, 0.0) / 2.0
        if method == "heavy_ball":  # rate 1 - O(sqrt(4 - alpha L)) = 1 - 1e-8 * ulp: rounds to 1
            with pytest.raises(ValueError, match=r"`alpha` = .*no momentum beta.*rounds to 1"):
                optimal_beta(edge, 0.1, 2.0, method)
        else:  # rate alpha L - 1 = 1 - ulp
            assert optimal_beta(edge, 0.1, 2.0, method).rate < 1.0

    def test_tiny_alpha_raises(self) -> None:
        assert optimal_beta(1e-20, 1.0, 1.0).beta < 1.0
        with pytest.raises(ValueError, match=r"`alpha` = 1e-40: no momentum beta.*close to it or to 0"):
            optimal_beta(1e-40, 1.0, 1.0)

    @pytest.mark.parametrize("method", MOMENTUM)
    @pytest.mark.parametrize("kappa", [1.0, 3.0, 1e4])
    def test_consistent_with_optimal_parameters(self, method: str, kappa: float) -> None:
        t = optimal_parameters(kappa=kappa, method=method)
        b = optimal_beta(t.alpha, t.mu, t.L, method)
        assert b.beta == t.beta
        assert abs(b.rate - t.rate) <= 4 * EPS


# --------------------------------------------------------------------------------------------
# optimal_alpha
# --------------------------------------------------------------------------------------------


class TestOptimalAlpha:
    @pytest.mark.parametrize("beta", [0.7, 0.81, 0.95, 0.999])
    def test_heavy_ball_band_regime(self, beta: float) -> None:
        mu, L = 0.01, 1.0  # beta*(100) = 0.669...
        t = optimal_alpha(beta, mu, L)
        # the geometric centre of the float64 steps that attain sqrt(beta): the formula to a few ulps
        assert abs(t.alpha - (1.0 - beta) / (math.sqrt(mu) * math.sqrt(L))) <= 8 * EPS * t.alpha
        assert t.rate == math.sqrt(beta) == wcr(t)
        # the documented interval of optimal steps: rate sqrt(beta) at both of its ends too
        s = math.sqrt(beta)
        lo, hi = (1 - s) ** 2 / mu * (1 + 4 * EPS), (1 + s) ** 2 / L * (1 - 4 * EPS)
        assert float(worst_case_rate(lo, beta, mu, L)) == pytest.approx(s, abs=1e-7)
        assert float(worst_case_rate(hi, beta, mu, L)) == pytest.approx(s, abs=1e-7)
        assert "centre" in t.note

    @pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.66])
    def test_heavy_ball_equal_ripple_regime(self, beta: float) -> None:
        mu, L = 0.01, 1.0
        t = optimal_alpha(beta, mu, L)
        assert abs(t.alpha - 2 * (1 + beta) / (mu + L)) <= 4 * EPS * t.alpha
        b = mpmath.mpf(beta)
        c = (1 + b) * (mpmath.mpf(L) - mu) / (L + mpmath.mpf(mu))
        assert abs(t.rate - (c + mpmath.sqrt(c * c - 4 * b)) / 2) <= 1e-12
        assert t.rate == wcr(t) and "ripple" in t.note

    @pytest.mark.parametrize("beta", [0.0, 0.3, 0.8, 0.99])
    @pytest.mark.parametrize("kappa", [1.5, 100.0, 1e6])
    def test_nesterov_equal_ripple(self, beta: float, kappa: float) -> None:
        mu, L = 1.0 / kappa, 1.0
        t = optimal_alpha(beta, mu, L, method="nesterov")
        assert 1.0 / L <= t.alpha <= 1.0 / mu
        r_mu, r_L = hbtheory.spectral_radius(t.alpha, beta, [mu, L], method="nesterov")
        assert abs(r_mu - r_L) <= 1e-7  # balanced to the grid (rho_mu may be sqrt-steep)
        up, down = math.nextafter(t.alpha, math.inf), math.nextafter(t.alpha, 0.0)
        assert t.rate <= float(worst_case_rate(up, beta, mu, L, "nesterov"))
        assert t.rate <= float(worst_case_rate(down, beta, mu, L, "nesterov"))

    def test_nesterov_beta_zero_is_gradient_descent(self) -> None:
        t = optimal_alpha(0.0, 0.01, 1.0, method="nesterov")
        g = optimal_alpha(0.0, 0.01, 1.0, method="gradient_descent")
        assert abs(t.alpha - g.alpha) <= 2 * EPS * g.alpha and abs(t.rate - g.rate) <= 2 * EPS
        assert abs(g.alpha - 2 / 1.01) <= 2 * EPS and abs(g.rate - 99 / 101) <= 2 * EPS

    @pytest.mark.parametrize("method", METHODS)
    def test_mu_equal_L(self, method: str) -> None:
        beta = 0.0 if method == "gradient_descent" else 0.36
        t = optimal_alpha(beta, 2.0, 2.0, method)
        expected = (1 - beta) / 2.0 if method == "heavy_ball" else 0.5
        assert abs(t.alpha - expected) <= 2 * EPS * expected
        assert t.rate == (0.6 if method == "heavy_ball" else 0.0)

    @pytest.mark.parametrize("method", MOMENTUM)
    @pytest.mark.parametrize("kappa", [1.0, 10.0, 1e4])
    def test_consistent_with_optimal_parameters(self, method: str, kappa: float) -> None:
        t = optimal_parameters(kappa=kappa, method=method)
        a = optimal_alpha(t.beta, t.mu, t.L, method)
        assert abs(a.alpha - t.alpha) <= 1e-12 * t.alpha
        assert abs(a.rate - t.rate) <= 4 * EPS

    @pytest.mark.parametrize(
        ("method", "beta"),
        [(m, b) for m in MOMENTUM for b in (0.0, 0.4, 0.9)] + [("gradient_descent", 0.0)],
    )
    @pytest.mark.parametrize("kappa", [3.0, 100.0])
    def test_brute_force(self, method: str, kappa: float, beta: float) -> None:
        t = optimal_alpha(beta, 1.0 / kappa, 1.0, method)
        brute = brute_alpha(beta, 1.0 / kappa, 1.0, method)
        assert brute >= t.rate - 4 * EPS
        assert t.rate <= brute + 4 * EPS

    # ~30 ms an example (optimal_alpha's float search): 100, with test_brute_force's 14 fixed cases
    # refined by Brent.
    @settings(max_examples=100)
    @given(beta=st.floats(0.0, 0.999), log_kappa=st.floats(0.0, 8.0), method=st.sampled_from(MOMENTUM))
    def test_no_alpha_on_a_grid_is_better(self, beta: float, log_kappa: float, method: str) -> None:
        mu, L = 10.0**-log_kappa, 1.0
        t = optimal_alpha(beta, mu, L, method)
        assert t.rate == wcr(t) and t.rate < 1.0
        grid = np.geomspace(1e-3 * t.alpha, 1e3 * t.alpha, 2001)
        assert t.rate <= float(np.min(worst_case_rate(grid, beta, mu, L, method))) + 2 * EPS

    def test_gradient_descent_needs_beta_zero(self) -> None:
        with pytest.raises(ValueError, match="`beta` must be 0"):
            optimal_alpha(0.5, 0.1, 1.0, method="gradient_descent")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


class TestValidation:
    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"kappa": 10.0, "mu": 0.1, "L": 1.0}, "either `kappa` or both `mu` and `L`, not both"),
            ({"kappa": 10.0, "L": 1.0}, "either `kappa` or both `mu` and `L`, not both"),
            ({}, r"pass `kappa` \(>= 1\), or both `mu` and `L`"),
            ({"mu": 0.1}, "`mu` and `L` must be given together .`L` is missing"),
            ({"L": 1.0}, "`mu` and `L` must be given together .`mu` is missing"),
            ({"kappa": 0.5}, r"`kappa` must be in \[1.0, inf\)"),
            ({"kappa": math.nan}, "`kappa` must be finite"),
            ({"kappa": math.inf}, "`kappa` must be finite"),
            ({"mu": 0.0, "L": 1.0}, r"`mu` must be in \(0.0, inf\)"),
            ({"mu": -1.0, "L": 1.0}, r"`mu` must be in \(0.0, inf\)"),
            ({"mu": 0.1, "L": math.nan}, "`L` must be finite"),
            ({"mu": 2.0, "L": 1.0}, "`mu` must be <= `L`"),
            ({"kappa": 10.0, "method": "adam"}, "`method` must be one of"),
        ],
    )
    def test_optimal_parameters_value_errors(self, kwargs: dict[str, Any], match: str) -> None:
        with pytest.raises(ValueError, match=match):
            optimal_parameters(**kwargs)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"kappa": "10"},
            {"kappa": True},
            {"kappa": 3 + 0j},
            {"kappa": [10.0]},
            {"kappa": np.array([10.0, 100.0])},
            {"mu": "0.1", "L": 1.0},
            {"mu": 0.1, "L": [1.0]},
        ],
    )
    def test_optimal_parameters_type_errors(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(TypeError, match=r"`(kappa|mu|L)`"):
            optimal_parameters(**kwargs)

    def test_positional_use_is_refused(self) -> None:
        with pytest.raises(TypeError):
            optimal_parameters(100.0)  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        ("args", "match"),
        [
            ((0.0, 0.1, 1.0), r"`alpha` must be in \(0.0, inf\)"),
            ((-1.0, 0.1, 1.0), r"`alpha` must be in \(0.0, inf\)"),
            ((math.nan, 0.1, 1.0), "`alpha` must be finite"),
            ((1.0, 0.0, 1.0), "`mu` must be in"),
            ((1.0, 0.1, math.inf), "`L` must be finite"),
            ((1.0, 2.0, 1.0), "`mu` must be <= `L`"),
        ],
    )
    def test_optimal_beta_value_errors(self, args: tuple[float, float, float], match: str) -> None:
        with pytest.raises(ValueError, match=match):
            optimal_beta(*args)

    @pytest.mark.parametrize(
        ("args", "match"),
        [
            ((1.0, 0.1, 1.0), r"`beta` must be in \[0.0, 1.0\)"),
            ((-0.1, 0.1, 1.0), r"`beta` must be in \[0.0, 1.0\)"),
            ((math.nan, 0.1, 1.0), "`beta` must be finite"),
            ((0.5, -0.1, 1.0), "`mu` must be in"),
            ((0.5, 0.5, 0.1), "`mu` must be <= `L`"),
        ],
    )
    def test_optimal_alpha_value_errors(self, args: tuple[float, float, float], match: str) -> None:
        with pytest.raises(ValueError, match=match):
            optimal_alpha(*args)

    @pytest.mark.parametrize("func", [optimal_beta, optimal_alpha])
    def test_scalars_only_and_numbers_only(self, func: Callable[..., Tuning]) -> None:
        with pytest.raises(TypeError, match="single real number"):
            func(np.array([0.5, 0.6]), 0.1, 1.0)
        with pytest.raises(TypeError, match="`mu`"):
            func(0.5, "0.1", 1.0)
        with pytest.raises(TypeError, match="`L`"):
            func(0.5, 0.1, None)
        with pytest.raises(TypeError):
            func(0.5, 0.1, 1.0, method=3)


def test_tuning_does_not_import_scipy() -> None:
    code = "import sys, hbtheory.tuning; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --------------------------------------------------------------------------------------------
# The whole family: Triple Momentum's design, methods without a closed form, float64 defects
# --------------------------------------------------------------------------------------------

#: Heavy ball as a user would write it, by its polynomial only: no closed form, no realisation.
USER_HB = Method("my_hb", "heavy ball by its polynomial", c1=HEAVY_BALL.c1, c0=HEAVY_BALL.c0)
GAMMAS = (-0.3, 0.5, 1.5)
NUMERIC_KAPPAS = (10.0, 1000.0)


@pytest.fixture(scope="module")
def user_hb_100() -> Tuning:
    return optimal_parameters(kappa=100, method=USER_HB)


@pytest.fixture(scope="module")
def general_tunings() -> dict[tuple[float, float], Tuning]:
    """The numeric minimax of general(gamma) (about a second each): computed once."""
    return {(g, k): optimal_parameters(kappa=k, method=general(g)) for g in GAMMAS for k in NUMERIC_KAPPAS}


class TestNoClosedForm:
    def test_user_method_gets_heavy_balls_numbers(self, user_hb_100: Tuning) -> None:
        # issue 10: this returned gradient descent's answer (alpha 1.98, beta 0, rate 0.98).
        # Polyak at kappa = 100: alpha = 4/(1 + 1/10)^2 = 400/121, beta = 81/121, rate 9/11.
        t = user_hb_100
        assert t.method == "my_hb" and "numeric minimax" in t.note
        assert abs(t.rate - 9 / 11) <= 2 * EPS
        assert abs(t.beta - 81 / 121) <= 4 * EPS
        # alpha is flat to first order along the optimum's valley: 1e-13 relative is what the
        # float search can resolve (measured: 3e-15)
        assert abs(t.alpha - 400 / 121) <= 1e-13 * (400 / 121)
        assert wcr(t) == t.rate
        assert t.gamma is None and t.delta is None  # given by its polynomial only
        with pytest.raises(ValueError, match="`method`"):
            t.to_torch()

    @pytest.mark.parametrize("alpha", [0.5, 2.0, 3.3])
    def test_user_method_optimal_beta_is_heavy_balls(self, alpha: float) -> None:
        u, h = optimal_beta(alpha, 0.01, 1.0, USER_HB), optimal_beta(alpha, 0.01, 1.0)
        rate = max(abs(1 - mpmath.sqrt(alpha * mpmath.mpf("0.01"))), abs(1 - mpmath.sqrt(alpha)))
        assert abs(u.rate - rate) <= 4 * EPS and abs(h.rate - rate) <= 4 * EPS
        assert abs(math.sqrt(u.beta) - rate) <= 4 * EPS

    @pytest.mark.parametrize("beta", [0.25, 0.81])
    def test_user_method_optimal_alpha_is_heavy_balls(self, beta: float) -> None:
        u, h = optimal_alpha(beta, 0.01, 1.0, USER_HB), optimal_alpha(beta, 0.01, 1.0)
        assert abs(u.rate - h.rate) <= 2 * EPS and abs(u.alpha - h.alpha) <= 8 * EPS * h.alpha

    @pytest.mark.parametrize("gamma", GAMMAS)
    @pytest.mark.parametrize("kappa", NUMERIC_KAPPAS)
    def test_general_no_better_than_brute_force(
        self, general_tunings: dict[tuple[float, float], Tuning], gamma: float, kappa: float
    ) -> None:
        t = general_tunings[(gamma, kappa)]
        m = general(gamma)
        assert t.method == m.name and t.gamma == gamma and t.delta == 0.0
        assert abs(wcr(t) - t.rate) <= 4 * EPS and t.rate < 1.0 and 0.0 <= t.beta < 1.0
        brute = brute_joint(m, t.mu, t.L)
        assert brute >= t.rate - 4 * EPS

    def test_general_zero_is_polyak(self) -> None:
        # general(0) is heavy ball; the numeric minimax must find Polyak's tuning without the formula
        t = optimal_parameters(kappa=100, method=general(0.0))
        assert "numeric" in t.note
        assert abs(t.rate - 9 / 11) <= 2 * EPS and abs(t.alpha - 400 / 121) <= 1e-13 * (400 / 121)

    def test_general_at_nesterovs_beta_is_at_least_as_good_as_nesterov(self) -> None:
        # Nesterov's optimum (alpha*, beta*) has gamma = beta*: it is a point of general(beta*),
        # whose optimum can only be better (and is, strictly: gamma need not equal beta there).
        nag = optimal_parameters(kappa=100, method="nesterov")
        t = optimal_parameters(kappa=100, method=general(nag.beta))
        assert t.rate <= nag.rate + 4 * EPS
        assert float(worst_case_rate(nag.alpha, nag.beta, nag.mu, nag.L, general(nag.beta))) == pytest.approx(
            nag.rate, abs=4 * EPS)

    @given(log_kappa=st.floats(0.0, 8.0), gamma=st.sampled_from((0.2, 0.7)))
    @settings(max_examples=4)
    def test_general_hypothesis(self, log_kappa: float, gamma: float) -> None:
        kappa = 10.0**log_kappa
        t = optimal_parameters(kappa=kappa, method=general(gamma))
        assert abs(wcr(t) - t.rate) <= 4 * EPS and t.rate < 1.0
        assert t.rate <= local_grid_min(t) + 4 * EPS

    def test_worst_case_must_be_at_an_end(self) -> None:
        # a user's polynomial that is not affine in h: rho = 0 at both ends of [1, 3] for alpha = 1
        # but sqrt(0.9) at h = 2; the end-point rule fails, and tuning says so instead of lying
        bump = Method(
            "bump", "not affine in h", uses_beta=False,
            c1=lambda a, b, h: 0.0 * (a * h),
            c0=lambda a, b, h: 0.9 * (a * h - 1.0) * (a * h - 1.0) * (a * h - 3.0) * (a * h - 3.0),
        )
        with pytest.raises(ValueError, match=r"inside \[mu, L\].*affine in h"):
            optimal_parameters(mu=1.0, L=3.0, method=bump)


def local_grid_min(t: Tuning) -> float:
    """Smallest worst rate on a grid of relative offsets 1e-12 .. 1e-2 around (alpha, beta)."""
    off = np.concatenate([-np.geomspace(1e-2, 1e-12, 21), [0.0], np.geomspace(1e-12, 1e-2, 21)])
    a = t.alpha * (1.0 + off)[:, None]
    b = np.clip(t.beta + (1.0 - t.beta) * off, 0.0, math.nextafter(1.0, 0.0))[None, :]
    if not t.as_method().uses_beta:
        b = np.zeros((1, 1))
    return float(np.min(worst_case_rate(a, b, t.mu, t.L, t.as_method())))


class TestTripleMomentum:
    @pytest.mark.parametrize("kappa", [1.0, 2.0, 100.0, 1e4, 1e8])
    def test_design_tuning(self, kappa: float) -> None:
        # Van Scoy, Freeman, Lynch (2018): r = 1 - 1/sqrt(kappa), alpha = (1 + r)/L,
        # beta = r^2/(2 - r), gamma = r^2/((1 + r)(2 - r)), delta = r^2/(1 - r^2)
        t = optimal_parameters(kappa=kappa, method="triple_momentum")
        r = 1 - 1 / mpmath.sqrt(mpmath.mpf(kappa))
        assert abs(t.alpha - (1 + r)) <= 4 * EPS * (1 + r)
        assert abs(t.beta - r**2 / (2 - r)) <= 4 * EPS
        assert t.gamma is not None and abs(t.gamma - r**2 / ((1 + r) * (2 - r))) <= 4 * EPS
        # delta = r^2/(1 - r^2) from the float64 beta: conditioned like 1/(1 - r) = sqrt(kappa)
        assert t.delta is not None and abs(t.delta - r**2 / (1 - r**2)) <= 8 * EPS * math.sqrt(kappa) * t.delta
        # its quadratic worst rate, exactly as worst_case_rate computes it, is its robust rate r
        assert t.rate == wcr(t)
        assert abs(t.rate - r) <= 8 * EPS
        assert "1 - 1/sqrt(kappa)" in t.note
        if kappa == 1.0:  # r = 0: beta = gamma = 0, plain gradient descent, which torch runs
            assert t.to_torch() == {"lr": 1.0, "momentum": 0.0, "dampening": 0.0, "nesterov": False}
        else:
            with pytest.raises(ValueError, match=r"no torch\.optim\.SGD equivalent"):
                t.to_torch()

    def test_design_is_not_the_quadratic_optimum(self) -> None:
        # A robust design, not a quadratic one: brute force over (alpha, beta) of the same family
        # finds 0.863 < 0.9 at kappa = 100. optimal_parameters returns the design, as documented.
        # A point of the 500 x 500 grid already does (brute_joint's Nelder-Mead, 4 s, only lowers
        # the minimum further, so this is the stronger statement).
        t = optimal_parameters(kappa=100, method="triple_momentum")
        assert brute_joint(TRIPLE_MOMENTUM, t.mu, t.L, refine=False) < t.rate - 0.03


class TestFloat64Defects:
    @pytest.mark.parametrize("kappa", [9.1e15, 1e16, 2e16, 3.6e16])
    def test_gradient_descent_step_converges_at_the_stated_rate(self, kappa: float) -> None:
        # issue 10: alpha = 2/(1 + 1/kappa) rounds to 2.0, where rho(L) = |1 - 2| = 1 exactly,
        # while the stated rate was 1 - 2.2e-16. The nearest good float is 2 - 2**-52.
        t = optimal_parameters(kappa=kappa, method="gradient_descent")
        assert t.alpha == 2.0 - 2.0**-52
        assert wcr(t) < 1.0 and abs(wcr(t) - t.rate) <= 4 * EPS
        assert abs(t.rate - (kappa - 1) / (kappa + 1)) <= 2 * EPS

    # ~15 ms an example (the 43 x 43 local grid near critical damping takes the kernel's accurate
    # path): 100 over one continuous dimension and four members.
    @settings(max_examples=100)
    @given(
        log_kappa=st.floats(0.0, 8.0),
        method=st.sampled_from(("heavy_ball", "nesterov", "gradient_descent", "triple_momentum")),
    )
    def test_every_member_attains_its_rate(self, log_kappa: float, method: str) -> None:
        t = optimal_parameters(kappa=10.0**log_kappa, method=method)
        assert abs(wcr(t) - t.rate) <= 4 * EPS and wcr(t) < 1.0
        if method != "triple_momentum":  # a design, not a quadratic optimum
            assert t.rate <= local_grid_min(t) + 4 * EPS


class TestOneResultFamily:
    def test_tuning_is_a_result(self) -> None:
        t = optimal_parameters(kappa=100, method="nesterov")
        assert isinstance(t, Result)
        assert json.loads(t.to_json()) == t.as_dict()
        assert t == optimal_parameters(kappa=100, method="nesterov")
        assert t.gamma == t.beta and t.delta == 0.0  # Nesterov's look-ahead is beta
        assert t.to_torch() == {"lr": t.alpha, "momentum": t.beta, "dampening": 0.0, "nesterov": True}
        assert repr(t).startswith("Tuning(method='nesterov', alpha=")

    def test_no_string_dispatch_on_method_names(self) -> None:
        source = Path(hbtheory.tuning.__file__).read_text()
        assert not re.search(r"\.name\s*[!=]=|[!=]=\s*\"(heavy_ball|nesterov|gradient_descent|triple_momentum)\"",
                             source)


class TestFixedParameterFamily:
    @pytest.mark.parametrize("method", [TRIPLE_MOMENTUM, general(0.5), general(-0.3)])
    @pytest.mark.parametrize("alpha", [0.3, 1.5])
    def test_optimal_beta_no_better_by_brute_force(self, method: Method, alpha: float) -> None:
        t = optimal_beta(alpha, 0.01, 1.0, method)
        assert t.rate == wcr(t) and 0.0 <= t.beta < 1.0
        assert brute_beta(alpha, 0.01, 1.0, method) >= t.rate - 4 * EPS

    @pytest.mark.parametrize("method", [TRIPLE_MOMENTUM, general(0.5), general(-0.3)])
    @pytest.mark.parametrize("beta", [0.2, 0.8])
    def test_optimal_alpha_no_better_by_brute_force(self, method: Method, beta: float) -> None:
        t = optimal_alpha(beta, 0.01, 1.0, method)
        assert t.rate == wcr(t) and t.rate < 1.0
        assert brute_alpha(beta, 0.01, 1.0, method) >= t.rate - 4 * EPS


class TestSearchMachinery:
    """The float-grid multisection of :mod:`hbtheory.tuning` on functions with a known minimum."""

    @staticmethod
    def counted(f: Any) -> tuple[Any, list[int]]:
        calls = [0]

        def values(idx: np.ndarray) -> np.ndarray:
            calls[0] += 1
            return np.asarray(f(idx), dtype=np.float64)

        return values, calls

    def test_window_far_from_the_minimum_widens_in_one_probe(self) -> None:
        # |i - c| has its minimum 1e15 indices right of a window of 16 around the guess 0: the
        # window's edge attains its minimum, so it must grow to 16 * 256**6 = 2**52 > 1e15. Probing
        # the edges of each width costs one call per width; searching each width in turn cost 6
        # searches (measured: 83 calls then, 36 now).
        c = 10**15
        values, calls = self.counted(lambda idx: np.abs(idx - c).astype(np.float64))
        best, value = hbtheory.tuning._multisection(values, np.array([0]), np.array([2**53]), guess=np.array([0]))
        assert int(best[0]) == c and float(value[0]) == 0.0
        assert calls[0] <= 40

    def test_rows_widen_independently(self) -> None:
        # row 0 is answered in its first window; row 1 needs a wide one; both exact
        centre = np.array([[20], [3 * 10**12]])
        f = lambda idx: np.abs(idx - centre).astype(np.float64)  # noqa: E731
        best, value = hbtheory.tuning._multisection(f, np.array([0, 0]), np.array([2**50, 2**50]),
                                                    guess=np.array([17, 5]))
        assert best.tolist() == [20, 3 * 10**12] and value.tolist() == [0.0, 0.0]

    def test_plateau_beyond_the_window(self) -> None:
        # a flat bottom [1e9, 5e12] (a float64 rate that rounds to the same value over many floats):
        # the window inside the plateau ties at both edges; the search must end on the plateau
        # with a window whose edges are above it (else an equal-value edge could hide a lower one)
        f = lambda idx: np.maximum(np.maximum(10**9 - idx, idx - 5 * 10**12), 0).astype(np.float64)  # noqa: E731
        best, value = hbtheory.tuning._multisection(f, np.array([0]), np.array([2**60]), guess=np.array([10**10]))
        assert float(value[0]) == 0.0 and 10**9 <= int(best[0]) <= 5 * 10**12


class TestExactPathConversion:
    """The near-curve exact path that the tuning's searches lean on (``_kernel._exact_fraction`` and
    ``_Dyadic``, made cheaper for the tuning): bit for bit what ``Fraction`` gives."""

    @given(m=st.integers(-(2**300), 2**300), e=st.integers(-1300, 1100), tie=st.booleans())
    @settings(max_examples=300)
    def test_double_double_of_a_dyadic_is_fractions(self, m: int, e: int, tie: bool) -> None:
        from hbtheory._kernel import _Dyadic, _exact_fraction

        if tie and m:
            # just above a halfway case of the rounding to 53 bits: an even 53-bit head, a 1, zeros
            # to bit 64 and a 1 far below (rounds up; a test of the 64 leading bits alone would see
            # an exact tie and round half even, down)
            head = (abs(m) >> max(abs(m).bit_length() - 53, 0)) | 1 << 52
            m = ((head & ~1) << 1 | 1) << 200 | 1 << (abs(m) % 150)
            m = -m if e % 2 else m
        x = Fraction(m) * Fraction(2) ** e
        try:
            hi = float(x)
            want = (hi, float(x - Fraction(hi)))
        except OverflowError:
            with pytest.raises(OverflowError):
                _exact_fraction(_Dyadic.of(m, e))
            return
        got = _exact_fraction(_Dyadic.of(m, e))
        # the same bits, signed zeros included
        assert (float(got.hi).hex(), float(got.lo).hex()) == (want[0].hex(), want[1].hex())
        d = _Dyadic.of(m, e)
        assert d == x and hash(d) == hash(x) and (d.numerator, d.denominator) == (x.numerator, x.denominator)
        assert float(d) == want[0]

    def test_unreduced_mantissa(self) -> None:
        from hbtheory._kernel import _Dyadic

        d = _Dyadic.of(12, -3)  # 12/8, kept unreduced inside
        assert d == Fraction(3, 2) and (d.numerator, d.denominator) == (3, 2) and str(d) == "3/2"
        assert float(_Dyadic.of(0, 5)) == 0.0 and _Dyadic.of(0, 5) == 0


def test_joint_search_kernel_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    # the numeric minimax of general(0.5) at kappa = 100 made 376 kernel calls (rho at mu and at L
    # separately, each outer beta's alpha search from scratch); 152 now (one call for both ends, the
    # inner minima of the outer search kept and interpolated). Same answer: the optimum attains its
    # stated rate and no point of a local grid (1e-12 .. 1e-2 relative) is better.
    calls = [0]
    spectral_radius = hbtheory._kernel.spectral_radius

    def counted(*args: Any) -> Any:
        calls[0] += 1
        return spectral_radius(*args)

    monkeypatch.setattr(hbtheory._kernel, "spectral_radius", counted)
    t = optimal_parameters(kappa=100, method=general(0.5))
    assert calls[0] <= 200
    monkeypatch.undo()
    assert abs(wcr(t) - t.rate) <= 4 * EPS and t.rate <= local_grid_min(t) + 4 * EPS
    assert abs(t.rate - 0.86985) < 5e-6  # the docstring's value


def test_widening_probes_no_step_beyond_the_first_good_width() -> None:
    # the edges of wider windows are not evaluated: there alpha * L can overflow (found by
    # test_fuzz_api when all the widths were probed in one call: the overflow error instead of
    # the refusal of an infinite L/mu)
    with pytest.raises(ValueError, match=r"`L`/`mu` = inf is too large for float64"):
        optimal_alpha(0.0, 5e-324, 8.988465674307492e307)
