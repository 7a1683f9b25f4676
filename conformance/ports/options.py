"""The options of `check`, which `python -m conformance.ports check` and `mlp-conformance check`
share (`add_check_arguments`), each checked as it is parsed: a bad value is a usage error (exit
status 2) naming the option, before any port runs; the checks themselves raise
`PortArgumentError` (a `ValueError`).

Light on purpose: a command line's parser (and its `--help`) is built without pandas,
Hypothesis or the rest of the runner; the capabilities and xfail files' readers are imported
when those options are given.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.ports.runner import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    PortArgumentError,
    check_max_output,
    check_timeout,
    port_argv,
)
from conformance.tolerances import DTYPES

if TYPE_CHECKING:
    from conformance.ports.capabilities import Capabilities
    from conformance.ports.xfail import Xfails


def check_junit(path: object) -> Path:
    """The JUnit report's path, if it can be written (`check_report_path`)."""
    return check_report_path(path, "junit")


def _option(check: Callable[[object], object], number: bool) -> Callable[[str], object]:
    """An argparse `type`: `check` applied to the text (as a float if `number`), its
    `PortArgumentError` turned into a usage error."""

    def parse(text: str) -> object:
        try:
            return check(float(text) if number else text)
        except (PortArgumentError, ValueError) as err:
            message = str(err) if isinstance(err, PortArgumentError) else f"not a number: {text!r}"
            raise argparse.ArgumentTypeError(message) from None

    return parse


def check_port(command: object) -> str:
    """The port command, if it splits into a program and its arguments (`port_argv`)."""
    port_argv(command)
    return str(command)


def check_report_path(path: object, option: str = "junit") -> Path:
    """A report's path (JUnit or JSON), if it can be written: its folder exists and is
    writable, and it is not itself a folder; else `PortArgumentError` naming the option."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise PortArgumentError(f"{option} must be a file path, got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise PortArgumentError(f"{option}: {path} is a folder, not a file")
    if not path.parent.is_dir():
        raise PortArgumentError(
            f"{option}: the folder {path.parent} does not exist (create it first)"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise PortArgumentError(f"{option}: cannot write into the folder {path.parent}")
    return path


def read_capabilities(path: object) -> Capabilities:
    """The capabilities file, parsed; `PortArgumentError` naming it otherwise."""
    from conformance.ports.capabilities import Capabilities, CapabilitiesError

    try:
        return Capabilities.read(Path(str(path)))
    except CapabilitiesError as err:
        raise PortArgumentError(str(err)) from None


def read_xfails(path: object) -> Xfails:
    """The xfail file, parsed; `PortArgumentError` naming it and the line otherwise."""
    from conformance.ports.xfail import XfailFileError, Xfails

    try:
        return Xfails.read(Path(str(path)))
    except XfailFileError as err:
        raise PortArgumentError(str(err)) from None


port_option = _option(check_port, number=False)
capabilities_option = _option(read_capabilities, number=False)
xfail_option = _option(read_xfails, number=False)
json_option = _option(lambda p: check_report_path(p, "json"), number=False)
seconds_option = _option(check_timeout, number=True)
mib_option = _option(check_max_output, number=True)
junit_option = _option(check_junit, number=False)


def add_dtype_argument(parser: argparse.ArgumentParser) -> None:
    """--dtype float64|float32: the arithmetic the port computes in (PORTS.md, "Float32
    ports")."""
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default=None,
        help="the port computes in float32: grade each value within its float32 bound "
        "(conformance/tolerances.py) as well (float64)",
    )


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `check`: --port (required), --case, --strict, --timeout, --max-output,
    --junit, --persistent, --dtype; each checked as it is parsed."""
    parser.add_argument(
        "--port", required=True, type=port_option, help='the port command, e.g. "python my_port.py"'
    )
    parser.add_argument("--case", action="append", help="only this case id (repeatable)")
    parser.add_argument("--strict", action="store_true", help="a value the port omits is a failure")
    parser.add_argument(
        "--timeout",
        type=seconds_option,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per case ({DEFAULT_TIMEOUT:g}); then the port and all it started are killed",
    )
    parser.add_argument(
        "--max-output",
        type=mib_option,
        default=DEFAULT_MAX_OUTPUT,
        metavar="MIB",
        help=f"the most a port may print on stdout, in MiB ({DEFAULT_MAX_OUTPUT:g})",
    )
    parser.add_argument("--junit", type=junit_option, help="also write a JUnit XML report here")
    parser.add_argument(
        "--persistent",
        action="store_true",
        help="start the port once and send it every case, one request per line "
        "(MLP_PORT_MODE=persistent; see PORTS.md)",
    )
    add_dtype_argument(parser)
    parser.add_argument(
        "--capabilities",
        type=capabilities_option,
        metavar="FILE",
        help="what the port declares it supports (JSON; see PORTS.md): cases outside it are "
        "unsupported",
    )
    parser.add_argument(
        "--xfail",
        type=xfail_option,
        metavar="FILE",
        help="expected failures: one 'CASE[/TENSOR] reason' per line (see PORTS.md)",
    )
    parser.add_argument(
        "--json", type=json_option, metavar="FILE", help="also write a JSON report here"
    )
