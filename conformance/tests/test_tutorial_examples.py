"""The tutorials' worked examples by hand, one test each, run once by scratch and once by the
reference (`TorchMLP`, float64 on the CPU).

Every expected number is a figure the tutorial prints (see worked-examples.md) or is derived
from those figures right here, in plain arithmetic; none is computed by the code under test.
Numbers that are exact in binary floating point (small integers, halves) are compared exactly;
a stepped weight such as 1 - 0.01 * 18 is compared with the FLOAT64 tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from reference import TorchMLP
from scratch import History, Network, NetworkSpec, Params
from scratch.layouts import from_t1, to_t1


def scratch_train(spec: NetworkSpec, params: Params, X, Y, lr, steps, **options) -> History:
    return Network(spec, params).train(X, Y, lr, steps, record=True, **options)


def reference_train(spec: NetworkSpec, params: Params, X, Y, lr, steps, **options) -> History:
    model = TorchMLP(spec, params, device="cpu")
    return model.train(X, Y, lr, steps, record=True, **options)


TRAIN = {"scratch": scratch_train, "reference": reference_train}


@pytest.mark.parametrize("implementation", [pytest.param(k, id=f"T1-blog/{k}") for k in TRAIN])
def test_t1_blog_2_3_1_relu(implementation):
    # T1: u = W x + B, z = ReLU(u), y = W_out z + b_out, loss = 1/(2n) sum (y - target)^2;
    # one sample x = (1, 2), target 3, one step of gradient descent with eta = 0.01.
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"), "mse", "sample_mean")
    W = [np.array([[1.0, 2.0], [-3.0, 4.0], [1.0, -1.0]]), np.array([[1.0, 2.0, 3.0]])]
    B = [np.array([1.0, 2.0, 0.0]), np.array([1.0])]
    X, Y = np.array([[1.0, 2.0]]), np.array([[3.0]])
    history = TRAIN[implementation](spec, from_t1(W, B), X, Y, 0.01, 1)
    (step,) = history.records

    # Forward pass: u = [6, 7, -1], z = [6, 7, 0], y = 21, loss = 1/2 (21 - 3)^2 = 162.
    assert step.cache.Z[0].tolist() == [[6.0, 7.0, -1.0]]
    assert step.cache.A[1].tolist() == [[6.0, 7.0, 0.0]]
    assert step.cache.output.tolist() == [[21.0]]
    assert step.cost == 162.0
    assert history.cost.tolist() == [162.0] and history.output.tolist() == [[[21.0]]]

    # Backward pass: dL/dy = 18, dL/dW_out = 18 z, dL/db_out = 18, dL/dz = 18 W_out,
    # ReLU gate [1, 1, 0], dL/dW = (dL/dz * gate) x^T, dL/dB = dL/dz * gate.
    assert step.deltas.dA[1].tolist() == [[18.0]]
    assert step.grads.dW[1].tolist() == [[108.0, 126.0, 0.0]]
    assert step.grads.db[1].tolist() == [18.0]
    assert step.deltas.dA[0].tolist() == [[18.0, 36.0, 54.0]]
    assert step.deltas.aprime[0].tolist() == [[1.0, 1.0, 0.0]]
    assert step.grads.dW[0].tolist() == [[18.0, 36.0], [36.0, 72.0], [0.0, 0.0]]
    assert step.grads.db[0].tolist() == [18.0, 36.0, 0.0]

    # The step, W <- W - 0.01 dL/dW, from the figures above; the blog prints
    # W = [[0.82, 1.64], [-3.36, 3.28], [1, -1]], B = [0.82, 1.64, 0], W_out = [-0.08, 0.74, 3],
    # b_out = 0.82.
    (W1, W2), (B1, B2) = to_t1(step.after)
    what = f"T1-blog/{implementation}/step0"
    expected_W1 = [[1 - 0.01 * 18, 2 - 0.01 * 36], [-3 - 0.01 * 36, 4 - 0.01 * 72], [1, -1]]
    assert_close(W1, expected_W1, FLOAT64, f"{what}/W1_after")
    assert_close(B1, [1 - 0.01 * 18, 2 - 0.01 * 36, 0], FLOAT64, f"{what}/b1_after")
    assert_close(W2, [[1 - 0.01 * 108, 2 - 0.01 * 126, 3]], FLOAT64, f"{what}/W2_after")
    assert_close(B2, [1 - 0.01 * 18], FLOAT64, f"{what}/b2_after")


@pytest.mark.parametrize(
    "implementation", [pytest.param(k, id=f"T4-scalar-chain/{k}") for k in TRAIN]
)
def test_t4_scalar_chain(implementation):
    # T4: z = x w1 + b1, L = z w2 + b2 (a 1-1-1 identity network), x = 2, w1 = 0.5, b1 = 1,
    # w2 = 1.5, b2 = 0.5, E = 1/2 (L - 5)^2. The gradients are of L itself (objective "output"),
    # and the step raises L: w <- w + alpha dL/dw, alpha = 0.1, b1 and b2 held constant.
    spec = NetworkSpec((1, 1, 1), ("identity", "identity"), "mse", "sample_mean")
    W = [np.array([[0.5]]), np.array([[1.5]])]
    B = [np.array([1.0]), np.array([0.5])]
    X, Y = np.array([[2.0]]), np.array([[5.0]])
    history = TRAIN[implementation](
        spec, from_t1(W, B), X, Y, 0.1, 2, objective="output", maximize=True, freeze_biases=True
    )
    first, second = history.records

    # Forward pass: z = 2 * 0.5 + 1 = 2, L = 2 * 1.5 + 0.5 = 3.5, E = 1/2 (3.5 - 5)^2 = 1.125.
    assert first.cache.Z[0].tolist() == [[2.0]]
    assert first.cache.output.tolist() == [[3.5]]
    assert first.cost == 1.125

    # Backward pass: dL/dw1 = w2 x = 3, dL/dw2 = z = 2 (and, not printed, dL/db1 = w2 = 1.5,
    # dL/db2 = 1).
    assert first.grads.dW[0].tolist() == [[3.0]]
    assert first.grads.dW[1].tolist() == [[2.0]]
    assert first.grads.db[0].tolist() == [1.5] and first.grads.db[1].tolist() == [1.0]

    # The step that raises L: w1 = 0.5 + 0.1 * 3 (printed 0.8), w2 = 1.5 + 0.1 * 2 (printed
    # 1.7); b1, b2 unchanged. The next forward pass: z = 2 w1 + 1 (printed 2.6),
    # L = z w2 + 0.5 (printed 4.92).
    (W1, W2), (B1, B2) = to_t1(first.after)
    what = f"T4-scalar-chain/{implementation}"
    w1, w2 = 0.5 + 0.1 * 3, 1.5 + 0.1 * 2
    assert_close(W1, [[w1]], FLOAT64, f"{what}/step0/W1_after")
    assert_close(W2, [[w2]], FLOAT64, f"{what}/step0/W2_after")
    assert B1.tolist() == [1.0] and B2.tolist() == [0.5]
    z = 2 * w1 + 1
    assert_close(second.cache.Z[0], [[z]], FLOAT64, f"{what}/step1/Z1")
    assert_close(second.cache.output, [[z * w2 + 0.5]], FLOAT64, f"{what}/step1/Z2")
