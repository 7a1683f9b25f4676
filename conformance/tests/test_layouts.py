"""The weight-layout converters: round trips, and each layout's own forward formula.

For each tutorial layout the test computes the first layer's Z in that tutorial's formula
(T1: u = W x + B on a column; T2: Z = X W + b with a 1 x n row; T3: Z = X W + beta^T with an
n x 1 column) and checks it equals the internal Z = X W^T + b after conversion.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reference import TorchMLP, params_to_state_dict, state_dict_to_params
from scratch import NetworkSpec, Params, ShapeError, init_standard_normal
from scratch.dense import dense_forward
from scratch.layouts import from_t1, from_t2, from_t3, to_t1, to_t2, to_t3

PARAMS = init_standard_normal([2, 3, 1], 4, scale=1.0)
PARAMS = Params(PARAMS.W, [np.array([0.5, -1.0, 2.0]), np.array([0.25])])
X = np.array([[1.0, 2.0], [-0.5, 3.0]])


def same(a: Params, b: Params) -> bool:
    return a.arrays().keys() == b.arrays().keys() and all(
        np.array_equal(a.arrays()[k], b.arrays()[k]) for k in a.arrays()
    )


@pytest.mark.parametrize(
    ("to", "back"), [(to_t1, from_t1), (to_t2, from_t2), (to_t3, from_t3)], ids=["T1", "T2", "T3"]
)
def test_round_trip(to, back):
    assert same(back(*to(PARAMS)), PARAMS)


def test_t1_column_vector_formula():
    W, B = to_t1(PARAMS)
    u = W[0] @ X[0][:, None] + B[0][:, None]  # (3, 2) @ (2, 1) + (3, 1)
    assert np.allclose(u[:, 0], dense_forward(X, PARAMS.W[0], PARAMS.b[0])[0], rtol=1e-15, atol=0)


def test_t2_row_formula():
    W, b = to_t2(PARAMS)
    assert W[0].shape == (2, 3) and b[0].shape == (1, 3)
    Z = X @ W[0] + b[0]
    assert np.allclose(Z, dense_forward(X, PARAMS.W[0], PARAMS.b[0]), rtol=1e-15, atol=0)


def test_t3_column_bias_formula():
    W, beta = to_t3(PARAMS)
    assert W[0].shape == (2, 3) and beta[0].shape == (3, 1)
    Z = X @ W[0] + beta[0].T
    assert np.allclose(Z, dense_forward(X, PARAMS.W[0], PARAMS.b[0]), rtol=1e-15, atol=0)


def test_torch_state_dict_round_trip_and_linear_formula():
    state = params_to_state_dict(PARAMS)
    assert same(state_dict_to_params(state), PARAMS)
    linear = torch.nn.Linear(2, 3, dtype=torch.float64)
    linear.load_state_dict({"weight": state["layers.0.weight"], "bias": state["layers.0.bias"]})
    expected = linear(torch.tensor(X)).detach().numpy()
    assert np.allclose(dense_forward(X, PARAMS.W[0], PARAMS.b[0]), expected, rtol=1e-15, atol=0)


def test_torch_module_exports_what_it_was_given():
    spec = NetworkSpec.build([2, 3, 1], "relu", "identity")
    assert same(TorchMLP(spec, PARAMS, device="cpu").export_params(), PARAMS)


def test_without_biases():
    params = init_standard_normal([2, 3, 1], 0, bias=False)
    for to, back in ((to_t1, from_t1), (to_t2, from_t2), (to_t3, from_t3)):
        W, b = to(params)
        assert b is None
        assert same(back(W, None), params)


def test_wrong_bias_shapes_are_named():
    W, b = to_t2(PARAMS)
    with pytest.raises(ShapeError, match=r"b\[0\] must be a \(1, n_out\) row in T2's layout"):
        from_t2(W, [b[0].T, b[1]])
    W, beta = to_t3(PARAMS)
    column = r"beta\[0\] must be an \(n_out, 1\) column in T3's layout"
    with pytest.raises(ShapeError, match=column):
        from_t3(W, [beta[0].T, beta[1]])
