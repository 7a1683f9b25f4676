"""Activation functions, each written next to its derivative.

Every function takes pre-activations `Z` of shape (n, k): n samples in rows, k units in columns.
The derivative functions take `(Z, A)` where `A = f(Z)` has already been computed, so that tanh
and sigmoid can reuse it; they return `dA/dZ` elementwise, shape (n, k).

Softmax is not elementwise: its derivative is a (k, k) Jacobian per row (`softmax_jacobian`), and
the backward pass uses the vector-Jacobian product `softmax_backward` instead of an elementwise
product. `step` (the perceptron's threshold) is here for completeness; it has no useful
derivative and is not offered to the gradient-trained network.

Not for: losses (see `scratch.losses`) or anything that holds state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch.errors import ConfigError


def identity(Z: np.ndarray) -> np.ndarray:
    """A = Z.  Shape (n, k) -> (n, k); returns `Z` itself, not a copy (nothing mutates it)."""
    return Z


def identity_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 1 everywhere.  Shape (n, k)."""
    return np.ones_like(Z)


def identity_backward(
    dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """dZ = dA (the product with identity_grad, without forming the ones).  (n, k)."""
    if out is not None and out is not dA:
        np.copyto(out, dA)
        return out
    return dA


def relu(Z: np.ndarray) -> np.ndarray:
    """A = max(Z, 0).  Shape (n, k) -> (n, k)."""
    return np.maximum(Z, 0)


def relu_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 1 where Z > 0, else 0; the value at Z = 0 is 0, as in the tutorials (and torch)."""
    return (Z > 0).astype(Z.dtype)


def relu_backward(
    dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """dZ = dA * relu_grad(Z), computed as dA times the boolean mask Z > 0 (one pass, no float
    mask; `out` may be dA itself).  (n, k)."""
    return np.multiply(dA, Z > 0, out=out)


def tanh(Z: np.ndarray) -> np.ndarray:
    """A = tanh(Z).  Shape (n, k) -> (n, k)."""
    return np.tanh(Z)


def tanh_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 1 - tanh(Z)^2 = 1 - A^2 (computed from A, not from Z)."""
    return 1 - A * A


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """A = 1 / (1 + exp(-Z)), evaluated without overflow for any finite Z.

    With e = exp(-|Z|) <= 1: A = 1 / (1 + e) where Z >= 0 and e / (1 + e) where Z < 0, so no
    exponential of a large positive number is ever taken (no warning at Z = +-1000).
    """
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = sigma(Z) (1 - sigma(Z)) = A (1 - A)."""
    return A * (1 - A)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise A_ij = exp(Z_ij - m_i) / sum_j' exp(Z_ij' - m_i), with m_i the row max.

    Subtracting the row max leaves the result unchanged and keeps exp() <= 1.  (n, k) -> (n, k).
    """
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_jacobian(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Per-row Jacobian J_i = diag(a_i) - a_i a_i^T, where a_i = softmax(z_i).  Shape (n, k, k)."""
    return A[:, :, None] * np.eye(A.shape[1], dtype=A.dtype) - A[:, :, None] * A[:, None, :]


def softmax_backward(
    dA: np.ndarray, Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """dZ_i = J_i^T dA_i = a_i * (dA_i - <dA_i, a_i>) row by row, without forming J.  (n, k)."""
    inner = (dA * A).sum(axis=1, keepdims=True)
    out = np.subtract(dA, inner, out=out)
    out *= A
    return out


def step(Z: np.ndarray) -> np.ndarray:
    """The perceptron's threshold: A = 1 where Z >= 0, else 0.  Shape (n, k) -> (n, k)."""
    return (Z >= 0).astype(Z.dtype)


def step_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 0 wherever it exists (undefined at Z = 0): why the perceptron needs its own rule."""
    return np.zeros_like(Z)


@dataclass(frozen=True)
class Activation:
    """An activation by name: `fn(Z) -> A`, and `backward(dA, Z, A) -> dZ` for backprop.

    For elementwise activations `grad(Z, A)` is dA/dZ and `backward` is `dA * grad(Z, A)`; for
    softmax `grad` is `None` and `backward` is the Jacobian-vector product. `vjp`, when given,
    computes the same dZ faster (relu's boolean mask, identity's no-op, softmax's product).
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    vjp: Callable[..., np.ndarray] | None = None
    fn_into: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    """`fn` written into a given buffer, for the activations that are one NumPy ufunc."""

    def forward(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """A = f(Z), into `out` when given and this activation can write into a buffer."""
        if out is not None and self.fn_into is not None:
            return self.fn_into(Z, out)
        return self.fn(Z)

    def backward(
        self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray, *, overwrite: bool = False
    ) -> np.ndarray:
        """dZ = dA * f'(Z) elementwise, or the softmax vector-Jacobian product.  (n, k).

        With `overwrite=True` the caller gives dA up and dZ may be written into its memory.
        """
        out = dA if overwrite else None
        if self.vjp is not None:
            return self.vjp(dA, Z, A, out=out)
        assert self.grad is not None
        return np.multiply(dA, self.grad(Z, A), out=out)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", identity, identity_grad, identity_backward),
    "relu": Activation(
        "relu", relu, relu_grad, relu_backward, lambda Z, out: np.maximum(Z, 0, out=out)
    ),
    "tanh": Activation("tanh", tanh, tanh_grad, None, lambda Z, out: np.tanh(Z, out=out)),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad),
    "softmax": Activation("softmax", softmax, None, softmax_backward),
}
"""The activations a gradient-trained network may use, by name (`step` is perceptron-only)."""


def get_activation(name: object) -> Activation:
    """Look an activation up by name; raise `ConfigError` listing the known names otherwise."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
