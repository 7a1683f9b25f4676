"""Argument checks used at the public entry points of `scratch` (and reused by `reference`).

Each check raises an exception from `scratch.errors` whose message names the argument and the
shapes or values involved, so that a bad call fails loudly instead of broadcasting silently.
Not for: anything numerical beyond looking at shapes, dtypes and finiteness.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from scratch.errors import DTypeError, MLPInputError, NonFiniteError, ShapeError

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


def check_real(name: str, value: object) -> float:
    """Return `value` as a float if it is a finite real number (not a bool), else raise
    `DTypeError` (not a number) or `MLPInputError` (NaN or Inf)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise DTypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise MLPInputError(f"{name} must be finite, got {value!r}")
    return float(value)


def check_learning_rate(lr: object, name: str = "lr") -> float:
    """Return `lr` as a float if it is a finite real number > 0, else raise `MLPInputError`
    (`DTypeError` for a non-number); messages call it `name`."""
    if isinstance(lr, bool) or not isinstance(lr, Real):
        raise DTypeError(f"{name} must be a real number, got {type(lr).__name__}")
    if not math.isfinite(float(lr)) or lr <= 0:
        raise MLPInputError(f"{name} must be finite and > 0, got {lr!r}")
    return float(lr)


def check_flag(name: str, value: object) -> bool:
    """Return `value` if it is True or False (a Python bool), else raise `DTypeError`: a truthy
    string such as "no" is not a flag."""
    if not isinstance(value, bool):
        raise DTypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return value


def check_seed(seed: object) -> int:
    """Return `seed` if it is a non-negative int, else raise (None is not a seed: no silent
    randomness)."""
    return check_count("seed", seed, minimum=0)


def check_instance(name: str, value: object, cls: type, what: str) -> None:
    """Raise `DTypeError` naming `name`, `what` it must be and the type it got, unless `value`
    is an instance of `cls`."""
    if not isinstance(value, cls):
        raise DTypeError(f"{name} must be {what}, got {type(value).__name__}")


def check_finite_output(A: np.ndarray, depth: int, lr: float | None = None) -> np.ndarray:
    """Return the network output A(L) (n, n_L) if finite, else raise `NonFiniteError` naming it
    (and the step's `lr`, when in a training step)."""
    if not all_finite(A):
        raise NonFiniteError(
            f"the output A({depth}) contains NaN or Inf (shape {A.shape}): the forward pass "
            "overflowed",
            lr=lr,
        )
    return A


def check_finite_cost(cost: float, lr: float | None = None) -> float:
    """Return `cost` if finite, else raise `NonFiniteError` naming it (and `lr`, as above)."""
    if not math.isfinite(cost):
        raise NonFiniteError(f"the cost is {cost}: the output is too far from Y (overflow)", lr=lr)
    return cost


OBJECTIVES = ("cost", "output")
"""What training differentiates: the cost, or the sum of the network's outputs (T4's dL/dw)."""


def check_objective(objective: object) -> str:
    """Return `objective` if it is one of OBJECTIVES, else raise `MLPInputError`."""
    if objective not in OBJECTIVES:
        raise MLPInputError(f"objective must be 'cost' or 'output', got {objective!r}")
    return objective


def check_training(lr: object, steps: object, objective: object, **flags: object) -> float:
    """The checks of a `train` call (both implementations): steps an int >= 1, lr finite > 0,
    objective known, each flag (record, maximize, freeze_biases) a bool. Returns lr."""
    check_count("steps", steps, minimum=1)
    lr = check_learning_rate(lr)
    check_objective(objective)
    for name, value in flags.items():
        check_flag(name, value)
    return lr


def check_count(name: str, value: object, *, minimum: int) -> int:
    """Return `value` if it is an int (not a bool) >= `minimum`, else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DTypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise MLPInputError(f"{name} must be >= {minimum}, got {value}")
    return int(value)
