"""The golden data guards itself: a tampered figure fails the suite, and a malformed or
incomplete file fails with an error naming the file, row and column.

Every test works on a copy of data/ in a temporary folder; data/ itself is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conformance.golden.cases import DATA, load_all, load_case
from conformance.golden.checks import check_figure, check_tensor
from conformance.golden.comparison import compare_frames
from conformance.golden.regenerate import main as regenerate
from conformance.golden.tensors import CaseFormatError
from conformance.tests.test_golden import cells, computed

CASES = {case.id: case for case in load_all()}
FIGURES = [
    pytest.param(case.id, i, id=f"{figure.check}")
    for case in CASES.values()
    if case.transcribed is not None
    for i, figure in case.transcribed.iterrows()
]
REPO = Path(__file__).resolve().parents[2]


def copy_case(tmp_path: Path, case_id: str) -> Path:
    return Path(shutil.copytree(DATA / case_id, tmp_path / case_id))


def edit_line(path: Path, line: int, old: str, new: str) -> None:
    """Replace `old` by `new` on line `line` (1 = the header) of a text file; line 0: anywhere."""
    if line == 0:
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
        return
    lines = path.read_text().splitlines()
    assert old in lines[line - 1], (lines[line - 1], old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n")


def moved(printed: str, direction: int) -> str:
    """A printed figure moved by one unit in its last printed place."""
    figure = Decimal(printed)
    return str(figure + direction * Decimal(1).scaleb(figure.as_tuple().exponent))


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    """tampered(case_id, direction): a copy of the case with every printed figure moved by one
    unit in its last place (up or down), written to disk and read back through the loader."""
    copies = {}

    def make(case_id: str, direction: int):
        if (case_id, direction) not in copies:
            path = copy_case(tmp_path_factory.mktemp(f"{case_id}-{direction}"), case_id)
            for index, figure in CASES[case_id].transcribed.iterrows():
                cells = f"{figure['check']},{figure['step']},{figure['tensor']},{figure['row']},"
                cells += f"{figure['col']},"
                new = moved(figure["printed"], direction)
                edit_line(
                    path / "transcribed.csv",
                    index + 2,
                    cells + figure["printed"] + ",",
                    cells + new + ",",
                )
            copies[case_id, direction] = load_case(path)
        return copies[case_id, direction]

    return make


@pytest.mark.parametrize("direction", [1, -1], ids=["up", "down"])
@pytest.mark.parametrize(("case_id", "index"), FIGURES)
def test_a_figure_moved_by_one_unit_in_its_last_place_fails(tampered, case_id, index, direction):
    # Printed figures are rounded, so the true value is within half a unit of the printed one;
    # one unit away it is at least half a unit off, and the check must fail.
    case = tampered(case_id, direction)
    figure = case.transcribed.loc[index]
    assert figure["printed"] == moved(CASES[case_id].transcribed.loc[index, "printed"], direction)
    with pytest.raises(AssertionError, match="the tutorial prints"):
        check_figure(case, figure, cells(case_id, "scratch"), "scratch")


def test_a_generated_value_changed_in_data_fails_with_a_report(tmp_path):
    path = copy_case(tmp_path, "T1-blog")
    edit_line(path / "expected.csv", 2, "0,Z1,0,0,6", "0,Z1,0,0,6.000001")
    tampered = load_case(path)
    with pytest.raises(AssertionError) as info:
        report = compare_frames(computed("T1-blog", "scratch"), tampered.expected)
        check_tensor(tampered, "Z1", report, "scratch")
    message = str(info.value)
    assert "T1-blog/Z1 by scratch: 1 of 10 (step, tensor) groups differ" in message
    assert "first divergence at step 0, tensor Z1" in message and "1.000e-06" in message


def test_the_suite_fails_on_a_tampered_copy_of_data(tmp_path):
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    edit_line(data / "T1-blog" / "transcribed.csv", 62, "3.0034,", "3.0036,")  # epoch 9 prediction
    env = {**os.environ, "MLP_CONFORMANCE_DATA": str(data)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "conformance/tests/test_golden.py",
            "-k",
            "T1-blog/epoch9/prediction/scratch or T1-blog/epoch9/prediction/golden-file",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "scratch gives 3.003402" in run.stdout and "prints 3.0036" in run.stdout
    assert "2 failed" in run.stdout


@pytest.mark.parametrize(
    ("file", "line", "old", "new", "message"),
    [
        (
            "params.csv",
            1,
            "value",
            "valeu",
            r"params.csv, row 1 \(header\): missing column\(s\) \['value'\]",
        ),
        (
            "params.csv",
            3,
            "W1,0,1,2",
            "W1,0,1,two",
            r"params.csv, row 3, column 'value': 'two' is not a number",
        ),
        (
            "params.csv",
            3,
            "W1,0,1,2",
            "W1,0,x,2",
            r"params.csv, row 3, column 'col': 'x' is not a number",
        ),
        ("params.csv", 3, "W1,0,1,2", "W1,0,1,", r"params.csv, row 3, column 'value': empty cell"),
        ("params.csv", 3, "W1,0,1,2", "W1,0,0,2", r"params.csv, row 3: tensor 'W1' repeats a cell"),
        (
            "params.csv",
            3,
            "W1,0,1,2",
            "W1,0,1,nan",
            r"params.csv, row 3, column 'value': 'nan' is not",
        ),
        ("data.csv", 4, "Y,0,0,3", "Q,0,0,3", r"data.csv: tensors \['Q', 'X'\], expected"),
        ("expected.csv", 5, ",", ";", r"expected.csv"),
        (
            "transcribed.csv",
            2,
            ",6,0.5,",
            ",6,0.05,",
            r"transcribed.csv, row 2, column 'tolerance': 0.05 is not half a unit",
        ),
        (
            "transcribed.csv",
            2,
            ",6,0.5,",
            ",six,0.5,",
            r"transcribed.csv, row 2, column 'printed' or 'tolerance'",
        ),
        ("case.json", 0, '"kind"', '"knid"', r"case.json: key 'kind' must be one of"),
        ("case.json", 0, '"loss"', '"loss_fn"', r"case.json, key 'network': missing key 'loss'"),
        (
            "case.json",
            0,
            '"full_steps"',
            '"full_step"',
            r"case.json, key 'record': missing key 'full_steps'",
        ),
        (
            "case.json",
            0,
            '"lr": 0.01',
            '"lr": "0.01"',
            r"case.json, key 'training': key 'lr' must be int or float",
        ),
        ("case.json", 1, "{", "[", r"case.json, line 2, column 7: Expecting"),
    ],
    ids=[
        "misspelled-column",
        "non-numeric-value",
        "non-numeric-col",
        "empty-cell",
        "repeated-cell",
        "nan-value",
        "missing-tensor",
        "bad-separator",
        "wrong-tolerance",
        "non-numeric-figure",
        "misspelled-field",
        "misspelled-network-field",
        "misspelled-record-field",
        "string-lr",
        "not-json",
    ],
)
def test_malformed_file_is_named(tmp_path, file, line, old, new, message):
    path = copy_case(tmp_path, "T1-blog")
    edit_line(path / file, line, old, new)
    with pytest.raises(CaseFormatError, match=message):
        load_case(path)


def test_missing_cell_is_named(tmp_path):
    path = copy_case(tmp_path, "T1-blog")
    lines = (path / "params.csv").read_text().splitlines()
    (path / "params.csv").write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    with pytest.raises(
        CaseFormatError, match=r"params.csv: tensor 'W1' of shape \(3, 2\) has 5 of 6"
    ):
        load_case(path)


def test_unknown_key_is_named(tmp_path):
    path = copy_case(tmp_path, "T1-blog")
    meta = json.loads((path / "case.json").read_text())
    meta["trainig"] = {}
    (path / "case.json").write_text(json.dumps(meta))
    with pytest.raises(CaseFormatError, match=r"case.json: unknown key\(s\) \['trainig'\]"):
        load_case(path)


def test_missing_file_is_named(tmp_path):
    path = copy_case(tmp_path, "T1-blog")
    (path / "data.csv").unlink()
    with pytest.raises(CaseFormatError, match=r"data.csv: file missing"):
        load_case(path)


# -- regeneration ------------------------------------------------------------------------------


def test_regenerate_leaves_unchanged_values_alone(tmp_path, capsys):
    data = tmp_path / "data"
    copy_case(data, "T1-blog")
    before = (data / "T1-blog" / "expected.csv").read_bytes()
    assert regenerate(["--data", str(data)]) == 0
    assert "T1-blog: unchanged (470 values)" in capsys.readouterr().out
    assert (data / "T1-blog" / "expected.csv").read_bytes() == before


def test_regenerate_refuses_to_change_a_value_and_says_what_would_change(tmp_path, capsys):
    data = tmp_path / "data"
    path = copy_case(data, "T1-blog")
    edit_line(path / "expected.csv", 2, "0,Z1,0,0,6", "0,Z1,0,0,6.5")
    tampered = (path / "expected.csv").read_bytes()
    assert regenerate(["--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "T1-blog step 0 Z1[0,0]: 6.5 -> 6 (abs 5.000e-01)" in out
    assert "refusing to change existing values" in out
    assert (path / "expected.csv").read_bytes() == tampered
    assert regenerate(["--data", str(data), "--force"]) == 0
    assert (path / "expected.csv").read_text().splitlines()[1] == "0,Z1,0,0,6"


def test_regenerate_writes_a_missing_file(tmp_path, capsys):
    data = tmp_path / "data"
    path = copy_case(data, "T4-softmax-ce")
    original = (path / "expected.csv").read_bytes()
    (path / "expected.csv").unlink()
    assert regenerate(["--data", str(data), "--dry-run"]) == 0
    assert not (path / "expected.csv").exists()
    assert regenerate(["--data", str(data)]) == 0
    assert (path / "expected.csv").read_bytes() == original
    assert "confirmed by reference" in capsys.readouterr().out
