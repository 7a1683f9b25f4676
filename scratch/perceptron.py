"""Rosenblatt's perceptron and its learning rule (T4), with a bias.

prediction = step(w . x + b), step(z) = 1 if z >= 0 else 0 (`scratch.activations.step`);
for each sample in order: w <- w + eta (y - prediction) x, b <- b + eta (y - prediction).
The rule is online (one sample at a time, each update seen by the next sample), so `fit` loops
over samples by design; it is not a gradient method and is not on any hot path.

Not for: multi-class problems or targets other than 0/1.
"""

from __future__ import annotations

import numpy as np

from scratch.activations import step
from scratch.errors import DTypeError, MLPInputError, NonFiniteError, NotFittedError, ShapeError
from scratch.validation import (
    all_finite,
    check_count,
    check_float_matrix,
    check_instance,
    check_learning_rate,
    check_real,
)


def check_fit_arguments(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray | None, b0: float
) -> tuple[np.ndarray, float]:
    """Check the perceptron's training arguments; return w0 as a (d,) array of X's dtype (zeros
    if None) and b0 as a float. X (n, d): finite floats; y (n,): only 0 and 1; w0 (d,): finite
    numbers; b0: a finite real number. Shared by `reference.perceptron`."""
    check_float_matrix("X", X)
    n, d = X.shape
    check_instance("y", y, np.ndarray, "a numpy.ndarray")
    if y.shape != (n,):
        raise ShapeError(f"y must have shape ({n},) to match X {X.shape}, got {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise MLPInputError(f"y must hold only 0 and 1, got values {np.unique(y).tolist()}")
    if w0 is None:
        w = np.zeros(d, dtype=X.dtype)
    else:
        if not isinstance(w0, np.ndarray) or w0.dtype.kind not in "fiu":
            got = w0.dtype if isinstance(w0, np.ndarray) else type(w0).__name__
            raise DTypeError(f"w0 must be a numpy.ndarray of numbers, got {got}")
        w = w0.astype(X.dtype)
        if w.shape != (d,):
            raise ShapeError(f"w0 must have shape ({d},) to match X {X.shape}, got {w.shape}")
        if not all_finite(w):
            raise MLPInputError(f"w0 contains NaN or Inf: {w0.tolist()}")
    return w, check_real("b0", b0)


class Perceptron:
    """A single threshold unit trained by the perceptron rule.

    After `fit`: `w_` (d,) weights, `b_` bias, `errors_` misclassifications per epoch,
    `updates_` one row per visited sample: (epoch, index, prediction, y - prediction, w..., b)
    with w and b *after* that sample's update, shape (visits, 5 + d); `converged_` is True when
    an epoch made no error (the rule then stops).
    """

    def __init__(self, eta: float = 0.1, max_epochs: int = 100):
        self.eta = check_learning_rate(eta, "eta")
        self.max_epochs = check_count("max_epochs", max_epochs, minimum=1)

    def __repr__(self) -> str:
        return f"Perceptron(eta={self.eta}, max_epochs={self.max_epochs})"

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        w0: np.ndarray | None = None,
        b0: float = 0.0,
    ) -> Perceptron:
        """Train on X (n, d) float and y (n,) of 0/1 from w0 (d,) (default zeros) and b0.

        Every argument is checked first (`check_fit_arguments`); a w or b that overflows to
        NaN or Inf raises `NonFiniteError`, and the model is then left as it was.
        """
        w, b = check_fit_arguments(X, y, w0, b0)
        n = X.shape[0]
        b = X.dtype.type(b)
        errors: list[int] = []
        updates: list[np.ndarray] = []
        for epoch in range(self.max_epochs):
            wrong = 0
            for i in range(n):
                prediction = step(np.array([X[i] @ w + b]))[0]
                error = X.dtype.type(y[i] - prediction)  # (an int y would make it float64)
                w = w + self.eta * error * X[i]
                b = b + self.eta * error
                wrong += int(error != 0)
                updates.append(np.concatenate(([epoch, i, prediction, error], w, [b])))
            errors.append(wrong)
            if wrong == 0:
                break
        updates_ = np.stack(updates)
        if not all_finite(updates_):
            raise NonFiniteError(f"the perceptron's w or b overflowed (eta={self.eta})")
        self.w_, self.b_ = w, float(b)
        self.errors_ = np.array(errors)
        self.updates_ = updates_
        self.converged_ = errors[-1] == 0
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """step(X w + b) for X (n, d): an (n,) array of 0.0 and 1.0. Needs `fit` first
        (`NotFittedError` otherwise)."""
        if not hasattr(self, "w_"):
            raise NotFittedError("this Perceptron is not fitted yet: call fit(X, y) before predict")
        check_float_matrix("X", X, columns=self.w_.shape[0])
        return step((X @ self.w_ + self.b_)[:, None])[:, 0]


def epoch_tensors(updates: np.ndarray) -> dict[int, dict[str, np.ndarray]]:
    """Split `Perceptron.updates_` (visits, 5 + d), columns (epoch, index, prediction, error,
    w..., b), into each epoch's tensors, for k visits in that epoch: prediction (k, 1), error
    (k, 1), w (k, d) and b (k, 1) after each visit, and errors (1, 1), the misclassified count.
    Epoch 0 also holds epochs (1, 1): how many epochs the run took (the last is the first
    error-free one, or the max_epochs-th). The same layout serves the reference's twin
    (`reference.perceptron.perceptron_updates`)."""
    d = updates.shape[1] - 5
    out: dict[int, dict[str, np.ndarray]] = {}
    for epoch in np.unique(updates[:, 0]).astype(int):
        U = updates[updates[:, 0] == epoch]
        out[int(epoch)] = {
            "prediction": U[:, 2:3],
            "error": U[:, 3:4],
            "w": U[:, 4 : 4 + d],
            "b": U[:, 4 + d : 5 + d],
            "errors": np.array([[np.count_nonzero(U[:, 3])]], dtype=np.float64),
        }
    out[0]["epochs"] = np.array([[len(out)]], dtype=np.float64)
    return out
