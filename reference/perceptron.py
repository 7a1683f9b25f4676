"""T4's perceptron learning rule in torch operations, as an independent twin of
`scratch.perceptron`: for each sample in order, prediction = 1 if w . x + b >= 0 else 0, then
w <- w + eta (y - prediction) x and b <- b + eta (y - prediction). No autograd: the rule is not
a gradient method. It computes in X's dtype (float64, or float32 for a float32 run).
"""

from __future__ import annotations

import numpy as np
import torch

from scratch.errors import NonFiniteError
from scratch.perceptron import check_fit_arguments
from scratch.validation import all_finite, check_count, check_learning_rate


def perceptron_updates(
    X: np.ndarray,
    y: np.ndarray,
    eta: float,
    max_epochs: int,
    w0: np.ndarray | None = None,
    b0: float = 0.0,
) -> np.ndarray:
    """Run the rule on X (n, d), y (n,) of 0/1; one row per visited sample, as
    `scratch.Perceptron.updates_`: (epoch, index, prediction, error, w after..., b after).
    The arguments are checked as `scratch.Perceptron` checks them (`check_fit_arguments`)."""
    w0, b0 = check_fit_arguments(X, y, w0, b0)
    eta = check_learning_rate(eta, "eta")
    max_epochs = check_count("max_epochs", max_epochs, minimum=1)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    Xt = torch.tensor(X, dtype=dtype)
    w = torch.tensor(w0, dtype=dtype)
    b = torch.tensor(b0, dtype=dtype)
    rows = []
    for epoch in range(max_epochs):
        wrong = 0
        for i in range(Xt.shape[0]):
            prediction = torch.heaviside(torch.dot(Xt[i], w) + b, torch.tensor(1.0, dtype=dtype))
            error = float(y[i]) - prediction
            w = w + eta * error * Xt[i]
            b = b + eta * error
            wrong += int(error.item() != 0)
            rows.append(
                torch.cat([torch.tensor([epoch, i, prediction, error], dtype=dtype), w, b[None]])
            )
        if wrong == 0:
            break
    updates = torch.stack(rows).numpy()
    if not all_finite(updates):
        raise NonFiniteError(f"the perceptron's w or b overflowed (eta={eta})")
    return updates
