"""``hbtheory mean-square``: the stochastic layer from the shell.

The mathematics of :mod:`hbtheory.stochastic` is tested in tests/test_stochastic*.py; here the
command must give the library's numbers (and an independent closed form), one line and exit 2 on
bad input, and strict JSON.
"""

from __future__ import annotations

import json
import math

import pytest

from hbtheory.cli import main
from hbtheory.stochastic import coupled_mean_square_rate, mean_square_optimal

EPS = 2.0**-52


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_gradient_descent_rate_is_the_gaussian_fourth_moment_formula(capsys: pytest.CaptureFixture[str],
                                                                     batch: int) -> None:
    # Gaussian features a ~ N(0, H), H = I_2: E[(a a^T)^2] = 2 H^2 + tr(H) H = 4 I, and a batch of B
    # averages, so E[G^2] = H^2 + (H^2 + tr(H) H) / B = (1 + 3/B) I. Plain SGD's second moment then
    # contracts by 1 - 2 alpha + alpha^2 (1 + 3/B) per step (Bach and Moulines 2013, Sec. 2).
    alpha = 0.1
    code, out, err = run(capsys, "mean-square", "--spectrum", "1", "1", "--batch-size", str(batch),
                         "--alpha", str(alpha), "--beta", "0", "--method", "gradient_descent", "--json")
    assert code == 0, err
    got = json.loads(out)
    expected = 1 - 2 * alpha + alpha**2 * (1 + 3 / batch)
    # Newton to 4 eps relative on the spectral radius (stochastic.coupled_mean_square_rate), plus the
    # rounding of the closed form: 16 eps is a safe margin
    assert math.isclose(got["mean_square_rate"], expected, rel_tol=16 * EPS)
    assert got["stable"] is True
    assert math.isclose(got["exact_gradient_rate_squared"], (1 - alpha) ** 2, rel_tol=4 * EPS)


def test_a_point_gives_the_library_rate_and_says_when_unstable(capsys: pytest.CaptureFixture[str]) -> None:
    for alpha, beta in ((0.8, 0.78), (1.9, 0.5)):
        code, out, err = run(capsys, "mean-square", "--kappa", "100", "--batch-size", "8",
                             "--alpha", str(alpha), "--beta", str(beta), "--json")
        assert code == 0, err
        got = json.loads(out)
        lib = float(coupled_mean_square_rate(alpha, beta, [1.0, 0.01], batch_size=8))
        assert got["mean_square_rate"] == lib
        assert got["stable"] is (lib < 1.0)
    assert got["stable"] is False  # alpha = 1.9, beta = 0.5 diverges in mean square at B = 8
    code, out, _ = run(capsys, "mean-square", "--kappa", "100", "--batch-size", "8", "--alpha", "1.9",
                       "--beta", "0.5")
    assert code == 0 and "NOT stable" in out


def test_the_optimum_is_the_librarys_and_beats_plain_sgd(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "mean-square", "--spectrum", "1", "0.25", "--batch-size", "4", "--json")
    assert code == 0, err
    got = json.loads(out)
    lib = mean_square_optimal([1.0, 0.25], batch_size=4)
    assert (got["alpha"], got["beta"], got["rate"]) == (lib.alpha, lib.beta, lib.rate)
    assert got["rate"] < got["sgd_rate"] < 1.0
    # torch.optim.SGD runs heavy ball with lr = alpha, momentum = beta
    assert got["torch_sgd"]["lr"] == lib.alpha and got["torch_sgd"]["momentum"] == lib.beta
    # the rate printed in text mode is the same float
    code, out, _ = run(capsys, "mean-square", "--spectrum", "1", "0.25", "--batch-size", "4")
    assert code == 0 and repr(lib.rate) in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--kappa", "10", "--spectrum", "1"], "--kappa or --spectrum"),
        ([], "--kappa or --spectrum"),
        (["--kappa", "10", "--alpha", "0.1"], "both --alpha and --beta"),
        (["--kappa", "10", "--batch-size", "0"], "--batch-size"),
        (["--kappa", "0.5"], "kappa"),
        (["--kappa", "inf"], "kappa"),
        (["--spectrum", "1", "-1e-3"], "spectrum"),
        (["--spectrum", "1", "nan"], "spectrum"),
        (["--kappa", "10", "--method", "gradient_descent"], "no momentum"),
        (["--kappa", "10", "--features", "laplace"], "features"),
        (["--kappa", "10", "--method", "general"], "--gamma"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, "mean-square", *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and needle in err


def test_a_rate_that_rounds_to_one_is_not_called_unstable(capsys: pytest.CaptureFixture[str]) -> None:
    # alpha = 5e-324: the true rate is 1 - O(1e-324) < 1 (stable), but it rounds to 1.0 in float64
    code, out, err = run(capsys, "mean-square", "--kappa", "10", "--alpha", "5e-324", "--beta", "0.5", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["mean_square_rate"] == 1.0 and got["stable"] is None
    code, out, _ = run(capsys, "mean-square", "--kappa", "10", "--alpha", "5e-324", "--beta", "0.5")
    assert "NOT stable" not in out and "not decided" in out
