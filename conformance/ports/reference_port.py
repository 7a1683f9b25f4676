"""`reference` (PyTorch, autograd, SGD) as a port:
`python -m conformance.ports.reference_port [--dtype float32]`.

It runs the case exactly as the golden tests do. Init cases are unsupported (torch does not
reproduce numpy's generators) and are skipped. With `--dtype float32` it computes in float32
throughout (torch's float32 kernels), an honest float32 port (PORTS.md, "Float32 ports").
"""

from __future__ import annotations

import functools

from conformance.ports.protocol import Trajectory, Unsupported, dtype_argument, serve
from conformance.ports.request import answer_with


def solve(request: dict, dtype: str = "float64") -> Trajectory:
    """Answer a request with the reference in `dtype`; init cases raise `Unsupported`."""
    if request["case"]["kind"] == "init":
        raise Unsupported("reference has no numpy initialiser recipes")
    return answer_with("reference", request, dtype)


if __name__ == "__main__":
    serve(functools.partial(solve, dtype=dtype_argument("conformance.ports.reference_port")))
