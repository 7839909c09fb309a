"""Rate fitting (hbtheory.empirical.fit): the recurrence fit is exact where the envelope is biased.

Pure numpy: these tests need no PyTorch (importing hbtheory.empirical does not import it).
"""

from __future__ import annotations

import numpy as np
import pytest

from hbtheory import spectral_radius
from hbtheory.empirical import envelope_rate, fit_recurrence, fit_triples
from hbtheory.methods import get_method

EPS = float(np.finfo(np.float64).eps)


def _iterate(alpha: float, beta: float, h: float, steps: int, method: str = "heavy_ball") -> np.ndarray:
    """The canonical two-term recurrence from x_{-1} = x_0 = 1, coefficients from hbtheory.methods."""
    m = get_method(method)
    c1, c0 = m.c1(alpha, beta, h), m.c0(alpha, beta, h)
    x = [1.0, c1 - c0]
    for _ in range(steps - 1):
        x.append(c1 * x[-1] - c0 * x[-2])
    return np.asarray(x)


@pytest.mark.parametrize(
    ("alpha", "beta", "h", "regime"),
    [
        (0.5, 0.25, 1.0, "double root"),  # alpha h = (1 - sqrt beta)^2
        (1.0, 0.5, 1.0, "complex"),
        (0.1, 0.5, 1.0, "real distinct"),
        (3.0, 0.6, 1.0, "real negative"),
        (0.05, 0.9, 10.0, "complex, slow"),
    ],
)
def test_recurrence_fit_recovers_the_spectral_radius(alpha: float, beta: float, h: float, regime: str) -> None:
    x = _iterate(alpha, beta, h, 80)
    fit = fit_recurrence(x, floor=1e-280)
    rho = float(spectral_radius(alpha, beta, h))
    tol = 1e-7 if regime == "double root" else 64 * EPS
    assert abs(float(fit.rate) - rho) <= tol * rho, regime
    assert float(fit.residual) < 1e-13


def test_envelope_is_biased_where_the_recurrence_is_not() -> None:
    t = np.arange(200.0)
    critical = (1 + t) * 0.9**t  # double root 0.9
    oscillating = 0.9**t * np.cos(1.3 * t + 0.4)
    for e, bias in ((critical, 1e-3), (oscillating, 1e-5)):
        assert abs(float(fit_recurrence(e).rate) - 0.9) < 1e-9
        assert abs(float(envelope_rate(e)) - 0.9) > bias


def test_geometric_sequence_falls_back_to_order_one() -> None:
    fit = fit_recurrence(0.7 ** np.arange(60.0))
    assert int(fit.order) == 1 and float(fit.c0) == 0.0
    assert abs(float(fit.rate) - 0.7) < 4 * EPS


def test_finite_convergence_has_rate_zero() -> None:
    for seq in ([1.0, 0.0, 0.0, 0.0], [1.0, 0.5, 0.0, 0.0, 0.0]):
        fit = fit_recurrence(seq)
        assert float(fit.rate) == 0.0 and int(fit.order) in (0, 2)


def test_columns_are_fitted_independently() -> None:
    t = np.arange(50.0)
    seqs = np.stack([0.7**t, (-0.3) ** t + 0.8**t, 0.95**t * np.cos(0.3 * t)], axis=1)
    fit = fit_recurrence(seqs)
    assert fit.rate.shape == (3,)
    np.testing.assert_allclose(fit.rate, [0.7, 0.8, 0.95], rtol=1e-12)
    for j in range(3):
        assert float(fit_recurrence(seqs[:, j]).rate) == fit.rate[j]


def test_floor_keeps_only_the_leading_run() -> None:
    # a decaying sequence on top of a noise level of 1e-14: below ~1e-8 it is noise
    t = np.arange(80.0)
    noisy = 0.5**t + 1e-14 * np.random.default_rng(0).standard_normal(80)
    assert abs(float(fit_recurrence(noisy).rate) - 0.5) > 1e-2
    assert abs(float(fit_recurrence(noisy, floor=1e-8).rate) - 0.5) < 1e-5
    assert abs(float(fit_recurrence(noisy, rel_floor=1e-8).rate) - 0.5) < 1e-5


def test_fit_triples_matches_fit_recurrence() -> None:
    x = _iterate(0.3, 0.7, 2.0, 30)
    a = fit_triples(x[1:-1], x[:-2], x[2:])
    b = fit_recurrence(x)
    assert abs(float(a.rate) - float(b.rate)) < 1e-13


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sequences": [1.0, 2.0]}, ValueError, "at least 3"),
        ({"sequences": [1.0, np.nan, 2.0]}, ValueError, "finite"),
        ({"sequences": [1.0, 0.5, 0.25], "floor": -1.0}, ValueError, "floor"),
        ({"sequences": [1.0, 0.5, 0.25], "rel_floor": np.inf}, ValueError, "rel_floor"),
    ],
)
def test_bad_input(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        fit_recurrence(**kwargs)  # type: ignore[arg-type]
