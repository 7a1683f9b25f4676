"""The checks the golden tests make, as functions, so that tests on tampered copies of `data/`
can run exactly the same code.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from conformance.golden.cases import Case
from conformance.golden.report import KEYS, compare_frames, format_report


class Indexed:
    """A trajectory frame with O(1) look-ups by cell, and its comparison with a case's expected
    values (each built once, on first use)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._cells: dict[tuple, float] | None = None
        self._report: tuple[pd.DataFrame, pd.DataFrame] | None = None

    def cell(self, step: int, tensor: str, row: int, col: int) -> float:
        """One value; KeyError naming the cell when the trajectory does not record it."""
        if self._cells is None:
            keys = zip(*(self.frame[k].tolist() for k in KEYS), strict=True)
            self._cells = dict(zip(keys, self.frame["value"].tolist(), strict=True))
        try:
            return self._cells[step, tensor, row, col]
        except KeyError:
            raise KeyError(f"step {step} {tensor}[{row},{col}] is not recorded") from None

    def report(self, expected: pd.DataFrame) -> pd.DataFrame:
        """`compare_frames(this trajectory, expected)`, computed once and kept."""
        if self._report is None or self._report[0] is not expected:
            self._report = (expected, compare_frames(self.frame, expected))
        return self._report[1]


class Cells(Protocol):
    """Whatever answers `cell(step, tensor, row, col)`, raising KeyError for a missing cell."""

    def cell(self, step: int, tensor: str, row: int, col: int) -> float: ...


def check_figure(case: Case, figure: pd.Series, computed: Cells, subject: str) -> None:
    """Assert one transcribed figure: |computed - printed| <= half a unit in its last place."""
    cell = f"{figure['tensor']}[{figure['row']},{figure['col']}]"
    where = f"{figure['check']} (step {figure['step']} {cell})"
    try:
        value = computed.cell(figure["step"], figure["tensor"], figure["row"], figure["col"])
    except KeyError as err:
        raise AssertionError(f"{case.id}: {where}: {err} by {subject}") from None
    if not abs(value - figure["value"]) <= figure["tol"]:
        raise AssertionError(
            f"{where}: {subject} gives {value!r} but the tutorial prints {figure['printed']} "
            f"(tolerance +-{figure['tolerance']}, half a unit in the last printed place; "
            f"{figure['source']})"
        )


def check_tensor(case: Case, tensor: str, computed: Indexed, subject: str) -> None:
    """Assert that `computed` matches the case's expected values of `tensor` at every step."""
    report = computed.report(case.expected)
    report = report[report["tensor"] == tensor]
    if report.empty or not report["ok"].all():
        raise AssertionError(format_report(f"{case.id}/{tensor} by {subject}", report))


__all__ = ["Cells", "Indexed", "check_figure", "check_tensor"]
