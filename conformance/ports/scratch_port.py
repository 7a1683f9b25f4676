"""`scratch` as a port: `python -m conformance.ports.scratch_port` answers one request.

It runs the case exactly as the golden tests do (`conformance.golden.runner`), so the protocol
is checked with an implementation known to pass.
"""

from __future__ import annotations

from conformance.golden.runner import trajectory
from conformance.ports.protocol import Trajectory, Unsupported, serve
from conformance.ports.request import case_from_request

IMPLEMENTATION = "scratch"


def frame_to_trajectory(frame) -> Trajectory:
    """A golden-format frame -> {(step, tensor): matrix}."""
    out: Trajectory = {}
    for (step, tensor), g in frame.groupby(["step", "tensor"], sort=False):
        rows, cols = int(g["row"].max()) + 1, int(g["col"].max()) + 1
        matrix = [[0.0] * cols for _ in range(rows)]
        for r, c, v in zip(g["row"], g["col"], g["value"], strict=True):
            matrix[r][c] = float(v)
        out[(int(step), str(tensor))] = matrix
    return out


def solve(request: dict, implementation: str = IMPLEMENTATION) -> Trajectory:
    """Answer a request with `implementation` ("scratch" or "reference")."""
    case = case_from_request(request)
    if case.kind == "init" and implementation != "scratch":
        raise Unsupported(f"{implementation} has no numpy initialiser recipes")
    return frame_to_trajectory(trajectory(case, implementation))


if __name__ == "__main__":
    serve(solve)
