"""Port conformance: `pytest conformance --port COMMAND`, the shipped ports and the runner's
handling of bad ports. (The mutant catalogue: test_mutant_catalogue.py.)
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance.golden.cases import Case
from conformance.ports import pure_python, reference_port, scratch_port
from conformance.ports.__main__ import main as ports_main
from conformance.ports.capabilities import Capabilities
from conformance.ports.fuzz import DEFAULT_SEED, fuzz
from conformance.ports.grading import CaseResult, grade
from conformance.ports.persistent import PersistentPort
from conformance.ports.report import case_detail
from conformance.ports.request import build_request
from conformance.ports.runner import Outcome, run_command, run_solver
from conformance.tests.inputs import LONG_CASES, case_param, golden_cases

CASES = list(golden_cases())
BY_ID = {case.id: case for case in CASES}
PY = sys.executable


# -- pytest conformance --port COMMAND ---------------------------------------------------------
@pytest.fixture(scope="session")
def port_results(request) -> Iterator[Callable[[str, Case], CaseResult]]:
    """The graded result of a (--port command, case), run once per test process; with
    --port-persistent, each command runs as one `PersistentPort` for the whole session."""
    config, cache, sessions = request.config, {}, {}
    timeout = config.getoption("--port-timeout")
    max_output = config.getoption("--port-max-output")

    caps = config.getoption("--port-capabilities") or Capabilities()

    def result(port: str, case: Case) -> CaseResult:
        if (port, case.id) not in cache:
            outside = caps.why_unsupported(case)
            if outside is not None:
                outcome = Outcome("unsupported", message=f"not declared by the port: {outside}")
            elif config.getoption("--port-persistent"):
                if port not in sessions:
                    sessions[port] = PersistentPort(port, timeout, max_output)
                outcome = sessions[port].run(case)
            else:
                outcome = run_command(port, case, timeout, max_output)
            cache[port, case.id] = grade(
                case,
                outcome,
                config.getoption("--port-strict"),
                dtype=config.getoption("--port-dtype"),
                declared=lambda tensor: caps.records(case.kind, tensor),
            )
        return cache[port, case.id]

    yield result
    for port, session in sessions.items():
        session.close()
        if session.changed_after_close:
            pytest.fail(f"{port}: {session.changed_after_close} (after the last case)")


def test_port(port_case, port_results):
    port, case = port_case
    result = port_results(port, case)
    if result.status == "unsupported":
        pytest.skip(f"{case.id}: unsupported by the port: {result.message}")
    # Without --port-strict a partial answer passes (its level is in the message); with it,
    # a partial answer is graded "fail".
    assert result.status in ("pass", "partial"), case_detail(result)


def test_port_supports_a_case(port_command, port_results):
    # As `check` does: unsupported cases are skips, but a port that supports none fails.
    results = [port_results(port_command, case) for case in CASES]
    assert any(r.status != "unsupported" for r in results), (
        f"the port supports none of the {len(CASES)} cases ({results[0].message})"
    )


def test_port_on_generated_cases(port_command, request, capsys):
    # `python -m conformance.ports fuzz` inside the suite: --port-examples generated cases,
    # graded as the golden ones, a failure shrunk and printed.
    config = request.config
    examples = config.getoption("--port-examples")
    if examples <= 0:
        pytest.skip("--port-examples 0")
    seed = config.getoption("--port-seed")
    code = fuzz(
        port_command,
        examples=examples,
        seed=DEFAULT_SEED if seed is None else seed,
        timeout=config.getoption("--port-timeout"),
        max_output=config.getoption("--port-max-output"),
        persistent=config.getoption("--port-persistent"),
        capabilities=config.getoption("--port-capabilities"),
        dtype=config.getoption("--port-dtype"),
    )
    out = capsys.readouterr().out
    assert code == 0, out


def test_port_supports_a_case_fails_for_a_port_that_supports_none():
    # The item above, given a port that exits 3 on every case, fails as `check` does (end to
    # end: `pytest conformance --port "sh -c 'exit 3'"` ends "1 failed, ... 15 skipped").
    def results(port: str, case: Case) -> CaseResult:
        return grade(case, run_command(port, case))

    with pytest.raises(AssertionError, match=f"supports none of the {len(CASES)} cases"):
        test_port_supports_a_case("sh -c 'echo not mine >&2; exit 3'", results)


# -- the shipped ports pass --------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_scratch_port_in_process(case):
    # The mutants are this port with one bug each: it must pass everything honestly.
    result = grade(case, run_solver(scratch_port.solve, case), strict=True)
    assert result.status == "pass", case_detail(result)


@pytest.mark.parametrize(
    "case_id", ["T1-blog", "T3-deck-3-4-2", "S-softmax-large-logits", "T2-init-2-3-1"]
)
def test_reference_port_in_process(case_id):
    # (reference itself runs on every case in test_golden.py)
    case = BY_ID[case_id]
    result = grade(case, run_solver(reference_port.solve, case), strict=True)
    assert result.status == ("unsupported" if case.kind == "init" else "pass"), case_detail(result)


@pytest.fixture(scope="module")
def pure_python_results(request: pytest.FixtureRequest) -> tuple[dict[str, CaseResult], int]:
    """pure_python's graded answer to every case (the long ones only under --long), in
    persistent mode; and how many processes it took."""
    every = request.config.getoption("--long")
    cases = [case for case in CASES if every or case.id not in LONG_CASES]
    with PersistentPort(f"{PY} -m conformance.ports.pure_python") as port:
        results = {case.id: grade(case, port.run(case), strict=True) for case in cases}
    return results, port.started


@pytest.mark.parametrize("case", [case_param(case) for case in CASES])
def test_pure_python_port_in_persistent_mode(case, pure_python_results):
    results, processes = pure_python_results
    result = results[case.id]
    assert result.status == ("unsupported" if case.kind == "init" else "pass"), case_detail(result)
    assert processes == 1


@pytest.mark.parametrize("case_id", ["T1-blog", "T4-perceptron-and", "T2-init-2-3-1"])
def test_pure_python_port_as_a_command(case_id):
    # One process per case, the request then end of file (the persistent mode is above).
    case = BY_ID[case_id]
    result = grade(case, run_command(f"{PY} -m conformance.ports.pure_python", case), strict=True)
    assert result.status == ("unsupported" if case.kind == "init" else "pass"), case_detail(result)


def test_scratch_port_as_a_command():
    # (reference_port is the same `serve` around the reference: it is run in process above,
    # which spares the suite a second process that imports torch)
    case = BY_ID["T1-blog"]
    command = f"{PY} -m conformance.ports.scratch_port"
    result = grade(case, run_command(command, case), strict=True)
    assert result.status == "pass", case_detail(result)


def test_the_ports_import_no_more_than_they_need():
    tree = ast.parse(Path(pure_python.__file__).read_text())
    names = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    names |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert not names & {"numpy", "torch", "pandas", "scratch", "reference"}, names
    # In the same process, after it: the scratch port and a mutant, answering S-sgd-momentum's
    # request, load neither torch nor pandas (0.4 s of every start of them; the golden tables'
    # reader imports pandas when it reads one).
    heavy = "sorted({'numpy', 'torch', 'pandas'} & set(sys.modules))"
    code = (
        f"import sys, json, conformance.ports.pure_python; print({heavy}); "
        "from conformance.ports import mutants, scratch_port; request = json.load(sys.stdin); "
        "scratch_port.solve(request)\nwith mutants.MUTANTS['update-plus'].applied(): "
        "scratch_port.solve(request)\n"
        f"print({heavy})"
    )
    request = json.dumps(build_request(BY_ID["S-sgd-momentum"]))
    out = subprocess.run([PY, "-c", code], input=request, capture_output=True, text=True)
    assert out.stdout.splitlines() == ["[]", "['numpy']"], out.stderr


# -- bad ports: a clear message naming the case, never a traceback from the runner ------------
def fake_port(tmp_path: Path, body: str) -> str:
    path = tmp_path / "port.py"
    path.write_text("import sys, json\nrequest = json.load(sys.stdin)\n" + textwrap.dedent(body))
    return f"{PY} {path}"


GOOD_T1 = "\n".join(f"print('0,Z1,0,{c},{v}')" for c, v in enumerate([6, 7, -1]))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("raise SystemExit(7)", "error", r"T1-blog: crash: exit status 7"),
        (
            "raise ValueError('boom')",
            "error",
            r"T1-blog: crash: exit status 1; stderr: .*ValueError: boom",
        ),
        ("import time; time.sleep(30)", "error", r"T1-blog: hang: no answer within 0.1 s"),
        ("print('nothing useful')", "error", r"T1-blog: bad output: .*missing column"),
        ("pass", "error", r"T1-blog: bad output: .*empty output"),
        (
            "print('step,tensor,row,value'); print('0,Z1,0,6')",
            "error",
            r"missing column\(s\) \['col'\]",
        ),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1.replace(",6')", ",nan')"),
            "fail",
            r"step 0   Z1 +fail +\(forward\): 1 / 3 cells .* expected 6.0, got nan",
        ),
        (
            "print('step,tensor,row,col,value'); print('0,Z1,0,0,six')",
            "error",
            r"row 2, column 'value': 'six'",
        ),
        (
            "print('step,tensor,row,col,value'); print('0,Z1,0,0,6'); print('0,Z1,0,0,6')",
            "error",
            r"row 3: repeats step 0 Z1\[0,0\]",
        ),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1 + "\nprint('0,Z1,1,0,3')",
            "fail",
            r"Z1 +wrong-shape \(forward\): expected shape \(1, 3\); cell \(1, 0\) is beyond it",
        ),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1 + "\nprint('0,Z1,0,-1,3')",
            "fail",
            r"Z1 +wrong-shape \(forward\): expected shape \(1, 3\); cell \(0, -1\) is beyond",
        ),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1 + "\nprint('99999,Z1,0,0,3')",
            "partial",
            r"note: 1 row\(s\) at step\(s\) 99999, where the case records no value: not graded",
        ),
        (
            "print('step,tensor,row,col,value')\nprint('0,Z1,0,0,6')",
            "fail",
            r"Z1 +wrong-shape \(forward\): expected shape \(1, 3\); 2 of 3 cells missing",
        ),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1.replace(",7')", ",7.001')"),
            "fail",
            r"T1-blog: 1 of 190 .*groups wrong, 189 omitted; first in computation order: step 0, "
            r"Z1 \(wrong value\)",
        ),
        ("print('step,tensor,row,col,value'); print('0,nothing,0,0,1')", "fail", r"output none of"),
        (
            "print('step,tensor,row,col,value')\n" + GOOD_T1 + "\nprint('0,W1after,0,0,1')",
            "partial",
            r"note: unknown tensor 'W1after' \(did you mean 'W1_after'\?\): not graded",
        ),
        ("print('no', file=sys.stderr); raise SystemExit(3)", "unsupported", r"no"),
    ],
    ids=[
        "exit-7",
        "exception",
        "hang",
        "no-csv",
        "empty",
        "missing-column",
        "nan",
        "non-numeric",
        "repeated-cell",
        "extra-row",
        "negative-col",
        "a-step-the-case-lacks",
        "missing-cells",
        "wrong-value",
        "nothing-expected",
        "misspelled-tensor",
        "unsupported",
    ],
)
def test_bad_port_is_reported_not_raised(tmp_path, body, status, message):
    # Only the hanging port should meet the limit; it never answers, so any limit shows it.
    timeout = 0.1 if "sleep" in body else 30
    case = BY_ID["T1-blog"]
    if "print(" in body and "exit" not in body.lower():
        # What it prints is graded as the runner grades a port's stdout: no process needed
        # (running ports is tested above, and by test_hostile_ports.py).
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(body, {"sys": sys})  # one of the fixed bodies above
        outcome = Outcome("ok", text=printed.getvalue())
    else:
        outcome = run_command(fake_port(tmp_path, body), case, timeout=timeout)
    result = grade(case, outcome)
    assert result.status == status
    assert re.search(message, case_detail(result)), case_detail(result)


# T1's forward pass at step 0, worked by hand from the blog's weights (README, "The command line"):
# Z1 = W1 x + b1 = (1+4+1, -3+8+2, 1-2+0) = (6, 7, -1), A1 = relu = (6, 7, 0),
# Z2 = A2 = 1*6 + 2*7 + 3*0 + 1 = 21, cost = (21 - 3)^2 / 2 = 162.
T1_FORWARD = [("Z1", [6, 7, -1]), ("A1", [6, 7, 0]), ("Z2", [21]), ("A2", [21]), ("cost", [162])]
FORWARD_T1 = "\n".join(
    f"print('0,{t},0,{c},{v}')" for t, values in T1_FORWARD for c, v in enumerate(values)
)


def test_a_port_that_outputs_one_tensor_reaches_no_level(tmp_path):
    body = "print('step,tensor,row,col,value')\n" + GOOD_T1  # Z1 alone, right
    case = BY_ID["T1-blog"]
    result = grade(case, run_command(fake_port(tmp_path, body), case))
    assert (result.status, result.level, result.label) == ("partial", "none", "partial (none)")
    assert result.count("pass") == 1 and result.count("omitted") == 189


def test_a_forward_only_port_is_partial_forward_and_fails_strictly(tmp_path):
    body = "print('step,tensor,row,col,value')\n" + FORWARD_T1
    case = BY_ID["T1-blog"]
    outcome = run_command(fake_port(tmp_path, body), case)
    lenient, strict = grade(case, outcome), grade(case, outcome, strict=True)
    assert lenient.label == "partial (forward)", case_detail(lenient)
    assert "partial (forward): 185 of 190 groups omitted, the first at step 0, dA2" in (
        lenient.message
    )
    assert strict.status == "fail" and "185 of 190 groups omitted" in strict.message
    assert strict.level == "forward"


def test_a_port_named_relative_to_the_current_folder(tmp_path, monkeypatch):
    # It runs in a temporary folder, yet "python port.py" and "./port" mean what they say.
    fake_port(tmp_path, "print('step,tensor,row,col,value')\n" + GOOD_T1)
    (tmp_path / "port").write_text(f'#!/bin/sh\nexec {PY} "$(dirname "$0")/port.py"\n')
    (tmp_path / "port").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    for command in (f"{PY} port.py", "./port"):
        result = grade(BY_ID["T1-blog"], run_command(command, BY_ID["T1-blog"]))
        assert result.status == "partial" and result.count("pass") == 1


def test_command_that_cannot_start(tmp_path):
    result = grade(BY_ID["T1-blog"], run_command(str(tmp_path / "no-such-port"), BY_ID["T1-blog"]))
    assert result.status == "error" and "cannot start" in result.message


# -- the standalone command ----------------------------------------------------------------------
def test_check_command_passes_and_writes_junit(tmp_path, capsys):
    junit = tmp_path / "port.xml"
    code = ports_main(
        [
            "check",
            "--port",
            f"{PY} -m conformance.ports.pure_python",
            "--case",
            "T1-blog",
            "--case",
            "T2-init-2-3-1",
            "--junit",
            str(junit),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 passed, 0 failed, 1 skipped" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (
        suite.get("tests") == "2" and suite.get("failures") == "0" and suite.get("skipped") == "1"
    )


def test_check_command_fails_with_a_report(tmp_path, capsys):
    body = "print('step,tensor,row,col,value')\n" + GOOD_T1.replace(",6')", ",5')")
    junit = tmp_path / "port.xml"
    code = ports_main(
        ["check", "--port", fake_port(tmp_path, body), "--case", "T1-blog", "--junit", str(junit)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "step 0, Z1" in out and "0 passed, 1 failed" in out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and "1 / 3 cells out of tolerance" in failure.text
    assert "worst at (0, 0): expected 6.0, got 5.0" in failure.text
