"""The configuration matrix that scratch and reference are cross-checked on.

Each `Config` is an architecture, a cost, a batch, a dtype, a seed and an optimizer (plain
gradient descent, or `torch.optim.SGD`'s momentum, Nesterov, dampening and weight decay:
`OPTIMIZERS`, on a few architectures). `run_pair` trains it for
`STEPS` steps with both implementations from the same `Params` on the same data and keeps every
step's record; `tensor_names` lists what is compared at each step. Test ids read
``d2-tanh-softmax-cross_entropy-sample_mean-n7-k3-f64/step3/dW2``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from scratch import History, Network, NetworkSpec, init_standard_normal
from scratch.optim import PLAIN, SGD

STEPS = 5
"""Gradient steps per configuration: enough for each step's rounding to feed the next."""

HIDDEN = ("identity", "relu", "tanh", "sigmoid", "softmax")
OUTPUT_COSTS = (
    ("identity", "mse", "sample_mean"),
    ("identity", "mse", "sum"),
    ("identity", "mse", "element_mean"),
    ("relu", "mse", "sample_mean"),
    ("tanh", "mse", "sample_mean"),
    ("sigmoid", "mse", "sample_mean"),
    ("sigmoid", "mse", "sum"),
    ("softmax", "mse", "sample_mean"),
    ("softmax", "cross_entropy", "sample_mean"),
    ("softmax", "cross_entropy", "sum"),
)
"""Output activation, loss and reduction; each is paired with every hidden activation."""

OPTIMIZERS = {
    "momentum": SGD(momentum=0.9),
    "nesterov": SGD(momentum=0.9, nesterov=True),
    "dampening": SGD(momentum=0.5, dampening=0.25),
    "weight_decay": SGD(weight_decay=0.1),
    "all": SGD(momentum=0.8, weight_decay=0.05, nesterov=True),
}
"""The `torch.optim.SGD` options the matrix runs besides plain descent, by the name in test ids."""


@dataclass(frozen=True)
class Config:
    """One cross-check: `spec` trained on n samples for STEPS steps at `lr`, from `seed`."""

    spec: NetworkSpec
    n: int
    dtype: type = np.float64
    seed: int = 0
    lr: float = 0.1
    optimizer: SGD = PLAIN

    @property
    def id(self) -> str:
        s = self.spec
        acts = "-".join(s.activations)
        bias = "" if s.bias else "-nobias"
        bits = "f64" if self.dtype is np.float64 else "f32"
        sgd = next((f"-{k}" for k, v in OPTIMIZERS.items() if v == self.optimizer), "")
        return (
            f"d{s.depth}-{acts}-{s.loss}-{s.reduction}{bias}-n{self.n}-k{s.sizes[-1]}-{bits}{sgd}"
        )


def _config(sizes, hidden, output, loss, reduction, n, **kw) -> Config:
    spec = NetworkSpec.build(sizes, hidden, output, loss, reduction, kw.pop("bias", True))
    lr = 0.1 / n if reduction == "sum" else 0.1
    return Config(spec, n, lr=lr, **kw)


def build_matrix() -> list[Config]:
    """Every activation pairing at depth 2; depth 1-3 x batch 1, 7 x outputs 1, 3; float32."""
    configs = [
        _config((4, 5, 3), hidden, output, loss, reduction, 7)
        for hidden in HIDDEN
        for output, loss, reduction in OUTPUT_COSTS
    ]
    shapes = {1: (4, 1), 2: (4, 5, 1), 3: (4, 5, 6, 1)}
    for depth, sizes in shapes.items():
        for n in (1, 7):
            for k in (1, 3):
                if (depth, n, k) == (2, 7, 3):
                    continue  # already covered, activation by activation, above
                s = (*sizes[:-1], k)
                configs.append(_config(s, "tanh", "identity", "mse", "sample_mean", n, seed=depth))
                configs.append(_config(s, "relu", "sigmoid", "mse", "sum", n, seed=depth))
                if k > 1:
                    configs.append(
                        _config(s, "sigmoid", "softmax", "cross_entropy", "sample_mean", n)
                    )
    configs.append(_config((3, 4, 1), "sigmoid", "sigmoid", "mse", "sum", 4, bias=False))
    configs.append(
        _config((3, 4, 2), "tanh", "softmax", "cross_entropy", "sample_mean", 8, bias=False)
    )
    for hidden, output, loss, reduction in (
        ("relu", "identity", "mse", "sample_mean"),
        ("tanh", "softmax", "cross_entropy", "sample_mean"),
        ("sigmoid", "sigmoid", "mse", "sum"),
        ("softmax", "tanh", "mse", "element_mean"),
    ):
        for sizes in ((4, 5, 3), (4, 6, 5, 3)):
            configs.append(_config(sizes, hidden, output, loss, reduction, 7, dtype=np.float32))
    for sgd in OPTIMIZERS.values():  # SGD's options on three networks, with and without bias
        configs.append(
            _config((4, 5, 3), "tanh", "softmax", "cross_entropy", "sample_mean", 7, optimizer=sgd)
        )
        configs.append(_config((4, 5, 6, 1), "relu", "sigmoid", "mse", "sum", 7, optimizer=sgd))
        configs.append(
            _config(
                (3, 4, 2), "sigmoid", "identity", "mse", "sample_mean", 1, bias=False, optimizer=sgd
            )
        )
    ids = [c.id for c in configs]
    assert len(ids) == len(set(ids)), "configuration ids must be unique"
    return configs


def make_data(config: Config) -> tuple[np.ndarray, np.ndarray]:
    """X (n, n_0) standard normal; Y (n, n_L) fitted to the output: one-hot for cross-entropy,
    uniform on [0, 1) for a sigmoid, softmax or relu output, standard normal otherwise."""
    rng = np.random.default_rng(1000 + config.seed)
    n, k = config.n, config.spec.sizes[-1]
    X = rng.standard_normal((n, config.spec.sizes[0]))
    output = config.spec.activations[-1]
    if config.spec.loss == "cross_entropy":
        Y = np.eye(k)[rng.integers(0, k, n)]
    elif output in ("sigmoid", "softmax", "relu"):
        Y = rng.random((n, k))
    else:
        Y = rng.standard_normal((n, k))
    return X.astype(config.dtype), Y.astype(config.dtype)


def initial_params(config: Config):
    """Standard normal * 0.8, from the config's seed (large enough to leave the linear regime)."""
    params = init_standard_normal(config.spec.sizes, config.seed, scale=0.8, bias=config.spec.bias)
    return params.astype(config.dtype)


@functools.cache
def run_pair(config: Config, device: str = "cpu") -> tuple[History, History]:
    """Train `config` for STEPS steps with scratch and with reference (on torch's `device`,
    "cpu" or "cuda"); both histories."""
    import torch  # here, not at the top: building the matrix alone needs no torch

    from reference import TorchMLP

    X, Y = make_data(config)
    params = initial_params(config)
    sgd = config.optimizer
    ours = Network(config.spec, params).train(X, Y, config.lr, STEPS, record=True, optimizer=sgd)
    torch_dtype = torch.float64 if config.dtype is np.float64 else torch.float32
    model = TorchMLP(config.spec, params, dtype=torch_dtype, device=device)
    theirs = model.train(X, Y, config.lr, STEPS, record=True, optimizer=sgd)
    return ours, theirs


def tensor_names(config: Config) -> list[str]:
    """What is compared at each step, in the tutorials' names (layers numbered from 1): every
    Z and A, the cost, every dW and db, with momentum the velocities vW and vb, and the
    parameters after the update."""
    names = []
    for l in range(1, config.spec.depth + 1):
        names += [f"Z{l}", f"A{l}"]
    names.append("cost")
    for l in range(1, config.spec.depth + 1):
        names += [f"dW{l}"] + ([f"db{l}"] if config.spec.bias else [])
    if config.optimizer.momentum:
        for l in range(1, config.spec.depth + 1):
            names += [f"vW{l}"] + ([f"vb{l}"] if config.spec.bias else [])
    for l in range(1, config.spec.depth + 1):
        names += [f"W{l}_after"] + ([f"b{l}_after"] if config.spec.bias else [])
    return names


def delta_names(config: Config) -> list[str]:
    """The backward pass's intermediates, per layer from the output down: dA, dZ, f'(Z)."""
    names = []
    for l in range(config.spec.depth, 0, -1):
        names += [f"dA{l}", f"dZ{l}"]
        if config.spec.activations[l - 1] != "softmax":
            names.append(f"aprime{l}")
    return names


def by_step(history: History) -> list[dict[str, np.ndarray]]:
    """A recorded history's tensors, step by step: `by_step(h)[step][name]` (`StepRecord.arrays`,
    internal layout; each step's dict made once, not once per tensor looked up)."""
    return [record.arrays() for record in history.records]
