"""Bad values at the public API: distinct mistakes of the right type (test_bad_input.py has the
wrong types), each with the exception it must raise and the message that names the argument.

Most come from the adversarial probe of issue 11: a perceptron fitted from NaN weights or an
infinite bias, a predict before fit, random seeds that are not seeds, an element mean of
cross-entropy, a non-one-hot target for its fused gradient, malformed layouts and state dicts.
The table is keyed by the exception; the test asserts the exact type.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.tests.inputs import PARAMS as P
from conformance.tests.inputs import SPEC, Y2, X, Y, assert_rejected, bad_input_params, y01
from reference import TorchMLP, state_dict_to_params
from reference import losses as torch_losses
from reference.perceptron import perceptron_updates
from scratch import (
    ConfigError,
    DTypeError,
    Gradients,
    MLPInputError,
    Network,
    NetworkSpec,
    NonFiniteError,
    NotFittedError,
    Perceptron,
    ShapeError,
    init_standard_normal,
    init_t2,
    init_t4,
    losses,
)

NAN, INF = np.array([np.nan, 1.0]), np.array([1.0, np.inf])
STATE = {"layers.0.weight": torch.ones(3, 2), "layers.0.bias": torch.zeros(3)}
ONE_HOT = "Y must be one-hot for cross-entropy"
CE_ONLY = "cross_entropy does not support reduction 'element_mean'"


isn, sd = init_standard_normal, state_dict_to_params  # short names for the table


def net() -> Network:
    return Network(SPEC, P)


def model() -> TorchMLP:
    return TorchMLP(SPEC, P, device="cpu")


def fit(w0=None, b0=0.0, X_=X, y=y01, eta=0.1):
    return Perceptron(eta).fit(X_, y, w0, b0)


def twin(w0=None, b0=0.0, X_=X, y=y01, eta=0.1):
    return perceptron_updates(X_, y, eta, 5, w0, b0)


def quiet(call):
    """`call` with NumPy's overflow warnings off: what is tested is the library's own error."""

    def run():
        with np.errstate(over="ignore", invalid="ignore"):
            return call()

    return run


def sce_grad(Y_):
    return losses.softmax_cross_entropy_grad(Y2, np.asarray(Y_, dtype=float), "sum")


def grads(dtype=np.float64, bias=True) -> Gradients:
    spec = NetworkSpec.build([2, 3, 1], bias=bias)
    n = Network(spec, init_standard_normal(spec.sizes, 0, bias=bias))
    g = n.backward(n.forward(X), Y)
    return Gradients(
        [w.astype(dtype) for w in g.dW], [b if b is None else b.astype(dtype) for b in g.db]
    )


BAD_VALUES = {
    MLPInputError: {
        "perceptron/w0-NaN": (lambda: fit(NAN), "w0 contains NaN or Inf"),
        "perceptron/w0-Inf": (lambda: fit(INF), "w0 contains NaN or Inf"),
        "perceptron/b0-Inf": (lambda: fit(None, np.inf), "b0 must be finite, got inf"),
        "perceptron/b0-NaN": (lambda: fit(None, float("nan")), "b0 must be finite, got nan"),
        "perceptron/X-NaN": (lambda: fit(X_=X * np.nan), "X contains NaN or Inf"),
        "perceptron/y-NaN": (lambda: fit(y=np.array([0, 1, np.nan])), "y must hold only 0 and 1"),
        "perceptron/eta-zero": (lambda: Perceptron(eta=0), "eta must be finite and > 0, got 0"),
        "perceptron/eta-NaN": (lambda: Perceptron(eta=float("nan")), "eta must be finite"),
        "perceptron/max_epochs-zero": (lambda: Perceptron(max_epochs=0), "max_epochs must be >= 1"),
        "perceptron-twin/w0-NaN": (lambda: twin(NAN), "w0 contains NaN or Inf"),
        "perceptron-twin/eta-zero": (lambda: twin(eta=0.0), "eta must be finite and > 0"),
        "perceptron-twin/b0-Inf": (lambda: twin(None, np.inf), "b0 must be finite"),
        "init_t2/seed-negative": (lambda: init_t2([2, 1], -1), "seed must be >= 0, got -1"),
        "init_t4/seed-negative": (lambda: init_t4((3, 1), -7), "seed must be >= 0, got -7"),
        "init_standard_normal/seed-negative": (
            lambda: isn([2, 1], -5),
            "seed must be >= 0, got -5",
        ),
        "init_standard_normal/scale-zero": (
            lambda: isn([2, 1], 0, 0.0),
            "scale must be > 0, got 0.0",
        ),
        "init_standard_normal/scale-negative": (
            lambda: isn([2, 1], 0, -0.1),
            "scale must be > 0, got -0.1",
        ),
        "init_standard_normal/scale-NaN": (
            lambda: isn([2, 1], 0, float("nan")),
            "scale must be finite, got nan",
        ),
        "init_standard_normal/scale-Inf": (
            lambda: isn([2, 1], 0, float("inf")),
            "scale must be finite, got inf",
        ),
        "init_t2/sizes-zero": (lambda: init_t2([2, 0, 1], 0), r"sizes\[1\] must be >= 1, got 0"),
        "init_t4/sizes-negative": (lambda: init_t4((3, -4, 1)), r"sizes\[1\] must be >= 1, got -4"),
        "sce_grad/Y-soft": (lambda: sce_grad(np.full((3, 2), 0.5)), ONE_HOT),
        "sce_grad/Y-two-ones": (lambda: sce_grad(np.ones((3, 2))), ONE_HOT),
        "sce_grad/Y-zero-row": (
            lambda: sce_grad([[1, 0], [0, 0], [1, 0]]),
            r"first bad row 1: \[0.0, 0.0\]",
        ),
        "sce_grad/Y-NaN": (lambda: sce_grad([[1, np.nan], [0, 1], [1, 0]]), "bad row 0"),
        "sce_grad/Y-negative": (lambda: sce_grad([[1, 0], [2, -1], [1, 0]]), "bad row 1"),
        "TorchMLP.train/objective": (
            lambda: model().train(X, Y, 0.1, 1, objective="loss"),
            "objective must be 'cost' or 'output', got 'loss'",
        ),
        "Network.forward_backward/objective": (
            lambda: net().forward_backward(X, Y, objective="grad"),
            "objective must be 'cost' or 'output', got 'grad'",
        ),
        "TorchMLP.train/steps-zero": (lambda: model().train(X, Y, 0.1, 0), "steps must be >= 1"),
        "Network.train/steps-negative": (lambda: net().train(X, Y, 0.1, -3), "steps .* got -3"),
        "Network.train_step/lr-zero": (lambda: net().train_step(X, Y, 0), "lr must be finite and"),
        "TorchMLP.train/lr-negative": (lambda: model().train(X, Y, -1e-3, 1), "got -0.001"),
        "Network.forward/X-Inf": (
            lambda: net().forward(np.array([[1.0, np.inf]])),
            "X contains NaN or Inf",
        ),
        "TorchMLP.forward/X-NaN-tensor": (
            lambda: model()(torch.full((1, 2), torch.nan, dtype=torch.float64)),
            "X contains NaN or Inf",
        ),
        "TorchMLP.export_grads/before-backward": (
            lambda: model().export_grads(),
            "no gradients yet",
        ),
    },
    NonFiniteError: {
        "perceptron/overflows": (
            quiet(lambda: fit(X_=X * 1e300, y=1 - y01, eta=1e10)),
            "the perceptron's w or b overflowed",
        ),
        "perceptron-twin/overflows": (
            quiet(lambda: twin(X_=X * 1e300, y=1 - y01, eta=1e10)),
            "the perceptron's w or b overflowed",
        ),
    },
    NotFittedError: {
        "perceptron/predict-before-fit": (
            lambda: Perceptron().predict(X),
            r"not fitted yet: call fit\(X, y\) before predict",
        ),
    },
    ConfigError: {
        "init_t2/sizes-one": (lambda: init_t2([2], 0), "sizes needs at least an input and an"),
        "cross_entropy/element_mean": (
            lambda: losses.cross_entropy(Y2, Y2, "element_mean"),
            CE_ONLY,
        ),
        "cross_entropy_grad/element_mean": (
            lambda: losses.cross_entropy_grad(Y2, Y2, "element_mean"),
            CE_ONLY,
        ),
        "softmax_cross_entropy/element_mean": (
            lambda: losses.softmax_cross_entropy(Y2, Y2, "element_mean"),
            CE_ONLY,
        ),
        "softmax_cross_entropy_grad/element_mean": (
            lambda: losses.softmax_cross_entropy_grad(Y2, Y2, "element_mean"),
            CE_ONLY,
        ),
        "reference-cross_entropy/element_mean": (
            lambda: torch_losses.cross_entropy(torch.ones(2, 2), torch.eye(2), "element_mean"),
            CE_ONLY,
        ),
        "reference-softmax_cross_entropy/element_mean": (
            lambda: torch_losses.softmax_cross_entropy(
                torch.ones(2, 2), torch.eye(2), "element_mean"
            ),
            CE_ONLY,
        ),
        "mse/reduction-None": (lambda: losses.mse(Y, Y, None), "unknown reduction None"),
        "mse/reduction-array": (lambda: losses.mse(Y, Y, np.array(["sum"])), "reduction array"),
        "get_loss/reduction-list": (
            lambda: losses.get_loss("mse", ["sum"]),
            r"does not support reduction \['sum'\]",
        ),
        "mse_grad/reduction-average": (
            lambda: losses.mse_grad(Y, Y, "average"),
            "unknown reduction 'average'",
        ),
    },
    ShapeError: {
        "perceptron/w0-length": (lambda: fit(np.ones(3)), r"w0 must have shape \(2,\)"),
        "perceptron/w0-2-D": (lambda: fit(np.ones((1, 2))), r"w0 .* got \(1, 2\)"),
        "perceptron/predict-columns": (
            lambda: fit().predict(np.ones((2, 3))),
            "X must have 2 columns",
        ),
        "mse/1-D": (lambda: losses.mse(Y[:, 0], Y[:, 0]), r"same \(n, k\) shape"),
        "Network.backprop/dA_L-shape": (
            lambda: net().backprop(net().forward(X), np.ones((3, 2))),
            r"dA_L must have the output's shape \(3, 1\), got \(3, 2\)",
        ),
        "Network.step/db-missing": (
            lambda: net().step(0.1, grads(bias=False)),
            "grads.db must hold bias gradients",
        ),
        "Network.cost/Y-batch": (
            lambda: net().cost(net().forward(X), Y[:2]),
            r"Y has shape \(2, 1\) but the network output A\(L\) has shape \(3, 1\)",
        ),
        "Network.train/batches-differ": (
            lambda: net().train(X, Y[:2], 0.1, 1),
            r"Y has shape \(2, 1\) but the network output A\(L\) has shape \(3, 1\)",
        ),
        "TorchMLP.train/batches-differ": (
            lambda: model().train(X[:2], Y, 0.1, 1),
            r"Y has shape \(3, 1\) but the network output A\(L\) has shape \(2, 1\)",
        ),
    },
    DTypeError: {
        "perceptron/w0-strings": (lambda: fit(np.array(["a", "b"])), "w0 must be .* got <U1"),
        "perceptron/w0-object": (lambda: fit(np.array([1, "a"], dtype=object)), "w0 .* object"),
        "init_t4/sizes-float": (lambda: init_t4((3, 1.5)), r"sizes\[1\] must be an integer"),
        "reference-mse/numpy": (lambda: torch_losses.mse(Y, Y), "A must be a torch.Tensor"),
        "mse/int-arrays": (
            lambda: losses.mse(np.ones((2, 1), dtype=int), Y[:2]),
            "A must have a float dtype",
        ),
        "Network.step/grads-float32": (
            lambda: net().step(0.1, grads(np.float32)),
            r"grads.dW\[0\] has dtype float32 but the parameters are float64",
        ),
        "Network.step/maximize-str": (
            lambda: net().step(0.1, grads(), maximize="yes"),
            "maximize must be True or False, got 'yes'",
        ),
        "Network.step/freeze_biases-int": (
            lambda: net().step(0.1, grads(), freeze_biases=0),
            "freeze_biases must be True or False, got 0",
        ),
        "TorchMLP.train/freeze_biases-str": (
            lambda: model().train(X, Y, 0.1, 1, freeze_biases="False"),
            "freeze_biases must be True or False, got 'False'",
        ),
    },
}
CASES = bad_input_params(BAD_VALUES)


@pytest.mark.parametrize(("call", "error", "message"), CASES)
def test_a_bad_value_is_rejected_naming_the_argument(call, error, message):
    assert_rejected(call, error, message)
