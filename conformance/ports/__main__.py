"""Command line: check a port against the golden cases, or run the mutant catalogue.

    python -m conformance.ports check --port "<command>" [--case ID] [--strict] [--timeout S]
                                      [--max-output MIB] [--junit FILE] [--data DIR]
    python -m conformance.ports mutants [--subprocess] [--junit FILE]

`check` prints a table per failing case and a summary, and exits 1 on any failure or error
(0 when every supported case passes; unsupported cases are skipped, but a port that supports
none fails). `mutants` runs every mutant of the catalogue, prints which case catches each and
the detection rate, and exits 1 unless it is 100%.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from conformance.golden.cases import DATA, load_all
from conformance.golden.tensors import CaseFormatError
from conformance.ports import scratch_port
from conformance.ports.checking import (
    add_check_arguments,
    check_with_arguments,
    junit_option,
    seconds_option,
    select_cases,
)
from conformance.ports.grading import CaseResult, grade
from conformance.ports.mutants import MUTANTS
from conformance.ports.report import write_junit
from conformance.ports.runner import DEFAULT_TIMEOUT, PortArgumentError, run_command, run_solver


def cmd_check(args) -> int:
    try:
        return check_with_arguments(args, select_cases(args.data, args.case))
    except (CaseFormatError, PortArgumentError) as err:
        print(f"python -m conformance.ports check: error: {err}", file=sys.stderr)
        return 2


def catch_mutant(name: str, cases, subprocess: bool, timeout: float) -> CaseResult | None:
    """The first case that rejects the mutant, or None if it slips through every case. Cases
    are tried smallest first (fewest expected values), so a mutant is rejected cheaply."""
    mutant = MUTANTS[name]
    for case in sorted(cases, key=lambda c: 0 if c.expected is None else len(c.expected)):
        if subprocess:
            command = f"{sys.executable} -m conformance.ports.mutants {name}"
            result = grade(case, run_command(command, case, timeout), strict=True)
        else:
            with mutant.applied(), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = grade(case, run_solver(scratch_port.solve, case), strict=True)
        if result.status in ("fail", "error"):
            return result
    return None


def cmd_mutants(args) -> int:
    cases = load_all(args.data)
    results = []
    print(f"{'mutant':<32} {'caught by':<26} {'how':<42} bug")
    for name, mutant in MUTANTS.items():
        caught = catch_mutant(name, cases, args.subprocess, args.timeout)
        if caught is None:
            how, by = "NOT CAUGHT", "-"
            results.append(CaseResult(name, "fail", f"{name} slipped through every case"))
        else:
            first = caught.first_divergence
            how = caught.status if first is None else f"step {first[0]}, {first[1]}"
            how = how if caught.status == "fail" else caught.message.split(": ", 1)[1][:40]
            by = caught.case_id
            results.append(CaseResult(name, "pass"))
        print(f"{name:<32} {by:<26} {how:<42} {mutant.bug}")
    caught = sum(r.status == "pass" for r in results)
    print(f"detection rate: {caught}/{len(results)} = {100 * caught / len(results):.0f}%")
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
    m = sub.add_parser("mutants", help="run the mutant catalogue and print the detection rate")
    m.add_argument("--subprocess", action="store_true", help="run each mutant as a port command")
    m.add_argument(
        "--timeout", type=seconds_option, default=DEFAULT_TIMEOUT, help="seconds per case (60)"
    )
    m.add_argument("--junit", type=junit_option, help="also write a JUnit XML report here")
    m.add_argument("--data", type=Path, default=DATA, help="the golden cases (default: data/)")
    m.set_defaults(run=cmd_mutants)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
