"""The batched sweep: bit-for-bit torch.optim.SGD, exact renormalisation, the empirical rho-map."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import spectral_radius  # noqa: E402
from hbtheory.empirical import SweepResult, compare_with_theory, sweep, verify_quadratic  # noqa: E402
from hbtheory.methods import NESTEROV, Method, general, get_method  # noqa: E402

TINY = float(np.finfo(np.float64).tiny)


def _torch_sgd(alpha: float, beta: float, h: float, steps: int, method: str, dtype: object = None) -> np.ndarray:
    """A Python loop of torch.optim.SGD on 0.5 h x^2 from x = 1 (gradient from autograd)."""
    dt = dtype or torch.float64
    x = torch.ones(1, dtype=dt, requires_grad=True)
    hh = torch.tensor([h], dtype=dt)
    momentum = 0.0 if method == "gradient_descent" else beta
    opt = torch.optim.SGD([x], lr=alpha, momentum=momentum, nesterov=method == "nesterov")
    out = [1.0]
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (hh * x * x).sum()).backward()
        opt.step()
        out.append(x.item())
    return np.asarray(out)


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov", "gradient_descent"])
def test_iterates_equal_torch_sgd_bit_for_bit(method: str) -> None:
    rng = np.random.default_rng(11)
    n, steps = 12, 200
    alpha = rng.uniform(0.01, 3.5, n)
    beta = np.zeros(n) if method == "gradient_descent" else rng.uniform(0.05, 0.99, n)
    h = np.exp(rng.uniform(-2.0, 2.0, n))
    res = sweep(alpha, beta, h, steps=steps, method=method, record=True)
    ours = res.iterates()
    compared = 0
    for i in range(n):
        ref = _torch_sgd(float(alpha[i]), float(beta[i]), float(h[i]), steps, method)
        normal = np.isfinite(ref) & (np.abs(ref) >= TINY) & (np.abs(ref) < 1e300)
        np.testing.assert_array_equal(ours[normal, i], ref[normal])
        compared += int(normal.sum())
    assert compared > n * steps // 2


def test_float32_is_bit_for_bit_too() -> None:
    alpha, beta, h = np.array([0.3, 1.7]), np.array([0.6, 0.9]), np.array([1.0, 0.5])
    res = sweep(alpha, beta, h, steps=60, dtype="float32", record=True)
    for i in range(2):
        ref = _torch_sgd(float(alpha[i]), float(beta[i]), float(h[i]), 60, "heavy_ball", torch.float32)
        np.testing.assert_array_equal(res.iterates()[:, i], ref)


def test_rates_survive_underflow_and_overflow_over_long_runs() -> None:
    # torch's own iterates underflow (rate 0.5: below 1e-308 after ~1000 steps) or overflow
    # (rate ~1.6 after ~1500); the renormalised simulation keeps measuring
    alpha = np.array([0.5, 1.0, 3.9, 3.0])
    beta = np.array([0.25, 0.5, 0.5, 0.95])
    steps = 3000
    res = sweep(alpha, beta, 1.0, steps=steps, record=True)
    pred = spectral_radius(alpha, beta, 1.0)
    np.testing.assert_allclose(res.rate, pred, rtol=1e-7)
    assert res.diverged.tolist() == [False, False, True, False]
    # the status says where PyTorch's own iterate left float64 (2**1024), not only rate > 1
    assert res.status.tolist() == ["converging", "converging", "overflow", "converging"]
    assert res.history is not None and np.all(np.isfinite(res.history))
    assert res.log2_scale[0] < -1074 and res.log2_scale[2] > 1024  # beyond float64 both ways
    # PyTorch's iterate where it is still a normal number equals the rescaled simulation
    ref = _torch_sgd(3.9, 0.5, 1.0, 1200, "heavy_ball")
    normal = np.isfinite(ref) & (np.abs(ref) < 1e300)
    np.testing.assert_array_equal(res.iterates()[:1201, 2][normal], ref[normal])


def test_absurd_step_overflows_in_one_step_without_nan_or_warning() -> None:
    res = sweep([1e300, 0.1], 0.5, [1e300, 1.0], steps=10)
    assert res.status.tolist() == ["overflow", "converging"]
    assert res.diverged.tolist() == [True, False]
    assert np.isinf(res.rate[0]) and np.isfinite(res.rate[1])
    assert not np.isnan(res.x_final).any() and not np.isnan(res.buf_final).any()


@pytest.mark.parametrize("method", ["heavy_ball", "nesterov"])
def test_empirical_rho_map_matches_spectral_radius(method: str) -> None:
    alpha = np.linspace(0.02, 4.2, 40)
    beta = np.linspace(0.0, 0.98, 25)[:, None]
    res = sweep(alpha, beta, 1.0, steps=400, method=method)
    cmp = compare_with_theory(res)
    assert cmp.max_abs_error < 1e-9, cmp
    assert cmp.classification_mismatches == 0
    assert res.rate.shape == (25, 40)


def test_batched_equals_scalar_loop_for_every_shape() -> None:
    alpha = np.array([[0.1, 0.8], [1.5, 2.5]])
    beta = np.array([0.3, 0.7])
    full = sweep(alpha, beta, 2.0, steps=80)
    assert full.rate.shape == (2, 2)
    for idx in np.ndindex(2, 2):
        single = sweep(alpha[idx], beta[idx[1]], 2.0, steps=80)
        assert single.rate.shape == ()
        assert single.rate == full.rate[idx]
        assert single.x_final == full.x_final[idx]
    row = sweep(alpha[0], beta, 2.0, steps=80)
    np.testing.assert_array_equal(row.rate, full.rate[0])


def test_result_container() -> None:
    res = sweep([0.1, 0.2], 0.5, 1.0, steps=10)
    assert isinstance(res, SweepResult) and res.history is None
    with pytest.raises(ValueError, match="record=True"):
        res.iterates()
    assert "rate" in str(res)
    assert res.as_dict()["method"] == "heavy_ball"
    assert res == sweep([0.1, 0.2], 0.5, 1.0, steps=10)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0.1, 0.5, 1.0), {"steps": 2}, ValueError, "steps"),
        ((-0.1, 0.5, 1.0), {"steps": 10}, ValueError, "alpha"),
        ((0.1, 1.5, 1.0), {"steps": 10}, ValueError, "beta"),
        ((0.1, 0.5, 1.0), {"steps": 10, "method": "gradient_descent"}, ValueError, "beta"),
        ((0.1, 0.5, np.nan), {"steps": 10}, ValueError, "h"),
        ((0.1, 0.5, 1.0), {"steps": 10, "method": "adam"}, ValueError, "method"),
        (([0.1, 0.2], [0.5, 0.6, 0.7], 1.0), {"steps": 10}, ValueError, "broadcast"),
        ((0.1, 0.5, 1.0), {"steps": 10, "record": "yes"}, TypeError, "record"),
    ],
)
def test_bad_input(args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        sweep(*args, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# One meaning of the status, shared with verify_quadratic
# ------------------------------------------------------------------------------------------------

STATUS_CASES = [
    # (lr, momentum, h, steps), expected status, expected measured rate
    ((0.5, 0.25, 1.0, 200), "converging", 0.5),  # double root at rho = 0.5
    ((2.0, 0.0, 1.0, 200), "not_converging", 1.0),  # x -> -x: rho = 1 exactly, not "diverged"
    ((0.5, 0.5, 10.0, 40), "not_converging", None),  # rho = 3.35, still inside float64
    ((0.5, 0.5, 10.0, 2000), "overflow", None),  # rho = 3.35, PyTorch's iterate overflows
]


@pytest.mark.parametrize(("config", "status", "rate"), STATUS_CASES)
def test_status_has_one_meaning_in_sweep_and_verify_quadratic(
    config: tuple[float, float, float, int], status: str, rate: float | None
) -> None:
    lr, momentum, h, steps = config
    predicted = float(spectral_radius(lr, momentum, h))
    res = sweep(lr, momentum, h, steps=steps)
    run = verify_quadratic([h], lr=lr, momentum=momentum, steps=steps)
    assert str(res.status) == run.status == status
    # the measured rate is reported whatever the status (on the finite prefix after an overflow)
    for measured in (float(res.rate), run.measured_rate):
        assert abs(measured - predicted) <= 1e-7 * predicted
    if rate is not None:
        assert predicted == rate


def test_absurd_step_is_an_overflow_in_both() -> None:
    assert str(sweep(1e300, 0.5, 1e300, steps=10).status) == "overflow"  # one step leaves float64
    assert str(sweep(1e300, 0.5, 10.0, steps=10).status) == "overflow"
    run = verify_quadratic([10.0], lr=1e300, momentum=0.5, steps=10)
    # fewer than 3 finite steps: the one case where no rate is measurable
    assert run.status == "overflow" and np.isnan(run.measured_rate)


# ------------------------------------------------------------------------------------------------
# The torch buffer comes from the method's look-ahead gamma, not from its name
# ------------------------------------------------------------------------------------------------


def test_a_renamed_nesterov_runs_torchs_nesterov_buffer() -> None:
    # Before: a Method not *named* "nesterov" got heavy ball's buffer and a wrong rate.
    mine = Method("my_nag", "my Nesterov", c1=NESTEROV.c1, c0=NESTEROV.c0, gamma=NESTEROV.gamma, delta=NESTEROV.delta)
    alpha, beta = np.array([0.1, 0.9, 1.5]), np.array([0.3, 0.6, 0.9])
    ours = sweep(alpha, beta, 1.0, steps=60, method=mine, record=True)
    ref = sweep(alpha, beta, 1.0, steps=60, method="nesterov", record=True)
    np.testing.assert_array_equal(ours.iterates(), ref.iterates())
    for i in range(3):
        torch_run = _torch_sgd(float(alpha[i]), float(beta[i]), 1.0, 60, "nesterov")
        np.testing.assert_array_equal(ours.iterates()[:, i], torch_run)
    cmp = compare_with_theory(ours, method=mine)  # a user Method cannot be looked up by its name
    assert cmp.max_rel_error < 1e-9
    with pytest.raises(ValueError, match="`method` must be the Method named 'my_nag'"):
        compare_with_theory(ours, method=NESTEROV)


def test_general_gamma_runs_where_torch_can_and_refuses_elsewhere() -> None:
    # general(0) is heavy ball; general(g) at beta = g is Nesterov (gamma = beta): bit for bit.
    hb = sweep([0.2, 0.7], 0.5, 2.0, steps=50, record=True)
    np.testing.assert_array_equal(sweep([0.2, 0.7], 0.5, 2.0, steps=50, method=general(0.0), record=True).iterates(),
                                  hb.iterates())
    nag = sweep([0.2, 0.7], 0.5, 2.0, steps=50, method="nesterov", record=True)
    np.testing.assert_array_equal(sweep([0.2, 0.7], 0.5, 2.0, steps=50, method=general(0.5), record=True).iterates(),
                                  nag.iterates())
    with pytest.raises(ValueError, match=r"no torch\.optim\.SGD equivalent at beta = 0\.3"):
        sweep(0.2, [0.5, 0.3], 2.0, steps=10, method=general(0.5))
    with pytest.raises(ValueError, match=r"no torch\.optim\.SGD equivalent"):
        sweep(0.2, 0.5, 2.0, steps=10, method="triple_momentum")
    poly_only = Method("poly", "polynomial only", c1=get_method("heavy_ball").c1, c0=get_method("heavy_ball").c0)
    with pytest.raises(ValueError, match="polynomial only"):
        sweep(0.2, 0.5, 2.0, steps=10, method=poly_only)
