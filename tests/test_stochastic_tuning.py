"""Tuning in the mean-square regime: optimality against brute force, closed forms, and the
effective-learning-rate equivalence with its measured error."""

from __future__ import annotations

import numpy as np
import pytest

from hbtheory import stochastic


@pytest.fixture(scope="module")
def kidambi() -> stochastic.MeanSquareTuning:
    # two directions, kappa = 100, features on one axis at a time (v_i = h_i^2 per sample), B = 1
    return stochastic.mean_square_optimal([1.0, 0.01], features="axis")


def test_sgd_rate_closed_form(kidambi: stochastic.MeanSquareTuning) -> None:
    # plain SGD, direction i: 1 - 2 u_i + 2 u_i^2 with u_i = alpha h_i; the optimum equalises the two
    # directions: 1 - 2u + 2u^2 = 1 - 2u/k + 2u^2/k^2  =>  u = (1 - 1/k) / (1 - 1/k^2) = k / (k + 1)
    k = 100.0
    u = k / (k + 1)
    rate = 1 - 2 * u / k + 2 * u * u / k**2
    # the search brackets log(alpha) down to 2**-44 (~6e-14): the kink (two directions equal) is found to
    # that (measured 1.6e-14), and the rate, with slope ~2u/k = 0.02 in log alpha on either side of it, to
    # ~1e-15 (measured 1e-16; Nelder-Mead's answer was 7e-13 and 1.5e-14 off)
    assert kidambi.sgd_alpha == pytest.approx(u, rel=1e-12)
    assert kidambi.sgd_rate == pytest.approx(rate, rel=1e-14)


@pytest.fixture(scope="module")
def gaussian16() -> stochastic.MeanSquareTuning:
    return stochastic.mean_square_optimal([1.0, 0.1, 0.01], batch_size=16)


def test_sgd_optimum_against_a_dense_line(gaussian16: stochastic.MeanSquareTuning) -> None:
    # the plain-SGD search assumes the rate is quasi-convex in alpha (it keeps the two cells around the
    # best of 33 points per round; the axis case is the closed form above): check its answer against
    # 8001 points on the whole search range
    t = gaussian16
    alpha = np.exp(np.linspace(np.log(1e-3), np.log(4.0), 8001))
    line = stochastic.coupled_mean_square_rate(alpha, 0.0, [1.0, 0.1, 0.01], batch_size=16, method="gradient_descent")
    assert t.sgd_rate <= line.min() + 2 * np.finfo(float).eps
    # every point of the line within 1e-9 of the best lies within 1e-3 (relative) of the returned alpha
    near = alpha[line <= t.sgd_rate + 1e-9]
    assert np.all(np.abs(near / t.sgd_alpha - 1.0) < 1e-3)


def test_optimum_beats_brute_force(kidambi: stochastic.MeanSquareTuning) -> None:
    alpha = np.linspace(0.01, 1.2, 120)[:, None]
    beta = np.linspace(0.0, 0.98, 99)[None, :]
    brute = stochastic.coupled_mean_square_rate(alpha, beta, [1.0, 0.01], features="axis")
    assert kidambi.rate <= brute.min() + 1e-12
    assert kidambi.rate == pytest.approx(
        float(stochastic.coupled_mean_square_rate(kidambi.alpha, kidambi.beta, [1.0, 0.01], features="axis")), abs=0)


def test_kidambi_gap(kidambi: stochastic.MeanSquareTuning) -> None:
    # Exact gradients: heavy ball is ~sqrt(kappa) = 10 times faster than gradient descent. With one
    # sample per step momentum buys less than a factor 1 + beta < 2 here: stability needs
    # alpha h_1 < 1 - beta^2 (module notes, k = 1), so the slow direction's rate is at least
    # 1 - (1 + beta)/kappa, against SGD's ~ 1 - 2/kappa.
    assert kidambi.deterministic_speedup == pytest.approx(10.0, rel=0.01)
    assert 1.0 < kidambi.speedup < 2.0
    big = stochastic.mean_square_optimal([1.0, 0.01], features="axis", batch_size=256)
    assert big.speedup > 4 * kidambi.speedup   # the speed-up returns with the batch size


def test_gaussian_speedup_grows_with_batch(gaussian16: stochastic.MeanSquareTuning) -> None:
    s = [stochastic.mean_square_optimal([1.0, 0.1, 0.01], batch_size=1).speedup, gaussian16.speedup]
    assert s[0] < 1.5 < s[1]


def test_best_risk() -> None:
    hs = np.array([1.0, 0.1])
    t = stochastic.best_risk(hs, 50, noise_variance=0.01)
    curve = stochastic.coupled_second_moment_curve(t.alpha, t.beta, hs, 50, noise_variance=0.01)
    assert t.risk == pytest.approx(0.5 * float((hs * curve[-1]).sum()), rel=1e-12)
    alpha = np.linspace(0.02, 1.0, 50)[:, None]
    beta = np.linspace(0.0, 0.95, 40)[None, :]
    grid = stochastic.coupled_second_moment_curve(alpha, beta, hs, 50, noise_variance=0.01)[..., -1, :]
    assert t.risk <= (0.5 * (hs * grid).sum(axis=-1)).min() * (1 + 1e-9)
    assert t.risk <= t.sgd_risk < t.start_risk


@pytest.mark.parametrize("v", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_effective_learning_rate_leading_error(v: float, beta: float) -> None:
    # measured: moment error / (alpha h) -> -beta/(1 - beta^2), exponent error -> beta/(1 - beta)^2
    # (derived for v = 0; the same coefficients hold for v > 0). At alpha h = 1e-5 the second-order
    # term is ~1e-5 relative times (1 - beta)^-2, so 1 % is a tolerance with room and with power: the
    # coefficients for beta = 0.5 and 0.9 differ by a factor 7 and 45.
    h = 2.0
    a = 1e-5 / h
    e = stochastic.effective_learning_rate(a, beta, h, curvature_variance=v * h * h)
    assert float(e.moment_error) / (a * h) == pytest.approx(-beta / (1 - beta**2), rel=0.01)
    assert float(e.exponent_error) / (a * h) == pytest.approx(beta / (1 - beta) ** 2, rel=0.01)


def test_tuning_bad_input() -> None:
    with pytest.raises(ValueError, match="momentum"):
        stochastic.mean_square_optimal([1.0], method="gradient_descent")
    with pytest.raises(ValueError, match="n"):
        stochastic.best_risk([1.0], 0, noise_variance=1.0)
    with pytest.raises(ValueError, match="beta"):
        stochastic.effective_learning_rate(0.1, 1.0, 1.0, curvature_variance=1.0)


def test_tuning_is_scale_free(kidambi: stochastic.MeanSquareTuning) -> None:
    # the rates depend on alpha h_i only: a spectrum scaled by 2^600 (h near 4e180, alpha h^2 overflowed in the
    # search before) gives the same rates and alpha scaled by 2^-600, bit for bit (searched afresh: the memo of
    # searches is keyed on the scaled spectrum, which would hand back the fixture's answer)
    stochastic._SEARCHES.clear()
    t = stochastic.mean_square_optimal([2.0**600, 2.0**600 * 0.01], features="axis")
    assert (t.rate, t.sgd_rate, t.beta, t.speedup) == (kidambi.rate, kidambi.sgd_rate, kidambi.beta, kidambi.speedup)
    assert (t.alpha, t.sgd_alpha) == (kidambi.alpha * 2.0**-600, kidambi.sgd_alpha * 2.0**-600)


def test_unresolved_speedup_is_refused() -> None:
    # kappa = 1e16: both rates round to 1 - 2.2e-16; the speed-up 384872 they gave before was noise
    with pytest.raises(ValueError, match="`spectrum` is too ill-conditioned"):
        stochastic.mean_square_optimal([1.0, 1e-16])


def test_memo_of_searches_is_exact_and_per_method_object(kidambi: stochastic.MeanSquareTuning) -> None:
    # a repeat is the same answer (memoised search), and a spectrum scaled by 2^-3 shares it exactly
    again = stochastic.mean_square_optimal([0.125, 0.00125], features="axis")
    assert (again.rate, again.beta, again.sgd_rate) == (kidambi.rate, kidambi.beta, kidambi.sgd_rate)
    assert (again.alpha, again.sgd_alpha) == (kidambi.alpha * 8.0, kidambi.sgd_alpha * 8.0)
    # Method compares by name: Nesterov's realisation under heavy ball's name must not get heavy ball's search
    # back from the memo (its look-ahead gamma = beta changes the mean-square rate)
    import dataclasses

    from hbtheory.methods import get_method

    impostor = dataclasses.replace(get_method("nesterov"), name="heavy_ball")
    other = stochastic.mean_square_optimal([1.0, 0.01], features="axis", method=impostor)
    assert other.rate != kidambi.rate
    assert other.rate == float(stochastic.coupled_mean_square_rate(other.alpha, other.beta, [1.0, 0.01],
                                                                    features="axis", method=get_method("nesterov")))
