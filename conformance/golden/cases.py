"""Load and validate the golden cases in `data/` (the schema is documented in data/README.md).

A case is a folder `data/<id>/` holding `case.json` (what the case is), `case.txt` (case.json
flattened into key=value lines, `golden.flat`), and as its kind needs: `params.csv` (initial
parameters, in the case's layout), `data.csv` (X, Y, and Xq for a prediction query; the
perceptron's X and y), `expected.csv` (the generated trajectory) and `transcribed.csv` (figures
exactly as a tutorial prints them). Every problem raises
`CaseFormatError` naming the file and, where there is one, the row and column or the key;
`load_all` first checks the folder against its `MANIFEST.sha256` (`ManifestError`). Every
folder of a data folder is a case. `write_case` writes the inputs of a case (case.json,
case.txt, params.csv, data.csv) the same way, and the case's manifest lines.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # (the tables are read by conformance.golden.tensors, which imports pandas)
    import pandas as pd

from conformance.golden.flat import check_case_text, write_case_text
from conformance.golden.manifest import (
    MANIFEST,
    contents,
    regenerate_hint,
    update_manifest,
    verify,
)
from conformance.golden.meaning import check_data, check_params, check_trajectory, check_transcribed
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


def load_case(
    path: Path,
    *,
    check_manifest: bool = True,
    check_promises: bool = True,
    check_text: bool = True,
) -> Case:
    """Read one case folder and validate everything in it: the keys and values of case.json,
    every file's syntax, every tensor's shape against the case's sizes and layout, that
    expected.csv holds every tensor the case promises (`golden.meaning`), and last that case.txt
    is exactly case.json flattened (`golden.flat`; a missing, stale or edited case.txt is a
    `CaseFormatError` naming it and the command that rewrites it). When the folder lies in a
    golden data folder with a manifest (and `check_manifest`), the case's files must match it
    first (`ManifestError` otherwise). `check_promises=False` reads expected.csv for its syntax
    only, and `check_text=False` leaves case.txt unread: for `regenerate`, which rewrites both.

    A folder read before in this process with the same checks, whose `manifest.contents`
    (every file's bytes, links followed; and the manifest's, when checked) are the same as
    then, gives a copy of the case read then (with `path` as given) without parsing a file:
    the same bytes, the same case and the same verdict. A case is kept only when its folder's
    contents did not change while it was read."""
    path = Path(path)
    key = (os.path.realpath(path), check_manifest, check_promises, check_text)
    manifest = (path.parent / MANIFEST,) if check_manifest else ()
    before = contents(path, manifest)
    if key in _CASES and _CASES[key][0] == before:
        return dataclasses.replace(copy.deepcopy(_CASES[key][1]), path=path)
    case = _read_case(path, check_manifest, check_promises, check_text)
    if contents(path, manifest) == before:
        if len(_CASES) >= 256:  # (the golden cases, each read with two or three sets of checks)
            _CASES.clear()
        _CASES[key] = (before, copy.deepcopy(case))
    return case


_CASES: dict[tuple[str, bool, bool, bool], tuple[dict[str, str], Case]] = {}
"""The case folders `load_case` read in this process: {(folder, checks): (contents, case)}."""


def _read_case(path: Path, check_manifest: bool, check_promises: bool, check_text: bool) -> Case:
    """`load_case`'s reading and checking, every file read."""
    if check_manifest and (path.parent / MANIFEST).is_file():
        verify(path.parent, path.name)
    meta = read_meta(path)
    spec = params = None
    data: dict[str, np.ndarray] = {}
    if meta["kind"] == "network":
        spec = spec_from_meta(path / "case.json", meta)
        file = path / "params.csv"
        frame = read_table(file, TENSOR_COLUMNS)
        arrays = frame_to_arrays(file, frame)
        check_params(file, frame, arrays, meta)
        params = params_from_layout(file, meta["layout"], arrays, spec.depth, spec.bias)
    if meta["kind"] in ("network", "perceptron"):
        file = path / "data.csv"
        frame = read_table(file, TENSOR_COLUMNS)
        data = frame_to_arrays(file, frame)
        check_data(file, frame, data, meta)
    expected = recorded = None
    file = path / "expected.csv"
    if file.exists():
        expected = read_table(file, TRAJECTORY_COLUMNS)
        if check_promises:
            recorded = check_trajectory(file, expected, meta, data)
    transcribed = None
    file = path / "transcribed.csv"
    if file.exists():
        transcribed = check_transcribed(file, read_table(file, TRANSCRIBED_COLUMNS), recorded)
    if check_text:
        check_case_text(path, meta)
    return Case(meta["id"], path, meta, spec, params, data, expected, transcribed)


def case_dirs(root: Path = DATA) -> list[Path]:
    """Every case folder under `root`, sorted by name: every folder there (but hidden ones) is a
    case, so one without a case.json is an error, never a case silently left out."""
    root = Path(root)
    if not root.is_dir():
        raise CaseFormatError(f"{root}: no such folder of golden cases")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in folders:
        if not (folder / "case.json").is_file():
            raise CaseFormatError(
                f"{folder / 'case.json'}: file missing; every folder of {root} is a case and "
                f"needs one. {regenerate_hint(root)}"
            )
    return folders


_LOADED: dict[str, tuple[dict[str, str], list[Case]]] = {}
"""The folders `load_all` read in this process: {folder: (their contents then, the cases)}."""


def load_all(root: Path = DATA) -> list[Case]:
    """Every case under `root`, validated, after checking every file under `root` against its
    manifest (`ManifestError`: a file modified, missing or extra, or no manifest at all).

    A folder read before in this process whose `manifest.contents` (every file's bytes, the
    manifest's included) are the same as then gives copies of the cases read then, without
    parsing a file: the same bytes, the same cases and the same verdict."""
    root = Path(root)
    if not root.is_dir():
        raise CaseFormatError(f"{root}: no such folder of golden cases")
    key = os.path.realpath(root)
    before = contents(root)
    if key in _LOADED and _LOADED[key][0] == before:
        return [
            dataclasses.replace(c, path=root / c.path.name) for c in copy.deepcopy(_LOADED[key][1])
        ]
    verify(root)
    folders = case_dirs(root)
    if not folders:
        raise CaseFormatError(f"{root}: holds no case folder")
    cases = [load_case(p, check_manifest=False) for p in folders]
    if len(_LOADED) >= 8:  # (a process reads one or two folders; tests read many copies)
        _LOADED.clear()
    if contents(root) == before:
        _LOADED[key] = (before, copy.deepcopy(cases))
    return cases


def write_case(
    folder: Path,
    meta: dict[str, Any],
    params: Params | None = None,
    data: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a case's inputs into `folder` (made if missing): case.json (`meta`, validated by
    reading it back), case.txt (case.json flattened, `golden.flat`), params.csv (`params` in
    the case's layout) and data.csv (`data`, arrays by name: X, Y, ...). An expected.csv or
    transcribed.csv already there described the old inputs and is removed; `python -m
    conformance.golden regenerate` writes the new expected values. When `folder` lies in a
    golden data folder with a manifest, the case's manifest lines are rewritten. Returns the
    folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_case_text(folder, read_meta(folder))
    for stale in ("expected.csv", "transcribed.csv"):
        (folder / stale).unlink(missing_ok=True)
    header = list(TENSOR_COLUMNS)
    if params is not None:
        arrays = named_in_layout(meta.get("layout", "t1"), params.W, params.b)
        write_rows(folder / "params.csv", header, arrays_to_rows(arrays))
    if data is not None:
        write_rows(folder / "data.csv", header, arrays_to_rows(data))
    if (folder.parent / MANIFEST).is_file():
        update_manifest(folder.parent, [folder.name])
    return folder
