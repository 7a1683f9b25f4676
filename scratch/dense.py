"""The fully connected (dense) layer: its forward step and, beside it, its backward step.

Internal layout (see `scratch.params`): W is (n_out, n_in), b is (n_out,) or None, a batch is
rows. Not for: activations, losses, or work buffers (the buffered variant is private to
`scratch.fast`).
"""

from __future__ import annotations

import numpy as np


def dense_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Z = A_prev W^T + b, b added to each row.  A_prev (n, n_in), W (n_out, n_in) -> (n, n_out)."""
    Z = A_prev @ W.T
    if b is not None:
        Z += b
    return Z


def dense_backward(
    dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, has_bias: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The layer's gradients from dZ = dC/dZ (n, n_out), its input A_prev (n, n_in) and W.

    dW = dZ^T A_prev, (n_out, n_in): the batch's outer products, summed;
    db = sum over the batch (rows) of dZ, (n_out,); None without a bias;
    dA_prev = dZ W, (n, n_in): dC/dA_prev, passed on to the previous layer.
    """
    dW = dZ.T @ A_prev
    db = dZ.sum(axis=0) if has_bias else None
    dA_prev = dZ @ W
    return dW, db, dA_prev
