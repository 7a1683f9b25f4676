"""Run a port on golden cases and grade its answers (the runner side of conformance/PORTS.md).

A port is run once per case, as a command (a subprocess with a timeout) or, for Python ports in
this repository, in process through the same output parser. Its answer is graded group by group,
a group being one tensor at one step: "pass", "fail" (values out of tolerance), "wrong-shape"
(cells missing from or beyond the expected shape) or "omitted" (the port did not output it;
a failure only in strict mode). Nothing a port does (crash, hang, garbage) raises out of here:
it becomes a `CaseResult` whose message names the case.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import TRAJECTORY_COLUMNS, Case
from conformance.golden.comparison import KEYS, compare_frames
from conformance.golden.tensors import CaseFormatError, read_table
from conformance.ports.protocol import UNSUPPORTED_EXIT, Trajectory, Unsupported, to_csv
from conformance.ports.request import build_request

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Outcome:
    """What running a port on one case gave: status "ok" (text holds its CSV), "unsupported",
    "crash", "hang"; message explains anything but "ok"."""

    status: str
    text: str = ""
    message: str = ""


@dataclass(frozen=True)
class CaseResult:
    """A graded case. status: "pass", "fail", "unsupported" or "error" (crash, hang, bad output).

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


def _tail(text: str, n: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


def run_command(command: str, case: Case, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Run `command` (split like a shell would, no shell) with the case's request on stdin and
    MLP_CASE_DIR set to its folder; kill its whole process group after `timeout` seconds."""
    try:
        argv = shlex.split(command)
    except ValueError as err:
        return Outcome("crash", message=f"cannot parse the port command {command!r}: {err}")
    env = {**os.environ, "MLP_CASE_DIR": str(case.path)}
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
    except OSError as err:
        return Outcome("crash", message=f"cannot start {command!r}: {err}")
    try:
        out, err = proc.communicate(json.dumps(build_request(case)), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome("hang", message=f"no answer within {timeout:g} s; the port was killed")
    except BrokenPipeError:
        out, err = proc.communicate()
    if proc.returncode == UNSUPPORTED_EXIT:
        return Outcome("unsupported", message=_tail(err) or "the port says it is unsupported")
    if proc.returncode != 0:
        return Outcome("crash", message=f"exit status {proc.returncode}; stderr: {_tail(err)!r}")
    return Outcome("ok", text=out)


def run_solver(solve: Callable[[dict], Trajectory], case: Case) -> Outcome:
    """Run a Python port's `solve` in process; its output goes through the same CSV parser.
    Any exception it raises is a crash, as a non-zero exit would be."""
    try:
        return Outcome("ok", text=to_csv(solve(build_request(case))))
    except Unsupported as err:
        return Outcome("unsupported", message=str(err))
    except Exception as err:  # a port's failure is a result here, not an error of the runner
        return Outcome("crash", message=f"{type(err).__name__}: {err}")


def parse_output(case: Case, text: str) -> pd.DataFrame:
    """The port's CSV as a frame; `CaseFormatError` naming the case, row and column if malformed,
    non-numeric, non-finite or repeating a cell."""
    name = Path(f"port output for {case.id}")
    if not text.strip():
        raise CaseFormatError(
            f"{name}: empty output (expected the header {list(TRAJECTORY_COLUMNS)})"
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


def grade(case: Case, outcome: Outcome, strict: bool = False) -> CaseResult:
    """Grade one case's outcome against the case's expected values."""
    if outcome.status == "unsupported":
        return CaseResult(case.id, "unsupported", outcome.message)
    if outcome.status != "ok":
        return CaseResult(case.id, "error", f"{case.id}: {outcome.status}: {outcome.message}")
    try:
        frame = parse_output(case, outcome.text)
    except CaseFormatError as err:
        return CaseResult(case.id, "error", f"{case.id}: bad output: {err}")
    expected = case.expected
    emitted = set(zip(frame["step"], frame["tensor"], strict=True))
    groups = compare_frames(frame, expected)
    cells = expected[KEYS].merge(frame[KEYS], on=KEYS, how="outer", indicator="side")
    expected_groups = set(zip(expected["step"], expected["tensor"], strict=True))
    beyond = cells[(cells["side"] == "right_only")]
    beyond = {g for g in zip(beyond["step"], beyond["tensor"], strict=True) if g in expected_groups}
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
