"""`reference` (PyTorch, autograd, SGD) as a port: `python -m conformance.ports.reference_port`.

Init cases are unsupported (torch does not reproduce numpy's generators) and are skipped.
"""

from __future__ import annotations

from conformance.ports import scratch_port
from conformance.ports.protocol import Trajectory, serve


def solve(request: dict) -> Trajectory:
    return scratch_port.solve(request, "reference")


if __name__ == "__main__":
    serve(solve)
