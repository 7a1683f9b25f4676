"""Data-parallel training (`reference.distributed`: DistributedDataParallel, gloo, 2 CPU
processes) against the single-process step, on golden cases.

Skipped, with the reason, where torch.distributed or its gloo backend is missing.
"""

from __future__ import annotations

import dataclasses
import multiprocessing

import pytest

from conformance.compare import assert_close
from conformance.distributed import check, job_of, main, single_process
from conformance.tests.inputs import golden_cases
from conformance.tolerances import FLOAT64
from reference.distributed import gloo_unavailable, train_data_parallel

REASON = gloo_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
CASES = {case.id: case for case in golden_cases()}


def test_two_ranks_step_as_one_process_in_mini_batches_with_a_partial_batch():
    # S-mini-batch-partial: batches of 2, 2, 1 samples; the batch of one leaves rank 1 none,
    # and each rank's loss is its share of the batch's mean (sample_mean), times 2
    outcome = check(CASES["S-mini-batch-partial"], world_size=2)
    assert outcome.steps == 6
    assert outcome.largest <= 1e-15, outcome


def test_ddp_divides_a_summed_loss_by_the_world_size():
    # S-sgd-dampening sums its cost over 3 samples. Unscaled, each rank's loss is its own sum
    # and DDP averages the two ranks' gradients: the first step is the single-process step at
    # lr / 2 (its first velocity is the gradient itself). Scaled by the world size, it is exact.
    case = CASES["S-sgd-dampening"]
    assert case.meta["network"]["reduction"] == "sum"
    job = job_of(case, sum_scaling=False, steps=1)
    (rank0, rank1) = train_data_parallel(job, 2)
    halved = single_process(dataclasses.replace(job, lr=job.lr / 2))
    for name, want in halved[0].items():
        assert_close(rank0[0][name], want, FLOAT64, f"unscaled sum, rank0/{name} vs lr/2")
        assert_close(rank1[0][name], want, FLOAT64, f"unscaled sum, rank1/{name} vs lr/2")
    with pytest.raises(AssertionError, match="rank0/step0"):
        check(case, 2, sum_scaling=False, steps=1)
    check(case, 2, sum_scaling=True)


def test_ranks_past_their_timeout_are_killed_and_named():
    # No rank finishes in a millisecond: each is killed, and nothing is left running.
    job = job_of(CASES["S-mini-batch-partial"])
    with pytest.raises(TimeoutError, match=r"within 0.001 s: rank\(s\) \[0, 1\] still running"):
        train_data_parallel(job, 2, timeout=0.001)
    assert multiprocessing.active_children() == []


def test_the_command_names_a_missing_case_without_a_traceback(capsys):
    assert main(["no-such-case"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-case" in err and "Traceback" not in err
