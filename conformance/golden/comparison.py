"""Compare two trajectory frames in the golden format, per step and tensor, and report the errors.

Each (step, tensor) group is one tensor, compared with `Tolerance.allowed` of
`conformance.tolerances` (float64 unless said otherwise), exactly as `conformance.compare` compares
two arrays. Not for: reading or writing frames (`conformance.golden.tensors`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from conformance.tolerances import FLOAT64, Tolerance

KEYS = ["step", "tensor", "row", "col"]


def compare_frames(
    actual: pd.DataFrame, expected: pd.DataFrame, tol: Tolerance = FLOAT64
) -> pd.DataFrame:
    """One row per (step, tensor) of `expected`: max abs and rel error, where, and ok.

    Cells missing from `actual` count as failures (error inf); extra cells in `actual` are
    ignored (a port may record more than a case asks for).
    """
    merged = expected.merge(
        actual[[*KEYS, "value"]], on=KEYS, how="left", suffixes=("_expected", "_actual")
    )
    e = merged["value_expected"].to_numpy()
    a = merged["value_actual"].to_numpy()
    diff = np.abs(a - e)
    diff = np.where(np.isnan(diff), np.inf, diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(e))
    merged = merged.assign(
        abs_err=diff, rel_err=rel, abs_e=np.abs(e), missing=np.isnan(a), row_i=merged.index
    )
    largest = merged.groupby(["step", "tensor"], sort=False)["abs_e"].transform("max")
    merged["ok"] = diff <= tol.allowed(e, largest.to_numpy())
    groups = merged.groupby(["step", "tensor"], sort=False)
    report = groups.agg(
        max_abs_err=("abs_err", "max"),
        worst=("abs_err", "idxmax"),
        max_rel_err=("rel_err", "max"),
        missing=("missing", "sum"),
        ok=("ok", "all"),
    ).reset_index()
    worst = merged.loc[report["worst"]]
    at = list(zip(worst["row"].astype(int), worst["col"].astype(int), strict=True))
    return report.assign(at=at, missing=report["missing"].astype(int))[
        ["step", "tensor", "max_abs_err", "at", "max_rel_err", "missing", "ok"]
    ]


def format_report(title: str, report: pd.DataFrame, limit: int = 20) -> str:
    """A readable table of the failing (step, tensor) groups, first divergence first."""
    bad = report[~report["ok"]]
    if bad.empty:
        return f"{title}: all {len(report)} (step, tensor) groups agree"
    first = bad.iloc[0]
    lines = [
        f"{title}: {len(bad)} of {len(report)} (step, tensor) groups differ; first divergence "
        f"at step {first['step']}, tensor {first['tensor']}",
        f"{'step':>6} {'tensor':<14} {'max abs err':>12} {'at':>9} {'max rel err':>12} missing",
    ]
    rows = [
        f"{r.step:>6} {r.tensor:<14} {r.max_abs_err:>12.3e} {r.at!s:>9} "
        f"{r.max_rel_err:>12.3e} {r.missing:>7}"
        for r in bad.head(limit).itertuples()
    ]
    return "\n".join(lines + with_rest(rows, len(bad)))


def with_rest(rows: list[str], total: int, indent: str = "") -> list[str]:
    """`rows`, the first of `total`, and a last line "... and N more" when some were left out."""
    cut = total - len(rows)
    return rows + ([f"{indent}... and {cut} more"] if cut > 0 else [])
