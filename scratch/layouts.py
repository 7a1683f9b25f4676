"""Named converters between the internal weight layout and each tutorial's own layout.

Internal (see `scratch.params`, the same as torch `nn.Linear`): W (n_out, n_in), b (n_out,).

| layout | weights          | bias            | used by                          |
|--------|------------------|-----------------|----------------------------------|
| T1     | (n_out, n_in)    | (n_out,) vector | the blog, column vectors u = Wx+B|
| T2     | (n_in, n_out)    | (1, n_out) row  | Z = X W + b, batch rows          |
| T3     | (n_in, n_out)    | (n_out, 1) col  | the Go deck, Z = X W + beta      |

The torch state dict is produced in `reference.state`, which may import torch. Every function
returns new arrays; lists are ordered layer 1 first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scratch.errors import ShapeError
from scratch.params import Params


def _check_ndim(name: str, arrays: Sequence[np.ndarray | None], ndim: int) -> None:
    for i, x in enumerate(arrays):
        if x is not None and (not isinstance(x, np.ndarray) or x.ndim != ndim):
            shape = x.shape if isinstance(x, np.ndarray) else type(x).__name__
            raise ShapeError(f"{name}[{i}] must be a {ndim}-D array, got {shape}")


def from_t1(W: Sequence[np.ndarray], B: Sequence[np.ndarray] | None) -> Params:
    """T1 (W out x in, B (n_out,) vectors) -> internal. T1's layout is the internal one."""
    _check_ndim("W", W, 2)
    _check_ndim("B", B or [], 1)
    return Params(list(W), B)


def to_t1(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T1: (W list of (n_out, n_in), B list of (n_out,) or None)."""
    W = [w.copy() for w in params.W]
    return W, ([b.copy() for b in params.b] if params.has_bias else None)


def from_t2(W: Sequence[np.ndarray], b: Sequence[np.ndarray] | None) -> Params:
    """T2 (W in x out, b (1, n_out) rows) -> internal (W^T, b flattened)."""
    _check_ndim("W", W, 2)
    _check_ndim("b", b or [], 2)
    for i, x in enumerate(b or []):
        if x.shape[0] != 1:
            raise ShapeError(f"b[{i}] must be a (1, n_out) row in T2's layout, got {x.shape}")
    return Params([w.T for w in W], None if b is None else [x[0] for x in b])


def to_t2(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T2: (W list of (n_in, n_out), b list of (1, n_out) or None)."""
    W = [w.T.copy() for w in params.W]
    return W, ([b[None, :].copy() for b in params.b] if params.has_bias else None)


def from_t3(W: Sequence[np.ndarray], beta: Sequence[np.ndarray] | None) -> Params:
    """T3 (W in x out, beta (n_out, 1) columns) -> internal (W^T, beta flattened)."""
    _check_ndim("W", W, 2)
    _check_ndim("beta", beta or [], 2)
    for i, x in enumerate(beta or []):
        if x.shape[1] != 1:
            raise ShapeError(
                f"beta[{i}] must be an (n_out, 1) column in T3's layout, got {x.shape}"
            )
    return Params([w.T for w in W], None if beta is None else [x[:, 0] for x in beta])


def to_t3(params: Params) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """internal -> T3: (W list of (n_in, n_out), beta list of (n_out, 1) or None)."""
    W = [w.T.copy() for w in params.W]
    return W, ([b[:, None].copy() for b in params.b] if params.has_bias else None)
