"""Every golden network case's training, against the plainest torch loop (`golden.torch_loop`:
`nn.Sequential`, the cost in torch operations, `backward()`, `torch.optim.SGD` with the case's
options, one step per batch), sharing no code with scratch or `reference.TorchMLP`.

Each recorded cost, output, parameter after a step and velocity (`vW<l>`, `vb<l>`) must equal
the torch loop's within the float64 tolerance: the optimizer cases and the mini-batch cases
(`S-sgd-*`, `S-mini-batch-partial`, `S-digits-64-32-10`) were confirmed by it before they
were written (`python -m conformance.golden.sgd_cases`), and the tutorials' plain descent
is the same loop with the default options.
"""

from __future__ import annotations

import pytest

from conformance.compare import assert_close
from conformance.golden.tensors import trajectory_arrays
from conformance.golden.torch_loop import torch_loop
from conformance.tests.inputs import golden_cases
from conformance.tolerances import FLOAT64

NETWORKS = [
    pytest.param(
        case, id=case.id, marks=[pytest.mark.long] * (case.meta["training"]["steps"] > 100)
    )
    for case in golden_cases()
    if case.kind == "network"
]
"""Every network case; T4-sigmoid-1000's 1000 plain steps (0.6 s) only under --long."""


@pytest.mark.parametrize("case", NETWORKS)
def test_a_plain_torch_optim_sgd_loop_reproduces_the_case(case):
    loop = torch_loop(case)
    names = {name for _, name in loop}
    frame = case.expected[case.expected["tensor"].isin(names)]  # what the loop records only
    expected = trajectory_arrays(case.path, frame)
    checked = 0
    for (step, name), theirs in loop.items():
        if (step, name) in expected:
            assert_close(expected[step, name], theirs, FLOAT64, f"{case.id}/step{step}/{name}")
            checked += 1
    assert checked, f"{case.id}: no recorded value of the torch loop's kinds"
