"""Tests written for mutants mutmut left alive (docs/mutation-report.md): each pins a value or
a named exception a surviving mutant changed, where the rest of the suite did not look.

The mutants that change no observable value are listed, with the reason, in
docs/mutation-equivalents.txt; the last test here checks that every line there still names a
function of a mutated module (the cheap form of mutmut's own check, which needs a full run).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from scratch import (
    Gradients,
    Network,
    NetworkSpec,
    NonFiniteError,
    Params,
    Perceptron,
    init_standard_normal,
    losses,
)
from scratch import activations as act
from scratch.errors import ConfigError, DTypeError, MLPInputError, NotFittedError, ShapeError
from scratch.layouts import from_t2, to_t2
from scratch.losses import cross_entropy_grad
from scratch.optim import SGD
from scratch.perceptron import epoch_tensors
from scratch.trace import Deltas

ROOT = Path(__file__).resolve().parents[2]

# float32 in, float32 out: a float64 constant inside would promote the result.
Z32 = np.array([[-1.5, 0.0, 2.0], [0.25, -0.75, 3.0]], dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "compute"),
    [
        ("step", lambda: act.step(Z32)),
        ("softmax_jacobian", lambda: act.softmax_jacobian(Z32, act.softmax(Z32))),
    ],
)
def test_activation_keeps_float32(name, compute):
    out = compute()
    assert out.dtype == np.float32, f"activations/{name}: float32 in, {out.dtype} out"


@pytest.mark.parametrize(
    ("dW", "db", "named"),
    [
        ([np.ones((2, 3)), np.ones((1, 3))], [np.ones(2), np.ones(1)], r"dW\[1\] has shape"),
        ([np.ones((2, 3))], [np.ones(2), np.ones(1)], r"db must be a list of 1 entries"),
    ],
    ids=["dW", "db"],
)
def test_gradients_name_the_bad_list(dW, db, named):
    with pytest.raises(ShapeError, match=named):
        Gradients(dW, db)


def test_perceptron_defaults():
    # Rosenblatt's rule as T4 runs it: eta 0.1, at most 100 epochs unless told otherwise.
    assert repr(Perceptron()) == "Perceptron(eta=0.1, max_epochs=100)"


def test_perceptron_names_what_y_must_be():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(DTypeError, match=r"y must be a numpy.ndarray, got list"):
        Perceptron().fit(X, [0, 1])


def test_perceptron_epoch_tensors_are_float64():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    model = Perceptron(eta=0.5).fit(X, np.array([0, 0, 0, 1]))
    for epoch, tensors in epoch_tensors(model.updates_).items():
        for name, value in tensors.items():
            assert value.dtype == np.float64, f"perceptron/epoch{epoch}/{name}: {value.dtype}"


def test_perceptron_keeps_float32():
    X = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    model = Perceptron().fit(X, np.array([0, 1]))
    assert model.w_.dtype == np.float32, f"perceptron/w_: float32 X, {model.w_.dtype} w"


def test_perceptron_predict_before_fit_says_so():
    with pytest.raises(NotFittedError, match=r"^this Perceptron is not fitted yet: call fit"):
        Perceptron().predict(np.zeros((1, 2)))


def test_network_repr_names_the_spec():
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"))
    network = Network(spec, init_standard_normal(list(spec.sizes), 0))
    assert repr(network) == (
        "Network(sizes=(2, 3, 1), activations=('relu', 'identity'), loss='mse', "
        "reduction='sample_mean', bias=True, dtype=float64)"
    )


def test_train_step_checks_x_columns():
    # train_step goes straight to scratch.fast, whose own check names X (not a matmul error).
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"))
    network = Network(spec, init_standard_normal(list(spec.sizes), 0))
    with pytest.raises(ShapeError, match=r"X must have 2 columns, got shape \(1, 3\)"):
        network.train_step(np.ones((1, 3)), np.ones((1, 1)), 0.1)


def _network(sizes, activations, **spec):
    spec = NetworkSpec(sizes, activations, **spec)
    return Network(spec, init_standard_normal(list(sizes), 0))


@pytest.mark.parametrize(
    ("error", "message", "X", "Y"),
    [
        (DTypeError, r"^X has dtype float32 but the parameters are float64", np.float32, None),
        (MLPInputError, r"^Y must be one-hot for cross-entropy", np.float64, [[0.5, 0.5, 0]]),
    ],
    ids=["X-dtype", "Y-one-hot"],
)
def test_train_step_names_bad_x_and_y(error, message, X, Y):
    network = _network((2, 3), ("softmax",), loss="cross_entropy")
    Y = np.array(Y if Y is not None else [[0.0, 1.0, 0.0]])
    with pytest.raises(error, match=message):
        network.train_step(np.ones((1, 2), dtype=X), Y, 0.1)


@pytest.mark.parametrize(
    ("x", "Y_width", "detail"),
    [
        (1e307, 2, r"the output A\(2\) contains NaN or Inf"),  # before the bad Y is named
        (1e307, 1, r"the output A\(2\) contains NaN or Inf"),
        (1e200, 1, r"the cost is inf"),  # a finite output 6e202, its square overflows
    ],
    ids=["output-bad-Y", "output", "cost"],
)
def test_train_step_overflow_names_lr(x, Y_width, detail):
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"))
    W = [np.full((3, 2), 10.0), np.full((1, 3), 10.0)]
    network = Network(spec, Params(W, [np.zeros(3), np.zeros(1)]))
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(NonFiniteError) as caught:
        network.train_step(np.full((1, 2), x), np.ones((1, Y_width)), 0.1)
    assert caught.value.lr == 0.1, f"train_step/{detail}: lr {caught.value.lr}, expected 0.1"
    assert caught.match(detail)


def test_train_step_update_overflow_names_lr():
    network = _network((2, 3, 1), ("relu", "identity"))
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(NonFiniteError) as caught:
        network.train_step(np.full((1, 2), 100.0), np.full((1, 1), -1000.0), 1e308)
    assert caught.match(r"^step with lr=1e\+308 diverged: W\[0\] contains NaN or Inf")


def test_velocity_is_read_only():
    # The momentum buffers a step leaves are frozen like the parameters: no caller can edit them.
    network = _network((2, 3, 1), ("relu", "identity"))
    network.train(np.ones((2, 2)), np.ones((2, 1)), 0.1, 2, optimizer=SGD(momentum=0.9))
    velocity = network.velocity
    for name, v in [("vW", v) for v in velocity.vW] + [("vb", v) for v in velocity.vb]:
        assert not v.flags.writeable, f"optim/velocity/{name}: a buffer is writeable"


def test_layout_bias_count_is_named():
    W, b = to_t2(_network((2, 3, 1), ("relu", "identity")).params)
    with pytest.raises(ShapeError, match=r"^b must have 2 entries \(one per layer\), got 1"):
        from_t2(W, b[:1])


def test_cross_entropy_grad_names_p():
    with pytest.raises(ShapeError, match=r"^the output P has shape \(1, 2\) and the target Y"):
        cross_entropy_grad(np.ones((1, 2)), np.ones((1, 3)))


def test_cross_entropy_grad_at_the_clip():
    # The clip is P >= tiny: at P = tiny exactly the cost still depends on P, dC/dP = -Y / P.
    tiny = np.finfo(np.float64).tiny
    P, Y = np.array([[tiny, 1.0]]), np.array([[1.0, 0.0]])
    assert cross_entropy_grad(P, Y)[0, 0] == -1 / tiny, "cross_entropy_grad/P=tiny/dP"


@pytest.mark.parametrize(
    "name", ["mse", "mse_grad", "cross_entropy", "cross_entropy_grad", "softmax_cross_entropy"]
)
def test_loss_default_reduction_is_sample_mean(name):
    fn = getattr(losses, name)
    A, Y = np.array([[0.25, 0.75], [0.5, 0.5]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(fn(A, Y), fn(A, Y, "sample_mean"), err_msg=f"losses/{name}")


def test_params_astype_without_biases():
    params = Params([np.ones((3, 2)), np.ones((1, 3))], [None, None]).astype(np.float32)
    assert params.b == (None, None), f"params/astype: b {params.b} for a network without biases"
    assert params.W[0].dtype == np.float32, f"params/astype: W[0] {params.W[0].dtype}"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"momentum": "a"}, DTypeError, "momentum must be a real number, got str"),
        ({"dampening": float("inf")}, ConfigError, "dampening must be finite, got inf"),
        ({"nesterov": 1}, DTypeError, "nesterov must be True or False, got 1"),
        ({"momentum": -1}, ConfigError, "momentum must be >= 0, got -1.0"),
        ({"weight_decay": -1}, ConfigError, "weight_decay must be >= 0, got -1.0"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.5},
            ConfigError,
            "nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD), got momentum 0.9 "
            "and dampening 0.5",
        ),
    ],
    ids=["momentum-type", "dampening-inf", "nesterov-type", "momentum<0", "decay<0", "nesterov"],
)
def test_sgd_names_the_bad_option(options, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        SGD(**options)


def test_deltas_of_unequal_depth_are_refused():
    # Deltas is public: lists of unequal depth are an error, not cut to the shortest.
    one = np.ones((1, 1))
    with pytest.raises(ValueError, match="zip"):
        Deltas(dA=(one,), dZ=(one, one), aprime=(None, None)).arrays()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"sizes": "23", "activations": ("relu",)}, "sizes must be a sequence of ints, got '23'"),
        ({"sizes": 23, "activations": ("relu",)}, "sizes must be a sequence of ints, got 23"),
        (
            {"sizes": (2,), "activations": ()},
            "sizes needs at least an input and an output size, got (2,)",
        ),
        (
            {"sizes": (2, 1), "activations": "relu"},
            "activations must be a sequence of names, got 'relu'",
        ),
        (
            {"sizes": (2, 3, 1), "activations": ("relu",)},
            "activations has 1 entries but sizes (2, 3, 1) describes 2 layers: give one "
            "activation per layer",
        ),
        (
            {"sizes": (2, 1), "activations": ("softmax",)},
            "layer 1 is a softmax over 1 unit, which is constant 1",
        ),
        (
            {"sizes": (2, 3), "activations": ("relu",), "loss": "cross_entropy"},
            "loss 'cross_entropy' is the categorical cross-entropy of softmax outputs: the output "
            "activation must be 'softmax', got 'relu'",
        ),
        (
            {"sizes": (2, 1), "activations": ("relu",), "bias": 1},
            "bias must be True or False, got 1",
        ),
    ],
    ids=[
        "sizes-str",
        "sizes-int",
        "sizes-short",
        "activations-str",
        "activations-count",
        "softmax-1",
        "ce-not-softmax",
        "bias-int",
    ],
)
def test_network_spec_names_the_bad_field(spec, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        NetworkSpec(**spec)


def test_network_spec_freezes_lists_to_tuples():
    spec = NetworkSpec([2, np.int64(3), 1], ["relu", "identity"])
    assert spec.sizes == (2, 3, 1) and type(spec.sizes) is tuple, f"spec/sizes: {spec.sizes!r}"
    assert all(type(k) is int for k in spec.sizes), f"spec/sizes: {spec.sizes!r} not ints"
    assert spec.activations == ("relu", "identity"), f"spec/activations: {spec.activations!r}"
    assert spec == NetworkSpec((2, 3, 1), ("relu", "identity")), "spec: list and tuple differ"


def _mutated_functions(path: Path) -> set[str]:
    """mutmut's names for the functions of a module: x_NAME and xǁCLASSǁNAME."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(f"x_{node.name}")
        elif isinstance(node, ast.ClassDef):
            names |= {
                f"xǁ{node.name}ǁ{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            }
    return names


def _equivalent_lines() -> list[str]:
    text = (ROOT / "docs" / "mutation-equivalents.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("line", _equivalent_lines(), ids=lambda line: line.split()[0])
def test_equivalent_mutant_names_a_function(line):
    name, _, reason = line.partition(" ")
    module, _, mutant = name.rpartition(".")
    function = mutant.partition("__mutmut_")[0]
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.exists(), f"docs/mutation-equivalents.txt: {name}: no module {path}"
    assert function in _mutated_functions(path), f"{name}: no function {function} in {path}"
    assert reason.strip(), f"docs/mutation-equivalents.txt: {name} gives no reason"
