"""The long tensor format of the golden CSV files, and the conversions to and from arrays.

Every numeric file of a case holds one value per line, ``tensor,row,col,value`` (trajectory
files add a leading ``step``). A tensor's shape is (1 + max row, 1 + max col) and every cell must
be present exactly once. One-dimensional vectors (T1's biases) are stored as a column (col 0).
Values are written with 17 significant digits, which round-trips every float64 exactly.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from scratch.errors import MLPInputError


class CaseFormatError(MLPInputError):
    """A golden file is malformed or incomplete; the message names the file, row and column."""


def format_value(x: float) -> str:
    """17 significant digits: enough to round-trip any float64 exactly."""
    return format(float(x), ".17g")


def read_table(path: Path, columns: dict[str, str], text: str | None = None) -> pd.DataFrame:
    """Read a CSV whose header must be exactly `columns` (name -> "int", "float" or "str").

    `text`, if given, is the CSV itself and `path` only names it in messages (a port's output).
    Raises `CaseFormatError` naming the file, and the row (the line number in the file) and
    column of the first bad cell: a missing or unknown column, an empty cell, a non-number.
    """
    if text is None and not path.is_file():
        raise CaseFormatError(f"{path}: file missing")
    try:
        source = path if text is None else io.StringIO(text)
        raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CaseFormatError(f"{path}: not a readable CSV file ({err})") from None
    header = list(raw.columns)
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing or unknown:
        raise CaseFormatError(
            f"{path}, row 1 (header): missing column(s) {missing}, unknown column(s) {unknown}; "
            f"expected exactly {list(columns)}"
        )
    out = {}
    for name, kind in columns.items():
        cells = raw[name].str.strip()
        empty = np.flatnonzero(cells == "")
        if kind != "str" and len(empty):
            raise CaseFormatError(f"{path}, row {empty[0] + 2}, column '{name}': empty cell")
        if kind == "str":
            out[name] = cells
            continue
        values = pd.to_numeric(cells, errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            i = bad[0]
            raise CaseFormatError(
                f"{path}, row {i + 2}, column '{name}': {cells.iloc[i]!r} is not a number"
            )
        if kind == "int":
            if not (values == values.round()).all():
                i = np.flatnonzero((values != values.round()).to_numpy())[0]
                raise CaseFormatError(
                    f"{path}, row {i + 2}, column '{name}': {cells.iloc[i]!r} is not an integer"
                )
            values = values.astype(np.int64)
        else:
            values = values.astype(np.float64)
            nonfinite = np.flatnonzero(~np.isfinite(values.to_numpy()))
            if len(nonfinite):
                i = nonfinite[0]
                raise CaseFormatError(
                    f"{path}, row {i + 2}, column '{name}': {cells.iloc[i]!r} is not finite"
                )
        out[name] = values
    return pd.DataFrame(out, index=raw.index)


def _grouped_arrays(path: Path, frame: pd.DataFrame, keys: list[str]) -> dict:
    """Group a long frame by `keys` into arrays, checking each is complete: every (row, col)
    of its shape (1 + max row, 1 + max col) present exactly once, none negative."""
    rows, cols = frame["row"].to_numpy(), frame["col"].to_numpy()
    values = frame["value"].to_numpy(dtype=np.float64)
    arrays = {}
    for key, index in frame.groupby(keys, sort=False).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        name = str(key[-1])
        r, c = rows[index], cols[index]
        negative = np.flatnonzero((r < 0) | (c < 0))
        if len(negative):
            line = int(frame.index[index[negative[0]]]) + 2
            raise CaseFormatError(f"{path}, row {line}: negative row/col for tensor {name!r}")
        shape = (int(r.max()) + 1, int(c.max()) + 1)
        cells = r * shape[1] + c
        dup = pd.Series(cells).duplicated().to_numpy()
        if dup.any():
            line = int(frame.index[index[np.flatnonzero(dup)[0]]]) + 2
            raise CaseFormatError(f"{path}, row {line}: tensor {name!r} repeats a cell")
        if len(cells) != shape[0] * shape[1]:
            raise CaseFormatError(
                f"{path}: tensor {name!r} of shape {shape} has {len(cells)} of "
                f"{shape[0] * shape[1]} cells; every (row, col) must be present"
            )
        A = np.empty(shape)
        A.flat[cells] = values[index]
        arrays[(int(key[0]), name) if len(keys) == 2 else name] = A
    return arrays


def frame_to_arrays(path: Path, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A (tensor, row, col, value) frame -> {tensor: array of shape (rows, cols)}, each complete;
    `CaseFormatError` naming `path` and the row otherwise."""
    return _grouped_arrays(path, frame, ["tensor"])


def trajectory_arrays(path: Path, frame: pd.DataFrame) -> dict[tuple[int, str], np.ndarray]:
    """A (step, tensor, row, col, value) frame -> {(step, tensor): array}, each complete: the one
    conversion from the golden long format back to arrays."""
    return _grouped_arrays(path, frame, ["step", "tensor"])


def arrays_to_rows(arrays: dict[str, np.ndarray], step: int | None = None) -> list[list[object]]:
    """Long rows (step,) tensor, row, col, value for each array (1-D arrays as a column)."""
    rows: list[list[object]] = []
    for name, A in arrays.items():
        A = np.asarray(A, dtype=np.float64)
        A2 = (
            A.reshape(-1, 1)
            if A.ndim == 1
            else A.reshape(A.shape[0], -1)
            if A.ndim
            else A.reshape(1, 1)
        )
        for (r, c), x in np.ndenumerate(A2):
            row = [name, r, c, format_value(x)]
            rows.append(row if step is None else [step, *row])
    return rows


def write_rows(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write rows as CSV with a header line (LF line ends; a text cell is quoted only if it
    holds a comma or a quote)."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
