"""Determinism: the same seed gives the same bits, in one process and across two.
(Float32 against float64 is in test_matrix.py; CUDA in test_cuda.py.)
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

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
    from reference import TorchMLP  # imported here: a scratch-only process never loads torch

    return TorchMLP(SPEC, params, device="cpu").train(X, Y, 0.3, 5, record=True)


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
    # A fresh interpreter draws the weights and data from the seed and trains: same bits. (The
    # reference has no seed of its own: it starts from scratch's parameters, and its runs are
    # compared twice in this process above; a second process would only add torch's import.)
    code = (
        "import sys; from conformance.tests.test_determinism import run, fingerprint; "
        "print(fingerprint(run('scratch', 7)), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [fingerprint(run("scratch", 7)), "False"]


def test_initialisers_are_bit_identical_for_the_same_seed():
    a, b = init_t2([2, 3, 2, 1], 5), init_t2([2, 3, 2, 1], 5)
    assert all(
        np.array_equal(x, y) for x, y in zip(a.arrays().values(), b.arrays().values(), strict=True)
    )


def test_building_the_reference_leaves_torch_s_random_generator_as_it_was():
    # TorchMLP's layers never keep torch's random init: they hold exactly the given parameters,
    # and the draws nn.Linear makes for its init do not move torch's global generator.
    import torch

    from reference import TorchMLP

    params = init_standard_normal(SPEC.sizes, 3, scale=0.7)
    torch.manual_seed(11)
    expected_next = torch.rand(4)
    torch.manual_seed(11)
    model = TorchMLP(SPEC, params)
    np.testing.assert_array_equal(torch.rand(4).numpy(), expected_next.numpy())
    for name, array in model.export_params().arrays().items():
        assert np.array_equal(array, params.arrays()[name]), f"TorchMLP/{name}"
