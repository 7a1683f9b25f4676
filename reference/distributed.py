"""Data-parallel training of `TorchMLP` with `torch.distributed`: `DistributedDataParallel`
over the gloo backend, on CPU, one process per rank.

Each step's batch (m rows) is split into `world_size` contiguous chunks (`numpy.array_split`:
sizes differ by at most one, and a rank may get none, as with a last batch of one sample).
Each rank runs the forward pass on its chunk, and DDP's backward all-reduces the gradients
and divides them by the world size W: it averages. The rank's loss must therefore be the
chunk's share of the whole batch's cost, times W:

    loss_r = W / d * sum over the rank's samples of the per-sample cost

(d the reduction's divisor over the whole batch: m for `sample_mean`, 1 for `sum`, m k for
`element_mean`), so that the average over ranks is exactly the single-process cost's gradient.
For `sample_mean` with equal chunks that is each rank's own mean; with unequal chunks it is
not, and a rank's own mean would weight the samples of a small chunk more. For `sum` it is the
rank's sum times W: a rank that returns its plain sum (`sum_scaling=False`) gets gradients W
times too small, the classic bug of moving a summed loss to DDP (scale the loss, or the
learning rate, by W).

Then `torch.optim.SGD` steps on every rank with the same averaged gradients, so the ranks stay
identical. Not for: GPUs (NCCL), or the gradients of a single rank (see `TorchMLP`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from reference import losses
from reference.mlp import TorchMLP
from scratch.errors import ConfigError
from scratch.optim import PLAIN, SGD
from scratch.params import Params
from scratch.spec import NetworkSpec


def gloo_unavailable() -> str | None:
    """Why this module cannot run here, or None: torch.distributed or gloo missing."""
    if not dist.is_available():
        return "torch.distributed is not available in this torch build"
    if not dist.is_gloo_available():
        return "torch.distributed has no gloo backend in this torch build"
    return None


class _Output(nn.Module):
    """The network's logits Z(L) and output A(L), as one module for DDP to wrap."""

    def __init__(self, mlp: TorchMLP):
        super().__init__()
        self.mlp = mlp

    def forward(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        Zs, As = self.mlp._layers(X)
        return Zs[-1], As[-1]


@dataclass
class Job:
    """What every rank trains: the network, its data, each step's batch rows, and SGD's
    options (full batch: one batch of every row per step)."""

    spec: NetworkSpec
    params: Params
    X: np.ndarray
    Y: np.ndarray
    batches: list[np.ndarray]
    lr: float
    maximize: bool = False
    freeze_biases: bool = False
    optimizer: SGD = PLAIN
    sum_scaling: bool = True
    threads: int = 1
    _folder: str = field(default="", repr=False)


def _rank_loss(job: Job, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor, m: int) -> torch.Tensor:
    """This rank's loss: its samples' summed cost, times W / d (the module docstring)."""
    world = dist.get_world_size()
    k = job.spec.sizes[-1]
    if job.spec.loss == "cross_entropy":
        summed = losses.softmax_cross_entropy(Z, Y, "sum")
    else:
        summed = losses.mse(A, Y, "sum")
    d = {"sample_mean": m, "sum": 1, "element_mean": m * k}[job.spec.reduction]
    if job.spec.reduction == "sum" and not job.sum_scaling:
        return summed  # the bug: DDP then averages, and the gradient is 1/W of the true one
    return summed * (world / d)


def _train(rank: int, world_size: int, job: Job) -> dict[str, np.ndarray]:
    """This rank's training: {"STEP/NAME": the parameter after that step}. Every DDP object
    (its reducer holds the process group) is freed when this returns."""
    mlp = TorchMLP(job.spec, job.params, dtype=torch.float64, device="cpu")
    model = DistributedDataParallel(_Output(mlp))
    layers = mlp.layers
    trained = [p for layer in layers for p in (layer.weight, layer.bias) if p is not None]
    if job.freeze_biases:
        trained = [layer.weight for layer in layers]
    sgd = torch.optim.SGD(trained, lr=job.lr, maximize=job.maximize, **job.optimizer.torch_kwargs())
    X, Y = torch.tensor(job.X), torch.tensor(job.Y)
    after: dict[str, np.ndarray] = {}
    for step, rows in enumerate(job.batches):
        mine = np.array_split(rows, world_size)[rank]
        sgd.zero_grad(set_to_none=False)
        Z, A = model(X[mine])
        _rank_loss(job, Z, A, Y[mine], len(rows)).backward()
        sgd.step()
        for name, array in mlp.export_params().arrays().items():
            after[f"{step}/{name}"] = array
    return after


def _worker(rank: int, world_size: int, job: Job) -> None:
    """One rank: train, save the parameters to rank<RANK>.npz, leave the process group.
    The group is destroyed only once nothing refers to it any more (`_train` has returned, a
    failure's traceback is formatted and dropped): destroyed while DDP's reducer still held
    it, gloo's destructor deadlocked about one run in eight."""
    torch.set_num_threads(job.threads)
    init = f"file://{job._folder}/rendezvous"
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world_size)
    failure, stop = None, None
    try:
        np.savez(Path(job._folder) / f"rank{rank}.npz", **_train(rank, world_size, job))
    except Exception:
        failure = traceback.format_exc()
    except (SystemExit, KeyboardInterrupt) as err:  # kept as a new one, without its frames
        stop = SystemExit(err.code) if isinstance(err, SystemExit) else KeyboardInterrupt()
    dist.destroy_process_group()
    if stop is not None:
        raise stop
    if failure is not None:
        raise RuntimeError(f"rank {rank} of {world_size} failed:\n{failure}")


def train_data_parallel(
    job: Job, world_size: int, timeout: float = 300.0
) -> list[list[dict[str, np.ndarray]]]:
    """Train `job` on `world_size` gloo processes (forked where the platform can, else
    spawned). Returns, for each rank, the parameters after each step ({"W1": ..., "b1": ...},
    internal layout). A rank that fails raises in the caller with its traceback; ranks still
    running after `timeout` seconds are killed and `TimeoutError` says which."""
    why = gloo_unavailable()
    if why:
        raise ConfigError(why)
    if world_size < 1:
        raise ConfigError(f"world_size must be >= 1, got {world_size}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with tempfile.TemporaryDirectory() as folder:
        job._folder = folder
        if sys.platform == "linux":  # every rank on this machine: the loopback device
            os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        context = mp.start_processes(
            _worker, args=(world_size, job), nprocs=world_size, join=False, start_method=method
        )
        _join(context, time.monotonic() + timeout, timeout)
        results = []
        for rank in range(world_size):
            with np.load(Path(folder) / f"rank{rank}.npz") as saved:
                steps: list[dict[str, np.ndarray]] = [{} for _ in job.batches]
                for key in saved.files:
                    step, name = key.split("/")
                    steps[int(step)][name] = saved[key]
            results.append(steps)
    return results


def _join(context: mp.ProcessContext, deadline: float, timeout: float) -> None:
    """Wait for every rank (a failed rank raises here, the others stopped by torch); past
    `deadline`, kill the ranks still running and raise `TimeoutError` naming them."""
    while not context.join(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            alive = [rank for rank, p in enumerate(context.processes) if p.is_alive()]
            for p in context.processes:
                p.kill()
                p.join()
            raise TimeoutError(
                f"data-parallel training did not finish within {timeout:g} s: rank(s) "
                f"{alive} still running, killed"
            )
