"""The fast path (`scratch.fast`) against the plain path (`scratch.network`), bit for bit.

`Network.train(record=False)` and `Network.train_step` run through the fast path's work buffers
and in-place update; `Network.train(record=True)` runs the plain forward, backprop and step.
They must agree in every bit (compared as unsigned integers, so -0.0 != 0.0 and float32 is
checked as float32). Every configuration of the conformance matrix (depth 1 to 3, every
activation pairing, MSE and fused softmax cross-entropy, with and without biases, float32 and
float64) is run with the default options; every other combination of maximize, freeze_biases
and objective ("cost", "output") is run on a representative subset of it (`REPRESENTATIVE`), and
so is each `torch.optim.SGD` option of the matrix (`OPTIMIZERS`: momentum, Nesterov, dampening,
weight decay), with and without maximize and freeze_biases, velocities compared too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from conformance.matrix import OPTIMIZERS, Config, build_matrix, initial_params, make_data
from scratch import Network

STEPS = 2
"""Enough for the second step to start from parameters the fast path wrote."""

CONFIGS = build_matrix()
PROBLEMS = {c.id: (c, initial_params(c), *make_data(c)) for c in CONFIGS}
DEFAULT = {"maximize": False, "freeze_biases": False, "objective": "cost"}
OPTIONS = [
    {"maximize": maximize, "freeze_biases": freeze, "objective": objective}
    for maximize, freeze, objective in itertools.product(
        (False, True), (False, True), ("cost", "output")
    )
] + [
    {"maximize": maximize, "freeze_biases": freeze, "objective": "cost", "optimizer": sgd}
    for sgd in OPTIMIZERS.values()
    for maximize, freeze in ((False, False), (True, True))
]


def representative(configs: list[Config]) -> list[str]:
    """The first configuration of each (depth, output activation, loss, reduction, bias, dtype):
    26 of the matrix's 87, which between them put every activation in a hidden layer and in the
    output layer, and cover both losses, every reduction, depths 1 to 3, batch sizes 1 and 7,
    networks without biases, and float32."""
    first: dict[tuple, str] = {}
    for c in configs:
        s = c.spec
        first.setdefault((s.depth, s.activations[-1], s.loss, s.reduction, s.bias, c.dtype), c.id)
    return list(first.values())


REPRESENTATIVE = representative(CONFIGS)


def options_id(options: dict) -> str:
    """e.g. "maximize/freeze_biases/output", "minimize/cost", "minimize/cost/nesterov"."""
    parts = ["maximize" if options["maximize"] else "minimize"]
    if options["freeze_biases"]:
        parts.append("freeze_biases")
    sgd = [k for k, v in OPTIMIZERS.items() if v == options.get("optimizer")]
    return "/".join([*parts, options["objective"], *sgd])


def assert_same_bits(actual: object, expected: object, what: str) -> None:
    """Fail unless actual and expected have the same dtype, shape and bits in every element."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert (actual.dtype, actual.shape) == (expected.dtype, expected.shape), (
        f"{what}: {actual.dtype} {actual.shape} != expected {expected.dtype} {expected.shape}"
    )
    uint = {4: np.uint32, 8: np.uint64}[expected.dtype.itemsize]
    differ = actual.view(uint) != expected.view(uint)
    if differ.any():
        index = tuple(int(i) for i in np.argwhere(differ)[0])
        raise AssertionError(
            f"{what}: Mismatched bits: {int(differ.sum())} / {differ.size} elements; first at "
            f"{index}: actual {actual[index]!r}, expected {expected[index]!r}"
        )


def assert_same_params(actual, expected, what: str) -> None:
    a, e = actual.arrays(), expected.arrays()
    assert a.keys() == e.keys(), f"{what}: parameters {sorted(a)} != {sorted(e)}"
    for name in e:
        assert_same_bits(a[name], e[name], f"{what}/{name}")


def options_of(config_id: str) -> list[dict]:
    """The options a configuration is trained with: the defaults for every one, and every entry
    of OPTIONS for the representative ones."""
    return OPTIONS if config_id in REPRESENTATIVE else [DEFAULT]


@pytest.mark.parametrize("config_id", list(PROBLEMS))
def test_unrecorded_train_is_bit_identical_to_recorded(config_id):
    # Each of the configuration's options in turn; a failure names the options,
    # e.g. "d2-tanh-identity-mse-sample_mean-n7-k3-f64/maximize/freeze_biases/output/cost".
    for options in options_of(config_id):
        check_unrecorded_train(config_id, options)


def check_unrecorded_train(config_id: str, options: dict) -> None:
    """Train twice from the same parameters, recorded and not, and assert the same bits."""
    config, params, X, Y = PROBLEMS[config_id]
    options = {"optimizer": config.optimizer, **options}  # a matrix entry's own SGD options
    plain, fast = Network(config.spec, params), Network(config.spec, params)
    expected = plain.train(X, Y, config.lr, STEPS, record=True, **options)
    actual = fast.train(X, Y, config.lr, STEPS, record=False, **options)
    what = f"{config_id}/{options_id(options)}"
    assert_same_bits(actual.cost, expected.cost, f"{what}/cost")
    assert_same_bits(actual.output, expected.output, f"{what}/output")
    assert_same_params(fast.params, plain.params, f"{what}/step{STEPS}")
    assert (fast.velocity is None) == (plain.velocity is None), f"{what}: velocity kept by one"
    if plain.velocity is not None:
        v, e = fast.velocity.arrays(), plain.velocity.arrays()
        assert v.keys() == e.keys(), f"{what}: velocities {sorted(v)} != {sorted(e)}"
        for name in e:
            assert_same_bits(v[name], e[name], f"{what}/step{STEPS}/{name}")


@pytest.mark.parametrize("config_id", list(PROBLEMS))
def test_train_step_is_bit_identical_to_plain_step(config_id):
    config, params, X, Y = PROBLEMS[config_id]
    plain, fast = Network(config.spec, params), Network(config.spec, params)
    for t in range(STEPS):
        cache = plain.forward(X)
        expected_cost = plain.cost(cache, Y)
        plain.step(config.lr, plain.backward(cache, Y))
        cost = fast.train_step(X, Y, config.lr)
        assert_same_bits(cost, expected_cost, f"{config_id}/step{t}/cost")
        assert_same_params(fast.params, plain.params, f"{config_id}/step{t}")


def test_buffers_follow_the_batch_size_and_keep_no_output():
    # The work buffers are remade when the batch size changes; an output already returned is a
    # copy that later steps do not overwrite.
    config, params, X, Y = PROBLEMS[CONFIGS[0].id]
    plain, fast = Network(config.spec, params), Network(config.spec, params)
    outputs = []
    for rows in (slice(None), slice(0, 1), slice(None), slice(2, 5)):
        expected = plain.train(X[rows], Y[rows], config.lr, 1, record=True)
        actual = fast.train(X[rows], Y[rows], config.lr, 1)
        outputs.append((actual.output, expected.output.copy()))
        assert_same_params(fast.params, plain.params, f"{config.id}/rows{rows}")
    for t, (actual, expected) in enumerate(outputs):
        assert_same_bits(actual, expected, f"{config.id}/step{t}/output")
