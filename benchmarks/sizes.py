"""The benchmark's problems: each size (architecture, cost, batch), its data and parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from scratch import NetworkSpec, Params, init_standard_normal


@dataclass(frozen=True)
class Size:
    name: str
    sizes: tuple[int, ...]
    hidden: str
    output: str
    loss: str
    n: int


SIZES = [
    Size("T1", (2, 3, 1), "relu", "identity", "mse", 1),
    Size("T3", (3, 4, 2), "tanh", "softmax", "cross_entropy", 8),
    Size("medium", (784, 256, 10), "relu", "softmax", "cross_entropy", 256),
    Size("large", (1024, 1024, 1024, 10), "relu", "softmax", "cross_entropy", 1024),
]
DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}
LR = 0.01


def problem(size: Size, dtype) -> tuple[NetworkSpec, Params, np.ndarray, np.ndarray]:
    spec = NetworkSpec.build(size.sizes, size.hidden, size.output, size.loss)
    params = init_standard_normal(size.sizes, 0, scale=1 / np.sqrt(max(size.sizes[:-1]))).astype(
        dtype
    )
    rng = np.random.default_rng(1)
    X = rng.standard_normal((size.n, size.sizes[0])).astype(dtype)
    k = size.sizes[-1]
    if size.loss == "cross_entropy":
        Y = np.eye(k, dtype=dtype)[rng.integers(0, k, size.n)]
    else:
        Y = rng.standard_normal((size.n, k)).astype(dtype)
    return spec, params, X, Y
