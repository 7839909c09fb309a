"""``worst_case`` equals PEPit's worst case over smooth strongly convex quadratics.

PEPit (Goujaud et al., Math. Prog. Comp. 2024) computes the same number by a semidefinite program:
the class ``SmoothStronglyConvexQuadraticFunction(mu, L)`` (interpolation conditions of Bousselmi,
Hendrickx and Glineur, arXiv:2302.08781), the initial condition ``||x_0 - x*||^2 <= 1`` with
``x_{-1} = x_0``, ``n`` steps written exactly as the method's update, and the performance metric
``||x_n - x*||^2``. Optional stack: skipped without PEPit and cvxpy.

Accuracy of the comparison is the SDP solver's. Through cvxpy, Clarabel runs with
``tol_gap_abs = tol_gap_rel = tol_feas = 1e-8`` and SCS with ``eps_abs = eps_rel = 1e-5``; these
bound scaled residuals, not the objective, so the test allows 100 times the tolerance on the
objective (measured errors at n <= 4: Clarabel below 1e-7 relative, SCS below 1e-5). Both the
dual value PEPit returns (an upper bound, up to the solver's accuracy) and the primal value (a
worst-case instance, a lower bound) are compared. Beyond n ~ 5 the solvers start to report
inaccurate solutions at these parameters (see ``benchmarks/worst_case_vs_pepit.py``).
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("PEPit", reason="PEPit is optional (pip install -e '.[pepit]')")
cvxpy = pytest.importorskip("cvxpy", reason="PEPit needs cvxpy")

from PEPit import PEP  # noqa: E402
from PEPit.functions import SmoothStronglyConvexQuadraticFunction  # noqa: E402

from hbtheory import worst_case  # noqa: E402

pytestmark = pytest.mark.pepit

SOLVER, TOL = ("CLARABEL", 1e-8) if "CLARABEL" in cvxpy.installed_solvers() else ("SCS", 1e-5)


def pepit_worst_case(n: int, alpha: float, beta: float, mu: float, L: float, method: str) -> tuple[float, float]:
    """(dual, primal) values of PEPit's performance-estimation problem for ``n`` steps."""
    problem = PEP()
    f = problem.declare_function(SmoothStronglyConvexQuadraticFunction, mu=mu, L=L)
    xs = f.stationary_point()
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - xs) ** 2 <= 1)
    x, x_prev = x0, x0
    for _ in range(n):
        if method == "heavy_ball":
            x_next = x - alpha * f.gradient(x) + beta * (x - x_prev)
        else:  # Nesterov: gradient at the look-ahead point
            y = x + beta * (x - x_prev)
            x_next = y - alpha * f.gradient(y)
        x, x_prev = x_next, x
    problem.set_performance_metric((x - xs) ** 2)
    dual = float(problem.solve(verbose=0, solver=SOLVER))
    return dual, float(problem.objective.eval())


def _polyak(kappa: float) -> tuple[float, float, float, float]:
    mu, L = 1.0 / kappa, 1.0
    return 4.0 / (math.sqrt(mu) + math.sqrt(L)) ** 2, ((1 - math.sqrt(mu)) / (1 + math.sqrt(mu))) ** 2, mu, L


CASES = {
    "heavy_ball-polyak10": ("heavy_ball", *_polyak(10.0)),  # the worst case exceeds 1 at n = 1, 2
    "heavy_ball-generic": ("heavy_ball", 0.7, 0.5, 0.1, 1.0),
    "heavy_ball-beta0": ("heavy_ball", 1.2, 0.0, 0.2, 1.5),  # gradient descent
    "nesterov-kappa10": ("nesterov", 1.0, (math.sqrt(10.0) - 1) / (math.sqrt(10.0) + 1), 0.1, 1.0),
    "nesterov-long-step": ("nesterov", 1.6, 0.4, 0.1, 1.0),  # alpha L > 1: c0 < 0 near L
}


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_agrees_with_pepit(case: str, n: int) -> None:
    method, alpha, beta, mu, L = CASES[case]
    exact = float(worst_case(n, alpha, beta, mu, L, method=method))
    dual, primal = pepit_worst_case(n, alpha, beta, mu, L, method)
    tol = 100 * TOL * max(1.0, exact)
    assert dual == pytest.approx(exact, abs=tol)
    assert primal == pytest.approx(exact, abs=tol)
    assert primal <= exact + tol <= dual + 2 * tol  # the primal is a lower bound, the dual an upper
