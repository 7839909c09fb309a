"""torch.optim.SGD on quadratics: measured rate == hbtheory.spectral_radius == the symbolic roots."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import spectral_radius, symbolic  # noqa: E402
from hbtheory.empirical import (  # noqa: E402
    QuadraticRun,
    log_uniform_spectrum,
    random_orthogonal,
    uniform_spectrum,
    verify_quadratic,
)
from hbtheory.empirical.quadratic import _theorem1_check  # noqa: E402

CASES = [
    # eigenvalues, torch.optim.SGD arguments, dense
    (uniform_spectrum(6, 1.0, 10.0, seed=2), {"lr": 0.1, "momentum": 0.5}, False),
    (log_uniform_spectrum(8, 0.01, 1.0, seed=3), {"lr": 1.0, "momentum": 0.8}, True),
    ([1.0, 10.0], {"lr": 0.05, "momentum": 0.9, "nesterov": True}, False),
    ([1.0, 10.0], {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}, True),
    ([0.5, 1.0, 1.5], {"lr": 0.7, "momentum": 0.0}, False),
    ([2.0, 20.0], {"lr": 0.11544308, "momentum": 0.26987386}, False),  # ~ Polyak's optimum
]


@pytest.mark.parametrize(("eigenvalues", "sgd", "dense"), CASES)
def test_measured_rate_matches_prediction(eigenvalues: object, sgd: dict[str, float], dense: bool) -> None:
    run = verify_quadratic(eigenvalues, steps=150, dense=dense, **sgd)  # type: ignore[arg-type]
    assert 0.05 < run.predicted_rate < 0.999
    assert run.relative_error < 1e-6
    np.testing.assert_allclose(run.direction_rates, run.direction_predicted, rtol=1e-6, atol=0)
    assert run.theorem1_held and run.theorem1_max_ratio <= 1.0 + 1e-9
    assert run.theorem1_samples > 0
    assert run.status == "converging" and not run.diverged


def test_critical_damping_measured_through_the_recurrence() -> None:
    # alpha h = (1 - sqrt(beta))^2: a double root, error ~ t rho^t; the envelope is biased
    run = verify_quadratic([0.25], lr=1.0, momentum=0.25, steps=200, eps=0.01)
    assert run.relative_error < 1e-6
    assert abs(run.envelope_rate - 0.5) > 1e-3
    assert run.theorem1_held  # with eps > 0 the constant is finite


def test_theorem1_constant_is_infinite_at_a_double_root_with_eps_zero() -> None:
    run = verify_quadratic([0.25], lr=1.0, momentum=0.25, steps=50)
    assert np.isinf(run.theorem1_constants[0]) and run.theorem1_held
    # ... vacuously: no sample was compared, which a consumer can see (and fail on)
    assert run.theorem1_samples == 0 and run.theorem1_max_ratio == 0.0


def test_symbolic_equals_numeric_equals_empirical() -> None:
    a, b, hs = 0.3, 0.6, [0.5, 2.0, 9.0]
    run = verify_quadratic(hs, lr=a, momentum=b, steps=200)
    z1, z2 = symbolic.eigenvalues("heavy_ball")
    for h, measured in zip(hs, run.direction_rates, strict=True):
        subs = {symbolic.alpha: a, symbolic.beta: b, symbolic.h: h}
        exact = max(abs(complex(z.subs(subs).evalf(30))) for z in (z1, z2))
        numeric = float(spectral_radius(a, b, h))
        assert abs(numeric - exact) <= 4e-16 * exact
        assert abs(measured - exact) <= 1e-9 * exact


def test_divergent_run_is_flagged_and_measured_on_its_finite_prefix() -> None:
    run = verify_quadratic([1.0, 10.0], lr=0.5, momentum=0.5, steps=2000)
    assert run.status == "overflow" and run.diverged
    assert run.predicted_rate > 1.0 and run.relative_error < 1e-6


def test_a_growing_run_inside_float64_is_not_converging() -> None:
    # rho = 3.35 over 40 steps: no overflow, and before this the run said diverged=False
    run = verify_quadratic([1.0, 10.0], lr=0.5, momentum=0.5, steps=40)
    assert run.status == "not_converging" and run.diverged
    assert run.relative_error < 1e-9 and run.measured_rate > 3.0


def test_theorem1_ratio_skips_the_samples_the_verdict_skips() -> None:
    # A dense run whose fast directions sink into the projection's rounding: the verdict allowed
    # for it, the ratio did not (it reported 4.4e177, with an overflow warning, and held=True).
    run = verify_quadratic([1.0, 4.0, 10.0], lr=0.1, momentum=0.5, dampening=0.3, steps=3000, dense=True)
    assert run.theorem1_held and 0.0 < run.theorem1_max_ratio <= 1.0
    assert 3000 < run.theorem1_samples < 3 * 3000  # the noise steps are not counted


def test_theorem1_check_fails_on_a_wrong_constant() -> None:
    # The check can fail: constants 10x too small (the true C_eps are >= 1) must be caught, in a
    # diagonal and in a dense run, and held == (max_ratio <= 1).
    for dense in (False, True):
        run = verify_quadratic([1.0, 4.0, 10.0], lr=0.1, momentum=0.5, steps=200, dense=dense)
        e = np.asarray(run.projections)
        base = np.asarray(run.direction_predicted)
        held, ratio, samples = _theorem1_check(e, base, np.asarray(run.theorem1_constants), dense=dense)
        assert held and ratio <= 1.0 and samples == run.theorem1_samples > 0
        held, ratio, samples = _theorem1_check(e, base, 0.1 * np.asarray(run.theorem1_constants), dense=dense)
        assert not held and ratio > 1.0 and samples > 0


def test_same_seed_same_result_and_dense_rotation_is_orthogonal() -> None:
    a = verify_quadratic([1.0, 3.0, 7.0], lr=0.1, momentum=0.7, steps=40, dense=True, seed=5)
    b = verify_quadratic([1.0, 3.0, 7.0], lr=0.1, momentum=0.7, steps=40, dense=True, seed=5)
    assert a == b
    q = random_orthogonal(5, seed=3)
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-14)


def test_result_prints_and_converts() -> None:
    run = verify_quadratic([1.0, 4.0], lr=0.1, momentum=0.5, steps=20)
    assert isinstance(run, QuadraticRun)
    text = str(run)
    assert "measured_rate" in text and "array(21, 2)" in text
    d = run.as_dict()
    assert d["method"] == "heavy_ball" and len(d["error_history"]) == 21
    assert '"measured_rate"' in run.to_json()


def test_float32_runs() -> None:
    run = verify_quadratic([1.0, 4.0], lr=0.1, momentum=0.5, steps=60, dtype="float32")
    assert run.dtype == "float32" and run.relative_error < 1e-3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eigenvalues": [], "lr": 0.1, "momentum": 0.5}, ValueError, "eigenvalues"),
        ({"eigenvalues": [1.0], "lr": -0.1, "momentum": 0.5}, ValueError, "lr"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 1.5}, ValueError, "momentum"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "steps": 2}, ValueError, "steps"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "dense": 1}, TypeError, "dense"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "device": 3}, TypeError, "device"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "device": "tpu"}, ValueError, "device"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "eps": -1.0}, ValueError, "eps"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "seed": -1}, ValueError, "seed"),
        ({"eigenvalues": [1.0], "lr": 0.1, "momentum": 0.5, "dtype": "int8"}, ValueError, "dtype"),
    ],
)
def test_bad_input(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        verify_quadratic(**kwargs)  # type: ignore[arg-type]


def test_spectra_helpers() -> None:
    u = uniform_spectrum(10, 0.5, 2.0, seed=1)
    g = log_uniform_spectrum(10, 1e-3, 1.0, seed=1)
    assert u[0] == 0.5 and u[-1] == 2.0 and np.all(np.diff(u) >= 0)
    assert g[0] == 1e-3 and g[-1] == 1.0 and np.all(np.diff(g) >= 0)
    np.testing.assert_array_equal(u, uniform_spectrum(10, 0.5, 2.0, seed=1))
    with pytest.raises(ValueError, match="mu"):
        uniform_spectrum(5, 2.0, 1.0)
    with pytest.raises(ValueError, match="n"):
        log_uniform_spectrum(1, 1.0, 2.0)
