"""`Network`: a fully connected network of any depth, trained by backpropagation and plain
full-batch gradient descent, written from scratch in NumPy.

The math is pure: `forward` returns a `ForwardCache`, `cost` and `backward` read it, `backward`
returns `Gradients` shaped like the parameters. The only state is the current `Params`, which
`step` replaces with a new, updated `Params`. Written to be read next to the tutorials; no
optimiser other than plain gradient descent, no regularisation, no mini-batches.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from scratch.trace import Deltas, ForwardCache, History, StepRecord
from scratch.validation import (
    check_count,
    check_float_matrix,
    check_learning_rate,
    check_objective,
    check_same_dtype,
    check_target,
)


@dataclass
class _Workspace:
    """`train_step`'s reusable buffers for one (batch size, dtype): Z(l), A(l), dA(l), (n, n_l).

    They never leave the network: `forward` and `backprop`, whose results the caller keeps,
    allocate fresh arrays."""

    key: tuple[int, np.dtype]
    Z: list[np.ndarray]
    A: list[np.ndarray]
    dA: list[np.ndarray]


class Network:
    """A multilayer perceptron: a `NetworkSpec` (architecture and cost) and its current `Params`.

    Shapes: X (n, n_0) inputs, Y (n, n_L) targets, batch in rows; weights in the internal
    layout of `scratch.params` (W[i] is n_{i+1} x n_i).
    """

    def __init__(self, spec: NetworkSpec, params: Params):
        spec.check_params(params)
        self.spec = spec
        self.params = params
        self._ws: _Workspace | None = None
        self._activations = tuple(get_activation(name) for name in spec.activations)
        self._loss = get_loss(spec.loss, spec.reduction)
        # cross-entropy always sits on a softmax output (the spec checks): their product is fused
        self._fused_softmax_ce = spec.loss == "cross_entropy"

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
        return self._forward(X, buffered=False)

    def _forward(self, X: np.ndarray, buffered: bool) -> ForwardCache:
        """`forward`; when `buffered`, Z and A are written into the workspace's buffers."""
        check_float_matrix("X", X, columns=self.spec.sizes[0])
        check_same_dtype("X", X, self.params.dtype)
        ws = self._workspace(X) if buffered else None
        Zs: list[np.ndarray] = []
        As: list[np.ndarray] = [X]
        for i, (W, b, act) in enumerate(
            zip(self.params.W, self.params.b, self._activations, strict=True)
        ):
            Z = dense_forward(As[-1], W, b, out=None if ws is None else ws.Z[i])
            Zs.append(Z)
            As.append(act.forward(Z, out=None if ws is None else ws.A[i]))
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
        return self._cost(cache, Y)

    def _cost(self, cache: ForwardCache, Y: np.ndarray) -> float:
        if self._fused_softmax_ce:
            return softmax_cross_entropy(cache.Z[-1], Y, self.spec.reduction)
        return self._loss.fn(cache.output, Y, self.spec.reduction)

    # -- backward ------------------------------------------------------------------------------
    def cost_gradient(self, cache: ForwardCache, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dA(L), dZ(L)): the cost's gradient with respect to the output and the logits.

        dA(L) = dC/dA(L) from the loss; dZ(L) = f_L'(Z(L)) applied to it. For softmax with
        cross-entropy, dZ(L) is computed directly as (A(L) - Y) / d, the simplified product.
        Shapes (n, n_L).
        """
        self._check_targets(cache, Y)
        return self._cost_gradient(cache, Y, keep_dA=True)

    def _cost_gradient(
        self, cache: ForwardCache, Y: np.ndarray, keep_dA: bool
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """`cost_gradient`; without `keep_dA`, dA(L) may be dropped (None) or overwritten."""
        Z, A = cache.Z[-1], cache.output
        if self._fused_softmax_ce:
            dZ = softmax_cross_entropy_grad(A, Y, self.spec.reduction)
            return (self._loss.grad(A, Y, self.spec.reduction) if keep_dA else None), dZ
        dA = self._loss.grad(A, Y, self.spec.reduction)
        return dA, self._activations[-1].backward(dA, Z, A, overwrite=not keep_dA)

    def _objective_gradient(
        self, cache: ForwardCache, Y: np.ndarray, objective: str, keep_dA: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(dA(L), dZ(L)) of the training objective: the cost's (`cost_gradient`, targets already
        checked), or ones for the summed output, whose dZ(L) `backprop` derives."""
        if objective == "cost":
            return self._cost_gradient(cache, Y, keep_dA)
        return np.ones_like(cache.output), None

    def backprop(
        self, cache: ForwardCache, dA_L: np.ndarray, dZ_L: np.ndarray | None = None
    ) -> tuple[Gradients, Deltas]:
        """Backpropagate an output gradient dA(L) = dC/dA(L) (n, n_L) through the network.

        dZ(L) = f_L'(Z(L)) applied to dA(L), unless given; then for l = L..1:
        dW(l) = dZ(l)^T A(l-1), db(l) = column sums of dZ(l), dA(l-1) = dZ(l) W(l), and
        dZ(l-1) = f_{l-1}'(Z(l-1)) applied to dA(l-1). With dA(L) = ones this gives the
        derivatives of the summed network output itself (T4's dL/dw).
        Returns the gradients (shaped like the parameters) and every layer's dA, dZ, f'(Z).
        """
        if not isinstance(dA_L, np.ndarray) or dA_L.shape != cache.output.shape:
            shape = getattr(dA_L, "shape", type(dA_L).__name__)
            raise ShapeError(f"dA_L must have the output's shape {cache.output.shape}, got {shape}")
        dWs, dbs, dAs, dZs = self._backprop(cache, dA_L, dZ_L, keep_deltas=True)
        aprime = tuple(
            None if a.grad is None else a.grad(Z, A)
            for a, Z, A in zip(self._activations, cache.Z, cache.A[1:], strict=True)
        )
        return Gradients._adopt(dWs, dbs), Deltas(tuple(dAs), tuple(dZs), aprime)

    def _backprop(
        self,
        cache: ForwardCache,
        dA_L: np.ndarray,
        dZ_L: np.ndarray | None,
        keep_deltas: bool,
        buffered: bool = False,
    ) -> tuple[list, list, list, list]:
        """The recursion of `backprop`, as lists dW, db, dA, dZ (layer 1 first).

        Without `keep_deltas` each hidden dZ(l) is written over dA(l), whose memory is freshly
        made by the product dZ(l+1) W(l+1) and not needed after: one pass and no allocation
        less per layer; when `buffered`, dA(l) is written into the workspace's buffer. dA(0),
        the input's gradient, is never computed.
        """
        ws = self._ws if buffered else None
        L = self.spec.depth
        acts = self._activations
        dAs: list[np.ndarray] = [np.empty(0)] * L
        dZs: list[np.ndarray] = [np.empty(0)] * L
        dWs: list[np.ndarray] = [np.empty(0)] * L
        dbs: list[np.ndarray | None] = [None] * L
        dAs[-1] = dA_L
        dZs[-1] = acts[-1].backward(dA_L, cache.Z[-1], cache.A[-1]) if dZ_L is None else dZ_L
        for i in reversed(range(L)):
            dWs[i], dbs[i], dA_prev = dense_backward(
                dZs[i],
                cache.A[i],
                self.params.W[i],
                self.spec.bias,
                need_dA_prev=i > 0,
                out_dA_prev=None if ws is None or i == 0 else ws.dA[i - 1],
            )
            if i > 0:
                dAs[i - 1] = dA_prev
                dZs[i - 1] = acts[i - 1].backward(
                    dA_prev, cache.Z[i - 1], cache.A[i], overwrite=not keep_deltas
                )
        return dWs, dbs, dAs, dZs

    def backward(self, cache: ForwardCache, Y: np.ndarray) -> Gradients:
        """Backpropagation of the cost: dW(l), db(l) for every layer, shaped like the parameters.

        See `cost_gradient` for dZ(L) and `backprop` for the recursion.
        """
        dWs, dbs, _, _ = self._backprop(cache, *self.cost_gradient(cache, Y), keep_deltas=False)
        return Gradients._adopt(dWs, dbs)

    # -- update --------------------------------------------------------------------------------
    def step(
        self, lr: float, grads: Gradients, *, maximize: bool = False, freeze_biases: bool = False
    ) -> Params:
        """Plain gradient descent: W <- W - lr dW, b <- b - lr db. Returns the new `Params`.

        With `maximize=True` it is gradient ascent, W <- W + lr dW (T4's step that raises L; the
        same flag as `torch.optim.SGD(maximize=True)`). With `freeze_biases=True` only the
        weights move (T4's scalar chain treats b1, b2 as constants). Everything is checked
        before anything changes: a rejected step leaves `params` as it was.
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
        signed_lr = -lr if maximize else lr
        W_new = [W - signed_lr * dW for W, dW in zip(self.params.W, grads.dW, strict=True)]
        b_new = [
            None if b is None else b if freeze_biases else b - signed_lr * db
            for b, db in zip(self.params.b, grads.db, strict=True)
        ]
        return self._replace_params(lr, W_new, b_new)

    def _replace_params(self, lr: float, W: list, b: list) -> Params:
        """Make the new `Params` current, unless a step to them diverged (NaN or Inf)."""
        try:
            new = Params._adopt(W, b)
        except MLPInputError as err:
            raise MLPInputError(f"step with lr={lr} diverged: {err}") from None
        self.params = new
        return new

    def train_step(self, X: np.ndarray, Y: np.ndarray, lr: float) -> float:
        """One full-batch step: forward, cost, backward, update. Returns the cost before it.

        The same arithmetic as `step(lr, backward(forward(X), Y))`, done the way T3 does it:
        Z, A and dA are written into work buffers allocated once per batch shape and reused
        on every step, and each update is written over its gradient's fresh memory,
        dW <- dW * (-lr) + W (the same rounding as W - lr dW), which then becomes the new,
        immutable parameter. Nothing it writes into is ever seen by the caller.
        """
        return self._fast_step(X, Y, check_learning_rate(lr), "cost", False, False)[0]

    def _fast_step(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        lr: float,
        objective: str,
        maximize: bool,
        freeze_biases: bool,
    ) -> tuple[float, np.ndarray]:
        """`train_step` with the options of `train`: (cost, a copy of the output)."""
        cache = self._forward(X, buffered=True)
        self._check_targets(cache, Y)
        cost = self._cost(cache, Y)
        dA_L, dZ_L = self._objective_gradient(cache, Y, objective, keep_dA=False)
        dWs, dbs, _, _ = self._backprop(cache, dA_L, dZ_L, keep_deltas=False, buffered=True)
        scale = lr if maximize else -lr  # new = old + scale * gradient, in the gradient's memory
        for new, old in zip(dWs, self.params.W, strict=True):
            np.multiply(new, scale, out=new)
            new += old
        for i, (new, old) in enumerate(zip(dbs, self.params.b, strict=True)):
            if new is not None:
                if freeze_biases:
                    dbs[i] = old
                else:
                    np.multiply(new, scale, out=new)
                    new += old
        output = cache.output.copy()
        self._replace_params(lr, dWs, dbs)
        return cost, output

    def _workspace(self, X: np.ndarray) -> _Workspace:
        """The work buffers for X's batch size and dtype, made on first use and then kept."""
        key = (X.shape[0], X.dtype)
        if self._ws is None or self._ws.key != key:
            n, dtype = key
            widths = self.spec.sizes[1:]
            self._ws = _Workspace(
                key,
                [np.empty((n, k), dtype) for k in widths],
                [np.empty((n, k), dtype) for k in widths],
                [np.empty((n, k), dtype) for k in widths[:-1]],
            )
        return self._ws

    def train(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        lr: float,
        steps: int,
        *,
        record: bool = False,
        objective: str = "cost",
        maximize: bool = False,
        freeze_biases: bool = False,
    ) -> History:
        """`steps` full-batch steps of forward, cost, backward, update on X (n, n_0), Y (n, n_L).

        Returns the cost and the output of each step's forward pass, both taken before that
        step's update (as the tutorials print them); with `record=True` also every step's
        parameters, forward cache, gradients, deltas and updated parameters.
        objective "cost" (the default) differentiates the cost; "output" differentiates the
        summed network output; `maximize` and `freeze_biases` are passed to `step` (T4's scalar
        chain uses all three).
        """
        check_count("steps", steps, minimum=1)
        lr = check_learning_rate(lr)
        check_objective(objective)
        costs = np.empty(steps)
        outputs = []
        records: list[StepRecord] = []
        for t in range(steps):
            if not record:  # nothing is kept but the cost and output: the buffered path
                costs[t], output = self._fast_step(X, Y, lr, objective, maximize, freeze_biases)
                outputs.append(output)
                continue
            before = self.params
            cache = self.forward(X)
            costs[t] = self.cost(cache, Y)
            outputs.append(cache.output)
            grads, deltas = self.backprop(
                cache, *self._objective_gradient(cache, Y, objective, keep_dA=True)
            )
            after = self.step(lr, grads, maximize=maximize, freeze_biases=freeze_biases)
            records.append(StepRecord(t, before, cache, float(costs[t]), grads, after, deltas))
        return History(costs, np.stack(outputs), tuple(records))
