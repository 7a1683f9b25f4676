"""The mutant catalogue: ports that each carry one bug real backprop code has.

Each mutant is the scratch port with one idea changed, patched in for as long as the mutant
runs (and undone after). The bug is planted wherever scratch computes that idea: in the plain
path (`scratch.network`, `scratch.dense`, `scratch.activations`, `scratch.losses`) and in its
buffered twin `scratch.fast`, which the golden runner uses for the steps it records lightly.
A few live in the fast path alone (`fast-ignores-maximize`, `fast-ignores-freeze-biases`): the
golden runner and the fuzz reach it through the steps they record lightly (cost and output only).

The suite must reject every one of them by a wrong value (a crash, a hang or bad output does not
count): `pytest conformance` asserts it, and `python -m conformance.ports mutants` prints the
catalogue with the case, step and tensor that catch each, the size of the error, and the
detection rate. As a port command: `python -m conformance.ports.mutants NAME`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import SimpleNamespace
from unittest import mock

import numpy as np

import scratch.activations as activations
import scratch.fast as fast
import scratch.losses as losses
import scratch.network as network
import scratch.perceptron as perceptron
import scratch.trace as trace
from conformance.golden import runner as golden_runner
from conformance.ports import scratch_port
from conformance.ports.protocol import serve
from scratch.params import Gradients


@dataclass(frozen=True)
class Mutant:
    """name: a short id; bug: the one planted idea, as a reviewer would describe it."""

    name: str
    bug: str
    patch: Callable[[], contextlib.AbstractContextManager]

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        with self.patch():
            yield


def _all(
    *patches: Callable[[], contextlib.AbstractContextManager],
) -> Callable[[], contextlib.AbstractContextManager]:
    """Every patch at once."""

    def patch():
        stack = contextlib.ExitStack()
        for p in patches:
            stack.enter_context(p())
        return stack

    return patch


def _without(table: dict, name: str) -> Callable[[], contextlib.AbstractContextManager]:
    """`table` without the entry `name`, for as long as the patch lasts."""
    return lambda: mock.patch.dict(table, {k: v for k, v in table.items() if k != name}, clear=True)


def _activation(name: str, **changes) -> Callable[[], contextlib.AbstractContextManager]:
    """The activation `name` with `changes` (fn, grad); the fast path's in-place variants of it
    are taken away, so that both paths run the changed functions."""

    def registry():
        return mock.patch.dict(
            activations.ACTIVATIONS, {name: replace(activations.ACTIVATIONS[name], **changes)}
        )

    return _all(registry, _without(fast._FORWARD_INTO, name), _without(fast._BACKWARD_INTO, name))


def _mse(fn=None, grad=None) -> Callable[[], contextlib.AbstractContextManager]:
    def patch():
        mse = losses.LOSSES["mse"]
        new = replace(mse, fn=fn or mse.fn, grad=grad or mse.grad)
        return mock.patch.dict(losses.LOSSES, {"mse": new})

    return patch


def _attr(target: str, new: object) -> Callable[[], contextlib.AbstractContextManager]:
    return lambda: mock.patch(target, new)


def _divisor(
    target: str, wrong: Callable[[str, int, int, int], int]
) -> Callable[[], contextlib.AbstractContextManager]:
    """`scratch.losses.divisor` for the loss `target` replaced by `wrong(reduction, n, k,
    right)`: the cost and every gradient of that loss (dC/dA, and cross-entropy's fused
    dC/dZ), in both paths, divide by it. The arguments are still checked as before."""

    def divisor(reduction, A, Y, *, loss: str = "mse", names: str = "AY") -> int:
        right = _ORIGINAL_DIVISOR(reduction, A, Y, loss=loss, names=names)
        return wrong(reduction, *A.shape, right) if loss == target else right

    return _attr("scratch.losses.divisor", divisor)


def _dense_backward(bug: Callable) -> Callable[[], contextlib.AbstractContextManager]:
    """`bug` as `scratch.dense.dense_backward` in the plain path and, with dA_prev written into
    the work buffer, as `_dense_backward_into` in the fast path."""

    def into(dZ, A_prev, W, has_bias, out):
        dW, db, dA_prev = bug(dZ, A_prev, W, has_bias)
        if out is not None:
            np.copyto(out, dA_prev)
        return dW, db, out

    return _all(
        _attr("scratch.network.dense_backward", bug),
        _attr("scratch.fast._dense_backward_into", into),
    )


# -- the bugs ----------------------------------------------------------------------------------
def _dense_backward_transposed(dZ, A_prev, W, has_bias):
    dW, db, _ = _ORIGINAL_DENSE_BACKWARD(dZ, A_prev, W, has_bias)
    return dW, db, dZ @ W.T  # W^T used where W belongs in this layout


def _dense_backward_first_row(dZ, A_prev, W, has_bias):
    dW, _, dA_prev = _ORIGINAL_DENSE_BACKWARD(dZ, A_prev, W, has_bias)
    return dW, (dZ[0].copy() if has_bias else None), dA_prev  # one sample, not the batch sum


def _softmax_unshifted(Z):
    E = np.exp(Z)  # no row-max subtraction: overflows for large logits
    return E / E.sum(axis=1, keepdims=True)


def _step_with_sign_flipped(self, lr, grads, *, maximize=False, **kw):
    return _ORIGINAL_STEP(self, lr, grads, maximize=not maximize, **kw)


def _step_into_with_sign_flipped(params, dW, db, lr, maximize, freeze_biases):
    return _ORIGINAL_STEP_INTO(params, dW, db, lr, not maximize, freeze_biases)


def _step_bias_lr_doubled(self, lr, grads, **kw):
    doubled = [None if db is None else 2 * db for db in grads.db]  # b - lr (2 db)
    return _ORIGINAL_STEP(self, lr, Gradients.adopt(grads.dW, doubled), **kw)


def _step_into_bias_lr_doubled(params, dW, db, lr, maximize, freeze_biases):
    for g in db:
        if g is not None:
            g *= 2  # the fast path's own fresh gradient, updated in place next
    return _ORIGINAL_STEP_INTO(params, dW, db, lr, maximize, freeze_biases)


def _train_cost_after_update(self, X, Y, lr, steps, **kw):
    history = _ORIGINAL_TRAIN(self, X, Y, lr, steps, **kw)
    records = []
    for r in history.records:
        probe = network.Network(self.spec, r.after)
        records.append(replace(r, cost=probe.cost(probe.forward(X), Y)))  # after, not before
    return replace(history, records=tuple(records))


class _Float32Network(network.Network):
    """Computes in float32 throughout (inputs, parameters, accumulations)."""

    def __init__(self, spec, params):
        super().__init__(spec, params.astype(np.float32))

    def train(self, X, Y, lr, steps, **kw):
        return super().train(X.astype(np.float32), Y.astype(np.float32), lr, steps, **kw)

    def predict(self, X):
        return super().predict(X.astype(np.float32))


def _forward_backward_output_mean(self, X, Y, *, objective="cost"):
    if objective != "output":
        return _ORIGINAL_FORWARD_BACKWARD(self, X, Y, objective=objective)
    cache = self.forward(X)
    cost = self.cost(cache, Y)
    dA_L = np.full_like(cache.output, 1 / cache.output.shape[0])  # the mean over samples, not 1
    grads, deltas = self.backprop(cache, dA_L, None)
    return cache, cost, grads, deltas


def _fast_step_output_mean(self, params, X, Y, lr, *, objective="cost", **kw):
    if objective == "output":  # every gradient is linear in dA(L): dA(L) = 1/n is lr/n
        lr = lr / X.shape[0]
    return _ORIGINAL_FAST_STEP(self, params, X, Y, lr, objective=objective, **kw)


def _fast_step_into(
    **fixed: bool,
) -> Callable[[], contextlib.AbstractContextManager]:
    """The fast path's update (`scratch.fast._step_into`) with the flags in `fixed` (maximize,
    freeze_biases) forced to the given values, whatever the caller asked for."""

    def step_into(params, dW, db, lr, maximize, freeze_biases):
        flags = {"maximize": maximize, "freeze_biases": freeze_biases, **fixed}
        return _ORIGINAL_STEP_INTO(params, dW, db, lr, flags["maximize"], flags["freeze_biases"])

    return _attr("scratch.fast._step_into", step_into)


_SIGNED_LR: list[float] = []
"""The step of each training call under way (innermost last): lr, or -lr with `maximize`, the
factor of dW in W <- W - factor dW. Read by `_dense_backward_updated_W`."""


def _remembering_lr(original: Callable) -> Callable:
    """`original` (`Network.train` or `train_step`) that keeps its signed lr in `_SIGNED_LR`
    while it runs."""

    def train(self, X, Y, lr, *args, **kw):
        _SIGNED_LR.append(-lr if kw.get("maximize") else lr)
        try:
            return original(self, X, Y, lr, *args, **kw)
        finally:
            _SIGNED_LR.pop()

    return train


def _dense_backward_updated_W(dZ, A_prev, W, has_bias):
    dW, db, dA_prev = _ORIGINAL_DENSE_BACKWARD(dZ, A_prev, W, has_bias)
    if _SIGNED_LR:  # W(l) updated first, then the error passed back through the new W(l)
        dA_prev = dZ @ (W - _SIGNED_LR[-1] * dW)
    return dW, db, dA_prev


def _softmax_backward_batch_sum(dA, Z, A):
    inner = (dA * A).sum()  # <dA, a> over the whole batch, not row by row (axis 1)
    return (dA - inner) * A


def _softmax_backward_into_batch_sum(act, dA, Z, A):
    inner = (dA * A).sum()  # the same bug, written over dA as the fast path does
    dA -= inner
    dA *= A
    return dA


def _dense_forward_first_row(A_prev, W, b):
    Z = A_prev @ W.T
    if b is not None:
        Z[0] += b  # the first sample only, not every row
    return Z


def _dense_forward_into_first_row(A_prev, W, b, out):
    Z = np.matmul(A_prev, W.T, out=out)
    if b is not None:
        Z[0] += b
    return Z


def _sigmoid_negative_branch(Z):
    e = np.exp(-np.abs(Z))
    # z < 0 takes the z >= 0 branch's formula: sigma(|z|) = 1 - sigma(z), not e / (1 + e)
    return np.where(Z >= 0, 1 / (1 + e), 1 / (1 + e))


def _named_in_layout_dW_reshaped(layout, W, b, **names):
    out = _ORIGINAL_NAMED_IN_LAYOUT(layout, W, b, **names)
    if layout == "t3" and names.get("w_name") == "dW":
        for l, dW in enumerate(W, start=1):
            out[f"dW{l}"] = dW.reshape(dW.shape[::-1]).copy()  # not dW.T: the right shape only
    return out


def _step_twice(self, lr, grads, **kw):
    _ORIGINAL_STEP(self, lr, grads, **kw)
    return _ORIGINAL_STEP(self, lr, grads, **kw)  # again, from the parameters just made


def _step_into_twice(params, dW, db, lr, maximize, freeze_biases):
    again = [g.copy() for g in dW], [None if g is None else g.copy() for g in db]
    W, b = _ORIGINAL_STEP_INTO(params, dW, db, lr, maximize, freeze_biases)
    return _ORIGINAL_STEP_INTO(SimpleNamespace(W=W, b=b), *again, lr, maximize, freeze_biases)


def _epochs(fitted: perceptron.Perceptron, keep: int) -> perceptron.Perceptron:
    """`fitted` cut to its first `keep` epochs (`updates_`, `errors_` and what follows)."""
    fitted.updates_ = fitted.updates_[fitted.updates_[:, 0] < keep]
    fitted.errors_ = fitted.errors_[:keep]
    fitted.w_, fitted.b_ = fitted.updates_[-1, 4:-1], float(fitted.updates_[-1, -1])
    fitted.converged_ = fitted.errors_[-1] == 0
    return fitted


def _fit_one_epoch_short(self, X, y, w0=None, b0=0.0):
    fitted = _ORIGINAL_FIT(self, X, y, w0, b0)
    epochs = len(fitted.errors_)
    return _epochs(fitted, epochs - 1) if epochs > 1 else fitted  # stops an epoch early


def _fit_one_epoch_past(self, X, y, w0=None, b0=0.0):
    fitted = _ORIGINAL_FIT(self, X, y, w0, b0)
    epochs = len(fitted.errors_)
    if fitted.converged_ and epochs < self.max_epochs:
        # One more epoch after the error-free one; it repeats that epoch exactly (same w and b,
        # so the same predictions and no update), numbered one higher.
        again = fitted.updates_[fitted.updates_[:, 0] == epochs - 1].copy()
        again[:, 0] = epochs
        fitted.updates_ = np.concatenate([fitted.updates_, again])
        fitted.errors_ = np.append(fitted.errors_, 0)
    return fitted


def _t2_erratum_grad(A, Y, reduction):
    if reduction == "element_mean":
        return (A - Y) / A.shape[0]  # T2's printed derivative: divides by n, not by n*k
    return losses.mse_grad(A, Y, reduction)


_ORIGINAL_DENSE_BACKWARD = network.dense_backward
_ORIGINAL_DIVISOR = losses.divisor
_ORIGINAL_NAMED_IN_LAYOUT = trace.named_in_layout
_ORIGINAL_TRAIN_STEP = network.Network.train_step
_ORIGINAL_STEP = network.Network.step
_ORIGINAL_STEP_INTO = fast._step_into
_ORIGINAL_TRAIN = network.Network.train
_ORIGINAL_FORWARD_BACKWARD = network.Network.forward_backward
_ORIGINAL_FAST_STEP = fast.FastPath.step
_ORIGINAL_FIT = perceptron.Perceptron.fit


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in [
        Mutant(
            "mse-grad-missing-1-over-n",
            "the MSE gradient is A - Y, without dividing by n (or n*k)",
            _mse(grad=lambda A, Y, r: A - Y),
        ),
        Mutant(
            "W-where-WT-belongs",
            "dA(l-1) = dZ(l) W where dZ(l) W^T belongs, for W in x out as in T2 and T3 (in the "
            "internal out x in layout: dZ W^T instead of dZ W)",
            _dense_backward(_dense_backward_transposed),
        ),
        Mutant(
            "relu-grad-1-at-0",
            "relu'(0) = 1 (z >= 0) instead of the tutorials' 0",
            _activation("relu", grad=lambda Z, A: (Z >= 0).astype(Z.dtype)),
        ),
        Mutant(
            "db-not-summed",
            "the bias gradient is the first sample's dZ, not summed over the batch",
            _dense_backward(_dense_backward_first_row),
        ),
        Mutant(
            "softmax-no-max-shift",
            "softmax exponentiates Z without subtracting the row max",
            _activation("softmax", fn=_softmax_unshifted),
        ),
        Mutant(
            "update-plus",
            "the update adds the gradient: W + lr dW instead of W - lr dW",
            _all(
                _attr("scratch.network.Network.step", _step_with_sign_flipped),
                _attr("scratch.fast._step_into", _step_into_with_sign_flipped),
            ),
        ),
        Mutant(
            "cost-after-update",
            "the cost is recorded after the update instead of before it",
            _attr("scratch.network.Network.train", _train_cost_after_update),
        ),
        Mutant(
            "tanh-grad-from-Z",
            "tanh'(z) computed as 1 - z^2 from Z instead of 1 - A^2",
            _activation("tanh", grad=lambda Z, A: 1 - Z * Z),
        ),
        Mutant(
            "ce-missing-1-over-n",
            "cross-entropy and its gradients without the 1/n",
            _divisor("cross_entropy", lambda r, n, k, right: 1),
        ),
        Mutant(
            "mse-1-over-n",
            "MSE = 1/n sum (A - Y)^2 (gradient 2 (A - Y)/n) instead of 1/(2n)",
            _mse(
                fn=lambda A, Y, r: 2 * losses.mse(A, Y, r),
                grad=lambda A, Y, r: 2 * losses.mse_grad(A, Y, r),
            ),
        ),
        Mutant(
            "t2-erratum",
            "T2's stated derivative: (A - Y)/n for its loss mean((A - Y)^2)/2",
            _mse(grad=_t2_erratum_grad),
        ),
        Mutant(
            "bias-lr-doubled",
            "the biases are updated with twice the learning rate",
            _all(
                _attr("scratch.network.Network.step", _step_bias_lr_doubled),
                _attr("scratch.fast._step_into", _step_into_bias_lr_doubled),
            ),
        ),
        Mutant(
            "float32",
            "everything is computed in float32",
            _attr("conformance.golden.runner.Network", _Float32Network),
        ),
        Mutant(
            "sigmoid-grad-missing-1-minus-A",
            "sigma'(z) computed as A instead of A (1 - A)",
            _activation("sigmoid", grad=lambda Z, A: A.copy()),
        ),
        Mutant(
            "perceptron-strict-threshold",
            "the perceptron's step is 1 only for z > 0 (0 at z = 0)",
            _attr("scratch.perceptron.step", lambda Z: (Z > 0).astype(Z.dtype)),
        ),
        Mutant(
            "output-objective-mean",
            "objective 'output' averaged over the samples: dA(L) = 1/n instead of 1",
            _all(
                _attr("scratch.network.Network.forward_backward", _forward_backward_output_mean),
                _attr("scratch.fast.FastPath.step", _fast_step_output_mean),
            ),
        ),
        Mutant(
            "perceptron-stops-early",
            "the perceptron stops one epoch before the error-free one (or before max_epochs)",
            _attr("scratch.perceptron.Perceptron.fit", _fit_one_epoch_short),
        ),
        Mutant(
            "perceptron-runs-past",
            "the perceptron runs one epoch past the error-free one",
            _attr("scratch.perceptron.Perceptron.fit", _fit_one_epoch_past),
        ),
        Mutant(
            "fast-ignores-maximize",
            "the fast path (unrecorded train, train_step) descends when maximize asks to ascend",
            _fast_step_into(maximize=False),
        ),
        Mutant(
            "fast-ignores-freeze-biases",
            "the fast path (unrecorded train, train_step) moves the biases freeze_biases keeps",
            _fast_step_into(freeze_biases=False),
        ),
        Mutant(
            "backprop-through-updated-W",
            "each layer's W is updated before the error is passed back through it: "
            "dA(l-1) = dZ(l) W(l)_new",
            _all(
                _attr("scratch.network.Network.train", _remembering_lr(_ORIGINAL_TRAIN)),
                _attr("scratch.network.Network.train_step", _remembering_lr(_ORIGINAL_TRAIN_STEP)),
                _dense_backward(_dense_backward_updated_W),
            ),
        ),
        Mutant(
            "softmax-backward-batch-sum",
            "softmax's backward product <dA, a> summed over the whole batch instead of each row "
            "(right only for n = 1)",
            _all(
                _attr("scratch.activations.softmax_backward", _softmax_backward_batch_sum),
                lambda: mock.patch.dict(
                    fast._BACKWARD_INTO, {"softmax": _softmax_backward_into_batch_sum}
                ),
            ),
        ),
        Mutant(
            "mse-divisor-max-n-k",
            "MSE and its gradient divided by max(n, k), the longer side of A, whatever the "
            "reduction",
            _divisor("mse", lambda r, n, k, right: max(n, k)),
        ),
        Mutant(
            "bias-first-row-only",
            "the forward pass adds b to the first sample's Z only, not to every row",
            _all(
                _attr("scratch.network.dense_forward", _dense_forward_first_row),
                _attr("scratch.fast._dense_forward_into", _dense_forward_into_first_row),
            ),
        ),
        Mutant(
            "sigmoid-negative-branch",
            "the stable sigmoid's z < 0 branch uses the z >= 0 formula 1/(1 + e^-|z|): "
            "sigma(|z|) = 1 - sigma(z)",
            _activation("sigmoid", fn=_sigmoid_negative_branch),
        ),
        Mutant(
            "ce-sum-divided-by-n",
            "cross-entropy and its gradients divided by n under reduction sum",
            _divisor("cross_entropy", lambda r, n, k, right: n if r == "sum" else right),
        ),
        Mutant(
            "t3-dW-reshaped",
            "dW handed to T3's (n_in, n_out) layout by reshaping the internal (n_out, n_in) "
            "array instead of transposing it: the right shape, transposed values",
            _attr("scratch.trace.named_in_layout", _named_in_layout_dW_reshaped),
        ),
        Mutant(
            "step-applied-twice",
            "each step's update is applied twice: W - lr dW - lr dW",
            _all(
                _attr("scratch.network.Network.step", _step_twice),
                _attr("scratch.fast._step_into", _step_into_twice),
            ),
        ),
    ]
}

assert golden_runner.Network is network.Network  # the float32 mutant patches this name


def main(argv: list[str]) -> None:
    if len(argv) != 1 or argv[0] not in MUTANTS:
        sys.exit(f"usage: python -m conformance.ports.mutants NAME; names: {', '.join(MUTANTS)}")
    with MUTANTS[argv[0]].applied():
        serve(scratch_port.solve)


if __name__ == "__main__":
    main(sys.argv[1:])
