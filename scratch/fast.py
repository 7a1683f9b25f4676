"""The fast path: `Network`'s training step with work buffers, bit-identical to the plain path.

`Network.train_step` and `Network.train(record=False)` run here; `scratch.network` keeps the
plain code a reader follows. Both compute, in the same order and with the same NumPy calls,

    Z(l) = A(l-1) W(l)^T + b(l),  A(l) = f_l(Z(l))          l = 1..L, A(0) = X (n, n_0)
    C = loss(A(L), Y)   (cross-entropy from the logits Z(L), through log-softmax)
    dZ(L) = f_L'(Z(L)) applied to dA(L)                       dA(L) = dC/dA(L), or ones for
                                                              objective "output"; for softmax
                                                              with cross-entropy (A(L) - Y) / d
    dW(l) = dZ(l)^T A(l-1),  db(l) = sum over rows of dZ(l),  dA(l-1) = dZ(l) W(l)
    dZ(l-1) = f_{l-1}'(Z(l-1)) applied to dA(l-1)             l = L..1
    W(l) <- W(l) - lr dW(l),  b(l) <- b(l) - lr db(l)         (+ with maximize; b kept with
                                                              freeze_biases)

With momentum or weight decay (a `scratch.optim.SGD` that is not plain) the update is
`scratch.optim.sgd_step`, the very function `Network.step` calls, on the fresh dW and db:
only the forward and backward passes use buffers then.

What it reuses, and why:

- Z(l), A(l) (n, n_l) for every layer and dA(l) (n, n_l) for the hidden layers are work buffers,
  allocated once per (batch size, dtype) and rewritten by every step. Nothing the caller keeps
  points into them: the output A(L) is returned as a copy.
- dZ(l) is written over dA(l), which is not needed after it (relu multiplies by the boolean
  mask Z > 0 in place, identity leaves dA as it is, softmax subtracts and multiplies in place,
  tanh and sigmoid multiply by `grad(Z, A)` in place).
- dW(l) and db(l) are fresh arrays (a matrix product, a sum). The update is written over them,
  dW <- dW * (-lr) + W, and they become the new parameters (`Params.adopt`, no copy).
- dA(0), the input's gradient, is not computed: nothing uses it.

Why the results are bit-identical:

- A ufunc or matrix product writing into a buffer (`out=`) does the same arithmetic on the same
  shapes as one that allocates its result.
- relu: multiplying by a boolean mask multiplies by exactly 1.0 or 0.0, as the float mask of
  `relu_grad` does; identity: dA * 1 is dA exactly, so the product is skipped.
- W - lr dW equals dW * (-lr) + W bit for bit: negation is exact, so (-lr) dW rounds to exactly
  -(lr dW), and W + (-x) is W - x. With maximize, W - (-lr) dW equals dW * lr + W likewise.

`conformance/tests/test_fast_path.py` checks the raw bits against the plain path for every
configuration of the conformance matrix and every training option.

Not for: reading (see `scratch.network`), or keeping a step's intermediates (they are in
buffers the next step overwrites; use `Network.train(record=True)`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch.activations import Activation, get_activation
from scratch.errors import MLPInputError
from scratch.losses import (
    check_one_hot,
    get_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from scratch.optim import PLAIN, SGD, Velocity, sgd_step
from scratch.params import Params
from scratch.spec import NetworkSpec
from scratch.validation import (
    check_finite_cost,
    check_finite_output,
    check_float_matrix,
    check_same_dtype,
    check_target,
)

# -- activations in place ----------------------------------------------------------------------
_FORWARD_INTO: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "relu": lambda Z, out: np.maximum(Z, 0, out=out),
    "tanh": lambda Z, out: np.tanh(Z, out=out),
}
"""A = f(Z) written into the buffer `out`, for the activations that are one NumPy ufunc. The
others call `Activation.forward` (identity returns Z itself)."""


def _softmax_backward_into(
    act: Activation, dA: np.ndarray, Z: np.ndarray, A: np.ndarray
) -> np.ndarray:
    """`softmax_backward` written over dA: (dA - <dA, a>) * a row by row."""
    inner = (dA * A).sum(axis=1, keepdims=True)
    dA -= inner
    dA *= A
    return dA


def _elementwise_backward_into(
    act: Activation, dA: np.ndarray, Z: np.ndarray, A: np.ndarray
) -> np.ndarray:
    """dA * grad(Z, A) written over dA."""
    return np.multiply(dA, act.grad(Z, A), out=dA)


_BACKWARD_INTO: dict[str, Callable[..., np.ndarray]] = {
    "identity": lambda act, dA, Z, A: dA,  # dA * 1 = dA
    "relu": lambda act, dA, Z, A: np.multiply(dA, Z > 0, out=dA),
    "tanh": _elementwise_backward_into,
    "sigmoid": _elementwise_backward_into,
    "softmax": _softmax_backward_into,
}
"""dZ = `Activation.backward(dA, Z, A)` written over dA, by activation name, called as
(act, dA, Z, A). An activation missing here runs its plain, allocating `backward`."""


def _forward_into(act: Activation, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
    into = _FORWARD_INTO.get(act.name)
    return act.forward(Z) if into is None else into(Z, out)


def _backward_into(act: Activation, dA: np.ndarray, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    into = _BACKWARD_INTO.get(act.name)
    return act.backward(dA, Z, A) if into is None else into(act, dA, Z, A)


# -- the dense layer and the update in place ---------------------------------------------------
def _dense_forward_into(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray | None, out: np.ndarray
) -> np.ndarray:
    """`scratch.dense.dense_forward` written into `out` (n, n_out): Z = A_prev W^T + b."""
    Z = np.matmul(A_prev, W.T, out=out)
    if b is not None:
        Z += b
    return Z


def _dense_backward_into(
    dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, has_bias: bool, out: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """`scratch.dense.dense_backward` with dA_prev = dZ W written into `out` (n, n_in); not
    computed (None) when `out` is None, as for the first layer."""
    dW = dZ.T @ A_prev
    db = dZ.sum(axis=0) if has_bias else None
    return dW, db, None if out is None else np.matmul(dZ, W, out=out)


def _step_into(
    params: Params,
    dW: list[np.ndarray],
    db: list[np.ndarray | None],
    lr: float,
    maximize: bool,
    freeze_biases: bool,
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """`Network.step`'s update written over the gradients: dW <- dW * (-lr) + W (+lr with
    maximize), the same for db unless `freeze_biases` keeps b. Returns the new (W, b) lists."""
    scale = lr if maximize else -lr
    for g, W in zip(dW, params.W, strict=True):
        np.multiply(g, scale, out=g)
        g += W
    b_new: list[np.ndarray | None] = []
    for g, b in zip(db, params.b, strict=True):
        if g is None or freeze_biases:
            b_new.append(b)
        else:
            np.multiply(g, scale, out=g)
            g += b
            b_new.append(g)
    return dW, b_new


# -- the step ----------------------------------------------------------------------------------
@dataclass
class _Buffers:
    """Work buffers for one (batch size, dtype): Z[i], A[i] (n, n_{i+1}) for every layer, dA[i]
    (n, n_{i+1}) for the hidden layers."""

    key: tuple[int, np.dtype]
    Z: list[np.ndarray]
    A: list[np.ndarray]
    dA: list[np.ndarray]


class FastPath:
    """The buffered training step of networks with one `NetworkSpec`; its buffers are its only
    state and never leave it. `Network` holds one and swaps in the `Params` each step returns."""

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self._activations = tuple(get_activation(name) for name in spec.activations)
        self._loss = get_loss(spec.loss, spec.reduction)
        self._fused_softmax_ce = spec.loss == "cross_entropy"  # as in `Network`
        self._buffers: _Buffers | None = None

    def _buffers_for(self, X: np.ndarray) -> _Buffers:
        """The buffers for X's batch size and dtype, made on first use and then kept."""
        key = (X.shape[0], X.dtype)
        if self._buffers is None or self._buffers.key != key:
            n, dtype = key
            widths = self.spec.sizes[1:]
            self._buffers = _Buffers(
                key,
                [np.empty((n, k), dtype) for k in widths],
                [np.empty((n, k), dtype) for k in widths],
                [np.empty((n, k), dtype) for k in widths[:-1]],
            )
        return self._buffers

    def step(
        self,
        params: Params,
        X: np.ndarray,
        Y: np.ndarray,
        lr: float,
        *,
        objective: str = "cost",
        maximize: bool = False,
        freeze_biases: bool = False,
        optimizer: SGD = PLAIN,
        velocity: Velocity | None = None,
    ) -> tuple[float, np.ndarray, list[np.ndarray], list[np.ndarray | None], Velocity | None]:
        """One step from `params` (and `velocity`, the momentum buffers before it) on X (n, n_0),
        Y (n, n_L), with `lr` already checked.

        Returns (the cost before the step, a copy of the output A(L) (n, n_L), the new W list,
        the new b list, for `Params.adopt`, and the new velocity: None without momentum). X and
        Y are checked as `Network` checks them, and a non-finite output or cost raises
        `NonFiniteError` as in `Network.forward` and `cost`.
        """
        spec = self.spec
        check_float_matrix("X", X, columns=spec.sizes[0])
        check_same_dtype("X", X, params.dtype)
        buf = self._buffers_for(X)
        Zs, As = [], [X]
        for i, (W, b, act) in enumerate(zip(params.W, params.b, self._activations, strict=True)):
            Z = _dense_forward_into(As[-1], W, b, buf.Z[i])
            Zs.append(Z)
            As.append(_forward_into(act, Z, buf.A[i]))
        # `Network` checks the output in `forward`, before Y: the same errors, in the same order,
        # but the output is looked at only when something is wrong (a NaN or Inf output makes
        # the cost NaN or Inf)
        try:
            check_target("Y", Y, As[-1].shape, params.dtype)
            if self._fused_softmax_ce:
                check_one_hot("Y", Y)
        except MLPInputError:
            check_finite_output(As[-1], spec.depth, lr)
            raise
        if self._fused_softmax_ce:
            cost = softmax_cross_entropy(Zs[-1], Y, spec.reduction)
        else:
            cost = self._loss.fn(As[-1], Y, spec.reduction)
        if not math.isfinite(cost):
            check_finite_output(As[-1], spec.depth, lr)
            check_finite_cost(cost, lr)
        output = As[-1].copy()

        if objective == "output":
            dZ = _backward_into(self._activations[-1], np.ones_like(As[-1]), Zs[-1], As[-1])
        elif self._fused_softmax_ce:
            dZ = softmax_cross_entropy_grad(As[-1], Y, spec.reduction)
        else:
            dA_L = self._loss.grad(As[-1], Y, spec.reduction)
            dZ = _backward_into(self._activations[-1], dA_L, Zs[-1], As[-1])
        dW: list[np.ndarray] = [np.empty(0)] * spec.depth
        db: list[np.ndarray | None] = [None] * spec.depth
        for i in reversed(range(spec.depth)):
            out = buf.dA[i - 1] if i > 0 else None
            dW[i], db[i], dA_prev = _dense_backward_into(dZ, As[i], params.W[i], spec.bias, out)
            if dA_prev is not None:
                dZ = _backward_into(self._activations[i - 1], dA_prev, Zs[i - 1], As[i])
        if optimizer.plain:
            W_new, b_new = _step_into(params, dW, db, lr, maximize, freeze_biases)
            return cost, output, W_new, b_new, None
        W_new, b_new, velocity = sgd_step(
            params.W, params.b, dW, db, velocity, lr, optimizer, maximize, freeze_biases
        )
        return cost, output, W_new, b_new, velocity
