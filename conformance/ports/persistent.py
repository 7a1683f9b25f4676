"""One port process answering many cases: the persistent mode of conformance/PORTS.md.

Starting a process per case costs one to two seconds for a Python, JVM or JAX port. In
persistent mode the runner starts the port once, with `MLP_PORT_MODE=persistent`, and for each
case:

1. refills `MLP_CASE_DIR` (one folder for the process's life) with the case's port files;
2. writes the case's request as one line of JSON on the port's stdin;
3. reads stdout up to a marker line: `#end` (the answer, the CSV before it, is complete) or
   `#unsupported` (optionally `#unsupported: why`).

The case's timeout and stdout cap hold for each answer. A case that meets its timeout, passes
the cap, ends in an unknown marker line, or whose port exits before its marker, ends the process
(it and every process it started are killed, as in the one-request mode) and the next case
starts a fresh one; a port that exits 3 before its marker says "unsupported", as it would in the
one-request mode. After the last case the runner closes stdin; the port has `GRACE` seconds to
exit, then everything it started is killed. The golden folder is fingerprinted before and after
each case, as in `conformance.ports.runner.run_command`.

Standard library only (and the runner's helpers).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType

from conformance.golden.cases import Case
from conformance.ports.process import DRAIN, STDERR_KEPT, Finished, MiB, read_all, write_all
from conformance.ports.reaping import (
    RUN_TOKEN,
    PortCgroup,
    become_subreaper,
    kill_descendants,
    proc_stat,
)
from conformance.ports.request import build_request
from conformance.ports.runner import (
    DEFAULT_MAX_OUTPUT,
    DEFAULT_TIMEOUT,
    MODE_VARIABLE,
    Outcome,
    absolute_argv,
    check_max_output,
    check_timeout,
    clip,
    data_verdict,
    decode_output,
    ended,
    fill_case_dir,
    golden_fingerprint,
    port_argv,
    remove_tree,
)

END, UNSUPPORTED = b"#end", b"#unsupported"
"""The marker lines that end an answer (a CSV line never starts with "#")."""
GRACE = 1.0
"""Seconds a port has to exit once the runner closes its stdin after the last case."""
_POLL = 0.05


class _Pipe:
    """A port process's stdout, read by a thread into `buffer` (under `lock`, which `changed`
    wakes): at most `cap` bytes past what the caller has taken; `eof` once it ends."""

    def __init__(self, fd: int, cap: int, stop: threading.Event):
        self.buffer, self.cap, self.eof, self.over = bytearray(), cap, False, False
        self.changed = threading.Condition()
        self._fd, self._stop, self._scanned = fd, stop, 0
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        with selectors.DefaultSelector() as sel:
            os.set_blocking(self._fd, False)
            sel.register(self._fd, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(_POLL):
                    continue
                try:
                    chunk = os.read(self._fd, 1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                with self.changed:
                    if chunk:
                        self.buffer += chunk
                        self.over = len(self.buffer) > self.cap
                    else:
                        self.eof = True
                    self.changed.notify_all()
                if not chunk or self.over:
                    return

    def take_answer(self) -> tuple[bytes, bytes] | None:
        """(answer, marker line) if the buffer holds a whole marker line; both are removed from
        it (what follows stays: the start of the next answer). Call with `changed` held."""
        buf = self.buffer
        if buf.startswith(b"#"):
            at = 0
        else:
            at = buf.find(b"\n#", self._scanned) + 1
            if at == 0:
                self._scanned = max(0, len(buf) - 1)  # each byte is searched once
                return None
        end = buf.find(b"\n", at)
        if end < 0:
            self._scanned = max(0, at - 1)
            return None  # the marker line is not whole yet
        answer, marker = bytes(buf[:at]), bytes(buf[at:end]).rstrip(b"\r")
        del buf[: end + 1]
        self._scanned = 0
        return answer, marker


class _Process:
    """One running port process in persistent mode, with its pipes' threads."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, cap: int):
        become_subreaper()
        self.token = uuid.uuid4().hex
        self.cgroup = PortCgroup.for_this_process()
        try:
            self.proc = subprocess.Popen(
                argv if self.cgroup is None else self.cgroup.wrap(argv, env.get("PATH")),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**env, RUN_TOKEN: self.token},
                cwd=cwd,
                start_new_session=True,
            )
        except BaseException:
            if self.cgroup is not None:
                self.cgroup.kill()
            raise
        self.stat = proc_stat(self.proc.pid)
        self.stop = threading.Event()
        self.stdout = _Pipe(self.proc.stdout.fileno(), cap, self.stop)
        self.stderr = bytearray()
        self.answered = 0
        """Answers it has ended with a marker line."""
        self.requests: queue.Queue[bytes | None] = queue.Queue()
        self.threads = [
            threading.Thread(
                target=read_all, args=(self.proc.stderr.fileno(), self.stderr, None, self.stop)
            ),
            threading.Thread(target=self._write, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _write(self) -> None:
        """Write each queued request line in turn (None: close stdin), in this thread, so that a
        port that does not read cannot block the runner."""
        while not self.stop.is_set():
            try:
                line = self.requests.get(timeout=_POLL)
            except queue.Empty:
                continue
            if line is None:
                break
            write_all(self.proc.stdin, line, self.stop, close=False)
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def send(self, line: bytes) -> None:
        """Queue one request line for the port's stdin."""
        self.requests.put(line)

    def end(self, grace: float = 0.0) -> int:
        """Close stdin, give the port `grace` seconds to exit, then kill it and every process it
        started; drain and close the pipes. Returns its exit status."""
        self.requests.put(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(grace)
        if self.cgroup is not None:
            self.cgroup.kill()
        self.proc.kill()  # (whatever group it is in) and reap it, before its descendants are
        self.proc.wait()  # searched: its unreaped pid would count as one of them
        kill_descendants(self.proc, self.token, None if self.stat is None else self.stat[2])
        readers = (self.stdout.thread, self.threads[0])
        give_up = time.monotonic() + DRAIN
        for thread in readers:  # the pipes close once every process holding them is gone
            thread.join(max(0.0, give_up - time.monotonic()))
        self.stop.set()
        for thread in (*readers, self.threads[1]):
            thread.join()  # each returns within _POLL of `stop`
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


class PersistentPort:
    """A port command in persistent mode: `run(case)` answers one case, each in the same
    process while it behaves; `close()` (or leaving the `with` block) ends it.

    `timeout` (seconds) and `max_output` (MiB) bound each case's answer, as in
    `conformance.ports.runner.run_command`; `grace` is the seconds it has to exit after the
    last case (`GRACE`). `PortArgumentError` names a bad argument."""

    def __init__(
        self,
        command: str,
        timeout: float = DEFAULT_TIMEOUT,
        max_output: float = DEFAULT_MAX_OUTPUT,
        grace: float = GRACE,
    ):
        self.command = command
        self.grace = check_timeout(grace)
        self.argv = absolute_argv(port_argv(command))
        self.timeout, self.max_output = check_timeout(timeout), check_max_output(max_output)
        self.started = 0
        """How many port processes have been started so far (1 while the port behaves)."""
        self._process: _Process | None = None
        self._folders: tuple[Path, Path] | None = None
        self._last_case: Case | None = None
        self.answered = 0
        """Answers ended by a marker line, over every process of this port."""
        self.changed_after_close = ""
        """What `close` found changed in the golden folder after the last case ("" if none)."""

    def __enter__(self) -> PersistentPort:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> _Process:
        base = Path(tempfile.mkdtemp(prefix="mlp-port-persistent-"))
        (case_dir := base / "case").mkdir()
        (cwd := base / "cwd").mkdir()
        self._folders = base, case_dir
        env = {
            **os.environ,
            "MLP_CASE_DIR": str(case_dir),
            MODE_VARIABLE: "persistent",
            "PWD": str(cwd),
        }
        env.pop("OLDPWD", None)
        self.started += 1
        return _Process(self.argv, env, cwd, int(self.max_output * MiB))

    def _stop(self, grace: float = 0.0) -> int | None:
        """End the current process (if any) and remove its folders."""
        code = None
        if self._process is not None:
            code = self._process.end(grace)
            self._process = None
        if self._folders is not None:
            remove_tree(self._folders[0])
            self._folders = None
        return code

    def close(self) -> None:
        """Close the port's stdin, wait `grace` s for it to exit, kill whatever is left. A
        change the port makes meanwhile to the golden folder of its last case is kept in
        `changed_after_close` (the entries changed, as `run` would name them)."""
        before = golden_fingerprint(self._last_case) if self._last_case is not None else None
        self._stop(self.grace)
        if before is not None:
            root, fingerprint_before = before
            verdict = data_verdict(root, fingerprint_before, Outcome("ok"))
            if verdict.status == "data changed":
                self.changed_after_close = verdict.message

    def run(self, case: Case) -> Outcome:
        """The port's answer to `case` (an `Outcome`, as `run_command` gives)."""
        root, before = golden_fingerprint(case)
        self._last_case = case
        try:
            outcome = self._ask(case)
            if outcome is None:  # it exited after its last answer as this one was sent
                outcome = self._ask(case)
        except (OSError, ValueError) as err:
            self._stop()
            outcome = Outcome("crash", message=f"crash: cannot start {clip(self.command)!r}: {err}")
        return data_verdict(root, before, outcome or Outcome("crash", message="crash: no answer"))

    def _ask(self, case: Case) -> Outcome | None:
        """Send `case` to the port (started if none runs) and read its answer. None when the
        port, having answered before, ends without a byte for this request, exit status 0: it
        was on its way out (a port may exit after any answer), so the caller asks afresh."""
        if self._process is not None and self._process.proc.poll() is not None:
            self._stop()  # it exited after its last answer: start afresh
        if self._process is None:
            self._process = self._start()
        process, case_dir = self._process, self._folders[1]
        pipe = process.stdout
        with pipe.changed:
            ahead = len(pipe.buffer)
        if ahead:
            self._stop()
            return Outcome(
                "bad output",
                message=f"bad output: the port printed {ahead} bytes after its last answer's "
                "marker line, before this request was sent",
            )
        remove_tree(case_dir)
        case_dir.mkdir()
        fill_case_dir(case, case_dir)
        process.send(json.dumps(build_request(case)).encode() + b"\n")
        deadline = time.monotonic() + self.timeout
        with pipe.changed:
            while True:
                taken = pipe.take_answer()
                if taken is not None or pipe.over or pipe.eof:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                pipe.changed.wait(min(left, _POLL))
        if taken is not None and not pipe.over:
            process.answered += 1
            self.answered += 1
            return self._answered(*taken)
        if pipe.eof and not pipe.over:  # stdout closed: wait for the exit, within the time
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.proc.wait(max(0.0, deadline - time.monotonic()))
        timed_out = process.proc.poll() is None and not pipe.over
        self._stop()
        code = process.proc.returncode
        if code == 0 and not pipe.buffer and process.answered:
            return None
        done = Finished(
            code,
            pipe.buffer,
            bytes(process.stderr[-STDERR_KEPT:]),
            timed_out=timed_out,
            over_cap=pipe.over,
        )
        outcome = ended(done, self.timeout, self.max_output)
        if timed_out and not pipe.buffer and not self.answered:
            return Outcome(
                "hang",
                message=f"{outcome.message} (it printed nothing: in persistent mode a port "
                "answers each request line as it comes, while a one-request port waits for the "
                "end of stdin, which comes only after the last case)",
            )
        if outcome.status == "ok":  # it exited 0 without its marker line
            return Outcome(
                "bad output",
                message="bad output: the port exited (status 0) without ending its answer with "
                "a line #end; in persistent mode it answers each request line and keeps "
                "reading (conformance/PORTS.md)",
            )
        return outcome

    def _answered(self, answer: bytes, marker: bytes) -> Outcome:
        """The outcome of an answer ended by `marker`."""
        if marker == END:
            try:
                return Outcome("ok", text=decode_output(answer))
            except ValueError as err:  # CaseFormatError
                return Outcome("bad output", message=f"bad output: {err}")
        if marker == UNSUPPORTED or marker.startswith((UNSUPPORTED + b":", UNSUPPORTED + b" ")):
            why = marker[len(UNSUPPORTED) :].lstrip(b": ").decode("utf-8", "backslashreplace")
            return Outcome("unsupported", message=clip(why) or "the port says it is unsupported")
        self._stop()
        shown = clip(marker.decode("utf-8", "backslashreplace"))
        return Outcome(
            "bad output",
            message=f"bad output: unknown marker line {shown!r} (an answer ends with #end or "
            "#unsupported)",
        )
