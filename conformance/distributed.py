"""`python -m conformance.distributed [--world-size W] CASE`: train a network case data-parallel
(`reference.distributed`: DistributedDataParallel, gloo, CPU) and assert that every rank's
parameters after every step equal the single-process step's (`reference.TorchMLP`, the same
batches) within the float64 tolerance.

Each step's batch (every row, or the case's mini-batch) is split across the ranks; see
`reference.distributed` for why each rank's loss is its share of the batch's cost times W.
`--no-sum-scaling` leaves a `sum` case's loss unscaled, the classic bug: DDP averages the
ranks' gradients, so each step is 1/W of the single-process one, and the check fails.

Not for: objective `output` (DDP's averaging would need the same scaling of a sum of outputs;
refused), perceptron or init cases.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from conformance.compare import assert_close
from conformance.golden.cases import DATA, Case, load_case
from conformance.golden.runner import batches, training_options
from conformance.tolerances import FLOAT64
from reference import TorchMLP
from reference.distributed import Job, gloo_unavailable, train_data_parallel
from scratch.errors import ConfigError, MLPInputError


@dataclass(frozen=True)
class Outcome:
    """A data-parallel run against the single-process one: the largest |difference| over every
    rank, step and parameter, where it is, and the seconds the W processes took."""

    world_size: int
    steps: int
    largest: float
    where: str
    seconds: float


def job_of(case: Case, *, sum_scaling: bool = True, steps: int | None = None) -> Job:
    """The `Job` of a network case with objective `cost` (the first `steps` steps)."""
    if case.kind != "network":
        raise ConfigError(f"{case.id}: a {case.kind} case has no network to train")
    options = training_options(case)
    if options["objective"] != "cost":
        raise ConfigError(
            f"{case.id}: objective {options['objective']!r} is not data-parallel here"
        )
    rows = batches(case)[:steps]
    return Job(
        case.spec,
        case.params,
        case.data["X"],
        case.data["Y"],
        rows,
        case.meta["training"]["lr"],
        options["maximize"],
        options["freeze_biases"],
        options["optimizer"],
        sum_scaling,
    )


def single_process(job: Job) -> list[dict[str, np.ndarray]]:
    """The same steps in one process, `TorchMLP.train` one batch at a time: the parameters
    after each step."""
    model = TorchMLP(job.spec, job.params, device="cpu")
    after = []
    for rows in job.batches:
        model.train(
            job.X[rows],
            job.Y[rows],
            job.lr,
            1,
            maximize=job.maximize,
            freeze_biases=job.freeze_biases,
            optimizer=job.optimizer,
        )
        after.append(model.export_params().arrays())
    return after


def check(
    case: Case, world_size: int = 2, timeout: float = 300.0, **job_options: object
) -> Outcome:
    """Train `case` on `world_size` ranks; assert every rank's parameters after every step equal
    the single-process step's (float64 tolerance; `AssertionError` naming the rank, the step
    and the parameter). Ranks still running after `timeout` seconds: `TimeoutError`."""
    job = job_of(case, **job_options)
    start = time.perf_counter()
    ranks = train_data_parallel(job, world_size, timeout)  # (checks its arguments first)
    seconds = time.perf_counter() - start
    expected = single_process(job)
    largest, where = 0.0, "-"
    for rank, steps in enumerate(ranks):
        for step, (got, want) in enumerate(zip(steps, expected, strict=True)):
            for name in want:
                what = f"{case.id}/rank{rank}/step{step}/{name}"
                diff = float(np.max(np.abs(got[name] - want[name])))
                if diff > largest:
                    largest, where = diff, what
                assert_close(got[name], want[name], FLOAT64, what)
    return Outcome(world_size, len(job.batches), largest, where, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.distributed", description=__doc__)
    parser.add_argument("case", help="a case id in data/, or a case folder")
    parser.add_argument("--world-size", type=int, default=2, help="processes (ranks): 2")
    parser.add_argument("--steps", type=int, default=None, help="only the first N steps")
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds before the ranks still running are killed (default 300)",
    )
    parser.add_argument(
        "--no-sum-scaling",
        action="store_true",
        help="a sum case's loss not scaled by the world size (the bug this shows)",
    )
    args = parser.parse_args(argv)
    why = gloo_unavailable()
    if why:
        print(f"error: {why}", file=sys.stderr)
        return 2
    folder = DATA / args.case if (DATA / args.case).is_dir() else args.case
    try:
        case = load_case(folder)
    except MLPInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        outcome = check(
            case,
            args.world_size,
            timeout=args.timeout,
            sum_scaling=not args.no_sum_scaling,
            steps=args.steps,
        )
    except (ConfigError, AssertionError, TimeoutError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"{case.id}: {outcome.steps} steps on {outcome.world_size} gloo ranks in "
        f"{outcome.seconds:.1f} s; every rank's parameters equal the single-process step's, "
        f"largest |difference| {outcome.largest:.1e} ({outcome.where})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
