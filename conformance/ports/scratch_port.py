"""`scratch` as a port: `python -m conformance.ports.scratch_port [--dtype float32]` answers one
request (or, in persistent mode, every request).

It runs the case exactly as the golden tests do (`conformance.golden.runner`), so the protocol
is checked with an implementation known to pass. It answers every kind of case, init included.
With `--dtype float32` it computes in float32 throughout, an honest float32 port: graded with
`--dtype float32` it passes (PORTS.md, "Float32 ports"); graded as float64 it fails.
"""

from __future__ import annotations

import functools

from conformance.ports.protocol import Trajectory, dtype_argument, serve
from conformance.ports.request import answer_with


def solve(request: dict, dtype: str = "float64") -> Trajectory:
    """Answer a request with scratch, computing in `dtype` ("float64" or "float32")."""
    return answer_with("scratch", request, dtype)


if __name__ == "__main__":
    serve(functools.partial(solve, dtype=dtype_argument("conformance.ports.scratch_port")))
