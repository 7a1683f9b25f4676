"""The mutant catalogue: ports that each carry one bug real backprop code has.

Each mutant is the scratch port with one idea changed, patched in for as long as the mutant
runs (and undone after). The suite must reject every one of them: `pytest conformance` asserts
it, and `python -m conformance.ports mutants` prints the catalogue with the case that catches
each and the detection rate. As a port command: `python -m conformance.ports.mutants NAME`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from unittest import mock

import numpy as np

import scratch.activations as activations
import scratch.losses as losses
import scratch.network as network
from conformance.golden import runner as golden_runner
from conformance.ports import scratch_port
from conformance.ports.protocol import serve


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


def _activation(name: str, **changes) -> Callable[[], contextlib.AbstractContextManager]:
    def patch():
        return mock.patch.dict(
            activations.ACTIVATIONS, {name: replace(activations.ACTIVATIONS[name], **changes)}
        )

    return patch


def _mse(fn=None, grad=None) -> Callable[[], contextlib.AbstractContextManager]:
    def patch():
        mse = losses.LOSSES["mse"]
        new = replace(mse, fn=fn or mse.fn, grad=grad or mse.grad)
        return mock.patch.dict(losses.LOSSES, {"mse": new})

    return patch


def _attr(target: str, new: object) -> Callable[[], contextlib.AbstractContextManager]:
    return lambda: mock.patch(target, new)


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


def _step_with_sign_flipped(self, lr, grads, *, maximize=False, freeze_biases=False):
    return _ORIGINAL_STEP(self, lr, grads, maximize=not maximize, freeze_biases=freeze_biases)


def _step_bias_lr_doubled(self, lr, grads, *, maximize=False, freeze_biases=False):
    from scratch.params import Params

    new = _ORIGINAL_STEP(self, lr, grads, maximize=maximize, freeze_biases=freeze_biases)
    if not self.spec.bias or freeze_biases:
        return new
    sign = 1 if maximize else -1
    b = [
        b_old + 2 * sign * lr * db for b_old, db in zip(self._before_step.b, grads.db, strict=True)
    ]
    self.params = Params(new.W, b)
    return self.params


def _remember_params(step):
    def wrapped(self, lr, grads, **kw):
        self._before_step = self.params
        return step(self, lr, grads, **kw)

    return wrapped


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


def _t2_erratum_grad(A, Y, reduction):
    if reduction == "element_mean":
        return (A - Y) / A.shape[0]  # T2's printed derivative: divides by n, not by n*k
    return losses.mse_grad(A, Y, reduction)


def _ce_without_divisor():
    stack = contextlib.ExitStack()
    stack.enter_context(
        mock.patch.object(
            network,
            "softmax_cross_entropy",
            lambda Z, Y, r: float(-(Y * losses.log_softmax(Z)).sum()),
        )
    )
    stack.enter_context(
        mock.patch.object(network, "softmax_cross_entropy_grad", lambda P, Y, r: P - Y)
    )
    return stack


_ORIGINAL_DENSE_BACKWARD = network.dense_backward
_ORIGINAL_STEP = network.Network.step
_ORIGINAL_TRAIN = network.Network.train


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
            "the backward pass multiplies dZ by W^T where this layout needs W",
            _attr("scratch.network.dense_backward", _dense_backward_transposed),
        ),
        Mutant(
            "relu-grad-1-at-0",
            "relu'(0) = 1 (z >= 0) instead of the tutorials' 0",
            _activation("relu", grad=lambda Z, A: (Z >= 0).astype(Z.dtype), vjp=None),
        ),
        Mutant(
            "db-not-summed",
            "the bias gradient is the first sample's dZ, not summed over the batch",
            _attr("scratch.network.dense_backward", _dense_backward_first_row),
        ),
        Mutant(
            "softmax-no-max-shift",
            "softmax exponentiates Z without subtracting the row max",
            _activation("softmax", fn=_softmax_unshifted),
        ),
        Mutant(
            "update-plus",
            "the update adds the gradient: W + lr dW instead of W - lr dW",
            _attr("scratch.network.Network.step", _step_with_sign_flipped),
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
            "cross-entropy and its gradient without the 1/n",
            _ce_without_divisor,
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
            _attr("scratch.network.Network.step", _remember_params(_step_bias_lr_doubled)),
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
