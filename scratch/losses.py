"""Costs and their gradients with respect to the network output.

Shapes: the output `A` (or probabilities `P`, or logits `Z`) and the target `Y` are both (n, k),
n samples in rows and k outputs in columns; they must have exactly the same shape.

The reduction says what the summed cost is divided by; it is always named, never implied:

- ``"sample_mean"``: divide by n, the number of samples (rows). Summed over outputs, averaged
  over samples. This is T1's, T3's and T4's mean: MSE = 1/(2n) sum_i ||a_i - y_i||^2.
- ``"sum"``: no division, as in T4's 1000-step network (1/2 sum of squared errors).
- ``"element_mean"`` (MSE only): divide by n*k, every element. This is T2's loss,
  mean((A - Y)**2) / 2, and also what `torch.nn.MSELoss(reduction='mean')` averages over. It
  equals the sample mean only when k = 1; T2's printed derivative (A - Y)/n is the derivative of
  the sample mean, which is T2's erratum for k > 1.

Not for: the activation of the output layer (see `scratch.activations`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch.errors import ConfigError, DTypeError, MLPInputError, ShapeError

REDUCTIONS = ("sample_mean", "sum", "element_mean")
SUPPORTED = {"mse": REDUCTIONS, "cross_entropy": ("sample_mean", "sum")}
"""The reductions each loss supports: an element mean of cross-entropy is nobody's convention."""


def divisor(
    reduction: str, A: np.ndarray, Y: np.ndarray, *, loss: str = "mse", names: str = "AY"
) -> int:
    """What the summed cost is divided by: n, 1 or n*k for an output A of shape (n, k).

    Also the loss functions' argument check: A and Y (called `names[0]`, `names[1]` in messages)
    must be float ndarrays (`DTypeError`), both (n, k) of the same shape (a (n,)
    target against an (n, 1) output raises `ShapeError` instead of broadcasting to (n, n)), and
    the reduction must be one `loss` supports (`ConfigError`).
    """
    if not (isinstance(A, np.ndarray) and isinstance(Y, np.ndarray)):
        name, x = (names[0], A) if not isinstance(A, np.ndarray) else (names[1], Y)
        raise DTypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if A.dtype.kind != "f" or Y.dtype.kind != "f":
        name, x = (names[0], A) if A.dtype.kind != "f" else (names[1], Y)
        raise DTypeError(f"{name} must have a float dtype (float32 or float64), got {x.dtype}")
    if A.ndim != 2 or A.shape != Y.shape:
        raise ShapeError(
            f"the output {names[0]} has shape {A.shape} and the target {names[1]} {Y.shape}: both "
            "must be the same (n, k) shape (no broadcasting)"
        )
    if not isinstance(reduction, str) or reduction not in SUPPORTED[loss]:
        if isinstance(reduction, str) and reduction in REDUCTIONS:
            raise ConfigError(
                f"{loss} does not support reduction {reduction!r}; use one of {SUPPORTED[loss]}"
            )
        raise ConfigError(f"unknown reduction {reduction!r}; known: {REDUCTIONS}")
    n, k = A.shape
    return {"sample_mean": n, "sum": 1, "element_mean": n * k}[reduction]


def mse(A: np.ndarray, Y: np.ndarray, reduction: str = "sample_mean") -> float:
    """C = 1/(2d) sum_ij (A_ij - Y_ij)^2, d = divisor(reduction).  A, Y: (n, k) -> scalar."""
    d = divisor(reduction, A, Y)
    E = A - Y
    return float((E * E).sum() / (2 * d))


def mse_grad(A: np.ndarray, Y: np.ndarray, reduction: str = "sample_mean") -> np.ndarray:
    """dC/dA = (A - Y) / d, d = divisor(reduction).  Shape (n, k)."""
    d = divisor(reduction, A, Y)
    return (A - Y) / d


def cross_entropy(P: np.ndarray, Y: np.ndarray, reduction: str = "sample_mean") -> float:
    """C = -(1/d) sum_ij Y_ij log P_ij on probabilities P (softmax outputs).  (n, k) -> scalar.

    Terms with Y_ij = 0 contribute 0 (0 log 0 = 0). A probability of exactly 0 for a true class
    is clipped to the dtype's smallest normal number (about 2.2e-308 in float64, so the term is
    at most about 708), which keeps the cost finite; the network computes the cost from the
    logits instead (`softmax_cross_entropy`), which needs no clipping.
    """
    d = divisor(reduction, P, Y, loss="cross_entropy", names="PY")
    logP = np.log(np.maximum(P, np.finfo(P.dtype).tiny))
    return float(-np.where(Y != 0, Y * logP, 0).sum() / d)


def cross_entropy_grad(P: np.ndarray, Y: np.ndarray, reduction: str = "sample_mean") -> np.ndarray:
    """dC/dP = -(Y / P) / d, the derivative of `cross_entropy` as clipped.  Shape (n, k).

    It is 0 where Y = 0, and 0 where P is below the clip (the clipped cost is flat there, as
    torch's autograd of `clamp_min` also says); the network's own gradient is taken from the
    logits (`softmax_cross_entropy_grad`) and never needs this clip.
    """
    d = divisor(reduction, P, Y, loss="cross_entropy", names="PY")
    live = (Y != 0) & (P >= np.finfo(P.dtype).tiny)
    return -np.where(live, Y / np.where(live, P, 1), 0) / d


def log_softmax(Z: np.ndarray) -> np.ndarray:
    """log softmax(Z) row-wise = Z - m - log sum_j exp(Z_j - m), m the row max.  (n, k)."""
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def softmax_cross_entropy(Z: np.ndarray, Y: np.ndarray, reduction: str = "sample_mean") -> float:
    """C = -(1/d) sum_ij Y_ij log softmax(Z)_ij from the logits Z: finite for any finite Z.

    Z, Y: (n, k) -> scalar. Y may hold any weights here (soft labels); the gradient needs one-hot.
    """
    d = divisor(reduction, Z, Y, loss="cross_entropy", names="ZY")
    return float(-(Y * log_softmax(Z)).sum() / d)


def softmax_cross_entropy_grad(P: np.ndarray, Y: np.ndarray, reduction: str) -> np.ndarray:
    """dC/dZ = (P - Y) / d for P = softmax(Z) and one-hot Y.  Shape (n, k).

    This is the softmax Jacobian applied to `cross_entropy_grad`, simplified using the fact
    that each row of Y sums to 1: a Y that is not one-hot raises `MLPInputError`.
    """
    d = divisor(reduction, P, Y, loss="cross_entropy", names="PY")
    check_one_hot("Y", Y)
    return (P - Y) / d


def check_one_hot(name: str, Y: np.ndarray) -> None:
    """Raise `MLPInputError` unless every entry of Y (n, k) is 0 or 1 and every row sums to
    exactly 1."""
    # one entry equal to 1 in each row, and no other nonzero entry anywhere (NaN counts)
    if not (((Y == 1).sum(axis=1) == 1).all() and np.count_nonzero(Y) == Y.shape[0]):
        bad = np.flatnonzero(~(((Y == 0) | (Y == 1)).all(axis=1) & (Y.sum(axis=1) == 1)))
        raise MLPInputError(
            f"{name} must be one-hot for cross-entropy (entries 0 or 1, each row summing to 1); "
            f"shape {Y.shape}, first bad row {int(bad[0])}: {Y[bad[0]].tolist()}"
        )


@dataclass(frozen=True)
class Loss:
    """A cost by name: `fn(A, Y, reduction) -> float` and `grad(A, Y, reduction) -> dC/dA`."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray, str], float]
    grad: Callable[[np.ndarray, np.ndarray, str], np.ndarray]
    reductions: tuple[str, ...]


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", mse, mse_grad, REDUCTIONS),
    "cross_entropy": Loss(
        "cross_entropy", cross_entropy, cross_entropy_grad, SUPPORTED["cross_entropy"]
    ),
}


def get_loss(name: object, reduction: object) -> Loss:
    """Look a loss up by name and check that it supports `reduction`; raise `ConfigError`."""
    if not isinstance(name, str) or name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; known: {sorted(LOSSES)}")
    loss = LOSSES[name]
    if not isinstance(reduction, str) or reduction not in loss.reductions:
        raise ConfigError(
            f"loss {name!r} does not support reduction {reduction!r}; use one of {loss.reductions}"
        )
    return loss
