"""Proven cycles (hbtheory.robust.cycle_margin / cycle_witness): exact rationals, an LP over the
interpolation conditions with free function values, the witness sampled against the THG conditions,
torch.optim.SGD on the witness, and consistency with the certified rates."""

from __future__ import annotations

import importlib.util
import math
from fractions import Fraction

import numpy as np
import pytest

from hbtheory.methods import HEAVY_BALL
from hbtheory.robust import certified_rate, cycle_margin, cycle_witness

KAPPA_STAR = 9 + 4 * math.sqrt(5)  # measured: where Polyak's tuning starts to cycle and stops being certified


def polyak(kappa: float) -> tuple[float, float]:
    cf = HEAVY_BALL.closed_form(1.0, kappa)
    return cf.alpha, cf.beta


def thg_violation(y: np.ndarray, g: np.ndarray, f: np.ndarray, mu: float, L: float) -> float:
    """Largest violation of the F(mu, L) interpolation conditions (Taylor, Hendrickx, Glineur 2017, Thm 4)."""
    dy = y[:, None, :] - y[None, :, :]          # y_i - y_j
    dg = g[:, None, :] - g[None, :, :]          # g_i - g_j
    lin = np.einsum("jd,ijd->ij", g, dy)        # <g_j, y_i - y_j>
    quad = (np.sum(dg * dg, -1) / L + mu * np.sum(dy * dy, -1) - 2 * mu / L * np.sum(dg * dy, -1)) / (2 * (1 - mu / L))
    rhs = f[None, :] + lin + quad
    return float(np.max(rhs - f[:, None]))


def test_polyak_cycles_exactly_where_certificates_stop() -> None:
    # Measured: the period-3 region of Polyak's tuning begins at kappa = 9 + 4 sqrt 5 = 17.94427191,
    # where the off-by-one certificate ends (certified rate -> 1).
    lo, hi = KAPPA_STAR * (1 - 1e-7), KAPPA_STAR * (1 + 1e-7)
    a, b = polyak(lo)
    assert cycle_margin(a, b, 1.0, lo, 3) < 0 and certified_rate(a, b, 1.0, lo) < 1.0
    a, b = polyak(hi)
    assert cycle_margin(a, b, 1.0, hi, 3) > 0 and math.isinf(certified_rate(a, b, 1.0, hi))
    a, b = polyak(25.0)
    assert cycle_margin(a, b, 1.0, 25.0, 3) > 0.05


def _q_exact(alpha: Fraction, beta: Fraction, mu: Fraction, d: int) -> Fraction:
    """Q_d for K = 4 (omega = i), heavy ball, L = 1, in Gaussian rationals (pairs re, im)."""
    def mul(p, q):
        return (p[0] * q[0] - p[1] * q[1], p[0] * q[1] + p[1] * q[0])
    one, zero = Fraction(1), Fraction(0)
    w = [(one, zero), (zero, one), (-one, zero), (zero, -one)]
    winv = w[3]
    G = ((1 + beta - beta * winv[0] - w[1][0]) / alpha, (-beta * winv[1] - w[1][1]) / alpha)
    wd = (w[d % 4][0] - 1, w[d % 4][1])
    dy, dg = wd, mul(wd, G)
    def inner(p, q):
        return p[0] * q[0] + p[1] * q[1]
    return inner(G, dy) + (inner(dg, dg) + mu * inner(dy, dy) - 2 * mu * inner(dg, dy)) / (2 * (1 - mu))


@pytest.mark.parametrize(("alpha", "beta", "mu"), [
    (Fraction(3, 2), Fraction(1, 2), Fraction(1, 20)),
    (Fraction(1, 3), Fraction(9, 10), Fraction(1, 50)),
    (Fraction(1, 1), Fraction(1, 5), Fraction(1, 10)),
])
def test_square_cycle_margin_equals_exact_rationals(alpha: Fraction, beta: Fraction, mu: Fraction) -> None:
    exact = -max(_q_exact(alpha, beta, mu, d) for d in (1, 2, 3))
    got = float(cycle_margin(float(alpha), float(beta), float(mu), 1.0, 4))
    assert abs(got - float(exact)) <= 64 * np.finfo(float).eps * (1 + abs(float(exact)))


def test_margin_sign_agrees_with_an_lp_over_free_function_values() -> None:
    # Independent of the symmetry argument: the K-gon data are interpolable for SOME values f_i
    # (linprog over f, all ordered pairs) exactly when the margin is >= 0.
    from scipy.optimize import linprog

    rng = np.random.default_rng(3)
    checked = {True: 0, False: 0}
    for _ in range(60):
        a, b, mu, K = rng.uniform(0.2, 2.5), rng.uniform(0.0, 0.95), rng.uniform(0.01, 0.2), int(rng.integers(2, 7))
        m = float(cycle_margin(a, b, mu, 1.0, K))
        if abs(m) < 1e-6:
            continue
        best = False
        for k in [k for k in range(1, K // 2 + 1) if math.gcd(k, K) == 1]:
            ang = 2 * np.pi * k * np.arange(K) / K
            x = np.stack([np.cos(ang), np.sin(ang)], 1)
            g = (x - np.roll(x, -1, 0) + b * (x - np.roll(x, 1, 0))) / a
            rows, rhs = [], []
            for i in range(K):
                for j in range(K):
                    if i == j:
                        continue
                    dy, dg = x[i] - x[j], g[i] - g[j]
                    q = g[j] @ dy + (dg @ dg + mu * dy @ dy - 2 * mu * dg @ dy) / (2 * (1 - mu))
                    row = np.zeros(K)
                    row[j], row[i] = 1.0, -1.0      # f_j - f_i + q <= 0
                    rows.append(row)
                    rhs.append(-q)
            res = linprog(np.zeros(K), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * K)
            best = best or res.status == 0
        assert best == (m > 0), (a, b, mu, K, m)
        checked[m > 0] += 1
    assert checked[True] >= 3 and checked[False] >= 3


@pytest.fixture(scope="module")
def witness():
    a, b = polyak(25.0)
    return cycle_witness(a, b, 1.0, 25.0, 3)


def test_witness_interpolates_and_is_smooth_strongly_convex(witness) -> None:
    w = witness
    np.testing.assert_allclose(w.gradient(w.points), w.gradients, atol=1e-12)
    np.testing.assert_allclose(w.value(w.points), 0.0, atol=1e-12)
    # sampled membership in F(mu, L): THG conditions on the cycle plus 150 random points
    rng = np.random.default_rng(8)
    pts = np.concatenate([np.asarray(w.points), rng.uniform(-3, 3, (150, 2)), 0.2 * rng.standard_normal((50, 2))])
    viol = thg_violation(pts, w.gradient(pts), np.asarray(w.value(pts)), w.mu, w.L)
    assert viol <= 1e-9
    # and the gradient is the derivative of the value (central differences)
    x = rng.uniform(-2, 2, (10, 2))
    h = 1e-6
    num = np.stack([(w.value(x + h * e) - w.value(x - h * e)) / (2 * h) for e in np.eye(2)], -1)
    np.testing.assert_allclose(num, w.gradient(x), atol=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_torch_sgd_stays_on_the_cycle(witness) -> None:
    import torch

    w = witness
    p = torch.nn.Parameter(torch.tensor(w.points[0], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=w.alpha, momentum=w.beta)
    # torch's buffer b with p -= lr * b, b = momentum * b + g: on the cycle b_{-1} = (x_{-1} - x_0)/lr
    opt.state[p]["momentum_buffer"] = torch.tensor((w.points[-1] - w.points[0]) / w.alpha, dtype=torch.float64)
    worst = 0.0
    for t in range(1, 61):
        opt.zero_grad()
        w.value_torch(p).backward()
        opt.step()
        worst = max(worst, float(np.max(np.abs(p.detach().numpy() - w.points[t % w.K]))))
    assert worst <= 1e-9


def test_no_point_is_both_certified_and_cycling() -> None:
    a = np.linspace(0.05, 2.2, 12)[:, None]
    b = np.linspace(0.0, 0.95, 12)[None, :]
    cert = certified_rate(a, b, 0.1, 1.0) < 1.0
    assert cert.sum() > 20
    cyc = np.zeros(cert.shape, bool)
    for K in range(2, 8):
        cyc |= cycle_margin(a, b, 0.1, 1.0, K) >= 0
    assert cyc.sum() > 5
    assert not np.any(cert & cyc)


def test_errors() -> None:
    with pytest.raises(ValueError, match="K"):
        cycle_margin(0.5, 0.5, 0.1, 1.0, 1)
    with pytest.raises(ValueError, match="no period-3 cycle"):
        cycle_witness(0.1, 0.5, 1.0, 10.0, 3)
    assert cycle_margin(0.5, 0.5, 1.0, 1.0, 3) == -np.inf


HAVE_PEPIT = importlib.util.find_spec("PEPit") is not None and importlib.util.find_spec("cvxpy") is not None


@pytest.mark.pepit
@pytest.mark.skipif(not HAVE_PEPIT, reason="PEPit/cvxpy not installed")
def test_pepit_cycle_search_agrees() -> None:
    # PEPit searches for ANY period-K cycle (x_K = x_0, x_{K-1} = x_{-1}) over F(mu, L) with
    # ||x_0 - x*|| <= 1, maximising ||x_0 - x*||^2: 1 when a cycle exists, 0 when only the minimiser
    # cycles. A positive margin must give 1; a certified point must give 0.
    import warnings

    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction

    def search(alpha: float, beta: float, mu: float, L: float, K: int) -> float:
        problem = PEP()
        f = problem.declare_function(SmoothStronglyConvexFunction, mu=mu, L=L)
        xs = f.stationary_point()
        x0 = problem.set_initial_point()
        xm = problem.set_initial_point()
        problem.set_initial_condition((x0 - xs) ** 2 <= 1)
        x, xp = x0, xm
        for _ in range(K):
            x, xp = x - alpha * f.gradient(x) + beta * (x - xp), x
        problem.add_constraint((x - x0) ** 2 == 0)
        problem.add_constraint((xp - xm) ** 2 == 0)
        problem.set_performance_metric((x0 - xs) ** 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(problem.solve(verbose=0))

    a, b = polyak(25.0)
    assert cycle_margin(a, b, 1.0, 25.0, 3) > 0 and abs(search(a, b, 1.0, 25.0, 3) - 1.0) < 1e-4
    a4, b4 = 2.5, 0.9   # a square cycle (K = 4) although every quadratic converges (rate 0.949)
    assert cycle_margin(a4, b4, 0.1, 1.0, 4) > 0 and abs(search(a4, b4, 0.1, 1.0, 4) - 1.0) < 1e-4
    a, b = polyak(10.0)
    assert certified_rate(a, b, 1.0, 10.0) < 1.0
    for K in (2, 3, 4):
        assert search(a, b, 1.0, 10.0, K) < 1e-4


def test_lrp_cycle_is_one_instance_of_the_interpolant() -> None:
    # The Lessard-Recht-Packard 3-cycle (1-D, not a regular polygon): its points, gradients and values
    # satisfy the interpolation conditions, and heavy ball cycles on the explicit interpolant too.
    from hbtheory.lrp import LRP_CYCLE, lrp_gradient, lrp_value
    from hbtheory.robust import interpolant

    pts = np.array([[float(x)] for x in LRP_CYCLE])
    f = interpolant(pts, lrp_gradient(pts), lrp_value(pts[:, 0]), 1.0, 25.0)
    x, xp = pts[0], pts[2]
    for t in range(1, 31):
        x, xp = x + (4 / 9) * (x - xp) - (1 / 9) * f.gradient(x), x
        assert abs(x[0] - pts[t % 3, 0]) <= 1e-9
    with pytest.raises(ValueError, match="no function"):
        interpolant(pts, lrp_gradient(pts), lrp_value(pts[:, 0]), 1.0, 2.0)
