"""Scratch against reference over the configuration matrix, tensor by tensor, step by step.

Both start from the same `Params` and the same data. At each of the first `STEPS` steps the
forward pass (every Z and A), the cost, the gradients (scratch's backprop against autograd) and
the parameters after the update (scratch's W - lr dW against `torch.optim.SGD`) must agree
within the dtype's tolerance (`conformance.tolerances`): one test per configuration, whose
message names every step and tensor that disagrees (`config/step3/dW2: max abs err ...`). The
backward pass's intermediates (dA, dZ and f'(Z) of every layer) are compared too, in one test
per configuration whose message names the step and tensor of the first disagreement.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.matrix import (
    STEPS,
    build_matrix,
    by_step,
    delta_names,
    initial_params,
    make_data,
    run_pair,
    tensor_names,
)
from conformance.tolerances import BY_DTYPE, FLOAT32
from reference import TorchMLP
from scratch import Network

CONFIGS = build_matrix()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.id)
def test_scratch_matches_reference(config):
    ours, theirs = map(by_step, run_pair(config))
    tol = BY_DTYPE[np.dtype(config.dtype)]
    names = tensor_names(config)
    disagreements = []
    for step in range(STEPS):
        for name in names:
            what = f"{config.id}/step{step}/{name}"
            try:
                assert_close(ours[step][name], theirs[step][name], tol, what)
            except AssertionError as failure:
                disagreements.append(str(failure))
    assert not disagreements, (
        f"{len(disagreements)} of {STEPS * len(names)} (step, tensor) pairs disagree:\n"
        + "\n".join(disagreements)
    )


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.id}/deltas")
def test_backward_intermediates_match(config):
    ours, theirs = map(by_step, run_pair(config))
    tol = BY_DTYPE[np.dtype(config.dtype)]
    for step in range(STEPS):
        for name in delta_names(config):
            what = f"{config.id}/step{step}/{name}"
            assert_close(ours[step][name], theirs[step][name], tol, what)


@pytest.mark.parametrize(
    "config", [c for c in CONFIGS if c.dtype is np.float32], ids=lambda c: c.id
)
def test_float32_run_stays_within_its_bound_of_float64(config):
    # scratch in float32 against reference in float64, from the same (float32-exact) weights and
    # data: the float32 bound of conformance/tolerances.py holds against the float64 truth too.
    X, Y = make_data(config)
    params = initial_params(config)
    ours = by_step(Network(config.spec, params).train(X, Y, config.lr, STEPS, record=True))
    truth = by_step(
        TorchMLP(config.spec, params.astype(np.float64), dtype=torch.float64, device="cpu").train(
            X.astype(np.float64), Y.astype(np.float64), config.lr, STEPS, record=True
        )
    )
    for step in range(STEPS):
        for name in tensor_names(config):
            assert ours[step][name].dtype == np.float32 or name == "cost"
            what = f"{config.id}/step{step}/{name} (float32 vs float64)"
            assert_close(ours[step][name], truth[step][name], FLOAT32, what)
