"""Machine-readable port reports (`check --json FILE`) and the scoreboard that sets several side
by side (`python -m conformance.ports scoreboard A.json B.json ...`), one row per case and one
column per port, as ONNX's backend scoreboard does.

A report is one JSON object: `format` ("mlp-conformance port report") and `format_version`
(1); `suite_version` (this package's version); `data` (the golden folder and the SHA-256 of its
MANIFEST.sha256, which pins every file of it); `port` (the command, the declared name, version
and capabilities); `platform`; `options` (strict, persistent, dtype, xfail file); `level` (the
level every supported case reached); `summary` (cases by status); `cases`, each with its id,
status, label ("partial (forward)"), level, message, notes and groups (step, tensor, state,
level, cells, cells out of tolerance, errors; an infinite error is written as the string
"inf", a missing value as null). Not for: grading (`conformance.ports.grading`).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.golden.manifest import MANIFEST
from conformance.ports.capabilities import Capabilities
from conformance.ports.grading import CaseResult
from conformance.ports.report import COUNTED, overall_level

FORMAT = "mlp-conformance port report"
FORMAT_VERSION = 1
GROUP_FIELDS = (
    "step", "tensor", "state", "level", "cells", "bad", "missing", "max_abs_err", "max_rel_err",
    "at", "expected_at", "actual_at", "allowed_at",
)  # fmt: skip


class ReportFileError(ValueError):
    """A file given to `scoreboard` that is not a port report: names the file and why."""


def _plain(value: Any) -> Any:
    """A value JSON can hold: numpy scalars as Python numbers, inf as "inf", NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def suite_version() -> str:
    try:
        return metadata.version("mlp-conformance")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def case_entry(result: CaseResult) -> dict[str, Any]:
    """One case of the report."""
    groups = []
    if result.groups is not None:
        for row in result.groups.itertuples():
            groups.append({f: _plain(getattr(row, f)) for f in GROUP_FIELDS})
    return {
        "id": result.case_id,
        "status": result.status,
        "label": result.label,
        "level": result.level,
        "message": result.message,
        "notes": list(result.notes),
        "groups": groups,
    }


def build_report(
    results: list[CaseResult],
    *,
    port: str,
    data: Path,
    capabilities: Capabilities,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The JSON report of a run of `port` on the cases of the golden folder `data`."""
    manifest = Path(data) / MANIFEST
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "suite_version": suite_version(),
        "data": {"folder": str(data), "manifest_sha256": digest},
        "port": {
            "command": port,
            "name": capabilities.name,
            "version": capabilities.version,
            "capabilities": capabilities.as_dict(),
        },
        "platform": {
            "system": platform.platform(),
            "machine": platform.machine(),
            "python": sys.version.split()[0],
        },
        "options": options,
        "level": overall_level(results),
        "summary": {s: sum(r.status == s for r in results) for s in COUNTED},
        "cases": [case_entry(r) for r in results],
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(report, indent=1, allow_nan=False) + "\n")


def read_report(path: Path) -> dict[str, Any]:
    """A report written by `write_report`; `ReportFileError` naming the file otherwise."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportFileError(f"{path}: cannot read a JSON report: {err}") from None
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise ReportFileError(f'{path}: not a port report (no "format": "{FORMAT}")')
    problem = _shape_problem(report)
    if problem:
        raise ReportFileError(f"{path}: not a well-formed port report: {problem}")
    if report.get("format_version") != FORMAT_VERSION:
        raise ReportFileError(
            f"{path}: report format version {report.get('format_version')!r}; this suite reads "
            f"version {FORMAT_VERSION}"
        )
    return report


def _shape_problem(report: dict[str, Any]) -> str:
    """What a report lacks that the scoreboard reads ("" if nothing)."""
    if not isinstance(report.get("port"), dict) or "command" not in report["port"]:
        return "no port.command"
    if not isinstance(report.get("summary"), dict) or not isinstance(report.get("data"), dict):
        return "no summary or data"
    cases = report.get("cases")
    if not isinstance(cases, list):
        return "no list of cases"
    for case in cases:
        if not isinstance(case, dict) or not all(k in case for k in ("id", "status", "label")):
            return "a case without id, status and label"
        if not isinstance(case.get("groups"), list):
            return f"case {str(case.get('id'))[:40]!r} has no list of groups"
    return ""


def _text(value: Any) -> str:
    """A table cell's text: one line, `|` escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _cell(case: dict[str, Any]) -> str:
    """A case's status as one scoreboard cell."""
    status = case["status"]
    if status == "fail":
        first = next((g for g in case["groups"] if g["state"] in ("fail", "wrong-shape")), None)
        return "fail" if first is None else _text(f"fail (step {first['step']}, {first['tensor']})")
    return _text(case["label"])


def _column(report: dict[str, Any]) -> str:
    port = report["port"]
    name = port.get("name") or port["command"]
    options = report.get("options") or {}
    marks = (
        [f"graded as {options['dtype']}"] if options.get("dtype") not in (None, "float64") else []
    )
    marks += ["strict"] if options.get("strict") else []
    marks += [f"xfail: {options['xfail']}"] if options.get("xfail") else []
    label = f"{name} {port.get('version', '')}".strip()
    return _text(label + (f" ({', '.join(marks)})" if marks else ""))


def scoreboard(reports: list[dict[str, Any]]) -> str:
    """A Markdown table: one row per case (in the order first seen), one column per report,
    then the level each port reached and the data manifest it was run on."""
    ids: dict[str, None] = {}
    for report in reports:
        ids |= {c["id"]: None for c in report["cases"]}
    by_port = [{c["id"]: c for c in r["cases"]} for r in reports]
    header = ["case", *(_column(r) for r in reports)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case_id in ids:
        cells = [_cell(p[case_id]) if case_id in p else "-" for p in by_port]
        lines.append(f"| {_text(case_id)} | " + " | ".join(cells) + " |")
    lines.append("| **level reached** | " + " | ".join(f"**{r['level']}**" for r in reports) + " |")
    counts = [
        f"{r['summary']['pass']} of {len(r['cases']) - r['summary']['unsupported']}"
        for r in reports
    ]
    lines.append("| cases passed (of supported) | " + " | ".join(counts) + " |")
    digests = {(r["data"].get("manifest_sha256") or "?")[:12] for r in reports}
    note = (
        f"\nAll on the golden data of manifest {digests.pop()}."
        if len(digests) == 1
        else f"\nWARNING: the reports were made on different golden data ({sorted(digests)})."
    )
    return "\n".join(lines) + "\n" + note + "\n"
