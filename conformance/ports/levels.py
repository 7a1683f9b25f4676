"""Conformance levels, and the order in which a case's tensors are computed.

A port's answer to a case is graded group by group (one tensor at one step). Each group belongs
to one level, and a case reaches a level when every group of that level and of the levels below
is present and right:

- `forward`: a network's step-0 `Z<l>`, `A<l>` and `cost`; a perceptron's step-0 `prediction`.
- `gradients`: and step 0's `dA<l>`, `dZ<l>`, `aprime<l>`, `dW<l>`, `db<l>`; a perceptron's
  step-0 `error`.
- `training`: and every step's `W<l>_after`, `b<l>_after`, velocities `vW<l>`, `vb<l>`
  (with momentum), `cost` and output `A<L>`, and the `prediction`; a perceptron's `w`, `b`
  and `errors` of every epoch, and `epochs`.
- `full`: every group the case expects (the rest of every full step).

An init case's `W<l>` and `b<l>` are `forward`. "pass" means `full`; a case whose answer is
right but stops short of it is "partial (LEVEL)", LEVEL the highest reached ("none" when not even
`forward`). Not for: comparing values (`conformance.golden.comparison`) or the statuses
(`conformance.ports.grading`).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

LEVELS = ("forward", "gradients", "training", "full")
"""The levels, lowest first; a group's level is its index here."""

_LAYER = re.compile(r"^(Z|A|dA|dZ|aprime|dW|db|vW|vb|W|b)(\d+)(_after)?$")
_UPDATE = ("vW", "vb", "W", "b")  # within a layer's update: the velocity first, as SGD does
_BACKWARD = ("dA", "aprime", "dZ", "dW", "db")
_PERCEPTRON = ("prediction", "error", "w", "b", "errors", "epochs")


@functools.lru_cache(maxsize=4096)
def _parts(tensor: str) -> tuple[str, int, bool]:
    """("dW", 2, False) for "dW2", ("W", 1, True) for "W1_after", (name, 0, False) otherwise."""
    m = _LAYER.match(tensor)
    if m is None:
        return tensor, 0, False
    return m.group(1), int(m.group(2)), m.group(3) is not None


def tensor_level(kind: str, depth: int, step: int, tensor: str) -> int:
    """The level (an index into `LEVELS`) of `tensor` at `step` in a case of `kind` ("network",
    "perceptron" or "init") whose network has `depth` layers."""
    if kind == "perceptron":
        if tensor == "prediction" and step == 0:
            return 0
        if tensor == "error" and step == 0:
            return 1
        return 2 if tensor in ("w", "b", "errors", "epochs") else 3
    if kind != "network":
        return 0
    base, layer, after = _parts(tensor)
    if step == 0 and base in ("Z", "A", "cost") and not after:
        return 0
    if step == 0 and base in _BACKWARD:
        return 1
    if after or base in ("cost", "prediction", "vW", "vb") or (base == "A" and layer == depth):
        return 2
    return 3


@functools.lru_cache(maxsize=4096)
def computation_key(kind: str, depth: int, tensor: str) -> int:
    """Where `tensor` is computed within a step: a network's forward pass layer by layer (Z1,
    A1, Z2, A2, ...), the cost, the backward pass from the output layer down (dA, aprime, dZ,
    dW, db of layer L, then L-1, ...), the update (vW1, vb1, W1_after, b1_after, ...), the
    prediction;
    a perceptron's prediction, error, w, b, errors, epochs; an init case's W1, b1, W2, ...
    Unknown names come last."""
    if kind == "perceptron":
        return _PERCEPTRON.index(tensor) if tensor in _PERCEPTRON else 99
    base, layer, after = _parts(tensor)
    if kind != "network":
        return 2 * layer + (base == "b") if base in ("W", "b") else 999
    span = 5 * (depth + 1)
    if base in ("Z", "A") and not after:
        return 2 * layer + (base == "A")
    if base == "cost":
        return 2 * depth + 2
    if base in _BACKWARD:
        return 2 * depth + 3 + 5 * (depth - layer) + _BACKWARD.index(base)
    if after or base in ("vW", "vb"):
        return 2 * depth + 3 + span + 4 * layer + _UPDATE.index(base)
    return 2 * depth + 5 + 2 * span if base == "prediction" else 10_000


def in_computation_order(kind: str, depth: int, groups: pd.DataFrame) -> pd.DataFrame:
    """`groups` (one row per step and tensor) sorted by step, then `computation_key`."""
    codes, tensors = pd.factorize(groups["tensor"].astype(str).to_numpy(), sort=False)
    keys = np.array([computation_key(kind, depth, t) for t in tensors], dtype=np.int64)
    order = np.lexsort((keys[codes], groups["step"].to_numpy(np.int64)))
    return groups.iloc[order].reset_index(drop=True)


def levels_of(kind: str, depth: int, groups: pd.DataFrame) -> np.ndarray:
    """The level index of each row of `groups` (columns step, tensor), worked out once per
    distinct (step 0 or not, tensor)."""
    later = (groups["step"].to_numpy(np.int64) != 0).astype(np.int64)
    codes, tensors = pd.factorize(groups["tensor"].astype(str).to_numpy(), sort=False)
    table = np.array(
        [[tensor_level(kind, depth, step, t) for step in (0, 1)] for t in tensors],
        dtype=np.int64,
    ).reshape(len(tensors), 2)
    return table[codes, later]


def level_reached(levels: np.ndarray, right: np.ndarray) -> int:
    """The highest level index L such that every group of level <= L is right (`right`, beside
    `levels`); -1 when not even `forward` is. A level with no groups is reached with those
    below it."""
    wrong = levels[~right]
    return len(LEVELS) - 1 if wrong.size == 0 else int(wrong.min()) - 1


def level_name(index: int) -> str:
    """ "forward" ... "full", or "none" for -1."""
    return "none" if index < 0 else LEVELS[index]
