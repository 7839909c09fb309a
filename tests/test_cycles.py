"""Cycle detection (``hbtheory.cycles.find_cycle``): any run, any period, failure as data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hbtheory.cycles import STATUSES, find_cycle


@pytest.mark.parametrize("p", [1, 2, 3, 5, 7, 12])
def test_find_cycle_any_period_with_noise(p: int, rng: np.random.Generator) -> None:
    base = rng.uniform(-3, 3, p)
    if p > 1:
        base[1] = base[0] + 0.5  # no shorter period
    seq = np.tile(base, 600 // p + 1)[:600] + rng.normal(0, 1e-13, 600)
    seq[:50] += np.geomspace(1, 1e-15, 50)  # a transient
    cyc = find_cycle(seq, max_period=16)
    assert cyc.period == p and cyc.status == ("converged" if p == 1 else "cycling")
    np.testing.assert_allclose(np.sort(cyc.points), np.sort(base), atol=1e-9)
    assert cyc.points[0] == cyc.points.min()  # canonical rotation, visiting order kept
    assert 20 <= cyc.onset <= 50  # where the transient falls below the tolerance


def test_find_cycle_two_dimensional_states() -> None:
    t = np.arange(300)
    seq = np.stack([np.cos(2 * np.pi * t / 4), np.sin(2 * np.pi * t / 4)], axis=1)
    cyc = find_cycle(seq)
    assert cyc.period == 4 and cyc.points.shape == (4, 2)


def test_find_cycle_divergence_and_undetermined_as_data() -> None:
    with np.errstate(over="ignore"):
        grow = 1.5 ** np.arange(200.0) * 1e5
    grow[-1] = np.inf
    cyc = find_cycle(grow)
    assert cyc.status == "diverging" and cyc.onset == int(np.argmax(grow > 1e12)) and cyc.last == np.inf
    assert find_cycle([1.0, np.nan, 2.0]).status == "diverging"
    quasi = np.cos(np.sqrt(2) * np.arange(500))  # irrational rotation: no period
    und = find_cycle(quasi, max_period=20)
    assert und.status == "undetermined" and und.period == 0 and und.points.size == 0 and und.residual > 1e-3
    assert {cyc.status, und.status} <= set(STATUSES)
    d = json.loads(cyc.to_json())
    assert d["residual"] is None and d["last"] is None  # inf -> null, one JSON policy


def test_integer_iterates_are_real_numbers() -> None:
    cyc = find_cycle([5, 1, 2, 1, 2, 1, 2, 1, 2], tail=8)
    assert (cyc.status, cyc.period) == ("cycling", 2) and cyc.points.tolist() == [1.0, 2.0]


# Issue 11: find_cycle dropped the imaginary part of complex input (a ComplexWarning, then a
# "cycle" of the real parts) and accepted None (a NaN array), strings ('1' -> 1.0) and booleans
# (True -> 1.0). Each is a TypeError naming the parameter now.
@pytest.mark.parametrize(
    "bad",
    [
        None,
        "abc",
        b"abc",
        True,
        np.bool_(False),
        [True, False, True, False, True, False],
        np.array([True, False] * 5),
        ["1", "2", "1", "2", "1", "2"],
        np.array(["1.0", "2.0"] * 5),
        [1.0, 2.0, 1.0, 2.0 + 1e-3j, 1.0, 2.0],
        np.array([1.0, 2.0] * 5, dtype=complex),  # zero imaginary parts: still not real numbers
        [1.0, None, 1.0, 2.0, 1.0, 2.0],
        np.array([1.0, 2.0, None, 2.0], dtype=object),
    ],
    ids=["None", "str", "bytes", "bool", "np.bool_", "bool-list", "bool-array", "str-list", "str-array",
         "complex-list", "complex-array", "None-in-list", "object-array"],
)
def test_non_real_iterates_are_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="`iterates`"):
        find_cycle(bad)


def test_bad_options_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="`iterates`"):
        find_cycle([1.0, 2.0])
    with pytest.raises(ValueError, match="`iterates`"):
        find_cycle(np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match="`max_period`"):
        find_cycle(np.zeros(10), max_period=0)
    with pytest.raises(TypeError, match="`max_period`"):
        find_cycle(np.zeros(10), max_period=True)
    with pytest.raises(ValueError, match="`tol`"):
        find_cycle(np.zeros(10), tol=0.0)
    with pytest.raises(ValueError, match="`tail`"):
        find_cycle(np.zeros(10), tail=2)
    with pytest.raises(ValueError, match="`diverge_at`"):
        find_cycle(np.zeros(10), diverge_at=-1.0)
