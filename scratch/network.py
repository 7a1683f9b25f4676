"""`Network`: a fully connected network of any depth, trained by backpropagation and plain
full-batch gradient descent, written from scratch in NumPy.

The math is pure: `forward` returns a `ForwardCache`, `cost` and `backward` read it, `backward`
returns `Gradients` shaped like the parameters. The only state is the current `Params`, which
`step` replaces with a new, updated `Params`. Written to be read next to the tutorials; no
optimiser other than plain gradient descent, no regularisation, no mini-batches.
"""

from __future__ import annotations

import numpy as np

from scratch.activations import get_activation
from scratch.dense import dense_backward, dense_forward
from scratch.errors import MLPInputError, ShapeError
from scratch.losses import (
    check_one_hot,
    get_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from scratch.params import Gradients, Params
from scratch.spec import NetworkSpec
from scratch.trace import ForwardCache, History, StepRecord
from scratch.validation import (
    check_count,
    check_float_matrix,
    check_learning_rate,
    check_same_dtype,
    check_target,
)


class Network:
    """A multilayer perceptron: a `NetworkSpec` (architecture and cost) and its current `Params`.

    Shapes: X (n, n_0) inputs, Y (n, n_L) targets, batch in rows; weights in the internal
    layout of `scratch.params` (W[i] is n_{i+1} x n_i).
    """

    def __init__(self, spec: NetworkSpec, params: Params):
        spec.check_params(params)
        self.spec = spec
        self.params = params
        self._activations = tuple(get_activation(name) for name in spec.activations)
        self._loss = get_loss(spec.loss, spec.reduction)
        self._fused_softmax_ce = (
            spec.loss == "cross_entropy"
        )  # the spec guarantees a softmax output

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"Network(sizes={s.sizes}, activations={s.activations}, loss={s.loss!r}, "
            f"reduction={s.reduction!r}, bias={s.bias}, dtype={self.params.dtype})"
        )

    # -- forward -------------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> ForwardCache:
        """Z(l) = A(l-1) W(l)^T + b(l), A(l) = f_l(Z(l)) for l = 1..L, with A(0) = X (n, n_0).

        Returns every Z and A (see `ForwardCache`).
        """
        check_float_matrix("X", X, columns=self.spec.sizes[0])
        check_same_dtype("X", X, self.params.dtype)
        Zs: list[np.ndarray] = []
        As: list[np.ndarray] = [X]
        for W, b, act in zip(self.params.W, self.params.b, self._activations, strict=True):
            Z = dense_forward(As[-1], W, b)
            Zs.append(Z)
            As.append(act.fn(Z))
        return ForwardCache(tuple(Zs), tuple(As))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The forward pass only: the output A(L), shape (n, n_L)."""
        return self.forward(X).output

    # -- cost ----------------------------------------------------------------------------------
    def _check_targets(self, cache: ForwardCache, Y: np.ndarray) -> None:
        if not isinstance(cache, ForwardCache) or len(cache.Z) != self.spec.depth:
            raise ShapeError(
                f"cache must be the ForwardCache of this {self.spec.depth}-layer network"
            )
        check_target("Y", Y, cache.output.shape, self.params.dtype)
        if self._fused_softmax_ce:
            check_one_hot("Y", Y)

    def cost(self, cache: ForwardCache, Y: np.ndarray) -> float:
        """The cost of the forward pass `cache` against targets Y (n, n_L), per the spec's loss.

        Cross-entropy is computed from the logits Z(L) through log-softmax (finite for any
        logits), which equals -(1/d) sum Y log A(L) wherever that is finite.
        """
        self._check_targets(cache, Y)
        if self._fused_softmax_ce:
            return softmax_cross_entropy(cache.Z[-1], Y, self.spec.reduction)
        return self._loss.fn(cache.output, Y, self.spec.reduction)

    # -- backward ------------------------------------------------------------------------------
    def output_delta(self, cache: ForwardCache, Y: np.ndarray) -> np.ndarray:
        """dZ(L) = dC/dZ(L), shape (n, n_L).

        In general dZ(L) = f_L'(Z(L)) applied to dC/dA(L); for softmax with cross-entropy the
        product simplifies to (A(L) - Y) / d.
        """
        self._check_targets(cache, Y)
        Z, A = cache.Z[-1], cache.output
        if self._fused_softmax_ce:
            return softmax_cross_entropy_grad(A, Y, self.spec.reduction)
        dA = self._loss.grad(A, Y, self.spec.reduction)
        return self._activations[-1].backward(dA, Z, A)

    def backward(self, cache: ForwardCache, Y: np.ndarray) -> Gradients:
        """Backpropagation: dW(l), db(l) for every layer, shaped like the parameters.

        dZ(L) from `output_delta`; then for l = L..1: dW(l) = dZ(l)^T A(l-1),
        db(l) = column sums of dZ(l), and dZ(l-1) = f_{l-1}'(Z(l-1)) applied to dZ(l) W(l).
        """
        dZ = self.output_delta(cache, Y)
        L = self.spec.depth
        dWs: list[np.ndarray] = [np.empty(0)] * L
        dbs: list[np.ndarray | None] = [None] * L
        for i in reversed(range(L)):
            dWs[i], dbs[i], dA_prev = dense_backward(
                dZ, cache.A[i], self.params.W[i], self.spec.bias
            )
            if i > 0:
                dZ = self._activations[i - 1].backward(dA_prev, cache.Z[i - 1], cache.A[i])
        return Gradients(dWs, dbs)

    # -- update --------------------------------------------------------------------------------
    def step(self, lr: float, grads: Gradients) -> Params:
        """Plain gradient descent: W <- W - lr dW, b <- b - lr db. Returns the new `Params`.

        Everything is checked before anything changes: a rejected step leaves `params` as it was.
        """
        lr = check_learning_rate(lr)
        if not isinstance(grads, Gradients):
            raise MLPInputError(f"grads must be scratch.Gradients, got {type(grads).__name__}")
        for i, (W, dW) in enumerate(zip(self.params.W, grads.dW, strict=True)):
            if dW.shape != W.shape:
                raise ShapeError(f"grads.dW[{i}] has shape {dW.shape}, W[{i}] has {W.shape}")
            check_same_dtype(f"grads.dW[{i}]", dW, W.dtype)
        if (grads.db[0] is None) == self.spec.bias:
            raise ShapeError(f"grads.db must {'' if self.spec.bias else 'not '}hold bias gradients")
        W_new = [W - lr * dW for W, dW in zip(self.params.W, grads.dW, strict=True)]
        b_new = [
            None if b is None else b - lr * db
            for b, db in zip(self.params.b, grads.db, strict=True)
        ]
        try:
            new = Params(W_new, b_new)
        except MLPInputError as err:
            raise MLPInputError(f"step with lr={lr} diverged: {err}") from None
        self.params = new
        return new

    def train(
        self, X: np.ndarray, Y: np.ndarray, lr: float, steps: int, *, record: bool = False
    ) -> History:
        """`steps` full-batch steps of forward, cost, backward, update on X (n, n_0), Y (n, n_L).

        Returns the cost and the output of each step's forward pass, both taken before that
        step's update (as the tutorials print them); with `record=True` also every step's
        parameters, forward cache, gradients and updated parameters.
        """
        check_count("steps", steps, minimum=1)
        check_learning_rate(lr)
        costs = np.empty(steps)
        outputs = []
        records: list[StepRecord] = []
        for t in range(steps):
            before = self.params
            cache = self.forward(X)
            costs[t] = self.cost(cache, Y)
            outputs.append(cache.output)
            grads = self.backward(cache, Y)
            after = self.step(lr, grads)
            if record:
                records.append(StepRecord(t, before, cache, float(costs[t]), grads, after))
        return History(costs, np.stack(outputs), tuple(records))
