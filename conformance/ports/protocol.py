"""The port side of the protocol, in the standard library only (see conformance/PORTS.md).

A port reads one JSON request on stdin and writes its trajectory as CSV on stdout with the
header ``step,tensor,row,col,value``. `serve(solve)` does both for a Python port whose
`solve(request)` returns ``{(step, tensor): matrix}`` (a matrix is a list of rows); raising
`Unsupported` makes the port exit with status 3, which the runner reports as "unsupported".
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

PROTOCOL_VERSION = 1
UNSUPPORTED_EXIT = 3

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


def serve(solve: Callable[[dict], Trajectory]) -> None:
    """Read the request from stdin, answer on stdout; exit 3 on `Unsupported`."""
    request = json.load(sys.stdin)
    if request.get("protocol") != PROTOCOL_VERSION:
        sys.exit(f"unsupported protocol version {request.get('protocol')!r}")
    try:
        trajectory = solve(request)
    except Unsupported as err:
        print(f"unsupported: {err}", file=sys.stderr)
        sys.exit(UNSUPPORTED_EXIT)
    sys.stdout.write(to_csv(trajectory))
