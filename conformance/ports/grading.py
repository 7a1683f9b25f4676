"""Grade a port's answer to one case (the runner side of conformance/PORTS.md).

The answer is parsed as the golden CSV format and graded group by group, a group being one
tensor at one step: "pass", "fail" (values out of tolerance, or NaN or Inf where a finite value
is expected: that group only), "wrong-shape" (cells missing from or beyond the expected shape)
or "omitted" (the port did not output it; a failure only in strict mode). The case reaches a
level (`conformance.ports.levels`) and is "pass" only at `full`. Nothing in the answer raises
out of here: malformed output is an "error"
`CaseResult` whose message names the case, the row and the column, quoting at most a few
hundred characters of what the port printed.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import TRAJECTORY_COLUMNS, Case
from conformance.golden.comparison import KEYS, compare_frames
from conformance.golden.tensors import CaseFormatError, read_table
from conformance.ports.levels import in_computation_order, level_name, level_reached, levels_of
from conformance.ports.runner import HEADER, Outcome, PortArgumentError, clip, printable
from conformance.ports.xfail import Xfails
from conformance.roundoff import float32_bound, not_derived
from conformance.tolerances import DTYPES, FLOAT64, GENERATED, Tolerance


@dataclass(frozen=True)
class CaseResult:
    """A graded case. status: "pass" (every expected group present and right: level `full`),
    "partial" (every group present is right, some are omitted: `level` says how far it got),
    "fail" (a wrong value or shape; or, with `strict`, a group omitted), "unsupported" or
    "error" (crash, hang, bad output, data/ changed).

    groups: one row per expected (step, tensor), in computation order (`levels`): state
    ("pass", "fail", "wrong-shape", "omitted", or with an xfail list "xfail" and "xpass"), the
    level, and the errors of `compare_frames` (max abs and rel error and where; there, the
    expected and actual values and the allowed error; cells, cells out of tolerance).
    level: the highest level reached ("none" below `forward`), None when nothing was graded.
    notes: what the port printed that the case does not know (a misspelled tensor name, with
    the nearest known one), and expected failures that passed.
    """

    case_id: str
    status: str
    message: str = ""
    groups: pd.DataFrame | None = None
    level: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def first_divergence(self) -> tuple[int, str] | None:
        """The first wrong group in computation order, as (step, tensor)."""
        if self.groups is None:
            return None
        bad = self.groups[self.groups["state"].isin(["fail", "wrong-shape"])]
        if bad.empty:
            return None
        first = bad.iloc[0]
        return int(first["step"]), str(first["tensor"])

    def count(self, state: str) -> int:
        return 0 if self.groups is None else int((self.groups["state"] == state).sum())

    @property
    def label(self) -> str:
        """The status as the report shows it: "partial (forward)" and so on."""
        return f"partial ({self.level})" if self.status == "partial" else self.status


def max_rows(case: Case) -> int:
    """The most output lines worth parsing for `case`: 50 times its expected cells, and never
    fewer than 200,000. A port may print more than a case asks for (every tensor at every step),
    but not without bound: parsing costs about 30 times the text in memory."""
    expected = 0 if case.expected is None else len(case.expected)
    return max(50 * expected, 200_000)


def parse_output(case: Case, text: str) -> pd.DataFrame:
    """The port's CSV as a frame; `CaseFormatError` naming the case, row and column if malformed,
    non-numeric or repeating a cell (NaN and Inf are read, and fail their group)."""
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
    frame = read_table(name, TRAJECTORY_COLUMNS, text=text, nonfinite=True)
    dup = frame.duplicated(KEYS).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = frame.iloc[i]
        raise CaseFormatError(
            f"{name}, row {i + 2}: repeats step {r['step']} {r['tensor']}[{r['row']},{r['col']}]"
        )
    return frame


GENERATED_SECTION = "generated by the fuzz"
"""`source.section` of a generated case (`conformance.ports.generated`), saved or not."""


def tolerance_for(case: Case) -> Tolerance:
    """GENERATED for a generated case (a saved one replayed by `check` included), else FLOAT64
    (see `conformance.tolerances`)."""
    source = case.meta.get("source", {})
    return GENERATED if source.get("section") == GENERATED_SECTION else FLOAT64


def check_dtype(dtype: object) -> str:
    """`dtype` if it is one of `DTYPES`, else `PortArgumentError` naming it."""
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise PortArgumentError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dtype


def _states(frame: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """`groups` (`compare_frames` of the port's rows `frame` against the case) with each
    one's state and, for a wrong shape, what is wrong: the expected shape, the cells missing
    and the first cell the port printed beyond that shape. Computed for every group at once;
    only the wrong shapes (few) get their note one by one."""
    printed = groups["printed"].to_numpy()
    missing = groups["missing"].to_numpy()
    emitted = printed > 0
    beyond = printed > groups["cells"].to_numpy() - missing
    wrong_shape = emitted & ((missing > 0) | beyond)
    state = np.where(groups["ok"].to_numpy(dtype=bool), "pass", "fail").astype(object)
    state[wrong_shape] = "wrong-shape"
    state[~emitted] = "omitted"
    notes = np.full(len(groups), "", dtype=object)
    for i in np.flatnonzero(wrong_shape):
        g = groups.iloc[i]
        shape = (int(g["rows"]), int(g["cols"]))
        parts = [f"expected shape {shape}"]
        if missing[i]:
            parts.append(f"{g['missing']} of {g['cells']} cells missing")
        if beyond[i]:
            mine = frame[(frame["step"] == g["step"]) & (frame["tensor"] == g["tensor"])]
            r, c = mine["row"], mine["col"]
            outside = mine[(r < 0) | (c < 0) | (r >= shape[0]) | (c >= shape[1])]
            if not outside.empty:  # (else a cell inside the shape that the case lacks)
                parts.append(
                    f"cell {(int(outside['row'].iat[0]), int(outside['col'].iat[0]))} is beyond it"
                )
        notes[i] = "; ".join(parts)
    return groups.assign(state=state, shape_note=notes)


def unknown_tensors(case: Case, frame: pd.DataFrame) -> tuple[str, ...]:
    """A note for each tensor name the port printed that is no tensor of the case's format (at
    any step), with the nearest known name: "unknown tensor 'W1after' (did you mean
    'W1_after'?)"."""
    depth = len(case.spec.activations) if case.kind == "network" else 1
    known = set(case.expected["tensor"].unique())
    if case.kind == "network":
        for l in range(1, depth + 1):
            known |= {f"{t}{l}" for t in ("Z", "A", "dA", "dZ", "aprime", "dW", "db", "vW", "vb")}
            known |= {f"W{l}_after", f"b{l}_after"}
        known |= {"cost", "prediction"}
    elif case.kind == "perceptron":
        known |= {"prediction", "error", "w", "b", "errors", "epochs"}
    notes = []
    for name in sorted(set(frame["tensor"].astype(str)) - known):
        near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        notes.append(f"unknown tensor {printable(name)[:40]!r}{hint}: not graded")
    more = (f"... and {len(notes) - 10} more unknown tensors",) if len(notes) > 10 else ()
    return (*notes[:10], *more, *_unknown_steps(case, frame))


def _unknown_steps(case: Case, frame: pd.DataFrame) -> tuple[str, ...]:
    """A note naming the steps the port printed rows at where the case records no value (a
    step past the end, a negative one, or one between the steps a case records): not graded."""
    known = np.unique(case.expected["step"].to_numpy(np.int64))
    steps = frame["step"].to_numpy(np.int64)
    outside = ~np.isin(steps, known)
    if not outside.any():
        return ()
    odd = np.unique(steps[outside])
    listed = ", ".join(str(int(k)) for k in odd[:5])
    if len(odd) > 5:
        listed += f" and {len(odd) - 5} more"
    rows = int(outside.sum())
    return (f"{rows} row(s) at step(s) {listed}, where the case records no value: not graded",)


def conclude(
    case: Case,
    groups: pd.DataFrame,
    strict: bool,
    notes: tuple[str, ...] = (),
    declared: Callable[[str], bool] | None = None,
) -> CaseResult:
    """The case's status, level and message from its graded `groups` (with states). With
    `strict`, an omitted group fails the case (only the tensors `declared` records, when
    given), and so does an expected failure that passed ("xpass")."""
    kind = case.kind
    depth = len(case.spec.activations) if kind == "network" else 1
    groups = in_computation_order(kind, depth, groups)
    levels = levels_of(kind, depth, groups)
    groups = groups.assign(level=[level_name(i) for i in levels])
    state = groups["state"]
    right = state.isin(["pass", "xpass"]).to_numpy()  # an xfail group is not right
    reached = level_name(level_reached(levels, right))
    wrong = state.isin(["fail", "wrong-shape"])
    omitted = state == "omitted"
    if strict and declared is not None:
        omitted &= np.array([declared(t) for t in groups["tensor"]], dtype=bool)
    xpass = state == "xpass"
    n, cid = len(groups), case.id
    if wrong.any():
        first = groups[wrong].iloc[0]
        what = "wrong value" if first["state"] == "fail" else "wrong shape"
        message = (
            f"{cid}: {int(wrong.sum())} of {n} (step, tensor) groups wrong, "
            f"{int((state == 'omitted').sum())} omitted; first in computation order: step "
            f"{first['step']}, {first['tensor']} ({what})"
        )
        return CaseResult(cid, "fail", message, groups, reached, notes)
    if (state == "omitted").all():
        message = f"{cid}: the port output none of the expected values"
        return CaseResult(cid, "fail", message, groups, "none", notes)
    if strict and (omitted.any() or xpass.any()):
        parts = [f"{int(omitted.sum())} of {n} groups omitted"] if omitted.any() else []
        parts += [f"{int(xpass.sum())} expected failure(s) passed"] if xpass.any() else []
        message = f"{cid}: strict: {', '.join(parts)} (level reached: {reached})"
        return CaseResult(cid, "fail", message, groups, reached, notes)
    if (state == "xfail").any():
        first = groups[state == "xfail"].iloc[0]
        message = (
            f"{cid}: {int((state == 'xfail').sum())} of {n} groups wrong as expected (xfail), "
            f"the first at step {first['step']}, {first['tensor']}; level reached without "
            f"them: {reached}"
        )
        return CaseResult(cid, "xfail", message, groups, reached, notes)
    if reached != "full":
        first = groups[state == "omitted"].iloc[0]
        message = (
            f"{cid}: partial ({reached}): {int((state == 'omitted').sum())} of {n} groups "
            f"omitted, the first at step {first['step']}, {first['tensor']} ({first['level']})"
        )
        return CaseResult(cid, "partial", message, groups, reached, notes)
    return CaseResult(cid, "pass", "", groups, reached, notes)


def grade(
    case: Case,
    outcome: Outcome,
    strict: bool = False,
    tol: Tolerance | None = None,
    dtype: str = "float64",
    *,
    declared: Callable[[str], bool] | None = None,
    xfails: Xfails | None = None,
) -> CaseResult:
    """Grade one case's outcome against the case's expected values, within `tol` (by default
    `tolerance_for(case)`). `declared`: which tensors the port says it records (an omitted
    group of another tensor does not fail it under `strict`); `xfails`: expected failures (a
    case listed whole that fails or errs is "xfail"; one that passes is "xpass", and "fail"
    under `strict`). For a port computing in float32 (`dtype` "float32"): within `tol` plus
    each value's float32 bound (`conformance.roundoff.float32_bound`)."""
    check_dtype(dtype)
    result = _graded(case, outcome, strict, tol, dtype, declared, xfails)
    reason = None if xfails is None else xfails.for_case(case.id)
    if reason is None or result.status == "unsupported":
        return result
    if result.status in ("fail", "error"):
        message = f"{case.id}: expected failure ({reason}): {result.message}"
        return dataclasses.replace(result, status="xfail", message=message)
    message = f"{case.id}: expected to fail ({reason}), but {result.label}"
    return dataclasses.replace(result, status="fail" if strict else "xpass", message=message)


def _graded(
    case: Case,
    outcome: Outcome,
    strict: bool,
    tol: Tolerance | None,
    dtype: str,
    declared: Callable[[str], bool] | None,
    xfails: Xfails | None,
) -> CaseResult:
    """`grade` without the whole-case expected failure."""
    tol = tolerance_for(case) if tol is None else tol
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
    if dtype == "float32" and (why := not_derived(case)) is not None:
        message = f"no float32 bound is derived for {why}: graded only as a float64 port"
        return CaseResult(case.id, "unsupported", message)
    bound = float32_bound(case) if dtype == "float32" else None
    groups = _states(frame, compare_frames(frame, case.expected, tol, bound))
    notes = unknown_tensors(case, frame)
    if xfails is not None:
        groups, xnotes = xfails.apply(case.id, groups)
        notes += xnotes
    return conclude(case, groups, strict, notes, declared)
