"""How closely two correct implementations agree on generated cases: the measurement behind
the GENERATED tolerance of `conformance.tolerances`.

    python -m benchmarks.agreement [--examples N] [--seed S]

For each generated case the fuzz would send (`conformance.ports.generated.materialize`: drawn,
written, loaded, its expected values from the reference), scratch's and pure_python's
trajectories are compared with the reference's, and each error is divided by the FLOAT64 bound
(1e-12 relative plus 1e-12 of the tensor's scale). The table gives, per implementation, the
largest and the 99th percentile of that ratio, and the case of the largest: a ratio under 100
passes GENERATED (100 times FLOAT64).
"""

from __future__ import annotations

import argparse
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
from conformance.tolerances import FLOAT64


def ratio(actual: pd.DataFrame, expected: pd.DataFrame) -> float:
    """The largest |actual - expected| over the FLOAT64 bound, over every cell."""
    m = expected.merge(actual[[*KEYS, "value"]], on=KEYS, suffixes=("_e", "_a"))
    e, a = m["value_e"].to_numpy(), m["value_a"].to_numpy()
    largest = m.groupby(["step", "tensor"])["value_e"].transform(lambda s: s.abs().max())
    return float(np.max(np.abs(a - e) / FLOAT64.allowed(e, largest.to_numpy())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.agreement", description=__doc__)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mlp-agreement-"))
    seen: dict[str, list[tuple[float, str]]] = {"scratch": [], "pure_python": []}

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
            case = materialize(drawn, work / f"fuzz-{sum(map(len, seen.values())):06d}")
        except Diverged:
            return
        port = to_csv(pure_python.solve(build_request(case)))
        answers = {
            "scratch": trajectory(case, "scratch"),
            "pure_python": read_table(Path("pure_python"), TRAJECTORY_COLUMNS, text=port),
        }
        for name, frame in answers.items():
            seen[name].append((ratio(frame, case.expected), drawn.summary()))

    try:
        measure()
    finally:
        remove_tree(work)
    print(
        f"{'implementation':<14} {'cases':>6} {'largest':>9} {'99th pct':>9}  case of the largest"
    )
    for name, values in seen.items():
        r = np.array([v for v, _ in values])
        worst = max(values)[1]
        print(f"{name:<14} {len(r):>6} {r.max():>9.3g} {np.quantile(r, 0.99):>9.3g}  {worst}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
