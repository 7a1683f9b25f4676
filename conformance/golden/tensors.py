"""The long tensor format of the golden CSV files, and the conversions to and from arrays.

Every numeric file of a case holds one value per line, ``tensor,row,col,value`` (trajectory
files add a leading ``step``). A tensor's shape is (1 + max row, 1 + max col) and every cell must
be present exactly once. One-dimensional vectors (T1's biases) are stored as a column (col 0).
Values are written with 17 significant digits, which round-trips every float64 exactly.
Files are read as UTF-8 (`read_text`): a byte-order mark and CRLF line ends are accepted, any
other byte that is not UTF-8 is an error naming its offset.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

# pandas (0.3 to 0.4 s to import) is imported by the functions that build or group a frame, so that
# a port answering requests (conformance.ports.request) starts without it.
if TYPE_CHECKING:
    import pandas as pd

from scratch.errors import MLPInputError


class CaseFormatError(MLPInputError):
    """A golden file is malformed or incomplete; the message names the file, row and column."""


def format_value(x: float) -> str:
    """17 significant digits: enough to round-trip any float64 exactly."""
    return format(float(x), ".17g")


BOM = b"\xef\xbb\xbf"


def read_text(path: Path, data: bytes | None = None) -> str:
    """The text of a golden file (`data`, its bytes, if already read): UTF-8 with or without a
    byte-order mark, CRLF or LF line ends (returned as LF). Raises `CaseFormatError` for a
    missing file, and for bytes that are not UTF-8, naming the byte offset and its line."""
    if data is None:
        if not path.is_file():
            raise CaseFormatError(f"{path}: file missing")
        data = path.read_bytes()
    skip = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skip + err.start
        line = data.count(b"\n", 0, offset) + 1
        raise CaseFormatError(
            f"{path}, byte {offset} (line {line}): byte 0x{data[offset]:02x} is not UTF-8 "
            f"({err.reason}); golden files are UTF-8 text"
        ) from None
    return text.replace("\r\n", "\n")


def _records(path: Path, text: str, width: int) -> list[list[str]]:
    """The CSV records after the header, each of exactly `width` cells; a blank line is an
    error unless only blank lines follow it. Record i is line i + 2 of the file."""
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not rows[-1]:
        rows.pop()
    for i, row in enumerate(rows[1:]):
        if len(row) != width:
            what = "a blank line" if not row else f"{len(row)} cell{'s' * (len(row) != 1)}"
            raise CaseFormatError(
                f"{path}, row {i + 2}: {what}, but the header has {width} columns"
            )
    return rows[1:]


def read_table(
    path: Path, columns: dict[str, str], text: str | None = None, nonfinite: bool = False
) -> pd.DataFrame:
    """Read a CSV whose header must be exactly `columns` (name -> "int", "float" or "str").

    `text`, if given, is the CSV itself and `path` only names it in messages (a port's output).
    `nonfinite`: "float" columns may hold NaN and +-Inf (spelled as Python and C print them:
    nan, -nan, inf, -inf, infinity, any case), read as such (a port's output, graded per group).
    Raises `CaseFormatError` naming the file, and the row (the line number in the file) and
    column of the first bad cell: a missing or unknown column, a row of the wrong width, an
    empty cell, a non-number, a non-integer (row, col, step), a value that is not finite.
    A header with no rows is a valid, empty table. The frame's index i is line i + 2.
    """
    import pandas as pd

    if text is None:
        text = read_text(path)
    else:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as err:
        raise CaseFormatError(f"{path}, row 1 (header): not CSV ({err})") from None
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or repeated:
        raise CaseFormatError(
            f"{path}, row 1 (header): missing column(s) {missing}, unknown column(s) {unknown}"
            + (f", repeated column(s) {repeated}" if repeated else "")
            + f"; expected exactly {list(columns)}"
        )
    try:
        records = _records(path, text, len(header))
    except csv.Error as err:
        raise CaseFormatError(f"{path}: not CSV ({err})") from None
    table = list(zip(*records, strict=True)) if records else [()] * len(header)
    by_column = dict(zip(header, table, strict=True))
    out = {}
    for name, kind in columns.items():
        cells = [cell.strip() for cell in by_column[name]]
        if kind == "str":
            out[name] = np.array(cells, dtype=object)
            continue
        if "" in cells:
            i = cells.index("")
            raise CaseFormatError(f"{path}, row {i + 2}, column '{name}': empty cell")
        values = pd.to_numeric(np.array(cells, dtype=object), errors="coerce").astype(np.float64)
        spelled_nan = np.isnan(values)
        if nonfinite and kind == "float" and spelled_nan.any():
            words = np.char.lstrip(np.char.lower(np.array(cells, dtype=str)), "+-")
            spelled_nan &= words != "nan"
        bad = np.flatnonzero(spelled_nan)
        if len(bad):
            i = bad[0]
            raise CaseFormatError(
                f"{path}, row {i + 2}, column '{name}': {cells[i]!r} is not a number"
            )
        finite = np.isfinite(values)
        if kind == "int":
            whole = finite & (np.abs(values) <= 2**53)
            whole[whole] = values[whole] == np.round(values[whole])
            if not whole.all():
                i = np.flatnonzero(~whole)[0]
                raise CaseFormatError(
                    f"{path}, row {i + 2}, column '{name}': {cells[i]!r} is not an integer"
                )
            out[name] = values.astype(np.int64)
            continue
        if not finite.all() and not nonfinite:
            i = np.flatnonzero(~finite)[0]
            raise CaseFormatError(
                f"{path}, row {i + 2}, column '{name}': {cells[i]!r} is not finite"
            )
        out[name] = values
    return pd.DataFrame(out)


def _grouped_arrays(path: Path, frame: pd.DataFrame, keys: list[str]) -> dict:
    """Group a long frame by `keys` into arrays, checking each is complete: every (row, col)
    of its shape (1 + max row, 1 + max col) present exactly once, none negative.

    The checks run over every group at once. The first group (in order of first appearance)
    with a problem is named: a negative row or col first, then a repeated cell (its second
    line), then missing cells; a line is the frame's index + 2. Groups come out in order of
    first appearance."""
    import pandas as pd

    if len(frame) == 0:
        return {}
    rows, cols = frame["row"].to_numpy(np.int64), frame["col"].to_numpy(np.int64)
    values = frame["value"].to_numpy(dtype=np.float64)
    names = frame["tensor"].to_numpy()
    if len(keys) > 1:
        group, uniques = pd.MultiIndex.from_frame(frame[keys]).factorize()
    else:
        group, uniques = pd.factorize(names, sort=False)
    count, n = len(uniques), len(frame)
    line = lambda i: int(frame.index[i]) + 2  # noqa: E731
    # the first negative cell of each group, and the first repeat (a later line of a cell)
    negative = np.full(count, n)
    bad = np.flatnonzero((rows < 0) | (cols < 0))
    np.minimum.at(negative, group[bad], bad)
    order = np.lexsort((cols, rows, group))  # by group, then cell; file order within a cell
    same = (np.diff(group[order]) == 0) & (np.diff(rows[order]) == 0) & (np.diff(cols[order]) == 0)
    repeat = np.full(count, n)
    later = order[1:][same]
    np.minimum.at(repeat, group[later], later)
    height = np.zeros(count, dtype=np.int64)
    width = np.zeros(count, dtype=np.int64)
    np.maximum.at(height, group, rows + 1)
    np.maximum.at(width, group, cols + 1)
    present = np.bincount(group, minlength=count)
    cells = height.astype(object) * width.astype(object)  # Python ints: no overflow
    incomplete = present.astype(object) != cells
    problem = (negative < n) | (repeat < n) | incomplete.astype(bool)
    if problem.any():
        g = int(np.flatnonzero(problem)[0])
        if negative[g] < n:
            i = negative[g]
            raise CaseFormatError(
                f"{path}, row {line(i)}: negative row/col for tensor {names[i]!r}"
            )
        if repeat[g] < n:
            i = repeat[g]
            raise CaseFormatError(f"{path}, row {line(i)}: tensor {names[i]!r} repeats a cell")
        name = names[np.flatnonzero(group == g)[0]]
        shape = (int(height[g]), int(width[g]))
        raise CaseFormatError(
            f"{path}: tensor {name!r} of shape {shape} has {present[g]} of "
            f"{cells[g]} cells; every (row, col) must be present"
        )
    starts = np.r_[0, np.cumsum(present)[:-1]]
    arrays = {}
    for g, key in enumerate(uniques):
        index = order[starts[g] : starts[g] + present[g]]  # this group's cells, row by row
        A = np.empty((int(height[g]), int(width[g])))
        A.flat[rows[index] * width[g] + cols[index]] = values[index]
        key = key if isinstance(key, tuple) else (key,)
        name = str(key[-1])
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
    """Long rows (step,) tensor, row, col, value for each array (1-D arrays as a column, a
    scalar as one cell, an empty array as none), row by row; the values as `format_value`
    writes them."""
    rows: list[list[object]] = []
    for name, A in arrays.items():
        A = np.asarray(A, dtype=np.float64)
        if A.size == 0:  # (before reshaping: a (0, k) array has no (0, -1) shape)
            continue
        A2 = (
            A.reshape(-1, 1)
            if A.ndim == 1
            else A.reshape(A.shape[0], -1)
            if A.ndim
            else A.reshape(1, 1)
        )
        r, c = np.divmod(np.arange(A2.size), A2.shape[1])
        texts = [format(x, ".17g") for x in A2.ravel().tolist()]
        lead = [name] if step is None else [step, name]
        rows += [[*lead, i, j, t] for i, j, t in zip(r.tolist(), c.tolist(), texts, strict=True)]
    return rows


def write_rows(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write rows as CSV with a header line (LF line ends; a text cell is quoted only if it
    holds a comma or a quote)."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
