"""Bad input at the public API, beyond test_validation.py: every argument given the wrong type,
and the values the adversarial probe of issue 11 found accepted or turned into a traceback.

Two tables. WRONG_TYPES gives each public argument four values of the wrong type; each call must
raise `DTypeError` (a `TypeError`) whose message names the argument and the type it got, never
an AttributeError or "truth value is ambiguous". BAD_VALUES lists distinct mistakes of the right
type, each with its exception and the message that names the argument.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from conformance.tests.inputs import PARAMS as P
from conformance.tests.inputs import SPEC, W1, WT, Y2, X, Y, assert_rejected, bad_input_params, y01
from reference import TorchMLP, params_to_state_dict, state_dict_to_params
from reference.perceptron import perceptron_updates
from scratch import (
    DTypeError,
    MLPInputError,
    Network,
    Perceptron,
    ShapeError,
    init_standard_normal,
    init_t2,
    init_t4,
    losses,
)
from scratch.layouts import from_t1, from_t2, from_t3, named_in_layout, to_t1, to_t2, to_t3
from scratch.params import Params


def net() -> Network:
    return Network(SPEC, P)


def model() -> TorchMLP:
    return TorchMLP(SPEC, P, device="cpu")


def fitted() -> Perceptron:
    return Perceptron().fit(X, y01)


# -- every argument, four wrong types ------------------------------------------------------------
ARRAY = {"None": None, "str": "1 2", "list": [[1.0, 2.0]], "Tensor": torch.ones(3, 2)}
TENSOR_OK = {"None": None, "str": "1 2", "list": [[1.0, 2.0]], "dict": {"X": 1}}
LAYERS = {"None": None, "str": "W", "ndarray": np.ones((3, 2)), "dict": {"W1": np.ones((3, 2))}}
OPTIONAL_LAYERS = {"str": "b", "ndarray": np.ones((1, 3)), "dict": {}, "float": 0.0}
OBJECT = {"None": None, "str": "params", "list": W1, "dict": {"W1": W1[0]}}
FLAG = {"None": None, "str": "no", "int": 1, "float": 1.0}
NUMBER = {"None": None, "str": "0.1", "list": [0.1], "bool": True}
COUNT = {"None": None, "float": 2.0, "str": "3", "bool": True}
STATE = {"None": None, "str": "layers.0.weight", "list": W1, "Params": P}
W0 = {"str": "ab", "list": [1.0, 2.0], "Tensor": torch.ones(2), "dict": {}}

WRONG_TYPES = {
    # "entry point/argument": (call taking the bad value, the wrong values)
    "Network.forward/X": (lambda v: net().forward(v), ARRAY),
    "Network.predict/X": (lambda v: net().predict(v), ARRAY),
    "Network.cost/Y": (lambda v: net().cost(net().forward(X), v), ARRAY),
    "Network.cost/cache": (lambda v: net().cost(v, Y), OBJECT),
    "Network.backprop/dA_L": (lambda v: net().backprop(net().forward(X), v), ARRAY),
    "Network.step/grads": (lambda v: net().step(0.1, v), OBJECT),
    "Network.train/X": (lambda v: net().train(v, Y, 0.1, 1), ARRAY),
    "Network.train/Y": (lambda v: net().train(X, v, 0.1, 1), ARRAY),
    "Network.train/lr": (lambda v: net().train(X, Y, v, 1), NUMBER),
    "Network.train/steps": (lambda v: net().train(X, Y, 0.1, v), COUNT),
    "Network.train/record": (lambda v: net().train(X, Y, 0.1, 1, record=v), FLAG),
    "Network.train/maximize": (lambda v: net().train(X, Y, 0.1, 1, maximize=v), FLAG),
    "Network.train/freeze_biases": (lambda v: net().train(X, Y, 0.1, 1, freeze_biases=v), FLAG),
    "Network.train_step/X": (lambda v: net().train_step(v, Y, 0.1), ARRAY),
    "Network.train_step/Y": (lambda v: net().train_step(X, v, 0.1), ARRAY),
    "Network.train_step/lr": (lambda v: net().train_step(X, Y, v), NUMBER),
    "Network/spec": (lambda v: Network(v, P), OBJECT),
    "Network/params": (lambda v: Network(SPEC, v), OBJECT),
    "TorchMLP/spec": (lambda v: TorchMLP(v, P, device="cpu"), OBJECT),
    "TorchMLP/params": (lambda v: TorchMLP(SPEC, v, device="cpu"), OBJECT),
    "TorchMLP.load_params/params": (lambda v: model().load_params(v), OBJECT),
    "TorchMLP.forward/X": (lambda v: model()(v), TENSOR_OK),
    "TorchMLP.forward_backward/Y": (lambda v: model().forward_backward(X, v), TENSOR_OK),
    "TorchMLP.train/X": (lambda v: model().train(v, Y, 0.1, 1), TENSOR_OK),
    "TorchMLP.train/lr": (lambda v: model().train(X, Y, v, 1), NUMBER),
    "TorchMLP.train/steps": (lambda v: model().train(X, Y, 0.1, v), COUNT),
    "TorchMLP.train/record": (lambda v: model().train(X, Y, 0.1, 1, record=v), FLAG),
    "TorchMLP.train/maximize": (lambda v: model().train(X, Y, 0.1, 1, maximize=v), FLAG),
    "losses.mse/A": (lambda v: losses.mse(v, Y), ARRAY),
    "losses.mse/Y": (lambda v: losses.mse(Y, v), ARRAY),
    "losses.mse_grad/A": (lambda v: losses.mse_grad(v, Y), ARRAY),
    "losses.cross_entropy/P": (lambda v: losses.cross_entropy(v, Y2), ARRAY),
    "losses.cross_entropy_grad/Y": (lambda v: losses.cross_entropy_grad(Y2, v), ARRAY),
    "losses.softmax_cross_entropy/Z": (lambda v: losses.softmax_cross_entropy(v, Y2), ARRAY),
    "losses.softmax_cross_entropy_grad/P": (
        lambda v: losses.softmax_cross_entropy_grad(v, Y2, "sum"),
        ARRAY,
    ),
    "from_t1/W": (lambda v: from_t1(v, None), LAYERS),
    "from_t1/B": (lambda v: from_t1(W1, v), OPTIONAL_LAYERS),
    "from_t2/W": (lambda v: from_t2(v, None), LAYERS),
    "from_t2/b": (lambda v: from_t2(WT, v), OPTIONAL_LAYERS),
    "from_t3/W": (lambda v: from_t3(v, None), LAYERS),
    "from_t3/beta": (lambda v: from_t3(WT, v), OPTIONAL_LAYERS),
    "named_in_layout/W": (lambda v: named_in_layout("t1", v, [None, None]), LAYERS),
    "Params/W": (lambda v: Params(v), LAYERS),
    "to_t1/params": (to_t1, OBJECT),
    "to_t2/params": (to_t2, OBJECT),
    "to_t3/params": (to_t3, OBJECT),
    "params_to_state_dict/params": (params_to_state_dict, OBJECT),
    "state_dict_to_params/state": (state_dict_to_params, STATE),
    "init_t2/sizes": (lambda v: init_t2(v, 0), {"None": None, "str": "231", "int": 3}),
    "init_t2/seed": (lambda v: init_t2([2, 3, 1], v), COUNT),
    "init_t4/seed": (lambda v: init_t4((3, 4, 1), v), COUNT),
    "init_standard_normal/seed": (lambda v: init_standard_normal([2, 1], v), COUNT),
    "init_standard_normal/scale": (lambda v: init_standard_normal([2, 1], 0, v), NUMBER),
    "init_standard_normal/bias": (lambda v: init_standard_normal([2, 1], 0, bias=v), FLAG),
    "Perceptron/eta": (lambda v: Perceptron(eta=v), NUMBER),
    "Perceptron/max_epochs": (lambda v: Perceptron(max_epochs=v), COUNT),
    "Perceptron.fit/X": (lambda v: Perceptron().fit(v, y01), ARRAY),
    "Perceptron.fit/y": (lambda v: Perceptron().fit(X, v), ARRAY),
    "Perceptron.fit/w0": (lambda v: Perceptron().fit(X, y01, v), W0),
    "Perceptron.fit/b0": (lambda v: Perceptron().fit(X, y01, None, v), NUMBER),
    "Perceptron.predict/X": (lambda v: fitted().predict(v), ARRAY),
    "perceptron_updates/w0": (lambda v: perceptron_updates(X, y01, 0.1, 5, v), {"str": "ab"}),
}
TYPE_CASES = [
    pytest.param(key, call, values, id=key) for key, (call, values) in WRONG_TYPES.items()
]


@pytest.mark.parametrize(("key", "call", "values"), TYPE_CASES)
def test_a_wrong_type_is_a_dtype_error_naming_the_argument_and_the_type(key, call, values):
    # Every wrong type of one argument (one test per argument; each value is one bad input).
    argument, wrong = key.split("/")[1], []
    for kind, value in values.items():
        got = type(value).__name__
        try:
            call(value)
        except DTypeError as caught:
            message = str(caught)
            if not re.search(rf"\b{argument}\b", message):
                wrong.append(f"{kind}: {message!r} does not name {argument}")
            elif not re.search(rf"\b{got}\b", message):
                wrong.append(f"{kind}: {message!r} does not name the type {got}")
        except Exception as other:
            wrong.append(f"{kind}: {type(other).__name__} instead of DTypeError: {other}")
        else:
            wrong.append(f"{kind}: accepted")
    assert not wrong, f"{key}: " + "; ".join(wrong)


# -- bad values of the containers and converters ------------------------------------------------
STATE = {"layers.0.weight": torch.ones(3, 2), "layers.0.bias": torch.zeros(3)}
sd = state_dict_to_params  # a short name for the table

BAD_VALUES = {
    MLPInputError: {
        "state_dict/NaN": (
            lambda: sd({"layers.0.weight": torch.full((3, 2), torch.nan)}),
            r"W\[0\] contains NaN or Inf",
        ),
        "TorchMLP/device-gpu": (
            lambda: TorchMLP(SPEC, P, device="gpu"),
            "device must be 'cpu', 'cuda' or a torch.device, got 'gpu'",
        ),
        "TorchMLP/device-float": (lambda: TorchMLP(SPEC, P, device=3.5), "device must .* 3.5"),
    },
    ShapeError: {
        "from_t1/B-count": (lambda: from_t1(W1, [np.ones(3)]), "B must have 2 entries"),
        "from_t1/B-2-D": (
            lambda: from_t1(W1, [np.ones((1, 3)), np.ones((1, 1))]),
            r"B\[0\] must be a 1-D array",
        ),
        "from_t1/W-empty": (lambda: from_t1([], None), "W must be a non-empty list"),
        "from_t3/beta-row": (
            lambda: from_t3(WT, [np.ones((1, 3)), np.ones((1, 1))]),
            r"beta\[0\] must be an \(n_out, 1\) column",
        ),
        "named_in_layout/layout-t4": (
            lambda: named_in_layout("t4", P.W, P.b),
            "layout must be one of",
        ),
        "named_in_layout/b-count": (
            lambda: named_in_layout("t1", P.W, P.b[:1]),
            "b must have 2 entries",
        ),
        "Params/b-count": (lambda: Params(W1, [np.ones(3)]), "b must be a list of 2 entries"),
        "state_dict/empty": (lambda: sd({}), "state dict is empty"),
        "state_dict/int-key": (
            lambda: sd({0: torch.ones(3, 2)}),
            "state dict key 0 is not of the form",
        ),
        "state_dict/bias-only": (lambda: sd({"layers.0.bias": torch.ones(3)}), "needs a weight"),
        "state_dict/layer-gap": (
            lambda: sd(STATE | {"layers.2.weight": torch.ones(1, 3)}),
            r"layers \[0, 2\] are not numbered 0..1",
        ),
        "state_dict/some-biases": (
            lambda: sd(STATE | {"layers.1.weight": torch.ones(1, 3)}),
            "biases for some layers but not all",
        ),
    },
    DTypeError: {
        "from_t1/W-entry-list": (
            lambda: from_t1([[[1.0, 2.0]]], None),
            r"W\[0\] must be a numpy.ndarray, got list",
        ),
        "from_t2/W-int": (
            lambda: from_t2([np.ones((2, 1), dtype=int)], None),
            r"W\[0\] must have dtype float32 or float64, got int64",
        ),
        "Params.astype/int": (lambda: P.astype(np.int64), r"W\[0\] must have dtype float32"),
        "state_dict/numpy-value": (
            lambda: sd({"layers.0.weight": np.ones((3, 2))}),
            r"state\['layers.0.weight'\] must be a torch.Tensor, got ndarray",
        ),
        "state_dict/int-tensor": (
            lambda: sd({"layers.0.weight": torch.ones(3, 2, dtype=torch.int64)}),
            r"W\[0\] must have dtype float32 or float64, got int64",
        ),
        "params_to_state_dict/dtype-int": (
            lambda: params_to_state_dict(P, torch.int64),
            "dtype must be torch.float32 or torch.float64, got torch.int64",
        ),
    },
}
VALUE_CASES = bad_input_params(BAD_VALUES)


@pytest.mark.parametrize(("call", "error", "message"), VALUE_CASES)
def test_a_bad_layout_or_state_dict_is_rejected_naming_the_argument(call, error, message):
    assert_rejected(call, error, message)
