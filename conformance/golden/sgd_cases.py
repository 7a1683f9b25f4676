"""The generator of the golden cases for `torch.optim.SGD`'s options and for mini-batches.

`python -m conformance.golden.sgd_cases [--data DIR] [--case ID ...]` writes each case's inputs
(`cases.write_case`) into a scratch folder, computes its expected values (scratch generates,
reference confirms, as `regenerate` does), confirms them with an independent, plain
`torch.optim.SGD` loop (`golden.torch_loop`), and only then writes the case into the data folder
and its expected.csv (`regenerate`). The inputs are exact binary fractions (multiples of 1/64,
digits' pixels /16), so the files are short and read the same in every language.

- `S-sgd-momentum`, `S-sgd-nesterov`, `S-sgd-dampening`, `S-sgd-weight-decay`: one option
  each, small networks, every tensor at every step (velocities `vW<l>`, `vb<l>` included).
- `S-mini-batch-partial`: 5 samples in mini-batches of 2 for 2 epochs, the last batch of
  each epoch a single sample; momentum carries over from batch to batch and epoch to epoch.
- `S-digits-64-32-10`: 65 images of scikit-learn's digits (8x8, 10 classes; the first 65 of
  `sklearn.datasets.load_digits`, pixels / 16), 64-32-10 tanh / softmax / cross-entropy,
  mini-batches of 32 (the last one a single image), SGD with momentum 0.9 and Nesterov, lr
  0.2, 2 epochs = 6 steps; every tensor at the first and last step, cost and output at every
  step. Its accuracy on the 65 images goes from 7.7% to 49.2%. scikit-learn is needed only to
  write it: the case then stands alone.

Not for: the tutorials' cases (their inputs are transcribed, not generated).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from conformance.golden.cases import DATA, load_case, write_case
from conformance.golden.comparison import compare_frames
from conformance.golden.manifest import MANIFEST, update_manifest
from conformance.golden.regenerate import regenerate_case
from conformance.golden.runner import trajectory
from conformance.golden.tensors import trajectory_arrays
from conformance.golden.torch_loop import torch_loop
from conformance.tolerances import FLOAT64
from scratch import Params

SOURCE = {
    "tutorial": "suite",
    "section": "torch.optim.SGD's options and mini-batches (conformance/golden/sgd_cases.py)",
    "file": "data/README.md",
}


def _grid(rng: np.random.Generator, shape: tuple[int, ...], most: int = 48) -> np.ndarray:
    """Multiples of 1/64 in [-most/64, most/64]: exact in any float format and short to write."""
    return rng.integers(-most, most + 1, shape) / 64


def _params(sizes: list[int], seed: int, most: int = 48) -> Params:
    rng = np.random.default_rng(seed)
    W = [_grid(rng, (n_out, n_in), most) for n_in, n_out in itertools.pairwise(sizes)]
    b = [_grid(rng, (n_out,), most) for n_out in sizes[1:]]
    return Params(W, b)


def _small(
    case_id: str,
    description: str,
    optimizer: dict[str, Any],
    *,
    activations: list[str],
    loss: str = "mse",
    reduction: str = "sample_mean",
    layout: str = "t1",
    lr: float = 0.25,
    seed: int = 0,
) -> tuple[dict, Params, dict]:
    """A 2-3-k network on 3 samples, 4 steps, every tensor recorded at every step."""
    k = 2 if activations[-1] == "softmax" else 1
    sizes = [2, 3, k]
    rng = np.random.default_rng(100 + seed)
    X = _grid(rng, (3, 2), 64)
    Y = np.eye(k)[[0, 1, 0]] if loss == "cross_entropy" else _grid(rng, (3, k), 64)
    meta = {
        "id": case_id,
        "kind": "network",
        "source": SOURCE,
        "description": description,
        "layout": layout,
        "network": {
            "sizes": sizes,
            "activations": activations,
            "loss": loss,
            "reduction": reduction,
            "bias": True,
        },
        "training": {"lr": lr, "steps": 4, "objective": "cost", "maximize": False},
        "record": {"every_step": [], "full_steps": [0, 1, 2, 3]},
        "optimizer": optimizer,
    }
    return meta, _params(sizes, seed), {"X": X, "Y": Y}


def _mini_batch_partial() -> tuple[dict, Params, dict]:
    rng = np.random.default_rng(7)
    X, Y = _grid(rng, (5, 2), 64), _grid(rng, (5, 1), 64)
    order = np.array([rng.permutation(5) for _ in range(2)], dtype=np.float64)
    meta = {
        "id": "S-mini-batch-partial",
        "kind": "network",
        "source": SOURCE,
        "description": (
            "A 2-3-1 tanh/identity network on 5 samples in mini-batches of 2 (training."
            "batch_size), in each epoch's order of data.csv's `order`, for 2 epochs: 3 steps "
            "an epoch, the third a partial batch of the one sample left. MSE averaged over the "
            "step's own batch (1/(2m), m = 2, 2, 1); SGD with momentum 0.9, lr 0.25; the "
            "velocity carries over from batch to batch and from epoch to epoch."
        ),
        "layout": "t1",
        "network": {
            "sizes": [2, 3, 1],
            "activations": ["tanh", "identity"],
            "loss": "mse",
            "reduction": "sample_mean",
            "bias": True,
        },
        "training": {
            "lr": 0.25,
            "steps": 6,
            "objective": "cost",
            "maximize": False,
            "batch_size": 2,
        },
        "record": {"every_step": [], "full_steps": [0, 1, 2, 3, 4, 5]},
        "optimizer": {"momentum": 0.9},
    }
    return meta, _params([2, 3, 1], 8), {"X": X, "Y": Y, "order": order}


DIGITS_SAMPLES = 65
"""Two full batches of 32 and a last one of a single image: the smallest file that shows a
partial batch (every tensor of the first and the last step is recorded)."""


def _digits() -> tuple[dict, Params, dict]:
    from sklearn.datasets import load_digits  # only to write the case

    digits = load_digits()
    X = digits.data[:DIGITS_SAMPLES] / 16  # pixels 0..16 -> multiples of 1/16 in [0, 1]
    Y = np.eye(10)[digits.target[:DIGITS_SAMPLES]]
    rng = np.random.default_rng(2026)
    order = np.array([rng.permutation(DIGITS_SAMPLES) for _ in range(2)], dtype=np.float64)
    meta = {
        "id": "S-digits-64-32-10",
        "kind": "network",
        "source": {
            "tutorial": "suite",
            "section": (
                "a realistic mini-batch run: scikit-learn's digits (sklearn.datasets.load_digits, "
                "the first 65 images) (conformance/golden/sgd_cases.py)"
            ),
            "file": "data/README.md",
        },
        "description": (
            "65 8x8 digit images (pixels / 16), 10 classes; a 64-32-10 tanh/softmax network, "
            "cross-entropy averaged over the batch; mini-batches of 32 in each epoch's order "
            "(data.csv's `order`), the last one a single image; SGD with momentum 0.9 and "
            "Nesterov, lr 0.2, 2 epochs = 6 steps. Weights multiples of 1/64 in [-1/2, 1/2]. "
            "Every tensor at the first and the last step; cost and output at every step. "
            "Accuracy on the 65 images: 7.7% before, 49.2% after."
        ),
        "layout": "t1",
        "network": {
            "sizes": [64, 32, 10],
            "activations": ["tanh", "softmax"],
            "loss": "cross_entropy",
            "reduction": "sample_mean",
            "bias": True,
        },
        "training": {
            "lr": 0.2,
            "steps": 6,
            "objective": "cost",
            "maximize": False,
            "batch_size": 32,
        },
        "record": {"every_step": ["cost", "A2"], "full_steps": [0, 5]},
        "optimizer": {"momentum": 0.9, "nesterov": True},
    }
    return meta, _params([64, 32, 10], 64, most=32), {"X": X, "Y": Y, "order": order}


CASES = {
    "S-sgd-momentum": lambda: _small(
        "S-sgd-momentum",
        "A 2-3-1 tanh/identity network, MSE over 3 samples, SGD with momentum 0.9 as torch.optim."
        "SGD steps it: v = g at the first step (no dampening), then v = 0.9 v + g, W = W - lr v "
        "(lr 0.25). CS231n's u = mu u - lr g, W = W + u gives the same W at a constant lr; "
        "the recorded vW, vb are torch's v (the gradients' history, not the steps').",
        {"momentum": 0.9},
        activations=["tanh", "identity"],
    ),
    "S-sgd-nesterov": lambda: _small(
        "S-sgd-nesterov",
        "A 2-3-2 sigmoid/softmax network, cross-entropy over 3 samples, layout t2, SGD with "
        "momentum 0.9 and Nesterov as torch.optim.SGD: v = 0.9 v + g, W = W - lr (g + 0.9 v) "
        "(lr 0.5); vW and vb in the layout of W and b.",
        {"momentum": 0.9, "nesterov": True},
        activations=["sigmoid", "softmax"],
        loss="cross_entropy",
        layout="t2",
        lr=0.5,
        seed=1,
    ),
    "S-sgd-dampening": lambda: _small(
        "S-sgd-dampening",
        "A 2-3-1 relu/identity network, MSE summed over 3 samples, layout t3, SGD with momentum "
        "0.9 and dampening 0.5: v = g at the first step (dampening not applied), then "
        "v = 0.9 v + 0.5 g; W = W - lr v (lr 0.125).",
        {"momentum": 0.9, "dampening": 0.5},
        activations=["relu", "identity"],
        reduction="sum",
        layout="t3",
        lr=0.125,
        seed=2,
    ),
    "S-sgd-weight-decay": lambda: _small(
        "S-sgd-weight-decay",
        "A 2-3-1 tanh/sigmoid network, MSE over 3 samples, SGD with weight decay 0.25 and "
        "momentum 0.5: the decay is added to the gradient before momentum, g = dW + 0.25 W, "
        "and applies to the biases too (torch.optim.SGD decays every parameter it is given).",
        {"momentum": 0.5, "weight_decay": 0.25},
        activations=["tanh", "sigmoid"],
        seed=3,
    ),
    "S-mini-batch-partial": _mini_batch_partial,
    "S-digits-64-32-10": _digits,
}
"""Each case's id and the function that makes its (case.json, params, data)."""


def confirm_with_torch_loop(folder: Path) -> list[str]:
    """Every value the plain torch.optim.SGD loop records, against the case's expected.csv
    (float64 tolerance): the disagreements, as messages (none when it confirms)."""
    case = load_case(folder, check_manifest=False)
    expected = trajectory_arrays(folder, case.expected)
    problems = []
    for key, theirs in torch_loop(case).items():
        if key not in expected:
            continue
        ours = expected[key]
        tol = FLOAT64.atol(ours) + FLOAT64.rtol * np.abs(ours)
        if ours.shape != theirs.shape or not (np.abs(ours - theirs) <= tol).all():
            problems.append(f"{case.id}: step {key[0]} {key[1]} differs from the torch loop")
    return problems


def make(case_id: str, data: Path) -> bool:
    """Write one case into `data`, confirmed first in a scratch folder; True when written."""
    meta, params, arrays = CASES[case_id]()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_case(Path(tmp) / case_id, meta, params, arrays)
        case = load_case(folder, check_manifest=False, check_promises=False)
        scratch, reference = trajectory(case, "scratch"), trajectory(case, "reference")
        report = compare_frames(reference, scratch)
        if not report["ok"].all():
            print(f"{case_id}: reference does not confirm scratch; nothing written")
            return False
        regenerate_case(folder, force=False, dry_run=False)
        problems = confirm_with_torch_loop(folder)
        if problems:
            print("\n".join(problems) + f"\n{case_id}: nothing written")
            return False
    write_case(data / case_id, meta, params, arrays)
    written = regenerate_case(data / case_id, force=False, dry_run=False)
    if written and (data / MANIFEST).is_file():
        update_manifest(data, [case_id])  # expected.csv's line, now that it is written
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.golden.sgd_cases")
    parser.add_argument("--data", type=Path, default=DATA, help="the golden folder (data/)")
    parser.add_argument("--case", nargs="*", choices=list(CASES), help="default: every case")
    args = parser.parse_args(argv)
    ok = [make(case_id, args.data) for case_id in args.case or CASES]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
