"""The Ghadimi-Feyzmahdavian-Johansson region (``hbtheory.gfj``): a closed form, no PEPit needed.

E. Ghadimi, H. R. Feyzmahdavian, M. Johansson (2015), ECC, Theorem 4 (arXiv:1412.7457). PEPit's
numerical check of the theorem is in ``tests/test_pep.py``.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from hbtheory.gfj import gfj_beta_bound, gfj_region


def _polyak(kappa: float) -> tuple[float, float, float, float]:
    mu, L = 1.0 / kappa, 1.0
    return 4.0 / (math.sqrt(mu) + math.sqrt(L)) ** 2, ((1 - math.sqrt(mu)) / (1 + math.sqrt(mu))) ** 2, mu, L


def test_gfj_bound_formula_and_shape() -> None:
    mu, L = 0.1, 1.0
    a = np.linspace(1e-6, 2 / L - 1e-6, 2001)
    bound = gfj_beta_bound(a, mu, L)
    expected = 0.5 * (mu * a / 2 + np.sqrt(mu**2 * a**2 / 4 + 4 * (1 - a * L / 2)))
    np.testing.assert_allclose(bound, expected, rtol=4 * np.finfo(float).eps)
    assert np.all(np.diff(bound) < 0)  # decreasing in alpha ...
    assert bound[0] == pytest.approx(1.0, abs=1e-6) and bound[-1] == pytest.approx(mu / L, abs=1e-5)  # from 1 to mu/L
    assert np.all(bound < 1.0)
    assert gfj_beta_bound(1.0, 1.0, 1.0) == pytest.approx(1.0)  # mu = L: the bound is 1 for every alpha


def test_gfj_region_edges() -> None:
    mu, L = 0.1, 1.0
    b = float(gfj_beta_bound(1.0, mu, L))
    assert gfj_region(1.0, np.nextafter(b, 0), mu, L)
    assert not gfj_region(1.0, b, mu, L)  # strict inequality
    assert gfj_region(1.0, 0.0, mu, L) and not gfj_region(1.0, -1e-12, mu, L)
    assert not gfj_region(2.0, 0.0, mu, L) and not gfj_region(0.0, 0.5, mu, L)
    assert gfj_region(np.nextafter(2.0, 0), 0.0, mu, L)  # at beta = 0: gradient descent's (0, 2/L)


@pytest.mark.parametrize("kappa", [1.5, 3.0, 5.8, 5.9, 10.0, 25.0, 1e4])
def test_polyak_tuning_inside_iff_kappa_below_3_plus_2_sqrt2(kappa: float) -> None:
    # 4/(sqrt(L) + sqrt(mu))^2 < 2/L  <=>  sqrt(kappa) < 1 + sqrt(2); the momentum bound never binds.
    a, b, mu, L = _polyak(kappa)
    inside = kappa < 3 + 2 * math.sqrt(2)
    assert (a * L < 2.0) == inside
    assert bool(gfj_region(a, b, mu, L)) == inside


def test_gfj_region_broadcasts_like_a_loop(rng: np.random.Generator) -> None:
    a = rng.uniform(-0.5, 2.5, (4, 5))
    b = rng.uniform(-0.2, 1.2, (1, 5))
    mu = rng.uniform(0.01, 0.5, (4, 1))
    got = gfj_region(a, b, mu, 1.0)
    assert got.shape == (4, 5) and got.dtype == bool
    for i in range(4):
        for j in range(5):
            assert got[i, j] == gfj_region(float(a[i, j]), float(b[0, j]), float(mu[i, 0]), 1.0)
    assert got.any() and not got.all()


def test_gfj_validation() -> None:
    with pytest.raises(ValueError, match="`mu`"):
        gfj_region(1.0, 0.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="`L`"):
        gfj_region(1.0, 0.5, 0.1, -1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        gfj_region(np.nan, 0.5, 0.1, 1.0)
    with pytest.raises(TypeError, match="`beta`"):
        gfj_region(1.0, "0.5", 0.1, 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        gfj_region([1.0, 2.0], [0.1, 0.2, 0.3], 0.1, 1.0)
    with pytest.raises(ValueError, match="`alpha`"):
        gfj_beta_bound(2.5, 0.1, 1.0)


def test_gfj_needs_neither_pepit_nor_cvxpy() -> None:
    code = (
        "import sys, hbtheory.gfj as g; g.gfj_region(1.0, 0.5, 0.1, 1.0); "
        "print(sorted(m for m in ('PEPit', 'cvxpy', 'torch', 'hbtheory.pep') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
