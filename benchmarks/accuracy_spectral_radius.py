"""Accuracy of ``spectral_radius`` (and ``spectral_gap``) against 50-digit mpmath, every method.

Not part of the test suite (``tests/test_spectral.py`` runs a few thousand points of the same
check). Run from the repository root::

    python3 benchmarks/accuracy_spectral_radius.py [--n 100000] [--processes 2] [--seed 0]

For each method of the family (heavy ball, Nesterov, gradient descent, Triple Momentum,
``general(gamma=0.5)``) it draws ``n`` random ``(alpha, beta, h)`` in four equal parts: within
1e-10 (relative, in ``alpha h``) of a critical-damping curve, a fifth of those "exactly on" it as
far as a float64 formula puts them; 1e-3..1e-1 away from a curve (where the float64 formula is
used and its rounding is amplified most); near rho = 1 (``alpha h`` in 1e-16..1e-3, ``beta`` up
to 1 - 1e-9); anywhere in ``0 < alpha h < 5``. The reference is computed at the *same float64
inputs* in exact rational arithmetic (``c1``, ``c0``, the discriminant) and a 50-digit square root.
It prints the maximum and median error, in ulps of the reference and relative, of

* ``hbtheory.spectral_radius`` (float64, double-double where the error bounds require it),
* the same closed form in plain float64 (no double-double),
* ``numpy.linalg.eigvals`` on the float64 iteration matrix,

the relative error of ``hbtheory.spectral_gap`` (``1 - rho``) on the points near rho = 1, and the
fraction of points recomputed in double-double. Targets: ``spectral_radius`` within its stated
bound, ``ROUTE_TOL`` = 1e-14 relative, everywhere (the measured maximum in ulps is the figure the
docs quote); ``spectral_gap`` within 1e-12 relative near rho = 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from multiprocessing import Pool

import _common  # noqa: F401  (puts this checkout first on sys.path)
import mpmath
import numpy as np
from _common import result

from hbtheory import _kernel
from hbtheory.methods import get_method
from hbtheory.spectral import iteration_matrix, spectral_gap, spectral_radius

TOL = _kernel.ROUTE_TOL
GAP_TOL = 1e-12
EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general(gamma=0.5)")


def curves(name: str, b: np.ndarray) -> list[np.ndarray]:
    """``alpha h`` on the critical curves of a member of the general family (1 where there is none):
    the roots in ``u`` of ``(1 - b)^2 - 2 u (1 + b - g + b g) + u^2 (1 + g)^2``."""
    g = np.broadcast_to(np.asarray(get_method(name).gamma(b), dtype=float), b.shape)
    A, B, C = (1.0 + g) ** 2, 1.0 + b - g + b * g, (1.0 - b) ** 2
    d = B * B - A * C
    r = np.sqrt(np.maximum(d, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = np.where(B > 0, C / (B + r), (B - r) / A), (B + r) / A
    ok = (d >= 0.0) & (lo > 0.0) & np.isfinite(lo)
    return [np.where(ok, lo, 1.0), np.where(ok & (hi > 0.0), hi, 1.0)]


def sample(rng: np.random.Generator, name: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random points in four parts (see the module notes) and the mask of the near-rho=1 part."""
    uses_beta = get_method(name).uses_beta
    b = rng.uniform(0.0, 1.0, n) if uses_beta else np.zeros(n)
    h = np.exp(rng.uniform(np.log(0.01), np.log(100.0), n))
    part = np.arange(n) % 4
    curve = np.choose(rng.integers(0, 2, n), curves(name, b))
    rel = rng.uniform(-1e-10, 1e-10, n) * 10.0 ** -rng.integers(0, 6, n)
    near = np.where(rng.random(n) < 0.2, curve, curve * (1.0 + rel))
    band = curve * (1.0 + rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-3, -1, n))
    if uses_beta:
        b = np.where(part == 2, 1.0 - 10.0 ** rng.uniform(-9, 0, n), b)
    tiny = 10.0 ** rng.uniform(-16, -3, n)
    ah = np.choose(part, [near, band, tiny, rng.uniform(0.0, 5.0, n)])
    ah = np.where(ah > 0.0, ah, 0.5)
    return ah / h, b, h, part == 2
Task = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def reference(task: Task) -> list[mpmath.mpf]:
    """Spectral radii at the exact float64 inputs: rational c1, c0, disc; 50-digit square root."""
    name, a, b, h = task
    m = get_method(name)
    out = []
    with mpmath.workdps(50):
        for ai, bi, hi in zip(a.tolist(), b.tolist(), h.tolist(), strict=True):
            fa, fb, fh = Fraction(ai), Fraction(bi), Fraction(hi)
            c1, c0 = Fraction(m.c1(fa, fb, fh)), Fraction(m.c0(fa, fb, fh))
            disc = c1 * c1 - 4 * c0
            if disc >= 0:
                d = mpmath.mpf(disc.numerator) / disc.denominator
                out.append((abs(mpmath.mpf(c1.numerator) / c1.denominator) + mpmath.sqrt(d)) / 2)
            else:
                out.append(mpmath.sqrt(mpmath.mpf(c0.numerator) / c0.denominator))
    return out


def errors(values: np.ndarray, ref: list[mpmath.mpf]) -> tuple[np.ndarray, np.ndarray]:
    """Relative error and error in ulps (of the float64 nearest the reference) of each value."""
    rel, ulps = np.empty(len(ref)), np.empty(len(ref))
    with mpmath.workdps(50):
        for i, (v, r) in enumerate(zip(values.tolist(), ref, strict=True)):
            if r == 0:
                rel[i] = ulps[i] = 0.0 if v == 0.0 else np.inf
            else:
                err = abs(mpmath.mpf(v) - r)
                rel[i] = float(err / r)
                ulps[i] = float(err / mpmath.mpf(np.spacing(float(r))))
    return rel, ulps


def gap_errors(values: np.ndarray, ref: list[mpmath.mpf]) -> np.ndarray:
    out = np.empty(len(ref))
    with mpmath.workdps(50):
        for i, (v, r) in enumerate(zip(values.tolist(), ref, strict=True)):
            g = 1 - r
            out[i] = (0.0 if v == 0.0 else np.inf) if g == 0 else float(abs(mpmath.mpf(v) - g) / abs(g))
    return out


def speed_ratio() -> tuple[float, float]:
    alpha = np.linspace(0.001, 4.0, 1000)[:, None]
    beta = np.linspace(0.0, 0.999, 1000)[None, :]
    A = iteration_matrix(alpha, beta, 1.0)

    def best(f: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return min(times)

    ours = best(lambda: spectral_radius(alpha, beta, 1.0))
    theirs = best(lambda: np.abs(np.linalg.eigvals(A)).max(axis=-1))
    return ours, theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="points per method")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    failed = False
    worst_ours, worst_ulps, worst_gap = 0.0, 0.0, 0.0
    worst_at: tuple[str, float, float, float] | None = None
    worst_eig: dict[str, float] = {}
    print(f"{args.n} points per method: near the curves, 1e-3..1e-1 from them, near rho = 1, anywhere; "
          "50-digit reference")
    header = f"{'method':<20}{'evaluator':<30}{'max rel err':>13}{'max ulps':>11}{'median ulps':>13}"
    print(header)
    print("-" * len(header))
    for name in METHODS:
        m = get_method(name)
        a, b, h, near_one = sample(rng, name, args.n)
        t0 = time.perf_counter()
        chunks: list[Task] = [(name, a[i::64], b[i::64], h[i::64]) for i in range(64)]
        with Pool(args.processes) as pool:
            parts = pool.map(reference, chunks)
        ref: list[mpmath.mpf] = [mpmath.mpf(0)] * args.n
        for i, part in enumerate(parts):
            ref[i::64] = part
        t_ref = time.perf_counter() - t0
        evaluators = {
            "spectral_radius": spectral_radius(a, b, h, method=name),
            "float64 closed form (no DD)": _kernel.radius(_kernel.float64_characteristic(m, a, b, h)),
            "numpy.linalg.eigvals": np.abs(np.linalg.eigvals(iteration_matrix(a, b, h, method=name))).max(axis=-1),
        }
        for label, values in evaluators.items():
            rel, ulps = errors(values, ref)
            print(f"{name:<20}{label:<30}{np.max(rel):>13.2e}{np.max(ulps):>11.3g}{np.median(ulps):>13.2g}")
            if label == "spectral_radius":
                i = int(np.argmax(ulps))
                if ulps[i] > worst_ulps:
                    worst_ulps, worst_at = float(ulps[i]), (name, float(a[i]), float(b[i]), float(h[i]))
                worst_ours = max(worst_ours, float(np.max(rel)))
                failed |= not np.max(rel) <= TOL
            if label == "numpy.linalg.eigvals":
                worst_eig[name] = float(np.max(rel))
        idx = np.flatnonzero(near_one)
        gap = gap_errors(spectral_gap(a[idx], b[idx], h[idx], method=name), [ref[i] for i in idx])
        naive = gap_errors(1.0 - spectral_radius(a[idx], b[idx], h[idx], method=name), [ref[i] for i in idx])
        worst_gap = max(worst_gap, float(np.max(gap)))
        failed |= not np.max(gap) <= GAP_TOL
        label = "1 - rho: spectral_gap"
        print(f"{name:<20}{label:<30}{np.max(gap):>13.2e}   (1 - spectral_radius: {np.max(naive):.1e})")
        routed = _kernel.routed_fraction(m, a, b, h)
        print(f"{name:<20}{'routed to double-double':<30}{routed:>13.2%}   (reference: {t_ref:.1f} s)")
    print(f"largest error of spectral_radius: {worst_ulps:.2f} ulps at {worst_at}")
    ours, theirs = speed_ratio()
    print(
        f"speed on a 1000x1000 grid (informational): spectral_radius {ours * 1e3:.0f} ms, "
        f"eigvals on prebuilt matrices {theirs * 1e3:.0f} ms, ratio {theirs / ours:.1f}x"
    )
    return result(
        "spectral_radius accuracy",
        "FAIL" if failed else "PASS",
        f"max {worst_ulps:.1f} ulps = relative {worst_ours:.2g} (bound {TOL:g}); 1 - rho by spectral_gap: "
        f"{worst_gap:.1g} relative (target <= {GAP_TOL:g}); np.linalg.eigvals: "
        + ", ".join(f"{worst:.0e}" for worst in worst_eig.values()),
    )


if __name__ == "__main__":
    sys.exit(main())
