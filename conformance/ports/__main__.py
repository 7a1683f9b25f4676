"""Command line: check a port against the golden cases, or run the mutant catalogue.

    python -m conformance.ports check --port "<command>" [--case ID] [--strict] [--timeout S]
                                      [--max-output MIB] [--junit FILE] [--data DIR]
                                      [--persistent] [--dtype float64|float32]
    python -m conformance.ports fuzz --port "<command>" [--examples N] [--seed S] [--timeout T]
                                     [--max-output MIB] [--persistent] [--save DIR]
                                     [--database DIR] [--dtype float64|float32]
                                     [--capabilities FILE]
    python -m conformance.ports mutants [--subprocess] [--junit FILE] [--dtype float64|float32]
    python -m conformance.ports scoreboard A.json B.json ... [-o FILE]

`check` prints a table per failing case and a summary, and exits 1 on any failure or error
(0 when every supported case passes; unsupported cases are skipped, but a port that supports
none fails). `fuzz` checks the port on generated cases and shrinks a failure to the smallest
case that shows it (exit 1; saved with --save as a case folder that `check --data` replays).
`mutants` runs every mutant of the catalogue, prints the case, step and tensor whose wrong
value catches each and the size of that error, and the detection rate; it exits 1 unless every
mutant is caught by a wrong value (one caught only by a crash, a hang or bad output is not).
`scoreboard` sets the JSON reports of `check --json` side by side as a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import DATA, Case, load_all
from conformance.golden.manifest import golden_root_of
from conformance.golden.tensors import CaseFormatError
from conformance.ports import scratch_port
from conformance.ports.checking import check_with_arguments, select_cases
from conformance.ports.fuzz import DEFAULT_EXAMPLES, DEFAULT_SEED, PortErred, PortFailed, fuzz
from conformance.ports.generated import STRATA
from conformance.ports.grading import CaseResult, grade
from conformance.ports.mutants import MUTANTS
from conformance.ports.options import (
    add_check_arguments,
    add_dtype_argument,
    capabilities_option,
    junit_option,
    mib_option,
    port_option,
    seconds_option,
)
from conformance.ports.report import write_junit
from conformance.ports.runner import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    Outcome,
    PortArgumentError,
    run_command,
    run_solver,
)
from conformance.ports.scoreboard import ReportFileError, read_report, scoreboard

MUTANT_EXAMPLES = 12 * len(STRATA)
"""`mutants --fuzz`'s cases: 12 of each stratum (108), as many of each as when 100 cases fell
into 8 strata, before the SGD stratum (with 11 of each, output-objective-mean slipped through
its stratum at the default seed)."""


def cmd_check(args) -> int:
    try:
        return check_with_arguments(args, select_cases(args.data, args.case))
    except (CaseFormatError, PortArgumentError) as err:
        print(f"python -m conformance.ports check: error: {err}", file=sys.stderr)
        return 2


def first_wrong_value(result: CaseResult) -> pd.Series | None:
    """The first group of `result`, in computation order, whose values are wrong (state
    "fail": out of tolerance, or NaN or Inf where a finite value is expected), with its errors
    (`max_abs_err`, `max_rel_err`, `expected_at`, `actual_at`, `bad`, `cells`...); None when no
    value is wrong (a pass, a crash, bad output, or only wrong shapes and omissions)."""
    if result.status != "fail" or result.groups is None:
        return None
    wrong = result.groups[result.groups["state"] == "fail"]
    return None if wrong.empty else wrong.iloc[0]


def describe_catch(result: CaseResult) -> str:
    """Where and by how much a wrong value caught a mutant: "step 0, dA1: expected 0.5, got 1
    (abs 0.5, rel 1; 3/6 cells)", from `first_wrong_value`."""
    g = first_wrong_value(result)
    if g is None:
        return result.message
    return (
        f"step {g['step']}, {g['tensor']}: expected {g['expected_at']:.6g}, got "
        f"{g['actual_at']:.6g} (abs {g['max_abs_err']:.2g}, rel {g['max_rel_err']:.2g}; "
        f"{g['bad']}/{g['cells']} cells)"
    )


def catch_mutant(
    name: str, cases, subprocess: bool, timeout: float, dtype: str = "float64"
) -> CaseResult | None:
    """The first case whose wrong value rejects the mutant (`first_wrong_value`); failing
    that, the first case it fails in any other way (a crash, a hang, bad output, a wrong
    shape: not a catch by value); None if it passes every case. Cases are tried smallest first
    (fewest expected values), so a mutant is rejected cheaply. With `dtype` "float32" each
    answer is graded as a float32 port's (within each value's float32 bound): does the looser
    grade still catch the bug?"""
    other = None
    for case in sorted(cases, key=lambda c: 0 if c.expected is None else len(c.expected)):
        if subprocess:
            command = f"{sys.executable} -m conformance.ports.mutants {name}"
            outcome = run_command(command, case, timeout)
        else:
            outcome = mutant_answer(name)(case)
        result = grade(case, outcome, strict=True, dtype=dtype)
        if first_wrong_value(result) is not None:
            return result
        if other is None and result.status in ("fail", "error"):
            other = result
    return other


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse `type`: an integer >= `minimum`, else a usage error naming the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _save_folder(text: str) -> Path:
    """--save: a folder outside the golden data (a usage error otherwise)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} exists and is not a folder")
    if golden_root_of(path.resolve()) is not None or path.resolve().is_relative_to(DATA.resolve()):
        raise argparse.ArgumentTypeError(f"{path}: refusing to write into the golden data")
    return path


def cmd_fuzz(args) -> int:
    try:
        return fuzz(
            args.port,
            examples=args.examples,
            seed=args.seed,
            timeout=args.timeout,
            max_output=args.max_output,
            persistent=args.persistent,
            save=args.save,
            database=args.database,
            capabilities=args.capabilities,
            dtype=args.dtype,
        )
    except PortArgumentError as err:
        print(f"python -m conformance.ports fuzz: error: {err}", file=sys.stderr)
        return 2


def cmd_scoreboard(args) -> int:
    try:
        reports = [read_report(path) for path in args.reports]
    except ReportFileError as err:
        print(f"python -m conformance.ports scoreboard: error: {err}", file=sys.stderr)
        return 2
    table = scoreboard(reports)
    if args.output:
        Path(args.output).write_text(table)
    else:
        print(table, end="")
    return 0


def mutant_answer(name: str) -> Callable[[Case], Outcome]:
    """The scratch port with mutant `name` planted, answering a case in process."""

    def answer(case: Case) -> Outcome:
        with MUTANTS[name].applied(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return run_solver(scratch_port.solve, case)

    return answer


def fuzz_mutants(args) -> int:
    """Every mutant against `args.examples` generated cases: caught by a wrong value, by an
    error only, or not at all; and the smallest case that shows it."""
    results = []
    w = max(map(len, MUTANTS))
    print(f"{'mutant':<{w}} {'caught':<9} smallest failing case; first wrong value")
    for name in MUTANTS:
        if args.dtype == "float32" and name == "float32":
            continue  # float32 arithmetic is what a float32 port is allowed
        found: list[PortFailed] = []
        code = fuzz(
            mutant_answer(name),
            examples=args.examples,
            seed=args.seed,
            out=io.StringIO(),
            found=found,
            dtype=args.dtype,
        )
        if code == 2:
            print(f"{name:<{w}} internal error: scratch and the reference disagree", flush=True)
            return 2
        if not found:
            how, where = "NO", "-"
            results.append(CaseResult(name, "fail", f"{name} passed {args.examples} cases"))
        else:
            failure = found[0]
            if first_wrong_value(failure.result) is not None:
                how = "by value"
            else:
                how = "by error" if isinstance(failure, PortErred) else "by shape"
            where = f"{failure.drawn.summary()}; {describe_catch(failure.result)[:200]}"
            ok = how == "by value"
            results.append(CaseResult(name, "pass" if ok else "fail", f"{name}: caught {how}"))
        print(f"{name:<{w}} {how:<9} {where}", flush=True)
    caught = sum(r.status == "pass" for r in results)
    print(f"caught by a wrong value: {caught}/{len(results)} (seed {args.seed})")
    if args.junit:
        write_junit(args.junit, "mutant catalogue (generated cases)", results)
    return 0 if caught == len(results) else 1


def cmd_mutants(args) -> int:
    if args.fuzz:
        return fuzz_mutants(args)
    cases = load_all(args.data)
    results = []
    dtype = args.dtype or "float64"
    w = max(map(len, MUTANTS))
    print(
        f"{'mutant':<{w}} {'caught by value in':<24} {'step':>4} {'tensor':<10} {'expected':>10} "
        f"{'got':>10} {'abs err':>8} {'rel err':>8} {'cells':>6}"
    )
    for name, mutant in MUTANTS.items():
        if dtype == "float32" and name == "float32":
            continue  # float32 arithmetic is what a float32 port is allowed
        caught = catch_mutant(name, cases, args.subprocess, args.timeout, dtype)
        g = None if caught is None else first_wrong_value(caught)
        if g is not None:
            cells = f"{g['bad']}/{g['cells']}"
            print(
                f"{name:<{w}} {caught.case_id:<24} {g['step']:>4} {g['tensor']:<10} "
                f"{g['expected_at']:>10.4g} {g['actual_at']:>10.4g} {g['max_abs_err']:>8.2g} "
                f"{g['max_rel_err']:>8.2g} {cells:>6}"
            )
            results.append(CaseResult(name, "pass", f"{name}: {describe_catch(caught)}"))
        elif caught is None:
            print(f"{name:<{w}} NOT CAUGHT: passes every case")
            results.append(CaseResult(name, "fail", f"{name} slipped through every case"))
        else:
            why = f"NOT BY VALUE: only {caught.message[:120]}"
            print(f"{name:<{w}} {why}")
            results.append(CaseResult(name, "fail", f"{name}: {why}"))
        print(f"{'':<{w}}   {mutant.bug}")
    caught = sum(r.status == "pass" for r in results)
    print(f"caught by a wrong value: {caught}/{len(results)} = {100 * caught / len(results):.0f}%")
    if args.junit:
        write_junit(args.junit, "mutant catalogue", results)
    return 0 if caught == len(results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.ports", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check a port command against the golden cases")
    add_check_arguments(c)
    c.add_argument("--data", type=Path, default=DATA, help="the golden cases (default: data/)")
    c.set_defaults(run=cmd_check)
    f = sub.add_parser("fuzz", help="check a port command on generated cases, shrink a failure")
    f.add_argument(
        "--port", required=True, type=port_option, help='the port command, e.g. "python my_port.py"'
    )
    f.add_argument(
        "--examples",
        type=_count(1),
        default=DEFAULT_EXAMPLES,
        help=f"how many generated cases ({DEFAULT_EXAMPLES})",
    )
    f.add_argument(
        "--seed", type=_count(0), default=DEFAULT_SEED, help=f"the cases drawn ({DEFAULT_SEED})"
    )
    f.add_argument(
        "--timeout", type=seconds_option, default=DEFAULT_TIMEOUT, help="seconds per case (60)"
    )
    f.add_argument(
        "--max-output",
        type=mib_option,
        default=DEFAULT_MAX_OUTPUT,
        metavar="MIB",
        help=f"the most a port may print on stdout per case, in MiB ({DEFAULT_MAX_OUTPUT:g})",
    )
    f.add_argument(
        "--persistent", action="store_true", help="one port process for every case (PORTS.md)"
    )
    f.add_argument(
        "--save",
        type=_save_folder,
        help="write the smallest failing case here, as a case folder that check --data replays",
    )
    f.add_argument(
        "--database",
        type=_save_folder,
        help="keep Hypothesis's failing examples here and try them first next time (off)",
    )
    f.add_argument(
        "--capabilities",
        type=capabilities_option,
        metavar="FILE",
        help="what the port declares it supports (JSON; see PORTS.md): cases are drawn inside it",
    )
    add_dtype_argument(f)
    f.set_defaults(run=cmd_fuzz)
    b = sub.add_parser("scoreboard", help="several --json reports side by side, as Markdown")
    b.add_argument("reports", nargs="+", type=Path, help="JSON reports written by check --json")
    b.add_argument("-o", "--output", type=Path, help="write the table here (default: stdout)")
    b.set_defaults(run=cmd_scoreboard)
    m = sub.add_parser("mutants", help="run the mutant catalogue and print the detection rate")
    m.add_argument("--subprocess", action="store_true", help="run each mutant as a port command")
    m.add_argument(
        "--fuzz", action="store_true", help="use generated cases instead of the golden ones"
    )
    m.add_argument(
        "--examples",
        type=_count(1),
        default=MUTANT_EXAMPLES,
        help=f"with --fuzz: cases ({MUTANT_EXAMPLES}: 12 of each stratum)",
    )
    m.add_argument("--seed", type=_count(0), default=DEFAULT_SEED, help="with --fuzz: the seed")
    m.add_argument(
        "--timeout", type=seconds_option, default=DEFAULT_TIMEOUT, help="seconds per case (60)"
    )
    m.add_argument("--junit", type=junit_option, help="also write a JUnit XML report here")
    m.add_argument("--data", type=Path, default=DATA, help="the golden cases (default: data/)")
    add_dtype_argument(m)
    m.set_defaults(run=cmd_mutants)
    args = parser.parse_args(argv)
    # SIGTERM (kill, a CI's cancel) ends the run as Ctrl-C does: every port is killed and every
    # temporary folder removed on the way out.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
