"""Find and kill every process a port started, whatever it did to escape: the run's own cgroup
where one can be made, and a child subreaper that orphans come back to.

How the port's processes are found, on Linux: first, where this process may make a cgroup v2
(as root on the project's machines), the port starts inside a fresh cgroup of its own
(`PortCgroup`), which every process it starts inherits, whatever it does (setsid, double fork,
a chain that forks and exits faster than any scan); at the end one write to its `cgroup.kill`
kills them all at once, and the cgroup is removed. Then, and alone where no cgroup can be made,
the calling process becomes a child subreaper
(`prctl(PR_SET_CHILD_SUBREAPER)`, once per process), so a port's orphans (double-fork daemons,
`setsid` children) are reparented to it, never to init. Its descendants started since the port
started are then found by walking down /proc/PID/task/*/children from it, killed with SIGKILL
and reaped, round after round until none is left, whatever its environment says (a port may
forge `RUN_TOKEN`). Without a subreaper (or those /proc files), all of /proc is scanned for
descendants and for processes carrying this run's token. Elsewhere (no /proc) only the port's
process group is killed: a child that leaves the group survives there. Run one port at a time
per process: a process that another thread of the caller starts meanwhile looks like the
port's.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

RUN_TOKEN = "MLP_PORT_RUN"
"""Environment variable holding a token unique to each run; its processes inherit it."""
KILL_ROUNDS_FOR = 2.0
"""Seconds to keep finding and killing a port's processes (a fork loop keeps making more)."""
_PROC = Path("/proc")
_subreaper_pid: int | None = None  # the pid that made itself a subreaper (not inherited by fork)
_subreaper_lock = threading.Lock()


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start ticks) of process `pid`; None without /proc or once it is gone."""
    return _stat(str(pid)) if _PROC.is_dir() else None


class PortCgroup:
    """A cgroup v2 below this process's own, `mlp-port-<pid>`, that every port this process runs
    starts in (one at a time). `wrap(argv)` is the command that joins it and then executes the
    port: a shell writes "0" into `cgroup.procs`, then `exec`s the port in the same process, so
    no `preexec_fn` forces a full fork of a large caller. `kill()` kills every process in it at
    once and removes any cgroup the port made inside it; the cgroup itself is made once per
    process (`for_this_process`, None where no cgroup v2 with `cgroup.kill`, Linux >= 5.14, can
    be made) and removed when the process exits: making and removing one per run costs about
    20 ms."""

    _made: ClassVar[dict[int, PortCgroup | None]] = {}  # by pid: a forked child makes its own

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def for_this_process(cls) -> PortCgroup | None:
        """This process's port cgroup, made on first use; None where none can be made."""
        pid = os.getpid()
        if pid not in cls._made:
            cls._made[pid] = made = cls._make(f"mlp-port-{pid}")
            if made is not None:
                atexit.register(made.remove)
        return cls._made[pid]

    @classmethod
    def _make(cls, name: str) -> PortCgroup | None:
        try:
            mount = next(
                line.split()[1]
                for line in Path("/proc/self/mounts").read_text().splitlines()
                if line.split()[2:3] == ["cgroup2"]
            )
            own = next(
                line[3:]
                for line in Path("/proc/self/cgroup").read_text().splitlines()
                if line.startswith("0::")
            )
            path = Path(mount) / own.lstrip("/") / name
            path.mkdir(exist_ok=True)
        except (OSError, StopIteration):
            return None
        cls._sweep(path.parent)
        if not (path / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    @staticmethod
    def _sweep(parent: Path) -> None:
        """Remove the empty port cgroups of runners that are gone. A runner forked from another
        that ends with `os._exit` (a worker pool, a mutation tool's forks) never runs its
        `atexit`, and its `mlp-port-<pid>` would stay, one more each time. Only an empty one
        whose pid no longer exists here is removed (a cgroup with processes cannot be), and
        nothing is killed: a runner of another pid namespace keeps what it runs."""
        for stale in parent.glob("mlp-port-*"):
            pid = stale.name.removeprefix("mlp-port-")
            if not pid.isdigit() or (_PROC / pid).exists():
                continue
            _remove_cgroups_below(stale)
            with contextlib.suppress(OSError):
                stale.rmdir()

    def wrap(self, argv: list[str], path: str | None) -> list[str]:
        """`argv` run inside the cgroup: `/bin/sh -c 'echo 0 > procs; exec "$@"'`. The program
        is looked up first (on `path`, the port's PATH), so that one that does not exist is still
        `FileNotFoundError`, as `subprocess.Popen` raises it."""
        program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=path)
        if program is None or not os.access(program, os.X_OK) or os.path.isdir(program):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", argv[0])
        join = 'echo 0 > "$0" 2>/dev/null; exec "$@"'
        return ["/bin/sh", "-c", join, str(self.path / "cgroup.procs"), program, *argv[1:]]

    def kill(self) -> None:
        """SIGKILL every process in the cgroup at once, wait (at most 1 s) until it is empty, and
        remove the cgroups a port made inside it, deepest first."""
        with contextlib.suppress(OSError):
            (self.path / "cgroup.kill").write_text("1")
        give_up = time.monotonic() + 1.0
        while time.monotonic() < give_up:
            with contextlib.suppress(OSError):
                if "populated 0" in (self.path / "cgroup.events").read_text():
                    break
            time.sleep(0.002)
        _remove_cgroups_below(self.path)

    def remove(self) -> None:
        """Kill what is left and remove the cgroup (at this process's exit)."""
        self.kill()
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _remove_cgroups_below(path: Path) -> None:
    """Remove every (empty) cgroup inside the cgroup `path`, deepest first; one that still
    holds a process, or is already gone, is left."""
    subs = [p for p in path.rglob("*") if p.is_dir()]
    for sub in sorted(subs, key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            sub.rmdir()


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux >= 3.4), once; whether it is one."""
    global _subreaper_pid
    with _subreaper_lock:
        if _subreaper_pid == os.getpid():
            return True
        if not sys.platform.startswith("linux"):
            return False
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(36, 1, 0, 0, 0) != 0:  # 36: PR_SET_CHILD_SUBREAPER
            return False
        _subreaper_pid = os.getpid()
        return True


def _stat(pid: str) -> tuple[str, int, int] | None:
    """(state, parent pid, start time in clock ticks since boot) from /proc/PID/stat."""
    try:
        text = (_PROC / pid / "stat").read_bytes().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name in (...) may hold anything
    return fields[0], int(fields[1]), int(fields[19])


def _token(pid: int) -> str | None:
    """The run token in the environment of process `pid` (None if none or unreadable)."""
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    prefix = RUN_TOKEN.encode() + b"="
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode("ascii", "replace")
    return None


def _children(pid: int) -> list[int]:
    """The children of process `pid`, as each of its threads lists them in /proc."""
    out = []
    with contextlib.suppress(OSError):
        for task in os.listdir(_PROC / str(pid) / "task"):
            with contextlib.suppress(OSError):
                out += (_PROC / str(pid) / "task" / task / "children").read_bytes().split()
    return [int(p) for p in out]


def _processes_of_run(token: str, since: int) -> dict[int, tuple[str, int]]:
    """{pid: (state, parent)} of every process of the run: our descendants started at or after
    tick `since`, and (unless we are a subreaper, which every orphan of the run comes back to)
    any other process that carries its token."""
    me = os.getpid()
    if _subreaper_pid == me and (_PROC / str(me) / "task" / str(me) / "children").exists():
        found, todo = {}, _children(me)  # walk down from us: a few reads, not all of /proc
        while todo:
            pid = todo.pop()
            info = _stat(str(pid))
            if info and info[2] >= since:
                found[pid] = info[:2]
                todo += _children(pid)
        return found
    table = {int(e): i for e in os.listdir(_PROC) if e.isdigit() and (i := _stat(e))}
    children: dict[int, list[int]] = {}
    for pid, (_, parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, list(children.get(me, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        state, parent, started = table[pid]
        if started >= since:
            found[pid] = (state, parent)
    for pid, (state, parent, _) in table.items():
        if pid != me and pid not in found and state != "Z" and _token(pid) == token:
            found[pid] = (state, parent)
    return found


def _kill_our_children(token: str, since: int, port: int) -> None:
    """One quick pass over our own children (where every orphan lands), newest first: SIGKILL
    each live one of the run, reap each dead one. Catches a process that keeps forking and
    exiting, which a walk of the whole tree is too slow to hit."""
    for pid in sorted(_children(os.getpid()), reverse=True):
        info = _stat(str(pid))
        if pid == port or info is None or info[2] < since:
            continue
        if info[0] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        else:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def kill_descendants(proc: subprocess.Popen, token: str, since: int | None) -> None:
    """SIGKILL the port's process group, then (on Linux) every process of the run, reaping
    those reparented to us, until none is left or `KILL_ROUNDS_FOR` seconds have passed."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    if since is None:
        return
    me, give_up, empty = os.getpid(), time.monotonic() + KILL_ROUNDS_FOR, 0
    while time.monotonic() < give_up and empty < 2:
        # Two empty rounds in a row: a process that vanished while one round walked the tree
        # had handed its children to us before, so the next round sees them.
        run = _processes_of_run(token, since)
        empty = 0 if run else empty + 1
        live = [pid for pid, (state, _) in run.items() if state != "Z"]
        for pid in live:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        # Reap our dead, but not the port: `proc.wait()` does. A process that is still listed
        # may have just handed its children to us: one more round, until none is.
        dead = [p for p, (state, parent) in run.items() if state == "Z" and parent == me]
        for pid in dead:
            if pid != proc.pid:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
        quick = time.monotonic() + (0.01 if live else 0)
        while time.monotonic() < quick:  # a fork-and-exit chain is our child or grandchild
            _kill_our_children(token, since, proc.pid)
