"""Determinism, dtypes and devices: the same seed gives the same bits, in one process and across
two; float32 runs stay within the documented bound of float64 ones.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.matrix import STEPS, build_matrix, pick, tensor_names
from conformance.tolerances import FLOAT32
from reference import TorchMLP
from scratch import History, Network, NetworkSpec, init_standard_normal, init_t2

SPEC = NetworkSpec.build([3, 5, 4, 2], "tanh", "softmax", "cross_entropy")


def run(implementation: str, seed: int) -> History:
    """Everything from one seed: weights (T3's recipe), data, 5 steps."""
    params = init_standard_normal(SPEC.sizes, seed, scale=0.7)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((6, 3))
    Y = np.eye(2)[rng.integers(0, 2, 6)]
    if implementation == "scratch":
        return Network(SPEC, params).train(X, Y, 0.3, 5, record=True)
    return TorchMLP(SPEC, params, device="cpu").fit(X, Y, 0.3, 5, record=True)


def fingerprint(history: History) -> str:
    """SHA-256 of every bit of a recorded run: costs, outputs, every Z, A, dW, db and param."""
    h = hashlib.sha256()
    h.update(history.cost.tobytes())
    h.update(history.output.tobytes())
    for r in history.records:
        for arrays in (r.cache.arrays(), r.grads.arrays(), r.after.arrays(), r.deltas.arrays()):
            for name, array in arrays.items():
                h.update(name.encode())
                h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("implementation", ["scratch", "reference"])
def test_same_seed_same_bits_twice_in_one_process(implementation):
    assert fingerprint(run(implementation, 7)) == fingerprint(run(implementation, 7))
    assert fingerprint(run(implementation, 7)) != fingerprint(run(implementation, 8))


def test_same_seed_same_bits_across_processes():
    code = (
        "from conformance.test_determinism import run, fingerprint; "
        "print(fingerprint(run('scratch', 7)), fingerprint(run('reference', 7)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [fingerprint(run("scratch", 7)), fingerprint(run("reference", 7))]


def test_initialisers_are_bit_identical_for_the_same_seed():
    a, b = init_t2([2, 3, 2, 1], 5), init_t2([2, 3, 2, 1], 5)
    assert all(
        np.array_equal(x, y) for x, y in zip(a.arrays().values(), b.arrays().values(), strict=True)
    )


FLOAT32_CONFIGS = [c for c in build_matrix() if c.dtype is np.float32]


@pytest.mark.parametrize("config", FLOAT32_CONFIGS, ids=lambda c: c.id)
def test_float32_run_stays_within_its_bound_of_float64(config):
    # scratch in float32 against reference in float64, from the same (float32-exact) weights and
    # data: the float32 bound of conformance/tolerances.py holds against the float64 truth too.
    from conformance.matrix import initial_params, make_data

    X, Y = make_data(config)
    params = initial_params(config)
    ours = Network(config.spec, params).train(X, Y, config.lr, STEPS, record=True)
    truth = TorchMLP(config.spec, params.astype(np.float64), dtype=torch.float64, device="cpu").fit(
        X.astype(np.float64), Y.astype(np.float64), config.lr, STEPS, record=True
    )
    for step in range(STEPS):
        for name in tensor_names(config):
            assert pick(ours, step, name).dtype == np.float32 or name == "cost"
            what = f"{config.id}/step{step}/{name} (float32 vs float64)"
            assert_close(pick(ours, step, name), pick(truth, step, name), FLOAT32, what)
