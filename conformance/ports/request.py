"""Build the request a port is sent for a golden case (see conformance/PORTS.md)."""

from __future__ import annotations

from pathlib import Path

from conformance.golden.cases import Case
from conformance.golden.runner import in_layout
from conformance.ports.protocol import PROTOCOL_VERSION


def build_request(case: Case) -> dict:
    """{"protocol", "case" (case.json as is), "params" (in the case's layout), "data"}.

    Every array is a list of rows, shaped as in the golden CSV files (a bias vector of layout
    t1 is a column). Init cases carry no params or data.
    """
    params = {}
    if case.params is not None:
        for name, array in in_layout(case.layout, case.params).items():
            params[name] = (array.reshape(-1, 1) if array.ndim == 1 else array).tolist()
    return {
        "protocol": PROTOCOL_VERSION,
        "case": case.meta,
        "params": params,
        "data": {name: array.tolist() for name, array in case.data.items()},
    }


def case_from_request(request: dict) -> Case:
    """The inverse of `build_request`: a validated `Case` (without expected values)."""
    import numpy as np

    from conformance.golden.cases import params_from_layout, spec_from_meta

    meta = request["case"]
    spec = params = None
    if meta["kind"] == "network":
        spec = spec_from_meta(Path("request"), meta)
        arrays = {k: np.array(v, dtype=np.float64) for k, v in request["params"].items()}
        params = params_from_layout(Path("request"), meta["layout"], arrays, spec.depth, spec.bias)
    data = {k: np.array(v, dtype=np.float64) for k, v in request["data"].items()}
    return Case(meta["id"], Path("request"), meta, spec, params, data)
