"""The ``hbtheory`` command line (also ``python -m hbtheory``).

Subcommands are thin wrappers over the library; every one takes ``--json``. The promise: exit
status 0 with the library's value, or exit status 2 with exactly one line on stderr (no
traceback) for input the library or the command refuses; status 1 only when a verification check
failed (``verify``, ``report``).

* Numbers: negative values are values (``--h -1e-3``, ``--x0 -inf``), not options.
* Output files (``rho --csv``, ``heatmap --out``) are validated before any work, written to a
  temporary sibling and renamed into place (nothing half-written), with the permissions of a new
  file under the umask (an existing file keeps its permissions). A symbolic link is written
  through (its target is replaced, the link stays); a dangling link, a folder, a FIFO or another
  non-regular file is refused. ``report --out`` is validated by the report's own rules first.
* JSON: indented, strict (``NaN`` and infinities become ``null``, the policy of
  :meth:`hbtheory._result.Result.to_json`). Text: every float as its shortest round-tripping repr.

Examples
--------
::

    hbtheory optimal --kappa 100
    hbtheory optimal --mu 0.1 --L 10 --method nesterov --json
    hbtheory rho --alpha 0.1 --beta 0.9 --h 1
    hbtheory rho --alpha-range 0.01 4 --beta-range 0 0.99 --grid 200 --h 1 --csv rho.csv
    hbtheory heatmap --kappa 100 --out heatmap.png
    hbtheory worst-case --n 20 --alpha 0.33 --beta 0.67 --mu 0.1 --L 1
    hbtheory mean-square --kappa 100 --batch-size 8
    hbtheory counterexample --json
    hbtheory verify --device cpu
    hbtheory report --out hbtheory-report
    hbtheory tune --model mymodule:make_model --data mymodule:make_data --verify --json
    hbtheory explore --kappa 100 --out hbtheory-explorer.html
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from hbtheory.methods import Method

EXIT_BAD_INPUT = 2
#: 128 + SIGPIPE / SIGINT, the statuses a shell reports for a tool ended by the signal.
EXIT_BROKEN_PIPE = 141
EXIT_INTERRUPTED = 130
COMMANDS = (
    "optimal", "rho", "heatmap", "worst-case", "robust", "mean-square", "counterexample", "verify", "report", "tune",
    "explore",
)
METHOD_CHOICES = ("heavy_ball", "nesterov", "gradient_descent", "triple_momentum", "general")
#: Largest ``rho --grid``: 25 million CSV rows (about 1.9 GB), written block by block.
RHO_GRID_MAX = 5000
RHO_GRID_DEFAULT = 100
#: Points per block of the streamed ``rho`` grid: bounds the memory whatever ``--grid`` is.
RHO_BLOCK_POINTS = 1 << 16

# A negative number such as ``-1e-3`` looks like an option to argparse (its own test accepts only
# ``-1`` and ``-1.5``). ``main`` prefixes every argument that parses as a number and starts with
# ``-`` by this character, which argparse does not take for an option; the converters below strip
# it. A real command line cannot contain it (arguments are C strings).
_VALUE = "\0"


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _mark_negative_numbers(argv: Sequence[str]) -> list[str]:
    return [_VALUE + a if len(a) > 1 and a[0] == "-" and _is_number(a) else a for a in argv]


def _unmark(text: str) -> str:
    return text[1:] if text.startswith(_VALUE) else text


def _real(text: str) -> float:
    value = _unmark(text)
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a real number, got {value!r}") from None


def _integer(text: str) -> int:
    value = _unmark(text)
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {value[:40]!r}") from None


def _mu_rule(text: str) -> float | str:
    value = _unmark(text)
    if value in ("auto", "floor", "quantile", "smallest"):  # hbtheory.empirical.recommend.MU_RULES
        return value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected auto, floor, quantile, smallest or a number, got {value!r}") from None


def _text(text: str) -> str:
    return _unmark(text)


def _method(args: argparse.Namespace) -> Method:
    """The :class:`~hbtheory.methods.Method` of ``--method`` (and ``--gamma`` for the general family)."""
    from hbtheory.methods import general, get_method

    if args.method == "general":
        if args.gamma is None:
            raise UsageError(f"{args.prog}: error: --method general needs --gamma G (the look-ahead, a finite real)")
        return general(args.gamma)
    if args.gamma is not None:
        raise UsageError(f"{args.prog}: error: --gamma goes with --method general, not --method {args.method}")
    return get_method(args.method)


_DEVICE = re.compile(r"^(cpu|cuda(:\d{1,4})?)$")


def _check_device(args: argparse.Namespace) -> None:
    if not _DEVICE.match(args.device):
        raise UsageError(f"{args.prog}: error: --device must be cpu, cuda or cuda:N, got {args.device!r}")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _json_text(payload: Any) -> str:
    from hbtheory._result import _json_safe, plain

    return json.dumps(_json_safe(plain(payload)), indent=2, allow_nan=False)


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(_json_text(payload) if args.json else text)


def _num(x: Any) -> str:
    """The shortest repr that reads back as the same float64 (also for numpy scalars)."""
    return repr(float(x))


def _check_output_file(raw: str, option: str, prog: str) -> str:
    """Validate an output file before any work; return the path that will be replaced.

    A symbolic link is followed (its target is written, the link stays).
    """

    def refuse(why: str) -> NoReturn:
        raise UsageError(f"{prog}: error: {option} {raw!r} {why}")

    if not raw.strip():
        raise UsageError(f"{prog}: error: {option} must be a file path, got an empty string")
    if "\0" in raw:
        refuse("contains a NUL character")
    path = os.path.abspath(raw)
    if raw.endswith(("/", os.sep)) or os.path.isdir(path):
        refuse("is a folder; give a file name")
    if os.path.islink(path):
        path = os.path.realpath(path)
        if not os.path.exists(path):
            refuse("is a dangling (or looping) symbolic link")
    if os.path.lexists(path):
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            refuse("exists and is not a regular file (a FIFO, socket or device); choose another path")
    parent = os.path.dirname(path)
    if not os.path.exists(parent):
        refuse(f"cannot be written: the folder {parent!r} does not exist")
    if not os.path.isdir(parent):
        refuse(f"cannot be written: {parent!r} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        refuse(f"cannot be written: the folder {parent!r} is not writable")
    return path


def _new_file_mode(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)  # an existing file keeps its permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def _atomic_file(target: str, mode: str, option: str, prog: str) -> Iterator[IO[Any]]:
    """A file object whose content replaces ``target`` when the block ends without an exception.

    Opened before the work, so that a folder the checks could not see is unwritable (a read-only
    file system, an immutable folder) is reported before any time is spent.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".hbtheory-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"{prog}: error: {option} {target!r} cannot be written ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.chmod(tmp, _new_file_mode(target))  # mkstemp makes it private: give it the umask's mode
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def _torch_call(alpha: float, beta: float, method: Method) -> dict[str, Any] | None:
    from hbtheory.methods import Canonical

    try:
        return Canonical(method.name, alpha, beta, True, "").to_torch()
    except ValueError:
        return None


def _cmd_optimal(args: argparse.Namespace) -> int:
    from hbtheory._validation import as_scalar
    from hbtheory.tuning import optimal_parameters

    m = _method(args)
    if args.kappa is not None and (args.mu is not None or args.L is not None):
        raise UsageError("hbtheory optimal: error: give either --kappa or --mu and --L, not both")
    if args.kappa is None and (args.mu is None or args.L is None):
        raise UsageError("hbtheory optimal: error: give --kappa, or both --mu and --L")
    # the tolerance first: a bad one is refused before the (for some methods, numeric) optimisation
    as_scalar(args.tol, "tol", low=0.0, high=1.0, low_open=True, high_open=True)
    if args.kappa is not None:
        res = optimal_parameters(kappa=args.kappa, method=m)
    else:
        res = optimal_parameters(mu=args.mu, L=args.L, method=m)
    iterations = res.iterations(args.tol)
    torch_kwargs = _torch_call(res.alpha, res.beta, m)
    payload = {**res.as_dict(), "iterations": iterations, "tol": args.tol, "torch_sgd": torch_kwargs}
    if torch_kwargs is None:
        call = f"torch.optim.SGD: no equivalent for {m.name} (it runs heavy ball and Nesterov)"
    else:
        # full precision: the optimum sits on a critical-damping curve, where rounding beta to a few
        # digits costs about the square root of the rounding error in rate
        call = (f"torch.optim.SGD(params, lr={_num(torch_kwargs['lr'])}, momentum={_num(torch_kwargs['momentum'])}"
                f"{', nesterov=True' if torch_kwargs['nesterov'] else ''})"
                f"{'  # lr in units of 1/L' if args.kappa is not None else ''}")
    shown = iterations if isinstance(iterations, int) else "never (rate >= 1)"
    text = (
        f"{m.title} on [mu, L] = [{_num(res.mu)}, {_num(res.L)}] (kappa = {_num(res.kappa)})\n"
        f"  alpha = {_num(res.alpha)}\n  beta  = {_num(res.beta)}\n  rate  = {_num(res.rate)}\n"
        f"  iterations to {_num(args.tol)}: {shown}\n  {call}"
    )
    _emit(args, payload, text)
    return 0


def _cmd_rho(args: argparse.Namespace) -> int:
    from hbtheory.spectral import spectral_radius

    if args.old_n is not None:
        raise UsageError("hbtheory rho: error: --n is now --grid (grid points per axis); "
                         "--n is the step count of worst-case")
    point = [name for name, v in (("--alpha", args.alpha), ("--beta", args.beta)) if v is not None]
    grid = [name for name, v in (("--alpha-range", args.alpha_range), ("--beta-range", args.beta_range),
                                 ("--csv", args.csv), ("--grid", args.grid)) if v is not None]
    if point and grid:
        raise UsageError(f"hbtheory rho: error: give a point ({', '.join(point)}) or a grid ({', '.join(grid)}), "
                         "not both")
    m = _method(args)
    if grid:
        if args.csv is None or args.alpha_range is None or args.beta_range is None or args.h is None:
            raise UsageError("hbtheory rho: error: a grid needs --alpha-range, --beta-range, --h and --csv")
        return _rho_grid(args, m)
    if args.alpha is None or args.beta is None or args.h is None:
        raise UsageError("hbtheory rho: error: give --alpha, --beta and --h "
                         "(or a grid: --alpha-range, --beta-range, --h, --csv)")
    rho = float(spectral_radius(args.alpha, args.beta, args.h, method=m))
    payload = {"method": m.name, "alpha": args.alpha, "beta": args.beta, "h": args.h, "rho": rho,
               "converges": rho < 1.0}
    _emit(args, payload, f"rho = {_num(rho)} ({'converges' if rho < 1 else 'does not converge'})")
    return 0


def _rho_grid(args: argparse.Namespace, m: Method) -> int:
    import numpy as np

    from hbtheory.spectral import spectral_radius

    n = RHO_GRID_DEFAULT if args.grid is None else args.grid
    if not 2 <= n <= RHO_GRID_MAX:
        raise UsageError(f"hbtheory rho: error: --grid must be an integer in [2, {RHO_GRID_MAX}], got {n}")
    target = _check_output_file(args.csv, "--csv", "hbtheory rho")
    with np.errstate(all="ignore"):  # an infinite end gives NaN points, which spectral_radius names
        alpha = np.linspace(args.alpha_range[0], args.alpha_range[1], n)
        beta = np.linspace(args.beta_range[0], args.beta_range[1], n)
    # validate both axes (a ValueError naming the parameter) before the file is created
    spectral_radius(alpha, beta[0], args.h, method=m)
    spectral_radius(alpha[0], beta, args.h, method=m)
    h_text = _num(args.h)
    columns = [f"{_num(b)},{h_text}," for b in beta.tolist()]
    rows_per_block = max(1, RHO_BLOCK_POINTS // n)
    smallest, converging = math.inf, 0
    with _atomic_file(target, "w", "--csv", "hbtheory rho") as f:
        f.write("alpha,beta,h,rho\n")
        for start in range(0, n, rows_per_block):
            rows = alpha[start:start + rows_per_block]
            block = spectral_radius(rows[:, None], beta[None, :], args.h, method=m)
            smallest = min(smallest, float(block.min()))
            converging += int(np.count_nonzero(block < 1.0))
            for a, radii in zip(rows.tolist(), block.tolist(), strict=True):
                row = f"{a!r},"
                f.write("".join([f"{row}{c}{r!r}\n" for c, r in zip(columns, radii, strict=True)]))
    payload = {"csv": args.csv, "points": n * n, "converging_points": converging, "method": m.name,
               "h": args.h, "min_rho": smallest}
    _emit(args, payload, f"wrote {n * n} points to {args.csv} (min rho {_num(smallest)}, "
                         f"{converging} of {n * n} points converge)")
    return 0


def _cmd_heatmap(args: argparse.Namespace) -> int:
    import io

    if args.old_n is not None:
        raise UsageError("hbtheory heatmap: error: --n is now --grid (grid cells per axis); "
                         "--n is the step count of worst-case")
    fmt = args.out.rsplit(".", 1)[-1].lower() if "." in os.path.basename(args.out) else ""
    if fmt not in {"png", "pdf", "svg"}:
        raise UsageError("hbtheory heatmap: error: --out must end in .png, .pdf or .svg")
    if not 20 <= args.grid <= 2000 or not 20 <= args.dpi <= 600:
        raise UsageError("hbtheory heatmap: error: --grid must be in [20, 2000] and --dpi in [20, 600]")
    given = [args.kappa is not None, args.h is not None, args.mu is not None or args.L is not None]
    if sum(given) != 1 or (given[2] and (args.mu is None or args.L is None)):
        raise UsageError("hbtheory heatmap: error: give exactly one of --h, --kappa, or --mu and --L")
    m = _method(args)
    target = _check_output_file(args.out, "--out", "hbtheory heatmap")

    from hbtheory import plots

    if args.alpha_max is not None and args.alpha_range is not None:
        raise UsageError("hbtheory heatmap: error: give --alpha-max or --alpha-range, not both")
    options: dict[str, Any] = {"method": m, "n": args.grid, "gfj": args.gfj, "alpha_max": args.alpha_max}
    if args.alpha_range is not None:
        options["alpha_range"] = tuple(args.alpha_range)
    if args.beta_range is not None:
        options["beta_range"] = tuple(args.beta_range)
    with _atomic_file(target, "wb", "--out", "hbtheory heatmap") as f:
        if args.kappa is not None:
            from hbtheory._validation import as_scalar

            kappa = as_scalar(args.kappa, "kappa", low=1.0)
            fig = plots.rho_heatmap(mu=1.0 / kappa, L=1.0, **options)
        elif args.h is not None:
            fig = plots.rho_heatmap(args.h, **options)
        else:
            fig = plots.rho_heatmap(mu=args.mu, L=args.L, **options)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=args.dpi)
        f.write(buf.getvalue())
    _emit(args, {"out": args.out, "method": m.name, "format": fmt}, f"wrote {args.out}")
    return 0


def _cmd_worst_case(args: argparse.Namespace) -> int:
    from hbtheory.spectral import worst_case, worst_case_rate

    m = _method(args)
    value = float(worst_case(args.n, args.alpha, args.beta, args.mu, args.L, method=m))
    # the value itself under/overflows float64 for long horizons; its logarithm does not
    log_value = float(worst_case(args.n, args.alpha, args.beta, args.mu, args.L, method=m, log=True))
    log10_value = log_value / math.log(10.0)
    rate = float(worst_case_rate(args.alpha, args.beta, args.mu, args.L, method=m))
    payload = {"method": m.name, "n": args.n, "alpha": args.alpha, "beta": args.beta, "mu": args.mu,
               "L": args.L, "worst_case": value, "log10_worst_case": log10_value, "rate": rate}
    underflow_or_overflow = value in (0.0, math.inf) and math.isfinite(log10_value)
    shown = f"10^{_num(log10_value)}" if underflow_or_overflow else _num(value)
    text = (f"max ||x_n - x*||^2 / ||x_0 - x*||^2 over quadratics with spectrum in [{_num(args.mu)}, "
            f"{_num(args.L)}], n = {args.n}: {shown}\nasymptotic worst-case rate: {_num(rate)}")
    _emit(args, payload, text)
    return 0


def _cmd_robust(args: argparse.Namespace) -> int:
    import io

    given = [args.kappa is not None, args.mu is not None or args.L is not None]
    if sum(given) != 1 or (given[1] and (args.mu is None or args.L is None)):
        raise UsageError("hbtheory robust: error: give --kappa, or --mu and --L")
    if (args.alpha is None) != (args.beta is None):
        raise UsageError("hbtheory robust: error: give both --alpha and --beta (one point), or neither")
    if args.alpha is None and args.out is None:
        raise UsageError("hbtheory robust: error: give --alpha and --beta (one point) and/or --out (the map)")
    if not 2 <= args.grid <= 200:
        raise UsageError("hbtheory robust: error: --grid must be in [2, 200]")
    m = _method(args)
    from hbtheory._validation import as_scalar
    from hbtheory.robust import certified_rate, cycle_margin

    if args.kappa is not None:
        mu, L = 1.0 / as_scalar(args.kappa, "kappa", low=1.0), 1.0
    else:
        mu, L = args.mu, args.L
    payload: dict[str, Any] = {"method": m.name, "mu": mu, "L": L}
    lines = []
    if args.alpha is not None:
        from hbtheory.spectral import worst_case_rate

        rate = float(certified_rate(args.alpha, args.beta, mu, L, method=m))
        sector = float(certified_rate(args.alpha, args.beta, mu, L, method=m, iqc="sector"))
        quad = float(worst_case_rate(args.alpha, args.beta, mu, L, method=m))
        cycles = [K for K in range(2, 9) if float(cycle_margin(args.alpha, args.beta, mu, L, K, method=m)) >= 0.0]
        payload.update({"alpha": args.alpha, "beta": args.beta, "certified_rate": rate,
                        "certified_rate_sector": sector, "quadratic_rate": quad, "cycle_periods": cycles})
        verdict = (f"certified rate {_num(rate)}" if math.isfinite(rate) else
                   f"proven cycles of period {', '.join(map(str, cycles))}" if cycles else "unknown")
        lines.append(f"on every {_num(mu)}-strongly convex {_num(L)}-smooth function: {verdict}\n"
                     f"certified rate (sector + off-by-one IQC): {_num(rate)}; sector only: {_num(sector)}\n"
                     f"worst rate on quadratics: {_num(quad)}\n"
                     f"regular-polygon cycles (K = 2..8): {cycles if cycles else 'none'}")
    if args.out is not None:
        fmt = args.out.rsplit(".", 1)[-1].lower() if "." in os.path.basename(args.out) else ""
        if fmt not in {"png", "pdf", "svg"}:
            raise UsageError("hbtheory robust: error: --out must end in .png, .pdf or .svg")
        target = _check_output_file(args.out, "--out", "hbtheory robust")
        from hbtheory import plots

        with _atomic_file(target, "wb", "--out", "hbtheory robust") as f:
            fig = plots.robust_map(mu=mu, L=L, method=m, n=args.grid)
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=110)
            f.write(buf.getvalue())
        payload["out"] = args.out
        lines.append(f"wrote {args.out}")
    _emit(args, payload, "\n".join(lines))
    return 0


def _cmd_mean_square(args: argparse.Namespace) -> int:
    from hbtheory._validation import as_scalar

    m = _method(args)
    if (args.kappa is None) == (args.spectrum is None):
        raise UsageError("hbtheory mean-square: error: give --kappa or --spectrum (not both)")
    if (args.alpha is None) != (args.beta is None):
        raise UsageError("hbtheory mean-square: error: give both --alpha and --beta (one point), or neither")
    if args.batch_size < 1:
        raise UsageError(f"hbtheory mean-square: error: --batch-size must be an integer >= 1, got {args.batch_size}")
    if args.kappa is not None:
        kappa = as_scalar(args.kappa, "kappa", low=1.0)
        if not math.isfinite(kappa):
            raise UsageError("hbtheory mean-square: error: --kappa must be finite")
        spectrum = [1.0, 1.0 / kappa]
    else:
        spectrum = list(args.spectrum)
    from hbtheory.stochastic import coupled_mean_square_rate, mean_square_optimal

    where = (f"spectrum {', '.join(map(_num, spectrum))}, batch size {args.batch_size}, "
             f"{args.features} features")
    if args.alpha is not None:
        from hbtheory.spectral import worst_case_rate

        rate = float(coupled_mean_square_rate(args.alpha, args.beta, spectrum, batch_size=args.batch_size,
                                              features=args.features, method=m))
        exact = float(worst_case_rate(args.alpha, args.beta, min(spectrum), max(spectrum), method=m))
        payload: dict[str, Any] = {
            "method": m.name, "alpha": args.alpha, "beta": args.beta, "spectrum": spectrum,
            "batch_size": args.batch_size, "features": args.features, "mean_square_rate": rate,
            # a rate that rounds to 1 (alpha h below ~1e-16) does not say on which side of 1 it lies
            "stable": None if rate == 1.0 else rate < 1.0, "exact_gradient_rate_squared": exact * exact,
        }
        verdict = ("rounds to 1 in float64: stability not decided" if rate == 1.0
                   else "stable" if rate < 1.0 else "NOT stable")
        text = (f"{m.title}, alpha = {_num(args.alpha)}, beta = {_num(args.beta)} on {where}\n"
                f"  mean-square rate of E||x_t||^2: {_num(rate)} ({verdict})\n"
                f"  with exact gradients (rate squared, worst over the spectrum): {_num(exact * exact)}")
        _emit(args, payload, text)
        return 0
    if not m.uses_beta:
        raise UsageError(f"hbtheory mean-square: error: the optimum is searched over (alpha, beta) and {m.name} has "
                         "no momentum (every optimum is already compared with plain SGD); give --alpha and --beta "
                         "for a point")
    t = mean_square_optimal(spectrum, batch_size=args.batch_size, features=args.features, method=m)
    torch_kwargs = _torch_call(t.alpha, t.beta, m)
    payload = {**t.as_dict(), "torch_sgd": torch_kwargs}
    text = (f"{m.title}, mean-square optimum on {where}\n"
            f"  alpha = {_num(t.alpha)}\n  beta  = {_num(t.beta)}\n  rate of E||x_t||^2 = {_num(t.rate)}\n"
            f"  plain SGD: alpha = {_num(t.sgd_alpha)}, rate = {_num(t.sgd_rate)}\n"
            f"  one step is worth {t.speedup:.3g} SGD steps (with exact gradients: {t.deterministic_speedup:.3g})")
    _emit(args, payload, text)
    return 0


def _cmd_counterexample(args: argparse.Namespace) -> int:
    from hbtheory.counterexamples import counterexample_summary

    summary = counterexample_summary(args.x0, torch=args.torch)
    _emit(args, summary.as_dict(), summary.text())
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    _check_device(args)
    from hbtheory.report import empirical_checks, torch_available

    if not torch_available():
        raise UsageError("hbtheory verify: error: needs PyTorch (pip install torch==2.13.0, the CPU build)")
    from hbtheory.empirical import resolve_device

    resolve_device(args.device)  # an unavailable CUDA device is a one-line error, before any work
    rows = empirical_checks(device=args.device, quick=args.quick,
                            progress=None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True)))
    failed = sum(not r.passed for r in rows)
    text = "\n".join(f"{r.verdict}  {r.claim}\n      {r.how}" for r in rows)
    text += f"\n{len(rows) - failed} of {len(rows)} checks passed"
    _emit(args, {"device": args.device, "checks": rows, "failed": failed}, text)
    return 0 if failed == 0 else 1


def _cmd_report(args: argparse.Namespace) -> int:
    _check_device(args)
    from hbtheory import _report_dir
    from hbtheory.report import write_report

    _report_dir.check_out(args.out)  # refuse a path the report cannot use before any work
    summary = write_report(args.out, quick=args.quick, progress=not args.json, device=args.device)
    _emit(args, summary, f"report written to {summary['out']}: {summary['passed']} checks passed, "
                         f"{summary['failed']} failed, {summary['skipped']} skipped")
    return 0 if summary["failed"] == 0 else 1


def _cmd_tune(args: argparse.Namespace) -> int:
    from hbtheory.report import torch_available

    if not torch_available():
        raise UsageError("hbtheory tune: error: needs PyTorch (pip install torch==2.13.0, the CPU build)")
    from hbtheory.empirical.recommend import tune

    if args.device is not None:
        _check_device(args)
    rec, chk = tune(args.model, args.data, loss=args.loss, method=_method(args), mu=args.mu, kappa_max=args.kappa_max,
                    quantile=args.quantile, verify=args.verify, seed=args.seed, device=args.device,
                    progress=None if not args.json else False)
    text = str(rec)
    if chk is not None:
        text += (f"\nchecked on the model: measured local rate {chk.measured_rate:.6g}, predicted "
                 f"{chk.predicted_rate:.6g} ({chk.relative_error:.1%} apart); the measured "
                 f"{chk.grid_measured.shape[0]} x {chk.grid_measured.shape[1]} (lr, momentum) map is best "
                 f"{'at the recommendation' if chk.recommendation_is_best else 'elsewhere'}")
    elif args.verify:
        text += "\nnot checked: torch.optim.SGD cannot run this method"
    _emit(args, {"recommendation": rec, "check": chk}, text)
    return 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hbtheory.explorer import check_out, explore

    m = _method(args)
    if args.kappa is not None and (args.mu is not None or args.L is not None):
        raise UsageError("hbtheory explore: error: give either --kappa or --mu and --L, not both")
    if (args.mu is None) != (args.L is None):
        raise UsageError("hbtheory explore: error: give both --mu and --L (or --kappa)")
    check_out(Path(args.out))
    page = explore(m, kappa=args.kappa, mu=args.mu, L=args.L, out=args.out, certified=args.certified, display=False)
    _emit(args, {"out": str(page.path), "bytes": page.size, "method": m.name, "kappas": page.data["kappas"],
                 "L": page.data["L"]},
          f"explorer written to {page.path} ({page.size / 1e6:.2f} MB): open it in a browser")
    return 0


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------


def _add_method(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", type=_text, default="heavy_ball", choices=METHOD_CHOICES, metavar="METHOD",
                   help=f"method of the family: {', '.join(METHOD_CHOICES)} (default: heavy_ball); "
                        "general needs --gamma")
    p.add_argument("--gamma", type=_real, metavar="G",
                   help="look-ahead of --method general: the gradient is taken at x_t + G (x_t - x_{t-1})")


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="machine-readable JSON output (indented; infinities and NaN become null)")


def _add_old_n(p: argparse.ArgumentParser) -> None:
    # the old spelling of --grid: a clear error instead of "unrecognized arguments"
    p.add_argument("--n", dest="old_n", type=_text, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hbtheory`` command (exposed for the docs and tests).

    Returns
    -------
    argparse.ArgumentParser
        One subparser per command of :data:`COMMANDS`.

    Examples
    --------
    >>> args = build_parser().parse_args(["rho", "--alpha", "0.5", "--beta", "0.25", "--h", "1"])
    >>> args.command, args.alpha, args.method
    ('rho', 0.5, 'heavy_ball')
    """
    parser = _Parser(
        prog="hbtheory",
        description="Convergence theory of heavy-ball momentum: derive, compute, verify.",
        epilog="example: hbtheory optimal --kappa 100",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"hbtheory {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, helptext: str, example: str, func: Callable[[argparse.Namespace], int]) -> Any:
        p = sub.add_parser(name, help=helptext, epilog=f"example: {example}", allow_abbrev=False)
        p.set_defaults(func=func, prog=f"hbtheory {name}")
        return p

    p = command("optimal", "optimal (alpha, beta) for a condition number or [mu, L]",
                "hbtheory optimal --kappa 100 --method nesterov --json", _cmd_optimal)
    p.add_argument("--kappa", type=_real, help="condition number L/mu (spectrum [1/kappa, 1], alpha in units of 1/L)")
    p.add_argument("--mu", type=_real, help="smallest Hessian eigenvalue (with --L)")
    p.add_argument("--L", type=_real, help="largest Hessian eigenvalue (with --mu)")
    p.add_argument("--tol", type=_real, default=1e-6, help="target contraction of the iteration count, in (0, 1) "
                   "(default 1e-6)")
    _add_method(p)
    _add_json(p)

    p = command("rho", "spectral radius at a point, or on an (alpha, beta) grid written to CSV",
                "hbtheory rho --alpha 0.1 --beta 0.9 --h 1; grid: hbtheory rho --alpha-range 0.01 4 "
                "--beta-range 0 0.99 --grid 200 --h 1 --csv rho.csv", _cmd_rho)
    p.add_argument("--alpha", type=_real, help="step size, > 0 (one point)")
    p.add_argument("--beta", type=_real, help="momentum, in [0, 1] (one point; 0 for gradient_descent)")
    p.add_argument("--h", type=_real, help="curvature (Hessian eigenvalue), any finite real")
    p.add_argument("--alpha-range", type=_real, nargs=2, metavar=("LO", "HI"), help="grid of step sizes (> 0)")
    p.add_argument("--beta-range", type=_real, nargs=2, metavar=("LO", "HI"), help="grid of momenta (in [0, 1])")
    p.add_argument("--grid", type=_integer, metavar="N",
                   help=f"grid points per axis, in [2, {RHO_GRID_MAX}] (default {RHO_GRID_DEFAULT})")
    p.add_argument("--csv", type=_text, metavar="FILE", help="write the grid as CSV (alpha,beta,h,rho) to FILE")
    _add_old_n(p)
    _add_method(p)
    _add_json(p)

    p = command("heatmap", "draw the rho heatmap over (alpha, beta) to an image file",
                "hbtheory heatmap --kappa 100 --out heatmap.png", _cmd_heatmap)
    p.add_argument("--out", type=_text, required=True, metavar="FILE", help="image file (.png, .pdf or .svg)")
    p.add_argument("--kappa", type=_real, help="worst case over the spectrum [1/kappa, 1]")
    p.add_argument("--mu", type=_real, help="worst case over [mu, L] (with --L)")
    p.add_argument("--L", type=_real, help="largest Hessian eigenvalue (with --mu)")
    p.add_argument("--h", type=_real, help="one curvature, > 0")
    p.add_argument("--alpha-range", type=_real, nargs=2, metavar=("LO", "HI"),
                   help="step-size axis, 0 <= LO < HI (default: 0 to a little beyond convergence)")
    p.add_argument("--alpha-max", type=_real, metavar="A", help="shorthand for --alpha-range 0 A")
    p.add_argument("--beta-range", type=_real, nargs=2, metavar=("LO", "HI"),
                   help="momentum axis, within [0, 1] (default 0 1)")
    p.add_argument("--gfj", action="store_true",
                   help="also draw the GFJ global-convergence region (heavy ball on [mu, L] or --kappa)")
    p.add_argument("--grid", type=_integer, default=300, metavar="N",
                   help="grid cells per axis, in [20, 2000] (default 300)")
    p.add_argument("--dpi", type=_integer, default=110, help="resolution of .png output, in [20, 600] (default 110)")
    _add_old_n(p)
    _add_method(p)
    _add_json(p)

    p = command("worst-case", "exact n-step worst case over quadratics with spectrum in [mu, L]",
                "hbtheory worst-case --n 20 --alpha 0.33 --beta 0.67 --mu 0.1 --L 1", _cmd_worst_case)
    p.add_argument("--n", type=_integer, required=True, help="number of steps, >= 0 (x_{-1} = x_0)")
    p.add_argument("--alpha", type=_real, required=True, help="step size, > 0")
    p.add_argument("--beta", type=_real, required=True, help="momentum, in [0, 1] (0 for gradient_descent)")
    p.add_argument("--mu", type=_real, required=True, help="smallest Hessian eigenvalue, > 0")
    p.add_argument("--L", type=_real, required=True, help="largest Hessian eigenvalue, >= mu")
    _add_method(p)
    _add_json(p)

    p = command("robust", "certified rate / proven cycle on every smooth strongly convex function, and the map",
                "hbtheory robust --alpha 0.11 --beta 0.44 --kappa 25; map: hbtheory robust --kappa 25 --out map.png",
                _cmd_robust)
    p.add_argument("--alpha", type=_real, help="step size, > 0 (one point, with --beta)")
    p.add_argument("--beta", type=_real, help="momentum, in (-1, 1) (one point)")
    p.add_argument("--kappa", type=_real, help="condition number L/mu (mu = 1/kappa, L = 1)")
    p.add_argument("--mu", type=_real, help="strong convexity (with --L)")
    p.add_argument("--L", type=_real, help="smoothness (with --mu)")
    p.add_argument("--out", type=_text, metavar="FILE", help="draw the three-colour map to FILE (.png, .pdf, .svg)")
    p.add_argument("--grid", type=_integer, default=40, metavar="N",
                   help="map cells per axis, in [2, 200] (default 40; about 2 ms of CPU per cell)")
    _add_method(p)
    _add_json(p)

    p = command("mean-square", "minibatch SGD with momentum on least squares: mean-square rate or optimum",
                "hbtheory mean-square --kappa 100 --batch-size 8; one point: hbtheory mean-square --kappa 100 "
                "--batch-size 8 --alpha 0.8 --beta 0.78", _cmd_mean_square)
    p.add_argument("--kappa", type=_real, help="condition number: the two curvatures 1 and 1/kappa (d = 2)")
    p.add_argument("--spectrum", type=_real, nargs="+", metavar="H",
                   help="the curvatures h_i > 0 (Hessian eigenvalues)")
    p.add_argument("--batch-size", type=_integer, default=1, metavar="B", help="minibatch size, >= 1 (default 1)")
    p.add_argument("--features", type=_text, default="gaussian", choices=("gaussian", "axis"),
                   help="feature model: gaussian (coupled through the fourth moment) or axis (default gaussian)")
    p.add_argument("--alpha", type=_real, help="step size, > 0 (one point, with --beta)")
    p.add_argument("--beta", type=_real, help="momentum (one point, with --alpha)")
    _add_method(p)
    _add_json(p)

    p = command("counterexample", "heavy ball's limit cycle on the Lessard-Recht-Packard function (kappa = 25)",
                "hbtheory counterexample --json", _cmd_counterexample)
    p.add_argument("--x0", type=_real, default=3.3, help="starting point, x_{-1} = x_0 (default 3.3)")
    p.add_argument("--torch", action="store_true", help="also run torch.optim.SGD itself (needs PyTorch)")
    _add_json(p)

    p = command("verify", "run torch.optim.SGD itself against the theory (needs PyTorch)",
                "hbtheory verify --device cpu --quick", _cmd_verify)
    p.add_argument("--device", type=_text, default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument("--quick", action="store_true", help="smaller runs")
    _add_json(p)

    p = command("report", "run the verification and write the report (the main job)",
                "hbtheory report --out hbtheory-report", _cmd_report)
    p.add_argument("--out", type=_text, default="hbtheory-report", metavar="DIR",
                   help="output folder (default: hbtheory-report); an existing one must be an earlier report")
    p.add_argument("--device", type=_text, default="cpu", help="device of the empirical checks: cpu, cuda or cuda:N")
    p.add_argument("--quick", action="store_true", help="a few seconds: leaves out torch, PEPit and most sympy")
    _add_json(p)

    p = command("tune", "recommend torch.optim.SGD(lr, momentum) for a torch model from its Hessian (needs PyTorch)",
                "hbtheory tune --model mymodule:make_model --data mymodule:make_data --verify --json", _cmd_tune)
    p.add_argument("--model", type=_text, required=True, metavar="SPEC",
                   help="module:factory or file.py:factory returning a trained torch.nn.Module, (model, data) or "
                        "(model, loss_fn, data); a Module object is used as it is")
    p.add_argument("--data", type=_text, metavar="SPEC",
                   help="module:factory returning (inputs, targets) or a list of such batches (full batch)")
    p.add_argument("--loss", type=_text, default="mse", metavar="LOSS",
                   help="mse, cross_entropy, bce_with_logits, l1, huber or module:function (default: mse, or the "
                        "model factory's loss_fn)")
    p.add_argument("--mu", type=_mu_rule, default="auto", metavar="RULE",
                   help="smallest eigenvalue to tune for: auto, floor, quantile, smallest or a number (default auto: "
                        "lambda_min, or L/kappa_max when lambda_min is smaller)")
    p.add_argument("--kappa-max", type=_real, default=1e4, help="positive floor L/kappa_max of mu, > 1 (default 1e4)")
    p.add_argument("--quantile", type=_real, default=0.1, help="quantile of the spectrum for --mu quantile (0.1)")
    p.add_argument("--verify", action="store_true",
                   help="also run torch.optim.SGD on the model near its parameters and compare the measured rate")
    p.add_argument("--seed", type=_integer, default=0, help="seed of the Lanczos start and the check (default 0)")
    p.add_argument("--device", type=_text, help="cpu, cuda or cuda:N (default: the model's device)")
    _add_method(p)
    _add_json(p)

    p = command("explore", "write the interactive explorer of the (alpha, beta) plane: one offline HTML file",
                "hbtheory explore --kappa 100 --out hbtheory-explorer.html", _cmd_explore)
    p.add_argument("--kappa", type=_real, help="condition number shown first, >= 1 (default 100)")
    p.add_argument("--mu", type=_real, help="smallest Hessian eigenvalue (with --L)")
    p.add_argument("--L", type=_real, help="largest Hessian eigenvalue (with --mu)")
    p.add_argument("--out", type=_text, default="hbtheory-explorer.html", metavar="FILE", help="the HTML file")
    p.add_argument("--certified", action="store_true",
                   help="add the certified-rate layer (about 0.5 s a map; proven cycles are always shown)")
    _add_method(p)
    _add_json(p)
    return parser


def _version() -> str:
    from hbtheory import __version__

    return __version__


def _fail(message: str) -> int:
    one_line = " ".join(message.replace(_VALUE, "").replace(repr(_VALUE)[1:-1], "").split())
    print(one_line, file=sys.stderr)
    return EXIT_BAD_INPUT


@functools.lru_cache(maxsize=1)
def _shared_parser() -> argparse.ArgumentParser:
    """:func:`build_parser`'s parser, built once per process (argparse parsers hold no state
    between ``parse_args`` calls; building one takes a few ms, which ``main`` called in a loop,
    as the tests and notebooks do, would pay every time)."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 a check failed, 2 bad input).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when a verification check failed, 2 for input that was refused (one
        line on stderr).

    Examples
    --------
    >>> main(["rho", "--alpha", "0.5", "--beta", "0.25", "--h", "1"])
    rho = 0.5 (converges)
    0
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = _shared_parser()
    try:
        args = parser.parse_args(_mark_negative_numbers(raw))
        if args.command is None:
            return _fail(f"usage: hbtheory {{{','.join(COMMANDS)}}} [options]; "
                         "a command is required (hbtheory --help lists them)")
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as exc:
        return _fail(str(exc))
    except (ValueError, TypeError, ArithmeticError) as exc:
        return _fail(f"hbtheory: error: {exc}")
    except BrokenPipeError:
        # the reader closed the pipe (``hbtheory ... | head``): end quietly, as a shell tool does
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        return _fail(f"hbtheory: error: {exc.strerror or exc}" + (f": {exc.filename!r}" if exc.filename else ""))
    except KeyboardInterrupt:
        print("hbtheory: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
