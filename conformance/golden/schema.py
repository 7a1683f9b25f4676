"""The schema of `case.json`: which keys each kind of case has, their types, and the checks of
their values that need no other file (documented for port authors in data/README.md).

Not for: the numeric files (`conformance.golden.tensors`) or whole cases (`golden.cases`).
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.golden.tensors import CaseFormatError, read_text
from scratch.activations import ACTIVATIONS
from scratch.layouts import LAYOUTS
from scratch.losses import LOSSES

KINDS = ("network", "perceptron", "init")

REQUIRED = object()
"""The `Key.default` of a required key."""

OPTIMIZER_DEFAULTS = {"momentum": 0, "dampening": 0, "nesterov": False, "weight_decay": 0}
"""The `optimizer` section's defaults: `torch.optim.SGD`'s, plain gradient descent."""

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

NUMBER = (int, float)
"""A JSON number: an integer or a decimal (never a bool)."""


@dataclass(frozen=True)
class Key:
    """One key of case.json: its JSON type (`NUMBER` for int or float), for a list the type of
    its entries, and for an optional key its `default`, the value an absent key means (and what
    case.txt writes for it, `golden.flat`). A key without a default is required. An optional
    key with `written` False is one the format grew later (the `optimizer` section): case.txt
    writes it only where case.json has it, so the case.txt of every case made before it is
    unchanged, and a reader takes its default where no line names it."""

    type: type | tuple[type, ...]
    items: type | tuple[type, ...] | None = None
    default: Any = REQUIRED
    written: bool = True

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


_KEYS: dict[str, dict[str, Key]] = {
    # the keys of every kind ("common"), then each kind's own
    "common": {"id": Key(str), "kind": Key(str), "source": Key(dict), "description": Key(str)},
    "network": {
        "layout": Key(str),
        "network": Key(dict),
        "training": Key(dict),
        "record": Key(dict),
        "query": Key(bool, default=False),
        # no init section: params.csv was not made by a recipe (case.txt: init.recipe=none)
        "init": Key(dict, default={"recipe": "none"}),
        # no optimizer section: plain gradient descent (torch.optim.SGD's defaults)
        "optimizer": Key(dict, default=OPTIMIZER_DEFAULTS, written=False),
    },
    "perceptron": {"perceptron": Key(dict)},
    "init": {"layout": Key(str), "init": Key(dict)},
}
_SUBKEYS: dict[str, dict[str, Key]] = {
    "source": {"tutorial": Key(str), "section": Key(str), "file": Key(str)},
    "network": {
        "sizes": Key(list, int),
        "activations": Key(list, str),
        "loss": Key(str),
        "reduction": Key(str),
        "bias": Key(bool),
    },
    "training": {
        "lr": Key(NUMBER),
        "steps": Key(int),
        "objective": Key(str),
        "maximize": Key(bool),
        "freeze_biases": Key(bool, default=False),
        # 0: full batch; else mini-batches in the order data.csv's `order` gives
        "batch_size": Key(int, default=0, written=False),
    },
    "record": {"every_step": Key(list, str), "full_steps": Key(list, int)},
    "init": {"recipe": Key(str), "sizes": Key(list, int), "seed": Key(int)},
    "optimizer": {
        name: Key(bool if isinstance(value, bool) else NUMBER, default=value)
        for name, value in OPTIMIZER_DEFAULTS.items()
    },
    "perceptron": {
        "eta": Key(NUMBER),
        "max_epochs": Key(int),
        "w0": Key(list, NUMBER),
        "b0": Key(NUMBER),
    },
}


def keys_of(kind: str) -> dict[str, Key]:
    """The top-level keys of a case of `kind` ("network", "perceptron", "init"), in order."""
    return {**_KEYS["common"], **_KEYS[kind]}


def subkeys_of(section: str) -> dict[str, Key]:
    """The keys inside the section `section` ("network", "training", ...), in order."""
    return _SUBKEYS[section]


def with_defaults(meta: dict[str, Any], *, all_keys: bool = False) -> dict[str, Any]:
    """A copy of a validated case.json's `meta` with every optional key it leaves out set to its
    default, in the schema's order: what case.txt holds (`golden.flat`). A key that case.txt
    writes only where case.json has it (`Key.written` False) is left out where it is absent,
    unless `all_keys` (what a case means: the runner)."""
    out: dict[str, Any] = {}
    for name, key in keys_of(meta["kind"]).items():
        if name not in meta and not key.written and not all_keys:
            continue
        value = copy.deepcopy(meta.get(name, key.default))
        if name in meta and name in _SUBKEYS:
            value = {
                sub: copy.deepcopy(value.get(sub, subkey.default))
                for sub, subkey in _SUBKEYS[name].items()
                if sub in value or (not subkey.required and (subkey.written or all_keys))
            }
        out[name] = value
    return out


RECIPES = ("t2", "t4", "standard_normal")
MAX_STEPS = 1_000_000
"""The most steps a case may train for: the suite replays every one of them."""


def _bad(file: Path, key: str, what: str, value: object) -> CaseFormatError:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return CaseFormatError(f"{file}, key '{key}': {what}, got {shown}")


def _check_keys(file: Path, prefix: str, obj: dict, spec: dict[str, Key]) -> None:
    """Every required key of `spec` present with its type, no other key; a key is named with
    its `prefix` ("training." for the keys inside "training")."""
    for key, entry in spec.items():
        if key not in obj:
            if entry.required:
                raise CaseFormatError(f"{file}, key '{prefix}{key}': missing (it is required)")
            continue
        value = obj[key]
        kinds = entry.type if isinstance(entry.type, tuple) else (entry.type,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise _bad(file, f"{prefix}{key}", f"must be {names}", value)
    unknown = sorted(set(obj) - set(spec))
    if unknown:
        raise CaseFormatError(
            f"{file}, key '{prefix}{unknown[0]}': unknown key (misspelled?); allowed here: "
            f"{sorted(spec)}"
        )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"key(s) {repeated} appear more than once")
    return dict(pairs)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _finite(x: object) -> bool:
    try:
        return not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def _counts(file: Path, key: str, values: list, minimum: int, least: int) -> None:
    """Every entry of `values` an int >= `minimum`, at least `least` entries."""
    if len(values) < least:
        raise _bad(file, key, f"needs at least {least} entries", values)
    for i, x in enumerate(values):
        if not _is_int(x) or x < minimum:
            raise _bad(file, f"{key}[{i}]", f"must be an integer >= {minimum}", x)


def step_tensor_names(
    sizes: list[int],
    activations: list[str],
    bias: bool,
    velocity: tuple[bool, bool] = (False, False),
) -> list[str]:
    """The tensors a fully recorded network step holds, in `StepRecord.arrays` order, for layers
    l = 1..L: Z1, A1, ..., ZL, AL; cost; dA1, dZ1, aprime1 (not for softmax), ...; dW1, db1
    (db only with bias), ...; vW1, vb1, ... (`velocity`: (vW recorded, vb recorded), with
    momentum); W1_after, b1_after, ..."""
    L = range(1, len(sizes))
    names = [f"{t}{l}" for l in L for t in ("Z", "A")] + ["cost"]
    for l, f in zip(L, activations, strict=True):
        names += [f"dA{l}", f"dZ{l}"] + ([f"aprime{l}"] if f != "softmax" else [])
    names += [f"{w}{l}" for l in L for w in ("dW", "db")[: 1 + bias]]
    names += [f"{v}{l}" for l in L for v, kept in zip(("vW", "vb"), velocity, strict=True) if kept]
    names += [f"{w}{l}_after" for l in L for w in ("W", "b")[: 1 + bias]]
    return names


def recorded_velocity(meta: dict[str, Any]) -> tuple[bool, bool]:
    """(vW<l> recorded, vb<l> recorded) for a network case: with momentum, vW always and vb
    with biases that move (not with `training.freeze_biases`)."""
    momentum = meta.get("optimizer", {}).get("momentum", 0) != 0
    moving_bias = meta["network"]["bias"] and not meta["training"].get("freeze_biases", False)
    return momentum, momentum and moving_bias


def step_names_of(meta: dict[str, Any]) -> list[str]:
    """`step_tensor_names` of a network case's `meta`."""
    net = meta["network"]
    return step_tensor_names(net["sizes"], net["activations"], net["bias"], recorded_velocity(meta))


def _check_network(file: Path, meta: dict[str, Any]) -> None:
    net, training, record = meta["network"], meta["training"], meta["record"]
    _counts(file, "network.sizes", net["sizes"], 1, 2)
    if len(net["activations"]) != len(net["sizes"]) - 1:
        what = f"needs one name per layer: {len(net['sizes']) - 1} for sizes {net['sizes']}"
        raise _bad(file, "network.activations", what, net["activations"])
    for i, name in enumerate(net["activations"]):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise _bad(
                file, f"network.activations[{i}]", f"must be one of {list(ACTIVATIONS)}", name
            )
    if net["loss"] not in LOSSES:
        raise _bad(file, "network.loss", f"must be one of {list(LOSSES)}", net["loss"])
    if net["reduction"] not in LOSSES[net["loss"]].reductions:
        allowed = list(LOSSES[net["loss"]].reductions)
        raise _bad(file, "network.reduction", f"must be one of {allowed}", net["reduction"])
    if not _finite(training["lr"]) or training["lr"] <= 0:
        raise _bad(file, "training.lr", "must be a finite number > 0", training["lr"])
    steps = training["steps"]
    if not 1 <= steps <= MAX_STEPS:
        raise _bad(file, "training.steps", f"must be in 1..{MAX_STEPS}", steps)
    if training.get("batch_size", 0) < 0:
        raise _bad(
            file, "training.batch_size", "must be >= 0 (0: full batch)", training["batch_size"]
        )
    if training["objective"] not in ("cost", "output"):
        raise _bad(file, "training.objective", "must be 'cost' or 'output'", training["objective"])
    known = step_names_of(meta)
    every, full = record["every_step"], record["full_steps"]
    for i, name in enumerate(every):
        if name not in known:
            raise _bad(file, f"record.every_step[{i}]", f"must be one of {known}", name)
        if name in every[:i]:
            raise _bad(file, f"record.every_step[{i}]", "repeats an earlier entry", name)
    for i, s in enumerate(full):
        if not _is_int(s) or not 0 <= s < steps:
            raise _bad(file, f"record.full_steps[{i}]", f"must be a step in 0..{steps - 1}", s)
        if s in full[:i]:
            raise _bad(file, f"record.full_steps[{i}]", "repeats an earlier entry", s)
    if "init" in meta and meta["init"]["sizes"] != net["sizes"]:
        what = f"must equal network.sizes {net['sizes']}"
        raise _bad(file, "init.sizes", what, meta["init"]["sizes"])
    _check_optimizer(file, meta.get("optimizer", {}))


def _check_optimizer(file: Path, optimizer: dict[str, Any]) -> None:
    """torch.optim.SGD's rules: every number finite, momentum and weight_decay >= 0, nesterov
    only with momentum > 0 and dampening 0."""
    for key in ("momentum", "dampening", "weight_decay"):
        value = optimizer.get(key, 0)
        if not _finite(value) or (key != "dampening" and value < 0):
            what = "must be a finite number" + (" >= 0" if key != "dampening" else "")
            raise _bad(file, f"optimizer.{key}", what, value)
    if optimizer.get("nesterov") and (
        optimizer.get("momentum", 0) <= 0 or optimizer.get("dampening", 0) != 0
    ):
        what = "needs momentum > 0 and dampening 0 (as torch.optim.SGD)"
        raise _bad(file, "optimizer.nesterov", what, optimizer["nesterov"])


def _check_values(file: Path, meta: dict[str, Any]) -> None:
    """The values of a case.json whose keys and types are right: what needs no other file."""
    for key in ("tutorial", "section", "file"):
        if not meta["source"][key].strip():
            raise _bad(file, f"source.{key}", "must not be empty", meta["source"][key])
    if not meta["description"].strip():
        raise _bad(file, "description", "must not be empty", meta["description"])
    folder = file.parent.resolve().name
    if meta["id"] != folder:
        raise _bad(file, "id", f"must equal the folder name {folder!r}", meta["id"])
    if "layout" in meta and meta["layout"] not in LAYOUTS:
        raise _bad(file, "layout", f"must be one of {list(LAYOUTS)}", meta["layout"])
    if "init" in meta:
        init = meta["init"]
        if init["recipe"] not in RECIPES:
            raise _bad(file, "init.recipe", f"must be one of {list(RECIPES)}", init["recipe"])
        _counts(file, "init.sizes", init["sizes"], 1, 2)
        if init["seed"] < 0:
            raise _bad(file, "init.seed", "must be a non-negative integer", init["seed"])
    if meta["kind"] == "network":
        _check_network(file, meta)
    if meta["kind"] == "perceptron":
        p = meta["perceptron"]
        if not _finite(p["eta"]) or p["eta"] <= 0:
            raise _bad(file, "perceptron.eta", "must be a finite number > 0", p["eta"])
        if p["max_epochs"] < 1:
            raise _bad(file, "perceptron.max_epochs", "must be >= 1", p["max_epochs"])
        if not p["w0"]:
            raise _bad(file, "perceptron.w0", "needs one weight per input", p["w0"])
        for i, w in enumerate(p["w0"]):
            if not _finite(w):
                raise _bad(file, f"perceptron.w0[{i}]", "must be a finite number", w)
        if not _finite(p["b0"]):
            raise _bad(file, "perceptron.b0", "must be a finite number", p["b0"])


def read_meta(path: Path) -> dict[str, Any]:
    """Read and validate `case.json` (UTF-8, a byte-order mark and CRLF allowed): keys by kind,
    no unknown (misspelled) or repeated key, every value in range (`CaseFormatError` naming
    the file and the key)."""
    file = path / "case.json"
    text = read_text(file)
    try:
        meta = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise CaseFormatError(f"{file}, line {err.lineno}, column {err.colno}: {err.msg}") from None
    except ValueError as err:
        raise CaseFormatError(f"{file}: {err}") from None
    except RecursionError:
        raise CaseFormatError(f"{file}: nested too deeply to be a case") from None
    if not isinstance(meta, dict):
        raise CaseFormatError(f"{file}: must hold a JSON object")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise _bad(file, "kind", f"must be one of {list(KINDS)}", kind)
    _check_keys(file, "", meta, keys_of(kind))
    for key, spec in _SUBKEYS.items():
        if key in meta:
            _check_keys(file, f"{key}.", meta[key], spec)
    _check_values(file, meta)
    return meta
