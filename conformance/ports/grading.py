"""Grade a port's answer to one case (the runner side of conformance/PORTS.md).

The answer is parsed as the golden CSV format and graded group by group, a group being one
tensor at one step: "pass", "fail" (values out of tolerance), "wrong-shape" (cells missing from
or beyond the expected shape) or "omitted" (the port did not output it; a failure only in
strict mode). Nothing in the answer raises out of here: malformed output is an "error"
`CaseResult` whose message names the case, the row and the column, quoting at most a few
hundred characters of what the port printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import TRAJECTORY_COLUMNS, Case
from conformance.golden.comparison import KEYS, compare_frames
from conformance.golden.tensors import CaseFormatError, read_table
from conformance.ports.runner import HEADER, Outcome, clip
from conformance.tolerances import FLOAT64, Tolerance


@dataclass(frozen=True)
class CaseResult:
    """A graded case. status: "pass", "fail", "unsupported" or "error" (crash, hang, bad output,
    data/ changed).

    groups: one row per expected (step, tensor): state, max abs and rel error and where.
    """

    case_id: str
    status: str
    message: str = ""
    groups: pd.DataFrame | None = None

    @property
    def first_divergence(self) -> tuple[int, str] | None:
        if self.groups is None:
            return None
        bad = self.groups[self.groups["state"].isin(["fail", "wrong-shape"])]
        if bad.empty:
            return None
        first = bad.sort_values("step", kind="stable").iloc[0]
        return int(first["step"]), str(first["tensor"])

    def count(self, state: str) -> int:
        return 0 if self.groups is None else int((self.groups["state"] == state).sum())


def max_rows(case: Case) -> int:
    """The most output lines worth parsing for `case`: 50 times its expected cells, and never
    fewer than 200,000. A port may print more than a case asks for (every tensor at every step),
    but not without bound: parsing costs about 30 times the text in memory."""
    expected = 0 if case.expected is None else len(case.expected)
    return max(50 * expected, 200_000)


def parse_output(case: Case, text: str) -> pd.DataFrame:
    """The port's CSV as a frame; `CaseFormatError` naming the case, row and column if malformed,
    non-numeric, non-finite or repeating a cell."""
    name = Path(f"port output for {case.id}")
    if not text.strip():
        raise CaseFormatError(f"{name}: empty output (expected the header {HEADER})")
    end = text.find("\n")
    if end > 4 * len(HEADER) or (end < 0 and len(text) > 4 * len(HEADER)):
        length = len(text) if end < 0 else end
        raise CaseFormatError(
            f"{name}, row 1 (header): a line of {length} characters; expected {HEADER}"
        )
    rows, most = text.count("\n"), max_rows(case)
    if rows > most:
        raise CaseFormatError(
            f"{name}: {rows} lines, more than the {most} this case can use (every tensor of "
            "every step a few times over); not parsed"
        )
    frame = read_table(name, TRAJECTORY_COLUMNS, text=text)
    dup = frame.duplicated(KEYS).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = frame.iloc[i]
        raise CaseFormatError(
            f"{name}, row {i + 2}: repeats step {r['step']} {r['tensor']}[{r['row']},{r['col']}]"
        )
    return frame


def grade(
    case: Case, outcome: Outcome, strict: bool = False, tol: Tolerance = FLOAT64
) -> CaseResult:
    """Grade one case's outcome against the case's expected values, within `tol` (FLOAT64
    for a golden case, GENERATED for a generated one: see `conformance.tolerances`)."""
    if outcome.status == "unsupported":
        return CaseResult(case.id, "unsupported", outcome.message)
    if outcome.status != "ok":
        return CaseResult(case.id, "error", f"{case.id}: {outcome.message}")
    try:
        frame = parse_output(case, outcome.text)
    except CaseFormatError as err:
        return CaseResult(case.id, "error", f"{case.id}: bad output: {clip(str(err))}")
    except Exception as err:  # whatever the CSV reader makes of hostile text is the port's fault
        return CaseResult(case.id, "error", f"{case.id}: bad output: {clip(repr(err))}")
    expected = case.expected
    emitted = set(zip(frame["step"], frame["tensor"], strict=True))
    groups = compare_frames(frame, expected, tol)
    expected_groups = set(zip(expected["step"], expected["tensor"], strict=True))
    cells = pd.MultiIndex.from_arrays([expected[k].to_numpy() for k in KEYS])
    extra = frame[~pd.MultiIndex.from_arrays([frame[k].to_numpy() for k in KEYS]).isin(cells)]
    beyond = {g for g in zip(extra["step"], extra["tensor"], strict=True) if g in expected_groups}
    states = []
    for row in groups.itertuples():
        key = (row.step, row.tensor)
        if key not in emitted:
            states.append("omitted")
        elif row.missing or key in beyond:
            states.append("wrong-shape")
        else:
            states.append("pass" if row.ok else "fail")
    groups = groups.assign(state=states)
    failing = groups["state"].isin(["fail", "wrong-shape"] + (["omitted"] if strict else []))
    if (groups["state"] == "omitted").all():
        return CaseResult(
            case.id, "fail", f"{case.id}: the port output none of the expected values", groups
        )
    if failing.any():
        first = groups[failing].sort_values("step", kind="stable").iloc[0]
        message = (
            f"{case.id}: {int(failing.sum())} of {len(groups)} (step, tensor) groups fail; first "
            f"at step {first['step']}, tensor {first['tensor']} ({first['state']})"
        )
        return CaseResult(case.id, "fail", message, groups)
    return CaseResult(case.id, "pass", "", groups)
