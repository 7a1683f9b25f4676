"""One full training step of each peer, ready to time: scratch's `train_step`, the reference's
plain torch loop (autograd and `torch.optim.SGD`), scikit-learn's `partial_fit`; and the check
that a peer's step equals scratch's before it is timed."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from benchmarks.sizes import LR, Size
from reference import TorchMLP
from reference import losses as torch_losses
from scratch import Network, Params


def scratch_step(spec, params, X, Y):
    net = Network(spec, params)
    return lambda: net.train_step(X, Y, LR), lambda: net.params


def torch_step(spec, params, X, Y, torch_dtype):
    model = TorchMLP(spec, params, dtype=torch_dtype, device="cpu")
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad(set_to_none=True)
        Zs, As = model.forward_all(Xt)
        if spec.loss == "cross_entropy":
            cost = torch_losses.softmax_cross_entropy(Zs[-1], Yt, spec.reduction)
        else:
            cost = torch_losses.mse(As[-1], Yt, spec.reduction)
        cost.backward()
        optimizer.step()

    return step, model.export_params


def sklearn_step(spec, params, X, Y, size: Size):
    try:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    except ImportError:
        return None
    common = dict(
        hidden_layer_sizes=size.sizes[1:-1],
        activation=size.hidden,
        solver="sgd",
        learning_rate_init=LR,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=size.n,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    if size.loss == "cross_entropy":
        model = MLPClassifier(**common)
        classes = np.arange(size.sizes[-1])
        # Two classes as labels would give scikit-learn one logistic unit; as a one-hot
        # indicator matrix they keep two outputs, and the softmax is switched back on below.
        target = Y.astype(int) if size.sizes[-1] == 2 else Y.argmax(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(X, target, classes=classes)
        model.out_activation_ = "softmax"
    else:
        model = MLPRegressor(**common)
        target = Y[:, 0] if Y.shape[1] == 1 else Y
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(X, target)

    def load(p: Params):
        model.coefs_ = [w.T.copy() for w in p.W]
        model.intercepts_ = [b.copy() for b in p.b]
        model.n_outputs_ = size.sizes[-1]

    load(params)

    def step():
        model.partial_fit(X, target)

    def export():
        return Params([w.T for w in model.coefs_], list(model.intercepts_))

    return step, export, load


def check_same_step(name: str, after: Params, expected: Params, dtype, where: str) -> None:
    tol = 1e-9 if dtype is np.float64 else 1e-3
    for key, value in expected.arrays().items():
        got = after.arrays()[key]
        scale = max(1.0, float(np.abs(value).max()))
        if not np.allclose(got, value, rtol=tol, atol=tol * scale):
            err = float(np.abs(got - value).max())
            raise AssertionError(
                f"{where}: {name}'s step differs from scratch's in {key} by {err:.2e}"
            )
