"""Each tutorial's initialisation, reproduced bit for bit.

The expected arrays are drawn here, in the tutorial's own words and layout (T2: W(l) is
n(l-1) x n(l); T4: numpy's legacy global generator), then compared with `array_equal`: same
bits, not merely close.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratch import init_standard_normal, init_t2, init_t4
from scratch.layouts import to_t2


@pytest.mark.parametrize(
    "sizes", [[2, 3, 1], [2, 2, 1], [2, 3, 2, 1]], ids=lambda s: "-".join(map(str, s))
)
@pytest.mark.parametrize("seed", [0, 42])
def test_t2_default_rng_bit_for_bit(sizes, seed):
    # T2: rng = default_rng(seed); W(l) = rng.normal(scale=0.001, size=(n(l-1), n(l))), b(l) = 0.
    rng = np.random.default_rng(seed=seed)
    expected_W = [
        rng.normal(scale=0.001, size=(sizes[l - 1], sizes[l])) for l in range(1, len(sizes))
    ]
    W, b = to_t2(init_t2(sizes, seed))
    for l, (ours, theirs) in enumerate(zip(W, expected_W, strict=True), start=1):
        assert np.array_equal(ours, theirs), f"T2/{sizes}/seed{seed}/W{l}"
        assert np.array_equal(b[l - 1], np.zeros((1, sizes[l]))), f"T2/{sizes}/seed{seed}/b{l}"


def test_t4_legacy_seed_bit_for_bit():
    # T4: numpy.random.seed(1); W1 = numpy.random.random((3, 4)); W2 = numpy.random.random((4, 1)).
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        W1 = np.random.random((3, 4))
        W2 = np.random.random((4, 1))
    finally:
        np.random.set_state(saved)
    params = init_t4()
    assert params.b == (None, None)
    assert np.array_equal(params.W[0], W1.T), "T4/W1"
    assert np.array_equal(params.W[1], W2.T), "T4/W2"


def test_t4_leaves_global_state_alone():
    saved = np.random.get_state()
    init_t4()
    after = np.random.get_state()
    assert saved[0] == after[0] and np.array_equal(saved[1], after[1]) and saved[2:] == after[2:]


def test_standard_normal_stream_is_stated():
    # T3's recipe with the stated stream: default_rng(seed).standard_normal((n_in, n_out)) * scale.
    rng = np.random.default_rng(7)
    W1 = rng.standard_normal((3, 4)) * 0.001
    W2 = rng.standard_normal((4, 2)) * 0.001
    params = init_standard_normal([3, 4, 2], 7)
    assert np.array_equal(params.W[0], W1.T) and np.array_equal(params.W[1], W2.T)
    assert all(np.array_equal(b, np.zeros(n)) for b, n in zip(params.b, (4, 2), strict=True))
    assert init_standard_normal([3, 4, 2], 7, bias=False).b == (None, None)
