"""Median time of one full training step (forward, cost, backward, update) of scratch, reference
(torch eager on the CPU) and scikit-learn's MLP, on the same data from the same parameters.
scratch's step is `Network.train_step`, which runs the buffered fast path (`scratch.fast`,
bit-identical to the plain `scratch.network`).

    python -m benchmarks                 # every size, float64 and float32; a table and a CSV
    python -m benchmarks --smoke         # a few repetitions of the small sizes: seconds (CI)

Also measured: NumPy's matmul rate (a square 1024 x 1024 product, in each dtype). For each size
the GEMM-bound time is the step's matrix-product FLOPs at that rate (forward X W^T, dW = dZ^T A
and dA = dZ W for every layer but the first, which needs no input gradient, as in torch and
scikit-learn), and "of bound" is that time over scratch's measured time. "GEMMs alone" times
the step's own matrix products by themselves, at their real (often skinny) shapes: the floor
for any NumPy implementation of that step.

scikit-learn is a benchmark-only extra (`pip install -c constraints.txt -e ".[bench]"`); without
it its column is empty. Its step is `partial_fit` on the whole batch (solver 'sgd', momentum 0,
alpha 0, batch_size n) with its coefs_ set to ours; before timing, each peer's parameters after
one step are checked against scratch's, so all three time the same arithmetic.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks.sizes import DTYPES, SIZES, Size, problem
from benchmarks.steps import check_same_step, scratch_step, sklearn_step, torch_step


def gemm_flops(size: Size) -> float:
    """Matrix-product FLOPs of one step: 2 n in out for X W^T and dW of every layer, and for
    dA of every layer but the first."""
    layers = list(zip(size.sizes[:-1], size.sizes[1:], strict=True))
    per_layer = [2 * size.n * n_in * n_out for n_in, n_out in layers]
    return 2 * sum(per_layer) + sum(per_layer[1:])


def gemms_alone(spec, params, X, seconds: float) -> float:
    """Median time of the step's own matrix products, run by themselves with NumPy: what the
    step would take if everything else cost nothing, at these shapes."""
    A = [X]
    for W in params.W:
        A.append(np.maximum(A[-1] @ W.T, 0))
    dZ = [np.ones_like(a) for a in A[1:]]

    def products():
        for i, W in enumerate(params.W):
            A[i] @ W.T
            dZ[i].T @ A[i]
            if i > 0:
                dZ[i] @ W

    return median_time(products, seconds)


def matmul_rate(dtype, seconds: float) -> float:
    """NumPy's FLOP/s on a square 1024 x 1024 product (median)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((1024, 1024)).astype(dtype)
    B = rng.standard_normal((1024, 1024)).astype(dtype)
    return 2 * 1024**3 / median_time(lambda: A @ B, seconds)


def median_time(step: Callable[[], object], seconds: float, min_reps: int = 5) -> float:
    """Median wall time of `step` after one warm-up call: at least `min_reps` repetitions and
    at least `seconds` in all."""
    step()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@dataclass
class Row:
    size: str
    dtype: str
    scratch_s: float
    torch_s: float
    sklearn_s: float | None
    gemm_bound_s: float
    gemms_alone_s: float

    @property
    def ratios(self) -> tuple[float, float | None, float]:
        sk = None if self.sklearn_s is None else self.scratch_s / self.sklearn_s
        return self.scratch_s / self.torch_s, sk, self.gemm_bound_s / self.scratch_s


def measure(size: Size, dtype_name: str, seconds: float, rate: float, sklearn: bool = True) -> Row:
    dtype, torch_dtype = DTYPES[dtype_name]
    spec, params, X, Y = problem(size, dtype)
    s_step, s_params = scratch_step(spec, params, X, Y)
    t_step, t_params = torch_step(spec, params, X, Y, torch_dtype)
    s_step()
    t_step()
    where = f"{size.name} {dtype_name}"
    check_same_step("torch", t_params(), s_params(), dtype, where)
    sk = sklearn_step(spec, params, X, Y, size) if sklearn else None
    if sk is not None:
        sk_step, sk_params, sk_load = sk
        sk_step()
        check_same_step("scikit-learn", sk_params(), s_params(), dtype, where)
        sk_load(params)
    scratch_s = median_time(s_step, seconds)
    torch_s = median_time(t_step, seconds)
    sklearn_s = None if sk is None else median_time(sk[0], seconds)
    alone = gemms_alone(spec, params, X, seconds)
    return Row(size.name, dtype_name, scratch_s, torch_s, sklearn_s, gemm_flops(size) / rate, alone)


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t * 1e6:.1f} us" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def table(rows: list[Row], rates: dict[str, float]) -> str:
    lines = [
        "NumPy matmul rate (1024 x 1024): "
        + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in rates.items()),
        f"{'size':<7} {'dtype':<8} {'scratch':>10} {'torch':>10} {'sklearn':>10} "
        f"{'scratch/torch':>13} {'scratch/sklearn':>15} {'GEMM bound':>11} {'of bound':>8} "
        f"{'GEMMs alone':>11}",
    ]
    for r in rows:
        st, ss, frac = r.ratios
        lines.append(
            f"{r.size:<7} {r.dtype:<8} {fmt_time(r.scratch_s):>10} {fmt_time(r.torch_s):>10} "
            f"{fmt_time(r.sklearn_s):>10} {st:>13.2f} {'-' if ss is None else f'{ss:.2f}':>15} "
            f"{fmt_time(r.gemm_bound_s):>11} {frac:>8.0%} {fmt_time(r.gemms_alone_s):>11}"
        )
    return "\n".join(lines)


def write_csv(path: Path, rows: list[Row], rates: dict[str, float]) -> None:
    with Path(path).open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "size",
                "dtype",
                "scratch_s",
                "torch_s",
                "sklearn_s",
                "scratch_over_torch",
                "scratch_over_sklearn",
                "gemm_bound_s",
                "fraction_of_bound",
                "matmul_flops_per_s",
                "gemms_alone_s",
            ]
        )
        for r in rows:
            st, ss, frac = r.ratios
            w.writerow(
                [
                    r.size,
                    r.dtype,
                    f"{r.scratch_s:.6g}",
                    f"{r.torch_s:.6g}",
                    "" if r.sklearn_s is None else f"{r.sklearn_s:.6g}",
                    f"{st:.4f}",
                    "" if ss is None else f"{ss:.4f}",
                    f"{r.gemm_bound_s:.6g}",
                    f"{frac:.4f}",
                    f"{rates[r.dtype]:.6g}",
                    f"{r.gemms_alone_s:.6g}",
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="T1 and T3 only, a few repetitions")
    parser.add_argument("--sizes", nargs="+", choices=[s.name for s in SIZES])
    parser.add_argument("--dtypes", nargs="+", choices=list(DTYPES), default=list(DTYPES))
    parser.add_argument(
        "--no-sklearn", action="store_true", help="leave scikit-learn out (its import takes 2 s)"
    )
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement (0.5)")
    parser.add_argument(
        "--csv", type=Path, help="default: benchmarks/results.csv (results-smoke.csv with --smoke)"
    )
    args = parser.parse_args(argv)
    names = args.sizes or (["T1", "T3"] if args.smoke else [s.name for s in SIZES])
    if args.csv is None:
        args.csv = Path("benchmarks/results-smoke.csv" if args.smoke else "benchmarks/results.csv")
    seconds = 0.01 if args.smoke else args.seconds
    print(f"threads: torch {torch.get_num_threads()}, cores {os.cpu_count()}")
    rates = {d: matmul_rate(DTYPES[d][0], seconds) for d in args.dtypes}
    rows = [
        measure(size, d, seconds, rates[d], sklearn=not args.no_sklearn)
        for size in SIZES
        if size.name in names
        for d in args.dtypes
    ]
    print(table(rows, rates))
    write_csv(args.csv, rows, rates)
    print(f"written: {args.csv}")
    return 0
