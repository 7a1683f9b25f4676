"""`fuzz`: check a port on generated cases, and shrink a failure to the smallest case that shows
it (the cases and their expected values: `conformance.ports.generated`).

Hypothesis draws each case, an equal share from each stratum of `generated.STRATA`; it goes to
the port exactly as a golden case does (the same request, `MLP_CASE_DIR` holding only the
inputs, the same runner, grading and guarantees) and is graded strictly (every expected value
must be output). A case the port answers as unsupported is counted and not shrunk. On the first
failure (a wrong value, a crash, a hang, bad output) the case is sent once more (a port that
passes it then is flaky), then reduced (`conformance.ports.reduce`) to the smallest case that
still fails the same way; that case is printed
(architecture, data, parameters, the first divergent tensor: expected and got) and written as a
case folder, answers included, that `check --data DIR` replays. The run is deterministic for a
given seed (printed); Hypothesis's example database is off.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from conformance.golden.cases import DATA, TRAJECTORY_COLUMNS, Case, write_case
from conformance.golden.manifest import changed_files, fingerprint, write_manifest
from conformance.golden.tensors import (
    read_table,
    trajectory_arrays,
    write_rows,
)
from conformance.ports.capabilities import Capabilities, effective_dtype
from conformance.ports.generated import (
    STRATA,
    Diverged,
    Drawn,
    OurDisagreement,
    materialize,
    strata,
    stratum_examples,
)
from conformance.ports.grading import CaseResult, grade
from conformance.ports.levels import LEVELS
from conformance.ports.persistent import PersistentPort
from conformance.ports.reduce import reduce_failure
from conformance.ports.report import case_detail
from conformance.ports.runner import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    Outcome,
    PortArgumentError,
    clip,
    remove_tree,
    run_command,
)
from conformance.tolerances import GENERATED

DEFAULT_EXAMPLES = 100
DEFAULT_SEED = 20261125
"""The seed a run uses unless told otherwise: the same cases, in the same order, every time."""


class PortFailed(Exception):
    """The port gave a wrong value on a generated case (the fuzz reduces it)."""

    def __init__(self, drawn: Drawn, case: Case, result: CaseResult, text: str):
        super().__init__(result.message)
        self.drawn, self.case, self.result, self.text = drawn, case, result, text


class PortErred(PortFailed):
    """The port crashed, hung or printed bad output on a generated case. Raised apart from a
    wrong value, so that a bug that crashes on some shapes and gives wrong values on others is
    shown by a wrong value first, and each kind is reduced on its own."""


@dataclass
class Tally:
    """What a fuzz run saw: cases sent, unsupported and thrown away, errors, the first failure,
    and the reductions kept."""

    sent: int = 0
    unsupported: int = 0
    thrown_away: int = 0
    errors: int = 0
    first_error: str = ""
    failed_at: int | None = None
    partial: int = 0
    levels: set[str] = field(default_factory=set)
    reduced: list[str] = field(default_factory=list)

    @property
    def supported(self) -> int:
        return self.sent - self.unsupported


def _matrix(array: np.ndarray, indent: str = "    ") -> str:
    """A small matrix as rows of 17-digit numbers (at most 8 rows)."""
    rows = [indent + "  ".join(f"{v:>24.17g}" for v in row) for row in np.atleast_2d(array)[:8]]
    if np.atleast_2d(array).shape[0] > 8:
        rows.append(f"{indent}... {np.atleast_2d(array).shape[0] - 8} more rows")
    return "\n".join(rows)


def describe_failure(failure: PortFailed) -> str:
    """The smallest failing case: what it is, its data and parameters, the grading, and the
    first divergent tensor, expected and got."""
    case, result = failure.case, failure.result
    lines = [f"smallest failing case: {failure.drawn.summary()}"]
    for name, array in case.data.items():
        lines += [f"  {name} {array.shape}:", _matrix(array)]
    if case.params is not None:
        for l, (W, b) in enumerate(zip(case.params.W, case.params.b, strict=True), start=1):
            lines += [f"  W{l} {W.shape} (internal layout: n_out x n_in):", _matrix(W)]
            if b is not None:
                lines += [f"  b{l} {b.shape}:", _matrix(b.reshape(1, -1))]
    elif case.kind == "perceptron":
        p = case.meta["perceptron"]
        lines.append(f"  w0 = {p['w0']}, b0 = {p['b0']}, eta = {p['eta']}")
    lines.append(case_detail(result))
    first = result.first_divergence
    if first is not None:
        expected = trajectory_arrays(Path(case.id), case.expected).get(first)
        got = None
        with contextlib.suppress(Exception):  # the answer parsed once already; be safe anyway
            frame = read_table(Path("port output"), TRAJECTORY_COLUMNS, text=failure.text)
            got = trajectory_arrays(
                Path("port output"),
                frame[(frame["step"] == first[0]) & (frame["tensor"] == first[1])],
            ).get(first)
        lines.append(f"  first divergence, step {first[0]}, {first[1]}: expected")
        lines.append(_matrix(expected))
        lines.append("  got" if got is not None else "  got: (not a complete tensor)")
        if got is not None:
            lines.append(_matrix(got))
    return "\n".join(lines)


def save_case(case: Case, folder: Path) -> Path:
    """Write `case` (inputs and expected values) as a case folder inside `folder`, with a
    manifest, so that `check --data FOLDER` replays it. Returns the case folder."""
    folder.mkdir(parents=True, exist_ok=True)
    target = write_case(folder / case.id, case.meta, case.params, case.data)
    rows = case.expected[list(TRAJECTORY_COLUMNS)].values.tolist()
    write_rows(target / "expected.csv", list(TRAJECTORY_COLUMNS), rows)
    write_manifest(folder)
    return target


def _ours(err: OurDisagreement, seed: int, out: TextIO) -> int:
    print(
        "fuzz: INTERNAL ERROR, a bug of this suite and not of the port: scratch and the "
        f"reference disagree on a generated case (seed {seed}).\n{err}",
        file=out,
    )
    return 2


def fuzz(
    port: str | Callable[[Case], Outcome],
    *,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = DEFAULT_SEED,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: float = DEFAULT_MAX_OUTPUT,
    persistent: bool = False,
    save: Path | None = None,
    out: TextIO | None = None,
    found: list[PortFailed] | None = None,
    database: Path | None = None,
    capabilities: Capabilities | None = None,
    dtype: str | None = None,
) -> int:
    """Grade `port` (a command, or for this suite's own tests a function answering a case) on
    `examples` generated cases drawn from `seed`; print the summary and, on a failure, the
    smallest failing case, saved under `save` if given. Returns the exit status: 0 when every
    supported case passes and at least one is supported, 1 otherwise; 2 when generating the
    cases failed (our bug, reported as such). The smallest failure, if any, is appended to
    `found`. `database`: a folder where Hypothesis keeps the failing examples it found and
    tries them first next time (off unless given: then only `seed` decides the cases).
    `capabilities`: what the port declares; the cases are drawn inside it, and an omitted
    tensor it does not declare does not fail a case (which then counts as partial).
    `dtype` "float32": the port computes in float32 and each value is graded within its float32
    bound as well (`grading.grade`; by default the capabilities' dtype)."""
    out = sys.stdout if out is None else out
    caps = Capabilities() if capabilities is None else capabilities
    dtype = effective_dtype(dtype, caps)
    narrow, perceptrons = caps.generated()
    chosen = (
        strata(narrow, perceptrons)
        if narrow is not None
        else ({"perceptron": STRATA["perceptron"]} if perceptrons else {})
    )
    if not chosen:
        raise PortArgumentError("capabilities: no generated case fits what the port declares")

    def declared(tensor: str, kind: str) -> bool:
        return caps.records(kind, tensor)

    if not isinstance(examples, int) or isinstance(examples, bool) or examples < 1:
        raise PortArgumentError(f"examples must be an integer >= 1, got {examples!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise PortArgumentError(f"seed must be an integer >= 0, got {seed!r}")
    tally = Tally()
    work = Path(tempfile.mkdtemp(prefix="mlp-fuzz-"))
    with contextlib.ExitStack() as stack:
        stack.callback(remove_tree, work)
        if callable(port):
            answer = port
        elif persistent:
            answer = stack.enter_context(PersistentPort(port, timeout, max_output)).run
        else:

            def answer(case: Case) -> Outcome:
                return run_command(port, case, timeout, max_output)

        def send(drawn: Drawn, folder: Path) -> tuple[Case, Outcome, CaseResult] | None:
            """The drawn case materialized, answered and graded; None if thrown away."""
            try:
                case = materialize(drawn, folder)
            except Diverged:
                tally.thrown_away += 1
                return None
            tally.sent += 1
            try:
                outcome = answer(case)
                result = grade(
                    case,
                    outcome,
                    strict=True,
                    tol=GENERATED,
                    declared=lambda tensor: declared(tensor, case.kind),
                    dtype=dtype,
                )
                if result.status == "partial":
                    tally.partial += 1
                    tally.levels.add(result.level or "none")
                return case, outcome, result
            finally:
                remove_tree(folder)

        def run(stratum: str, share: int, raise_errors: bool) -> None:
            """One Hypothesis run over `share` cases of `stratum`. Wrong values always fail the
            run (and are shrunk); errors (crash, hang, bad output) only when `raise_errors`,
            else they are counted, so that a bug that crashes on some shapes and gives wrong
            values on others is shown by a wrong value first. Hypothesis does not shrink (its
            shrink took up to 1,300 attempts, a minute in process, and still left layers and
            units the bug did not need): it sends a failing case once more (a port that answers
            it differently is flaky), and `reduce_failure` makes it smaller."""

            @settings(
                max_examples=share,
                database=None if database is None else DirectoryBasedExampleDatabase(database),
                deadline=None,
                derandomize=False,
                report_multiple_bugs=False,
                phases=(Phase.generate,),
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            @hypothesis_seed(seed)
            @given(chosen[stratum])
            def attempt(drawn: Drawn) -> None:
                folder = work / f"fuzz-{tally.sent + tally.thrown_away + 1:05d}"  # drawn so far
                sent = send(drawn, folder)
                if sent is None:
                    reject()
                case, outcome, result = sent
                if result.status == "unsupported":
                    tally.unsupported += 1
                elif result.status == "fail" or (result.status == "error" and raise_errors):
                    if tally.failed_at is None:
                        tally.failed_at = tally.sent
                        print(
                            f"fuzz: case {tally.sent} of those sent ({stratum}) fails: "
                            f"{clip(result.message, 200)}; shrinking it to the smallest "
                            "failing case ...",
                            file=out,
                            flush=True,
                        )
                    kind = PortFailed if result.status == "fail" else PortErred
                    raise kind(drawn, case, result, outcome.text)
                elif result.status == "error":
                    tally.errors += 1
                    tally.first_error = tally.first_error or result.message

            with contextlib.redirect_stdout(io.StringIO()):  # Hypothesis's own report
                attempt()

        def run_strata(raise_errors: bool) -> None:
            for stratum, share in stratum_examples(examples, list(chosen)).items():
                if share:
                    run(stratum, share, raise_errors)

        def still_fails(like: PortFailed) -> Callable[[Drawn], PortFailed | None]:
            """For the reduction: a smaller case's failure of the same kind as `like`."""
            wanted = "error" if isinstance(like, PortErred) else "fail"

            def check(drawn: Drawn) -> PortFailed | None:
                folder = work / f"reduce-{tally.sent + tally.thrown_away + 1:05d}"
                sent = send(drawn, folder)
                if sent is None or sent[2].status != wanted:
                    return None
                return type(like)(drawn, sent[0], sent[2], sent[1].text)

            return check

        arithmetic = "" if dtype == "float64" else f", graded as a {dtype} port"
        print(f"fuzz: {examples} generated cases, seed {seed}{arithmetic}", file=out, flush=True)
        failure: PortFailed | None = None
        flaky = False
        data_before = fingerprint(DATA) if DATA.is_dir() else {}
        try:
            run_strata(raise_errors=False)
            if tally.errors:  # no wrong value, but errors: run again to stop at the first
                tally = Tally(errors=tally.errors, first_error=tally.first_error)
                run_strata(raise_errors=True)
        except PortFailed as err:
            failure = err
        except OurDisagreement as err:
            return _ours(err, seed, out)
        except Flaky as err:  # it failed once, then passed the same case: report it as first seen
            found_first = [e for e in getattr(err, "exceptions", []) if isinstance(e, PortFailed)]
            if not found_first:
                raise
            failure = found_first[0]
            flaky = True
    changed = changed_files(data_before, fingerprint(DATA) if DATA.is_dir() else {})
    if changed:
        print(f"fuzz: data/ changed during the run: {'; '.join(changed[:5])}", file=out)
        return 1
    if failure is not None:
        if not flaky:
            failure, tally.reduced, attempts = reduce_failure(
                failure, lambda f: f.drawn, still_fails(failure)
            )
            print(
                f"fuzz: shrunk in {attempts} attempts: "
                + (", ".join(tally.reduced) if tally.reduced else "nothing smaller fails"),
                file=out,
            )
        if found is not None:
            found.append(failure)
        if flaky:
            print(
                "fuzz: the port failed this case once and passed it when it was sent again (does "
                "it keep state between requests, or answer near --timeout?); not shrunk:",
                file=out,
            )
        print(describe_failure(failure), file=out)
        if isinstance(failure, PortFailed) and not isinstance(failure, PortErred) and tally.errors:
            print(
                f"(while searching, {tally.errors} case(s) ended in an error instead of a wrong "
                f"value; the first: {clip(tally.first_error, 300)})",
                file=out,
            )
        if save is not None:
            where = save_case(failure.case, Path(save))
            print(
                f"saved as {where}; replay it with: python -m conformance.ports check "
                f"--port '<the port>' --data {save} --strict"
                + ("" if dtype == "float64" else f" --dtype {dtype}"),
                file=out,
            )
        print(f"FAILED after {tally.failed_at} of {examples} cases (seed {seed})", file=out)
        return 1
    if tally.errors:  # errors in the first pass, none when the same cases came again
        print(
            f"fuzz: {tally.errors} case(s) ended in an error (crash, hang or bad output) and "
            "passed when sent again: the port is flaky (state kept between requests, an answer "
            f"near --timeout?); the first: {clip(tally.first_error, 300)}",
            file=out,
        )
        print(f"FAILED: flaky (seed {seed})", file=out)
        return 1
    supported = tally.supported
    print(
        f"{supported} of {tally.sent} generated cases supported, all passed "
        f"({tally.unsupported} unsupported; seed {seed})",
        file=out,
    )
    lowest = min(tally.levels, key=lambda x: -1 if x == "none" else LEVELS.index(x), default="")
    print(
        "level reached: "
        + (
            f"{lowest} ({tally.partial} partial: the port records fewer tensors)"
            if lowest
            else "full"
        ),
        file=out,
    )
    if supported == 0:
        print("the port supports none of the generated cases", file=out)
        return 1
    return 0
