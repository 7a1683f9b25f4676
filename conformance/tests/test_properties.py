"""Random architectures (Hypothesis): scratch's gradients equal autograd's, and 3 steps agree.

Depth 1-4, widths 1-8, batch 1-16, every activation in every position where it is defined
(softmax needs 2 units or more), every loss and reduction, random seeds for weights and data,
and `torch.optim.SGD`'s options (momentum, dampening, nesterov, weight decay, maximize; the
velocities compared after every step).
At least 200 examples per run, the same ones every run (`derandomize`: a CI run is
reproducible); Hypothesis's example database is off, so nothing is written to the repository
(and .hypothesis/ is git-ignored in any case).

A run that blows up is left out (`GROWTH`): gradient ascent on an unbounded loss (maximize with
MSE), helped by momentum, can take the parameters from about 1 to 1e10 in three steps. Its sums
then cancel terms many orders larger than their result, and two correct implementations that
add in different orders differ by far more than 1e-10 of the result (found by a random seed:
dW1 of 2.8e11 apart by 5e-9 relative). The bound here is for a run of ordinary magnitude.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conformance.compare import assert_close
from conformance.ports.generated import COSTS, HIDDEN
from conformance.tolerances import Tolerance
from reference import TorchMLP
from scratch import Network, NetworkSpec, init_standard_normal
from scratch.optim import SGD

GRADIENTS = Tolerance("hypothesis float64", rtol=1e-10, atol_scale=1e-10)
GROWTH = 1e4
"""The largest parameter a compared run may reach (it starts within a few units)."""
ACTIVATIONS = HIDDEN  # every activation, in every position where it is defined


@st.composite
def configurations(draw):
    depth = draw(st.integers(1, 4))
    loss, reduction = draw(st.sampled_from(COSTS))
    sizes = [draw(st.integers(1, 8))]
    activations = []
    for layer in range(depth):
        output = layer == depth - 1
        if output and loss == "cross_entropy":
            name = "softmax"
        else:
            name = draw(st.sampled_from(ACTIVATIONS))
        sizes.append(draw(st.integers(2 if name == "softmax" else 1, 8)))
        activations.append(name)
    spec = NetworkSpec(tuple(sizes), tuple(activations), loss, reduction, draw(st.booleans()))
    n = draw(st.integers(1, 16))
    seed = draw(st.integers(0, 2**32 - 1))
    momentum = draw(st.sampled_from((0.0, 0.5, 0.9)))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from((0.0, 0.25)))
    weight_decay = draw(st.sampled_from((0.0, 0.01)))
    sgd = SGD(momentum, dampening, nesterov, weight_decay)
    return spec, n, seed, sgd, draw(st.booleans())


def data_for(spec: NetworkSpec, n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, spec.sizes[0]))
    k = spec.sizes[-1]
    Y = np.eye(k)[rng.integers(0, k, n)] if spec.loss == "cross_entropy" else rng.random((n, k))
    scale = float(rng.uniform(0.1, 1.5))
    return X, Y, init_standard_normal(spec.sizes, seed, scale=scale, bias=spec.bias)


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(configurations())
def test_random_architecture_matches_autograd_for_3_steps(configuration):
    spec, n, seed, sgd, maximize = configuration
    X, Y, params = data_for(spec, n, seed)
    lr = 0.05 / n if spec.reduction == "sum" else 0.05
    options = {"record": True, "optimizer": sgd, "maximize": maximize}
    ours = Network(spec, params).train(X, Y, lr, 3, **options)
    largest = max(np.abs(v).max() for r in ours.records for v in r.after.arrays().values())
    assume(largest <= GROWTH)
    theirs = TorchMLP(spec, params, device="cpu").train(X, Y, lr, 3, **options)
    for step, (a, b) in enumerate(zip(ours.records, theirs.records, strict=True)):
        where = f"{spec}, n={n}, seed={seed}, {sgd}, maximize={maximize}, step {step}"
        for name, grad in a.grads.arrays().items():
            assert_close(grad, b.grads.arrays()[name], GRADIENTS, f"{where}: {name}")
        for name, value in a.after.arrays().items():
            assert_close(value, b.after.arrays()[name], GRADIENTS, f"{where}: {name} after")
        assert (a.velocity is None) == (sgd.momentum == 0) == (b.velocity is None), where
        if a.velocity is not None:
            for name, v in a.velocity.arrays().items():
                assert_close(v, b.velocity.arrays()[name], GRADIENTS, f"{where}: {name}")
