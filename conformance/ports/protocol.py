"""The port side of the protocol, in the standard library only (see conformance/PORTS.md).

A port reads one JSON request on stdin and writes its trajectory as CSV on stdout with the
header ``step,tensor,row,col,value``. `serve(solve)` does both for a Python port whose
`solve(request)` returns ``{(step, tensor): matrix}`` (a matrix is a list of rows); raising
`Unsupported` makes the port exit with status 3, which the runner reports as "unsupported".

In persistent mode (the runner sets ``MLP_PORT_MODE=persistent``) `serve` answers one request
per line of stdin until its end: each answer is the CSV, then a line ``#end``; an unsupported
case is the one line ``#unsupported: why``. Any other exception of `solve` ends the port (a
crash, which the runner reports for that case before starting the port afresh).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

PROTOCOL_VERSION = 1
UNSUPPORTED_EXIT = 3
MODE_VARIABLE = "MLP_PORT_MODE"
"""Set by the runner: "single" (one request, then end of file) or "persistent"."""

Matrix = list[list[float]]
Trajectory = dict[tuple[int, str], Matrix]


class Unsupported(Exception):
    """The port does not implement what this case needs; it is skipped, not failed."""


def to_csv(trajectory: Trajectory) -> str:
    """The golden long format: one ``step,tensor,row,col,value`` line per cell, 17 digits."""
    lines = ["step,tensor,row,col,value"]
    for (step, tensor), matrix in trajectory.items():
        for r, row in enumerate(matrix):
            for c, value in enumerate(row):
                lines.append(f"{step},{tensor},{r},{c},{float(value):.17g}")
    return "\n".join(lines) + "\n"


def dtype_argument(prog: str, argv: list[str] | None = None) -> str:
    """The shipped Python ports' one option, `--dtype float64|float32` (float64 by default):
    the arithmetic the port computes in. A usage error (exit status 2) for anything else."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description="a port (PORTS.md)")
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="compute in float64 (the default) or float32 throughout",
    )
    return parser.parse_args(argv).dtype


def _checked(request: dict) -> dict:
    if request.get("protocol") != PROTOCOL_VERSION:
        sys.exit(f"unsupported protocol version {request.get('protocol')!r}")
    return request


def serve(solve: Callable[[dict], Trajectory]) -> None:
    """Answer the runner: one request (stdin to its end), or in persistent mode one request per
    line; exit 3 (or, persistent, answer ``#unsupported``) on `Unsupported`."""
    if os.environ.get(MODE_VARIABLE) == "persistent":
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                answer = to_csv(solve(_checked(json.loads(line)))) + "#end\n"
            except Unsupported as err:
                answer = "#unsupported: " + " ".join(str(err).split()) + "\n"
            sys.stdout.write(answer)
            sys.stdout.flush()
        return
    request = _checked(json.load(sys.stdin))
    try:
        trajectory = solve(request)
    except Unsupported as err:
        print(f"unsupported: {err}", file=sys.stderr)
        sys.exit(UNSUPPORTED_EXIT)
    sys.stdout.write(to_csv(trajectory))
