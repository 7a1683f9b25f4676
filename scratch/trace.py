"""What a forward pass and a training run leave behind: plain containers of arrays, no math.

Both implementations return these (the reference converts its tensors to NumPy first), so the
conformance suite compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratch.layouts import named_in_layout
from scratch.optim import Velocity
from scratch.params import Gradients, Params


@dataclass(frozen=True)
class ForwardCache:
    """Every layer's pre-activation and activation from one forward pass.

    Z[i]: layer i+1's pre-activation, shape (n, n_{i+1}); L entries.
    A[i]: A[0] is the input X (n, n_0); A[i] for i >= 1 is layer i's activation f(Z[i-1]),
    shape (n, n_i); L + 1 entries. A[-1] is the network output.
    """

    Z: tuple[np.ndarray, ...]
    A: tuple[np.ndarray, ...]

    @property
    def output(self) -> np.ndarray:
        """The network output A[L], shape (n, n_L)."""
        return self.A[-1]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every layer's arrays by tutorial name: ``Z1, A1, Z2, A2, ...`` (A0 = X left out)."""
        out: dict[str, np.ndarray] = {}
        for i, Z in enumerate(self.Z, start=1):
            out[f"Z{i}"] = Z
            out[f"A{i}"] = self.A[i]
        return out


@dataclass(frozen=True)
class Deltas:
    """The backward pass's intermediate quantities, layer by layer (i = 0 for layer 1).

    dA[i]: dC/dA(i+1), shape (n, n_{i+1}); dZ[i]: dC/dZ(i+1), same shape;
    aprime[i]: the elementwise derivative f'(Z(i+1)), same shape, or None for softmax (whose
    derivative is a Jacobian, not an elementwise factor).
    """

    dA: tuple[np.ndarray, ...]
    dZ: tuple[np.ndarray, ...]
    aprime: tuple[np.ndarray | None, ...]

    def arrays(self) -> dict[str, np.ndarray]:
        """By tutorial name: ``dA1, dZ1, aprime1, dA2, ...`` (None entries left out)."""
        out: dict[str, np.ndarray] = {}
        for i, (dA, dZ, g) in enumerate(zip(self.dA, self.dZ, self.aprime, strict=True), start=1):
            out[f"dA{i}"] = dA
            out[f"dZ{i}"] = dZ
            if g is not None:
                out[f"aprime{i}"] = g
        return out


@dataclass(frozen=True)
class StepRecord:
    """One gradient-descent step, everything taken before the update except `after` and
    `velocity`.

    step: the 0-based step number; params: the parameters it started from; cache: its forward
    pass; cost: its cost; grads: its gradients; after: the parameters after the update;
    deltas: the backward pass's per-layer dA, dZ and f'(Z); velocity: with momentum, the
    optimizer's buffers after the update (`scratch.optim.Velocity`), else None.
    """

    step: int
    params: Params
    cache: ForwardCache
    cost: float
    grads: Gradients
    after: Params
    deltas: Deltas
    velocity: Velocity | None = None

    def arrays(self, layout: str = "t1") -> dict[str, np.ndarray]:
        """Every tensor of the step by tutorial name, in the order they are computed: Z1, A1,
        ..., ZL, AL; cost (1, 1); dA1, dZ1, aprime1, ...; dW1, db1, ...; with momentum vW1, vb1,
        ...; W1_after, b1_after, ...

        Z, A and the deltas are batch-first (n, n_l); gradients, velocities and updated
        parameters are in `layout` ("t1", the internal layout, or "t2", "t3": see
        `scratch.layouts`).
        """
        out: dict[str, np.ndarray] = dict(self.cache.arrays())
        out["cost"] = np.array([[self.cost]])
        out.update(self.deltas.arrays())
        out.update(named_in_layout(layout, self.grads.dW, self.grads.db, w_name="dW", b_name="db"))
        if self.velocity is not None:
            out.update(self.velocity.arrays(layout))
        out.update(named_in_layout(layout, self.after.W, self.after.b, suffix="_after"))
        return out


@dataclass(frozen=True)
class History:
    """A training run, as the tutorials print it: cost and output before each update.

    cost: shape (steps,); output: shape (steps, n, n_L); records: one `StepRecord` per step when
    the run was asked to keep them (`record=True`), else empty.
    """

    cost: np.ndarray
    output: np.ndarray
    records: tuple[StepRecord, ...] = ()
