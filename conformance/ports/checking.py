"""`check`: run a port command on golden cases, print what failed and a summary, write JUnit.

The one entry point the command lines share: `python -m conformance.ports check` and
`mlp-conformance check` both parse their options with `add_check_arguments` and call `check`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from conformance.golden.cases import Case, load_all
from conformance.golden.tensors import CaseFormatError
from conformance.ports.report import case_detail, summary_table, write_junit
from conformance.ports.runner import DEFAULT_TIMEOUT, CaseResult, grade, run_command


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `check`: --port (required), --case, --strict, --timeout, --junit."""
    parser.add_argument("--port", required=True, help='the port command, e.g. "python my_port.py"')
    parser.add_argument("--case", action="append", help="only this case id (repeatable)")
    parser.add_argument("--strict", action="store_true", help="a value the port omits is a failure")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per case ({DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--junit", type=Path, help="also write a JUnit XML report here")


def select_cases(data: Path, ids: list[str] | None) -> list[Case]:
    """Every case in `data`, or those named by `ids`; `CaseFormatError` for an unknown id."""
    cases = load_all(data)
    if not ids:
        return cases
    known = {c.id for c in cases}
    unknown = sorted(set(ids) - known)
    if unknown:
        raise CaseFormatError(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [c for c in cases if c.id in ids]


def run_port(
    port: str, cases: list[Case], strict: bool, timeout: float, out: TextIO
) -> list[CaseResult]:
    """Grade `port` on each case; print each failing case's detail as it comes."""
    results = []
    for case in cases:
        result = grade(case, run_command(port, case, timeout), strict)
        results.append(result)
        if result.status in ("fail", "error"):
            print(case_detail(result), file=out, flush=True)
    return results


def check(
    port: str,
    cases: list[Case],
    *,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    junit: Path | None = None,
    out: TextIO | None = None,
) -> int:
    """Run and grade `port` on `cases`, print the summary, write the JUnit report if asked.

    Returns the exit status: 0 when every supported case passes; 1 on any failure or error, or
    when the port supports none of the cases (unsupported cases alone are skipped).
    """
    out = sys.stdout if out is None else out
    results = run_port(port, cases, strict, timeout, out)
    print(summary_table(results), file=out)
    if junit:
        write_junit(junit, port, results)
    bad = any(r.status in ("fail", "error") for r in results)
    none = all(r.status == "unsupported" for r in results)
    if none:
        print("the port supports none of these cases", file=sys.stderr)
    return 1 if bad or none else 0
