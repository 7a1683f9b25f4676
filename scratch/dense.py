"""The fully connected (dense) layer: its forward step and, beside it, its backward step.

Internal layout (see `scratch.params`): W is (n_out, n_in), b is (n_out,) or None, a batch is
rows. Not for: activations or losses.
"""

from __future__ import annotations

import numpy as np


def dense_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray | None, out: np.ndarray | None = None
) -> np.ndarray:
    """Z = A_prev W^T + b, b added to each row.  A_prev (n, n_in), W (n_out, n_in) -> (n, n_out).

    `out`, if given, is an (n, n_out) buffer Z is written into (reused from step to step).
    """
    Z = np.matmul(A_prev, W.T, out=out)
    if b is not None:
        Z += b
    return Z


def dense_backward(
    dZ: np.ndarray,
    A_prev: np.ndarray,
    W: np.ndarray,
    has_bias: bool,
    need_dA_prev: bool = True,
    out_dA_prev: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of the layer from dZ = dC/dZ (n, n_out).

    dW = dZ^T A_prev (n_out, n_in), summed over the batch;
    db = column sums of dZ (n_out,), or None without a bias;
    dA_prev = dZ W (n, n_in), passed on to the previous layer (None when not needed: the first
    layer's would be the gradient of the input, which nothing uses); written into
    `out_dA_prev` if given.
    """
    dW = dZ.T @ A_prev
    db = dZ.sum(axis=0) if has_bias else None
    dA_prev = np.matmul(dZ, W, out=out_dA_prev) if need_dA_prev else None
    return dW, db, dA_prev
