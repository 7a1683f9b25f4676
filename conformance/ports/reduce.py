"""Shrinking a failing generated case to a smaller one that still fails, step by step.

Hypothesis's own shrink works on the choices it drew, not on the case they describe: deleting a
hidden layer shifts every later draw (the next layer's weights change shape), so a case it
shrank kept three layers and eight units that the bug did not need, after up to 1,300 attempts.
This pass knows the case format and tries, in this order, each change that makes a case smaller
while keeping it valid:

1. a hidden layer fewer (the next layer's W cut or padded with zeros to its new fan-in);
2. only the first k samples, or a sample fewer; a step fewer (a perceptron: an epoch fewer);
3. a unit fewer in the input, a hidden layer or the output (with cross-entropy, a class no
   sample has), then the last unit of every layer at once (square weights stay square); a
   perceptron input fewer;
4. the plain options: no bias, biases not frozen, not `maximize`, objective `cost`, layout t1,
   a hidden activation (or a non-softmax output) made `identity`; a perceptron's eta 1;
5. values made 0: a whole array, then one element at a time (one-hot targets keep their 1);
   then each other value made 1 or -1 (its sign).

A change is kept when the port still fails the smaller case in the same way (a wrong value
stays a wrong value, an error an error); then the pass starts over from the smaller case, until
no change is kept or the budget of attempts is spent. Not for: drawing cases (`generated`) or
grading them (`grading`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from conformance.ports.generated import Drawn, record_for
from scratch import Params

REDUCE_BUDGET = 400
"""The most smaller cases one reduction sends to the port (each is also computed by the
reference and scratch, about 40 ms): at most 16 s for an in-process port, more for one process
per case. The catalogue's mutants need 10 to 60."""

F = TypeVar("F")


def _fit(W: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """`W` cut or padded with zeros to shape (rows, cols)."""
    out = np.zeros((rows, cols))
    r, c = min(rows, W.shape[0]), min(cols, W.shape[1])
    out[:r, :c] = W[:r, :c]
    return out


def _with(drawn: Drawn, W: list, b: list | None, data: dict, **changes: Any) -> Drawn:
    """A copy of the network case `drawn` with new parameters, data and meta changes, given as
    section__key=value (e.g. network__sizes=[...]); sizes must match W."""
    meta = copy.deepcopy(drawn.meta)
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if value is None:
            meta[section].pop(name, None)
        else:
            meta[section][name] = value
    meta["record"] = record_for(meta["training"]["steps"], len(meta["network"]["activations"]))
    return Drawn(meta, Params(W, b), data)


def _simpler(arrays: dict[str, np.ndarray]) -> Iterator[tuple[str, str, np.ndarray]]:
    """(name, what changed, array) one value simpler: the whole array 0, then each nonzero
    element 0, then each element other than 0, 1 and -1 made its sign."""
    for name, A in arrays.items():
        if A.any():
            yield name, f"{name} = 0", np.zeros_like(A)
    for name, A in arrays.items():
        for index in zip(*np.nonzero(A), strict=True):
            B = A.copy()
            B[index] = 0.0
            yield name, f"{name}{list(map(int, index))} = 0", B
    for name, A in arrays.items():
        for index in zip(*np.nonzero(np.abs(A) != 1) if A.size else (), strict=True):
            if A[index] != 0:
                B = A.copy()
                B[index] = np.sign(A[index])
                yield name, f"{name}{list(map(int, index))} = {B[index]:g}", B


def network_reductions(drawn: Drawn) -> Iterator[tuple[str, Drawn]]:
    """Each smaller network case, described in a few words, in the order of the module
    docstring."""
    net, training = drawn.meta["network"], drawn.meta["training"]
    sizes, acts, loss = list(net["sizes"]), list(net["activations"]), net["loss"]
    assert drawn.params is not None
    W, b = list(drawn.params.W), None if drawn.params.b[0] is None else list(drawn.params.b)
    X, Y = drawn.data["X"], drawn.data["Y"]
    depth, n = len(acts), X.shape[0]
    for l in range(depth - 1):  # hidden layer l + 1 removed
        newW = [*W[:l], _fit(W[l + 1], sizes[l + 2], sizes[l]), *W[l + 2 :]]
        newb = None if b is None else [*b[:l], *b[l + 1 :]]
        yield f"hidden layer {l + 1} removed", _with(
            drawn, newW, newb, drawn.data,
            network__sizes=sizes[: l + 1] + sizes[l + 2 :],
            network__activations=acts[:l] + acts[l + 1 :],
        )  # fmt: skip
    if "optimizer" in drawn.meta:
        plain = _with(drawn, W, b, drawn.data)
        del plain.meta["optimizer"]
        yield "plain gradient descent (no optimizer section)", plain
    batched = bool(training.get("batch_size"))
    if batched:  # the samples and steps of a mini-batch case are tied to its order: whole first
        data = {name: v for name, v in drawn.data.items() if name != "order"}
        yield "full batch", _with(drawn, W, b, data, training__batch_size=None)
    for k in range(1, n) if not batched else ():  # many samples at once (9 to 3 keeps a 1/n
        data = {name: v[:k] for name, v in drawn.data.items()}  # that is not a power of 2)
        yield f"samples after the first {k} removed", _with(drawn, W, b, data)
    for i in range(n if n > 1 and not batched else 0):
        data = {k: np.delete(v, i, axis=0) for k, v in drawn.data.items()}
        yield f"sample {i} removed", _with(drawn, W, b, data)
    if training["steps"] > 1 and not batched:
        yield "a step fewer", _with(drawn, W, b, drawn.data, training__steps=training["steps"] - 1)
    for j in range(depth + 1):  # a unit of layer j (0 = the input) removed
        least = 2 if j > 0 and acts[j - 1] == "softmax" else 1
        if sizes[j] <= least:
            continue
        for u in range(sizes[j]):
            if j == depth and loss == "cross_entropy" and Y[:, u].any():
                continue  # a class some sample has: the targets would not stay one-hot
            newW, newb, data = list(W), None if b is None else list(b), dict(drawn.data)
            if j == 0:
                data["X"] = np.delete(X, u, axis=1)
            else:
                newW[j - 1] = np.delete(W[j - 1], u, axis=0)
                if newb is not None:
                    newb[j - 1] = np.delete(newb[j - 1], u)
            if j < depth:
                newW[j] = np.delete(W[j], u, axis=1)
            else:
                data["Y"] = np.delete(Y, u, axis=1)
            new_sizes = [*sizes[:j], sizes[j] - 1, *sizes[j + 1 :]]
            yield (
                f"unit {u} of layer {j} removed",
                _with(drawn, newW, newb, data, network__sizes=new_sizes),
            )
    widest = [
        j for j in range(depth + 1) if sizes[j] > (2 if j and acts[j - 1] == "softmax" else 1)
    ]
    if len(widest) > 1 and not (depth in widest and loss == "cross_entropy" and Y[:, -1].any()):
        # the last unit of every layer that has one to spare at once: square weights stay
        # square (a bug that needs them would fail on none of the one-layer-narrower cases)
        newW = [np.delete(np.delete(w, [-1] if l + 1 in widest else [], 0),
                          [-1] if l in widest else [], 1) for l, w in enumerate(W)]  # fmt: skip
        newb = (
            None
            if b is None
            else [np.delete(v, [-1] if l + 1 in widest else []) for l, v in enumerate(b)]
        )
        data = dict(drawn.data)
        if 0 in widest:
            data["X"] = X[:, :-1]
        if depth in widest:
            data["Y"] = Y[:, :-1]
        new_sizes = [s - (j in widest) for j, s in enumerate(sizes)]
        yield (
            "a unit fewer in every layer",
            _with(drawn, newW, newb, data, network__sizes=new_sizes),
        )
    if b is not None:
        yield (
            "no bias",
            _with(drawn, W, None, drawn.data, network__bias=False, training__freeze_biases=None),
        )
    for key, plain in (("freeze_biases", None), ("maximize", False), ("objective", "cost")):
        if training.get(key) not in (None, plain):
            yield f"{key} {plain}", _with(drawn, W, b, drawn.data, **{f"training__{key}": plain})
    if drawn.meta["layout"] != "t1":
        layout = Drawn({**drawn.meta, "layout": "t1"}, drawn.params, drawn.data)
        yield "layout t1", layout
    for l, act in enumerate(acts):
        if act != "identity" and not (act == "softmax" and l == depth - 1 and loss != "mse"):
            plain_acts = [*acts[:l], "identity", *acts[l + 1 :]]
            yield (
                f"activation {l + 1} identity",
                _with(drawn, W, b, drawn.data, network__activations=plain_acts),
            )
    arrays = {"X": X, **({"Y": Y} if loss == "mse" else {})}
    arrays |= {f"W{l + 1}": w for l, w in enumerate(W)}
    arrays |= {} if b is None else {f"b{l + 1}": v for l, v in enumerate(b)}
    for name, what, A in _simpler(arrays):
        data = {**drawn.data, name: A} if name in ("X", "Y") else drawn.data
        newW = [A if name == f"W{l + 1}" else w for l, w in enumerate(W)]
        newb = None if b is None else [A if name == f"b{l + 1}" else v for l, v in enumerate(b)]
        yield what, _with(drawn, newW, newb, data)


def perceptron_reductions(drawn: Drawn) -> Iterator[tuple[str, Drawn]]:
    """Each smaller perceptron case: a sample, an input or an epoch fewer, eta 1, then values
    0 (X, w0, b0)."""
    p, X, y = drawn.meta["perceptron"], drawn.data["X"], drawn.data["y"]

    def made(X: np.ndarray = X, y: np.ndarray = y, **changes: Any) -> Drawn:
        return Drawn({**drawn.meta, "perceptron": {**p, **changes}}, None, {"X": X, "y": y})

    for i in range(X.shape[0] if X.shape[0] > 1 else 0):
        yield f"sample {i} removed", made(np.delete(X, i, axis=0), np.delete(y, i, axis=0))
    for j in range(X.shape[1] if X.shape[1] > 1 else 0):
        w0 = [w for k, w in enumerate(p["w0"]) if k != j]
        yield f"input {j} removed", made(np.delete(X, j, axis=1), w0=w0)
    if p["max_epochs"] > 1:
        yield "an epoch fewer", made(max_epochs=p["max_epochs"] - 1)
    if p["eta"] != 1.0:
        yield "eta 1", made(eta=1.0)
    if p["b0"] != 0.0:
        yield "b0 = 0", made(b0=0.0)
    w0 = np.array(p["w0"], dtype=np.float64)
    for name, what, A in _simpler({"X": X, "w0": w0}):
        if name == "w0":
            yield what, made(w0=[float(v) for v in A])
        else:
            yield what, made(X=A)


def reductions(drawn: Drawn) -> Iterator[tuple[str, Drawn]]:
    """Each case one step smaller than `drawn` (a network or a perceptron case)."""
    if drawn.meta["kind"] == "perceptron":
        return perceptron_reductions(drawn)
    return network_reductions(drawn)


def reduce_failure(
    failure: F,
    drawn_of: Callable[[F], Drawn],
    still_fails: Callable[[Drawn], F | None],
    budget: int = REDUCE_BUDGET,
) -> tuple[F, list[str], int]:
    """The smallest failure this pass reaches from `failure`: `still_fails(candidate)` gives
    the candidate's failure of the same kind, or None (it passes, or fails another way, or is
    thrown away). Returns that failure, the changes kept (in order) and the attempts made."""
    kept: list[str] = []
    attempts = 0
    progress = True
    while progress and attempts < budget:
        progress = False
        for what, candidate in reductions(drawn_of(failure)):
            if attempts >= budget:
                break
            attempts += 1
            smaller = still_fails(candidate)
            if smaller is not None:
                failure, progress = smaller, True
                kept.append(what)
                break
    return failure, kept, attempts
