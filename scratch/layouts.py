"""Named converters between the internal weight layout and each tutorial's own layout.

Internal (see `scratch.params`, the same as torch `nn.Linear`): W (n_out, n_in), b (n_out,).

| layout | weights          | bias            | used by                          |
|--------|------------------|-----------------|----------------------------------|
| T1     | (n_out, n_in)    | (n_out,) vector | the blog, column vectors u = Wx+B|
| T2     | (n_in, n_out)    | (1, n_out) row  | Z = X W + b, batch rows          |
| T3     | (n_in, n_out)    | (n_out, 1) col  | the Go deck, Z = X W + beta      |

The torch state dict is produced in `reference.state`, which may import torch. Every function
returns new arrays; lists are ordered layer 1 first. `named_in_layout` gives any parameter-shaped
arrays (parameters, gradients, updated parameters) by tutorial name in one of these layouts, as
the golden data and the command line show them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scratch.errors import DTypeError, ShapeError
from scratch.params import Params


def _check_layers(
    name: str, arrays: object, ndim: int, *, count: int | None = None, optional: bool = False
) -> list[np.ndarray] | None:
    """`arrays` as a list if it is a list or tuple of `ndim`-D ndarrays (`count` of them, when
    given; None itself when `optional`), else raise `DTypeError` naming `name` and the type it
    got, or `ShapeError` for the wrong number of dimensions or layers."""
    if arrays is None and optional:
        return None
    if not isinstance(arrays, list | tuple):
        what = f"a list of {ndim}-D numpy arrays, one per layer" + (" (or None)" * optional)
        raise DTypeError(f"{name} must be {what}, got {type(arrays).__name__}")
    if count is not None and len(arrays) != count:
        raise ShapeError(f"{name} must have {count} entries (one per layer), got {len(arrays)}")
    for i, x in enumerate(arrays):
        if not isinstance(x, np.ndarray):
            raise DTypeError(f"{name}[{i}] must be a numpy.ndarray, got {type(x).__name__}")
        if x.ndim != ndim:
            raise ShapeError(f"{name}[{i}] must be a {ndim}-D array, got {x.shape}")
    return list(arrays)


def _check_params(params: object) -> Params:
    if not isinstance(params, Params):
        raise DTypeError(f"params must be a scratch.Params, got {type(params).__name__}")
    return params


def from_t1(W: Sequence[np.ndarray], B: Sequence[np.ndarray] | None) -> Params:
    """T1 (W out x in, B (n_out,) vectors) -> internal. T1's layout is the internal one.

    W: a list of L (n_out, n_in) arrays; B: a list of L (n_out,) arrays, or None (no biases).
    """
    W = _check_layers("W", W, 2)
    return Params(W, _check_layers("B", B, 1, count=len(W), optional=True))


def to_t1(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T1: (W list of (n_out, n_in), B list of (n_out,) or None)."""
    return _to_layout("t1", params)


def _from_transposed(
    W: Sequence[np.ndarray], b: Sequence[np.ndarray] | None, b_name: str, axis: int, what: str
) -> Params:
    """(n_in, n_out) weights and 2-D biases with a unit `axis` -> internal (W^T, b flattened)."""
    W = _check_layers("W", W, 2)
    b = _check_layers(b_name, b, 2, count=len(W), optional=True)
    for i, x in enumerate(b or []):
        if x.shape[axis] != 1:
            raise ShapeError(f"{b_name}[{i}] must be {what}, got {x.shape}")
    return Params([w.T for w in W], None if b is None else [x.ravel() for x in b])


def from_t2(W: Sequence[np.ndarray], b: Sequence[np.ndarray] | None) -> Params:
    """T2 (W in x out, b (1, n_out) rows) -> internal (W^T, b flattened)."""
    return _from_transposed(W, b, "b", 0, "a (1, n_out) row in T2's layout")


def to_t2(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T2: (W list of (n_in, n_out), b list of (1, n_out) or None)."""
    return _to_layout("t2", params)


def from_t3(W: Sequence[np.ndarray], beta: Sequence[np.ndarray] | None) -> Params:
    """T3 (W in x out, beta (n_out, 1) columns) -> internal (W^T, beta flattened)."""
    return _from_transposed(W, beta, "beta", 1, "an (n_out, 1) column in T3's layout")


def to_t3(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T3: (W list of (n_in, n_out), beta list of (n_out, 1) or None)."""
    return _to_layout("t3", params)


LAYOUTS = ("t1", "t2", "t3")
"""The tutorial layouts by name, as the golden cases' `layout` key gives them."""


def _weight_in_layout(layout: str, W: np.ndarray) -> np.ndarray:
    """(n_out, n_in) internal -> (n_out, n_in) for t1, (n_in, n_out) for t2 and t3."""
    return W.copy() if layout == "t1" else W.T.copy()


def _bias_in_layout(layout: str, b: np.ndarray) -> np.ndarray:
    """(n_out,) internal -> (n_out,) for t1, a (1, n_out) row for t2, an (n_out, 1) column (t3)."""
    return {"t1": b, "t2": b[None, :], "t3": b[:, None]}[layout].copy()


def _to_layout(layout: str, params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    _check_params(params)
    W = [_weight_in_layout(layout, w) for w in params.W]
    b = [_bias_in_layout(layout, x) for x in params.b] if params.has_bias else None
    return W, b


def named_in_layout(
    layout: str,
    W: Sequence[np.ndarray],
    b: Sequence[np.ndarray | None],
    *,
    w_name: str = "W",
    b_name: str = "b",
    suffix: str = "",
) -> dict[str, np.ndarray]:
    """Parameter-shaped arrays in the internal layout (W[i] (n_out, n_in), b[i] (n_out,) or
    None) -> {"W1": ..., "b1": ..., "W2": ...} in `layout`, names as `w_name`/`b_name` + the layer
    number (from 1) + `suffix`. Serves parameters (`params.W, params.b`), gradients (`grads.dW,
    grads.db` with names "dW", "db") and updated parameters (suffix "_after") alike."""
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise ShapeError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    W = _check_layers(w_name, W, 2)
    if not isinstance(b, list | tuple) or any(x is not None for x in b):
        _check_layers(b_name, b, 1, count=len(W))
    elif len(b) != len(W):
        raise ShapeError(f"{b_name} must have {len(W)} entries (one per layer), got {len(b)}")
    out: dict[str, np.ndarray] = {}
    for l, (Wl, bl) in enumerate(zip(W, b, strict=True), start=1):
        out[f"{w_name}{l}{suffix}"] = _weight_in_layout(layout, Wl)
        if bl is not None:
            out[f"{b_name}{l}{suffix}"] = _bias_in_layout(layout, bl)
    return out
