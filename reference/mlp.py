"""`TorchMLP`: the reference multilayer perceptron, an `nn.Module` of `nn.Linear` layers and
activation modules, differentiated by autograd and stepped by `torch.optim.SGD`.

It is built from a `scratch.NetworkSpec` and a `scratch.Params`, never from torch's random
init: the layers' initial values are drawn inside `torch.random.fork_rng` and overwritten by
the loaded ones, so that building a model leaves torch's random generator as it was (and so
undoes the draws another thread makes meanwhile: build models in one thread).
`torch.nn.utils.skip_init` would skip the draws through the meta device, at 0.4 s of imports
the first time in a process. It exports its parameters back as `Params`. Float64 by default;
float32 on request. Its momentum buffers (torch's `optimizer.state[p]["momentum_buffer"]`)
are kept between `train` calls as `velocity`, a `scratch.optim.Velocity`, so that k calls of
one step are one call of k steps.
Not for: anything the scratch implementation computes; it shares only scratch's containers,
argument checks and the `scratch.optim.SGD` record of hyper-parameters.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from reference import losses
from reference.state import check_finite_state, params_to_state_dict, state_dict_to_params
from scratch.errors import DTypeError, MLPInputError, NonFiniteError
from scratch.losses import check_one_hot
from scratch.optim import PLAIN, SGD, Velocity
from scratch.params import Gradients, Params
from scratch.spec import NetworkSpec
from scratch.trace import Deltas, ForwardCache, History, StepRecord
from scratch.validation import (
    check_finite_cost,
    check_finite_output,
    check_float_matrix,
    check_instance,
    check_objective,
    check_target,
    check_training,
)

ACTIVATION_MODULES = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
}
"""Each activation name of `scratch.activations` and the torch module that computes it."""

TORCH_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def default_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def as_device(device: torch.device | str | None) -> torch.device:
    """`device` as a `torch.device` (None: `default_device()`), or `MLPInputError`."""
    try:
        return default_device() if device is None else torch.device(device)
    except (RuntimeError, TypeError):
        raise MLPInputError(
            f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}"
        ) from None


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


class TorchMLP(nn.Module):
    """Layers ``layers[i]`` (`nn.Linear(n_i, n_{i+1})`) and ``activations[i]``, i = 0 .. L-1.

    Shape: input (n, n_0), output (n, n_L); batch in rows, Z = A_prev @ weight.T + bias.
    Inputs may be NumPy arrays or tensors; they must already have the model's dtype.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        params: Params,
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        if dtype not in TORCH_DTYPES:
            raise DTypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        check_instance("spec", spec, NetworkSpec, "a scratch.NetworkSpec")
        spec.check_params(params)
        self.spec = spec
        self.dtype = dtype
        self.device = as_device(device)
        with torch.random.fork_rng(devices=[]):  # (CPU; a CUDA layer is drawn on the CPU too)
            self.layers = nn.ModuleList(
                nn.Linear(n_in, n_out, bias=spec.bias, dtype=dtype).to(self.device)
                for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:], strict=True)
            )
        self.activations = nn.ModuleList(ACTIVATION_MODULES[name]() for name in spec.activations)
        self.load_params(params)
        self.velocity: Velocity | None = None  # the momentum buffers after the last step

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"loss={s.loss!r}, reduction={s.reduction!r}, dtype={self.dtype}, device={self.device}"
        )

    # -- parameters ----------------------------------------------------------------------------
    def load_params(self, params: Params) -> None:
        """Copy `params` (internal layout) into the layers, cast to the model's dtype."""
        self.spec.check_params(params)
        self.load_state_dict(params_to_state_dict(params, self.dtype, self.device))

    def export_params(self) -> Params:
        """The current parameters as `Params` (NumPy, the model's dtype)."""
        return state_dict_to_params(self.state_dict())

    def export_grads(self) -> Gradients:
        """The `.grad` of every parameter after `backward()`, as `Gradients` (copies). As in
        scratch, a gradient that overflowed is let through: the step it would take reports it."""
        dW, db = [], []
        for layer in self.layers:
            if layer.weight.grad is None:
                raise MLPInputError("no gradients yet: call cost(...).backward() first")
            dW.append(_to_numpy(layer.weight.grad).copy())
            db.append(None if layer.bias is None else _to_numpy(layer.bias.grad).copy())
        return Gradients.adopt(dW, db)

    # -- inputs --------------------------------------------------------------------------------
    def as_input(
        self, name: str, X: np.ndarray | torch.Tensor, columns: int | None
    ) -> torch.Tensor:
        """Check X (n, columns) as scratch does; return it as a tensor on the model's device."""
        if isinstance(X, torch.Tensor):
            if X.dtype != self.dtype:
                raise DTypeError(f"{name} has dtype {X.dtype} but the model is {self.dtype}")
            check_float_matrix(name, _to_numpy(X), columns=columns)
            return X.to(self.device)
        check_float_matrix(name, X, columns=columns)
        if X.dtype != TORCH_DTYPES[self.dtype]:
            raise DTypeError(f"{name} has dtype {X.dtype} but the model is {self.dtype}")
        return torch.tensor(X, device=self.device)

    # -- forward and cost ----------------------------------------------------------------------
    def forward_all(
        self, X: np.ndarray | torch.Tensor
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every Z(l) (n, n_l) and A(l) (n, n_l), with A[0] = X: the layout of `ForwardCache`."""
        return self._layers(self.as_input("X", X, self.spec.sizes[0]))

    def _layers(self, X: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """`forward_all` on an input already checked and converted by `as_input`."""
        Zs, As = [], [X]
        for layer, act in zip(self.layers, self.activations, strict=True):
            Zs.append(layer(As[-1]))
            As.append(act(Zs[-1]))
        return Zs, As

    def forward(self, X: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The network output A(L), shape (n, n_L); `NonFiniteError` if it holds NaN or Inf."""
        A = self.forward_all(X)[1][-1]
        check_finite_output(_to_numpy(A), self.spec.depth)
        return A

    def cost(
        self, Z_L: torch.Tensor, A_L: torch.Tensor, Y: np.ndarray | torch.Tensor
    ) -> torch.Tensor:
        """The spec's cost of the output layer (Z_L logits, A_L output) against Y (n, n_L).

        Cross-entropy is taken from the logits via `torch.log_softmax`. A cost of NaN or Inf
        raises `NonFiniteError`, as in scratch.
        """
        cost = self._cost(Z_L, A_L, self.as_target(Y, tuple(A_L.shape)))
        check_finite_cost(cost.item())
        return cost

    def as_target(self, Y: np.ndarray | torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        """Check targets Y as scratch does (exact shape, dtype, finite, one-hot for
        cross-entropy) and return them as a tensor on the model's device."""
        Y_np = _to_numpy(Y) if isinstance(Y, torch.Tensor) else Y
        check_target("Y", Y_np, shape, np.dtype(TORCH_DTYPES[self.dtype]))
        if self.spec.loss == "cross_entropy":
            check_one_hot("Y", Y_np)
        return self.as_input("Y", Y, None)

    def _cost(self, Z_L: torch.Tensor, A_L: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """`cost` with targets already checked by `as_target`."""
        if self.spec.loss == "cross_entropy":
            return losses.softmax_cross_entropy(Z_L, Y, self.spec.reduction)
        return losses.mse(A_L, Y, self.spec.reduction)

    # -- autograd and SGD ----------------------------------------------------------------------
    def forward_backward(
        self,
        X: np.ndarray | torch.Tensor,
        Y: np.ndarray | torch.Tensor,
        *,
        objective: str = "cost",
    ) -> tuple[ForwardCache, float, Gradients, Deltas]:
        """One forward pass, its cost, and autograd's gradients and per-layer deltas, in NumPy.

        objective "cost" differentiates the cost; "output" differentiates the summed network
        output (upstream gradient ones), as T4's dL/dw. The deltas dA, dZ are the `.grad` of the
        retained intermediate tensors; aprime is autograd's elementwise derivative of each
        activation (None for softmax). For softmax with cross-entropy the cost is taken from the
        logits, so dA(L) is autograd's derivative of `losses.cross_entropy` at A(L) instead.
        """
        check_objective(objective)
        self.zero_grad(set_to_none=True)
        Zs, As = self.forward_all(X)
        check_finite_output(_to_numpy(As[-1]), self.spec.depth)
        for t in (*Zs, *As[1:]):
            t.retain_grad()
        Y_t = self.as_target(Y, tuple(As[-1].shape))
        cost = self._cost(Zs[-1], As[-1], Y_t)
        check_finite_cost(cost.item())
        if objective == "cost":
            cost.backward()
        else:
            As[-1].backward(torch.ones_like(As[-1]))
        dA = [None if A.grad is None else _to_numpy(A.grad) for A in As[1:]]
        if dA[-1] is None:  # softmax + cross-entropy: A(L) is not on the cost's path
            P = As[-1].detach().requires_grad_()
            (dP,) = torch.autograd.grad(losses.cross_entropy(P, Y_t, self.spec.reduction), P)
            dA[-1] = _to_numpy(dP)
        deltas = Deltas(
            tuple(dA),
            tuple(_to_numpy(Z.grad) for Z in Zs),
            tuple(self._aprime(act, Z) for act, Z in zip(self.activations, Zs, strict=True)),
        )
        cache = ForwardCache(tuple(map(_to_numpy, Zs)), tuple(map(_to_numpy, As)))
        return cache, float(cost.item()), self.export_grads(), deltas

    @staticmethod
    def _aprime(act: nn.Module, Z: torch.Tensor) -> np.ndarray | None:
        """Elementwise dA/dZ by autograd (a vector-Jacobian product with ones), None for softmax."""
        if isinstance(act, nn.Softmax):
            return None
        z = Z.detach().requires_grad_()
        (g,) = torch.autograd.grad(act(z), z, grad_outputs=torch.ones_like(z))
        return _to_numpy(g)

    def _optimizer(
        self, lr: float, maximize: bool, freeze_biases: bool, sgd: SGD
    ) -> tuple[torch.optim.SGD, list[nn.Parameter | None], list[nn.Parameter | None]]:
        """`torch.optim.SGD` over the trained parameters (the weights only with
        `freeze_biases`), its momentum buffers loaded from `velocity`. Returns it with the
        weights and the trained biases (None where a bias is absent or frozen), layer by layer."""
        weights = [layer.weight for layer in self.layers]
        biases = [None if freeze_biases else layer.bias for layer in self.layers]
        trained = [p for pair in zip(weights, biases, strict=True) for p in pair if p is not None]
        optimizer = torch.optim.SGD(trained, lr=lr, maximize=maximize, **sgd.torch_kwargs())
        if self.velocity is not None:
            for p, v in zip(
                (*weights, *biases), (*self.velocity.vW, *self.velocity.vb), strict=True
            ):
                if p is not None and v is not None:
                    buffer = torch.tensor(v, dtype=self.dtype, device=self.device)
                    optimizer.state[p]["momentum_buffer"] = buffer
        return optimizer, weights, biases

    def _read_velocity(
        self,
        optimizer: torch.optim.SGD,
        weights: list[nn.Parameter | None],
        biases: list[nn.Parameter | None],
    ) -> Velocity | None:
        """The optimizer's momentum buffers as a `Velocity` (copies), None without momentum."""

        def buffer(p: nn.Parameter | None) -> np.ndarray | None:
            state = {} if p is None else optimizer.state.get(p, {})
            v = state.get("momentum_buffer")
            return None if v is None else _to_numpy(v).copy()

        vW = [buffer(p) for p in weights]
        return None if vW[0] is None else Velocity.adopt(vW, [buffer(p) for p in biases])

    def train(
        self,
        X: np.ndarray | torch.Tensor,
        Y: np.ndarray | torch.Tensor,
        lr: float,
        steps: int,
        *,
        record: bool = False,
        objective: str = "cost",
        maximize: bool = False,
        freeze_biases: bool = False,
        optimizer: SGD = PLAIN,
    ) -> History:
        """`steps` full-batch steps of `torch.optim.SGD`.

        Returns the same `History` as `scratch.Network.train`: cost and output before each
        update, and with `record=True` every step's parameters, cache, gradients, deltas,
        result and velocity. `objective` is as in `forward_backward`; `maximize` is SGD's own
        flag (ascent); with `freeze_biases` only the weights are given to the optimizer;
        `optimizer` holds SGD's momentum, dampening, nesterov and weight_decay, passed to
        `torch.optim.SGD` as they are, its momentum buffers continuing from `velocity`. A run
        that diverges raises `NonFiniteError` naming the step and the array (output, cost, then
        W[i], b[i], as scratch does) and restores the parameters and velocity from before the
        call.
        """
        flags = {"record": record, "maximize": maximize, "freeze_biases": freeze_biases}
        lr = check_training(lr, steps, objective, **flags)
        check_instance("optimizer", optimizer, SGD, "a scratch.optim.SGD")
        X_t = self.as_input("X", X, self.spec.sizes[0])
        Y_t = self.as_target(Y, (X_t.shape[0], self.spec.sizes[-1]))
        sgd, weights, biases = self._optimizer(lr, maximize, freeze_biases, optimizer)
        costs = np.empty(steps)
        outputs, records = [], []
        start = [p.detach().clone() for p in self.parameters()]
        start_velocity = self.velocity
        try:
            for t in range(steps):
                if not record:  # the plain torch loop: forward, cost, autograd, SGD
                    sgd.zero_grad(set_to_none=True)
                    Zs, As = self._layers(X_t)
                    outputs.append(check_finite_output(_to_numpy(As[-1]).copy(), self.spec.depth))
                    cost = self._cost(Zs[-1], As[-1], Y_t)
                    costs[t] = check_finite_cost(cost.item())
                    (cost if objective == "cost" else As[-1].sum()).backward()
                    sgd.step()
                    check_finite_state(self.state_dict())
                    continue
                before = self.export_params()
                cache, costs[t], grads, deltas = self.forward_backward(
                    X_t, Y_t, objective=objective
                )
                outputs.append(cache.output)
                sgd.step()
                check_finite_state(self.state_dict())
                after = self.export_params()
                velocity = self._read_velocity(sgd, weights, biases)
                records.append(
                    StepRecord(t, before, cache, float(costs[t]), grads, after, deltas, velocity)
                )
        except MLPInputError as err:
            with torch.no_grad():
                for p, saved in zip(self.parameters(), start, strict=True):
                    p.copy_(saved)
            self.velocity = start_velocity
            raise (err.at_step(t, lr) if isinstance(err, NonFiniteError) else err) from None
        self.velocity = self._read_velocity(sgd, weights, biases)
        return History(costs, np.stack(outputs), tuple(records))
