"""The ``hbtheory`` command line (also ``python -m hbtheory``).

Subcommands are thin wrappers over the library; every one takes ``--json``. Bad input prints one
line to stderr and exits with status 2, without a traceback.

Examples
--------
::

    hbtheory optimal --kappa 100
    hbtheory optimal --mu 0.1 --L 10 --method nesterov --json
    hbtheory rho --alpha 0.1 --beta 0.9 --h 1
    hbtheory rho --alpha-range 0.01 4 --beta-range 0 0.99 --n 200 --h 1 --csv rho.csv
    hbtheory heatmap --kappa 100 --out heatmap.png
    hbtheory worst-case --n 20 --alpha 0.33 --beta 0.67 --mu 0.1 --L 1
    hbtheory counterexample --json
    hbtheory verify --device cpu
    hbtheory report --out hbtheory-report
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from hbtheory.methods import METHODS

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _finite_or_str(x: float) -> float | str:
    # JSON has no inf/nan; say it in words rather than emit invalid JSON.
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf" if x < 0 else "nan")


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if args.json:
        clean = {k: _finite_or_str(v) if isinstance(v, float) else v for k, v in payload.items()}
        print(json.dumps(clean, indent=2, default=_json_default))
    else:
        print(text)


def _cmd_optimal(args: argparse.Namespace) -> int:
    from hbtheory.tuning import optimal_parameters

    if args.kappa is not None and (args.mu is not None or args.L is not None):
        raise UsageError("hbtheory optimal: give either --kappa or --mu and --L, not both")
    if args.kappa is None and (args.mu is None or args.L is None):
        raise UsageError("hbtheory optimal: give --kappa, or both --mu and --L")
    if args.kappa is not None:
        res = optimal_parameters(kappa=args.kappa, method=args.method)
    else:
        res = optimal_parameters(mu=args.mu, L=args.L, method=args.method)
    payload = dict(res.as_dict())
    payload["iterations"] = res.iterations(args.tol)
    payload["tol"] = args.tol
    text = (
        f"{METHODS[res.method].title} on [mu, L] = [{res.mu:g}, {res.L:g}] (kappa = {res.kappa:g})\n"
        f"  alpha = {res.alpha:.17g}\n  beta  = {res.beta:.17g}\n  rate  = {res.rate:.17g}\n"
        f"  iterations to {args.tol:g}: {payload['iterations']}\n"
        # full precision: the optimum sits on a critical-damping curve, where rounding beta to a few
        # digits costs about the square root of the rounding error in rate
        f"  torch.optim.SGD(lr={res.alpha!r}, momentum={res.beta!r}"
        f"{', nesterov=True' if res.method == 'nesterov' else ''})"
        f"{'  # lr in units of 1/L' if args.kappa is not None else ''}"
    )
    _emit(args, payload, text)
    return 0


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory (no half-written file)."""
    import os
    import tempfile

    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise UsageError(f"hbtheory: directory {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".hbtheory-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _cmd_rho_grid(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from hbtheory.spectral import spectral_radius

    if args.n < 2 or args.n > 5000:
        raise UsageError("hbtheory rho: --n must be in [2, 5000]")
    alpha = np.linspace(float(args.alpha_range[0]), float(args.alpha_range[1]), args.n)
    beta = np.linspace(float(args.beta_range[0]), float(args.beta_range[1]), args.n)
    rho = spectral_radius(alpha[:, None], beta[None, :], args.h, method=args.method)
    buf = io.StringIO()
    buf.write("alpha,beta,h,rho\n")
    a, b = np.meshgrid(alpha, beta, indexing="ij")
    for x, y, r in zip(a.ravel(), b.ravel(), rho.ravel(), strict=True):
        buf.write(f"{float(x)!r},{float(y)!r},{float(args.h)!r},{float(r)!r}\n")
    _atomic_write(args.csv, buf.getvalue().encode())
    payload = {"csv": args.csv, "points": int(rho.size), "method": args.method, "h": args.h,
               "min_rho": float(rho.min()), "converging_fraction": float(np.mean(rho < 1.0))}
    _emit(args, payload, f"wrote {rho.size} points to {args.csv} (min rho {payload['min_rho']:.6g}, "
                         f"{100 * payload['converging_fraction']:.1f}% converge)")
    return 0


def _cmd_heatmap(args: argparse.Namespace) -> int:
    import io

    from hbtheory import plots

    fmt = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
    if fmt not in {"png", "pdf", "svg"}:
        raise UsageError("hbtheory heatmap: --out must end in .png, .pdf or .svg")
    if not 20 <= args.n <= 2000 or not 20 <= args.dpi <= 600:
        raise UsageError("hbtheory heatmap: --n must be in [20, 2000] and --dpi in [20, 600]")
    given = [args.kappa is not None, args.h is not None, args.mu is not None or args.L is not None]
    if sum(given) != 1 or (given[2] and (args.mu is None or args.L is None)):
        raise UsageError("hbtheory heatmap: give exactly one of --h, --kappa, or --mu and --L")
    if args.kappa is not None:
        from hbtheory._validation import as_scalar

        kappa = as_scalar(args.kappa, "kappa", low=1.0)
        fig = plots.rho_heatmap(mu=1.0 / kappa, L=1.0, method=args.method, n=args.n, gfj=args.gfj)
    elif args.h is not None:
        fig = plots.rho_heatmap(args.h, method=args.method, n=args.n)
    else:
        fig = plots.rho_heatmap(mu=args.mu, L=args.L, method=args.method, n=args.n, gfj=args.gfj)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=args.dpi)
    _atomic_write(args.out, buf.getvalue())
    _emit(args, {"out": args.out, "method": args.method}, f"wrote {args.out}")
    return 0


def _cmd_rho(args: argparse.Namespace) -> int:
    from hbtheory.spectral import spectral_radius

    grid = args.csv is not None or args.alpha_range is not None or args.beta_range is not None
    if grid:
        if args.csv is None or args.alpha_range is None or args.beta_range is None or args.h is None:
            raise UsageError("hbtheory rho: a grid needs --alpha-range, --beta-range, --h and --csv")
        return _cmd_rho_grid(args)
    if args.alpha is None or args.beta is None or args.h is None:
        raise UsageError("hbtheory rho: give --alpha, --beta and --h (or a grid: --alpha-range, --beta-range, --csv)")
    rho = float(spectral_radius(args.alpha, args.beta, args.h, method=args.method))
    payload = {"method": args.method, "alpha": args.alpha, "beta": args.beta, "h": args.h, "rho": rho,
               "converges": rho < 1.0}
    text = f"rho = {rho:.17g} ({'converges' if rho < 1 else 'does not converge'})"
    _emit(args, payload, text)
    return 0


def _cmd_worst_case(args: argparse.Namespace) -> int:
    from hbtheory.spectral import worst_case, worst_case_rate

    value = float(worst_case(args.n, args.alpha, args.beta, args.mu, args.L, method=args.method))
    # the value itself under/overflows float64 for long horizons; its logarithm does not
    log_value = float(worst_case(args.n, args.alpha, args.beta, args.mu, args.L, method=args.method, log=True))
    log10_value = log_value / math.log(10.0)
    rate = float(worst_case_rate(args.alpha, args.beta, args.mu, args.L, method=args.method))
    payload = {"method": args.method, "n": args.n, "alpha": args.alpha, "beta": args.beta, "mu": args.mu,
               "L": args.L, "worst_case": value, "log10_worst_case": log10_value, "rate": rate}
    shown = f"{value:.17g}" if value not in (0.0, math.inf) else f"10^{log10_value:.6f}"
    text = (f"max ||x_n - x*||^2 / ||x_0 - x*||^2 over quadratics with spectrum in [{args.mu:g}, {args.L:g}], "
            f"n = {args.n}: {shown}\nasymptotic worst-case rate: {rate:.17g}")
    _emit(args, payload, text)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from hbtheory.report import write_report

    summary = write_report(args.out, quick=args.quick, progress=not args.json, device=args.device)
    _emit(args, summary, f"report written to {summary['out']}: {summary['passed']} checks passed, "
                         f"{summary['failed']} failed, {summary['skipped']} skipped")
    return 0 if summary["failed"] == 0 else 1


def _cmd_counterexample(args: argparse.Namespace) -> int:
    from hbtheory.counterexamples import counterexample_summary

    summary = counterexample_summary(args.x0, torch=args.torch)
    if args.json:
        print(summary.to_json())
    else:
        print(summary.text())
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from hbtheory.empirical import resolve_device
    from hbtheory.report import empirical_checks, torch_available

    if not torch_available():
        raise UsageError("hbtheory verify: needs PyTorch (pip install torch==2.13.0, the CPU build)")
    resolve_device(args.device)  # a bad or unavailable device is a one-line error, before any work
    rows = empirical_checks(device=args.device, quick=args.quick,
                            progress=None if args.json else (lambda m: print(m, file=sys.stderr, flush=True)))
    failed = sum(not r.passed for r in rows)
    text = "\n".join(f"{r.verdict}  {r.claim}\n      {r.how}" for r in rows)
    text += f"\n{len(rows) - failed} of {len(rows)} checks passed"
    _emit(args, {"device": args.device, "checks": [r.as_dict() for r in rows], "failed": failed}, text)
    return 0 if failed == 0 else 1


def _add_method(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", default="heavy_ball", choices=sorted(METHODS), help="method (default: heavy_ball)")


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable JSON output")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hbtheory`` command (exposed for the docs and tests)."""
    parser = _Parser(
        prog="hbtheory",
        description="Convergence theory of heavy-ball momentum: derive, compute, verify.",
        epilog="example: hbtheory optimal --kappa 100",
    )
    parser.add_argument("--version", action="version", version=f"hbtheory {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("optimal", help="optimal (alpha, beta) for a condition number or [mu, L]",
                       epilog="example: hbtheory optimal --kappa 100 --method nesterov --json")
    p.add_argument("--kappa", type=float, help="condition number L/mu (spectrum [1/kappa, 1])")
    p.add_argument("--mu", type=float, help="smallest Hessian eigenvalue")
    p.add_argument("--L", type=float, help="largest Hessian eigenvalue")
    p.add_argument("--tol", type=float, default=1e-6, help="tolerance for the iteration count (default 1e-6)")
    _add_method(p)
    _add_json(p)
    p.set_defaults(func=_cmd_optimal)

    p = sub.add_parser("rho", help="spectral radius at a point, or on an (alpha, beta) grid written to CSV",
                       epilog="example: hbtheory rho --alpha 0.1 --beta 0.9 --h 1; grid: hbtheory rho "
                              "--alpha-range 0.01 4 --beta-range 0 0.99 --n 200 --h 1 --csv rho.csv")
    p.add_argument("--alpha", type=float)
    p.add_argument("--beta", type=float)
    p.add_argument("--h", type=float, help="curvature (Hessian eigenvalue)")
    p.add_argument("--alpha-range", type=float, nargs=2, metavar=("LO", "HI"), help="grid of step sizes")
    p.add_argument("--beta-range", type=float, nargs=2, metavar=("LO", "HI"), help="grid of momenta")
    p.add_argument("--n", type=int, default=100, help="grid points per axis (default 100)")
    p.add_argument("--csv", help="write the grid as CSV (alpha,beta,h,rho) to this file")
    _add_method(p)
    _add_json(p)
    p.set_defaults(func=_cmd_rho)

    p = sub.add_parser("heatmap", help="draw the rho heatmap over (alpha, beta) to an image file",
                       epilog="example: hbtheory heatmap --kappa 100 --out heatmap.png")
    p.add_argument("--out", required=True, help="image file (.png, .pdf or .svg)")
    p.add_argument("--kappa", type=float, help="worst case over the spectrum [1/kappa, 1]")
    p.add_argument("--mu", type=float, help="worst case over [mu, L] (with --L)")
    p.add_argument("--L", type=float)
    p.add_argument("--h", type=float, help="one curvature")
    p.add_argument("--method", default="heavy_ball", choices=["heavy_ball", "nesterov"])
    p.add_argument("--gfj", action="store_true", help="also draw the GFJ global-convergence region (heavy ball)")
    p.add_argument("--n", type=int, default=300, help="grid points per axis (default 300)")
    p.add_argument("--dpi", type=int, default=110)
    _add_json(p)
    p.set_defaults(func=_cmd_heatmap)

    p = sub.add_parser("worst-case", help="exact n-step worst case over quadratics with spectrum in [mu, L]",
                       epilog="example: hbtheory worst-case --n 20 --alpha 0.33 --beta 0.67 --mu 0.1 --L 1")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--alpha", type=float, required=True)
    p.add_argument("--beta", type=float, required=True)
    p.add_argument("--mu", type=float, required=True)
    p.add_argument("--L", type=float, required=True)
    _add_method(p)
    _add_json(p)
    p.set_defaults(func=_cmd_worst_case)

    p = sub.add_parser("counterexample",
                       help="heavy ball's limit cycle on the Lessard-Recht-Packard function (kappa = 25)",
                       epilog="example: hbtheory counterexample --json")
    p.add_argument("--x0", type=float, default=3.3, help="starting point, x_{-1} = x_0 (default 3.3)")
    p.add_argument("--torch", action="store_true", help="also run torch.optim.SGD itself (needs PyTorch)")
    _add_json(p)
    p.set_defaults(func=_cmd_counterexample)

    p = sub.add_parser("verify", help="run torch.optim.SGD itself against the theory (needs PyTorch)",
                       epilog="example: hbtheory verify --device cpu --quick")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument("--quick", action="store_true", help="smaller runs")
    _add_json(p)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("report", help="run the verification and write the report (the main job)",
                       epilog="example: hbtheory report --out hbtheory-report")
    p.add_argument("--out", default="hbtheory-report", help="output directory (default: hbtheory-report)")
    p.add_argument("--device", default="cpu", help="device of the empirical checks: cpu, cuda or cuda:N")
    p.add_argument("--quick", action="store_true", help="smaller sizes, for smoke tests")
    _add_json(p)
    p.set_defaults(func=_cmd_report)
    return parser


def _version() -> str:
    from hbtheory import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a check failed, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, TypeError) as exc:
        print(f"hbtheory: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
