"""`check`: run a port command on golden cases, print what failed and a summary, write JUnit.

The one entry point the command lines share: `python -m conformance.ports check` and
`mlp-conformance check` both parse their options with `conformance.ports.options` and call
`check`. Every argument is checked before any port runs: on the command line a bad one is a
usage error (exit status 2) naming the option; `check` raises `PortArgumentError` (a
`ValueError`) naming it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from pathlib import Path
from typing import TextIO

from conformance.golden.cases import Case, load_all
from conformance.golden.tensors import CaseFormatError
from conformance.ports.capabilities import Capabilities, effective_dtype
from conformance.ports.grading import CaseResult, grade
from conformance.ports.options import check_junit, check_port, check_report_path
from conformance.ports.persistent import PersistentPort
from conformance.ports.report import case_detail, summary_table, write_junit
from conformance.ports.runner import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    Outcome,
    PortArgumentError,
    check_max_output,
    check_timeout,
    clip,
    run_command,
)
from conformance.ports.scoreboard import build_report, write_report
from conformance.ports.xfail import Xfails


def select_cases(data: Path, ids: list[str] | None) -> list[Case]:
    """Every case in `data`, or those named by `ids`; `CaseFormatError` for an unknown id or a
    folder with no case."""
    cases = load_all(data)
    if not cases:
        raise CaseFormatError(f"{data}: no golden case here (no */case.json)")
    if not ids:
        return cases
    known = {c.id for c in cases}
    unknown = sorted(set(ids) - known)
    if unknown:
        raise CaseFormatError(f"unknown case(s) {unknown}; known: {sorted(known)}")
    return [c for c in cases if c.id in ids]


def run_port(
    port: str,
    cases: list[Case],
    strict: bool,
    timeout: float,
    out: TextIO,
    max_output: float = DEFAULT_MAX_OUTPUT,
    persistent: bool = False,
    capabilities: Capabilities | None = None,
    xfails: Xfails | None = None,
    dtype: str = "float64",
) -> list[CaseResult]:
    """Grade `port` on each case (one process per case, or one `PersistentPort` for all);
    print each failing case's detail as it comes; `dtype`: what the port computes in. A case
    outside the port's `capabilities` is
    unsupported without running it; `xfails` are the expected failures."""
    caps = Capabilities() if capabilities is None else capabilities
    results = []
    with contextlib.ExitStack() as stack:
        if persistent:
            session = stack.enter_context(PersistentPort(port, timeout, max_output))
            answer = session.run
        else:
            answer = functools.partial(run_command, port, timeout=timeout, max_output=max_output)
        for case in cases:
            outside = caps.why_unsupported(case)
            if outside is not None:
                outcome = Outcome("unsupported", message=f"not declared by the port: {outside}")
            else:
                outcome = answer(case)
            kind = case.kind
            result = grade(
                case,
                outcome,
                strict,
                declared=lambda tensor, kind=kind: caps.records(kind, tensor),
                xfails=xfails,
                dtype=dtype,
            )
            results.append(result)
            if result.status == "unsupported":
                reason = result.message or "exit status 3, no reason given on stderr"
                print(f"{case.id}: unsupported: {clip(reason, 300)}", file=out, flush=True)
            elif result.status != "pass" or result.notes:
                print(case_detail(result), file=out, flush=True)
    if persistent and session.changed_after_close:
        result = CaseResult(
            "(after the last case)", "error", f"after the last case: {session.changed_after_close}"
        )
        results.append(result)
        print(case_detail(result), file=out, flush=True)
    return results


def check(
    port: str,
    cases: list[Case],
    *,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: float = DEFAULT_MAX_OUTPUT,
    junit: Path | None = None,
    out: TextIO | None = None,
    persistent: bool = False,
    capabilities: Capabilities | None = None,
    xfails: Xfails | None = None,
    json_report: Path | None = None,
    dtype: str | None = None,
) -> int:
    """Run and grade `port` on `cases`, print the summary, write the JUnit report if asked.

    `timeout` (seconds) and `max_output` (MiB of stdout) bound each case; `persistent` runs
    one port process for every case (PORTS.md, persistent mode); `capabilities` is what the
    port declares, `xfails` its expected failures, `json_report` where to write the JSON
    report (`conformance.ports.scoreboard`); `dtype` "float32" grades a port that computes in
    float32 within each value's float32 bound (by default the capabilities' dtype). Every
    argument is
    checked first: `PortArgumentError` (a `ValueError`) names a bad one before any port runs.
    Returns the exit status: 0 when every supported case passes; 1 on any failure or error, or
    when the port supports none of the cases (unsupported cases alone are skipped).
    """
    check_port(port)
    timeout, max_output = check_timeout(timeout), check_max_output(max_output)
    dtype = effective_dtype(dtype, capabilities or Capabilities())
    junit = None if junit is None else check_junit(junit)
    json_report = None if json_report is None else check_report_path(json_report, "json")
    if not isinstance(cases, list | tuple) or not cases:
        raise PortArgumentError(f"cases must be a non-empty list of golden cases, got {cases!r}")
    if not all(isinstance(c, Case) for c in cases):
        raise PortArgumentError("cases must hold golden cases (`load_all`, `select_cases`)")
    for option, report in (("junit", junit), ("json", json_report)):
        for case in cases if report is not None else ():
            if report.resolve().is_relative_to(case.path.resolve().parent):
                raise PortArgumentError(
                    f"{option}: {report} is inside the golden data {case.path.parent}; write "
                    "the report elsewhere"
                )
    out = sys.stdout if out is None else out
    results = run_port(
        port,
        list(cases),
        strict,
        timeout,
        out,
        max_output,
        bool(persistent),
        capabilities,
        xfails,
        dtype,
    )
    print(summary_table(results), file=out)
    if xfails is not None:
        for ident in xfails.unmatched([c.id for c in cases]):
            print(f"warning: xfail entry {ident!r} names no case of this run", file=out)
    if junit:
        write_junit(junit, port, results)
    if json_report:
        options = {
            "strict": bool(strict),
            "persistent": bool(persistent),
            "dtype": dtype,
            "xfail": None if xfails is None else xfails.path,
        }
        report = build_report(
            results,
            port=port,
            data=Path(cases[0].path).parent,
            capabilities=capabilities or Capabilities(),
            options=options,
        )
        write_report(json_report, report)
    bad = any(r.status in ("fail", "error") for r in results)
    none = all(r.status == "unsupported" for r in results)
    if none:
        print("the port supports none of these cases", file=sys.stderr)
    elif not any(r.status in ("pass", "partial", "xpass") for r in results):
        none = True  # every case unsupported or an expected failure: nothing was shown right
        counts = {s: sum(r.status == s for r in results) for s in ("fail", "error", "xfail")}
        print(
            f"no case passed ({counts['fail']} failed, {counts['error']} errors, "
            f"{counts['xfail']} expected failures, the rest unsupported)",
            file=sys.stderr,
        )
    return 1 if bad or none else 0


def check_with_arguments(args: argparse.Namespace, cases: list[Case]) -> int:
    """`check` with the options `add_check_arguments` parsed into `args`."""
    return check(
        args.port,
        cases,
        strict=args.strict,
        timeout=args.timeout,
        max_output=args.max_output,
        junit=args.junit,
        persistent=args.persistent,
        capabilities=args.capabilities,
        xfails=args.xfail,
        json_report=args.json,
        dtype=args.dtype,
    )
