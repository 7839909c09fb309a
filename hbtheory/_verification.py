"""The report row of the counterexample and PEPit checks (one small result shared by both)."""

from __future__ import annotations

from dataclasses import dataclass

from hbtheory._result import Result

__all__ = ["Verification"]


@dataclass(frozen=True, eq=False)
class Verification(Result):
    """One report row: ``passed`` iff ``measured <= tolerance`` (the fields of ``hbtheory.report.Check``).

    Examples
    --------
    >>> Verification("claim", "how", 0.5, 1.0, True).passed
    True
    """

    claim: str
    how: str
    measured: float
    tolerance: float
    passed: bool
