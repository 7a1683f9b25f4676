"""T4's perceptron rule: a hand-worked AND gate, and scratch against its torch twin.

Hand-worked, eta = 1, w = (0, 0), b = 0, step(z) = 1 if z >= 0, samples in the order
(0,0)->0, (0,1)->0, (1,0)->0, (1,1)->1 (every number is an integer, so no rounding):

epoch 0: (0,0) z=0 -> 1, wrong: b=-1; (1,1) z=-1 -> 0, wrong: w=(1,1), b=0       2 errors
epoch 1: (0,0) z=0 wrong: b=-1; (0,1) z=0 wrong: w=(1,0), b=-2;
         (1,1) z=-1 wrong: w=(2,1), b=-1                                           3 errors
epoch 2: (0,1) z=0 wrong: w=(2,0), b=-2; (1,0) z=0 wrong: w=(1,0), b=-3;
         (1,1) z=-2 wrong: w=(2,1), b=-2                                           3 errors
epoch 3: (1,0) z=0 wrong: w=(1,1), b=-3; (1,1) z=-1 wrong: w=(2,2), b=-2          2 errors
epoch 4: (0,1) z=0 wrong: w=(2,1), b=-3                                            1 error
epoch 5: no error: converged with w = (2, 1), b = -3.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference.perceptron import perceptron_updates
from scratch import MLPInputError, Perceptron

X_AND = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0, 0, 0, 1])


def test_and_gate_by_hand():
    p = Perceptron(eta=1.0).fit(X_AND, Y_AND)
    assert p.errors_.tolist() == [2, 3, 3, 2, 1, 0]
    assert p.converged_
    assert p.w_.tolist() == [2.0, 1.0] and p.b_ == -3.0
    assert p.predict(X_AND).tolist() == [0.0, 0.0, 0.0, 1.0]
    # epoch 1, sample (0,1): prediction 1, error -1, then w = (1, 0), b = -2
    assert p.updates_[5].tolist() == [1, 1, 1, -1, 1, 0, -2]


def test_matches_torch_twin_on_a_separable_set():
    # 40 points labelled by the line x1 + 2 x2 > 0.3, kept at least 0.1 away from it.
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, (200, 2))
    margin = X[:, 0] + 2 * X[:, 1] - 0.3
    X = X[np.abs(margin) > 0.1][:40]
    y = (X[:, 0] + 2 * X[:, 1] > 0.3).astype(int)
    p = Perceptron(eta=0.1, max_epochs=500).fit(X, y)
    assert p.converged_
    assert (p.predict(X) == y).all()
    theirs = perceptron_updates(X, y, 0.1, 500)
    assert p.updates_.shape == theirs.shape
    assert np.allclose(p.updates_, theirs, rtol=1e-12, atol=1e-12)


def test_rejects_labels_other_than_0_1():
    with pytest.raises(MLPInputError, match="only 0 and 1"):
        Perceptron().fit(X_AND, np.array([0, 0, -1, 1]))
