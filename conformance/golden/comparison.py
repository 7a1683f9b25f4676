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


def _cell_keys(
    frame: pd.DataFrame, names: pd.Index, bounds: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(key, group key) of each row of `frame`: its (step, tensor, row, col) and its (step,
    tensor) as one int64 each, the tensor numbered by its place in `names` and step, row and
    col within `bounds` (the largest + 1 of each in the expected frame); -1 for a row that
    no expected cell (group) can match: an unknown name, or a number outside the bounds."""
    steps, rows, cols = (frame[k].to_numpy(np.int64) for k in ("step", "row", "col"))
    tensor = names.get_indexer(frame["tensor"].to_numpy())
    n_steps, n_rows, n_cols = bounds
    known = (tensor >= 0) & (steps >= 0) & (steps < n_steps)
    inside = known & (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
    group = np.where(known, steps * len(names) + tensor, -1)
    key = np.where(inside, (group * n_rows + rows) * n_cols + cols, -1)
    return key, group


def compare_frames(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    tol: Tolerance = FLOAT64,
    extra: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per (step, tensor) of `expected`, in the order they first appear there: max abs
    and rel error, the (row, col) of the largest abs error (its first cell) and, there, the
    expected and actual values, whether it is missing, and the error allowed; the group's
    cells, how many of them are out of tolerance (`bad`, missing ones included), how many are
    missing, how many are NaN or Inf in `actual` (`nonfinite`), ok; its expected shape (`rows`,
    `cols`: 1 + the largest row and col) and how many rows `actual` gives for that step and
    tensor (`printed`: more than cells - missing when some lie outside the expected cells).

    Cells missing from `actual` count as failures (error inf, actual NaN in `actual_at`), and so
    do NaN and Inf in `actual` (error inf); extra cells in `actual` are ignored (a port may
    record more than a case asks for). Each cell of `expected` is looked up in `actual` by its
    (step, tensor, row, col), packed into one integer; then every group is reduced at once.
    `extra`, one value per row of `expected`, is an allowed error added to the tolerance's,
    cell by cell (a float32 port's bound, `conformance.roundoff`; +inf: any finite value
    passes, while a missing or non-finite one still fails, as it does against an infinite
    expected value).
    """
    columns = [
        "step", "tensor", "max_abs_err", "at", "max_rel_err", "expected_at", "actual_at",
        "missing_at", "allowed_at", "cells", "bad", "missing", "nonfinite", "ok", "rows",
        "cols", "printed",
    ]  # fmt: skip
    if expected.empty:
        return pd.DataFrame({c: [] for c in columns})
    steps, tensors = expected["step"].to_numpy(np.int64), expected["tensor"].to_numpy()
    rows, cols = expected["row"].to_numpy(np.int64), expected["col"].to_numpy(np.int64)
    e = expected["value"].to_numpy(dtype=np.float64)
    names = pd.Index(pd.unique(tensors))  # (matched by value, as `actual` gives them)
    bounds = (int(steps.max()) + 1, int(rows.max()) + 1, int(cols.max()) + 1)
    keys = bounds[0] * len(names) * bounds[1] * bounds[2]  # (a Python int: no overflow)
    if min(steps.min(), rows.min(), cols.min()) < 0 or keys >= 2**62:
        raise ValueError("compare_frames: `expected` has a negative or an outsized index")
    want, group_key = _cell_keys(expected, names, bounds)
    have, have_group = _cell_keys(actual, names, bounds)
    matched = have[have >= 0]
    if len(np.unique(matched)) != len(matched):
        raise ValueError("compare_frames: `actual` gives some cell twice")
    where = pd.Index(matched).get_indexer(want)
    a_values = actual["value"].to_numpy(dtype=np.float64)[have >= 0]
    a = np.append(a_values, np.nan)[where]  # -1: not found
    missing = where < 0
    nonfinite = ~missing & ~np.isfinite(a)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(missing | nonfinite, np.inf, np.abs(a - e))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(e))
    # group number of each cell, numbered in order of first appearance; cells sorted by group
    group, first = pd.factorize(group_key, sort=False)
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
    per_group = lambda ufunc, x: ufunc.reduceat(x[order], starts)  # noqa: E731
    largest = per_group(np.maximum, np.abs(e))[group]
    allowed = tol.allowed(e, largest)
    if extra is not None:
        allowed = allowed + np.asarray(extra, dtype=np.float64)
    ok = (diff <= allowed) & ~missing & ~nonfinite  # (inf <= an infinite allowance)
    max_abs = per_group(np.maximum, diff)
    position = np.arange(len(e))
    worst = per_group(np.minimum, np.where(diff == max_abs[group], position, len(e)))
    printed = pd.Index(first).get_indexer(have_group[have_group >= 0])
    return pd.DataFrame(
        {
            "step": first // len(names),
            "tensor": names.to_numpy()[first % len(names)],
            "max_abs_err": max_abs,
            "at": list(zip(rows[worst].tolist(), cols[worst].tolist(), strict=True)),
            "max_rel_err": per_group(np.maximum, rel),
            "expected_at": e[worst],
            "actual_at": a[worst],
            "missing_at": missing[worst],
            "allowed_at": allowed[worst],
            "cells": per_group(np.add, np.ones(len(e), dtype=np.int64)),
            "bad": per_group(np.add, (~ok).astype(np.int64)),
            "missing": per_group(np.add, missing.astype(np.int64)),
            "nonfinite": per_group(np.add, nonfinite.astype(np.int64)),
            "ok": per_group(np.logical_and, ok),
            "rows": per_group(np.maximum, rows) + 1,
            "cols": per_group(np.maximum, cols) + 1,
            "printed": np.bincount(printed[printed >= 0], minlength=len(first)),
        }
    )


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
