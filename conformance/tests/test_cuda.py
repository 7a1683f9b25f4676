"""The reference on a CUDA GPU agrees with scratch as on the CPU. Skipped cleanly without a GPU.

Run only these with `pytest conformance -m cuda`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.matrix import STEPS, build_matrix, by_step, initial_params, run_pair, tensor_names
from conformance.tolerances import BY_DTYPE
from reference import TorchMLP, default_device

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]

# One configuration of each cost, and the float32 ones.
CONFIGS = [
    c for c in build_matrix() if c.spec.sizes == (4, 5, 3) and c.spec.activations[0] == "tanh"
]


def test_default_device_is_cuda():
    assert default_device().type == "cuda"


def test_a_model_made_for_cuda_holds_its_parameters_there():
    config = CONFIGS[0]
    model = TorchMLP(config.spec, initial_params(config), device="cuda")
    assert all(p.is_cuda for p in model.parameters())


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.id)
def test_cuda_reference_matches_scratch(config):
    ours, theirs = map(by_step, run_pair(config, "cuda"))
    tol = BY_DTYPE[np.dtype(config.dtype)]
    for step in range(STEPS):
        for name in tensor_names(config):
            what = f"cuda/{config.id}/step{step}/{name}"
            assert_close(ours[step][name], theirs[step][name], tol, what)
