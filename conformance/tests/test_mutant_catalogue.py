"""The mutant catalogue (`conformance.ports.mutants`): every planted bug is rejected by the
golden cases, and by a wrong value (a crash, a hang, bad output or a wrong shape is not a
catch); the `mutants` command reports each one, and a mutant runs as a port command.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from conformance.golden.cases import DATA
from conformance.golden.manifest import write_manifest
from conformance.ports.__main__ import catch_mutant, first_wrong_value
from conformance.ports.__main__ import main as ports_main
from conformance.ports.grading import grade
from conformance.ports.mutants import MUTANTS
from conformance.ports.report import case_detail
from conformance.ports.runner import run_command
from conformance.tests.inputs import golden_cases

CASES = list(golden_cases())
BY_ID = {case.id: case for case in CASES}
PY = sys.executable


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_rejected(name):
    # by a wrong value: a crash, a hang, bad output or a wrong shape is not a catch
    caught = catch_mutant(name, CASES, subprocess=False, timeout=60)
    assert caught is not None, f"mutant {name!r} ({MUTANTS[name].bug}) passes every golden case"
    wrong = first_wrong_value(caught)
    assert wrong is not None, f"mutant {name!r} is caught only by: {caught.message}"
    assert wrong["bad"] > 0 and not wrong["ok"], case_detail(caught)


def test_update_plus_gives_wrong_values_with_momentum_and_mini_batches():
    # The mutant's step takes every option `Network.train` passes (the optimizer's too): on
    # the SGD cases it must fail by its values, not by a TypeError of its own signature.
    sgd = [BY_ID[i] for i in ("S-sgd-momentum", "S-mini-batch-partial")]
    caught = catch_mutant("update-plus", sgd, subprocess=False, timeout=60)
    wrong = None if caught is None else first_wrong_value(caught)
    assert wrong is not None and wrong["bad"] > 0, None if caught is None else caught.message


def test_the_catalogue_holds_at_least_25_bugs_each_in_one_sentence():
    assert len(MUTANTS) >= 25
    for name, mutant in MUTANTS.items():
        assert mutant.name == name and mutant.bug and "\n" not in mutant.bug


def test_mutant_runs_as_a_port_command():
    case = BY_ID["S-square-relu-kink"]
    command = f"{PY} -m conformance.ports.mutants relu-grad-1-at-0"
    result = grade(case, run_command(command, case), strict=True)
    # relu'(0) is the first wrong value computed: aprime1 comes before dZ1 = dA1 * aprime1.
    assert result.status == "fail" and result.first_divergence == (0, "aprime1"), case_detail(
        result
    )


def mutants_on(case_id: str, tmp_path: Path, capsys) -> tuple[int, str]:
    """`python -m conformance.ports mutants` on a copy of one golden case: exit status, output."""
    shutil.copytree(DATA / case_id, tmp_path / case_id)
    write_manifest(tmp_path)
    code = ports_main(["mutants", "--data", str(tmp_path)])
    return code, capsys.readouterr().out


def test_mutants_command_fails_a_mutant_caught_only_by_a_crash(tmp_path, capsys):
    # Logits of +-1000 overflow an unshifted softmax to NaN: the mutant crashes
    # (NonFiniteError) and prints no value, which does not count as caught.
    code, out = mutants_on("S-softmax-large-logits", tmp_path, capsys)
    assert code == 1
    (line,) = [x for x in out.splitlines() if x.startswith("softmax-no-max-shift ")]
    assert "NOT BY VALUE" in line and "NonFiniteError" in line
    # a mutant the case does catch by a value is shown with where and how much
    (line,) = [x for x in out.splitlines() if x.startswith("update-plus ")]
    assert "S-softmax-large-logits" in line and " W1_after " in line


def test_mutants_command_reports_a_mutant_that_slips_through(tmp_path, capsys):
    # With only the T1 case, relu'(0) cannot be seen (no pre-activation is exactly 0).
    code, out = mutants_on("T1-blog", tmp_path, capsys)
    assert code == 1
    assert "relu-grad-1-at-0" in out and "NOT CAUGHT" in out
    assert "caught by a wrong value:" in out and "100%" not in out.splitlines()[-1]
