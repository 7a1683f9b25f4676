"""Reports of a port run: a per-case, per-step, per-tensor table, a summary, JUnit XML.

Messages come from `conformance.ports.runner` and `conformance.ports.grading`, which quote at
most a few hundred characters of what a port printed; the JUnit file escapes any character XML
cannot hold, so the report of a hostile port stays small and well-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.ports.grading import CaseResult
from conformance.ports.levels import LEVELS
from conformance.ports.runner import printable


def _number(x: float) -> str:
    """A value as the report prints it: the shortest decimal that reads back as the same
    float64 (`repr`), so 0.508032 and not 0.50803200000000004."""
    return repr(float(x))


def group_line(r) -> str:
    """One failing group, as `torch.testing.assert_close` reports a mismatch: the cells out of
    tolerance (k / N), and at the worst cell the expected and actual values, the difference
    and the error allowed there; for a wrong shape, what is wrong with it."""
    head = f"  step {r.step:<3} {r.tensor:<10} {r.state:<11} ({r.level})"
    if r.state == "wrong-shape":
        return f"{head}: {r.shape_note}"
    got = "nothing (cell missing)" if r.missing_at else _number(r.actual_at)
    return (
        f"{head}: {r.bad} / {r.cells} cells out of tolerance; worst at {r.at}: expected "
        f"{_number(r.expected_at)}, got {got}, |diff| {r.max_abs_err:.3g} > allowed "
        f"{r.allowed_at:.3g} (largest rel err {r.max_rel_err:.3g})"
    )


def case_detail(result: CaseResult, limit: int = 15) -> str:
    """A case's message, its failing (step, tensor) groups in computation order (at most
    `limit`, then how many more), the omitted ones, and the notes (unknown tensors, xpass)."""
    lines = [result.message] if result.message else []
    if result.groups is not None:
        groups = result.groups
        bad = groups[groups["state"].isin(["fail", "wrong-shape"])]
        lines += [group_line(r) for r in bad.head(limit).itertuples()]
        if len(bad) > limit:
            lines.append(f"  ... and {len(bad) - limit} more failing groups")
        omitted = groups[groups["state"] == "omitted"]
        if len(omitted):
            first = omitted.iloc[0]
            lines.append(
                f"  {len(omitted)} (step, tensor) group(s) omitted by the port, the first at "
                f"step {first['step']}, {first['tensor']} ({first['level']})"
            )
        xfail = groups[groups["state"] == "xfail"]
        if len(xfail):
            lines.append(f"  {len(xfail)} group(s) failing as expected (xfail)")
    lines += [f"  note: {n}" for n in result.notes]
    return "\n".join(lines)


COUNTED = ("pass", "partial", "fail", "error", "unsupported", "xfail", "xpass")


def overall_level(results: list[CaseResult]) -> str:
    """The level every supported case reached: the lowest over them ("none" if a case failed
    or erred; "-" when no case was supported)."""
    graded = [r for r in results if r.status not in ("unsupported", "xfail")]
    if not graded:
        return "-"
    if any(r.status in ("fail", "error") for r in graded):
        return "none"
    return min((r.level or "none" for r in graded), key=lambda x: _RANK[x])


_RANK = {"none": -1, **{name: i for i, name in enumerate(LEVELS)}}


def summary_table(results: list[CaseResult]) -> str:
    """One line per case (status with its level, groups passed, wrong, omitted, and the first
    divergence in computation order), then the totals and the level reached over all cases."""
    lines = [
        f"{'case':<28} {'status':<20} {'passed':>6} {'wrong':>6} {'omitted':>7}  first divergence",
    ]
    for r in results:
        first = r.first_divergence
        where = "-" if first is None else f"step {first[0]}, {first[1]}"
        wrong = r.count("fail") + r.count("wrong-shape")
        lines.append(
            f"{r.case_id:<28} {r.label:<20} {r.count('pass'):>6} {wrong:>6} "
            f"{r.count('omitted'):>7}  {where}"
        )
    counts = {s: sum(r.status == s for r in results) for s in COUNTED}
    lines.append(
        f"{counts['pass'] + counts['partial'] + counts['xpass']} passed, "
        f"{counts['fail'] + counts['error']} failed, {counts['unsupported']} skipped"
    )
    extra = [f"{counts[s]} {s}" for s in ("partial", "xfail", "xpass") if counts[s]]
    supported = len(results) - counts["unsupported"]
    lines.append(
        f"level reached over the {supported} supported case(s): {overall_level(results)}"
        + (f" ({', '.join(extra)} among the passed)" if extra else "")
    )
    return "\n".join(lines)


def write_junit(path: Path, port: str, results: list[CaseResult]) -> None:
    """JUnit XML: one testsuite for the port, one testcase per golden case (`printable` text)."""
    failures = sum(r.status == "fail" for r in results)
    errors = sum(r.status == "error" for r in results)
    skipped = sum(r.status in ("unsupported", "xfail") for r in results)
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
        elif r.status in ("unsupported", "xfail"):
            ET.SubElement(case, "skipped", message=message)
        elif r.status in ("partial", "xpass"):
            ET.SubElement(case, "system-out").text = printable(case_detail(r))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    Path(path).write_text(ET.tostring(root, encoding="unicode") + "\n")
