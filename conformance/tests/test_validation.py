"""Bad input fails loudly, at every public entry point, naming the argument and the shapes.

Each row of BAD_INPUTS is one distinct mistake a user makes, the call that receives it, and the
exception and message it must give: a `ValueError` subclass (`MLPInputError`: `ShapeError`,
`ConfigError`) or a `TypeError` (`DTypeError`). The headline case: a (n,) target against an
(n, 1) output must raise, not broadcast to an (n, n) loss. The case loader's errors are tested
in test_golden_format.py. Then: a rejected call never leaves an object half-updated.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.tests.inputs import CE_PARAMS, CE_SPEC, PARAMS, SPEC, X, Y
from reference import TorchMLP, state_dict_to_params
from scratch import (
    ConfigError,
    DTypeError,
    Gradients,
    MLPInputError,
    Network,
    NetworkSpec,
    NonFiniteError,
    Params,
    Perceptron,
    ShapeError,
    init_standard_normal,
    losses,
)
from scratch.layouts import from_t1, from_t2


def net() -> Network:
    return Network(SPEC, PARAMS)


def model(dtype=torch.float64) -> TorchMLP:
    return TorchMLP(SPEC, PARAMS, dtype=dtype, device="cpu")


def scratch_cost(X_, Y_, spec=SPEC, params=PARAMS):
    n = Network(spec, params)
    return n.cost(n.forward(X_), Y_)


def with_nan(params: Params) -> list[np.ndarray]:
    W = [w.copy() for w in params.W]
    W[1][0, 0] = np.nan
    return W


BAD_INPUTS = [
    # (id, call, exception, message)
    (
        "target-(n,)-vs-(n,1)/scratch",
        lambda: scratch_cost(X, Y[:, 0]),
        ShapeError,
        r"Y has shape \(3,\) but the network output A\(L\) has shape \(3, 1\)",
    ),
    (
        "target-(n,)-vs-(n,1)/reference",
        lambda: model().forward_backward(X, Y[:, 0]),
        ShapeError,
        r"Y has shape \(3,\) but the network output A\(L\) has shape \(3, 1\)",
    ),
    (
        "target-(n,)-vs-(n,1)/loss",
        lambda: losses.mse(Y, Y[:, 0]),
        ShapeError,
        r"output A has shape \(3, 1\) and the target Y \(3,\)",
    ),
    (
        "target-(n,2)-vs-(n,1)/gradient",
        lambda: losses.mse_grad(Y, np.ones((3, 2))),
        ShapeError,
        r"\(3, 1\) and the target Y \(3, 2\)",
    ),
    (
        "X-wrong-features/forward",
        lambda: net().forward(np.ones((3, 3))),
        ShapeError,
        r"X must have 2 columns, got shape \(3, 3\)",
    ),
    (
        "X-wrong-features/reference",
        lambda: model()(np.ones((3, 3))),
        ShapeError,
        r"X must have 2 columns, got shape \(3, 3\)",
    ),
    (
        "X-wrong-features/predict",
        lambda: net().predict(np.ones((4, 5))),
        ShapeError,
        r"X must have 2 columns, got shape \(4, 5\)",
    ),
    ("X-1-D", lambda: net().forward(np.ones(2)), ShapeError, r"X must be 2-D .*got shape \(2,\)"),
    (
        "X-empty-batch",
        lambda: net().forward(np.ones((0, 2))),
        ShapeError,
        r"X is an empty batch: shape \(0, 2\)",
    ),
    (
        "X-NaN",
        lambda: net().forward(np.array([[np.nan, 1.0]])),
        MLPInputError,
        r"X contains NaN or Inf \(shape \(1, 2\)\)",
    ),
    (
        "Y-Inf",
        lambda: scratch_cost(X, np.full((3, 1), np.inf)),
        MLPInputError,
        r"Y contains NaN or Inf",
    ),
    (
        "params-NaN",
        lambda: Params(with_nan(PARAMS), PARAMS.b),
        MLPInputError,
        r"W\[1\] contains NaN or Inf \(shape \(1, 3\)\)",
    ),
    (
        "X-int-dtype",
        lambda: net().forward(np.ones((3, 2), dtype=int)),
        DTypeError,
        r"X must have dtype float32 or float64, got int64",
    ),
    (
        "X-object-dtype",
        lambda: net().forward(np.array([[1.0, "a"]], dtype=object)),
        DTypeError,
        r"X must have dtype float32 or float64, got object",
    ),
    (
        "X-list",
        lambda: net().forward([[1.0, 2.0]]),
        DTypeError,
        r"X must be a numpy.ndarray, got list",
    ),
    (
        "params-int-dtype",
        lambda: Params([np.ones((3, 2), dtype=int), np.ones((1, 3))]),
        DTypeError,
        r"W\[0\] must have dtype float32 or float64, got int64",
    ),
    (
        "params-mixed-dtypes",
        lambda: Params([np.ones((3, 2)), np.ones((1, 3), dtype=np.float32)]),
        DTypeError,
        r"W\[1\] has dtype float32 but W\[0\] has dtype float64",
    ),
    (
        "ce-target-not-one-hot",
        lambda: scratch_cost(X, np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]]), CE_SPEC, CE_PARAMS),
        MLPInputError,
        r"Y must be one-hot .* first bad row 0: \[0.5, 0.5\]",
    ),
    (
        "ce-target-negative",
        lambda: scratch_cost(
            X, np.array([[1.0, 0.0], [-1.0, 2.0], [0.0, 1.0]]), CE_SPEC, CE_PARAMS
        ),
        MLPInputError,
        r"Y must be one-hot .* first bad row 1: \[-1.0, 2.0\]",
    ),
    (
        "ce-target-not-one-hot/reference",
        lambda: TorchMLP(CE_SPEC, CE_PARAMS, device="cpu").forward_backward(
            X, np.full((3, 2), 0.5)
        ),
        MLPInputError,
        r"Y must be one-hot",
    ),
    (
        "unknown-activation",
        lambda: NetworkSpec.build([2, 3, 1], "swish"),
        ConfigError,
        r"unknown activation 'swish'; known: \['identity', 'relu', 'sigmoid', 'softmax', 'tanh'\]",
    ),
    (
        "unknown-loss",
        lambda: NetworkSpec.build([2, 3, 1], loss="hinge"),
        ConfigError,
        r"unknown loss 'hinge'; known: \['cross_entropy', 'mse'\]",
    ),
    (
        "ambiguous-reduction-mean",
        lambda: NetworkSpec.build([2, 3, 1], reduction="mean"),
        ConfigError,
        r"loss 'mse' does not support reduction 'mean'; use one of \('sample_mean', 'sum'",
    ),
    (
        "reduction-in-loss-call",
        lambda: losses.mse(Y, Y, "mean"),
        ConfigError,
        r"unknown reduction 'mean'",
    ),
    (
        "ce-without-softmax",
        lambda: NetworkSpec.build([2, 3, 2], "relu", "sigmoid", "cross_entropy"),
        ConfigError,
        r"output activation must be 'softmax', got 'sigmoid'",
    ),
    (
        "softmax-over-1-unit",
        lambda: NetworkSpec.build([2, 3, 1], "relu", "softmax"),
        ConfigError,
        r"layer 2 is a softmax over 1 unit",
    ),
    (
        "activation-count",
        lambda: NetworkSpec((2, 3, 1), ("relu",)),
        ConfigError,
        r"activations has 1 entries but sizes \(2, 3, 1\) describes 2 layers",
    ),
    (
        "lr-zero/step",
        lambda: net().step(0.0, net().backward(net().forward(X), Y)),
        MLPInputError,
        r"lr must be finite and > 0, got 0.0",
    ),
    (
        "lr-negative/train",
        lambda: net().train(X, Y, -0.1, 3),
        MLPInputError,
        r"lr must be finite and > 0, got -0.1",
    ),
    ("lr-NaN/train", lambda: net().train(X, Y, float("nan"), 3), MLPInputError, r"got nan"),
    ("lr-Inf/reference", lambda: model().train(X, Y, float("inf"), 3), MLPInputError, r"got inf"),
    (
        "lr-string",
        lambda: net().train(X, Y, "0.1", 3),
        DTypeError,
        r"lr must be a real number, got str",
    ),
    ("steps-zero", lambda: net().train(X, Y, 0.1, 0), MLPInputError, r"steps must be >= 1, got 0"),
    (
        "steps-float",
        lambda: model().train(X, Y, 0.1, 2.5),
        DTypeError,
        r"steps must be an integer, got 2.5",
    ),
    (
        "size-zero",
        lambda: NetworkSpec.build([2, 0, 1]),
        MLPInputError,
        r"sizes\[1\] must be >= 1, got 0",
    ),
    (
        "size-non-integer",
        lambda: NetworkSpec.build([2, 2.5, 1]),
        DTypeError,
        r"sizes\[1\] must be an integer, got 2.5",
    ),
    (
        "size-bool",
        lambda: NetworkSpec.build([2, True, 1]),
        DTypeError,
        r"sizes\[1\] must be an integer, got True",
    ),
    (
        "params-do-not-chain",
        lambda: Params([np.ones((3, 2)), np.ones((1, 4))]),
        ShapeError,
        r"W\[1\] has shape \(1, 4\): its 4 inputs do not match the 3 outputs of W\[0\] \(3, 2\)",
    ),
    (
        "bias-wrong-length",
        lambda: Params([np.ones((3, 2))], [np.ones(2)]),
        ShapeError,
        r"b\[0\] must have shape \(3,\) to match W\[0\] \(3, 2\), got \(2,\)",
    ),
    (
        "some-biases-missing",
        lambda: Params([np.ones((3, 2)), np.ones((1, 3))], [np.ones(3), None]),
        ShapeError,
        r"b must be all arrays or all None",
    ),
    (
        "params-do-not-fit-spec",
        lambda: Network(SPEC, init_standard_normal([2, 4, 1], 0)),
        ConfigError,
        r"params have sizes \(2, 4, 1\) but the spec says \(2, 3, 1\)",
    ),
    (
        "params-do-not-fit-spec/reference",
        lambda: TorchMLP(SPEC, init_standard_normal([2, 4, 1], 0)),
        ConfigError,
        r"params have sizes \(2, 4, 1\) but the spec says \(2, 3, 1\)",
    ),
    (
        "bias-setting-mismatch",
        lambda: Network(SPEC, init_standard_normal([2, 3, 1], 0, bias=False)),
        ConfigError,
        r"the spec says bias=True but the params lack biases",
    ),
    (
        "torch-float32-into-float64-model",
        lambda: model()(torch.ones(3, 2, dtype=torch.float32)),
        DTypeError,
        r"X has dtype torch.float32 but the model is torch.float64",
    ),
    (
        "numpy-float64-into-float32-model",
        lambda: model(torch.float32)(X),
        DTypeError,
        r"X has dtype float64 but the model is torch.float32",
    ),
    (
        "float32-X-into-float64-scratch",
        lambda: net().forward(X.astype(np.float32)),
        DTypeError,
        r"X has dtype float32 but the parameters are float64",
    ),
    (
        "torch-int-dtype",
        lambda: model(torch.int64),
        DTypeError,
        r"dtype must be torch.float32 or torch.float64, got torch.int64",
    ),
    (
        "t2-bias-as-column",
        lambda: from_t2([np.ones((2, 3))], [np.ones((3, 1))]),
        ShapeError,
        r"b\[0\] must be a \(1, n_out\) row in T2's layout, got \(3, 1\)",
    ),
    (
        "t1-weights-1-D",
        lambda: from_t1([np.ones(3)], [np.ones(3)]),
        ShapeError,
        r"W\[0\] must be a 2-D array, got \(3,\)",
    ),
    (
        "state-dict-key",
        lambda: state_dict_to_params({"fc.weight": torch.ones(1, 2)}),
        ShapeError,
        r"state dict key 'fc.weight' is not of the form layers.<i>.weight\|bias",
    ),
    (
        "grads-wrong-shape",
        lambda: net().step(
            0.1,
            Network(NetworkSpec.build([2, 4, 1]), init_standard_normal([2, 4, 1], 0)).backward(
                Network(NetworkSpec.build([2, 4, 1]), init_standard_normal([2, 4, 1], 0)).forward(
                    X
                ),
                Y,
            ),
        ),
        ShapeError,
        r"grads.dW\[0\] has shape \(4, 2\), W\[0\] has \(3, 2\)",
    ),
    (
        "cache-from-another-network",
        lambda: net().backward(
            Network(NetworkSpec.build([2, 3, 3, 1]), init_standard_normal([2, 3, 3, 1], 0)).forward(
                X
            ),
            Y,
        ),
        ShapeError,
        r"cache must be the ForwardCache of this 2-layer net",
    ),
    (
        "perceptron-labels",
        lambda: Perceptron().fit(X, np.array([0, 2, 1])),
        MLPInputError,
        r"y must hold only 0 and 1, got values \[0, 1, 2\]",
    ),
    (
        "perceptron-y-shape",
        lambda: Perceptron().fit(X, np.array([[0], [1], [1]])),
        ShapeError,
        r"y must have shape \(3,\) to match X \(3, 2\), got \(3, 1\)",
    ),
    (
        "perceptron-eta",
        lambda: Perceptron(eta=-1.0),
        MLPInputError,
        r"eta must be finite and > 0, got -1.0",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_rejected_with_a_clear_message(call, error, message):
    assert issubclass(error, ValueError | TypeError)
    with pytest.raises(error, match=message):
        call()


def test_there_are_at_least_25_distinct_bad_inputs():
    assert len({b[0].split("/")[0] for b in BAD_INPUTS}) >= 25


# -- no half-updated objects -------------------------------------------------------------------
@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf")], ids=str)
def test_rejected_step_leaves_params_unchanged(lr):
    n = net()
    grads = n.backward(n.forward(X), Y)
    with pytest.raises(MLPInputError):
        n.step(lr, grads)
    assert n.params is PARAMS


def test_diverging_step_is_rejected_and_leaves_params_unchanged():
    n = net()
    huge = Gradients([np.full((3, 2), 1e308), np.full((1, 3), 1e308)], [np.ones(3), np.ones(1)])
    with pytest.raises(
        NonFiniteError, match=r"step with lr=10.0 diverged: W\[0\] contains NaN or Inf"
    ):
        with np.errstate(over="ignore", invalid="ignore"):
            n.step(10.0, huge)
    assert n.params is PARAMS


# Every way to train: the plain path (record=True) and the fast path (scratch.fast). A run that
# diverges is in test_divergence.py.
TRAIN_CALLS = {
    "train-recorded": lambda n, X_, Y_, lr: n.train(X_, Y_, lr, 2, record=True),
    "train-fast": lambda n, X_, Y_, lr: n.train(X_, Y_, lr, 2),
    "train_step": lambda n, X_, Y_, lr: n.train_step(X_, Y_, lr),
}


@pytest.mark.parametrize("call", list(TRAIN_CALLS))
def test_training_on_bad_inputs_changes_nothing(call):
    n = net()
    with pytest.raises(ShapeError):
        TRAIN_CALLS[call](n, X, Y[:, 0], 0.1)
    with pytest.raises(DTypeError):
        TRAIN_CALLS[call](n, X.astype(np.float32), Y, 0.1)
    with pytest.raises(MLPInputError, match="one-hot"):
        TRAIN_CALLS[call](Network(CE_SPEC, CE_PARAMS), X, np.full((3, 2), 0.5), 0.1)
    assert n.params is PARAMS


def test_adopt_takes_arrays_without_copying_and_freezes_them():
    W, b = [np.ones((3, 2)), np.ones((1, 3))], [np.zeros(3), np.zeros(1)]
    params = Params.adopt(W, b)
    assert all(x is y for x, y in zip((*params.W, *params.b), (*W, *b), strict=True))
    with pytest.raises(ValueError, match="read-only"):
        W[0][0, 0] = 2.0
    grads = Gradients.adopt([np.ones((3, 2)), np.ones((1, 3))], [None, None])
    assert grads.db == (None, None) and not grads.dW[1].flags.writeable


def test_adopt_rejects_nan_naming_the_array():
    with pytest.raises(MLPInputError, match=r"b\[1\] contains NaN or Inf \(shape \(1,\)\)"):
        Params.adopt([np.ones((3, 2)), np.ones((1, 3))], [np.zeros(3), np.array([np.inf])])


def test_reference_rejected_fit_leaves_params_unchanged():
    m = model()
    with pytest.raises(MLPInputError):
        m.train(X, Y, -1.0, 3)
    with pytest.raises(ShapeError):
        m.train(X, Y[:, 0], 0.1, 3)
    for name, array in m.export_params().arrays().items():
        assert np.array_equal(array, PARAMS.arrays()[name]), name


def test_parameters_are_frozen():
    with pytest.raises(ValueError, match="read-only"):
        PARAMS.W[0][0, 0] = 1.0
