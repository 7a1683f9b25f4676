"""Suite-wide settings: NumPy overflow, division by zero and invalid operations raise.

(Underflow to zero stays silent: exp(-1000) = 0 is the correct float64 answer.) Python warnings
are errors too, through `filterwarnings = error` in pyproject.toml.
"""

from __future__ import annotations

import numpy as np
import pytest


def pytest_configure(config: pytest.Config) -> None:
    # For the whole run (each xdist worker runs this too); a test that needs another setting
    # says so with its own `np.errstate`. Cheaper than an autouse fixture around 7,000 tests.
    np.seterr(over="raise", divide="raise", invalid="raise", under="ignore")
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU; skipped cleanly without one")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlp-conformance ports")
    group.addoption(
        "--port",
        action="append",
        default=[],
        metavar="COMMAND",
        help="check this port command against every golden case (see conformance/PORTS.md)",
    )
    group.addoption(
        "--port-strict", action="store_true", help="with --port: an omitted value is a failure"
    )
    group.addoption(
        "--port-timeout", type=float, default=60.0, help="with --port: seconds per case (60)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`test_port` runs once per (--port command, golden case); skipped without --port."""
    if "port_case" not in metafunc.fixturenames:
        return
    from conformance.golden.cases import load_all

    ports = metafunc.config.getoption("--port")
    if not ports:
        skip = pytest.mark.skip(reason="no --port COMMAND given")
        metafunc.parametrize("port_case", [pytest.param(None, marks=skip, id="no-port")])
        return
    params = [
        pytest.param((port, case), id=f"port{i}/{case.id}")
        for i, port in enumerate(ports)
        for case in load_all()
    ]
    metafunc.parametrize("port_case", params)
