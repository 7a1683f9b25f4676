"""The parameter and gradient containers, in the project's one internal weight layout.

Internal layout (the same as `torch.nn.Linear`):

- ``W[i]`` is layer i+1's weight matrix, shape (n_out, n_in): out x in.
- ``b[i]`` is layer i+1's bias vector, shape (n_out,), or ``None`` for a network without biases.
- A batch is rows: ``Z = A_prev @ W.T + b`` with A_prev (n, n_in) and Z (n, n_out).

Python index i holds the tutorials' layer l = i + 1 (layer 1 is the first hidden layer). Every
tutorial's own layout is converted at the boundary by `scratch.layouts`. Arrays are copied on
construction and made read-only, so a `Params` never changes after it is made: a gradient step
builds a new one, through `Params.adopt`, which freezes the step's fresh arrays without copying
them. Not for: any math.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scratch.errors import DTypeError, MLPInputError, ShapeError
from scratch.validation import FLOAT_DTYPES, all_finite


def _frozen_copy(name: str, x: object, dtype: np.dtype | None) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise DTypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise DTypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        raise DTypeError(f"{name} has dtype {x.dtype} but W[0] has dtype {dtype}")
    if not all_finite(x):
        raise MLPInputError(f"{name} contains NaN or Inf (shape {x.shape})")
    out = np.array(x, copy=True, order="C")
    out.setflags(write=False)
    return out


def _check_layers(
    wname: str, W: Sequence[np.ndarray], bname: str, b: Sequence[np.ndarray | None]
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray | None, ...]]:
    """Validate and freeze a list of (out, in) matrices and a matching list of (out,) biases."""
    if not isinstance(W, list | tuple):
        raise DTypeError(
            f"{wname} must be a list of 2-D numpy arrays, one per layer, got {type(W).__name__}"
        )
    if len(W) == 0:
        raise ShapeError(f"{wname} must be a non-empty list of 2-D arrays, one per layer")
    if not isinstance(b, list | tuple):
        raise DTypeError(
            f"{bname} must be a list of {len(W)} entries (one per layer), got {type(b).__name__}"
        )
    if len(b) != len(W):
        raise ShapeError(
            f"{bname} must be a list of {len(W)} entries (one per layer), got {len(b)}"
        )
    dtype = W[0].dtype if isinstance(W[0], np.ndarray) else None
    Ws = tuple(_frozen_copy(f"{wname}[{i}]", w, dtype) for i, w in enumerate(W))
    for i, w in enumerate(Ws):
        if w.ndim != 2 or 0 in w.shape:
            raise ShapeError(f"{wname}[{i}] must be a non-empty 2-D (out, in) array, got {w.shape}")
        if i > 0 and w.shape[1] != Ws[i - 1].shape[0]:
            raise ShapeError(
                f"{wname}[{i}] has shape {w.shape}: its {w.shape[1]} inputs do not match the "
                f"{Ws[i - 1].shape[0]} outputs of {wname}[{i - 1}] {Ws[i - 1].shape}"
            )
    if any(x is None for x in b):
        if not all(x is None for x in b):
            raise ShapeError(f"{bname} must be all arrays or all None (a network without biases)")
        return Ws, tuple(None for _ in b)
    bs = tuple(_frozen_copy(f"{bname}[{i}]", x, Ws[0].dtype) for i, x in enumerate(b))
    for i, (w, x) in enumerate(zip(Ws, bs, strict=True)):
        if x.shape != (w.shape[0],):
            raise ShapeError(
                f"{bname}[{i}] must have shape ({w.shape[0]},) to match {wname}[{i}] {w.shape}, "
                f"got {x.shape}"
            )
    return Ws, bs


def _by_name(
    wname: str, W: Sequence[np.ndarray], bname: str, b: Sequence[np.ndarray | None]
) -> dict[str, np.ndarray]:
    """{wname1: W[0], bname1: b[0], wname2: W[1], ...}, layers numbered from 1, None left out."""
    out: dict[str, np.ndarray] = {}
    for i, (w, x) in enumerate(zip(W, b, strict=True), start=1):
        out[f"{wname}{i}"] = w
        if x is not None:
            out[f"{bname}{i}"] = x
    return out


def _frozen(cls, wname: str, W: Sequence, bname: str, b: Sequence):
    """An instance of `cls` holding W and b as they are, made read-only."""
    for x in (*W, *b):
        if x is not None:
            x.setflags(write=False)
    obj = object.__new__(cls)
    object.__setattr__(obj, wname, tuple(W))
    object.__setattr__(obj, bname, tuple(b))
    return obj


@dataclass(frozen=True, init=False)
class Params:
    """Weights W[i] (n_out, n_in) and biases b[i] (n_out,) or None, for layers i = 0 .. L-1."""

    W: tuple[np.ndarray, ...]
    b: tuple[np.ndarray | None, ...]

    def __init__(self, W: Sequence[np.ndarray], b: Sequence[np.ndarray | None] | None = None):
        """Validate, copy and freeze. `b=None` means a network without biases."""
        no_bias = [None] * len(W) if isinstance(W, list | tuple) else None
        Ws, bs = _check_layers("W", W, "b", no_bias if b is None else b)
        object.__setattr__(self, "W", Ws)
        object.__setattr__(self, "b", bs)

    @classmethod
    def adopt(cls, W: Sequence[np.ndarray], b: Sequence[np.ndarray | None]) -> Params:
        """Take arrays just computed from valid `Params` as they are: no copy, no shape checks.

        W[i] (n_out, n_in) and b[i] (n_out,) or all None, of one dtype, as a gradient step makes
        them. The arrays are made read-only in place, so the caller must not keep writing into
        them. NaN or Inf (a step that diverged) is still rejected with `MLPInputError`, naming
        the array (e.g. "W[1] contains NaN or Inf").
        """
        for name, arrays in (("W", W), ("b", b)):
            for i, x in enumerate(arrays):
                if x is not None and not all_finite(x):
                    raise MLPInputError(f"{name}[{i}] contains NaN or Inf (shape {x.shape})")
        return _frozen(cls, "W", W, "b", b)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths (n_0, n_1, ..., n_L), inputs first."""
        return (self.W[0].shape[1], *(w.shape[0] for w in self.W))

    @property
    def dtype(self) -> np.dtype:
        """The common dtype of every array (float32 or float64)."""
        return self.W[0].dtype

    @property
    def has_bias(self) -> bool:
        """True unless the network has no biases at all."""
        return self.b[0] is not None

    def astype(self, dtype: np.dtype | type) -> Params:
        """The same parameters cast to `dtype` (float32 or float64)."""
        cast = [w.astype(dtype) for w in self.W]
        return Params(cast, [None if x is None else x.astype(dtype) for x in self.b])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array by tutorial name: ``W1, b1, W2, b2, ...`` (layer numbers from 1)."""
        return _by_name("W", self.W, "b", self.b)


@dataclass(frozen=True, init=False)
class Gradients:
    """dC/dW[i] (n_out, n_in) and dC/db[i] (n_out,) or None: shaped like `Params`."""

    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray | None, ...]

    def __init__(self, dW: Sequence[np.ndarray], db: Sequence[np.ndarray | None]):
        """Validate, copy and freeze, with the same rules as `Params`."""
        dWs, dbs = _check_layers("dW", dW, "db", db)
        object.__setattr__(self, "dW", dWs)
        object.__setattr__(self, "db", dbs)

    @classmethod
    def adopt(cls, dW: Sequence[np.ndarray], db: Sequence[np.ndarray | None]) -> Gradients:
        """Take arrays just computed by backpropagation as they are: no copy, no checks.

        dW[i] (n_out, n_in) and db[i] (n_out,) or all None, shaped like the `Params` they came
        from. The arrays are made read-only in place. Unlike the constructor, NaN or Inf is
        let through: a gradient that overflowed is reported by the step it would take
        (`Params.adopt` names the parameter that diverged).
        """
        return _frozen(cls, "dW", dW, "db", db)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every gradient by tutorial name: ``dW1, db1, dW2, db2, ...``."""
        return _by_name("dW", self.dW, "db", self.db)
