"""A run that leaves the finite numbers fails the same way in both implementations and on every
path, and leaves the parameters as they were before the call.

The documented contract (`scratch.errors.NonFiniteError`): a forward pass whose output, a cost,
or a step whose new parameters hold NaN or Inf raises `NonFiniteError` naming the array, checked
in that order (output, cost, W[0..L-1], b[0..L-1]); `train` says at which step and restores the
parameters from before the call. The five paths: scratch's recorded `train` (the plain code),
its unrecorded `train` and `train_step` (scratch/fast.py), and the reference's recorded and
plain `train`. NumPy's overflow is silenced here (the suite otherwise turns it into an error):
the point is what the libraries themselves report.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from conformance.tests.inputs import CE_PARAMS, CE_SPEC, PARAMS, SPEC, X, Y
from reference import TorchMLP
from scratch import Network, NonFiniteError, Params

Y_CE = np.eye(2)[[0, 1, 0]]

COST = "the cost is inf: the output is too far from Y (overflow)"
OUTPUT = "the output A(2) contains NaN or Inf (shape {}): the forward pass overflowed"

DIVERGING = {
    # id: (spec, params, X, Y, lr, steps, the step that diverges, what it names)
    "cost-at-step0/X=1e200": (SPEC, PARAMS, X * 1e200, Y, 0.1, 2, 0, COST),
    "cost-at-step48/lr=1000": (SPEC, PARAMS, X, Y, 1000.0, 60, 48, COST),
    "output-at-step1/lr=1e308": (SPEC, PARAMS, X, Y, 1e308, 3, 1, OUTPUT.format("(3, 1)")),
    "W0-at-step0/X=1e100,lr=1e120": (
        SPEC,
        PARAMS,
        X * 1e100,
        Y,
        1e120,
        2,
        0,
        "W[0] contains NaN or Inf (shape (3, 2))",
    ),
    "softmax-output-at-step2/lr=1e308": (
        CE_SPEC,
        CE_PARAMS,
        X,
        Y_CE,
        1e308,
        3,
        2,
        OUTPUT.format("(3, 2)"),
    ),
}


def scratch_train(record):
    def run(spec, params, X_, Y_, lr, steps):
        net = Network(spec, params)
        try:
            net.train(X_, Y_, lr, steps, record=record)
        finally:
            assert net.params is params, "the parameters before the call must be restored"

    return run


def scratch_train_step(spec, params, X_, Y_, lr, steps):
    """train_step one step at a time: the failing step names lr; earlier steps stay taken."""
    net = Network(spec, params)
    for t in range(steps):
        before = net.params
        try:
            net.train_step(X_, Y_, lr)
        except NonFiniteError as err:
            assert net.params is before and err.step is None
            raise err.at_step(t, lr) from None


def reference_train(record):
    def run(spec, params, X_, Y_, lr, steps):
        model = TorchMLP(spec, params, dtype=torch.float64, device="cpu")
        try:
            model.train(X_, Y_, lr, steps, record=record)
        finally:
            after = model.export_params().arrays()
            for name, array in params.arrays().items():
                assert np.array_equal(after[name], array), f"{name} not restored"

    return run


PATHS = {
    "scratch-recorded": scratch_train(True),
    "scratch-fast": scratch_train(False),
    "scratch-train_step": scratch_train_step,
    "reference-recorded": reference_train(True),
    "reference-plain": reference_train(False),
}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("case", list(DIVERGING))
def test_a_diverging_run_raises_the_same_error_everywhere_and_restores_params(case, path):
    spec, params, X_, Y_, lr, steps, step, detail = DIVERGING[case]
    with pytest.raises(NonFiniteError) as caught, np.errstate(over="ignore", invalid="ignore"):
        PATHS[path](spec, params, X_, Y_, lr, steps)
    assert (caught.value.step, caught.value.detail) == (step, detail), case
    assert str(caught.value) == (
        f"training diverged at step {step} (lr={lr}): {detail}; the parameters are left as "
        "they were before the call"
    )


HUGE = Params([np.full((3, 2), 1e200), np.ones((1, 3))], [np.zeros(3), np.zeros(1)])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Network(SPEC, HUGE).forward(X * 1e200), OUTPUT.format("(3, 1)")),
        (lambda: Network(SPEC, HUGE).predict(X * 1e200), OUTPUT.format("(3, 1)")),
        (lambda: TorchMLP(SPEC, HUGE, device="cpu")(X * 1e200), OUTPUT.format("(3, 1)")),
        (lambda: Network(SPEC, PARAMS).cost(Network(SPEC, PARAMS).forward(X * 1e200), Y), COST),
        (lambda: TorchMLP(SPEC, PARAMS, device="cpu").forward_backward(X * 1e200, Y), COST),
    ],
    ids=[
        "scratch-forward",
        "scratch-predict",
        "reference-forward",
        "scratch-cost",
        "reference-cost",
    ],
)
def test_a_non_finite_output_or_cost_is_an_error_naming_it(call, message):
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(NonFiniteError, match=re.escape(message)):
            call()


@pytest.mark.parametrize(
    "call",
    [
        lambda Y_: Network(SPEC, HUGE).train_step(X * 1e200, Y_, 0.1),
        lambda Y_: Network(SPEC, HUGE).forward_backward(X * 1e200, Y_),
        lambda Y_: TorchMLP(SPEC, HUGE, device="cpu").forward_backward(X * 1e200, Y_),
    ],
    ids=["scratch-fast-step", "scratch-plain-step", "reference-step"],
)
def test_one_step_names_a_non_finite_output_before_a_bad_target(call):
    # The forward pass comes first and checks its output; the fast path, which looks at the
    # output only when something is wrong, reports the same error.
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(NonFiniteError, match=re.escape(OUTPUT.format("(3, 1)"))):
            call(Y[:, 0])
