"""Activation functions, each written next to its derivative.

Every function takes pre-activations `Z` of shape (n, k): n samples in rows, k units in columns.
The derivative functions take `(Z, A)` where `A = f(Z)` has already been computed, so that tanh
and sigmoid can reuse it; they return `dA/dZ` elementwise, shape (n, k).

Softmax is not elementwise: its derivative is a (k, k) Jacobian per row (`softmax_jacobian`), and
the backward pass uses the vector-Jacobian product `softmax_backward` instead of an elementwise
product. `step` (the perceptron's threshold) is here for completeness; it has no useful
derivative and is not offered to the gradient-trained network.

Not for: losses (see `scratch.losses`), anything that holds state, or speed: the in-place
variants that write into work buffers are private to `scratch.fast`.
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


def relu(Z: np.ndarray) -> np.ndarray:
    """A = max(Z, 0).  Shape (n, k) -> (n, k)."""
    return np.maximum(Z, 0)


def relu_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 1 where Z > 0, else 0; the value at Z = 0 is 0, as in the tutorials (and torch)."""
    return (Z > 0).astype(Z.dtype)


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


def softmax_backward(dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """The vector-Jacobian product dZ_i = J_i^T dA_i = (dA_i - <dA_i, a_i>) * a_i, row by row.

    J_i is symmetric, so this is also J_i dA_i; it is computed without forming J.
    dA, Z, A (n, k) -> dZ (n, k).
    """
    inner = (dA * A).sum(axis=1, keepdims=True)
    return (dA - inner) * A


def step(Z: np.ndarray) -> np.ndarray:
    """The perceptron's threshold: A = 1 where Z >= 0, else 0.  Shape (n, k) -> (n, k)."""
    return (Z >= 0).astype(Z.dtype)


def step_grad(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """dA/dZ = 0 wherever it exists (undefined at Z = 0): why the perceptron needs its own rule."""
    return np.zeros_like(Z)


@dataclass(frozen=True)
class Activation:
    """An activation by name: its function `fn`, its derivative `grad`, and the two steps a
    network takes with them.

    fn(Z) -> A, (n, k) -> (n, k). grad(Z, A) -> dA/dZ elementwise, (n, k); `None` for softmax,
    whose derivative is a (k, k) Jacobian per row, not an elementwise factor.
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray] | None

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """A = f(Z).  Z (n, k) -> A (n, k)."""
        return self.fn(Z)

    def backward(self, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        """dZ = dC/dZ from dA = dC/dA, with A = f(Z).  dA, Z, A (n, k) -> dZ (n, k).

        Elementwise activations: dZ = dA * grad(Z, A). Softmax: the vector-Jacobian product
        dZ_i = J_i^T dA_i (`softmax_backward`).
        """
        if self.grad is None:
            return softmax_backward(dA, Z, A)
        return dA * self.grad(Z, A)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", identity, identity_grad),
    "relu": Activation("relu", relu, relu_grad),
    "tanh": Activation("tanh", tanh, tanh_grad),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad),
    "softmax": Activation("softmax", softmax, None),
}
"""The activations a gradient-trained network may use, by name (`step` is perceptron-only)."""


def get_activation(name: object) -> Activation:
    """Look an activation up by name; raise `ConfigError` listing the known names otherwise."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
