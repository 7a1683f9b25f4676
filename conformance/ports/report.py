"""Reports of a port run: a per-case, per-step, per-tensor table, a summary, JUnit XML.

Messages come from `conformance.ports.runner` and `conformance.ports.grading`, which quote at
most a few hundred characters of what a port printed; the JUnit file escapes any character XML
cannot hold, so the report of a hostile port stays small and well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.ports.grading import CaseResult
from conformance.ports.runner import printable


def case_detail(result: CaseResult, limit: int = 15) -> str:
    """The failing (step, tensor) groups of one case, first divergence first."""
    lines = [result.message] if result.message else []
    if result.groups is None:
        return "\n".join(lines)
    bad = result.groups[result.groups["state"].isin(["fail", "wrong-shape", "omitted"])]
    bad = bad.sort_values("step", kind="stable")
    shown = bad[bad["state"] != "omitted"].head(limit)
    if not shown.empty:
        lines.append(
            f"  {'step':>5} {'tensor':<14} {'state':<11} {'max abs err':>12} {'at':>8} "
            f"{'max rel err':>12}"
        )
        for r in shown.itertuples():
            lines.append(
                f"  {r.step:>5} {r.tensor:<14} {r.state:<11} {r.max_abs_err:>12.3e} "
                f"{r.at!s:>8} {r.max_rel_err:>12.3e}"
            )
    omitted = int((bad["state"] == "omitted").sum())
    if omitted:
        lines.append(f"  {omitted} (step, tensor) group(s) omitted by the port")
    return "\n".join(lines)


def summary_table(results: list[CaseResult]) -> str:
    """One line per case, then the totals."""
    lines = [
        f"{'case':<28} {'status':<12} {'passed':>6} {'failed':>6} {'omitted':>7}  first divergence",
    ]
    for r in results:
        first = r.first_divergence
        where = "-" if first is None else f"step {first[0]}, {first[1]}"
        failed = r.count("fail") + r.count("wrong-shape")
        lines.append(
            f"{r.case_id:<28} {r.status:<12} {r.count('pass'):>6} {failed:>6} "
            f"{r.count('omitted'):>7}  {where}"
        )
    counts = {
        s: sum(r.status == s for r in results) for s in ("pass", "fail", "error", "unsupported")
    }
    lines.append(
        f"{counts['pass']} passed, {counts['fail'] + counts['error']} failed, "
        f"{counts['unsupported']} skipped"
    )
    return "\n".join(lines)


def write_junit(path: Path, port: str, results: list[CaseResult]) -> None:
    """JUnit XML: one testsuite for the port, one testcase per golden case (`printable` text)."""
    failures = sum(r.status == "fail" for r in results)
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status == "unsupported" for r in results)
    suite = ET.Element(
        "testsuite",
        name=printable(f"mlp-conformance port {port}"),
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
    )
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="mlp-conformance", name=r.case_id)
        message = printable(r.message)
        if r.status == "fail":
            ET.SubElement(case, "failure", message=message).text = printable(case_detail(r))
        elif r.status == "error":
            ET.SubElement(case, "error", message=message).text = message
        elif r.status == "unsupported":
            ET.SubElement(case, "skipped", message=message)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    Path(path).write_text(ET.tostring(root, encoding="unicode") + "\n")
