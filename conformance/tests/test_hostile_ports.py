"""Hostile ports and hostile arguments: what the runner must survive.

A hostile port is a few lines of Python or sh written to attack the runner, not to pass. Each
runs through `check` on a copy of data/ (ports that write into it get their own) and must end
in one clean report line, within its timeout plus 3 s, with every process it started gone (no
process whose command line holds the test's marker is left) and data/ unchanged. The Python
ports start with `-I -S` and import nothing heavy, so the module stays fast. A bad argument to
`check`, `run_command` or the `check` command is refused, naming it, before any port runs.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.golden.cases import DATA, load_case
from conformance.golden.manifest import changed_files, snapshot
from conformance.ports.__main__ import main as ports_main
from conformance.ports.checking import check
from conformance.ports.grading import grade
from conformance.ports.process import run_process
from conformance.ports.reaping import PortCgroup
from conformance.ports.runner import Outcome, PortArgumentError, run_command
from conformance.tests.processes import alive_with

PY = sys.executable
GOOD = "step,tensor,row,col,value\\n0,Z1,0,0,6\\n0,Z1,0,1,7\\n0,Z1,0,2,-1\\n"  # T1's Z1, right
PRELUDE = {"py": f"import os, signal, sys, time\nGOOD = '{GOOD}'\n", "sh": f"GOOD='{GOOD}'\n"}
SLEEPER = "@PY@ -S -c 'import time; time.sleep(60)' @MARKER@"  # a long-lived process, marked


@dataclass(frozen=True)
class Hostile:
    """A port (`lang` "py" or "sh"; @PY@, @MARKER@, @DATA@, @SEEN@ filled in), the status it
    must end with and a pattern its report must show (an error's message; when unsupported,
    check's stderr and the JUnit skip messages)."""

    name: str
    lang: str
    source: str
    status: str
    report: str = "^$"
    timeout: float = 2.0
    cases: tuple[str, ...] = ("T1-blog",)
    writes: bool = False  # into data/: it gets a copy of its own


def daemon(then: str) -> str:
    """A double-fork daemon (fork, setsid, fork) that runs `then`; the port prints GOOD."""
    fork = "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    return fork + f"        {then}\n        time.sleep(60)\n    os._exit(0)\nsys.stdout.write(GOOD)"


ROWS = "print('step,tensor,row,col,value'); "
NOT_UTF8 = r"bad output: stdout is not UTF-8 text: byte 0x"
HANG = r"hang: no answer within 0.25 s; the port and every process it started were killed"
CAP = r"bad output \(more than 1 MiB on stdout, the --max-output cap\): the port was killed there"

# fmt: off
HOSTILE = [
    # -- processes that outlive the port, hold its pipes or never end ------------------------
    Hostile("never-closes-stdout", "py", ROWS + "sys.stdout.flush(); time.sleep(60)",
            "error", HANG, timeout=0.25),
    Hostile("closes-stdout-then-stops-itself", "py",
            "os.close(1); os.kill(os.getpid(), signal.SIGSTOP)", "error", HANG, timeout=0.25),
    Hostile("setsid-child-and-a-hanging-port", "sh", f"setsid {SLEEPER} &\n{SLEEPER}",
            "error", HANG, timeout=0.25),
    Hostile("forked-child-holds-stdout", "py",
            "print(GOOD, end='', flush=True)\nif os.fork() == 0:\n    time.sleep(60)", "partial"),
    Hostile("setsid-child-holds-stdout", "sh", f"setsid {SLEEPER} &\nprintf \"$GOOD\"", "partial"),
    Hostile("double-fork-daemon-holding-stdout", "py", daemon("pass"), "partial"),
    Hostile("double-fork-daemon-on-dev-null", "py",
            daemon("n = os.open(os.devnull, os.O_RDWR); [os.dup2(n, f) for f in (0, 1, 2)]"),
            "partial"),
    Hostile("daemon-with-an-empty-environment", "py",  # no token: found as our descendant
            daemon("os.execve('@PY@', ['@PY@', '-S', '-c', 'import time; time.sleep(60)', "
                   "'@MARKER@'], {})"), "partial"),
    Hostile("fork-burst", "py",
            "for _ in range(20):\n    if os.fork() == 0:\n        time.sleep(60)\n"
            "sys.stdout.write(GOOD)", "partial"),
    Hostile("pid-hopping-chain", "py",  # a new session and a new pid at every step
            "if os.fork() == 0:\n    while True:\n        os.setsid()\n"
            "        if os.fork():\n            os._exit(0)\nsys.stdout.write(GOOD)", "partial"),
    # -- what it prints ----------------------------------------------------------------------
    Hostile("binary-output", "py", "sys.stdout.buffer.write(b'step,tensor\\n\\xff\\xfe\\x80')",
            "error", NOT_UTF8 + r"ff at offset 12 \(line 2\)"),
    Hostile("utf16-output", "py", "sys.stdout.buffer.write(GOOD.encode('utf-16'))",
            "error", NOT_UTF8 + r"ff at offset 0 \(line 1\)"),
    Hostile("utf16-without-bom", "py", "sys.stdout.buffer.write(GOOD.encode('utf-16-le'))",
            "error", r"stdout holds a NUL byte \(binary or UTF-16 output\?\): byte 0x00 at "
            r"offset 1 \(line 1\)"),
    Hostile("200-MB-on-one-line", "py",
            "for _ in range(200):\n    sys.stdout.write('7' * 1_000_000)", "error", CAP),
    Hostile("endless-output", "sh", "exec yes 0,Z1,0,0,6 @MARKER@", "error", CAP),
    Hostile("a-100-kB-cell", "py", ROWS + "print('0,Z1,0,0,' + 'x' * 100_000)", "error",
            r"row 2, column 'value': 'x+ \.\.\.\[\d+ characters cut\]\.\.\. x+'"),
    Hostile("a-megabyte-header", "py", "print('s' * 900_000)", "error",
            r"row 1 \(header\): a line of 900000 characters; expected step,tensor,row,col,value"),
    # A NaN or Inf fails its group (Z1), not the whole case: the rest is still graded.
    Hostile("nan", "py", ROWS + "print('0,Z1,0,0,nan\\n0,Z1,0,1,7\\n0,Z1,0,2,-1')", "fail",
            r"step 0   Z1 +fail .*worst at \(0, 0\): expected 6.0, got nan"),
    Hostile("inf", "py", ROWS + "print('0,Z1,0,0,-inf\\n0,Z1,0,1,7\\n0,Z1,0,2,-1')", "fail",
            r"step 0   Z1 +fail .*worst at \(0, 0\): expected 6.0, got -inf"),
    Hostile("1e999", "py", ROWS + "print('0,Z1,0,0,1e999\\n0,Z1,0,1,7\\n0,Z1,0,2,-1')", "fail",
            r"step 0   Z1 +fail .*worst at \(0, 0\): expected 6.0, got inf"),
    Hostile("repeated-cell", "py", ROWS + "print('0,Z1,0,0,6'); print('0,Z1,0,0,6')",
            "error", r"row 3: repeats step 0 Z1\[0,0\]"),
    Hostile("comma-as-decimal-point", "py", ROWS + "print('0,Z1,0,0,6,0')", "error",
            r"bad output: port output for T1-blog, row 2\b"),
    Hostile("semicolons-and-decimal-commas", "py",
            "print('step;tensor;row;col;value'); print('0;Z1;0;0;6,0')", "error",
            r"bad output: port output for T1-blog, row 1 \(header\)"),
    Hostile("control-characters-on-stderr", "py",
            "sys.stderr.buffer.write(b'\\x00\\x1b[31m\\xff\\xfe' * 3000); sys.exit(2)",
            "error", r"crash: exit status 2; stderr: '.*\\x1b\[31m"),
    Hostile("20-MB-on-stderr", "py", "sys.stderr.write('e' * 20_000_000); sys.exit(1)",
            "error", r"crash: exit status 1; stderr: 'e{300}'$"),
    # -- how it reads its input and how it ends -----------------------------------------------
    Hostile("never-reads-stdin", "py", "sys.stdout.write(GOOD)", "partial"),
    Hostile("closes-stdin-early", "py", "os.close(0); time.sleep(0.05); sys.stdout.write(GOOD)",
            "partial"),
    Hostile("sigsegv", "py", "os.kill(os.getpid(), signal.SIGSEGV)", "error",
            r"crash: killed by SIGSEGV; stderr: ''"),
    Hostile("a-shell-whose-child-segfaults", "sh",
            "@PY@ -S -c 'import os; os.kill(os.getpid(), 11)' @MARKER@\nexit $?", "error",
            r"crash: exit status 139 \(a shell's code for killed by SIGSEGV\)"),
    Hostile("exit-3-on-every-case", "sh", "echo 'not for me' >&2; exit 3", "unsupported",
            r"^the port supports none of these cases\nnot for me not for me not for me$",
            cases=("T1-blog", "T3-deck-3-4-2", "T2-init-2-3-1")),
    # -- what it does to the files --------------------------------------------------------------
    Hostile("cats-expected-csv", "sh", 'cat "$MLP_CASE_DIR/expected.csv"', "error",
            r"crash: exit status 1; stderr: '.*expected.csv: No such file"),
    Hostile("lists-what-it-sees", "py",
            "print(sorted(os.listdir(os.environ['MLP_CASE_DIR'])), os.listdir('.'), "
            "file=sys.stderr); sys.exit(3)", "unsupported",
            r"\['case.json', 'case.txt', 'data.csv', 'params.csv'\] \[\]"),
    Hostile("reads-the-answers-by-absolute-path", "sh", "cat @DATA@/T1-blog/expected.csv",
            "pass"),  # the documented limit: the golden data is public (PORTS.md)
    Hostile("writes-into-MLP_CASE_DIR-and-cwd", "py",
            "d = os.environ['MLP_CASE_DIR']\n"
            "open('@SEEN@/seen', 'w').write(d + ' ' + os.getcwd())\n"
            "for f in os.listdir(d):\n    open(os.path.join(d, f), 'w').write('garbage')\n"
            "open(os.path.join(d, 'expected.csv'), 'w').write('forged')\n"
            "os.mkdir('locked'); os.chmod('locked', 0)\nsys.stdout.write(GOOD)", "partial"),
    Hostile("writes-into-data", "py",
            "open('@DATA@/T1-blog/expected.csv', 'a').write('0,Z1,0,0,6\\n')\n"
            "os.remove('@DATA@/T1-blog/transcribed.csv')", "error",
            r"^T1-blog: data/ changed during the port run: modified: T1-blog/expected.csv; "
            r"missing: T1-blog/transcribed.csv$", writes=True),
    Hostile("deletes-a-case-folder", "sh", "rm -r @DATA@/T2-init-2-3-1; exit 3", "error",
            r"data/ changed during the port run: missing: T2-init-2-3-1; missing: "
            r"T2-init-2-3-1/case.json; missing: T2-init-2-3-1/case.txt; missing: "
            r"T2-init-2-3-1/expected.csv$", writes=True),
    # -- found by review: each once got past the runner ----------------------------------------
    Hostile("forges-the-run-token-and-leaves-its-cgroup", "sh",
            "for f in /sys/fs/cgroup/unified/cgroup.procs /sys/fs/cgroup/cgroup.procs; do\n"
            "  echo $$ > $f 2>/dev/null\ndone\n"
            f"MLP_PORT_RUN=forged setsid {SLEEPER} >/dev/null 2>&1 &\nprintf \"$GOOD\"", "partial"),
    Hostile("empties-the-manifest-adds-a-fifo-and-a-folder", "sh",
            ": > @DATA@/MANIFEST.sha256; mkfifo @DATA@/T1-blog/fifo; mkdir @DATA@/zz\n"
            "printf \"$GOOD\"", "error",
            r"data/ changed during the port run: modified: MANIFEST.sha256; extra: "
            r"T1-blog/fifo; extra: zz$", writes=True),
    Hostile("nests-1200-folders-in-its-working-directory", "py",  # past rmtree's recursion
            "for _ in range(1200):\n    os.mkdir('d'); os.chdir('d')\nsys.stdout.write(GOOD)",
            "partial"),
    Hostile("nests-a-cgroup-in-its-own", "sh",
            "mkdir /sys/fs/cgroup/unified$(grep ^0:: /proc/self/cgroup | cut -d: -f3)/sub "
            "2>/dev/null\nprintf \"$GOOD\"", "partial"),
]
# fmt: on


@pytest.fixture(scope="module", autouse=True)
def real_data_untouched():
    before = snapshot(DATA)
    yield
    assert changed_files(before, snapshot(DATA)) == [], "a hostile port changed data/"


load = functools.cache(load_case)  # a case of a copy of data/, read once per module


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="finds processes through /proc")
@pytest.mark.parametrize("port", HOSTILE, ids=lambda p: p.name)
def test_hostile_port(port, shared_copy, tmp_path, capsys):
    # The port lives in a folder named by a unique marker: its processes carry the marker.
    data = Path(shutil.copytree(DATA, tmp_path / "data")) if port.writes else shared_copy
    (folder := tmp_path / (marker := f"hostile-{uuid.uuid4().hex}")).mkdir()
    source = PRELUDE[port.lang] + port.source
    for key, value in [("@PY@", PY), ("@MARKER@", marker), ("@DATA@", data), ("@SEEN@", folder)]:
        source = source.replace(key, str(value))
    (script := folder / f"port.{port.lang}").write_text(source)
    command = f"{PY} -I -S {script}" if port.lang == "py" else f"sh {script}"
    cases = [load(data / case) for case in port.cases]
    out, junit = io.StringIO(), tmp_path / "port.xml"

    start = time.monotonic()
    code = check(command, cases, timeout=port.timeout, max_output=1, junit=junit, out=out)
    elapsed = time.monotonic() - start
    # One clean line per case in the summary, the status expected, the report quoting little.
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines[-2 - len(cases) : -2]] == [
        [case.id, port.status] for case in cases
    ], lines
    assert code == (0 if port.status in ("pass", "partial") else 1), lines
    skipped = " ".join(e.get("message", "") for e in ET.parse(junit).iter("skipped"))
    said = {
        "error": lines[0],
        "fail": out.getvalue(),
        "unsupported": capsys.readouterr().err + skipped,
    }
    assert re.search(port.report, said.get(port.status, "")), lines
    assert len(lines[0]) < 1000 and "Traceback" not in out.getvalue(), lines
    assert junit.stat().st_size < 64_000
    # Within its time, nothing left running, its temporary folders gone (data/: the fixture).
    assert elapsed <= port.timeout * len(cases) + 3, f"{elapsed:.1f} s"
    assert alive_with(marker) == [], "processes left behind"
    # The cgroup the runner made and ran the port in, if it could make one (looked up, not
    # made: an xdist worker beside this one runs ports in its own mlp-port-PID meanwhile).
    if own := PortCgroup._made.get(os.getpid()):
        cgroup = own.path
        assert cgroup.name == f"mlp-port-{os.getpid()}" and cgroup.is_dir()
        assert not (cgroup / "cgroup.procs").read_text().split(), f"{cgroup} holds processes"
        assert not [p for p in cgroup.iterdir() if p.is_dir()], f"{cgroup} holds a cgroup"
    if (folder / "seen").exists():
        assert not any(Path(p).exists() for p in (folder / "seen").read_text().split())


@pytest.mark.parametrize("reads", ["never", "closes-early"])
def test_a_port_that_will_not_take_16_MB_of_stdin(reads, tmp_path):
    body = "import os; os.close(0)" if reads == "closes-early" else "pass"
    start = time.monotonic()
    done = run_process(
        [PY, "-S", "-c", body], b"x" * 16 * 2**20, env={}, cwd=tmp_path, timeout=2, cap=2**20
    )
    assert done.returncode == 0 and not done.timed_out
    assert time.monotonic() - start < 1.5


def test_endless_output_is_cut_at_the_cap(tmp_path):
    # The runner stops reading past the cap (plus one 64 KiB read): its memory stays near it.
    done = run_process(["yes"], b"", env={}, cwd=tmp_path, timeout=2, cap=3 * 2**20)
    assert done.over_cap and 3 * 2**20 < len(done.stdout) <= 3 * 2**20 + 2**16


FORKED_RUNNER = """
import os
from conformance.ports.reaping import PortCgroup
pid = os.fork()
if pid == 0:  # a forked runner: makes its cgroup, then ends without running its atexit
    os._exit(0 if PortCgroup.for_this_process() else 1)
os.waitpid(pid, 0)
print(pid)
"""
MAKES_ITS_CGROUP = "from conformance.ports.reaping import PortCgroup; PortCgroup.for_this_process()"


def test_the_cgroup_of_a_runner_gone_without_its_atexit_is_removed_by_the_next():
    if (own := PortCgroup.for_this_process()) is None:
        pytest.skip("no cgroup v2 with cgroup.kill can be made here")
    run = functools.partial(subprocess.run, capture_output=True, text=True, check=True)
    pid = int(run([PY, "-c", FORKED_RUNNER]).stdout)
    stale = own.path.parent / f"mlp-port-{pid}"
    assert stale.is_dir(), "the forked runner made no cgroup"  # left behind, empty
    run([PY, "-c", MAKES_ITS_CGROUP])
    assert not stale.exists(), f"{stale} is still there"


# -- hostile arguments: refused before any port runs, naming the argument -----------------------
# fmt: off
BAD_OPTIONS = [
    ("--port", ""), ("--port", "   "), ("--port", "'unclosed"),
    ("--timeout", "nan"), ("--timeout", "-1"), ("--timeout", "0"), ("--timeout", "inf"),
    ("--timeout", "soon"), ("--timeout", "1e300"),
    ("--max-output", "0"), ("--max-output", "-5"), ("--max-output", "nan"),
    ("--max-output", "inf"), ("--max-output", "lots"),
    ("--junit", "@TMP@/missing/port.xml"), ("--junit", "@TMP@"), ("--junit", ""),
]
BAD_CALLS = [
    ("port", ""), ("port", "  "), ("port", "'unclosed"), ("port", None),
    ("port", ["python", "port.py"]), ("port", "port\0.py"),
    ("timeout", float("nan")), ("timeout", -1), ("timeout", 0), ("timeout", float("inf")),
    ("timeout", "5"), ("timeout", True), ("timeout", None), ("timeout", 1e300),
    ("max_output", 0), ("max_output", -1.5), ("max_output", float("nan")),
    ("max_output", float("inf")), ("max_output", "1"), ("max_output", None),
    ("junit", "@TMP@/missing/port.xml"), ("junit", "@TMP@"), ("junit", ""), ("junit", 42),
    ("cases", []), ("cases", None), ("cases", ["T1-blog"]),
]
# fmt: on


@pytest.mark.parametrize(("option", "value"), BAD_OPTIONS, ids=lambda x: x or "empty")
def test_check_command_refuses_a_bad_option(option, value, tmp_path, capsys):
    args = {"--port": f"sh -c 'touch {tmp_path}/ran'", "--case": "T1-blog"}
    args[option] = value.replace("@TMP@", str(tmp_path))
    with pytest.raises(SystemExit) as exit:
        ports_main(["check", *(word for pair in args.items() for word in pair)])
    err = capsys.readouterr().err
    assert exit.value.code == 2 and f"argument {option}: " in err and "Traceback" not in err
    assert not (tmp_path / "ran").exists(), "the port ran"


def test_mlp_conformance_check_refuses_a_missing_junit_folder(tmp_path, capsys):
    from conformance.cli.main import main

    with pytest.raises(SystemExit) as exit:
        main(["check", "--port", f"sh -c 'touch {tmp_path}/ran'", "--junit", f"{tmp_path}/no/x"])
    assert exit.value.code == 2 and "argument --junit: " in capsys.readouterr().err
    assert not (tmp_path / "ran").exists(), "the port ran"


@pytest.mark.parametrize(("name", "value"), BAD_CALLS, ids=repr)
def test_check_and_run_command_refuse_a_bad_argument(name, value, tmp_path, shared_copy):
    case = load(shared_copy / "T1-blog")
    value = value.replace("@TMP@", str(tmp_path)) if isinstance(value, str) else value
    good = {"port": f"sh -c 'touch {tmp_path}/ran'", "timeout": 5, "max_output": 1}
    args = {**good, "cases": [case], "junit": None, name: value}
    with pytest.raises(PortArgumentError, match=rf"^{name}\b"):
        check(args.pop("port"), args.pop("cases"), **args)
    if name in good:  # run_command checks these three too
        args = {**good, name: value}
        with pytest.raises(PortArgumentError, match=rf"^{name}\b"):
            run_command(args.pop("port"), case, **args)
    assert not (tmp_path / "ran").exists(), "the port ran"


def test_output_with_more_rows_than_a_case_can_use_is_not_parsed(shared_copy):
    # Found by review: 145 MB of distinct rows, under the output cap, took 80 s and 4.3 GB to
    # parse. Past 50 times the case's expected cells (at least 200,000 lines) it is refused.
    case = load(shared_copy / "T1-blog")
    text = GOOD.replace("\\n", "\n") + "0,W9,0,0,1\n" * 200_001
    start = time.monotonic()
    result = grade(case, Outcome("ok", text=text))
    assert result.status == "error" and "200005 lines, more than the 200000" in result.message
    assert time.monotonic() - start < 1.0


def test_junit_inside_the_golden_data_is_refused(shared_copy):
    # Found by review: the report landed in data/, and the next run failed on an extra file.
    case = load(shared_copy / "T1-blog")
    with pytest.raises(PortArgumentError, match=r"^junit: .* is inside the golden data"):
        check("true", [case], junit=shared_copy / "report.xml")
    assert not (shared_copy / "report.xml").exists()
