"""Numerical stability: softmax, cross-entropy and sigmoid at logits of +-1000, a true class
with predicted probability 0, and NumPy warnings turned into errors for the whole suite.

Cross-entropy's choice, documented in `scratch.losses`: the network takes its cost from the
logits through log-softmax, exact and finite for any finite logits; the probability form
`cross_entropy(P, Y)` clips P below at the smallest normal float64 (about 2.2e-308), so a true
class with P = 0 costs at most -log(2.2e-308) = 708.4 instead of infinity. Both are checked
against torch's log_softmax path (`nn.functional.cross_entropy` on the logits).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from reference import TorchMLP
from reference import losses as torch_losses
from scratch import Network, NetworkSpec, Params, losses
from scratch.activations import sigmoid, softmax

LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]])
CLASSES = np.array([2, 1, 0])
Y = np.eye(3)[CLASSES]


def test_numpy_warnings_are_errors_in_every_test():
    assert np.geterr()["over"] == "raise" and np.geterr()["divide"] == "raise"
    assert np.geterr()["invalid"] == "raise"
    with pytest.raises(FloatingPointError):
        np.exp(np.array([1000.0]))


def test_softmax_at_plus_minus_1000_is_finite_and_matches_torch():
    P = softmax(LOGITS)
    assert np.isfinite(P).all()
    assert_close(P, torch.softmax(torch.tensor(LOGITS), dim=1).numpy(), FLOAT64, "softmax(+-1000)")
    assert P[1].tolist() == pytest.approx(
        [0.0, 1 / (1 + math.exp(-1)), 1 / (1 + math.e)], rel=1e-15
    )


@pytest.mark.parametrize("reduction", ["sample_mean", "sum"])
def test_cross_entropy_from_logits_at_plus_minus_1000_matches_torch(reduction):
    # Row 0's true class has logit 0 against a max of 1000: p = e^-1000 = 0 in float64, and its
    # cost is exactly 1000. Row 2's true class has p = 1/2: cost log 2.
    torch_reduction = {"sample_mean": "mean", "sum": "sum"}[reduction]
    theirs = F.cross_entropy(torch.tensor(LOGITS), torch.tensor(CLASSES), reduction=torch_reduction)
    ours = losses.softmax_cross_entropy(LOGITS, Y, reduction)
    assert math.isfinite(ours)
    assert_close(ours, theirs.item(), FLOAT64, f"cross-entropy(+-1000)/{reduction}")
    d = 3 if reduction == "sample_mean" else 1
    assert ours == pytest.approx((1000 + math.log1p(math.exp(-1)) + math.log(2)) / d, rel=1e-15)


def test_cross_entropy_on_probabilities_clips_a_zero_true_class():
    P = softmax(LOGITS)
    assert P[0, 2] == 0.0  # the true class of row 0 has probability exactly 0
    tiny = np.finfo(np.float64).tiny
    expected = (-math.log(tiny) + math.log1p(math.exp(-1)) + math.log(2)) / 3
    ours = losses.cross_entropy(P, Y)
    assert math.isfinite(ours) and ours == pytest.approx(expected, rel=1e-15)
    theirs = torch_losses.cross_entropy(torch.tensor(P), torch.tensor(Y)).item()
    assert ours == pytest.approx(theirs, rel=1e-15)
    grad = losses.cross_entropy_grad(P, Y)
    assert np.isfinite(grad).all() and grad[0, 2] == 0.0  # the clipped cost is flat there


def test_network_at_plus_minus_1000_trains_finitely_in_both_implementations():
    spec = NetworkSpec.build([3, 3], output="softmax", loss="cross_entropy")
    params = Params([np.eye(3)], [np.zeros(3)])
    ours = Network(spec, params).train(LOGITS, Y, 1e-4, 3, record=True)
    theirs = TorchMLP(spec, params, device="cpu").train(LOGITS, Y, 1e-4, 3, record=True)
    for a, b in zip(ours.records, theirs.records, strict=True):
        assert math.isfinite(a.cost)
        assert_close(a.cost, b.cost, FLOAT64, f"step {a.step}/cost")
        for name, g in a.grads.arrays().items():
            assert_close(g, b.grads.arrays()[name], FLOAT64, f"step {a.step}/{name}")


def test_sigmoid_at_plus_minus_1000_is_silent_and_matches_torch():
    Z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    A = sigmoid(Z)  # would raise FloatingPointError on any overflow (see the first test)
    assert_close(A, torch.sigmoid(torch.tensor(Z)).numpy(), FLOAT64, "sigmoid(+-1000)")
    assert A[0, 0] == 0.0 and A[0, -1] == 1.0


def test_sigmoid_network_at_plus_minus_1000():
    spec = NetworkSpec.build([1, 1], output="sigmoid", loss="mse")
    net = Network(spec, Params([np.array([[1000.0]])], [np.zeros(1)]))
    cache = net.forward(np.array([[1.0], [-1.0]]))
    assert cache.output.ravel().tolist() == [1.0, 0.0]
    grads = net.backward(cache, np.array([[0.5], [0.5]]))
    assert np.isfinite(grads.dW[0]).all()
