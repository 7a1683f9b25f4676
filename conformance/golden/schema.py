"""The schema of `case.json`: which keys each kind of case has, their types, and the checks of
their values that need no other file (documented for port authors in data/README.md).

Not for: the numeric files (`conformance.golden.tensors`) or whole cases (`golden.cases`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.golden.tensors import CaseFormatError
from scratch.layouts import LAYOUTS

KINDS = ("network", "perceptron", "init")

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
