"""`scratch` as a port: `python -m conformance.ports.scratch_port` answers one request.

It runs the case exactly as the golden tests do (`conformance.golden.runner`), so the protocol
is checked with an implementation known to pass. It answers every kind of case, init included.
"""

from __future__ import annotations

from conformance.ports.protocol import Trajectory, serve
from conformance.ports.request import answer_with


def solve(request: dict) -> Trajectory:
    """Answer a request with scratch."""
    return answer_with("scratch", request)


if __name__ == "__main__":
    serve(solve)
