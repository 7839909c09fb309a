"""Accuracy of ``spectral_radius`` against a 50-digit reference, near and away from the curves.

Not part of the test suite (``tests/test_spectral.py`` runs a few thousand points of the same
check). Run from the repository root::

    python3 benchmarks/accuracy_spectral_radius.py [--n 100000] [--processes 2] [--seed 0]

For heavy ball and Nesterov it draws ``n`` random ``(alpha, beta, h)``, one third of them within
1e-10 (relative, in ``alpha``) of a critical-damping curve and a fifth of those "exactly on" it as
far as a float64 formula puts them, and computes the spectral radius at the *same float64 inputs*
in exact rational arithmetic (``c1``, ``c0``, the discriminant) followed by a 50-digit mpmath
square root. It prints the maximum and median relative error of

* ``hbtheory.spectral_radius`` (float64, double-double near the curves and near rho = 1),
* the same closed form in plain float64 (no double-double),
* ``numpy.linalg.eigvals`` on the float64 iteration matrix,

the fraction of points routed to double-double, and (informational) the speed of
``spectral_radius`` relative to ``eigvals`` on a 1000 x 1000 grid. Exit status 1 if
``spectral_radius`` misses a relative error of 1e-13 anywhere.
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
from hbtheory.spectral import iteration_matrix, spectral_radius

TOL = 1e-13
EPS = float(np.finfo(np.float64).eps)
METHODS = ("heavy_ball", "nesterov")


def sample(rng: np.random.Generator, name: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random points; a third within 1e-10 of a critical curve, a fifth of those on it in float64."""
    b = rng.uniform(0.0, 1.0, n)
    h = np.exp(rng.uniform(np.log(0.01), np.log(100.0), n))
    if name == "heavy_ball":
        curves = [(1.0 - np.sqrt(b)) ** 2, (1.0 + np.sqrt(b)) ** 2]
    else:
        curves = [((1.0 - b) / (1.0 + b)) ** 2, np.ones_like(b)]
    curve = np.choose(rng.integers(0, len(curves), n), curves)
    rel = rng.uniform(-1e-10, 1e-10, n) * 10.0 ** -rng.integers(0, 6, n)
    near = np.where(rng.random(n) < 0.2, curve, curve * (1.0 + rel))
    ah = np.where(np.arange(n) % 3 == 0, near, rng.uniform(0.0, 5.0, n))
    ah = np.where(ah > 0.0, ah, 0.5)
    return ah / h, b, h


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


def relative_errors(values: np.ndarray, ref: list[mpmath.mpf]) -> np.ndarray:
    out = np.empty(len(ref))
    with mpmath.workdps(50):
        for i, (v, r) in enumerate(zip(values.tolist(), ref, strict=True)):
            if r == 0:
                out[i] = 0.0 if v == 0.0 else np.inf
            else:
                out[i] = float(abs(mpmath.mpf(v) - r) / r)
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
    worst_ours = 0.0
    worst_eig: dict[str, float] = {}
    print(f"{args.n} points per method, a third within 1e-10 of a critical curve; 50-digit reference")
    header = f"{'method':<12}{'evaluator':<30}{'max rel err':>14}{'median':>12}{'max / eps':>12}"
    print(header)
    print("-" * len(header))
    for name in METHODS:
        m = get_method(name)
        a, b, h = sample(rng, name, args.n)
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
            err = relative_errors(values, ref)
            worst = float(np.max(err))
            print(f"{name:<12}{label:<30}{worst:>14.3e}{float(np.median(err)):>12.2e}{worst / EPS:>12.3g}")
            if label == "spectral_radius":
                worst_ours = max(worst_ours, worst)
                failed |= not worst <= TOL
            if label == "numpy.linalg.eigvals":
                worst_eig[name] = worst
        routed = _kernel.routed_fraction(m, a, b, h)
        print(f"{name:<12}{'routed to double-double':<30}{routed:>14.2%}   (reference: {t_ref:.1f} s)")
    ours, theirs = speed_ratio()
    print(
        f"speed on a 1000x1000 grid (informational): spectral_radius {ours * 1e3:.0f} ms, "
        f"eigvals on prebuilt matrices {theirs * 1e3:.0f} ms, ratio {theirs / ours:.1f}x"
    )
    return result(
        "spectral_radius accuracy",
        "FAIL" if failed else "PASS",
        f"max relative error {worst_ours:.2g} = {worst_ours / EPS:.1f} eps (target <= {TOL:g}); "
        "np.linalg.eigvals: " + ", ".join(f"{worst:.1e} ({name})" for name, worst in worst_eig.items()),
    )


if __name__ == "__main__":
    sys.exit(main())
