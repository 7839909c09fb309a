"""``worst_case`` against PEPit's semidefinite program: the same number, and what it costs.

Not part of the test suite (``tests/test_pepit.py`` checks the agreement for n <= 4). Run from
the repository root::

    python3 benchmarks/worst_case_vs_pepit.py [--n 5 10 20 40] [--kappa 10] [--repeats 3]

At Polyak's tuning on ``[1/kappa, 1]`` it solves, for each ``n``, the performance-estimation
problem of ``n`` heavy-ball steps over PEPit's ``SmoothStronglyConvexQuadraticFunction(mu, L)``
(initial condition ``||x_0 - x*||^2 <= 1``, ``x_{-1} = x_0``, metric ``||x_n - x*||^2``) with the
solver PEPit uses by default (cvxpy's choice) and with Clarabel if installed, and times it against
``hbtheory.worst_case`` in the same process (medians: ``--repeats`` solves, 200 calls of
``worst_case``). It prints both values, the SDP's relative error and its own primal-dual gap,
and the speed ratio.

Targets (exit status 1 if one is missed):

* speed: ``worst_case`` at least 1000 times faster than every SDP solve at ``n = 10`` that
  returned a value (a solver that fails, e.g. Clarabel's ``SolverError`` on these tiny values,
  gives no answer to compare with: its time is printed, marked, and does not count);
* agreement to the solver's accuracy: wherever the solver returns a value,
  ``|PEPit - worst_case| <= 100 * tol`` with ``tol`` the solver's default tolerance as cvxpy sets
  it (SCS: ``eps_abs = eps_rel = 1e-5``; Clarabel: ``tol_gap_* = tol_feas = 1e-8``). These bound
  scaled residuals, not the objective, hence the factor. Where the exact value is below
  ``100 * tol`` the SDP resolves nothing and the script says that its accuracy ends there.

Without PEPit and cvxpy it prints a message and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import _common  # noqa: F401  (puts this checkout first on sys.path)
from _common import median_time, result

from hbtheory import worst_case

SPEED_TARGET = 1000.0
SPEED_N = 10
#: Default tolerances of the solvers as called through cvxpy (see the module docs).
SOLVER_TOL = {"SCS": 1e-5, "CLARABEL": 1e-8}
TOL_FACTOR = 100.0


def polyak(kappa: float) -> tuple[float, float, float, float]:
    mu, L = 1.0 / kappa, 1.0
    alpha = 4.0 / (math.sqrt(mu) + math.sqrt(L)) ** 2
    beta = ((math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))) ** 2
    return alpha, beta, mu, L


@dataclass
class Solve:
    dual: float | None
    primal: float | None
    seconds: float
    solver: str
    note: str


def pepit_solve(n: int, alpha: float, beta: float, mu: float, L: float, solver: str | None) -> Solve:
    """One PEPit solve of the n-step heavy-ball PEP on smooth strongly convex quadratics."""
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexQuadraticFunction

    start = time.perf_counter()
    problem = PEP()
    f = problem.declare_function(SmoothStronglyConvexQuadraticFunction, mu=mu, L=L)
    xs = f.stationary_point()
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - xs) ** 2 <= 1)
    x, x_prev = x0, x0
    for _ in range(n):
        x, x_prev = x - alpha * f.gradient(x) + beta * (x - x_prev), x
    problem.set_performance_metric((x - xs) ** 2)
    notes = []
    name = solver or "?"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            dual = problem.solve(verbose=0, solver=solver)
            primal = float(problem.objective.eval())
            name = str(problem.wrapper.prob.solver_stats.solver_name)
        except Exception as exc:  # the solver's failure is a result here, not a crash
            dual, primal = None, None
            notes.append(f"{type(exc).__name__}")
    notes += sorted({str(w.message).split(".")[0] for w in caught})
    seconds = time.perf_counter() - start
    return Solve(None if dual is None else float(dual), primal, seconds, name, "; ".join(notes))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--kappa", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3, help="SDP solves per point (median)")
    args = parser.parse_args()

    # Informational: step counts no SDP reaches (its size grows like n^2); branch and bound on the
    # envelope keeps worst_case's cost growing like log n there.
    a0, b0, mu0, l0 = polyak(args.kappa)
    for big in (10**4, 10**6, 10**8):
        seconds = median_time(lambda big=big: worst_case(big, a0, b0, mu0, l0, log=True), 3)
        print(f"worst_case(n = {big:.0e}, log=True) at Polyak's tuning: {seconds * 1e3:.1f} ms")
    print()

    if importlib.util.find_spec("PEPit") is None or importlib.util.find_spec("cvxpy") is None:
        print("PEPit and cvxpy are not installed (pip install -e '.[pepit]'): nothing to compare.")
        result("worst_case vs PEPit", "SKIP", "PEPit/cvxpy not installed (pip install -e '.[pepit]')")
        return 0
    import cvxpy

    solvers: list[str | None] = [None]
    if "CLARABEL" in cvxpy.installed_solvers():
        solvers.append("CLARABEL")
    alpha, beta, mu, L = polyak(args.kappa)
    print(f"Heavy ball at Polyak's tuning, kappa = {args.kappa:g}: alpha = {alpha:.6g}, beta = {beta:.6g}, "
          f"spectrum [{mu:g}, {L:g}]")
    print(f"worst_case: median of 200 calls; PEPit: median of {args.repeats} solves (build + solve)\n")
    header = (f"{'n':>3}  {'solver':<16} {'worst_case':>14} {'PEPit (dual)':>14} {'rel. diff':>9} "
              f"{'abs. diff':>9} {'gap d-p':>9} {'t hbtheory':>11} {'t PEPit':>9} {'ratio':>8}  note")
    print(header)
    print("-" * len(header))
    failures = []
    speed_at_n: list[float] = []
    for n in args.n:
        exact = float(worst_case(n, alpha, beta, mu, L))
        t_exact = median_time(lambda n=n: worst_case(n, alpha, beta, mu, L), 200)
        for solver in solvers:
            runs = [pepit_solve(n, alpha, beta, mu, L, solver) for _ in range(args.repeats)]
            t_sdp = statistics.median(r.seconds for r in runs)
            ratio = t_sdp / t_exact
            last = runs[-1]
            answered = all(r.dual is not None and r.primal is not None for r in runs)
            if n == SPEED_N and answered:
                speed_at_n.append(ratio)
                if ratio < SPEED_TARGET:
                    failures.append(f"n = {n}, {solver or 'default'}: speed ratio {ratio:.0f} < {SPEED_TARGET:g}")
            name = f"{solver or 'default'}:{last.solver}" if solver is None else solver
            times = f"{t_exact * 1e3:>9.3f}ms {t_sdp:>8.3f}s {ratio:>8.0f}"
            if last.dual is None or last.primal is None:
                print(f"{n:>3}  {name:<16} {exact:>14.8e} {'failed':>14} {'':>9} {'':>9} {'':>9} {times}  "
                      f"{last.note} (no answer: not a speed comparison)")
                continue
            diff = last.dual - exact
            accuracy = TOL_FACTOR * SOLVER_TOL.get(last.solver, 1e-5)
            notes = [last.note] if last.note else []
            if exact < accuracy:
                notes.append(f"value < {accuracy:g}: below the SDP's accuracy")
            if abs(diff) > accuracy:
                failures.append(f"n = {n}, {name}: |difference| {abs(diff):.1e} > {accuracy:g}")
            print(f"{n:>3}  {name:<16} {exact:>14.8e} {last.dual:>14.8e} {diff / exact:>+9.1e} {abs(diff):>9.1e} "
                  f"{last.dual - last.primal:>+9.1e} {times}  {'; '.join(notes)}")
    print()
    slowest = (f"{min(speed_at_n):.0f}x at n = {SPEED_N} (target >= {SPEED_TARGET:g}x, solves that answered)"
               if speed_at_n else f"no solver answered at n = {SPEED_N}")
    if SPEED_N in args.n and not speed_at_n:
        failures.append(f"n = {SPEED_N}: no SDP solve returned a value, nothing to compare")
    if failures:
        print("TARGETS MISSED:\n  " + "\n  ".join(failures))
        return result("worst_case vs PEPit", "FAIL", f"{slowest}; " + "; ".join(failures))
    return result(
        "worst_case vs PEPit",
        "PASS",
        f"{slowest}; values agree within {TOL_FACTOR:g} x the solver's tolerance wherever it returned one",
    )


if __name__ == "__main__":
    sys.exit(main())
