"""Levels, capabilities, expected failures and the JSON report with its scoreboard: what a port
author reads after a run (conformance/PORTS.md, "The report")."""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest

from conformance.ports import scratch_port
from conformance.ports.__main__ import main as ports_main
from conformance.ports.capabilities import Capabilities, CapabilitiesError
from conformance.ports.fuzz import fuzz
from conformance.ports.grading import grade
from conformance.ports.levels import in_computation_order, tensor_level
from conformance.ports.report import summary_table
from conformance.ports.runner import Outcome, run_solver
from conformance.ports.scoreboard import ReportFileError, build_report, read_report, scoreboard
from conformance.ports.xfail import XfailFileError, Xfails
from conformance.tests.inputs import golden_cases

BY_ID = {case.id: case for case in golden_cases()}
FORWARD = {"Z", "A", "cost"}


def forward_only(request: dict) -> dict:
    """The scratch port, printing only Z<l>, A<l> and the cost (of every step)."""
    trajectory = scratch_port.solve(request)
    return {k: v for k, v in trajectory.items() if k[1].rstrip("0123456789") in FORWARD}


def answer(case, solve=scratch_port.solve) -> Outcome:
    return run_solver(solve, case)


# -- levels and the order of computation ---------------------------------------------------------
@pytest.mark.parametrize(
    ("step", "tensor", "level"),
    [
        (0, "Z1", "forward"), (0, "A2", "forward"), (0, "cost", "forward"),
        (0, "dA2", "gradients"), (0, "aprime1", "gradients"), (0, "db1", "gradients"),
        (0, "W1_after", "training"), (3, "cost", "training"), (3, "A2", "training"),
        (3, "Z1", "full"), (3, "dW1", "full"), (3, "A1", "full"),
    ],
)  # fmt: skip
def test_a_network_tensor_belongs_to_its_level(step, tensor, level):
    levels = ("forward", "gradients", "training", "full")
    assert levels[tensor_level("network", 2, step, tensor)] == level


def test_t1_groups_come_in_computation_order():
    groups = pd.DataFrame({"step": [0] * 12, "tensor": sorted(
        ["Z1", "A1", "Z2", "A2", "cost", "dA1", "dA2", "dZ2", "dW2", "dW1", "W1_after", "b2_after"]
    )})  # fmt: skip
    ordered = list(in_computation_order("network", 2, groups)["tensor"])
    assert ordered == [
        "Z1", "A1", "Z2", "A2", "cost", "dA2", "dZ2", "dW2", "dA1", "dW1", "W1_after", "b2_after",
    ]  # fmt: skip


def test_t1_blog_forward_only_is_partial_forward_not_pass():
    result = grade(BY_ID["T1-blog"], answer(BY_ID["T1-blog"], forward_only))
    assert (result.status, result.label) == ("partial", "partial (forward)"), result.message


def test_the_summary_states_the_level_over_all_cases():
    cases = [BY_ID["T1-blog"], BY_ID["T3-deck-3-4-2"], BY_ID["T4-perceptron-and"]]
    results = [grade(c, answer(c, forward_only)) for c in cases[:2]]
    results.append(grade(cases[2], answer(cases[2])))
    table = summary_table(results)
    assert "level reached over the 3 supported case(s): forward (2 partial" in table
    assert "T1-blog                      partial (forward)" in table


# -- capabilities ------------------------------------------------------------------------------
def test_a_case_outside_the_declared_capabilities_is_unsupported_without_running():
    caps = Capabilities.from_dict({"activations": ["identity", "sigmoid"], "kinds": ["network"]})
    assert caps.why_unsupported(BY_ID["T1-blog"]) == "relu (activations)"
    assert caps.why_unsupported(BY_ID["T4-perceptron-and"]) == "a perceptron case"
    assert caps.why_unsupported(BY_ID["T4-sigmoid-1000"]) is None


def test_an_omitted_tensor_the_port_does_not_declare_is_not_a_strict_failure():
    caps = Capabilities.from_dict({"tensors": sorted(FORWARD)})
    case = BY_ID["T1-blog"]
    declared = lambda tensor: caps.records("network", tensor)  # noqa: E731
    result = grade(case, answer(case, forward_only), strict=True, declared=declared)
    assert result.label == "partial (forward)", result.message
    assert grade(case, answer(case, forward_only), strict=True).status == "fail"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "a JSON object is expected, got list"),
        ({"activation": ["relu"]}, "unknown key(s) ['activation']"),
        ({"activations": ["gelu"]}, "key 'activations': unknown value(s) ['gelu']; allowed"),
        ({"dtype": "float16"}, "key 'dtype': 'float16' is not one of"),
        ({"tensors": "Z"}, "key 'tensors': a list of strings is expected"),
    ],
    ids=["not-an-object", "unknown-key", "unknown-activation", "float16", "not-a-list"],
)
def test_a_bad_capabilities_file_is_named(raw, message, tmp_path):
    path = tmp_path / "caps.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(CapabilitiesError) as err:
        Capabilities.read(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_the_fuzz_draws_inside_the_declaration_and_states_the_level():
    caps = Capabilities.from_dict(
        {"kinds": ["network"], "activations": ["identity", "sigmoid", "softmax"],
         "losses": ["mse"], "tensors": sorted(FORWARD)}
    )  # fmt: skip
    seen = []

    def port(case):
        seen.append(case.meta)
        return answer(case, forward_only)

    out = io.StringIO()
    assert fuzz(port, examples=5, capabilities=caps, out=out) == 0, out.getvalue()
    assert "level reached: forward" in out.getvalue()
    assert all(m["kind"] == "network" and m["network"]["loss"] == "mse" for m in seen)
    assert {a for m in seen for a in m["network"]["activations"]} <= {
        "identity",
        "sigmoid",
        "softmax",
    }


# -- expected failures -------------------------------------------------------------------------
def xfails(tmp_path, text: str) -> Xfails:
    (path := tmp_path / "xfail.txt").write_text(text)
    return Xfails.read(path)


def test_an_expected_failure_is_xfail_and_one_that_passes_is_reported(tmp_path):
    case = BY_ID["T1-blog"]
    wrong = Outcome("ok", text=answer(case).text.replace("0,cost,0,0,162", "0,cost,0,0,1.62"))
    listed = xfails(tmp_path, "# our library reports cost / 100\nT1-blog/cost  scaled by 1/100\n")
    result = grade(case, wrong, xfails=listed)
    # not "pass": an expected failure is not a right value, and the level stops before it
    assert result.status == "xfail" and result.count("xfail") == 1, result.message
    assert result.level == "none" and "wrong as expected (xfail)" in result.message
    passing = grade(case, answer(case), xfails=listed)
    assert passing.count("xpass") == 10 and any("xpass T1-blog/cost" in n for n in passing.notes)
    assert grade(case, answer(case), strict=True, xfails=listed).status == "fail"


def test_a_whole_case_listed_is_xfail_when_it_errs(tmp_path):
    case = BY_ID["T1-blog"]
    listed = xfails(tmp_path, "T1-blog crashes on relu\n")
    crash = grade(case, Outcome("crash", message="crash: exit status 1"), xfails=listed)
    assert crash.status == "xfail" and "expected failure (crashes on relu)" in crash.message
    assert grade(case, answer(case), strict=True, xfails=listed).status == "fail"


def test_an_entry_that_matches_nothing_is_a_warning(tmp_path):
    listed = xfails(tmp_path, "T9-nothing  no such case\nT1-blog/dQ1  no such tensor\n")
    result = grade(BY_ID["T1-blog"], answer(BY_ID["T1-blog"]), xfails=listed)
    assert "xfail T1-blog/dQ1: the case has no tensor dQ1 (entry unused)" in result.notes
    assert listed.unmatched(["T1-blog"]) == ["T9-nothing"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("T1-blog\n", "line 1: T1-blog has no reason"),
        ("T1-blog/0/cost why\n", "line 1: 'T1-blog/0/cost' is not CASE or CASE/TENSOR"),
        ("T1-blog x\nT1-blog y\n", "line 2: T1-blog is listed twice"),
    ],
    ids=["no-reason", "bad-id", "twice"],
)  # fmt: skip
def test_a_bad_xfail_line_is_named(tmp_path, text, message):
    with pytest.raises(XfailFileError, match=message):
        xfails(tmp_path, text)


# -- the JSON report and the scoreboard ----------------------------------------------------------
def test_the_json_report_round_trips_into_a_scoreboard(tmp_path):
    cases = [BY_ID["T1-blog"], BY_ID["T4-perceptron-and"]]
    data = cases[0].path.parent
    reports = []
    for name, solve in (("scratch", scratch_port.solve), ("forward", forward_only)):
        caps = Capabilities.from_dict({"name": name, "version": "1"})
        results = [grade(c, answer(c, solve)) for c in cases]
        report = build_report(results, port=name, data=data, capabilities=caps, options={})
        (path := tmp_path / f"{name}.json").write_text(json.dumps(report, allow_nan=False))
        reports.append(path)
    assert read_report(reports[0])["level"] == "full"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert ports_main(["scoreboard", *map(str, reports)]) == 0
    table = out.getvalue()
    assert "| case | scratch 1 | forward 1 |" in table
    assert "| T1-blog | pass | partial (forward) |" in table
    assert "| **level reached** | **full** | **none** |" in table  # the perceptron printed nothing
    assert scoreboard([read_report(p) for p in reports]) == table


def test_a_file_that_is_not_a_report_is_named(tmp_path, capsys):
    (path := tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(ReportFileError, match="not a port report"):
        read_report(path)
    assert ports_main(["scoreboard", str(path)]) == 2
    assert "other.json: not a port report" in capsys.readouterr().err


# -- what the adversarial review found ---------------------------------------------------------
def test_a_run_where_every_case_is_an_expected_failure_fails(tmp_path, capsys):
    # Listing every case as an expected failure must not turn a useless port green.
    (xf := tmp_path / "xfail.txt").write_text("T1-blog  everything\n")
    code = ports_main(
        ["check", "--port", "true", "--case", "T1-blog", "--xfail", str(xf), "--strict"]
    )
    assert code == 1 and "no case passed" in capsys.readouterr().err


def test_a_port_that_errs_once_then_passes_fails_the_fuzz_as_flaky():
    calls = []

    def port(case):
        calls.append(case.id)
        if len(calls) <= 2:
            return Outcome("crash", message="crash: exit status 1")
        return answer(case)

    out = io.StringIO()
    assert fuzz(port, examples=4, out=out) == 1
    assert "the port is flaky" in out.getvalue()


def test_an_empty_tensor_declaration_is_refused():
    with pytest.raises(CapabilitiesError, match="an empty list declares a port that records"):
        Capabilities.from_dict({"tensors": []})


def test_a_malformed_report_is_named(tmp_path):
    (path := tmp_path / "m.json").write_text(
        json.dumps({"format": "mlp-conformance port report", "format_version": 1})
    )
    with pytest.raises(ReportFileError, match=r"not a well-formed port report: no port\.command"):
        read_report(path)
