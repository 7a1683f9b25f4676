"""The command line, end to end: through the installed `mlp-conformance` script for the paths
that need no heavy import, and through its entry point `conformance.cli:main` (what the script
calls) for the rest.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.cli.format import progress
from conformance.cli.options import PROGRESS_ABOVE
from conformance.golden.cases import DATA, load_case

SCRIPT = Path(sys.executable).parent / "mlp-conformance"

T1_TABLE = [
    ("0", "162.0000", "21.0000"),
    ("1", "0.5080", "4.0080"),
    ("2", "0.1182", "3.4862"),
    ("3", "0.0282", "3.2376"),
    ("4", "0.0068", "3.1167"),
    ("5", "0.0017", "3.0575"),
    ("6", "0.0004", "3.0283"),
    ("7", "0.0001", "3.0140"),
    ("8", "0.0000", "3.0069"),
    ("9", "0.0000", "3.0034"),
]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- the installed script ----------------------------------------------------------------------
def test_script_is_installed_and_answers_help():
    assert SCRIPT.exists(), f"{SCRIPT} missing: is the package installed (README setup)?"
    # Python lists every module it imports on stderr (`-X importtime`): the help is built
    # without what the commands need (0.6 s of imports before, 0.15 s now).
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run([SCRIPT, "--help"], capture_output=True, text=True, check=True, env=env)
    for command in ("list", "run", "show", "plot", "check", "train"):
        assert command in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "conformance.cli.main" in imported
    heavy = {"pandas", "hypothesis", "torch", "matplotlib", "conformance.ports.checking"}
    assert not heavy & imported


# The installed script started afresh (0.6 s): `long`; the quick form is
# test_errors_are_one_clear_line[unknown-case] (and the script's --help runs by default).
@pytest.mark.long
def test_script_reports_an_unknown_case_without_a_traceback():
    done = subprocess.run([SCRIPT, "run", "T1-blgo"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mlp-conformance run: error: unknown case 'T1-blgo'; did you mean T1-blog? "
        "(see `mlp-conformance list`)"
    )
    assert "Traceback" not in done.stderr


# -- the default run: T1's table ----------------------------------------------------------------
@pytest.mark.parametrize(
    "argv", [[], ["run"], ["run", "T1-blog"]], ids=["no-args", "run", "run-T1"]
)
def test_default_run_prints_the_blogs_table(argv, capsys):
    code, out, _ = run(argv, capsys)
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [tuple(r[:3]) for r in rows] == T1_TABLE
    assert all(float(r[3]) < 1e-12 for r in rows)  # max |scratch - torch| at each step
    assert "printed figures: 61 of 61 within half a unit of their last digit" in out


def test_run_with_other_steps_and_lr(capsys):
    code, out, _ = run(["run", "T1-blog", "--steps", "3", "--lr", "0.001"], capsys)
    assert code == 0 and "lr 0.001, 3 steps" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["0", "1", "2"] and rows[0][1:3] == ["162.0000", "21.0000"]
    assert "printed figures" not in out  # they belong to the case's own lr and steps


def test_list_shows_every_case(capsys):
    code, out, _ = run(["list"], capsys)
    assert code == 0
    for path in DATA.glob("*/case.json"):
        assert path.parent.name in out
    assert "T1-blog                    network    T1            61" in out


def test_show_prints_every_tensor_of_a_step(capsys):
    code, out, _ = run(["show", "T1-blog", "--step", "0"], capsys)
    assert code == 0
    for name in ("Z1", "A1", "cost", "dA1", "dZ1", "aprime1", "dW1", "db1", "dW2", "W1_after"):
        assert f"\n{name} = " in out
    assert "dW1 = [[18. 36.]\n       [36. 72.]\n       [ 0.  0.]]" in out
    assert "W2_after = [[-0.08  0.74  3.  ]]" in out


def test_run_perceptron_and_init_cases(capsys):
    code, out, _ = run(["run", "T4-perceptron-and"], capsys)
    assert code == 0 and "converged after 6 epochs" in out
    code, out, _ = run(["run", "T2-init-2-3-1"], capsys)
    assert code == 0 and "bit for bit: True" in out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR" and data.endswith(b"IEND\xaeB`\x82")
    return struct.unpack(">II", data[16:24])


def test_plot_writes_a_png_of_the_right_size(tmp_path, capsys):
    out_file = tmp_path / "curve.png"
    code, out, err = run(["plot", "T1-blog", "-o", str(out_file)], capsys)
    assert code == 0 and f"wrote {out_file}" in out
    assert png_size(out_file) == (800, 500)
    assert err == ""  # 10 steps: no progress bar


def test_more_than_200_steps_draw_a_progress_bar(capsys):
    assert PROGRESS_ABOVE == 200
    assert progress(range(200), 200, "T1-blog") == range(200)  # no bar: the steps themselves
    bar = progress(range(201), 201, "T1-blog")
    assert list(bar) == list(range(201))
    assert "T1-blog: 100%" in capsys.readouterr().err and "201/201" in str(bar)


def test_a_long_plot_draws_a_progress_bar(tmp_path, capsys, monkeypatch):
    # plot's bar, with the threshold lowered from 200 to 5 steps (the test above holds the
    # threshold): the same code as a plot of 250 steps, without replaying 250 steps.
    monkeypatch.setattr("conformance.cli.format.PROGRESS_ABOVE", 5)
    out_file = tmp_path / "long.png"
    code, _, err = run(["plot", "T4-sigmoid-1000", "-o", str(out_file), "--steps", "6"], capsys)
    assert code == 0 and png_size(out_file) == (800, 500)
    assert "6/6" in err  # tqdm's bar, on stderr


def test_train_writes_a_case_that_run_and_the_loader_read(tmp_path, capsys):
    data = tmp_path / "xor.csv"
    data.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    out_dir = tmp_path / "xor-net"
    code, out, _ = run(
        [
            "train",
            str(data),
            "--sizes",
            "2",
            "4",
            "1",
            "--hidden",
            "tanh",
            "--lr",
            "0.5",
            "--steps",
            "50",
            "-o",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0 and "trained 2-4-1 for 50 steps" in out
    case = load_case(out_dir)
    assert case.spec.sizes == (2, 4, 1) and case.data["X"].shape == (4, 2)
    code, out, _ = run(["run", str(out_dir), "--steps", "2"], capsys)
    assert code == 0 and "network 2-4-1 tanh/identity" in out


def test_check_delegates_to_the_port_runner(capsys):
    code, out, _ = run(
        [
            "check",
            "--port",
            f"{sys.executable} -m conformance.ports.pure_python",
            "--case",
            "T4-scalar-chain-alpha0.2",
        ],
        capsys,
    )
    assert code == 0 and "1 passed, 0 failed" in out


# -- errors: one clear line, status 2 ------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "T9"], "unknown case 'T9'"),
        (["show", "T4-perceptron-and", "--step", "0"], "show works on network cases"),
        (["show", "T1-blog", "--step", "-2"], "--step must be >= 0, got -2"),
        (["plot", "T2-init-2-3-1", "-o", "x.png"], "plot draws a cost curve"),
        (["run", "T1-blog", "--steps", "0"], "--steps must be >= 1, got 0"),
        (["run", "T1-blog", "--lr", "-1"], "lr must be finite and > 0, got -1.0"),
        (["train", "missing.csv", "--sizes", "2", "1", "-o", "out"], "missing.csv: no such file"),
        (
            ["train", "{csv}", "--sizes", "2", "3", "1", "--hidden", "swish", "-o", "out"],
            "unknown activation 'swish'",
        ),
        (
            ["train", "{csv}", "--sizes", "2", "3", "1", "--targets", "z", "-o", "out"],
            "no column(s) ['z']",
        ),
        (
            ["train", "{bad}", "--sizes", "1", "1", "-o", "out"],
            "row 3, column 'x': 'two' is not a number",
        ),
    ],
    ids=[
        "unknown-case",
        "show-perceptron",
        "negative-step",
        "plot-init",
        "zero-steps",
        "negative-lr",
        "missing-csv",
        "bad-activation",
        "bad-target-column",
        "non-numeric-csv",
    ],
)
def test_errors_are_one_clear_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.csv").write_text("a,b,y\n1,2,3\n")
    (tmp_path / "bad.csv").write_text("x,y\n1,2\ntwo,3\n")
    argv = [a.replace("{csv}", "ok.csv").replace("{bad}", "bad.csv") for a in argv]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_malformed_case_folder_is_named(tmp_path, capsys):
    case = Path(shutil.copytree(DATA / "T1-blog", tmp_path / "T1-blog"))
    (case / "params.csv").write_text("tensor,row,col,value\nW1,0,0,x\n")
    code, _, err = run(["run", str(case)], capsys)
    assert code == 2 and "params.csv, row 2, column 'value': 'x' is not a number" in err


@pytest.mark.parametrize("command", ["list", "run", "show", "plot", "check", "train"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: mlp-conformance {command}" in capsys.readouterr().out


def test_bad_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "T1-blog", "--stpes", "3"])
    assert done.value.code == 2
    assert "unrecognized arguments: --stpes 3" in capsys.readouterr().err
