"""Run a port on one golden case and say how it ended (the runner side of
conformance/PORTS.md); `conformance.ports.grading` grades the answer.

A port is run once per case, as a command (a subprocess: `conformance.ports.process` keeps the
runner in control) or, for Python ports in this repository, in process (`run_solver`). Nothing
a port does (crash, hang, garbage, endless or binary output, touching the golden data) raises
out of here: it becomes an `Outcome` whose message quotes at most `QUOTE` characters of it.
A bad argument of the caller (an empty command, a timeout of NaN) is a `PortArgumentError`.

What a port command sees: `MLP_CASE_DIR` is a fresh temporary folder holding copies of the
case's `PORT_FILES` only (never expected.csv or transcribed.csv), and its working directory is
another; both are removed after the case. Every entry of the golden folder the case came from
is fingerprinted by `lstat` (`conformance.golden.manifest.fingerprint`, no file read) before and
after: a change is an error naming the entries.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conformance.golden.cases import TRAJECTORY_COLUMNS, Case
from conformance.golden.manifest import changed_files, fingerprint
from conformance.golden.tensors import CaseFormatError
from conformance.ports.process import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    Finished,
    MiB,
    run_process,
)
from conformance.ports.protocol import (
    MODE_VARIABLE,
    UNSUPPORTED_EXIT,
    Trajectory,
    Unsupported,
    to_csv,
)
from conformance.ports.request import build_request

PORT_FILES = ("case.json", "case.txt", "params.csv", "data.csv")
"""What a port may read in MLP_CASE_DIR (those the case has): case.txt is case.json flattened
into key=value lines (`conformance.golden.flat`), for a port that reads no JSON."""
QUOTE = 300
"""Characters of a port's output or stderr that a message may quote."""
HEADER = ",".join(TRAJECTORY_COLUMNS)


class PortArgumentError(ValueError):
    """An argument of the runner is invalid (the caller's mistake, not the port's); the message
    names the argument."""


def _positive(name: str, value: object, unit: str) -> float:
    """`value` as a finite float > 0, else `PortArgumentError` naming `name`."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise PortArgumentError(f"{name} must be a finite number of {unit} > 0, got {value!r}")
    return float(value)


def check_timeout(timeout: object) -> float:
    """The timeout in seconds, validated: finite, > 0 (`PortArgumentError` names `timeout`)."""
    seconds = _positive("timeout", timeout, "seconds")
    if seconds > threading.TIMEOUT_MAX:
        raise PortArgumentError(
            f"timeout must be at most {threading.TIMEOUT_MAX:g} s, got {timeout}"
        )
    return seconds


def check_max_output(max_output: object) -> float:
    """The stdout cap in MiB, validated: finite, > 0 (`PortArgumentError` names `max_output`)."""
    return _positive("max_output", max_output, "MiB")


def port_argv(command: object) -> list[str]:
    """The port command split like a shell would (not run through one); `PortArgumentError`
    naming `port` if it is not a string, is empty or does not parse."""
    if not isinstance(command, str):
        raise PortArgumentError(
            f"port must be a command line (a str), got {type(command).__name__}"
        )
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise PortArgumentError(f"port: cannot split {clip(command)!r} into words: {err}") from None
    if not argv or "\0" in command:
        raise PortArgumentError(f"port must name a program to run, got {clip(command)!r}")
    return argv


def absolute_argv(argv: list[str]) -> list[str]:
    """The port runs in a temporary folder: a relative path to the program (./my_port), and
    each later argument naming an existing file or folder here, become absolute paths."""
    out = []
    for i, arg in enumerate(argv):
        relative = arg and not os.path.isabs(arg) and not arg.startswith("-")
        if relative and ("/" in arg if i == 0 else os.path.exists(arg)):
            arg = os.path.abspath(arg)
        out.append(arg)
    return out


def printable(text: str) -> str:
    """`text` with every unprintable character but newline and tab escaped (XML-safe)."""
    return "".join(c if c.isprintable() or c in "\n\t" else ascii(c)[1:-1] for c in text)


def clip(text: str, limit: int = QUOTE) -> str:
    """`text` made printable and, if longer than `limit`, its middle cut out."""
    for _ in range(2):  # escaping can lengthen it: cut again
        if len(text) > limit:
            half = limit // 2
            text = f"{text[:half]} ...[{len(text) - 2 * half} characters cut]... {text[-half:]}"
        text = printable(text)
    return text


@dataclass(frozen=True)
class Outcome:
    """What running a port on one case gave: status "ok" (text holds its CSV), "unsupported",
    "crash", "hang", "bad output" or "data changed"; message says what happened, for anything
    but "ok"."""

    status: str
    text: str = ""
    message: str = ""


def _golden_root(case: Case) -> Path | None:
    """The golden folder the case was loaded from (None for a case not read from a folder)."""
    return case.path.parent if (case.path / "case.json").is_file() else None


def _fingerprint(root: Path | None) -> dict[str, str]:
    """`manifest.fingerprint(root)`: every entry of the golden folder, the manifest and folders
    included, by what `lstat` says of it (no file is read, whatever its size)."""
    return {} if root is None else fingerprint(root)


def golden_fingerprint(case: Case) -> tuple[Path | None, dict[str, str]]:
    """(the golden folder `case` came from, its fingerprint), taken before a port runs."""
    root = _golden_root(case)
    return root, _fingerprint(root)


def data_verdict(root: Path | None, before: dict[str, str], outcome: Outcome) -> Outcome:
    """`outcome`, unless the golden folder `root` changed since `before`: then "data changed",
    naming the first few entries that changed."""
    changes = changed_files(before, _fingerprint(root))
    if not changes:
        return outcome
    more = f"; and {len(changes) - 5} more" if len(changes) > 5 else ""
    return Outcome(
        "data changed",
        message=clip(
            f"{root.name}/ changed during the port run: {'; '.join(changes[:5])}{more}", 800
        ),
    )


def fill_case_dir(case: Case, folder: Path) -> None:
    """Copy the case's `PORT_FILES` (those it has) into `folder`."""
    for name in PORT_FILES:
        if (case.path / name).is_file():
            shutil.copyfile(case.path / name, folder / name)


@contextlib.contextmanager
def port_folders(case: Case) -> Iterator[tuple[Path, Path]]:
    """(MLP_CASE_DIR, working directory): two fresh temporary folders, the first holding copies
    of the case's `PORT_FILES`; both removed afterwards, whatever the port left in them."""
    d = Path(tempfile.mkdtemp(prefix="mlp-port-case-"))
    cwd = Path(tempfile.mkdtemp(prefix="mlp-port-cwd-"))
    try:
        fill_case_dir(case, d)
        yield d, cwd
    finally:
        for folder in (d, cwd):
            remove_tree(folder)


def remove_tree(folder: Path) -> None:
    """Remove `folder` and whatever a port left in it: read-only folders, thousands of levels
    (too deep for `shutil.rmtree` in Python 3.11) included; a link is removed, never what it
    points to. Never raises."""
    try:
        if os.path.islink(folder):  # a port replaced the folder by a link: remove the link only
            os.unlink(folder)
            return
        for top, dirs, _ in os.walk(folder):  # make every folder writable and searchable first
            for name in dirs:
                path = os.path.join(top, name)
                if not os.path.islink(path):  # (os.walk lists a link to a folder as a folder)
                    with contextlib.suppress(OSError):
                        os.chmod(path, 0o700)
        shutil.rmtree(folder)
    except (OSError, RecursionError):
        with contextlib.suppress(OSError):
            subprocess.run(["rm", "-rf", "--", str(folder)], check=False, timeout=60)


def signal_name(number: int) -> str:
    """The name of signal `number` ("SIGSEGV" for 11), or "signal N" if it names none."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def ended(done: Finished, timeout: float, max_output: float) -> Outcome:
    """The outcome of a finished port process, its stdout decoded."""
    text = done.stderr.decode("utf-8", "backslashreplace").strip()[-QUOTE:]
    stderr = text if len(repr(text)) <= 2 * QUOTE else text[-QUOTE // 4 :]  # repr escapes
    code = done.returncode
    if done.over_cap:
        cap = f"more than {max_output:g} MiB on stdout, the --max-output cap"
        return Outcome("bad output", message=f"bad output ({cap}): the port was killed there")
    if done.timed_out:
        return Outcome(
            "hang",
            message=f"hang: no answer within {timeout:g} s; the port and every process it "
            "started were killed",
        )
    if code == UNSUPPORTED_EXIT:
        return Outcome("unsupported", message=clip(text) or "the port says it is unsupported")
    if code < 0:
        return Outcome(
            "crash", message=f"crash: killed by {signal_name(-code)}; stderr: {stderr!r}"
        )
    if code != 0:
        shell = ""
        if 128 < code < 128 + signal.NSIG and signal_name(code - 128).startswith("SIG"):
            shell = f" (a shell's code for killed by {signal_name(code - 128)})"
        return Outcome("crash", message=f"crash: exit status {code}{shell}; stderr: {stderr!r}")
    try:
        return Outcome("ok", text=decode_output(done.stdout))
    except CaseFormatError as err:
        return Outcome("bad output", message=f"bad output: {err}")


def decode_output(raw: bytes | bytearray) -> str:
    """A port's stdout as text: UTF-8 (a leading byte-order mark is allowed), no NUL byte;
    `CaseFormatError` naming the first bad byte, its offset and line."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    nul = raw.find(b"\0", start)
    try:
        text = str(memoryview(raw)[start : None if nul < 0 else nul], "utf-8")  # no copy
    except UnicodeDecodeError as err:
        at, why = start + err.start, "is not UTF-8 text"
    else:
        if nul < 0:
            return text
        at, why = nul, "holds a NUL byte (binary or UTF-16 output?)"
    line = raw.count(b"\n", 0, at) + 1
    raise CaseFormatError(
        f"stdout {why}: byte 0x{raw[at]:02x} at offset {at} (line {line}); print plain ASCII or "
        "UTF-8 CSV"
    )


def run_command(
    command: str,
    case: Case,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: float = DEFAULT_MAX_OUTPUT,
) -> Outcome:
    """Run the port `command` (split like a shell would, no shell) on `case`: its request on
    stdin, MLP_CASE_DIR and the working directory fresh temporary folders (`port_folders`).
    The port and everything it started are killed after `timeout` seconds or more than
    `max_output` MiB of stdout. `PortArgumentError` for a bad argument; whatever the port
    does is an `Outcome`, "data changed" if the golden folder changed meanwhile."""
    argv = absolute_argv(port_argv(command))
    timeout, max_output = check_timeout(timeout), check_max_output(max_output)
    request = json.dumps(build_request(case)).encode()
    root, before = golden_fingerprint(case)
    with port_folders(case) as (case_dir, cwd):
        env = {
            **os.environ,
            "MLP_CASE_DIR": str(case_dir),
            MODE_VARIABLE: "single",
            "PWD": str(cwd),
        }
        env.pop("OLDPWD", None)  # the caller's folder: nothing a port needs to know
        try:
            done = run_process(
                argv, request, env=env, cwd=cwd, timeout=timeout, cap=int(max_output * MiB)
            )
        except (OSError, ValueError) as err:
            outcome = Outcome("crash", message=f"crash: cannot start {clip(command)!r}: {err}")
        else:
            outcome = ended(done, timeout, max_output)
    return data_verdict(root, before, outcome)


def run_solver(solve: Callable[[dict], Trajectory], case: Case) -> Outcome:
    """Run a Python port's `solve` in process; its output goes through the same CSV parser.
    Any exception it raises is a crash, as a non-zero exit would be."""
    try:
        return Outcome("ok", text=to_csv(solve(build_request(case))))
    except Unsupported as err:
        return Outcome("unsupported", message=clip(str(err)))
    except Exception as err:  # a port's failure is a result here, not an error of the runner
        return Outcome("crash", message=clip(f"crash: {type(err).__name__}: {err}"))
