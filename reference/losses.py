"""The costs of `scratch.losses`, written in torch operations so that autograd differentiates them.

Shapes: A (or logits Z) and Y are (n, k) tensors of the same shape. The divisor d is n for
"sample_mean", 1 for "sum" and n*k for "element_mean" (mse only); see `scratch.losses` for
why the reduction is always named.
"""

from __future__ import annotations

import torch

from scratch.errors import ConfigError, DTypeError, ShapeError
from scratch.losses import SUPPORTED


def divisor(
    reduction: str, A: torch.Tensor, Y: torch.Tensor, *, loss: str = "mse", names: str = "AY"
) -> int:
    """n, 1 or n*k for an output A of shape (n, k); A and Y must be tensors (`DTypeError`) of
    the same (n, k) shape (`ShapeError`, never a broadcast) and the reduction one that `loss`
    supports (`ConfigError`), as in `scratch.losses.divisor`."""
    for name, x in zip(names, (A, Y), strict=True):
        if not isinstance(x, torch.Tensor):
            raise DTypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if A.ndim != 2 or A.shape != Y.shape:
        raise ShapeError(
            f"the output {names[0]} has shape {tuple(A.shape)} and the target {names[1]} "
            f"{tuple(Y.shape)}: both must be the same (n, k) shape (no broadcasting)"
        )
    if not isinstance(reduction, str) or reduction not in SUPPORTED[loss]:
        raise ConfigError(
            f"{loss} does not support reduction {reduction!r}; use one of {SUPPORTED[loss]}"
        )
    n, k = A.shape
    return {"sample_mean": n, "sum": 1, "element_mean": n * k}[reduction]


def mse(A: torch.Tensor, Y: torch.Tensor, reduction: str = "sample_mean") -> torch.Tensor:
    """C = 1/(2d) sum (A - Y)^2.  Scalar tensor."""
    d = divisor(reduction, A, Y)
    return ((A - Y) ** 2).sum() / (2 * d)


def softmax_cross_entropy(
    Z: torch.Tensor, Y: torch.Tensor, reduction: str = "sample_mean"
) -> torch.Tensor:
    """C = -(1/d) sum Y * log_softmax(Z) from the logits Z.  Scalar tensor."""
    d = divisor(reduction, Z, Y, loss="cross_entropy", names="ZY")
    return -(Y * torch.log_softmax(Z, dim=1)).sum() / d


def cross_entropy(P: torch.Tensor, Y: torch.Tensor, reduction: str = "sample_mean") -> torch.Tensor:
    """C = -(1/d) sum Y log P on probabilities P, P clipped below at the dtype's smallest normal
    number and 0 log 0 taken as 0, as in `scratch.losses.cross_entropy`.  Scalar tensor."""
    d = divisor(reduction, P, Y, loss="cross_entropy", names="PY")
    logP = torch.log(P.clamp_min(torch.finfo(P.dtype).tiny))
    return -torch.where(Y != 0, Y * logP, torch.zeros_like(P)).sum() / d
