"""Load and validate the golden cases in `data/` (the schema is documented in data/README.md).

A case is a folder `data/<id>/` holding `case.json` (what the case is), and as its kind needs:
`params.csv` (initial parameters, in the case's layout), `data.csv` (X, Y, and Xq for a
prediction query; the perceptron's X and y), `expected.csv` (the generated trajectory) and
`transcribed.csv` (figures exactly as a tutorial prints them). Every problem raises
`CaseFormatError` naming the file and, where there is one, the row and column.
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

from conformance.golden.tensors import CaseFormatError, frame_to_arrays, read_table
from scratch import NetworkSpec, Params
from scratch.errors import MLPInputError
from scratch.layouts import from_t1, from_t2, from_t3

DATA = Path(os.environ.get("MLP_CONFORMANCE_DATA", Path(__file__).resolve().parents[2] / "data"))
"""The golden cases: the repository's data/, or the folder named by $MLP_CONFORMANCE_DATA."""

KINDS = ("network", "perceptron", "init")
LAYOUTS = ("t1", "t2", "t3")

TENSOR_COLUMNS = {"tensor": "str", "row": "int", "col": "int", "value": "float"}
TRAJECTORY_COLUMNS = {"step": "int", **TENSOR_COLUMNS}
TRANSCRIBED_COLUMNS = {
    "check": "str",
    "step": "int",
    "tensor": "str",
    "row": "int",
    "col": "int",
    "printed": "str",
    "tolerance": "str",
    "source": "str",
}

_KEYS = {
    # key: (required, type) per kind; "source" and the rest are common
    "common": {
        "id": (True, str),
        "kind": (True, str),
        "source": (True, dict),
        "description": (True, str),
    },
    "network": {
        "layout": (True, str),
        "network": (True, dict),
        "training": (True, dict),
        "record": (True, dict),
        "query": (False, bool),
        "init": (False, dict),
    },
    "perceptron": {"perceptron": (True, dict)},
    "init": {"layout": (True, str), "init": (True, dict)},
}
_SUBKEYS = {
    "source": {"tutorial": (True, str), "section": (True, str), "file": (True, str)},
    "network": {
        "sizes": (True, list),
        "activations": (True, list),
        "loss": (True, str),
        "reduction": (True, str),
        "bias": (True, bool),
    },
    "training": {
        "lr": (True, (int, float)),
        "steps": (True, int),
        "objective": (True, str),
        "maximize": (True, bool),
        "freeze_biases": (False, bool),
    },
    "record": {"every_step": (True, list), "full_steps": (True, list)},
    "init": {"recipe": (True, str), "sizes": (True, list), "seed": (True, int)},
    "perceptron": {
        "eta": (True, (int, float)),
        "max_epochs": (True, int),
        "w0": (True, list),
        "b0": (True, (int, float)),
    },
}
RECIPES = ("t2", "t4", "standard_normal")


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


def _check_keys(where: str, obj: dict, spec: dict[str, tuple[bool, Any]]) -> None:
    for key, (required, kind) in spec.items():
        if key not in obj:
            if required:
                raise CaseFormatError(f"{where}: missing key '{key}'")
            continue
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise CaseFormatError(f"{where}: key '{key}' must be {names}, got {value!r}")
    unknown = sorted(set(obj) - set(spec))
    if unknown:
        raise CaseFormatError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(spec)}")


def read_meta(path: Path) -> dict[str, Any]:
    """Read and validate `case.json`: keys by kind, no unknown (misspelled) key."""
    file = path / "case.json"
    if not file.is_file():
        raise CaseFormatError(f"{file}: file missing")
    try:
        meta = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise CaseFormatError(f"{file}, line {err.lineno}, column {err.colno}: {err.msg}") from None
    if not isinstance(meta, dict):
        raise CaseFormatError(f"{file}: must hold a JSON object")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise CaseFormatError(f"{file}: key 'kind' must be one of {KINDS}, got {kind!r}")
    _check_keys(str(file), meta, {**_KEYS["common"], **_KEYS[kind]})
    for key, spec in _SUBKEYS.items():
        if key in meta:
            _check_keys(f"{file}, key '{key}'", meta[key], spec)
    if meta["id"] != path.name:
        raise CaseFormatError(f"{file}: id {meta['id']!r} must equal the folder name {path.name!r}")
    if "layout" in meta and meta["layout"] not in LAYOUTS:
        raise CaseFormatError(f"{file}: layout must be one of {LAYOUTS}, got {meta['layout']!r}")
    if "init" in meta and meta["init"]["recipe"] not in RECIPES:
        raise CaseFormatError(f"{file}: init recipe must be one of {RECIPES}")
    if kind == "network":
        training = meta["training"]
        if training["objective"] not in ("cost", "output"):
            raise CaseFormatError(f"{file}: training.objective must be 'cost' or 'output'")
        steps = training["steps"]
        bad = [
            s for s in meta["record"]["full_steps"] if not isinstance(s, int) or not 0 <= s < steps
        ]
        if bad:
            raise CaseFormatError(f"{file}: record.full_steps {bad} are not steps 0..{steps - 1}")
    return meta


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
        except InvalidOperation:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'printed' or 'tolerance': not a decimal number"
            ) from None
        half_unit = Decimal(5).scaleb(figure.as_tuple().exponent - 1)
        if tol != half_unit:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'tolerance': {tolerance} is not half a unit in the "
                f"last printed place of {printed} ({half_unit})"
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
