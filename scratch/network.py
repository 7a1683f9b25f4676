"""`Network`: a fully connected network of any depth, trained by backpropagation and
gradient descent (plain, or `torch.optim.SGD`'s momentum and weight decay: `scratch.optim`),
written from scratch in NumPy.

The math is pure: `forward` returns a `ForwardCache`, `cost` and `backward` read it, `backward`
returns `Gradients` shaped like the parameters. The only state is the current `Params`, which
`step` replaces with a new, updated `Params`, and with momentum the optimizer's `Velocity`
(`velocity`, None until the first momentum step), which `step` replaces likewise. Written to
be read next to the tutorials: every function allocates what it returns, and `backprop` is the
recursion as they write it.

Not for: speed, other optimisers (Adam, ...) or mini-batch bookkeeping (the caller hands each
step its batch). `train_step` and the unrecorded `train` run the same arithmetic through
`scratch.fast`, which reuses work buffers and is tested to give bit-identical results.
"""

from __future__ import annotations

import numpy as np

from scratch.activations import get_activation
from scratch.dense import dense_backward, dense_forward
from scratch.errors import MLPInputError, NonFiniteError, ShapeError
from scratch.fast import FastPath
from scratch.losses import (
    check_one_hot,
    get_loss,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from scratch.optim import PLAIN, SGD, Velocity, sgd_step
from scratch.params import Gradients, Params
from scratch.spec import NetworkSpec
from scratch.trace import Deltas, ForwardCache, History, StepRecord
from scratch.validation import (
    check_finite_cost,
    check_finite_output,
    check_flag,
    check_float_matrix,
    check_instance,
    check_learning_rate,
    check_objective,
    check_same_dtype,
    check_target,
    check_training,
)


class Network:
    """A multilayer perceptron: a `NetworkSpec` (architecture and cost) and its current `Params`.

    Shapes: X (n, n_0) inputs, Y (n, n_L) targets, batch in rows; weights in the internal
    layout of `scratch.params` (W[i] is n_{i+1} x n_i). Layer l = 1..L is Python index l - 1.
    """

    def __init__(self, spec: NetworkSpec, params: Params):
        check_instance("spec", spec, NetworkSpec, "a scratch.NetworkSpec")
        spec.check_params(params)
        self.spec = spec
        self.params = params
        self.velocity: Velocity | None = None  # the momentum buffers, after the last step
        self._activations = tuple(get_activation(name) for name in spec.activations)
        self._loss = get_loss(spec.loss, spec.reduction)
        # cross-entropy always sits on a softmax output (the spec checks): their product is fused
        self._fused_softmax_ce = spec.loss == "cross_entropy"
        self._fast: FastPath | None = None  # made by the first `train_step` or unrecorded `train`

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"Network(sizes={s.sizes}, activations={s.activations}, loss={s.loss!r}, "
            f"reduction={s.reduction!r}, bias={s.bias}, dtype={self.params.dtype})"
        )

    # -- forward -------------------------------------------------------------------------------
    def forward(self, X: np.ndarray) -> ForwardCache:
        """Z(l) = A(l-1) W(l)^T + b(l), A(l) = f_l(Z(l)) for l = 1..L, with A(0) = X (n, n_0).

        Returns every Z(l) and A(l), each (n, n_l) (see `ForwardCache`). An output A(L) that
        overflowed to NaN or Inf raises `NonFiniteError` naming it.
        """
        check_float_matrix("X", X, columns=self.spec.sizes[0])
        check_same_dtype("X", X, self.params.dtype)
        Zs: list[np.ndarray] = []
        As: list[np.ndarray] = [X]
        for W, b, act in zip(self.params.W, self.params.b, self._activations, strict=True):
            Zs.append(dense_forward(As[-1], W, b))
            As.append(act.forward(Zs[-1]))
        check_finite_output(As[-1], self.spec.depth)
        return ForwardCache(tuple(Zs), tuple(As))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The forward pass only: the output A(L), shape (n, n_L)."""
        return self.forward(X).output

    # -- cost ----------------------------------------------------------------------------------
    def _check_targets(self, cache: ForwardCache, Y: np.ndarray) -> None:
        check_instance("cache", cache, ForwardCache, "a scratch.ForwardCache")
        if len(cache.Z) != self.spec.depth:
            raise ShapeError(f"cache must be the ForwardCache of this {self.spec.depth}-layer net")
        check_target("Y", Y, cache.output.shape, self.params.dtype)
        if self._fused_softmax_ce:
            check_one_hot("Y", Y)

    def cost(self, cache: ForwardCache, Y: np.ndarray) -> float:
        """The cost of the forward pass `cache` against targets Y (n, n_L), per the spec's loss.

        MSE: C = 1/(2d) sum (A(L) - Y)^2, d = n, 1 or n n_L by the reduction. Cross-entropy is
        computed from the logits Z(L) through log-softmax (finite for any logits), which equals
        C = -(1/d) sum Y log A(L) wherever that is finite. A cost that overflows to Inf (or
        NaN) raises `NonFiniteError` naming it.
        """
        self._check_targets(cache, Y)
        if self._fused_softmax_ce:
            return check_finite_cost(softmax_cross_entropy(cache.Z[-1], Y, self.spec.reduction))
        return check_finite_cost(self._loss.fn(cache.output, Y, self.spec.reduction))

    # -- backward ------------------------------------------------------------------------------
    def cost_gradient(self, cache: ForwardCache, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dA(L), dZ(L)): the cost's gradient with respect to the output and the logits.

        dA(L) = dC/dA(L) from the loss; dZ(L) = f_L'(Z(L)) applied to it. For softmax with
        cross-entropy, dZ(L) is computed directly as (A(L) - Y) / d, the simplified product.
        Shapes (n, n_L).
        """
        self._check_targets(cache, Y)
        A = cache.output
        dA = self._loss.grad(A, Y, self.spec.reduction)
        if self._fused_softmax_ce:
            return dA, softmax_cross_entropy_grad(A, Y, self.spec.reduction)
        return dA, self._activations[-1].backward(dA, cache.Z[-1], A)

    def backprop(
        self, cache: ForwardCache, dA_L: np.ndarray, dZ_L: np.ndarray | None = None
    ) -> tuple[Gradients, Deltas]:
        """Backpropagate an output gradient dA(L) = dC/dA(L) (n, n_L) through the network.

        dZ(L) = f_L'(Z(L)) applied to dA(L), unless given; then for l = L..1:
            dW(l) = dZ(l)^T A(l-1)            (n_l, n_{l-1})
            db(l) = sum over rows of dZ(l)    (n_l,)
            dA(l-1) = dZ(l) W(l)              (n, n_{l-1})
            dZ(l-1) = f_{l-1}'(Z(l-1)) applied to dA(l-1)
        dA(0), the input's gradient, is computed by `dense_backward` and dropped. With
        dA(L) = ones this gives the derivatives of the summed network output itself (T4's dL/dw).
        Returns the gradients (shaped like the parameters) and every layer's dA, dZ, f'(Z).
        """
        check_instance("dA_L", dA_L, np.ndarray, "a numpy.ndarray")
        if dA_L.shape != cache.output.shape:
            raise ShapeError(
                f"dA_L must have the output's shape {cache.output.shape}, got {dA_L.shape}"
            )
        L, acts = self.spec.depth, self._activations
        dA: list = [None] * L
        dZ: list = [None] * L
        dW: list = [None] * L
        db: list = [None] * L
        dA[-1] = dA_L
        dZ[-1] = acts[-1].backward(dA_L, cache.Z[-1], cache.A[-1]) if dZ_L is None else dZ_L
        for i in reversed(range(L)):  # layer l = i + 1; cache.A[i] is A(l-1)
            dW[i], db[i], dA_prev = dense_backward(
                dZ[i], cache.A[i], self.params.W[i], self.spec.bias
            )
            if i > 0:  # at layer 1, dA_prev is dA(0), the input's gradient: not kept
                dA[i - 1] = dA_prev
                dZ[i - 1] = acts[i - 1].backward(dA_prev, cache.Z[i - 1], cache.A[i])
        aprime = tuple(
            None if a.grad is None else a.grad(Z, A)
            for a, Z, A in zip(acts, cache.Z, cache.A[1:], strict=True)
        )
        return Gradients.adopt(dW, db), Deltas(tuple(dA), tuple(dZ), aprime)

    def backward(self, cache: ForwardCache, Y: np.ndarray) -> Gradients:
        """Backpropagation of the cost: dW(l), db(l) for every layer, shaped like the parameters.

        See `cost_gradient` for dA(L), dZ(L) and `backprop` for the recursion.
        """
        return self.backprop(cache, *self.cost_gradient(cache, Y))[0]

    def forward_backward(
        self, X: np.ndarray, Y: np.ndarray, *, objective: str = "cost"
    ) -> tuple[ForwardCache, float, Gradients, Deltas]:
        """One forward pass of X (n, n_0), its cost against Y (n, n_L), and backpropagation.

        objective "cost" differentiates the cost (`cost_gradient`); "output" differentiates the
        summed network output, dA(L) = ones (T4's dL/dw). Returns (cache, cost, gradients,
        deltas), the same as `reference.TorchMLP.forward_backward`.
        """
        check_objective(objective)
        cache = self.forward(X)
        cost = self.cost(cache, Y)
        if objective == "cost":
            dA_L, dZ_L = self.cost_gradient(cache, Y)
        else:
            dA_L, dZ_L = np.ones_like(cache.output), None
        grads, deltas = self.backprop(cache, dA_L, dZ_L)
        return cache, cost, grads, deltas

    # -- update --------------------------------------------------------------------------------
    def step(
        self,
        lr: float,
        grads: Gradients,
        *,
        maximize: bool = False,
        freeze_biases: bool = False,
        optimizer: SGD = PLAIN,
    ) -> Params:
        """Gradient descent: W <- W - lr dW, b <- b - lr db. Returns the new `Params`.

        With `maximize=True` it is gradient ascent, W <- W + lr dW (T4's step that raises L; the
        same flag as `torch.optim.SGD(maximize=True)`). With `freeze_biases=True` only the
        weights move (T4's scalar chain treats b1, b2 as constants). `optimizer` adds
        `torch.optim.SGD`'s momentum, dampening, Nesterov and weight decay (`scratch.optim`,
        which has the formulas); their buffers start from `velocity` (None: the first step) and
        the new ones replace it. Everything is checked before anything changes: a rejected step
        (`NonFiniteError` for one to NaN or Inf, naming the array) leaves `params` and
        `velocity` as they were.
        """
        lr = check_learning_rate(lr)
        check_flag("maximize", maximize)
        check_flag("freeze_biases", freeze_biases)
        check_instance("grads", grads, Gradients, "a scratch.Gradients")
        check_instance("optimizer", optimizer, SGD, "a scratch.optim.SGD")
        for i, (W, dW) in enumerate(zip(self.params.W, grads.dW, strict=True)):
            if dW.shape != W.shape:
                raise ShapeError(f"grads.dW[{i}] has shape {dW.shape}, W[{i}] has {W.shape}")
            check_same_dtype(f"grads.dW[{i}]", dW, W.dtype)
        if (grads.db[0] is None) == self.spec.bias:
            raise ShapeError(f"grads.db must {'' if self.spec.bias else 'not '}hold bias gradients")
        W_new, b_new, velocity = sgd_step(
            self.params.W,
            self.params.b,
            grads.dW,
            grads.db,
            self.velocity,
            lr,
            optimizer,
            maximize,
            freeze_biases,
        )
        new = self._replace_params(lr, W_new, b_new)
        self.velocity = velocity
        return new

    def _replace_params(self, lr: float, W: list, b: list) -> Params:
        """Make the new `Params` current, unless a step to them diverged (NaN or Inf)."""
        try:
            new = Params.adopt(W, b)
        except MLPInputError as err:
            raise NonFiniteError(str(err), lr=lr) from None
        self.params = new
        return new

    # -- training ------------------------------------------------------------------------------
    def train_step(self, X: np.ndarray, Y: np.ndarray, lr: float) -> float:
        """One full-batch step: forward, cost, backward, update. Returns the cost before it.

        The result of `step(lr, backward(forward(X), Y))`, bit for bit, computed by
        `scratch.fast` with work buffers reused from step to step. A step to NaN or Inf (output,
        cost or parameters) raises `NonFiniteError` and leaves `params` as they were.
        """
        return self._fast_step(X, Y, check_learning_rate(lr))[0]

    def _fast_step(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        lr: float,
        optimizer: SGD = PLAIN,
        **options: str | bool,
    ) -> tuple[float, np.ndarray]:
        """One step by `scratch.fast` (options as `train`): (cost, a copy of the output)."""
        if self._fast is None:
            self._fast = FastPath(self.spec)
        cost, output, W, b, velocity = self._fast.step(
            self.params, X, Y, lr, optimizer=optimizer, velocity=self.velocity, **options
        )
        self._replace_params(lr, W, b)
        self.velocity = velocity
        return cost, output

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
        optimizer: SGD = PLAIN,
    ) -> History:
        """`steps` full-batch steps of forward, cost, backward, update on X (n, n_0), Y (n, n_L).

        Returns the cost and the output of each step's forward pass, both taken before that
        step's update (as the tutorials print them); with `record=True` also every step's
        parameters, forward cache, gradients, deltas, updated parameters and (with momentum)
        velocity. objective "cost" (the default) differentiates the cost; "output"
        differentiates the summed network output; `maximize`, `freeze_biases` and `optimizer`
        are passed to `step` (T4's scalar chain uses the first two; momentum continues from
        `velocity`, so two calls of k steps are one call of 2k). Without `record`, each step
        runs through `scratch.fast` (the same values, bit for bit, without keeping the
        intermediates). A run that diverges (an output, a cost or new parameters of NaN or Inf)
        raises `NonFiniteError` naming the step and the array; the parameters and velocity are
        then those before the call, as after any rejected call.
        """
        flags = {"maximize": maximize, "freeze_biases": freeze_biases}
        lr = check_training(lr, steps, objective, record=record, **flags)
        check_instance("optimizer", optimizer, SGD, "a scratch.optim.SGD")
        # `step`'s own default is plain descent: passed only when it is not (a subclass or a
        # patched `step`, as the mutant catalogue's, need not know the keyword)
        step_options = flags if optimizer.plain else {**flags, "optimizer": optimizer}
        costs = np.empty(steps)
        outputs = []
        records: list[StepRecord] = []
        start, start_velocity = self.params, self.velocity
        try:
            for t in range(steps):
                if not record:
                    costs[t], output = self._fast_step(
                        X, Y, lr, optimizer, objective=objective, **flags
                    )
                    outputs.append(output)
                    continue
                before = self.params
                cache, costs[t], grads, deltas = self.forward_backward(X, Y, objective=objective)
                outputs.append(cache.output)
                after = self.step(lr, grads, **step_options)
                records.append(
                    StepRecord(
                        t, before, cache, float(costs[t]), grads, after, deltas, self.velocity
                    )
                )
        except MLPInputError as err:
            self.params, self.velocity = start, start_velocity
            if isinstance(err, NonFiniteError):
                raise err.at_step(t, lr) from None
            raise
        return History(costs, np.stack(outputs), tuple(records))
