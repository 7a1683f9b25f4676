"""Run one port process and always get control back: bytes in, capped bytes out, a deadline,
and every process the port started killed when it ends.

`run_process` writes stdin and reads stdout and stderr as bytes, each in its own thread, so a
port that never reads its input, closes it early, floods stderr or prints without end cannot
block the runner. Stdout is kept up to a cap (over it, the port is killed: the runner's memory
stays near the cap); only the last `STDERR_KEPT` bytes of stderr are kept. The run ends when the
port process exits, when stdout passes the cap, or at the deadline, whichever comes first; then
every process the port started is killed (`kill_descendants`, at most `KILL_ROUNDS_FOR` s) and
the pipes are drained for at most `DRAIN` s, whatever a stray process holds open.

How they are found and killed: see `conformance.ports.reaping`.

This is no sandbox: a port runs as the caller's user and may read whatever the caller can.
Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from conformance.ports.reaping import (
    RUN_TOKEN,
    PortCgroup,
    become_subreaper,
    kill_descendants,
    proc_stat,
)

MiB = 1 << 20
DEFAULT_MAX_OUTPUT_MIB = 256
"""The default cap on a port's stdout, in MiB (a port's answer is a few MB at most)."""
DEFAULT_MAX_OUTPUT = float(DEFAULT_MAX_OUTPUT_MIB)
"""The same cap as a float (the command-line options' default)."""
DEFAULT_TIMEOUT = 60.0
"""The default time a port has for one case, in seconds."""
STDERR_KEPT = 4096
"""Bytes of stderr kept (the last ones) for reports."""
DRAIN = 0.5
"""Seconds to wait for the pipes to close once every process of the port is killed."""
_CHUNK = 1 << 16
_POLL = 0.05  # seconds an idle pipe thread waits before checking whether it should stop


@dataclass(frozen=True)
class Finished:
    """How a port process ended. returncode: its status (negative: the signal that killed it);
    stdout: at most the cap plus one chunk; stderr: its last `STDERR_KEPT` bytes; timed_out:
    killed at the deadline; over_cap: killed for printing more than the cap."""

    returncode: int
    stdout: bytearray  # not copied: it may be as large as the cap
    stderr: bytes
    timed_out: bool = False
    over_cap: bool = False


def write_all(pipe: IO[bytes], data: bytes, stop: threading.Event, close: bool = True) -> None:
    """Write `data` into `pipe`, then close it (if `close`); give up quietly if the reader goes
    or on `stop`."""
    view, fd = memoryview(data), pipe.fileno()
    with selectors.DefaultSelector() as sel, contextlib.suppress(OSError):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_WRITE)
        while view and not stop.is_set():
            if sel.select(_POLL):
                with contextlib.suppress(BlockingIOError):
                    view = view[os.write(fd, view[:_CHUNK]) :]
    if close:
        with contextlib.suppress(OSError):
            pipe.close()


def read_all(fd: int, sink: bytearray, cap: int | None, stop: threading.Event) -> bool:
    """Read `fd` to its end or `stop` into `sink`. With `cap`: stop after more than `cap`
    bytes and return True; without: keep only the last `STDERR_KEPT` bytes."""
    with selectors.DefaultSelector() as sel:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
        while not stop.is_set():
            if not sel.select(_POLL):
                continue
            try:
                chunk = os.read(fd, _CHUNK)
            except BlockingIOError:
                continue
            except OSError:
                return False
            if not chunk:
                return False
            sink += chunk
            if cap is not None and len(sink) > cap:
                return True
            if cap is None and len(sink) > 2 * STDERR_KEPT:
                del sink[:-STDERR_KEPT]
    return False


def run_process(
    argv: list[str], stdin: bytes, *, env: dict[str, str], cwd: Path, timeout: float, cap: int
) -> Finished:
    """Run `argv` in a new session with `stdin`, `env` (plus its run token) and `cwd`; see the
    module docstring. `OSError` (or `ValueError`) if it cannot be started."""
    become_subreaper()
    token = uuid.uuid4().hex
    cgroup = PortCgroup.for_this_process()
    try:
        proc = subprocess.Popen(
            argv if cgroup is None else cgroup.wrap(argv, env.get("PATH")),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env, RUN_TOKEN: token},
            cwd=cwd,
            start_new_session=True,
        )
    except BaseException:
        if cgroup is not None:
            cgroup.kill()
        raise
    stat = proc_stat(proc.pid)
    stop, ended = threading.Event(), threading.Event()
    out, err, over = bytearray(), bytearray(), threading.Event()

    def pump_stdout() -> None:
        if read_all(proc.stdout.fileno(), out, cap, stop):
            over.set()
            ended.set()  # over the cap: the run ends now

    def wait() -> None:
        proc.wait()
        ended.set()

    threads = [
        threading.Thread(target=pump_stdout),
        threading.Thread(target=read_all, args=(proc.stderr.fileno(), err, None, stop)),
        threading.Thread(target=write_all, args=(proc.stdin, stdin, stop)),
    ]
    for thread in [*threads, threading.Thread(target=wait, daemon=True)]:
        thread.start()
    timed_out = True
    try:
        timed_out = not ended.wait(timeout)
    finally:
        if cgroup is not None:
            cgroup.kill()
        kill_descendants(proc, token, None if stat is None else stat[2])
        proc.wait()
        give_up = time.monotonic() + DRAIN
        for thread in threads[:2]:  # the pipes close once every process holding them is gone
            thread.join(max(0.0, give_up - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join()  # each returns within _POLL of `stop`
        proc.stdout.close()
        proc.stderr.close()
    stderr = bytes(err[-STDERR_KEPT:])
    return Finished(proc.returncode, out, stderr, timed_out and not over.is_set(), over.is_set())
