"""Persistent mode (PORTS.md): one port process answers many cases, and every guarantee of the
one-request mode holds per request: the timeout, the output cap, a clean report for whatever the
port prints, a fresh process after a failure, and no process left behind once the port is closed.

Each hostile port below is a few lines of Python, run on T1-blog three times over (`n` counts its
requests); it must give the statuses listed, in as many processes as listed.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.golden.cases import DATA, load_case
from conformance.ports.checking import check
from conformance.ports.grading import grade
from conformance.ports.persistent import PersistentPort
from conformance.ports.report import case_detail
from conformance.tests.inputs import golden_cases
from conformance.tests.processes import alive_with

PY = sys.executable
GOOD = "step,tensor,row,col,value\\n0,Z1,0,0,6\\n0,Z1,0,1,7\\n0,Z1,0,2,-1\\n"  # T1's Z1, right
PRELUDE = f"""import json, os, signal, sys, time
GOOD = '{GOOD}'
assert os.environ['MLP_PORT_MODE'] == 'persistent'
def requests():
    for n, line in enumerate(sys.stdin):
        yield n, json.loads(line)
def say(text):
    sys.stdout.write(text)
    sys.stdout.flush()
"""
LOOP = "for n, request in requests():\n"
HANG = r"hang: no answer within 0.25 s"
CAP = r"bad output \(more than 1 MiB on stdout"
SLEEPER = "['@PY@', '-S', '-c', 'import time; time.sleep(60)', '@MARKER@']"


@dataclass(frozen=True)
class Persistent:
    """A persistent-mode port (@PY@, @MARKER@, @DATA@ filled in) and, for its three T1-blog
    requests, the statuses it must get, the processes it must take and what the first error
    must say. `timeout`: the limit per request; a port that never answers shows its hang
    under any limit, and takes three of them."""

    name: str
    body: str
    statuses: tuple[str, str, str]
    processes: int
    report: str = "^$"
    writes: bool = False
    timeout: float = 0.25


def loop(*lines: str) -> str:
    """The request loop with `lines` as its body."""
    return LOOP + "".join(f"    {line}\n" for line in lines)


# fmt: off
PORTS = [
    Persistent("answers-every-request", loop("say(GOOD + '#end\\n')"), ("partial",) * 3, 1),
    Persistent("ends-its-marker-line-with-crlf", loop("say(GOOD + '#end\\r\\n')"),
               ("partial",) * 3, 1),
    Persistent("writes-its-marker-in-two-pieces",
               loop("say(GOOD + '#e')", "time.sleep(0.05)", "say('nd\\n')"), ("partial",) * 3, 1),
    Persistent("exits-after-each-answer", loop("say(GOOD + '#end\\n')", "break"),
               ("partial",) * 3, 3),
    Persistent("hangs-on-the-second-request",
               loop("if n == 1: time.sleep(60)", "say(GOOD + '#end\\n')"),
               ("partial", "error", "partial"), 2, HANG),
    Persistent("half-an-answer-then-hangs",
               loop("say(GOOD)", "if n == 1: time.sleep(60)", "say('#end\\n')"),
               ("partial", "error", "partial"), 2, HANG),
    Persistent("exits-1-on-the-second-request",
               loop("if n == 1: sys.exit('boom')", "say(GOOD + '#end\\n')"),
               ("partial", "error", "partial"), 2, r"crash: exit status 1; stderr: 'boom'"),
    Persistent("segfaults-on-the-second-request",
               loop("if n == 1: os.kill(os.getpid(), signal.SIGSEGV)", "say(GOOD + '#end\\n')"),
               ("partial", "error", "partial"), 2, r"crash: killed by SIGSEGV"),
    Persistent("endless-output-on-the-second-request",
               loop("while n == 1: say('0,Z1,0,0,6\\n' * 1000)", "say(GOOD + '#end\\n')"),
               ("partial", "error", "partial"), 2, CAP),
    Persistent("a-single-request-port", "sys.stdin.readline(); say(GOOD)",
               ("error",) * 3, 3, r"exited \(status 0\) without ending its answer"),
    Persistent("never-reads-a-request", "time.sleep(60)", ("error",) * 3, 3,
               r"hang: no answer within 0.1 s", timeout=0.1),
    Persistent("an-unknown-marker", loop("say(GOOD + '#done\\n')"), ("error",) * 3, 3,
               r"unknown marker line '#done'"),
    Persistent("says-unsupported", loop("say('#unsupported: no ReLU in this port\\n')"),
               ("unsupported",) * 3, 1, r"no ReLU in this port"),
    Persistent("exits-3", loop("sys.exit(3)"), ("unsupported",) * 3, 3,
               r"the port says it is unsupported"),
    Persistent("binary-on-the-second-request",
               loop("say(GOOD) if n != 1 else sys.stdout.buffer.write(b'\\xff\\n')",
                    "say('#end\\n')"),
               ("partial", "error", "partial"), 1,
               r"stdout is not UTF-8 text: byte 0xff at offset 0"),
    Persistent("a-nan-on-the-second-request",
               loop("say(GOOD.replace('7', 'nan') if n == 1 else GOOD)", "say('#end\\n')"),
               ("partial", "fail", "partial"), 1, r"Z1 +fail .*expected 7.0, got nan"),
    Persistent("answers-ahead-of-the-next-request",
               loop("say(GOOD + '#end\\n' + (GOOD + '#end\\n' if n == 0 else ''))"),
               ("partial", "error", "partial"), 2,
               r"printed 65 bytes after its last answer's marker line, before this request"),
    Persistent("sees-a-fresh-case-dir-each-time", loop(
        "files = sorted(os.listdir(os.environ['MLP_CASE_DIR']))",
        "open(os.path.join(os.environ['MLP_CASE_DIR'], 'junk'), 'w').close()",
        "say(GOOD if files == ['case.json', 'case.txt', 'data.csv', 'params.csv'] else 'wrong')",
        "say('#end\\n')"), ("partial",) * 3, 1),
    Persistent("writes-into-data-on-the-second-request", loop(
        "if n == 1: open('@DATA@/T1-blog/notes.txt', 'w').close()", "say(GOOD + '#end\\n')"),
        ("partial", "error", "partial"), 1,
        r"data/ changed during the port run: extra: T1-blog/notes.txt", writes=True),
    Persistent("leaves-a-setsid-child-and-ignores-the-end-of-stdin",
               "import subprocess\n"
               f"subprocess.Popen({SLEEPER}, start_new_session=True)\n"
               + loop("say(GOOD + '#end\\n')") + "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
               "time.sleep(60)", ("partial",) * 3, 1),
    Persistent("a-double-fork-daemon-between-requests", loop(
        "if n == 0 and os.fork() == 0:",
        "    os.setsid()",
        f"    os.execv('@PY@', {SLEEPER})",
        "say(GOOD + '#end\\n')"), ("partial",) * 3, 1),
]
# fmt: on


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="finds processes through /proc")
@pytest.mark.parametrize("port", PORTS, ids=lambda p: p.name)
def test_persistent_port(port, shared_copy, tmp_path):
    data = Path(shutil.copytree(DATA, tmp_path / "data")) if port.writes else shared_copy
    marker = f"persistent-{uuid.uuid4().hex}"
    source = PRELUDE + port.body
    for key, value in [("@PY@", PY), ("@MARKER@", marker), ("@DATA@", data)]:
        source = source.replace(key, str(value))
    (script := tmp_path / f"{marker}.py").write_text(source)
    case = load_case(data / "T1-blog")

    start = time.monotonic()
    command = f"{PY} -I -S {script}"
    with PersistentPort(command, timeout=port.timeout, max_output=1, grace=0.25) as session:
        results = [grade(case, session.run(case)) for _ in range(3)]
    elapsed = time.monotonic() - start

    assert tuple(r.status for r in results) == port.statuses, [r.message for r in results]
    assert session.started == port.processes
    errors = [case_detail(r) for r in results if r.status in ("error", "fail", "unsupported")]
    assert re.search(port.report, errors[0] if errors else ""), errors
    assert all(len(e) < 1000 for e in errors), errors
    assert elapsed < 3 * port.timeout + 0.25 + 3, f"{elapsed:.1f} s"
    assert alive_with(marker) == [], "processes left behind"


def test_check_in_persistent_mode_reports_and_writes_junit(tmp_path, capsys):
    # pure_python passes the network cases and says it cannot do the init case.
    junit = tmp_path / "port.xml"
    cases = [c for c in golden_cases() if c.id in ("T1-blog", "T2-init-2-3-1", "T4-softmax-ce")]
    command = f"{PY} -m conformance.ports.pure_python"
    code = check(command, cases, strict=True, junit=junit, persistent=True, out=sys.stdout)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 passed, 0 failed, 1 skipped" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and suite.get("skipped") == "1"


def test_a_change_to_data_after_the_last_case_is_an_error(tmp_path, capsys):
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    body = PRELUDE + loop("say(GOOD + '#end\\n')")
    body += f"open('{data}/T1-blog/expected.csv', 'a').write('9,Z1,0,0,6\\n')\n"
    (script := tmp_path / "tamper.py").write_text(body)
    case = load_case(data / "T1-blog")
    code = check(f"{PY} -I -S {script}", [case], persistent=True, out=sys.stdout)
    out = capsys.readouterr().out
    assert code == 1, out
    assert (
        "after the last case: data/ changed during the port run: modified: T1-blog/expected.csv"
        in out
    )


def test_a_folder_link_left_by_a_port_is_removed_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    (victim / "inner").mkdir(parents=True)
    victim.chmod(0o755)
    (victim / "inner").chmod(0o755)
    body = PRELUDE + loop(
        f"if n == 0: os.symlink('{victim}', 'link')",  # in its working directory
        "case_dir = os.environ['MLP_CASE_DIR']",
        "[os.remove(os.path.join(case_dir, f)) for f in os.listdir(case_dir)]",
        "os.rmdir(case_dir)",
        f"os.symlink('{victim}', case_dir)",  # its case folder replaced by a link
        "say(GOOD + '#end\\n')",
    )
    (script := tmp_path / "links.py").write_text(body)
    case = load_case(DATA / "T1-blog")
    with PersistentPort(f"{PY} -I -S {script}", timeout=5, grace=0.25) as session:
        results = [grade(case, session.run(case)) for _ in range(2)]
    assert [r.status for r in results] == ["partial", "partial"], [r.message for r in results]
    assert victim.is_dir() and (victim / "inner").is_dir()
    assert oct(victim.stat().st_mode & 0o777) == oct(0o755)
    assert oct((victim / "inner").stat().st_mode & 0o777) == oct(0o755)
