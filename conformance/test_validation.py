"""Bad input fails loudly, naming the argument and the shapes, in both implementations.

The headline case: a (n,) target against an (n, 1) output must raise, not broadcast to (n, n).
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import TorchMLP
from scratch import (
    ConfigError,
    DTypeError,
    MLPInputError,
    Network,
    NetworkSpec,
    Params,
    ShapeError,
    init_standard_normal,
)

SPEC = NetworkSpec.build([2, 3, 1], "relu", "identity")
PARAMS = init_standard_normal(SPEC.sizes, 0, scale=0.5)
X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
Y = np.array([[1.0], [0.0], [2.0]])


def scratch_cost(X_, Y_):
    net = Network(SPEC, PARAMS)
    return net.cost(net.forward(X_), Y_)


def scratch_backward(X_, Y_):
    net = Network(SPEC, PARAMS)
    return net.backward(net.forward(X_), Y_)


def reference_cost(X_, Y_):
    model = TorchMLP(SPEC, PARAMS, device="cpu")
    return model.gradients(X_, Y_)


RUNNERS = [scratch_cost, scratch_backward, reference_cost]
RUNNER_IDS = ["scratch-cost", "scratch-backward", "reference"]

BAD_DATA = [
    ("target-(n,)-vs-(n,1)", X, Y[:, 0], ShapeError, r"Y .*\(3,\).*\(3, 1\)"),
    ("target-(n,1)-vs-(n,2)", X, np.ones((3, 2)), ShapeError, r"\(3, 2\).*\(3, 1\)"),
    ("X-3-features", np.ones((3, 3)), Y, ShapeError, r"X must have 2 columns, got shape \(3, 3\)"),
    ("X-1-D", np.ones(2), Y, ShapeError, r"X must be 2-D"),
    ("X-empty-batch", np.ones((0, 2)), Y[:0], ShapeError, r"X is an empty batch"),
    ("X-NaN", np.array([[np.nan, 1.0]] * 3), Y, MLPInputError, r"X contains NaN or Inf"),
    ("Y-Inf", X, np.array([[np.inf]] * 3), MLPInputError, r"Y contains NaN or Inf"),
    ("X-int", np.ones((3, 2), dtype=int), Y, DTypeError, r"X must have dtype float32 or float64"),
    ("X-float32", X.astype(np.float32), Y, DTypeError, r"X has dtype float32"),
    ("Y-list", X, [[1.0], [0.0], [2.0]], DTypeError, r"Y must be a numpy.ndarray"),
]


@pytest.mark.parametrize("run", RUNNERS, ids=RUNNER_IDS)
@pytest.mark.parametrize(
    ("X_", "Y_", "error", "pattern"), [p[1:] for p in BAD_DATA], ids=[p[0] for p in BAD_DATA]
)
def test_bad_data_is_rejected(run, X_, Y_, error, pattern):
    with pytest.raises(error, match=pattern):
        run(X_, Y_)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"sizes": (2, 3, 1), "activations": ("relu", "swish")}, r"unknown activation 'swish'"),
        ({"sizes": (2, 3, 1), "activations": ("relu",)}, r"activations has 1 entries"),
        ({"sizes": (2, 0, 1), "activations": ("relu", "identity")}, r"sizes\[1\] must be >= 1"),
        (
            {"sizes": (2, 3, 1), "activations": ("relu", "identity"), "loss": "hinge"},
            r"unknown loss",
        ),
        (
            {"sizes": (2, 3, 2), "activations": ("relu", "sigmoid"), "loss": "cross_entropy"},
            r"output activation must be 'softmax'",
        ),
        (
            {"sizes": (2, 3, 1), "activations": ("relu", "identity"), "reduction": "mean"},
            r"does not support reduction 'mean'",
        ),
    ],
    ids=[
        "unknown-activation",
        "activation-count",
        "size-0",
        "unknown-loss",
        "ce-needs-softmax",
        "ambiguous-mean",
    ],
)
def test_bad_spec_is_rejected(kwargs, pattern):
    with pytest.raises(MLPInputError, match=pattern):
        NetworkSpec(**kwargs)


def test_non_integer_size_is_rejected():
    with pytest.raises(DTypeError, match=r"sizes\[1\] must be an integer"):
        NetworkSpec((2, 2.5, 1), ("relu", "identity"))


def test_params_that_do_not_chain():
    with pytest.raises(ShapeError, match=r"W\[1\] has shape \(1, 4\): its 4 inputs do not match"):
        Params([np.ones((3, 2)), np.ones((1, 4))])


def test_params_that_do_not_fit_the_spec():
    with pytest.raises(ConfigError, match=r"sizes \(2, 4, 1\) but the spec says \(2, 3, 1\)"):
        Network(SPEC, init_standard_normal([2, 4, 1], 0))


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf")], ids=str)
def test_bad_learning_rate_leaves_params_unchanged(lr):
    net = Network(SPEC, PARAMS)
    grads = net.backward(net.forward(X), Y)
    with pytest.raises(MLPInputError, match="lr must be finite and > 0"):
        net.step(lr, grads)
    assert net.params is PARAMS


def test_cross_entropy_needs_one_hot_targets():
    spec = NetworkSpec.build([2, 3, 2], "tanh", "softmax", "cross_entropy")
    net = Network(spec, init_standard_normal(spec.sizes, 0))
    with pytest.raises(MLPInputError, match="one-hot"):
        net.cost(net.forward(X), np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]]))
