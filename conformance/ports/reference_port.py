"""`reference` (PyTorch, autograd, SGD) as a port: `python -m conformance.ports.reference_port`.

It runs the case exactly as the golden tests do. Init cases are unsupported (torch does not
reproduce numpy's generators) and are skipped.
"""

from __future__ import annotations

from conformance.ports.protocol import Trajectory, Unsupported, serve
from conformance.ports.request import answer_with


def solve(request: dict) -> Trajectory:
    """Answer a request with the reference; init cases raise `Unsupported`."""
    if request["case"]["kind"] == "init":
        raise Unsupported("reference has no numpy initialiser recipes")
    return answer_with("reference", request)


if __name__ == "__main__":
    serve(solve)
