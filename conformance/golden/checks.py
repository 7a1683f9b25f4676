"""The checks the golden tests make, as functions, so that tests on tampered copies of `data/`
and the command line run exactly the same code.

`StepTensors` holds what an implementation computed, by (step, tensor), and answers look-ups by
cell; `check_figure` holds one printed figure against it, `check_tensor` one tensor's generated
values against a comparison report, and `check_tensors` every tensor of a case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import Case
from conformance.golden.comparison import format_report
from conformance.golden.tensors import trajectory_arrays


class StepTensors:
    """Tensors by (step, name): 2-D arrays, or 1-D vectors (t1 biases) whose cell (row, 0) is
    element `row`. Filled from a trajectory frame (`from_frame`) or step by step (`add`)."""

    def __init__(self, tensors: dict[tuple[int, str], np.ndarray] | None = None):
        self.tensors: dict[tuple[int, str], np.ndarray] = dict(tensors or {})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str = "trajectory") -> StepTensors:
        """From a golden-format frame (step, tensor, row, col, value)."""
        return cls(trajectory_arrays(Path(name), frame))

    def add(self, step: int, tensors: dict[str, np.ndarray]) -> None:
        """Add every tensor of one step, by name."""
        for name, A in tensors.items():
            self.tensors[(step, name)] = np.asarray(A)

    def cell(self, step: int, tensor: str, row: int, col: int) -> float:
        """One value; KeyError naming the cell when it was not computed."""
        A = self.tensors.get((step, tensor))
        if A is None or row >= A.shape[0] or (A.ndim == 2 and col >= A.shape[1]):
            raise KeyError(f"step {step} {tensor}[{row},{col}] is not recorded")
        return float(A[row] if A.ndim == 1 else A[row, col])


def check_figure(case: Case, figure: pd.Series, computed: StepTensors, subject: str) -> None:
    """Assert one transcribed figure: |computed - printed| <= half a unit in its last place."""
    cell = f"{figure['tensor']}[{figure['row']},{figure['col']}]"
    where = f"{figure['check']} (step {figure['step']} {cell})"
    try:
        value = computed.cell(figure["step"], figure["tensor"], figure["row"], figure["col"])
    except KeyError as err:
        raise AssertionError(f"{case.id}: {where}: {err.args[0]} by {subject}") from None
    if not abs(value - figure["value"]) <= figure["tol"]:
        raise AssertionError(
            f"{where}: {subject} gives {value!r} but the tutorial prints {figure['printed']} "
            f"(tolerance +-{figure['tolerance']}, half a unit in the last printed place; "
            f"{figure['source']})"
        )


def check_tensor(case: Case, tensor: str, report: pd.DataFrame, subject: str) -> None:
    """Assert that every step of `tensor` agrees in `report`, the `compare_frames` of an
    implementation's trajectory against the case's expected values."""
    report = report[report["tensor"] == tensor]
    if report.empty or not report["ok"].all():
        raise AssertionError(format_report(f"{case.id}/{tensor} by {subject}", report))


def check_tensors(case: Case, report: pd.DataFrame, subject: str, shown: int = 3) -> None:
    """Assert `check_tensor` for every tensor the case records. A failure names every tensor
    that differs, in the order they first differ (by step, then in the case's order), and gives
    the report of the first `shown` of them: the earliest divergence comes first."""
    failures = []
    for tensor in dict.fromkeys(case.expected["tensor"]):
        try:
            check_tensor(case, tensor, report, subject)
        except AssertionError as failure:
            failures.append((_first_wrong_step(report, tensor), tensor, str(failure)))
    if not failures:
        return
    failures.sort(key=lambda failure: failure[0])  # stable: the case's order within a step
    step, tensor, _ = failures[0]
    names = ", ".join(f"{t} (step {s})" for s, t, _ in failures)
    more = len(failures) - shown
    tail = [f"... and {more} more tensor(s) differ, named above"] if more > 0 else []
    raise AssertionError(
        "\n\n".join(
            [
                f"{case.id} by {subject}: {len(failures)} tensor(s) differ, the first at step "
                f"{step}, {tensor}; each from the step it first differs: {names}",
                *(message for _, _, message in failures[:shown]),
                *tail,
            ]
        )
    )


def _first_wrong_step(report: pd.DataFrame, tensor: str) -> int:
    """The first step at which `tensor` is not ok in `report` (-1: no row of it at all)."""
    rows = report[report["tensor"] == tensor]
    wrong = rows.loc[~rows["ok"].astype(bool), "step"]
    return int(wrong.min()) if len(wrong) else -1


__all__ = ["StepTensors", "check_figure", "check_tensor", "check_tensors"]
