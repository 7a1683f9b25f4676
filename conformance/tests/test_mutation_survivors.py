"""Tests written for mutants mutmut left alive (docs/mutation-report.md): each pins a value or
a named exception a surviving mutant changed, where the rest of the suite did not look.

The mutants that change no observable value are listed, with the reason, in
docs/mutation-equivalents.txt; the last test here checks that every line there still names a
function of a mutated module (the cheap form of mutmut's own check, which needs a full run).
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import functools
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conformance.compare import assert_close, error_report
from conformance.golden.cases import (
    DATA,
    CaseFormatError,
    case_dirs,
    load_all,
    load_case,
    params_from_layout,
    read_meta,
    write_case,
)
from conformance.golden.comparison import KEYS, compare_frames, format_report, with_rest
from conformance.golden.schema import TENSOR_COLUMNS, TRAJECTORY_COLUMNS
from conformance.golden.tensors import (
    arrays_to_rows,
    format_value,
    frame_to_arrays,
    read_table,
    read_text,
    trajectory_arrays,
)
from conformance.ports import grading, scratch_port
from conformance.ports.grading import (
    GENERATED_SECTION,
    CaseResult,
    _states,
    grade,
    max_rows,
    parse_output,
    tolerance_for,
    unknown_tensors,
)
from conformance.ports.levels import levels_of, tensor_level
from conformance.ports.runner import HEADER, Outcome, run_solver
from conformance.ports.xfail import Xfails
from conformance.tolerances import FLOAT64, GENERATED, Tolerance
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
from scratch.optim import SGD, sgd_step, sgd_update
from scratch.perceptron import epoch_tensors
from scratch.trace import Deltas
from scratch.validation import all_finite

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


def test_train_keeps_no_records_unless_asked():
    network = _network((2, 3, 1), ("relu", "identity"))
    history = network.train(np.ones((2, 2)), np.ones((2, 1)), 0.1, 3)
    assert history.records == (), f"train/records: {len(history.records)} kept without record"
    assert history.cost.shape == (3,), f"train/cost: shape {history.cost.shape}"


def test_train_names_a_bad_optimizer():
    network = _network((2, 3, 1), ("relu", "identity"))
    with pytest.raises(DTypeError, match=r"^optimizer must be a scratch\.optim\.SGD, got str$"):
        network.train(np.ones((2, 2)), np.ones((2, 1)), 0.1, 1, optimizer="sgd")


def test_train_records_number_the_steps():
    network = _network((2, 3, 1), ("relu", "identity"))
    history = network.train(np.ones((2, 2)), np.ones((2, 1)), 0.1, 3, record=True)
    assert [r.step for r in history.records] == [0, 1, 2], "train/records: step numbers"


class _OldStepNetwork(Network):
    """A `step` that predates the optimizer keyword, as the mutant catalogue patches in."""

    def step(self, lr, grads, *, maximize=False, freeze_biases=False):
        return super().step(lr, grads, maximize=maximize, freeze_biases=freeze_biases)


def test_recorded_plain_training_calls_step_without_optimizer():
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"))
    network = _OldStepNetwork(spec, init_standard_normal([2, 3, 1], 0))
    history = network.train(np.ones((2, 2)), np.ones((2, 1)), 0.1, 2, record=True)
    assert len(history.records) == 2, "train/record: a step without the optimizer keyword"


def test_sgd_step_defaults_are_plain_descent():
    W, b, dW, db = [np.ones((1, 2))], [np.ones(1)], [np.full((1, 2), 2.0)], [np.full(1, 4.0)]
    W_new, b_new, velocity = sgd_step(W, b, dW, db, None, 0.5, SGD())
    np.testing.assert_array_equal(W_new[0], [[0.0, 0.0]], err_msg="sgd_step/W: W - lr dW")
    np.testing.assert_array_equal(b_new[0], [-1.0], err_msg="sgd_step/b: b - lr db, not frozen")
    assert velocity is None, "sgd_step/velocity: none without momentum"


@pytest.mark.parametrize("short", ["dW", "db"])
def test_sgd_step_refuses_a_short_gradient_list(short):
    W, b = [np.ones((1, 2)), np.ones((1, 1))], [np.ones(1), np.ones(1)]
    grads = {"dW": [np.ones((1, 2)), np.ones((1, 1))], "db": [np.ones(1), np.ones(1)]}
    grads[short] = grads[short][:1]
    with pytest.raises(ValueError, match="zip"):
        sgd_step(W, b, grads["dW"], grads["db"], None, 0.5, SGD())


def test_sgd_step_frozen_biases_drop_their_momentum():
    # A step with frozen biases keeps no bias buffer, even after steps that moved the biases.
    W, b, dW, db = [np.ones((1, 2))], [np.ones(1)], [np.ones((1, 2))], [np.ones(1)]
    sgd = SGD(momentum=0.9)
    _, _, velocity = sgd_step(W, b, dW, db, None, 0.5, sgd)
    assert velocity.vb[0] is not None, "sgd_step/vb: a moving bias has a buffer"
    _, b_new, velocity = sgd_step(W, b, dW, db, velocity, 0.5, sgd, freeze_biases=True)
    assert velocity.vb == (None,), f"sgd_step/frozen/vb: {velocity.vb}"
    np.testing.assert_array_equal(b_new[0], b[0], err_msg="sgd_step/frozen/b")


def _grads(shapes, dtype=np.float64, bias=True):
    dW = [np.ones(shape, dtype) for shape in shapes]
    return Gradients(dW, [np.ones(shape[0], dtype) if bias else None for shape in shapes])


STEP_ERRORS = {
    "grads-type": ({"grads": "g"}, DTypeError, "grads must be a scratch.Gradients, got str"),
    "optimizer-type": (
        {"optimizer": "sgd"},
        DTypeError,
        "optimizer must be a scratch.optim.SGD, got str",
    ),
    "maximize": ({"maximize": 1}, DTypeError, "maximize must be True or False, got 1 (int)"),
    "freeze": (
        {"freeze_biases": 1},
        DTypeError,
        "freeze_biases must be True or False, got 1 (int)",
    ),
    "dW-shape": (
        {"grads": _grads([(2, 2), (1, 2)])},
        ShapeError,
        "grads.dW[0] has shape (2, 2), W[0] has (3, 2)",
    ),
    "dW-dtype": (
        {"grads": _grads([(3, 2), (1, 3)], np.float32)},
        DTypeError,
        "grads.dW[0] has dtype float32 but the parameters are float64",
    ),
    "db-missing": (
        {"grads": _grads([(3, 2), (1, 3)], bias=False)},
        ShapeError,
        "grads.db must hold bias gradients",
    ),
    "depth": (
        {"grads": _grads([(3, 2), (1, 3), (1, 1)])},
        ValueError,
        "zip() argument 2 is longer than argument 1",
    ),
}


@pytest.mark.parametrize("case", sorted(STEP_ERRORS))
def test_network_step_names_the_bad_argument(case):
    options, error, message = STEP_ERRORS[case]
    network = _network((2, 3, 1), ("relu", "identity"))
    options = {"grads": _grads([(3, 2), (1, 3)]), **options}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        network.step(0.1, **options)


def test_network_step_without_biases_refuses_bias_gradients():
    spec = NetworkSpec((2, 3, 1), ("relu", "identity"), bias=False)
    network = Network(spec, Params([np.ones((3, 2)), np.ones((1, 3))], [None, None]))
    with pytest.raises(ShapeError, match=r"^grads\.db must not hold bias gradients$"):
        network.step(0.1, _grads([(3, 2), (1, 3)]))


# -- the grading code -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected", "report"),
    [
        # 1 against 0 divides by zero, 0 against 0 is 0/0: relative error inf, and 0 (not nan)
        (
            [1.0, 0.0],
            [0.0, 0.0],
            "max abs err 1.000e+00 at (0,) (actual 1.0, expected 0.0); "
            "max rel err inf at (0,) (actual 1.0, expected 0.0)",
        ),
        # a tie in relative error goes to the first element, whatever the absolute error there
        (
            [3.0, 2.0],
            [2.0, 4.0],
            "max abs err 2.000e+00 at (1,) (actual 2.0, expected 4.0); "
            "max rel err 5.000e-01 at (0,) (actual 3.0, expected 2.0)",
        ),
        # float32 values near their largest: the difference is taken in float64 (no overflow)
        (
            np.array([3e38], np.float32),
            np.array([-3e38], np.float32),
            "max abs err 6.000e+38 at (0,) (actual 3.0000000054977558e+38, expected "
            "-3.0000000054977558e+38); max rel err 2.000e+00 at (0,) (actual "
            "3.0000000054977558e+38, expected -3.0000000054977558e+38)",
        ),
    ],
    ids=["zero-expected", "tie", "float32-max"],
)
def test_error_report(actual, expected, report):
    assert error_report(np.asarray(actual), np.asarray(expected)) == report


def test_format_report_cuts_at_twenty_groups():
    bad = {"max_abs_err": 0.5, "at": "(0, 1)", "max_rel_err": 0.25, "missing": 0, "ok": False}
    rows = [{"step": t, "tensor": "dW1", **bad} for t in range(22)]
    rows.append({**rows[0], "step": 22, "tensor": "W1", "ok": True})
    lines = format_report("T", pd.DataFrame(rows)).split("\n")
    assert lines[0] == (
        "T: 22 of 23 (step, tensor) groups differ; first divergence at step 0, tensor dW1"
    )
    assert lines[1] == "  step tensor          max abs err        at  max rel err missing"
    assert lines[2] == "     0 dW1               5.000e-01    (0, 1)    2.500e-01       0"
    assert len(lines) == 2 + 20 + 1 and lines[-1] == "... and 2 more"


@pytest.mark.parametrize(
    ("shown", "total", "expected"),
    [(1, 1, ["r"]), (1, 2, ["r", "... and 1 more"]), (1, 4, ["r", "... and 3 more"])],
)
def test_with_rest(shown, total, expected):
    assert with_rest(["r"] * shown, total) == expected


def test_load_all_names_a_missing_or_empty_folder(tmp_path):
    with pytest.raises(CaseFormatError, match=f"^{re.escape(str(tmp_path / 'no'))}: no such"):
        load_all(tmp_path / "no")
    (tmp_path / "MANIFEST.sha256").write_text("")
    with pytest.raises(CaseFormatError, match=f"^{re.escape(str(tmp_path))}: holds no case"):
        load_all(tmp_path)


def test_write_case_makes_missing_parents_and_indents_json(tmp_path):
    meta = read_meta(DATA / "T1-blog")
    folder = write_case(tmp_path / "a" / "b" / "T1-blog", meta)
    text = (folder / "case.json").read_text()
    assert text == json.dumps(meta, indent=2) + "\n", "write_case: case.json, indent 2"


def test_case_dirs_skips_hidden_folders_and_names_a_missing_root(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "case.json").write_text("{}")
    assert case_dirs(tmp_path) == [tmp_path / "c"]
    with pytest.raises(CaseFormatError, match=f"^{re.escape(str(tmp_path / 'no'))}: no such"):
        case_dirs(tmp_path / "no")


def test_tolerance_for_generated_and_golden_cases():
    case = load_case(DATA / "T1-blog")
    generated = {**case.meta, "source": {**case.meta["source"], "section": GENERATED_SECTION}}
    unsourced = {k: v for k, v in case.meta.items() if k != "source"}
    assert tolerance_for(case) is FLOAT64, "tolerance_for: a golden case"
    assert tolerance_for(dataclasses.replace(case, meta=generated)) is GENERATED
    assert tolerance_for(dataclasses.replace(case, meta=unsourced)) is FLOAT64


def test_atol_scale_is_at_least_one():
    assert FLOAT64.atol(np.array([0.5, -0.25])) == FLOAT64.atol_scale, "atol below |x| = 1"
    assert FLOAT64.atol(np.array([4.0])) == 4 * FLOAT64.atol_scale, "atol at |x| = 4"


def test_case_result_without_groups_counts_nothing():
    result = CaseResult("T1-blog", "error", "the port crashed")
    assert [result.count(state) for state in ("pass", "fail")] == [0, 0]


@pytest.mark.parametrize(
    ("x", "text"), [(1e20, "1e+20"), (0.1, "0.10000000000000001"), (-2.5e-300, "-2.5e-300")]
)
def test_format_value_writes_lowercase_round_trip_digits(x, text):
    assert format_value(x) == text and float(text) == x


def test_assert_close_bound_is_inclusive_and_empty_tensors_agree():
    # |actual - expected| == atol exactly passes (<=, as torch.testing.assert_close)
    assert_close(np.array([1e-12]), np.array([0.0]), FLOAT64, "bound/inclusive")
    assert_close(np.empty((0, 2)), np.empty((0, 2)), FLOAT64, "bound/empty")
    assert FLOAT64.atol(np.empty(0)) == FLOAT64.atol_scale, "atol of an empty tensor"


def test_levels_of_matches_tensor_level_row_by_row():
    # The output A(L) after step 0 belongs to `training` (the output of every step), A1 does not.
    groups = pd.DataFrame({"step": [0, 0, 1, 1, 1], "tensor": ["A2", "A1", "A2", "A1", "W1_after"]})
    expected = [tensor_level("network", 2, t, name) for t, name in groups.itertuples(index=False)]
    levels = levels_of("network", 2, groups)
    assert levels.tolist() == expected and levels.dtype == np.int64, f"levels {levels}"
    empty = levels_of("network", 2, groups.iloc[:0])
    assert empty.dtype == np.int64 and empty.size == 0, f"levels of no groups: {empty!r}"


def test_max_rows_grows_with_the_case():
    case = load_case(DATA / "S-digits-64-32-10")  # 22,036 expected cells
    assert max_rows(case) == 50 * len(case.expected) > 200_000, "max_rows: 50 per cell"
    assert max_rows(dataclasses.replace(case, expected=None)) == 200_000, "max_rows: the floor"


def test_trajectory_arrays_names_the_file():
    frame = pd.DataFrame(
        {"step": [0, 0], "tensor": ["W1", "W1"], "row": [0, 0], "col": [0, 0], "value": [1, 2]}
    )
    with pytest.raises(CaseFormatError, match=r"^trajectory\.csv, row 3: tensor 'W1' repeats"):
        trajectory_arrays(Path("trajectory.csv"), frame)


@pytest.mark.parametrize(
    ("cells", "note"),
    [
        ([(0, 0), (0, 1), (1, 0), (2, 0)], "1 of 4 cells missing; cell (2, 0) is beyond it"),
        ([(0, 0), (0, 1), (1, 0)], "1 of 4 cells missing"),
        ([(0, 0), (0, 1), (1, 0), (1, 1), (0, 2)], "cell (0, 2) is beyond it"),
    ],
    ids=["missing-and-beyond", "missing", "beyond"],
)
def test_states_note_what_is_wrong_with_the_shape(cells, note):
    # W1 is 2 x 2; the port printed `cells` of it.
    inside = sum(r < 2 and c < 2 for r, c in cells)
    groups = pd.DataFrame(
        {"step": [0], "tensor": ["W1"], "rows": [2], "cols": [2], "cells": [4]}
        | {"printed": [len(cells)], "missing": [4 - inside], "ok": [False]}
    )
    rows, cols = zip(*cells, strict=True)
    frame = pd.DataFrame({"step": 0, "tensor": "W1", "row": rows, "col": cols})
    graded = _states(frame, groups)
    assert graded["state"].tolist() == ["wrong-shape"], f"states/{note}"
    assert graded["shape_note"].tolist() == [f"expected shape (2, 2); {note}"]


@pytest.mark.parametrize(
    ("printed", "ok", "state"), [(4, True, "pass"), (4, False, "fail"), (0, False, "omitted")]
)
def test_states_of_whole_or_omitted_tensors_have_no_note(printed, ok, state):
    groups = pd.DataFrame(
        {"step": [0], "tensor": ["W1"], "rows": [2], "cols": [2], "cells": [4]}
        | {"printed": [printed], "missing": [4 - printed], "ok": [ok]}
    )
    frame = pd.DataFrame({"step": [0] * printed, "tensor": "W1", "row": 0, "col": 0})
    graded = _states(frame, groups)
    assert graded["state"].tolist() == [state] and graded["shape_note"].tolist() == [""]


UNKNOWN = {
    # every name of a 2-layer network's format is known, whether the case prints it or not
    "network": (
        "T1-blog",
        ["vW2", "vb1", "W2_after", "aprime2", "dA1", "cost", "prediction", "Z0", "A3", "W1after"],
        ("'A3'", "'W1after' (did you mean 'W1_after'?)", "'Z0'"),
    ),
    "perceptron": (
        "T4-perceptron-and",
        ["w", "b", "errors", "epochs", "error", "prediction", "W1", "cost"],
        ("'W1'", "'cost'"),
    ),
}


@pytest.mark.parametrize("kind", sorted(UNKNOWN))
def test_unknown_tensors_know_the_format(kind):
    case_id, printed, unknown = UNKNOWN[kind]
    notes = unknown_tensors(load_case(DATA / case_id), pd.DataFrame({"step": 0, "tensor": printed}))
    assert notes == tuple(f"unknown tensor {name}: not graded" for name in unknown)


def test_unknown_tensors_know_every_family_the_case_does_not_record():
    # A case that records only the cost still knows every tensor name of its format: each
    # family at each layer (Z, A, dA, dZ, aprime, dW, db, vW, vb, W_after, b_after) and the
    # prediction. None is unknown; a name past the network's depth is.
    full = load_case(DATA / "T1-blog")
    expected = full.expected[full.expected["tensor"] == "cost"]
    case = dataclasses.replace(full, expected=expected)
    families = ("Z", "A", "dA", "dZ", "aprime", "dW", "db", "vW", "vb")
    printed = [f"{t}{l}" for t in families for l in (1, 2)]
    printed += ["W1_after", "b1_after", "W2_after", "b2_after", "prediction", "cost", "dW3"]
    notes = unknown_tensors(case, pd.DataFrame({"step": 0, "tensor": printed}))
    assert notes == ("unknown tensor 'dW3' (did you mean 'dW2'?): not graded",), notes


def test_unknown_tensors_lists_ten_then_counts():
    printed = pd.DataFrame({"step": 0, "tensor": [f"q{i}" for i in range(12)]})
    notes = unknown_tensors(load_case(DATA / "T1-blog"), printed)
    assert len(notes) == 11 and notes[-1] == "... and 2 more unknown tensors", notes


def test_sgd_update_weight_decay_one():
    # g = dP + weight_decay * P = 2 + 1; P' = P - lr g = 1 - 0.5 * 3
    P, v = sgd_update(np.array([[1.0]]), np.array([[2.0]]), None, 0.5, SGD(weight_decay=1.0))
    np.testing.assert_array_equal(P, [[-0.5]], err_msg="sgd_update/weight_decay=1/P")
    assert v is None, "sgd_update/weight_decay=1: no momentum buffer"


@pytest.mark.parametrize(
    ("dA_L", "error", "message"),
    [
        ([[1.0]], DTypeError, "dA_L must be a numpy.ndarray, got list"),
        (np.ones((1, 2)), ShapeError, "dA_L must have the output's shape (1, 1), got (1, 2)"),
    ],
    ids=["type", "shape"],
)
def test_backprop_names_a_bad_output_gradient(dA_L, error, message):
    network = _network((2, 3, 1), ("relu", "identity"))
    cache = network.forward(np.ones((1, 2)))
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        network.backprop(cache, dA_L)


def test_backprop_refuses_the_cache_of_a_shallower_network():
    network = _network((2, 3, 1), ("relu", "identity"))
    cache = _network((2, 1), ("identity",)).forward(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is shorter than argument 1$"):
        network.backprop(cache, np.ones((1, 1)))


def test_cost_names_a_bad_cache():
    network = _network((2, 3, 1), ("relu", "identity"))
    with pytest.raises(DTypeError, match=r"^cache must be a scratch\.ForwardCache, got str$"):
        network.cost("cache", np.ones((1, 1)))


def test_forward_names_x_of_another_dtype():
    network = _network((2, 3, 1), ("relu", "identity"))
    with pytest.raises(DTypeError, match=r"^X has dtype float32 but the parameters are float64$"):
        network.forward(np.ones((1, 2), dtype=np.float32))


@functools.cache
def _mutated_functions(path: Path) -> frozenset[str]:
    """mutmut's names for the functions of a module: x_NAME and xǁCLASSǁNAME (each module
    parsed once: the lines of docs/mutation-equivalents.txt name some 15 modules)."""
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
    return frozenset(names)


def _ascii_id(line: str) -> str:
    """The mutant's name with mutmut's class separator as '.': pytest escapes non-ASCII ids."""
    return line.split()[0].replace("ǁ", ".")


def _equivalent_lines() -> list[str]:
    text = (ROOT / "docs" / "mutation-equivalents.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("line", _equivalent_lines(), ids=lambda line: _ascii_id(line))
def test_equivalent_mutant_names_a_function(line):
    name, _, reason = line.partition(" ")
    module, _, mutant = name.rpartition(".")
    function = mutant.partition("__mutmut_")[0]
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.exists(), f"docs/mutation-equivalents.txt: {name}: no module {path}"
    assert function in _mutated_functions(path), f"{name}: no function {function} in {path}"
    assert reason.strip(), f"docs/mutation-equivalents.txt: {name} gives no reason"


# -- conclude: the message, the level and strict's omitted groups, graded in process ----------
T1_GROUPS = 190  # T1-blog records 19 tensors at each of 10 steps


def t1_answer(edit=None) -> tuple:
    """T1-blog and its expected values as a port prints them, after `edit` (frame -> frame)."""
    case = load_case(DATA / "T1-blog")
    frame = case.expected[["step", "tensor", "row", "col", "value"]].copy()
    if edit is not None:
        frame = edit(frame)
    return case, Outcome("ok", text=frame.to_csv(index=False))


def at(frame: pd.DataFrame, step: int, tensor: str) -> pd.Series:
    return (frame["step"] == step) & (frame["tensor"] == tensor)


def test_a_wrong_value_first_is_named_with_every_wrong_and_omitted_group_counted():
    def edit(frame):
        frame.loc[at(frame, 0, "Z1") & (frame["col"] == 0), "value"] += 1.0  # wrong value
        extra = frame[at(frame, 1, "dW2")].iloc[[0]].assign(row=5)  # a row dW2 does not have
        return pd.concat([frame[~at(frame, 2, "b2_after")], extra])  # b2_after omitted

    case, outcome = t1_answer(edit)
    result = grade(case, outcome)
    assert result.status == "fail", result.message
    assert result.message == (
        f"T1-blog: 2 of {T1_GROUPS} (step, tensor) groups wrong, 1 omitted; first in "
        "computation order: step 0, Z1 (wrong value)"
    )


def test_a_wrong_shape_first_is_named_as_such():
    def edit(frame):
        return pd.concat([frame, frame[at(frame, 0, "Z1")].iloc[[0]].assign(row=4)])

    case, outcome = t1_answer(edit)
    assert grade(case, outcome).message == (
        f"T1-blog: 1 of {T1_GROUPS} (step, tensor) groups wrong, 0 omitted; first in "
        "computation order: step 0, Z1 (wrong shape)"
    )


def test_the_output_after_step_0_is_training_level():
    # A2 (the output, depth 2) omitted at steps 1 to 9: forward and gradients are whole, the
    # training level is not; the first omitted group is named with its level.
    case, outcome = t1_answer(lambda f: f[~((f["tensor"] == "A2") & (f["step"] > 0))])
    result = grade(case, outcome)
    assert (result.status, result.level) == ("partial", "gradients"), result.message
    assert result.message == (
        f"T1-blog: partial (gradients): 9 of {T1_GROUPS} groups omitted, the first at step 1, "
        "A2 (training)"
    )


def test_strict_fails_only_the_omitted_groups_of_declared_tensors():
    def edit(frame):
        return frame[~(at(frame, 2, "dW1") | at(frame, 3, "b2_after"))]

    case, outcome = t1_answer(edit)
    result = grade(case, outcome, strict=True, declared=lambda tensor: tensor != "b2_after")
    assert result.status == "fail"
    assert result.message == (
        f"T1-blog: strict: 1 of {T1_GROUPS} groups omitted (level reached: gradients)"
    )
    lenient = grade(case, outcome, strict=True, declared=lambda tensor: tensor == "b2_after")
    assert lenient.status == "fail" and "strict: 1 of" in lenient.message
    undeclared = grade(case, outcome, strict=True, declared=lambda tensor: False)
    assert undeclared.status == "partial", undeclared.message


def test_a_byte_that_is_not_utf8_is_placed_on_its_line_counting_a_first_empty_line():
    # The file starts with a newline: the bad byte (offset 3) is on line 2.
    with pytest.raises(CaseFormatError) as info:
        read_text(Path("x.csv"), b"\na,\xffb\n")
    assert str(info.value).startswith("x.csv, byte 3 (line 2): byte 0xff is not UTF-8"), info.value


UNKNOWN_NOTE = "unknown tensor 'q1': not graded"


def with_unknown(frame: pd.DataFrame) -> pd.DataFrame:
    """The port also prints a tensor no case has (q1): the result carries its note."""
    return pd.concat(
        [frame, pd.DataFrame([{"step": 0, "tensor": "q1", "row": 0, "col": 0, "value": 1.0}])]
    )


def fields(result: CaseResult) -> tuple:
    """Everything conclude decides: id, status, message, level, notes and how many groups."""
    groups = None if result.groups is None else len(result.groups)
    return (result.case_id, result.status, result.message, result.level, result.notes, groups)


def no_rows_of(*tensors: str):
    return lambda frame: frame[~frame["tensor"].isin(tensors)]


@pytest.mark.parametrize(
    ("edit", "options", "status", "message", "level"),
    [
        pytest.param(
            lambda f: with_unknown(f.iloc[:0]), {}, "fail",
            "T1-blog: the port output none of the expected values", "none", id="nothing-graded",
        ),
        pytest.param(
            lambda f: with_unknown(f.assign(value=f["value"] + (f["tensor"] == "dW1"))), {},
            "fail", f"T1-blog: 10 of {T1_GROUPS} (step, tensor) groups wrong, 0 omitted; first "
            "in computation order: step 0, dW1 (wrong value)", "forward", id="wrong",
        ),
        pytest.param(
            lambda f: with_unknown(no_rows_of("b2_after")(f)), {"strict": True}, "fail",
            f"T1-blog: strict: 10 of {T1_GROUPS} groups omitted (level reached: gradients)",
            "gradients", id="strict-omitted",
        ),
        pytest.param(
            lambda f: with_unknown(f), {"strict": True, "xfail": "T1-blog/cost"}, "fail",
            "T1-blog: strict: 10 expected failure(s) passed (level reached: full)", "full",
            id="strict-xpass",
        ),
        pytest.param(
            lambda f: with_unknown(no_rows_of("b2_after")(f)),
            {"strict": True, "xfail": "T1-blog/cost"}, "fail",
            f"T1-blog: strict: 10 of {T1_GROUPS} groups omitted, 10 expected failure(s) passed "
            "(level reached: gradients)", "gradients", id="strict-omitted-and-xpass",
        ),
        pytest.param(
            lambda f: with_unknown(f.assign(value=f["value"] + (f["tensor"] == "dW1"))),
            {"xfail": "T1-blog/dW1"}, "xfail",
            f"T1-blog: 10 of {T1_GROUPS} groups wrong as expected (xfail), the first at step 0, "
            "dW1; level reached without them: forward", "forward", id="xfail",
        ),
        pytest.param(
            lambda f: with_unknown(no_rows_of("b2_after")(f)), {}, "partial",
            f"T1-blog: partial (gradients): 10 of {T1_GROUPS} groups omitted, the first at step "
            "0, b2_after (training)", "gradients", id="partial",
        ),
        pytest.param(lambda f: with_unknown(f), {}, "pass", "", "full", id="pass"),
    ],
)  # fmt: skip
def test_conclude_gives_each_outcome_every_field(edit, options, status, message, level):
    case, outcome = t1_answer(edit)
    xfail = options.get("xfail")
    xfails = None if xfail is None else Xfails({xfail: "known"})
    result = grade(case, outcome, strict=options.get("strict", False), xfails=xfails)
    notes = (UNKNOWN_NOTE,)
    if xfail and status != "xfail":
        notes += (f"xpass {xfail}: expected to fail (known), passed",)
    assert fields(result) == ("T1-blog", status, message, level, notes, T1_GROUPS)


# -- levels of every kind, the order's frame, and the unknown-name and unknown-step notes ------
@pytest.mark.parametrize(
    ("kind", "step", "tensor", "level"),
    [
        ("perceptron", 0, "prediction", 0), ("perceptron", 1, "prediction", 3),
        ("perceptron", 0, "error", 1), ("perceptron", 1, "error", 3),
        ("perceptron", 0, "w", 2), ("perceptron", 3, "b", 2), ("perceptron", 0, "errors", 2),
        ("perceptron", 0, "epochs", 2), ("init", 0, "W1", 0), ("init", 0, "b2", 0),
        ("network", 0, "vW1", 2), ("network", 1, "vb2", 2), ("network", 0, "prediction", 2),
    ],
)  # fmt: skip
def test_tensor_level_of_every_kind(kind, step, tensor, level):
    assert tensor_level(kind, 2, step, tensor) == level


def test_graded_groups_keep_their_columns_and_a_fresh_index():
    case, outcome = t1_answer()
    groups = grade(case, outcome).groups
    assert "index" not in groups.columns and groups.index.equals(pd.RangeIndex(T1_GROUPS))


def test_unknown_tensors_know_every_perceptron_name_the_case_does_not_record():
    full = load_case(DATA / "T4-perceptron-and")
    case = dataclasses.replace(full, expected=full.expected[full.expected["tensor"] == "epochs"])
    printed = ["prediction", "error", "w", "b", "errors", "epochs", "w1"]
    notes = unknown_tensors(case, pd.DataFrame({"step": 0, "tensor": printed}))
    assert notes == ("unknown tensor 'w1' (did you mean 'w'?): not graded",), notes


def test_unknown_tensors_know_the_cost_and_prediction_of_a_case_recording_neither():
    full = load_case(DATA / "T1-blog")
    case = dataclasses.replace(full, expected=full.expected[full.expected["tensor"] == "Z1"])
    notes = unknown_tensors(case, pd.DataFrame({"step": 0, "tensor": ["cost", "prediction"]}))
    assert notes == ()


@pytest.mark.parametrize(("count", "more"), [(10, ()), (11, ("... and 1 more unknown tensors",))])
def test_unknown_tensors_count_past_ten(count, more):
    printed = pd.DataFrame({"step": 0, "tensor": [f"q{i:02d}" for i in range(count)]})
    notes = unknown_tensors(load_case(DATA / "T1-blog"), printed)
    assert len(notes) == min(count, 10) + len(more) and notes[10:] == more, notes


def test_an_unknown_name_is_quoted_to_its_first_40_characters():
    name = "x" * 39 + "yz"
    notes = unknown_tensors(
        load_case(DATA / "T1-blog"), pd.DataFrame({"step": 0, "tensor": [name]})
    )
    assert notes == (f"unknown tensor {'x' * 39 + 'y'!r}: not graded",), notes


def test_unknown_steps_are_listed_five_then_counted():
    case = load_case(DATA / "T1-blog")  # steps 0 to 9
    printed = pd.DataFrame({"step": [0, 10, 11, 12, 13, 14, 15, 16], "tensor": "Z1"})
    assert unknown_tensors(case, printed) == (
        "7 row(s) at step(s) 10, 11, 12, 13, 14 and 2 more, where the case records no value: "
        "not graded",
    )


def test_under_mutmut_a_session_starts_with_nothing_kept(monkeypatch):
    # What a process keeps (golden cases by contents, cached functions of our modules) is
    # forgotten when a mutant's tests start, so that the mutated code runs; without mutmut it
    # is kept. (Here on stand-ins, so that this process keeps its own.)
    import functools
    import types

    from conformance.golden import cases
    from conformance.tests import conftest

    probe = types.ModuleType("conformance.probe")
    probe.twice = functools.cache(lambda x: 2 * x)
    other = types.ModuleType("numpy.probe")
    other.twice = functools.cache(lambda x: 2 * x)
    modules = {"conformance.probe": probe, "numpy.probe": other}
    monkeypatch.setattr(conftest, "sys", types.SimpleNamespace(modules=modules))
    monkeypatch.setattr(cases, "_CASES", {"kept": 1})
    monkeypatch.setattr(cases, "_LOADED", {"kept": 1})
    probe.twice(1), other.twice(1)
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    conftest.pytest_sessionstart(None)
    assert cases._CASES and cases._LOADED and probe.twice.cache_info().currsize == 1
    monkeypatch.setenv("MUTANT_UNDER_TEST", "conformance.x_f__mutmut_1")
    conftest.pytest_sessionstart(None)
    assert not cases._CASES and not cases._LOADED and probe.twice.cache_info().currsize == 0
    assert other.twice.cache_info().currsize == 1  # not ours: left alone


# -- scratch's messages: what each names -------------------------------------------------------
SPEC2 = NetworkSpec.build([2, 3, 1], "tanh", "identity", "mse")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Network("spec", init_standard_normal([2, 3, 1], 0)), DTypeError,
         "spec must be a scratch.NetworkSpec, got str"),
        (lambda: SPEC2.check_params("params"), DTypeError,
         "params must be a scratch.Params, got str"),
        (lambda: SPEC2.check_params(init_standard_normal([2, 3, 1], 0, bias=False)), ConfigError,
         "the spec says bias=True but the params lack biases"),
        (lambda: NetworkSpec.build([2, 3, 1], "tanh", "identity", "mse", bias=False).check_params(
            init_standard_normal([2, 3, 1], 0)), ConfigError,
         "the spec says bias=False but the params have biases"),
        (lambda: Params([[[1.0]]], [np.zeros(1)]), DTypeError,
         "W[0] must be a numpy.ndarray, got list"),
        (lambda: losses.mse(np.zeros((2, 1)), np.zeros((2, 1), dtype=np.int64), "sample_mean"),
         DTypeError, "Y must have a float dtype (float32 or float64), got int64"),
        (lambda: losses.mse(np.zeros((2, 1)), np.zeros(2), "sample_mean"), ShapeError,
         "the output A has shape (2, 1) and the target Y (2,): both must be the same (n, k) "
         "shape (no broadcasting)"),
        (lambda: Network(SPEC2, init_standard_normal([2, 3, 1], 0)).cost(
            Network(SPEC2, init_standard_normal([2, 3, 1], 0)).forward(np.zeros((2, 2))),
            np.zeros(2)), ShapeError,
         "Y has shape (2,) but the network output A(L) has shape (2, 1); they must be equal "
         "(no broadcasting: a (n,) target against an (n, 1) output is an error)"),
        (lambda: Network(SPEC2, init_standard_normal([2, 3, 1], 0)).cost(
            Network(SPEC2, init_standard_normal([2, 3, 1], 0)).forward(np.zeros((2, 2))),
            np.zeros((2, 1), dtype=np.float32)), DTypeError,
         "Y has dtype float32 but the parameters are float64"),
    ],
    ids=["network-spec", "check-params-type", "lack-biases", "have-biases", "W-list",
         "mse-Y-int", "mse-shapes", "target-shape", "target-dtype"],
)  # fmt: skip
def test_scratch_names_what_is_wrong(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_frozen_parameters_are_c_ordered_read_only_copies():
    W = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    params = Params([W], [np.zeros(2)])
    assert params.W[0].flags.c_contiguous and not params.W[0].flags.writeable
    W[0, 0] = 9.0  # a copy: the caller's array is not the parameter
    assert params.W[0][0, 0] == 0.0


@pytest.mark.parametrize(
    ("b", "message"),
    [
        ([np.zeros((2, 2))], "b[0] must be a 1-D array, got (2, 2)"),
        ([None, None], "b must have 1 entries (one per layer), got 2"),
    ],
    ids=["bias-not-1-D", "too-many-Nones"],
)
def test_named_in_layout_checks_the_biases_it_is_given(b, message):
    from scratch.layouts import named_in_layout

    with pytest.raises(ShapeError) as info:
        named_in_layout("t1", [np.zeros((2, 3))], b)
    assert str(info.value) == message


def test_a_cell_beyond_the_shape_is_named_from_its_own_group():
    # A2 at step 0 gets a cell at row 3: the note names that cell, not one of another tensor
    # at the same step (Z1 has three columns) or of A2 at another step.
    def edit(frame):
        extra = frame[at(frame, 0, "A2")].iloc[[0]].assign(row=3)
        return pd.concat([frame, extra])

    case, outcome = t1_answer(edit)
    groups = grade(case, outcome).groups
    note = groups.loc[(groups["step"] == 0) & (groups["tensor"] == "A2"), "shape_note"].item()
    shape = case.expected[at(case.expected, 0, "A2")][["row", "col"]].max() + 1
    assert note == f"expected shape {tuple(int(x) for x in shape)}; cell (3, 0) is beyond it"


def _small_expected() -> pd.DataFrame:
    """Two tensors (A, B) at steps 0 and 1, each 2 x 2, values 1 to 16."""
    rows = [(s, t, r, c) for s in (0, 1) for t in ("A", "B") for r in (0, 1) for c in (0, 1)]
    frame = pd.DataFrame(rows, columns=["step", "tensor", "row", "col"])
    return frame.assign(value=np.arange(1.0, 17.0))


@pytest.mark.parametrize(
    ("edge", "group"),
    [
        ((0, "A", 0, 2), (0, "A")), ((0, "A", 2, 0), (0, "A")), ((0, "B", 0, -1), (0, "B")),
        ((1, "A", -1, 0), (1, "A")), ((2, "A", 0, 0), None), ((-1, "B", 0, 0), None),
        ((0, "Q", 0, 0), None), ((1, "Q", 1, 1), None),
    ],
    ids=["col-past", "row-past", "col-negative", "row-negative", "step-past", "step-negative",
         "unknown-name", "unknown-name-step-1"],
)  # fmt: skip
def test_a_row_outside_every_expected_cell_matches_none(edge, group):
    # The right answer plus one row just outside the case's cells, with a value no cell has:
    # every group still passes, and the row is counted as printed only for its own group.
    expected = _small_expected()
    # Given twice, it is still no cell of the case: not "a cell given twice", counted twice.
    extra = pd.DataFrame([(*edge, 999.0)] * 2, columns=expected.columns)
    report = compare_frames(pd.concat([expected, extra], ignore_index=True), expected)
    assert report["ok"].all() and (report["bad"] == 0).all(), report
    printed = {(s, t): p for s, t, p in report[["step", "tensor", "printed"]].itertuples(False)}
    assert printed == {key: 4 + 2 * (key == group) for key in printed}, printed


def test_an_empty_expected_frame_gives_an_empty_report_with_every_column():
    # Nothing to compare: no group, and the columns of a full report, every one by its name,
    # so that a reader of the report (format_report, the levels, the grader) finds them.
    expected = _small_expected()
    assert list(compare_frames(expected, expected).columns) == REPORT_COLUMNS
    empty = compare_frames(expected, expected.iloc[:0])
    assert empty.empty and list(empty.columns) == REPORT_COLUMNS, list(empty.columns)
    assert format_report("T", empty) == "T: all 0 (step, tensor) groups agree"


def frame(rows: list[tuple]) -> pd.DataFrame:
    """A frame in the golden format from (step, tensor, row, col, value) tuples."""
    return pd.DataFrame(rows, columns=[*KEYS, "value"])


REPORT_COLUMNS = [
    "step", "tensor", "max_abs_err", "at", "max_rel_err", "expected_at", "actual_at",
    "missing_at", "allowed_at", "cells", "bad", "missing", "nonfinite", "ok", "rows", "cols",
    "printed",
]  # fmt: skip


def test_compare_frames_worked_example():
    # Tensors A (2 x 1) and B (1 x 2) at steps 0 and 1, within a quarter of each value
    # (rtol 0.25, no atol): the allowed error is 0.25 |expected|, exactly.
    expected = frame([
        (0, "A", 0, 0, 2.0), (0, "A", 1, 0, 4.0), (0, "B", 0, 0, 0.0), (0, "B", 0, 1, -8.0),
        (1, "A", 0, 0, 1.0), (1, "A", 1, 0, 3.0), (1, "B", 0, 0, 5.0), (1, "B", 0, 1, 6.0),
    ])  # fmt: skip
    actual = frame([
        (0, "A", 0, 0, 2.0), (0, "A", 1, 0, 4.0),  # exact
        (0, "B", 0, 0, 0.0), (0, "B", 0, 1, -7.0),  # 0 at 0 (allowed 0); off by 1 of 8
        (1, "A", 1, 0, 4.0), (1, "A", 5, 0, 9.0),  # (0, 0) missing; off by 1 of 3; a row past
        (1, "B", 0, 0, np.nan), (1, "B", 0, 1, np.inf),  # neither finite
    ])  # fmt: skip
    report = compare_frames(actual, expected, Tolerance("quarter", rtol=0.25, atol_scale=0.0))
    inf, nan = np.inf, np.nan
    want = pd.DataFrame(
        [
            (0, "A", 0.0, (0, 0), 0.0, 2.0, 2.0, False, 0.5, 2, 0, 0, 0, True, 2, 1, 2),
            (0, "B", 1.0, (0, 1), 0.125, -8.0, -7.0, False, 2.0, 2, 0, 0, 0, True, 1, 2, 2),
            (1, "A", inf, (0, 0), inf, 1.0, nan, True, 0.25, 2, 2, 1, 0, False, 2, 1, 2),
            (1, "B", inf, (0, 0), inf, 5.0, nan, False, 1.25, 2, 2, 0, 2, False, 1, 2, 2),
        ],
        columns=REPORT_COLUMNS,
    )
    pd.testing.assert_frame_equal(report, want)


def test_groups_are_reported_in_the_order_they_first_appear():
    expected = frame([(1, "B", 0, 0, 1.0), (1, "A", 0, 0, 2.0), (0, "B", 0, 0, 3.0)])
    report = compare_frames(expected, expected)
    assert report[["step", "tensor"]].values.tolist() == [[1, "B"], [1, "A"], [0, "B"]]


def test_a_narrow_typed_frame_gives_the_report_of_its_int64_and_float64_copy():
    # Step 100 of three tensors packs past int8 (100 * 3 > 127), and row and col 127 are the
    # largest int8 (the reported shape, 128, is not): every column is widened first, so the
    # report is that of the same frames in int64 and float64, value for value and type for type.
    expected = frame(
        [(s, t, 0, 0, v) for s in (0, 100) for t, v in zip("ABC", (1.5, 2.0, -3.0), strict=True)]
        + [(100, "A", 127, 0, 0.25), (100, "B", 0, 127, 4.0)]
    )
    actual = expected.assign(value=expected["value"] + 0.5)
    narrow = {"step": np.int8, "row": np.int8, "col": np.int8, "value": np.float32}
    wide = {"step": np.int64, "row": np.int64, "col": np.int64, "value": np.float64}
    report = compare_frames(actual.astype(narrow), expected.astype(narrow))
    pd.testing.assert_frame_equal(
        report, compare_frames(actual.astype(wide), expected.astype(wide))
    )
    assert report["rows"].max() == 128 and report["cols"].max() == 128


def test_extreme_values_give_infinite_errors_and_no_warning():
    # -1e308 against 1e308 (the difference overflows), 1e300 against 1e-300 (the relative
    # error overflows), inf against inf (inf - inf is NaN) and 0 against 0 (0 / 0): each is a
    # value in the report, never a floating-point warning.
    expected = frame([(0, "X", 0, 0, -1e308), (0, "X", 1, 0, 1e-300), (0, "Y", 0, 0, np.inf)])
    expected = pd.concat([expected, frame([(0, "Z", 0, 0, 0.0)])], ignore_index=True)
    actual = expected.assign(value=[1e308, 1e300, np.inf, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = compare_frames(actual, expected)
    assert report["max_abs_err"].tolist() == [np.inf, np.inf, 0.0]
    # (relative to an infinite expected value, an infinite error is undefined: NaN)
    np.testing.assert_array_equal(report["max_rel_err"], [np.inf, np.nan, 0.0])
    assert report["bad"].tolist() == [2, 1, 0] and report["nonfinite"].tolist() == [0, 1, 0]


@pytest.mark.parametrize("where", ["step", "row", "col", "step-of-2-tensors"])
def test_compare_frames_packs_indices_up_to_2_to_the_62_and_refuses_past(where):
    # A cell's key packs (step, tensor, row, col) into one int64: up to 2**62 keys pack, the
    # next index is refused with a clear error rather than a key that wraps around.
    tensors = "AB" if where == "step-of-2-tensors" else "A"
    last = 2**62 // len(tensors) - 2  # the largest index that packs: (last + 1) * len < 2**62

    def cells(index: int) -> pd.DataFrame:
        at = {"step": 0, "row": 0, "col": 0, where.split("-")[0]: index}
        return frame([(at["step"], t, at["row"], at["col"], 1.0) for t in tensors])

    assert compare_frames(cells(last), cells(last))["ok"].all()
    with pytest.raises(ValueError, match=r"^compare_frames: `expected` has a negative or an "):
        compare_frames(cells(last + 1), cells(last + 1))


@pytest.mark.parametrize("where", ["step", "row", "col"])
def test_compare_frames_refuses_a_negative_index_in_expected(where):
    at = {"step": 0, "row": 0, "col": 0, where: -1}
    cells = frame([(at["step"], "A", at["row"], at["col"], 1.0), (0, "A", 1, 1, 1.0)])
    message = "compare_frames: `expected` has a negative or an outsized index"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare_frames(cells, cells)


def test_compare_frames_refuses_an_actual_frame_that_gives_a_cell_twice():
    expected = _small_expected()
    twice = pd.concat([expected, expected.iloc[[3]]], ignore_index=True)
    message = "compare_frames: `actual` gives some cell twice"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        compare_frames(twice, expected)


# -- params_from_layout: the parameters of a case or of a port's request, by layout ------------
T1_W = [np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([[7.0, 8.0, 9.0]])]  # (out, in)


def test_params_from_layout_takes_a_t1_network_without_biases():
    # T1 stores W as the internal layout (n_out, n_in): the same arrays, and no biases
    params = params_from_layout(Path("request"), "t1", {"W1": T1_W[0], "W2": T1_W[1]}, 2, False)
    assert params.b == (None, None)  # (one None per layer: no biases)
    assert [w.tolist() for w in params.W] == [w.tolist() for w in T1_W]


def test_params_from_layout_names_the_file_and_both_lists_of_tensors():
    arrays = {"W1": T1_W[0], "W2": T1_W[1], "W3": T1_W[1]}
    message = "request: tensors ['W1', 'W2', 'W3'] but the network needs exactly ['W1', 'W2']"
    with pytest.raises(CaseFormatError, match=f"^{re.escape(message)}$"):
        params_from_layout(Path("request"), "t1", arrays, 2, False)


def test_params_from_layout_names_the_file_of_layers_that_do_not_chain():
    # W2 of T2's (n_in, n_out) takes 2 inputs where layer 1 gives 3: the file is named
    arrays = {"W1": T1_W[0].T, "W2": np.ones((2, 1))}
    message = "params.csv: W[1] has shape (1, 2): its 2 inputs do not match the 3 outputs of W[0]"
    with pytest.raises(CaseFormatError, match=f"^{re.escape(message)}"):
        params_from_layout(Path("params.csv"), "t2", arrays, 2, False)


def test_arrays_to_rows_writes_every_shape_in_17_digits_and_skips_only_empty_arrays():
    # An empty array first (nothing to write, the next ones still are), a matrix row by row,
    # a vector as a column and a scalar as one cell; 17 significant digits, lower-case "e".
    # A 3-D array is written as (first axis, the rest flattened); integers, booleans and
    # float32 as the float64 they are.
    arrays = {
        "E": np.empty((0, 3)),
        "W": np.array([[0.1, -2.5, 7.0], [1e-300, 1.0, 0.0]]),
        "b": np.array([1 / 3, 4.0]),
        "cost": np.float64(0.1),
        "T": np.array([[[1, 2]], [[3, 4]]]),
        "e": np.empty(0),
        "flags": np.array([True, False]),
        "f32": np.float32(0.1),
    }
    assert arrays_to_rows(arrays, step=7) == [
        [7, "W", 0, 0, "0.10000000000000001"], [7, "W", 0, 1, "-2.5"], [7, "W", 0, 2, "7"],
        [7, "W", 1, 0, "1e-300"], [7, "W", 1, 1, "1"], [7, "W", 1, 2, "0"],
        [7, "b", 0, 0, "0.33333333333333331"], [7, "b", 1, 0, "4"],
        [7, "cost", 0, 0, "0.10000000000000001"],
        [7, "T", 0, 0, "1"], [7, "T", 0, 1, "2"], [7, "T", 1, 0, "3"], [7, "T", 1, 1, "4"],
        [7, "flags", 0, 0, "1"], [7, "flags", 1, 0, "0"],
        [7, "f32", 0, 0, "0.10000000149011612"],
    ]  # fmt: skip
    assert arrays_to_rows({"cost": np.float64(1e-20)}) == [["cost", 0, 0, "9.9999999999999995e-21"]]


# -- parse_output: what it refuses before parsing, and how it names it --------------------------
LONGEST = 4 * len(HEADER)  # the longest first line read as a header


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("x" * LONGEST + "\n0,Z1,0,0,1\n", None), ("x" * (LONGEST + 1) + "\n", LONGEST + 1),
        ("x" * LONGEST, None), ("x" * (LONGEST + 1), LONGEST + 1),
        ("\n" + "x" * (LONGEST + 5), None), ("step,tensor", None),
    ],
    ids=["longest-line", "a-line-too-long", "longest-alone", "too-long-alone",
         "an-empty-first-line", "short-alone"],
)  # fmt: skip
def test_a_first_line_longer_than_any_header_is_refused_by_its_length(text, refused):
    # A first line (ended or not) of more than 4 header lengths is no header: refused by its
    # length, unread; a shorter one is read, and refused by what its columns are.
    with pytest.raises(CaseFormatError) as caught:
        parse_output(load_case(DATA / "T1-blog"), text)
    start = "port output for T1-blog, row 1 (header): "
    if refused is None:
        assert str(caught.value).startswith(start + "missing column(s)"), caught.value
    else:
        assert str(caught.value) == f"{start}a line of {refused} characters; expected {HEADER}"


def test_output_of_as_many_lines_as_a_case_can_use_is_parsed_and_one_more_is_not(monkeypatch):
    monkeypatch.setattr(grading, "max_rows", lambda case: 3)
    case = load_case(DATA / "T1-blog")
    same_cell = HEADER + "\n" + "0,Z1,0,0,6\n0,Z1,0,0,7\n"  # 3 lines: parsed
    with pytest.raises(CaseFormatError, match=r"row 3: repeats step 0 Z1\[0,0\]$"):
        parse_output(case, same_cell)  # (the same cell with another value is still the same)
    message = (
        "port output for T1-blog: 4 lines, more than the 3 this case can use (every tensor of "
        "every step a few times over); not parsed"
    )
    with pytest.raises(CaseFormatError, match=f"^{re.escape(message)}$"):
        parse_output(case, same_cell + "0,Z1,0,1,7\n")


@pytest.mark.parametrize("count", [5, 6])
def test_unknown_steps_are_listed_up_to_five(count):
    case = load_case(DATA / "T1-blog")  # steps 0 to 9
    printed = pd.DataFrame({"step": list(range(10, 10 + count)), "tensor": "Z1"})
    listed = {5: "10, 11, 12, 13, 14", 6: "10, 11, 12, 13, 14 and 1 more"}[count]
    assert unknown_tensors(case, printed) == (
        f"{count} row(s) at step(s) {listed}, where the case records no value: not graded",
    )


def test_grade_uses_the_tolerance_it_is_given():
    case = load_case(DATA / "T1-blog")
    answer = case.expected.assign(value=case.expected["value"] + 1e-6)
    outcome = Outcome("ok", text=answer.to_csv(index=False))
    assert grade(case, outcome).status == "fail"
    loose = Tolerance("loose", rtol=0.0, atol_scale=1e-5)
    assert grade(case, outcome, tol=loose).status == "pass"


def test_an_unexpected_error_reading_the_output_is_the_ports_bad_output(monkeypatch):
    # Whatever the CSV reader makes of hostile text, even an error no check foresaw, is
    # reported as the port's bad output, never raised.
    def explode(case, text):
        raise RuntimeError("the reader broke")

    monkeypatch.setattr(grading, "parse_output", explode)
    case = load_case(DATA / "T1-blog")
    result = grade(case, Outcome("ok", text=HEADER + "\n"))
    assert (result.case_id, result.status) == ("T1-blog", "error")
    assert result.message == "T1-blog: bad output: RuntimeError('the reader broke')"


def test_a_case_without_a_float32_bound_is_unsupported_at_float32_by_its_id():
    case = load_case(DATA / "S-sgd-momentum")
    result = grade(case, run_solver(scratch_port.solve, case), dtype="float32")
    assert (result.case_id, result.status) == ("S-sgd-momentum", "unsupported"), result


def test_frame_to_arrays_gives_each_tensor_by_name_in_its_shape():
    # The long rows of params.csv back to arrays: by name, in order of first appearance, each
    # of shape (1 + largest row, 1 + largest col), whatever order its cells come in.
    rows = [("b1", 1, 0, 6.0), ("W1", 1, 0, 3.0), ("W1", 0, 0, 1.0), ("b1", 0, 0, 5.0),
            ("W1", 0, 1, 2.0), ("W1", 1, 1, 4.0)]  # fmt: skip
    arrays = frame_to_arrays(Path("params.csv"), pd.DataFrame(rows, columns=list(TENSOR_COLUMNS)))
    assert list(arrays) == ["b1", "W1"]  # (not sorted: "W1" < "b1")
    assert arrays["W1"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and arrays["b1"].tolist() == [
        [5.0],
        [6.0],
    ]
    one = pd.DataFrame([("W1", 0, 0, 0.5)], columns=list(TENSOR_COLUMNS))  # a 1-1 network's
    assert {k: a.tolist() for k, a in frame_to_arrays(Path("params.csv"), one).items()} == {
        "W1": [[0.5]]
    }


def test_an_unsupported_case_listed_whole_as_an_expected_failure_stays_unsupported():
    # Nothing was graded: neither an expected failure nor an unexpected pass.
    case = load_case(DATA / "T1-blog")
    listed = Xfails({"T1-blog": "crashes on relu"})
    result = grade(case, Outcome("unsupported", message="no relu here"), True, xfails=listed)
    assert (result.status, result.message) == ("unsupported", "no relu here")


# -- read_table on a port's output: what it accepts, and how it names what it refuses ----------
OUT = Path("port output")


def read(text: str) -> pd.DataFrame:
    return read_table(OUT, TRAJECTORY_COLUMNS, text=text, nonfinite=True)


def test_a_ports_output_may_start_with_a_byte_order_mark_and_end_lines_with_crlf():
    frame = read("\ufeffstep,tensor,row,col,value\r\n0,Z1,0,0,6\r\n1,Z1,0,1,-7.5\r\n")
    assert frame.values.tolist() == [[0, "Z1", 0, 0, 6.0], [1, "Z1", 0, 1, -7.5]]


def test_a_header_alone_is_an_empty_table_of_the_columns_types():
    frame = read("step,tensor,row,col,value\n")
    assert frame.empty and list(frame.columns) == list(TRAJECTORY_COLUMNS)
    assert [str(t) for t in frame.dtypes] == ["int64", "object", "int64", "int64", "float64"]


def test_nan_with_either_sign_is_read_as_nan():
    frame = read("step,tensor,row,col,value\n0,Z1,0,0,-nan\n0,Z1,0,1,+NaN\n0,Z1,0,2,-inf\n")
    assert np.isnan(frame["value"][:2]).all() and frame["value"][2] == -np.inf


def test_integers_are_exact_up_to_2_to_the_53():
    frame = read(f"step,tensor,row,col,value\n{2**53},Z1,0,0,1\n")
    assert frame["step"].tolist() == [2**53]
    message = f"port output, row 2, column 'step': '{2**53 + 2}' is not an integer"
    with pytest.raises(CaseFormatError, match=f"^{re.escape(message)}$"):
        read(f"step,tensor,row,col,value\n{2**53 + 2},Z1,0,0,1\n")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("step,tensor,row,col,value,extra",
         "missing column(s) [], unknown column(s) ['extra']"),
        ("step,tensor,row,col", "missing column(s) ['value'], unknown column(s) []"),
        ("step,tensor,row,col,value,row",
         "missing column(s) [], unknown column(s) [], repeated column(s) ['row']"),
    ],
    ids=["unknown", "missing", "repeated"],
)  # fmt: skip
def test_a_wrong_header_is_named_column_by_column(header, message):
    expected = (
        f"port output, row 1 (header): {message}; expected exactly {list(TRAJECTORY_COLUMNS)}"
    )
    with pytest.raises(CaseFormatError, match=f"^{re.escape(expected)}$"):
        read(header + "\n0,Z1,0,0,6\n")


@pytest.mark.parametrize(("row", "what"), [("0", "1 cell"), ("0,Z1", "2 cells")])
def test_a_row_of_the_wrong_width_is_named_with_its_cells(row, what):
    message = f"port output, row 3: {what}, but the header has 5 columns"
    with pytest.raises(CaseFormatError, match=f"^{re.escape(message)}$"):
        read(f"step,tensor,row,col,value\n0,Z1,0,0,6\n{row}\n")


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_field_past_the_csv_readers_limit_is_not_csv(where):
    huge = "x" * (csv.field_size_limit() + 1)
    text = (huge if where == "header" else "step,tensor,row,col,value\n0," + huge) + "\n"
    start = (
        "port output, row 1 (header): not CSV (" if where == "header" else "port output: not CSV ("
    )
    with pytest.raises(CaseFormatError, match=f"^{re.escape(start)}field larger than field limit"):
        read(text)


def test_the_allowed_error_is_rtol_times_the_value_plus_atol_scaled_by_the_largest():
    tol = Tolerance("example", rtol=0.5, atol_scale=0.25)
    # atol_scale * max(1, largest): 0.25 for a tensor whose largest |value| is under 1, and
    # 0.25 * 4 for one whose largest is 4
    assert tol.allowed(np.array([0.5, -0.25]), 0.5).tolist() == [0.5, 0.375]
    assert tol.allowed(np.array([2.0, -4.0]), 4.0).tolist() == [2.0, 3.0]


@pytest.mark.parametrize(
    ("W", "b", "error", "message"),
    [
        ([np.ones((2, 3))], "x", DTypeError,
         "b must be a list of 1 entries (one per layer), got str"),
        ([np.ones(3)], [None], ShapeError,
         "W[0] must be a non-empty 2-D (out, in) array, got (3,)"),
        ([np.ones((0, 2))], [None], ShapeError,
         "W[0] must be a non-empty 2-D (out, in) array, got (0, 2)"),
        ([np.ones((2, 3))], [np.ones(2, dtype=np.float32)], DTypeError,
         "b[0] has dtype float32 but W[0] has dtype float64"),
    ],
    ids=["b-not-a-list", "W-one-dimensional", "W-empty", "b-of-another-dtype"],
)  # fmt: skip
def test_params_names_a_bad_layer_list(W, b, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        Params(W, b)


def test_a_layout_converter_names_what_its_bias_list_may_be():
    message = "b must be a list of 2-D numpy arrays, one per layer (or None), got str"
    with pytest.raises(DTypeError, match=f"^{re.escape(message)}$"):
        from_t2([np.ones((3, 2))], "x")


@pytest.mark.parametrize("shape", [(4096,), (80, 60)], ids=["4096", "80x60"])
def test_all_finite_on_large_arrays_sums_first_without_a_warning(shape):
    # From 4096 elements the array is summed first. Huge finite values overflow that sum
    # (then each is checked); +inf and -inf make it NaN. No floating-point warning either way.
    x = np.ones(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all_finite(x)
        assert all_finite(np.full(shape, 1e308))
        for bad in (np.nan, np.inf):
            y = x.copy()
            y.flat[-1] = bad
            assert not all_finite(y), bad
        y = x.copy()
        y.flat[0], y.flat[-1] = np.inf, -np.inf
        assert not all_finite(y)


def test_a_case_listed_whole_that_fails_is_xfail_and_one_that_passes_is_named():
    case = load_case(DATA / "T1-blog")
    listed = Xfails({"T1-blog": "known"})
    right = Outcome("ok", text=case.expected.to_csv(index=False))
    wrong = Outcome(
        "ok", text=case.expected.assign(value=case.expected["value"] + 1).to_csv(index=False)
    )
    failed = grade(case, wrong, xfails=listed)
    assert failed.status == "xfail"
    assert failed.message.startswith("T1-blog: expected failure (known): T1-blog: 190 of 190 ")
    message = "T1-blog: expected to fail (known), but pass"
    assert (
        grade(case, right, xfails=listed).status,
        grade(case, right, xfails=listed).message,
    ) == ("xpass", message)
    strict = grade(case, right, True, xfails=listed)
    assert (strict.status, strict.message) == ("fail", message)
