"""Load and validate the golden cases in `data/` (the schema is documented in data/README.md).

A case is a folder `data/<id>/` holding `case.json` (what the case is), and as its kind needs:
`params.csv` (initial parameters, in the case's layout), `data.csv` (X, Y, and Xq for a
prediction query; the perceptron's X and y), `expected.csv` (the generated trajectory) and
`transcribed.csv` (figures exactly as a tutorial prints them). Every problem raises
`CaseFormatError` naming the file and, where there is one, the row and column. `write_case`
writes the inputs of a case (case.json, params.csv, data.csv) the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.golden.schema import (
    TENSOR_COLUMNS,
    TRAJECTORY_COLUMNS,
    TRANSCRIBED_COLUMNS,
    read_meta,
)
from conformance.golden.tensors import (
    CaseFormatError,
    arrays_to_rows,
    frame_to_arrays,
    read_table,
    write_rows,
)
from conformance.tolerances import half_unit
from scratch import NetworkSpec, Params
from scratch.errors import MLPInputError
from scratch.layouts import from_t1, from_t2, from_t3, named_in_layout

DATA = Path(os.environ.get("MLP_CONFORMANCE_DATA", Path(__file__).resolve().parents[2] / "data"))
"""The golden cases: the repository's data/, or the folder named by $MLP_CONFORMANCE_DATA."""

__all__ = [
    "DATA",
    "TRAJECTORY_COLUMNS",
    "Case",
    "CaseFormatError",
    "case_dirs",
    "load_all",
    "load_case",
    "params_from_layout",
    "spec_from_meta",
    "write_case",
]


@dataclass(frozen=True)
class Case:
    """One golden case, validated. Arrays are float64; `params` is in the internal layout."""

    id: str
    path: Path
    meta: dict[str, Any]
    spec: NetworkSpec | None = None
    params: Params | None = None
    data: dict[str, np.ndarray] = field(default_factory=dict)
    expected: pd.DataFrame | None = None
    transcribed: pd.DataFrame | None = None

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def layout(self) -> str:
        return self.meta.get("layout", "t1")


def params_from_layout(
    file: Path, layout: str, arrays: dict[str, np.ndarray], depth: int, bias: bool
) -> Params:
    """W1..WL and b1..bL in `layout` (as read from CSV) -> internal `Params`."""
    expected = {f"W{l}" for l in range(1, depth + 1)}
    if bias:
        expected |= {f"b{l}" for l in range(1, depth + 1)}
    if set(arrays) != expected:
        raise CaseFormatError(
            f"{file}: tensors {sorted(arrays)} but the network needs exactly {sorted(expected)}"
        )
    W = [arrays[f"W{l}"] for l in range(1, depth + 1)]
    b = [arrays[f"b{l}"] for l in range(1, depth + 1)] if bias else None
    try:
        if layout == "t1":
            return from_t1(W, None if b is None else [x.ravel() for x in b])
        return (from_t2 if layout == "t2" else from_t3)(W, b)
    except MLPInputError as err:
        raise CaseFormatError(f"{file}: {err}") from None


def _check_transcribed(file: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Each tolerance must be exactly half a unit in the last printed place of `printed`."""
    values, tolerances = [], []
    for i, (printed, tolerance) in enumerate(
        zip(frame["printed"], frame["tolerance"], strict=True)
    ):
        try:
            figure = Decimal(printed)
            tol = Decimal(tolerance)
            rule = half_unit(printed)
        except InvalidOperation:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'printed' or 'tolerance': not a decimal number"
            ) from None
        if tol != rule:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'tolerance': {tolerance} is not half a unit in the "
                f"last printed place of {printed} ({rule})"
            )
        values.append(float(figure))
        tolerances.append(float(tol))
    dup = frame["check"].duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise CaseFormatError(f"{file}, row {i + 2}, column 'check': repeated check id")
    return frame.assign(value=values, tol=tolerances)


def spec_from_meta(file: Path, meta: dict[str, Any]) -> NetworkSpec:
    """The `NetworkSpec` of a network case's "network" entry; `CaseFormatError` if invalid."""
    net = meta["network"]
    try:
        return NetworkSpec(
            tuple(net["sizes"]),
            tuple(net["activations"]),
            net["loss"],
            net["reduction"],
            net["bias"],
        )
    except MLPInputError as err:
        raise CaseFormatError(f"{file}, key 'network': {err}") from None


def load_case(path: Path) -> Case:
    """Read one case folder and validate everything in it."""
    path = Path(path)
    meta = read_meta(path)
    spec = params = None
    data: dict[str, np.ndarray] = {}
    if meta["kind"] == "network":
        spec = spec_from_meta(path / "case.json", meta)
        file = path / "params.csv"
        arrays = frame_to_arrays(file, read_table(file, TENSOR_COLUMNS))
        params = params_from_layout(file, meta["layout"], arrays, spec.depth, spec.bias)
    if meta["kind"] in ("network", "perceptron"):
        file = path / "data.csv"
        data = frame_to_arrays(file, read_table(file, TENSOR_COLUMNS))
        needed = {"X", "Y"} if meta["kind"] == "network" else {"X", "y"}
        if meta.get("query"):
            needed.add("Xq")
        if set(data) != needed:
            raise CaseFormatError(f"{file}: tensors {sorted(data)}, expected {sorted(needed)}")
    expected = None
    file = path / "expected.csv"
    if file.exists():
        expected = read_table(file, TRAJECTORY_COLUMNS)
    transcribed = None
    file = path / "transcribed.csv"
    if file.exists():
        transcribed = _check_transcribed(file, read_table(file, TRANSCRIBED_COLUMNS))
    return Case(meta["id"], path, meta, spec, params, data, expected, transcribed)


def case_dirs(root: Path = DATA) -> list[Path]:
    """Every case folder under `root` (a folder with a case.json), sorted by name."""
    return sorted(p.parent for p in Path(root).glob("*/case.json"))


def load_all(root: Path = DATA) -> list[Case]:
    """Every case under `root`, validated."""
    return [load_case(p) for p in case_dirs(root)]


def write_case(
    folder: Path,
    meta: dict[str, Any],
    params: Params | None = None,
    data: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a case's inputs into `folder` (made if missing): case.json (`meta`, validated by
    reading it back), params.csv (`params` in the case's layout) and data.csv (`data`, arrays
    by name: X, Y, ...). Its expected values are written by `python -m conformance.golden
    regenerate`. Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
    read_meta(folder)
    header = list(TENSOR_COLUMNS)
    if params is not None:
        arrays = named_in_layout(meta.get("layout", "t1"), params.W, params.b)
        write_rows(folder / "params.csv", header, arrays_to_rows(arrays))
    if data is not None:
        write_rows(folder / "data.csv", header, arrays_to_rows(data))
    return folder
