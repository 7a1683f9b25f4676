"""`torch.optim.SGD` (momentum 0, no weight decay) is exactly the manual update W - lr dW.

The gradients are autograd's; the manual update is written here in NumPy, independently of both
implementations' step functions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from reference import TorchMLP
from scratch import Network, NetworkSpec, init_standard_normal

SPEC = NetworkSpec.build((3, 4, 2), "tanh", "softmax", "cross_entropy")


@pytest.mark.parametrize("lr", [0.5, 0.01])
def test_sgd_step_is_w_minus_lr_dw(lr):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((6, 3))
    Y = np.eye(2)[rng.integers(0, 2, 6)]
    model = TorchMLP(SPEC, init_standard_normal(SPEC.sizes, 2, scale=0.5), device="cpu")
    _, _, grads, _ = model.forward_backward(X, Y)
    before = model.export_params()
    torch.optim.SGD(model.parameters(), lr=lr).step()
    after = model.export_params()
    for name, W in before.arrays().items():
        manual = W - lr * grads.arrays()[f"d{name}"]
        assert_close(after.arrays()[name], manual, FLOAT64, f"SGD/lr{lr}/{name}")


def test_scratch_step_is_w_minus_lr_dw():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((6, 3))
    Y = np.eye(2)[rng.integers(0, 2, 6)]
    net = Network(SPEC, init_standard_normal(SPEC.sizes, 3, scale=0.5))
    grads = net.backward(net.forward(X), Y)
    before = net.params
    net.step(0.3, grads)
    for name, W in before.arrays().items():
        manual = W - 0.3 * grads.arrays()[f"d{name}"]
        assert np.array_equal(net.params.arrays()[name], manual), f"scratch step/{name}"
