"""Argument checks used at the public entry points of `scratch` (and reused by `reference`).

Each check raises an exception from `scratch.errors` whose message names the argument and the
shapes or values involved, so that a bad call fails loudly instead of broadcasting silently.
Not for: anything numerical beyond looking at shapes, dtypes and finiteness.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from scratch.errors import DTypeError, MLPInputError, ShapeError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def all_finite(x: np.ndarray) -> bool:
    """True if no element of x is NaN or Inf.

    For large arrays it first sums them (one pass, no temporary): a NaN or Inf anywhere makes
    the sum non-finite. Only when the sum is not finite (which also happens for huge but finite
    values) does it fall back to the exact elementwise test.
    """
    if x.size < 4096:
        return bool(np.isfinite(x).all())
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(x, axis=None)):
            return True
    return bool(np.isfinite(x).all())


def check_float_matrix(name: str, X: object, *, columns: int | None = None) -> np.ndarray:
    """Return `X` if it is a finite 2-D float32/float64 ndarray of shape (n >= 1, columns).

    Raises `DTypeError` for anything that is not a float32/float64 ndarray, `ShapeError` for the
    wrong number of dimensions, an empty batch or the wrong number of columns, and
    `MLPInputError` for NaN or Inf entries.
    """
    if not isinstance(X, np.ndarray):
        raise DTypeError(f"{name} must be a numpy.ndarray, got {type(X).__name__}")
    if X.dtype not in FLOAT_DTYPES:
        raise DTypeError(f"{name} must have dtype float32 or float64, got {X.dtype}")
    if X.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (samples, features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ShapeError(f"{name} is an empty batch: shape {X.shape}")
    if columns is not None and X.shape[1] != columns:
        raise ShapeError(f"{name} must have {columns} columns, got shape {X.shape}")
    if not all_finite(X):
        raise MLPInputError(f"{name} contains NaN or Inf (shape {X.shape})")
    return X


def check_target(
    name: str, Y: object, output_shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray:
    """Return targets `Y` if they are finite floats of `dtype` with exactly `output_shape`.

    The shape is compared first and without broadcasting: a (n,) target against an (n, 1)
    output raises `ShapeError` naming both shapes, instead of becoming an (n, n) loss.
    """
    if isinstance(Y, np.ndarray) and Y.shape != tuple(output_shape):
        raise ShapeError(
            f"{name} has shape {Y.shape} but the network output A(L) has shape "
            f"{tuple(output_shape)}; they must be equal (no broadcasting: a (n,) target against "
            "an (n, 1) output is an error)"
        )
    check_float_matrix(name, Y)
    check_same_dtype(name, Y, dtype)
    return Y


def check_same_dtype(name: str, X: np.ndarray, dtype: np.dtype) -> None:
    """Raise `DTypeError` unless `X.dtype == dtype` (no silent float32/float64 mixing)."""
    if X.dtype != dtype:
        raise DTypeError(f"{name} has dtype {X.dtype} but the parameters are {dtype}")


def check_learning_rate(lr: object) -> float:
    """Return `lr` as a float if it is a finite real number > 0, else raise `MLPInputError`."""
    if isinstance(lr, bool) or not isinstance(lr, Real):
        raise DTypeError(f"lr must be a real number, got {type(lr).__name__}")
    if not math.isfinite(float(lr)) or lr <= 0:
        raise MLPInputError(f"lr must be finite and > 0, got {lr!r}")
    return float(lr)


OBJECTIVES = ("cost", "output")
"""What training differentiates: the cost, or the sum of the network's outputs (T4's dL/dw)."""


def check_objective(objective: object) -> str:
    """Return `objective` if it is one of OBJECTIVES, else raise `MLPInputError`."""
    if objective not in OBJECTIVES:
        raise MLPInputError(f"objective must be 'cost' or 'output', got {objective!r}")
    return objective


def check_count(name: str, value: object, *, minimum: int) -> int:
    """Return `value` if it is an int (not a bool) >= `minimum`, else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DTypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise MLPInputError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
