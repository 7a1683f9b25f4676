"""Replay a golden case with scratch and reference side by side, step by step.

What the command line prints and plots comes from here: each step's cost and output from both
implementations, every tensor of the step (in the case's layout), and the largest difference
between the two over everything the step computed. Not for: grading (see `conformance.golden`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conformance.cli.options import CLIError
from conformance.golden.cases import Case
from conformance.golden.runner import (
    batches,
    literal_t2_recipe,
    recipe_params,
    training_options,
)
from scratch import Network, NonFiniteError, Perceptron
from scratch.layouts import named_in_layout
from scratch.perceptron import epoch_tensors


@dataclass(frozen=True)
class NetworkStep:
    """One step of a network case, before its update (cost, output) and after (tensors)."""

    step: int
    cost: float
    output: np.ndarray
    tensors: dict[str, np.ndarray]
    reference_tensors: dict[str, np.ndarray]

    @property
    def max_difference(self) -> float:
        """max |scratch - reference| over every tensor of the step."""
        return max(
            float(np.max(np.abs(a - self.reference_tensors[name]), initial=0.0))
            for name, a in self.tensors.items()
        )


class NetworkReplay:
    """Both implementations on one network case, advanced in lockstep by `step()`: each step on
    the case's batch (every row, or its mini-batch; past the case's own steps the epochs'
    batches start again), the optimizer's velocity carried from step to step."""

    def __init__(self, case: Case, lr: float):
        import torch

        from reference import TorchMLP

        self.case, self.lr, self.t = case, lr, 0
        self.options = {"record": True, **training_options(case)}
        self.net = Network(case.spec, case.params)
        self.model = TorchMLP(case.spec, case.params, dtype=torch.float64, device="cpu")
        self.batches = batches(case)

    def step(self) -> NetworkStep:
        """One step of each; the returned record holds both. A step that diverges (NaN or Inf)
        raises `CLIError` naming the step, counted from the start of the replay."""
        rows = self.batches[self.t % len(self.batches)]
        X, Y = self.case.data["X"][rows], self.case.data["Y"][rows]
        try:
            ours = self.net.train(X, Y, self.lr, 1, **self.options).records[0]
            theirs = self.model.train(X, Y, self.lr, 1, **self.options).records[0]
        except NonFiniteError as err:
            raise CLIError(
                f"{self.case.id} diverged at step {self.t} with lr {self.lr:g}: {err.detail}"
            ) from None
        self.t += 1
        return NetworkStep(
            self.t - 1,
            ours.cost,
            ours.cache.output,
            ours.arrays(self.case.layout),
            theirs.arrays(self.case.layout),
        )

    def accuracy(self) -> tuple[float, float] | None:
        """For a cross-entropy case, the share of all the case's samples whose largest output
        is the true class, by scratch and by reference with their current parameters; None
        for other losses."""
        if self.case.spec.loss != "cross_entropy":
            return None
        truth = self.case.data["Y"].argmax(axis=1)
        ours, theirs = self.predict(self.case.data["X"])
        return float((ours.argmax(1) == truth).mean()), float((theirs.argmax(1) == truth).mean())

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both implementations' outputs for X with their current parameters."""
        import torch

        with torch.no_grad():
            return self.net.predict(X), self.model(X).numpy()


@dataclass(frozen=True)
class PerceptronEpoch:
    epoch: int
    errors: int
    w: np.ndarray
    b: float
    max_difference: float


def replay_perceptron(case: Case, eta: float, max_epochs: int) -> list[PerceptronEpoch]:
    """The perceptron rule by scratch and by its torch twin; one row per epoch."""
    from reference.perceptron import perceptron_updates

    p = case.meta["perceptron"]
    X, y = case.data["X"], case.data["y"][:, 0].astype(int)
    w0 = np.array(p["w0"], dtype=np.float64)
    ours = Perceptron(eta, max_epochs).fit(X, y, w0, p["b0"]).updates_
    theirs = perceptron_updates(X, y, eta, max_epochs, w0, p["b0"])
    twin = epoch_tensors(theirs)
    rows = []
    for epoch, mine in epoch_tensors(ours).items():
        same = epoch in twin and all(mine[k].shape == twin[epoch][k].shape for k in mine)
        diff = (
            max(float(np.max(np.abs(mine[k] - twin[epoch][k]))) for k in mine)
            if same
            else float("inf")
        )
        errors = int(mine["errors"][0, 0])
        rows.append(PerceptronEpoch(epoch, errors, mine["w"][-1], float(mine["b"][-1, 0]), diff))
    return rows


def replay_init(case: Case) -> tuple[dict[str, np.ndarray], float]:
    """An init case's parameters by scratch (in the case's layout), and max |scratch - recipe|."""
    init = case.meta["init"]
    params = recipe_params(init["recipe"], init["sizes"], init["seed"])
    literal = literal_t2_recipe(init["sizes"], init["seed"])
    ours = named_in_layout(case.layout, params.W, params.b)
    recipe = named_in_layout(case.layout, literal.W, literal.b)
    diff = max(float(np.max(np.abs(a - recipe[name]))) for name, a in ours.items())
    return ours, diff
