"""Port conformance: check any implementation, in any language, against the golden cases.

`protocol` is the port side (standard library only, so that any Python port can use it),
`request` builds what a port is sent, `process` runs a port process (output caps, timeout),
`reaping` kills every process it started, `runner` sets up what a port sees and says how it
ended, `grading` grades its answer, `report` prints tables and JUnit XML, `options` parses
`check`'s options, `checking` runs a whole check: `conformance.ports.check(port, cases, ...)`,
the function both command lines call.
Shipped ports: `scratch_port`, `reference_port`, `pure_python` (no numpy, no torch); `mutants`
is the catalogue of deliberately wrong ports. The protocol is documented in
conformance/PORTS.md. Command line: `python -m conformance.ports --help`.

Importing this package imports nothing heavy (a pure-Python port imports `protocol` through
it); `check` is loaded on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "check":
        from conformance.ports.checking import check

        return check
    raise AttributeError(f"module 'conformance.ports' has no attribute {name!r}")


__all__ = ["check"]
