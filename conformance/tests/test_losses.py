"""The costs: hand-computed values, the named reductions, and torch's built-in losses.

Torch's own loss modules are independent implementations; each identity below says exactly
which reduction of theirs matches which of ours.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from scratch import losses
from scratch.activations import softmax
from scratch.errors import ConfigError

A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])  # n = 3 samples, k = 2 outputs
Y = np.array([[0.0, 2.0], [1.5, 1.0], [1.0, 1.0]])
# Squared errors: row 0: 1 + 0 = 1; row 1: 1 + 4 = 5; row 2: 4 + 1 = 5; total 11.


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [("sample_mean", 11 / 6), ("sum", 11 / 2), ("element_mean", 11 / 12)],
    ids=["sample_mean=11/(2*3)", "sum=11/2", "element_mean=11/(2*3*2)"],
)
def test_mse_by_hand(reduction, expected):
    assert_close(losses.mse(A, Y, reduction), expected, FLOAT64, f"mse/{reduction}")


@pytest.mark.parametrize("k", [1, 4])
def test_half_mse_sum_over_n_is_our_mse(k):
    # 0.5 * nn.MSELoss(reduction='sum') / n == 1/(2n) sum ||a_i - y_i||^2, for any k.
    rng = np.random.default_rng(k)
    A_, Y_ = rng.standard_normal((7, k)), rng.standard_normal((7, k))
    theirs = 0.5 * nn.MSELoss(reduction="sum")(torch.tensor(A_), torch.tensor(Y_)).item() / 7
    assert_close(losses.mse(A_, Y_, "sample_mean"), theirs, FLOAT64, f"mse/k{k}/MSELoss-sum")


def test_torch_mean_mse_is_element_mean_not_sample_mean():
    # nn.MSELoss(reduction='mean') divides by n*k: half of it is T2's loss, our "element_mean",
    # which for k = 2 outputs is half our sample mean (the root of T2's erratum).
    theirs = 0.5 * nn.MSELoss()(torch.tensor(A), torch.tensor(Y)).item()
    assert_close(losses.mse(A, Y, "element_mean"), theirs, FLOAT64, "mse/MSELoss-mean")
    assert losses.mse(A, Y, "sample_mean") == pytest.approx(2 * theirs, rel=1e-15)


@pytest.mark.parametrize("reduction", ["sample_mean", "sum"])
def test_torch_cross_entropy_on_logits_is_ours_on_softmax(reduction):
    # nn.CrossEntropyLoss takes logits and class indices; ours takes softmax outputs, one-hot.
    rng = np.random.default_rng(5)
    Z = rng.standard_normal((7, 4)) * 3
    classes = rng.integers(0, 4, 7)
    Yh = np.eye(4)[classes]
    torch_reduction = {"sample_mean": "mean", "sum": "sum"}[reduction]
    theirs = nn.CrossEntropyLoss(reduction=torch_reduction)(torch.tensor(Z), torch.tensor(classes))
    ours = losses.cross_entropy(softmax(Z), Yh, reduction)
    assert_close(ours, theirs.item(), FLOAT64, f"cross_entropy/{reduction}/CrossEntropyLoss")
    assert_close(
        losses.softmax_cross_entropy(Z, Yh, reduction),
        theirs.item(),
        FLOAT64,
        f"softmax_cross_entropy/{reduction}/CrossEntropyLoss",
    )


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_n():
    # d/dZ of -(1/n) sum Y log softmax(Z) is (P - Y)/n: checked against autograd.
    rng = np.random.default_rng(6)
    Z = rng.standard_normal((5, 3))
    Yh = np.eye(3)[rng.integers(0, 3, 5)]
    z = torch.tensor(Z, requires_grad=True)
    (expected,) = torch.autograd.grad(nn.CrossEntropyLoss()(z, torch.tensor(Yh)), z)
    got = losses.softmax_cross_entropy_grad(softmax(Z), Yh, "sample_mean")
    assert_close(got, expected.numpy(), FLOAT64, "cross_entropy/dZ=P-Y")


@pytest.mark.parametrize("reduction", ["sample_mean", "sum", "element_mean"])
def test_mse_gradient_matches_autograd(reduction):
    a = torch.tensor(A, requires_grad=True)
    d = {"sample_mean": 3, "sum": 1, "element_mean": 6}[reduction]
    (expected,) = torch.autograd.grad(((a - torch.tensor(Y)) ** 2).sum() / (2 * d), a)
    assert_close(losses.mse_grad(A, Y, reduction), expected.numpy(), FLOAT64, f"mse/{reduction}/dA")


def test_cross_entropy_gradient_matches_autograd():
    P = softmax(np.array([[0.2, -1.0, 2.0], [1.0, 1.0, 0.0]]))
    Yh = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    p = torch.tensor(P, requires_grad=True)
    (expected,) = torch.autograd.grad(-(torch.tensor(Yh) * torch.log(p)).sum() / 2, p)
    assert_close(losses.cross_entropy_grad(P, Yh), expected.numpy(), FLOAT64, "cross_entropy/dP")


def test_cross_entropy_rejects_element_mean():
    with pytest.raises(ConfigError, match="element_mean"):
        losses.get_loss("cross_entropy", "element_mean")
