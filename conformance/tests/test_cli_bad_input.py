"""Every bad input to the command line ends in one line on stderr, `mlp-conformance COMMAND:
error: ...`, naming the option, file or case, with exit status 2 and no traceback; and what is
checked is checked before any long computation starts.

The calls go through `conformance.cli.main` in process (what the installed script calls); one
goes through the script itself, where NumPy's warnings are not turned into errors, to show that
a diverging run prints nothing but its one line (`train`: it needs no torch, so it starts fast).
test_cli.py has the commands that work.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import conformance.cli.options as options
import conformance.cli.replay as replay
from conformance.cli import main
from conformance.golden.cases import DATA
from conformance.golden.checks import StepTensors

SCRIPT = Path(sys.executable).parent / "mlp-conformance"
TRAIN = ["train", "{csv}", "--sizes", "2", "3", "1"]
BILLION = str(10**9)

BAD_ARGV = {
    # id: (argv, what the one line must say); {tmp} is a scratch folder, {csv} a good CSV there
    "plot/o-missing-folder": (["plot", "T1-blog", "-o", "{tmp}/nowhere/c.png"], "no such folder"),
    "plot/o-unwritable": (["plot", "T1-blog", "-o", "/proc/c.png"], "/proc/c.png: "),
    "plot/o-unknown-extension": (["plot", "T1-blog", "-o", "{tmp}/c.pngg"], "extension '.pngg'"),
    "plot/o-a-folder": (["plot", "T1-blog", "-o", "{tmp}"], "is a folder, not a file"),
    "plot/o-under-a-file": (["plot", "T1-blog", "-o", "{csv}/c.png"], "no such folder"),
    "plot/steps-zero": (["plot", "T1-blog", "-o", "{tmp}/c.png", "--steps", "0"], "--steps must"),
    "plot/steps-billion": (["plot", "T1-blog", "-o", "{tmp}/c.png", "--steps", BILLION], "at most"),
    "plot/lr-Inf": (["plot", "T1-blog", "-o", "{tmp}/c.png", "--lr", "inf"], "--lr must be"),
    "plot/perceptron": (["plot", "T4-perceptron-and", "-o", "{tmp}/c.png"], "a perceptron case"),
    "train/steps-zero": ([*TRAIN, "--steps", "0", "-o", "{tmp}/o"], "--steps must be >= 1, got 0"),
    "train/steps-negative": ([*TRAIN, "--steps", "-5", "-o", "{tmp}/o"], "got -5"),
    "train/seed-negative": ([*TRAIN, "--seed", "-1", "-o", "{tmp}/o"], "--seed must be >= 0"),
    "train/lr-zero": ([*TRAIN, "--lr", "0", "-o", "{tmp}/o"], "--lr must be finite and > 0"),
    "train/lr-NaN": ([*TRAIN, "--lr", "nan", "-o", "{tmp}/o"], "--lr must be finite and > 0"),
    "train/scale-zero": ([*TRAIN, "--scale", "0", "-o", "{tmp}/o"], "--scale must be finite"),
    "train/scale-negative": ([*TRAIN, "--scale", "-1", "-o", "{tmp}/o"], "--scale must be"),
    "train/o-existing-file": ([*TRAIN, "-o", "{csv}"], "exists and is not a folder"),
    "train/o-not-empty": ([*TRAIN, "-o", "{tmp}"], "not empty; choose another -o or add --force"),
    "train/diverges": ([*TRAIN, "--lr", "1e10", "-o", "{tmp}/o"], "diverged at step"),
    "train/size-zero": (["train", "{csv}", "--sizes", "2", "0", "1", "-o", "{tmp}/o"], "sizes[1]"),
    "train/reduction": ([*TRAIN, "--reduction", "mean", "-o", "{tmp}/o"], "reduction 'mean'"),
    "train/loss": ([*TRAIN, "--loss", "hinge", "-o", "{tmp}/o"], "unknown loss 'hinge'"),
    "train/ce-without-softmax": ([*TRAIN, "--loss", "cross_entropy", "-o", "{tmp}/o"], "softmax"),
    "train/columns": (["train", "{csv}", "--sizes", "1", "1", "-o", "{tmp}/o"], "--sizes needs"),
    "train/empty-csv": (["train", "{tmp}/empty.csv", "--sizes", "1", "1", "-o", "{tmp}/o"], "CSV"),
    "train/into-data": ([*TRAIN, "-o", "{golden}/T1-blog", "--force"], "golden data"),
    "train/into-data-root": ([*TRAIN, "-o", "{golden}", "--force"], "golden data"),
    "train/into-a-case": ([*TRAIN, "-o", "{tmp}/loose", "--force"], "holds an expected.csv"),
    "train/under-a-manifest": ([*TRAIN, "-o", "{tmp}/signed/new"], "MANIFEST.sha256"),
    "train/into-the---data": (
        ["--data", "{tmp}/signed", *TRAIN, "-o", "{tmp}/signed/x"],
        "golden data",
    ),
    "list/data-missing": (["--data", "{tmp}/nothing", "list"], "--data"),
    "list/data-empty": (["--data", "{tmp}/empty", "list"], "no golden case in it"),
    "list/data-a-file": (["--data", "{csv}", "list"], "no such folder"),
    "run/data-missing": (["--data", "{tmp}/nothing", "run", "T1-blog"], "no such folder"),
    "check/data-missing": (["--data", "{tmp}/nothing", "check", "--port", "true"], "--data"),
    "run/init-lr": (["run", "T2-init-2-3-1", "--lr", "0.1"], "--lr does not apply"),
    "run/init-steps": (["run", "T2-init-2-3-1", "--steps", "3"], "--steps does not apply"),
    "run/init-every": (["run", "T2-init-2-3-1", "--every", "2"], "--every does not apply"),
    "run/init-lr-and-steps": (["run", "T2-init-2-3-1", "--lr", "1", "--steps", "2"], "do not"),
    "run/perceptron-every": (["run", "T4-perceptron-and", "--every", "2"], "--every applies"),
    "run/perceptron-steps-zero": (["run", "T4-perceptron-and", "--steps", "0"], "--steps must"),
    "run/perceptron-overflows": (["run", "T4-perceptron-and", "--lr", "1e308"], "overflowed"),
    "run/steps-billion": (["run", "T1-blog", "--steps", BILLION], "at most 1,000,000"),
    "run/every-zero": (["run", "T1-blog", "--every", "0"], "--every must be >= 1, got 0"),
    "run/lr-NaN": (["run", "T1-blog", "--lr", "nan"], "--lr must be finite and > 0, got nan"),
    "run/diverges": (["run", "T1-blog", "--lr", "1e150"], "T1-blog diverged at step 2"),
    "run/folder-without-case": (["run", "{tmp}/"], "a folder, but not a case"),
    "show/step-billion": (["show", "T1-blog", "--step", BILLION], "--step must be below"),
    "show/init": (["show", "T2-init-2-3-1", "--step", "0"], "show works on network cases"),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A scratch folder, made once (no rejected command may change it): a good CSV, an empty
    CSV and an empty folder; a loose copy of a case (with its expected.csv); a folder signed by
    a manifest; and a copy of a case in golden/, which stands in for data/."""
    root = tmp_path_factory.mktemp("cli")
    (root / "xor.csv").write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    (root / "empty.csv").write_text("")
    (root / "empty").mkdir()
    shutil.copytree(DATA / "T1-blog", root / "loose")
    (root / "signed").mkdir()
    (root / "signed" / "MANIFEST.sha256").write_text("")
    shutil.copytree(DATA / "T1-blog", root / "golden" / "T1-blog")
    return root


@pytest.fixture
def tmp(tree, monkeypatch) -> Path:
    """`tree`, with golden/ standing in for data/, so that no test can write into the real
    golden data."""
    monkeypatch.setattr(options, "DATA", tree / "golden")
    return tree


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def one_error_line(argv: list[str], capsys) -> str:
    code = main(argv)
    _, err = capsys.readouterr()
    command = next(a for a in argv if not a.startswith("-") and "/" not in a)
    assert code == 2, f"exit status {code}, stderr {err!r}"
    assert err.startswith(f"mlp-conformance {command}: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("key", list(BAD_ARGV))
def test_a_bad_command_line_is_one_clear_line(key, tmp, capsys, monkeypatch):
    argv, fragment = BAD_ARGV[key]
    before = digest(tmp)
    fill = {"{tmp}": str(tmp), "{csv}": str(tmp / "xor.csv"), "{golden}": str(tmp / "golden")}
    for k, v in fill.items():
        argv = [a.replace(k, v) for a in argv]
    if key.startswith("plot/"):  # the output is checked before any step is replayed
        monkeypatch.setattr(replay, "NetworkReplay", None)
    err = one_error_line(argv, capsys)
    assert fragment in err, f"{fragment!r} not in {err!r}"
    assert digest(tmp) == before, "a rejected command changed files"


def test_train_refuses_the_real_golden_data_before_reading_anything(capsys):
    before = digest(DATA / "T1-blog")
    argv = ["train", "no-such.csv", "--sizes", "2", "1", "-o", str(DATA / "T1-blog"), "--force"]
    assert "refusing to write into the golden data" in one_error_line(argv, capsys)
    assert digest(DATA / "T1-blog") == before


def test_plot_without_an_extension_writes_png_and_says_so(tmp_path, capsys):
    assert main(["plot", "T1-blog", "-o", str(tmp_path / "curve"), "--steps", "2"]) == 0
    assert f"wrote {tmp_path / 'curve.png'}: 2 steps" in capsys.readouterr().out
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp_path / "curve").exists()


def test_run_keeps_step_tensors_only_to_check_printed_figures(capsys, monkeypatch):
    kept = []
    monkeypatch.setattr(StepTensors, "add", lambda self, step, tensors: kept.append(step))
    assert main(["run", "T1-blog", "--steps", "12"]) == 0  # not the case's 10: no figures
    assert kept == [] and "printed figures" not in capsys.readouterr().out


# The installed script started afresh (0.6 s): `long`; the quick form is the in-process
# train/diverges and run/diverges above (a warning there is an error: filterwarnings).
@pytest.mark.long
def test_a_diverging_run_prints_one_line_and_no_warning_through_the_script(tmp_path):
    (tmp_path / "xor.csv").write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    argv = [SCRIPT, "train", tmp_path / "xor.csv", "--sizes", "2", "3", "1", "--lr", "1e10"]
    done = subprocess.run([*argv, "-o", tmp_path / "o"], capture_output=True, text=True)
    assert done.returncode == 2 and not (tmp_path / "o").exists()
    assert done.stderr.splitlines() == [
        "mlp-conformance train: error: training diverged at step 15 with --lr 1e+10: the cost is "
        "inf: the output is too far from Y (overflow); nothing was written"
    ]
