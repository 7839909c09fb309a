"""The obvious implementation of :func:`hbtheory.robust.certified_rate`: bisection over a cvxpy solve.

Used only as the independent reference in the tests and in ``benchmarks/robust_speed.py``. At each
point the same (reduced) LMI as :mod:`hbtheory.robust` is compiled once with ``s = rho^2`` as a
cvxpy parameter (the LMI is affine in ``s``), then ``max t`` subject to ``-LMI >= t I``,
``P >= t I``, ``tr P + sum(lam) = 1``, ``lam >= 0`` is solved with cvxpy's default solver at each
bisection step; ``rho`` is feasible when ``t > tol``. The solver is Clarabel with tolerances 1e-10
when installed (cvxpy's default for this SDP is SCS, whose 1e-5 tolerance moves the answer by up
to 3e-5), or ``solver``.
"""

from __future__ import annotations

import importlib
import math
import warnings
from typing import Any

import numpy as np

from hbtheory import robust


def cvxpy_certified_rate(
    alpha: float, beta: float, mu: float, L: float, *, method: str = "heavy_ball", iqc: str = "off_by_one",
    rho_tol: float = 1e-9, t_tol: float = 1e-9, solver: str | None = None,
) -> float:
    """Certified rate of one point by bisection over cvxpy (``inf`` when not certified below 1)."""
    cp: Any = importlib.import_module("cvxpy")

    m, _, a1, b1, mu1 = robust._inputs(alpha, beta, mu, L, method, iqc)
    floor = float(robust._quadratic_floor(m, a1, b1, mu1)[0])
    if floor >= 1.0:
        return math.inf
    Ah, Bh, a0, a1r, brow = robust._problem(m, a1, b1, mu1, iqc)
    rank, bases, rest = robust._reduce(Ah, Bh)
    r = int(rank[0])
    T = bases[r][0]
    AB = np.concatenate([T.T @ Ah[0] @ T, (T.T @ Bh[0])[:, None]], axis=1)

    def red(rows: Any) -> Any:
        return np.concatenate([rows[0, :, :-1] @ T, rows[0, :, -1:]], axis=-1)

    A0, A1, Bm = red(a0), red(a1r), red(brow)
    k = A0.shape[0]
    pi0 = [np.outer(A0[i], Bm[i]) + np.outer(Bm[i], A0[i]) for i in range(k)]
    pi1 = [np.outer(A1[i], Bm[i]) + np.outer(Bm[i], A1[i]) for i in range(k)]
    E = np.hstack([np.eye(r), np.zeros((r, 1))])
    P = cp.Variable((r, r), symmetric=True)
    lam = cp.Variable(k)
    t = cp.Variable()
    s = cp.Parameter(nonneg=True)
    lmi = AB.T @ P @ AB - s * (E.T @ P @ E)
    for i in range(k):
        lmi = lmi + lam[i] * pi0[i] + s * (lam[i] * pi1[i])
    lmi = (lmi + lmi.T) / 2
    cons = [-lmi >> t * np.eye(r + 1), P >> t * np.eye(r), cp.trace(P) + cp.sum(lam) == 1, lam >= 0]
    prob = cp.Problem(cp.Maximize(t), cons)

    opts: dict[str, Any] = {}
    if solver == "CLARABEL" or (solver is None and "CLARABEL" in cp.installed_solvers()):
        opts = {"solver": "CLARABEL", "tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
    elif solver is not None:
        opts = {"solver": solver}

    def feasible(rho: float) -> bool:
        s.value = rho * rho
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "may be inaccurate": then t is small and the answer conservative
                prob.solve(**opts)
        except cp.SolverError:
            return False
        return prob.status in ("optimal", "optimal_inaccurate") and t.value is not None and float(t.value) > t_tol

    lo, hi = max(floor, float(rest[0])), 1.0 - 2 * rho_tol
    if not feasible(hi):
        return math.inf
    while hi - lo > rho_tol:
        mid = 0.5 * (lo + hi)
        if feasible(mid):
            hi = mid
        else:
            lo = mid
    return max(hi, float(rest[0]))
