"""Fuzz throughput: generated cases per second against the shipped ports, one process per case
and persistent (one process for every case).

    python -m benchmarks.ports [--examples N] [--seed S]

Each row runs `python -m conformance.ports fuzz` in process (Hypothesis drawing the cases, the
reference and scratch computing and confirming the expected values, the port answering, the
grading) over the same N cases, and reports the wall time and cases per second. This is not a
test: nothing is asserted but that each port passes.
"""

from __future__ import annotations

import argparse
import io
import sys
import time

from conformance.ports.fuzz import DEFAULT_SEED, fuzz

PORTS = {
    "scratch_port": f"{sys.executable} -m conformance.ports.scratch_port",
    "pure_python": f"{sys.executable} -m conformance.ports.pure_python",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ports", description=__doc__)
    parser.add_argument("--examples", type=int, default=200, help="generated cases per row (200)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the cases drawn")
    args = parser.parse_args(argv)
    print(f"{'port':<14} {'mode':<12} {'cases':>6} {'seconds':>8} {'cases/s':>8}")
    for name, command in PORTS.items():
        for persistent in (True, False):
            out = io.StringIO()
            start = time.perf_counter()
            code = fuzz(
                command, examples=args.examples, seed=args.seed, persistent=persistent, out=out
            )
            seconds = time.perf_counter() - start
            if code != 0:
                print(out.getvalue(), file=sys.stderr)
                return 1
            mode = "persistent" if persistent else "per case"
            print(
                f"{name:<14} {mode:<12} {args.examples:>6} {seconds:>8.1f} "
                f"{args.examples / seconds:>8.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
