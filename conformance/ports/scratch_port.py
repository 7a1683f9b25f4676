"""`scratch` as a port: `python -m conformance.ports.scratch_port` answers one request.

It runs the case exactly as the golden tests do (`conformance.golden.runner`), so the protocol
is checked with an implementation known to pass.
"""

from __future__ import annotations

import numpy as np

from conformance.golden.runner import trajectory
from conformance.ports.protocol import Trajectory, Unsupported, serve
from conformance.ports.request import case_from_request

IMPLEMENTATION = "scratch"


def frame_to_trajectory(frame) -> Trajectory:
    """A golden-format frame -> {(step, tensor): matrix}."""
    out: Trajectory = {}
    rows, cols, values = (frame[c].to_numpy() for c in ("row", "col", "value"))
    for (step, tensor), index in frame.groupby(["step", "tensor"], sort=False).indices.items():
        matrix = np.zeros((rows[index].max() + 1, cols[index].max() + 1))
        matrix[rows[index], cols[index]] = values[index]
        out[(int(step), str(tensor))] = matrix.tolist()
    return out


def solve(request: dict, implementation: str = IMPLEMENTATION) -> Trajectory:
    """Answer a request with `implementation` ("scratch" or "reference")."""
    case = case_from_request(request)
    if case.kind == "init" and implementation != "scratch":
        raise Unsupported(f"{implementation} has no numpy initialiser recipes")
    return frame_to_trajectory(trajectory(case, implementation))


if __name__ == "__main__":
    serve(solve)
