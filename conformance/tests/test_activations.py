"""Each scratch activation and its derivative against torch, and the tutorials' conventions.

Forward: scratch `fn(Z)` against the torch function. Backward: scratch `grad(Z, A)` (or the
softmax vector-Jacobian product) against torch autograd of the same function, in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from scratch import activations as act

TORCH_FN = {
    "identity": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda z: torch.softmax(z, dim=1),
}

# A batch with exact zeros (the relu kink) and large magnitudes, 4 samples x 5 units.
Z = np.array(
    [
        [-2.0, -0.5, 0.0, 0.5, 2.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [3.0, -1.0, 0.25, -0.75, 1.5],
        [-30.0, 30.0, 1e-3, -1e-3, 7.0],
    ]
)


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_forward_matches_torch(name):
    expected = TORCH_FN[name](torch.tensor(Z)).numpy()
    assert_close(act.ACTIVATIONS[name].fn(Z), expected, FLOAT64, f"activations/{name}/A")


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_backward_matches_autograd(name):
    rng = np.random.default_rng(3)
    dA = rng.standard_normal(Z.shape)
    z = torch.tensor(Z, requires_grad=True)
    (expected,) = torch.autograd.grad(TORCH_FN[name](z), z, grad_outputs=torch.tensor(dA))
    a = act.ACTIVATIONS[name]
    dZ = a.backward(dA, Z, a.fn(Z))
    assert_close(dZ, expected.numpy(), FLOAT64, f"activations/{name}/dZ")


def test_relu_derivative_is_zero_at_zero():
    # The tutorials' convention: relu'(z) = 1 if z > 0 else 0, so 0 at z = 0 (torch agrees).
    assert act.relu_grad(np.array([[0.0]]), np.array([[0.0]]))[0, 0] == 0.0


def test_sigmoid_is_exact_and_silent_at_plus_minus_1000():
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact
        A = act.sigmoid(np.array([[-1000.0, 1000.0]]))
    assert A.tolist() == [[0.0, 1.0]]


def test_softmax_subtracts_row_max():
    # Logits of +-1000 overflow exp() unless the row max is subtracted first.
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is exact
        A = act.softmax(np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0]]))
    assert A.tolist() == [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]


def test_softmax_jacobian_matches_torch():
    z = torch.tensor(Z[2])
    expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), z)
    J = act.softmax_jacobian(Z[2:3], act.softmax(Z[2:3]))
    assert_close(J[0], expected.numpy(), FLOAT64, "activations/softmax/jacobian")


def test_step_thresholds_at_zero():
    # T4's perceptron: step(z) = 1 for z >= 0, else 0; its derivative is 0 where it exists.
    assert act.step(np.array([[-0.1, 0.0, 0.1]])).tolist() == [[0.0, 1.0, 1.0]]
    assert act.step_grad(np.array([[-0.1, 0.1]]), None).tolist() == [[0.0, 0.0]]


def test_derivatives_keep_float32():
    Z32 = Z.astype(np.float32)
    for name, a in act.ACTIVATIONS.items():
        A32 = a.fn(Z32)
        assert A32.dtype == np.float32, name
        assert a.backward(np.ones_like(Z32), Z32, A32).dtype == np.float32, name


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_forward_and_backward_write_into_nothing_they_are_given(name):
    # The plain activations allocate their results; the in-place variants live in scratch.fast.
    a = act.ACTIVATIONS[name]
    Z_in, dA = Z.copy(), np.ones_like(Z)
    A = a.forward(Z_in)
    dZ = a.backward(dA, Z_in, A)
    assert np.array_equal(Z_in, Z) and (dA == 1).all() and dZ is not dA
