"""Port conformance: check any implementation, in any language, against the golden cases.

`protocol` is the port side (standard library only, so that any Python port can use it),
`request` builds what a port is sent, `runner` runs a port and grades its answer, `report`
prints tables and JUnit XML. Shipped ports: `scratch_port`, `reference_port`, `pure_python`
(no numpy, no torch); `mutants` is the catalogue of deliberately wrong ports. The protocol is
documented in conformance/PORTS.md. Command line: `python -m conformance.ports --help`.
"""
