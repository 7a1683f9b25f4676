"""The request a port is sent for a case (see conformance/PORTS.md), built from a golden case
and read back into one; and the answer the shipped ports give by running a case with one of
our implementations (`answer_with`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conformance.golden.cases import Case, params_from_layout, spec_from_meta
from conformance.golden.runner import trajectory_matrices
from conformance.ports.protocol import PROTOCOL_VERSION, Trajectory
from scratch.layouts import named_in_layout


def build_request(case: Case) -> dict:
    """{"protocol", "case" (case.json as is), "params" (in the case's layout), "data"}.

    Every array is a list of rows, shaped as in the golden CSV files (a bias vector of layout
    t1 is a column). Init cases carry no params or data.
    """
    params = {}
    if case.params is not None:
        arrays = named_in_layout(case.layout, case.params.W, case.params.b)
        for name, array in arrays.items():
            params[name] = (array.reshape(-1, 1) if array.ndim == 1 else array).tolist()
    return {
        "protocol": PROTOCOL_VERSION,
        "case": case.meta,
        "params": params,
        "data": {name: array.tolist() for name, array in case.data.items()},
    }


def case_from_request(request: dict) -> Case:
    """The inverse of `build_request`: a validated `Case` (without expected values)."""
    meta = request["case"]
    spec = params = None
    if meta["kind"] == "network":
        spec = spec_from_meta(Path("request"), meta)
        arrays = {k: np.array(v, dtype=np.float64) for k, v in request["params"].items()}
        params = params_from_layout(Path("request"), meta["layout"], arrays, spec.depth, spec.bias)
    data = {k: np.array(v, dtype=np.float64) for k, v in request["data"].items()}
    return Case(meta["id"], Path("request"), meta, spec, params, data)


def answer_with(implementation: str, request: dict, dtype: str = "float64") -> Trajectory:
    """Answer a request by running its case with `implementation` ("scratch" or "reference")
    in `dtype` ("float64" or "float32") exactly as the golden tests do
    (`conformance.golden.runner.trajectory_matrices`)."""
    case = case_from_request(request)
    return {key: A.tolist() for key, A in trajectory_matrices(case, implementation, dtype).items()}
