"""The checks the golden tests make, as functions, so that tests on tampered copies of `data/`
can run exactly the same code.
"""

from __future__ import annotations

import pandas as pd

from conformance.golden.cases import Case
from conformance.golden.report import KEYS, compare_frames, format_report


def lookup(frame: pd.DataFrame, step: int, tensor: str, row: int, col: int) -> float:
    """One cell of a trajectory; KeyError naming it when the trajectory does not record it."""
    hit = frame[
        (frame["step"] == step)
        & (frame["tensor"] == tensor)
        & (frame["row"] == row)
        & (frame["col"] == col)
    ]
    if hit.empty:
        raise KeyError(f"step {step} {tensor}[{row},{col}] is not recorded")
    return float(hit["value"].iloc[0])


def check_figure(case: Case, figure: pd.Series, frame: pd.DataFrame, subject: str) -> None:
    """Assert one transcribed figure: |computed - printed| <= half a unit in its last place."""
    cell = f"{figure['tensor']}[{figure['row']},{figure['col']}]"
    where = f"{figure['check']} (step {figure['step']} {cell})"
    try:
        value = lookup(frame, figure["step"], figure["tensor"], figure["row"], figure["col"])
    except KeyError as err:
        raise AssertionError(f"{case.id}: {where}: {err} by {subject}") from None
    if not abs(value - figure["value"]) <= figure["tol"]:
        raise AssertionError(
            f"{where}: {subject} gives {value!r} but the tutorial prints {figure['printed']} "
            f"(tolerance +-{figure['tolerance']}, half a unit in the last printed place; "
            f"{figure['source']})"
        )


def check_tensor(case: Case, tensor: str, frame: pd.DataFrame, subject: str) -> None:
    """Assert that `frame` matches the case's expected values of `tensor` at every recorded step."""
    expected = case.expected[case.expected["tensor"] == tensor]
    report = compare_frames(frame[frame["tensor"] == tensor], expected)
    if not report["ok"].all():
        raise AssertionError(format_report(f"{case.id}/{tensor} by {subject}", report))


__all__ = ["KEYS", "check_figure", "check_tensor", "lookup"]
