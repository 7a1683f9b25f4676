"""How closely correct implementations agree with the expected values on generated cases: the
measurement behind the GENERATED tolerance and the float32 bound of `conformance.tolerances`.

    python -m benchmarks.agreement [--examples N] [--seed S] [--dtype float64|float32]

For each generated case the fuzz would send (`conformance.ports.generated.materialize`: drawn,
written, loaded, its expected values from the reference), each implementation's trajectory is
compared with the expected values, cell by cell.

float64 (the default): scratch and pure_python in float64; each error is divided by the FLOAT64
bound (1e-12 relative plus 1e-12 of the tensor's scale). A ratio under 100 passes GENERATED
(100 times FLOAT64).

float32: scratch and the reference computing in float32 (the float32 ports' arithmetic); each
error is divided by what a float32 port is allowed there, the GENERATED tolerance plus the
value's float32 bound (`conformance.roundoff`): a ratio under 1 passes, and the largest ratio is
the bound's margin. Values the bound leaves ungraded (bound +inf) are counted apart.

The table gives, per implementation, the largest, the 99th percentile and the median over the
cases of each case's largest ratio, and the case of the largest.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from conformance.golden.cases import TRAJECTORY_COLUMNS
from conformance.golden.comparison import KEYS
from conformance.golden.runner import trajectory
from conformance.golden.tensors import read_table
from conformance.ports import pure_python
from conformance.ports.fuzz import DEFAULT_SEED
from conformance.ports.generated import Diverged, Drawn, drawn_cases, materialize
from conformance.ports.protocol import to_csv
from conformance.ports.request import build_request
from conformance.ports.runner import remove_tree
from conformance.roundoff import float32_bound, not_derived
from conformance.tolerances import FLOAT64, GENERATED


def _errors(actual: pd.DataFrame, expected: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """|actual - expected| per row of `expected` (inf where missing), and each row's tensor
    scale (the largest |expected| of its step and tensor)."""
    m = expected.merge(actual[[*KEYS, "value"]], on=KEYS, how="left", suffixes=("_e", "_a"))
    e, a = m["value_e"].to_numpy(), m["value_a"].to_numpy()
    largest = m.groupby(["step", "tensor"])["value_e"].transform(lambda s: s.abs().max())
    return np.where(np.isnan(a), np.inf, np.abs(a - e)), largest.to_numpy()


def ratio(actual: pd.DataFrame, expected: pd.DataFrame) -> float:
    """The largest |actual - expected| over the FLOAT64 bound, over every cell."""
    err, largest = _errors(actual, expected)
    return float(np.max(err / FLOAT64.allowed(expected["value"].to_numpy(), largest)))


def float32_ratio(actual: pd.DataFrame, case) -> tuple[float, int]:
    """The largest |actual - expected| over a float32 port's allowance (GENERATED plus the
    float32 bound), over the graded cells; and how many cells the bound leaves ungraded."""
    err, largest = _errors(actual, case.expected)
    bound = float32_bound(case)
    graded = np.isfinite(bound)
    allowed = GENERATED.allowed(case.expected["value"].to_numpy(), largest) + bound
    return float(np.max(err[graded] / allowed[graded], initial=0.0)), int((~graded).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agreement", description=__doc__)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mlp-agreement-"))
    names = ("scratch", "pure_python") if args.dtype == "float64" else ("scratch", "reference")
    seen: dict[str, list[tuple[float, str]]] = {name: [] for name in names}
    ungraded = {"cases": 0, "cells": 0}
    skipped = {"cases": 0}
    numbers = itertools.count()  # (a folder per drawn case)

    @settings(
        max_examples=args.examples,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(args.seed)
    @given(drawn_cases)
    def measure(drawn: Drawn) -> None:
        try:
            case = materialize(drawn, work / f"fuzz-{next(numbers):06d}")
        except Diverged:
            return
        if args.dtype == "float64":
            port = to_csv(pure_python.solve(build_request(case)))
            answers = {
                "scratch": trajectory(case, "scratch"),
                "pure_python": read_table(Path("pure_python"), TRAJECTORY_COLUMNS, text=port),
            }
            for name, frame in answers.items():
                seen[name].append((ratio(frame, case.expected), drawn.summary()))
            return
        if not_derived(case) is not None:  # (graded at float64 only, like such a port)
            skipped["cases"] += 1
            return
        for name in names:
            value, left = float32_ratio(trajectory(case, name, "float32"), case)
            seen[name].append((value, drawn.summary()))
        ungraded["cases"] += left > 0
        ungraded["cells"] += left

    try:
        measure()
    finally:
        remove_tree(work)
    print(
        f"{'implementation':<14} {'cases':>6} {'largest':>9} {'99th pct':>9} {'median':>9}  "
        "case of the largest"
    )
    for name, values in seen.items():
        r = np.array([v for v, _ in values])
        worst = max(values)[1]
        print(
            f"{name:<14} {len(r):>6} {r.max():>9.3g} {np.quantile(r, 0.99):>9.3g} "
            f"{np.median(r):>9.3g}  {worst}"
        )
    if args.dtype == "float32":
        print(
            f"(ratios: error over GENERATED plus the float32 bound; {ungraded['cells']} values "
            f"in {ungraded['cases']} cases not graded: after a relu kink float32 can flip, a "
            "cross-entropy gradient of a P below float32's range, a bound past every float; "
            f"{skipped['cases']} cases with SGD options or mini-batches left out: no float32 "
            "bound is derived for them, a float32 port is graded there as a float64 one)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
