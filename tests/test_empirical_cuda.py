"""The same claims on a CUDA device (skipped without one)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hbtheory import spectral_radius  # noqa: E402
from hbtheory.empirical import chapter_network, compare_with_theory, noise_variance, sweep, verify_quadratic  # noqa: E402

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_quadratic_rate_on_cuda() -> None:
    run = verify_quadratic([1.0, 4.0, 10.0], lr=0.1, momentum=0.5, steps=150, device="cuda", dense=True)
    assert run.device.startswith("cuda") and run.relative_error < 1e-6


def test_sweep_on_cuda_matches_theory_and_torch() -> None:
    alpha = np.linspace(0.05, 3.5, 30)
    beta = np.linspace(0.0, 0.95, 20)[:, None]
    res = sweep(alpha, beta, 1.0, steps=300, device="cuda", record=True)
    assert compare_with_theory(res).max_abs_error < 1e-9
    # bit for bit against torch.optim.SGD on the same device
    x = torch.ones(1, dtype=torch.float64, device="cuda", requires_grad=True)
    h = torch.ones(1, dtype=torch.float64, device="cuda")
    opt = torch.optim.SGD([x], lr=float(alpha[5]), momentum=float(beta[7, 0]))
    ref = [1.0]
    for _ in range(100):
        opt.zero_grad()
        (0.5 * (h * x * x).sum()).backward()
        opt.step()
        ref.append(x.item())
    np.testing.assert_array_equal(res.iterates()[:101, 7, 5], np.asarray(ref))
    assert np.allclose(res.rate, spectral_radius(res.alpha, res.beta, res.h), atol=1e-9)


def test_noise_and_network_on_cuda() -> None:
    assert noise_variance(betas=[0.0, 0.9], replicas=1024, device="cuda").agrees
    run = chapter_network(device="cuda", epochs=3)
    assert run.final_loss_momentum < run.final_loss_sgd
