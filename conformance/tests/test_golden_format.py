"""The golden data guards itself: a tampered figure fails the suite, and a malformed or
incomplete file fails with an error naming the file, row and column (or byte offset), while
what an editor may leave behind (CRLF line ends, a UTF-8 byte-order mark) is read as the plain
file. case.json's keys and values are in test_golden_schema.py, the manifest in
test_golden_integrity.py.

Every test works on a copy of data/ in a temporary folder; data/ itself is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conformance.golden.cases import DATA, Case, load_case
from conformance.golden.checks import check_figure, check_tensor, check_tensors
from conformance.golden.comparison import compare_frames
from conformance.golden.manifest import write_manifest
from conformance.golden.tensors import CaseFormatError, frame_to_arrays
from conformance.tests.inputs import golden_cases
from conformance.tests.test_golden import cells, computed
from conformance.tests.test_golden_integrity import add, copy_case, drop, raw, sub

CASES = {case.id: case for case in golden_cases()}
FIGURES = [
    pytest.param(case.id, i, id=f"{figure.check}")
    for case in CASES.values()
    if case.transcribed is not None
    for i, figure in case.transcribed.iterrows()
]
REPO = Path(__file__).resolve().parents[2]


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
                cells = ",".join(str(figure[k]) for k in ("check", "step", "tensor", "row", "col"))
                old, new = figure["printed"], moved(figure["printed"], direction)
                edit_line(path / "transcribed.csv", index + 2, f"{cells},{old},", f"{cells},{new},")
            copies[case_id, direction] = load_case(path)
        return copies[case_id, direction]

    return make


@pytest.mark.parametrize("direction", [1, -1], ids=["up", "down"])
@pytest.mark.parametrize("case_id", sorted({p.values[0] for p in FIGURES}))
def test_a_figure_moved_by_one_unit_in_its_last_place_fails(tampered, case_id, direction):
    # Printed figures are rounded, so the true value is within half a unit of the printed one;
    # one unit away it is at least half a unit off, and the check must fail: every figure of
    # the case, each moved on its own copy's line (one test per case and direction, naming
    # every figure that would slip through).
    case = tampered(case_id, direction)
    slipped = []
    for index, figure in case.transcribed.iterrows():
        original = CASES[case_id].transcribed.loc[index, "printed"]
        assert figure["printed"] == moved(original, direction)
        try:
            check_figure(case, figure, cells(case_id, "scratch"), "scratch")
        except AssertionError as failure:
            assert "the tutorial prints" in str(failure), str(failure)
        else:
            slipped.append(f"{figure['check']} ({original} -> {figure['printed']})")
    assert not slipped, f"{len(slipped)} moved figure(s) still pass: {slipped}"


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


def test_every_tensor_that_differs_is_named_from_the_step_it_first_differs():
    # T1-blog's expected values with 1e-6 added: to b2_after at step 0 only, and to Z1, A2 and
    # dW1 at step 9 only (an update that goes wrong first, and what it spoils later). The test
    # of the case names all four, b2_after first, and prints the reports of the first three.
    case = CASES["T1-blog"]
    expected = case.expected.copy()
    late = expected["tensor"].isin(["Z1", "A2", "dW1"]) & (expected["step"] == 9)
    early = (expected["tensor"] == "b2_after") & (expected["step"] == 0)
    expected.loc[late | early, "value"] += 1e-6
    report = compare_frames(computed("T1-blog", "scratch"), expected)
    with pytest.raises(AssertionError) as info:
        check_tensors(case, report, "scratch")
    message = str(info.value)
    assert message.startswith(
        "T1-blog by scratch: 4 tensor(s) differ, the first at step 0, b2_after; each from the "
        "step it first differs: b2_after (step 0), Z1 (step 9), A2 (step 9), dW1 (step 9)\n"
    ), message
    shown = [f"T1-blog/{t} by scratch:" in message for t in ("b2_after", "Z1", "A2", "dW1")]
    assert shown == [True, True, True, False], message
    assert message.endswith("... and 1 more tensor(s) differ, named above")
    check_tensors(case, compare_frames(computed("T1-blog", "scratch"), case.expected), "scratch")


# A whole pytest run in a process of its own (1.4 s of CPU): `long`. Its quick forms, in process:
# test_a_figure_moved_by_one_unit_in_its_last_place_fails, and test_golden_integrity's tests.
@pytest.mark.long
def test_the_suite_fails_on_a_tampered_copy_of_data(tmp_path):
    # Even with the edit written into the copy's manifest (as a deliberate one would be), the
    # figure's own check fails.
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    edit_line(data / "T1-blog" / "transcribed.csv", 62, "3.0034,", "3.0036,")  # epoch 9 prediction
    write_manifest(data)
    env = {**os.environ, "MLP_CONFORMANCE_DATA": str(data)}
    only = "T1-blog/epoch9/prediction/scratch or T1-blog/epoch9/prediction/golden-file"
    command = [sys.executable, "-m", "pytest", "-n", "0", "conformance/tests/test_golden.py"]
    command += ["-k", only]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "scratch gives 3.003402" in run.stdout and "prints 3.0036" in run.stdout
    assert "2 failed" in run.stdout


K, PC, DC, EC, TC = "case.json", "params.csv", "data.csv", "expected.csv", "transcribed.csv"
T1, SM, PA, INIT = "T1-blog", "T4-softmax-ce", "T4-perceptron-and", "T2-init-2-2-1"
T2, T3, T4 = "T2-erratum-2-3-2", "T3-deck-3-4-2", "T4-sigmoid-1000"
W12, Z17, U1 = "W1,0,1,2\n", "0,Z1,0,1,7\n", ",0,Z1,0,0,6,0.5,"  # T1's row 3, row 3, row 2
HEADER_ONLY = raw(lambda b: b.split(b"\n", 1)[0] + b"\n")
DW1_AT_3 = [f"3,dW1,{r},{c},0" for r in range(3) for c in range(4)]
# (id, case, file, edit, message): the message also names the file
FILES = [
    ("column-misspelled", T1, PC, sub("value\n", "valeu\n"), r"row 1 \(header\): missing colum"),
    ("column-twice", T1, PC, sub("value\n", "value,value\n"), r"row 1 \(header\): .*repeated col"),
    ("empty-file", T1, PC, raw(lambda b: b""), r"row 1 \(header\): missing column"),
    ("header-only", T1, PC, HEADER_ONLY, r"tensor\(s\) \['W1', 'b1', 'W2', 'b2'\] missing"),
    ("value-text", T1, PC, sub(W12, "W1,0,1,two\n"), r"row 3, column 'value': 'two' is not a n"),
    ("value-empty", T1, PC, sub(W12, "W1,0,1,\n"), r"row 3, column 'value': empty cell"),
    ("value-nan", T1, PC, sub(W12, "W1,0,1,nan\n"), r"row 3, column 'value': 'nan' is not a n"),
    ("value-inf", T1, PC, sub(W12, "W1,0,1,inf\n"), r"row 3, column 'value': 'inf' is not finite"),
    ("value-1e999", T1, PC, sub(W12, "W1,0,1,1e999\n"), r"row 3, column 'value': '1e999' is not"),
    ("value-comma-decimal", T1, PC, sub(W12, 'W1,0,1,"2,5"\n'), r"row 3, column 'value': '2,5'"),
    ("col-text", T1, PC, sub(W12, "W1,0,x,2\n"), r"row 3, column 'col': 'x' is not a number"),
    ("row-negative", T1, PC, sub(W12, "W1,-1,1,2\n"), r"row 3: negative row/col for tensor 'W1'"),
    ("row-fraction", T1, PC, sub(W12, "W1,0.5,1,2\n"), r"row 3, column 'row': '0.5' is not an in"),
    ("row-inf", T1, PC, sub(W12, "W1,inf,1,2\n"), r"row 3, column 'row': 'inf' is not an integer"),
    ("col-huge", T1, PC, sub(W12, "W1,0,1e300,2\n"), r"row 3, column 'col': '1e300' is not an in"),
    ("cell-repeated", T1, PC, sub(W12, "W1,0,0,2\n"), r"row 3: tensor 'W1' repeats a cell"),
    ("cell-missing", T1, PC, sub(W12, ""), r"tensor 'W1' of shape \(3, 2\) has 5 of 6 cells"),
    ("five-cells", T1, PC, sub(W12, "W1,0,1,2,9\n"), r"row 3: 5 cells, but the header has 4"),
    ("three-cells", T1, PC, sub(W12, "W1,0,1\n"), r"row 3: 3 cells, but the header has 4"),
    ("blank-line", T1, PC, sub(W12, W12 + "\n"), r"row 4: a blank line"),
    ("W1-taller", T1, PC, add("W1,3,0,1", "W1,3,1,1"), r"row 2: tensor 'W1' has shape \(4, 2\)"),
    ("W3-for-W2", T1, PC, raw(lambda b: b.replace(b"W2,", b"W3,")), r"row 11, column 'tensor'"),
    ("b1-missing", T1, PC, drop("^b1,"), r"tensor\(s\) \['b1'\] missing"),
    ("t2-bias-column", T2, PC, raw(lambda b: re.sub(rb"b1,0,(\d)", rb"b1,\1,0", b)), r"\(1, 3\)"),
    ("t3-bias-row", T3, PC, raw(lambda b: re.sub(rb"b2,(\d),0", rb"b2,0,\1", b)), r"\(2, 1\)"),
    ("Y-renamed", T1, DC, sub("Y,0,0,3", "Q,0,0,3"), r"row 4, column 'tensor': tensor 'Q' does"),
    ("X-wider", T1, DC, add("X,0,2,5"), r"row 2: tensor 'X' has shape \(1, 3\), .* \(1, 2\)"),
    ("Y-longer", T1, DC, add("Y,1,0,4"), r"row 4: tensor 'Y' has shape \(2, 1\), .* \(1, 1\)"),
    ("Xq-without-query", T1, DC, add("Xq,0,0,1", "Xq,0,1,1"), r"row 5, column 'tensor': tensor"),
    ("Y-missing", T1, DC, drop("^Y,"), r"tensor\(s\) \['Y'\] missing"),
    ("Y-not-one-hot", SM, DC, sub("Y,0,1,1\n", "Y,0,1,0.5\n"), r"row 8, column 'value': Y row 0"),
    ("Y-two-ones", SM, DC, sub("Y,1,0,0\n", "Y,1,0,1\n"), r"row 11, column 'value': .* one-hot"),
    ("label-two", PA, DC, sub("y,3,0,1\n", "y,3,0,2\n"), r"row 13, column 'value': .* got 2"),
    ("label-second-column", PA, DC, add("y,0,1,0"), r"tensor 'y' of shape \(4, 2\) has 5 of 8"),
    ("Xq-missing", T4, DC, drop("^Xq,"), r"tensor\(s\) \['Xq'\] missing"),
    ("Xq-narrower", T4, DC, drop("^Xq,0,2,"), r"row 18: tensor 'Xq' has shape \(1, 2\)"),
    ("missing", T1, DC, lambda f: f.unlink(), r"data.csv: file missing"),
    ("header-only", T1, EC, HEADER_ONLY, r"holds no values, only the header"),
    ("semicolon", T1, EC, sub(Z17, "0;Z1,0,1,7\n"), r"row 3: 4 cells, but the header has 5"),
    ("last-row-deleted", T1, EC, drop("^9,b2_after,"), r"step 9 lacks \['b2_after'\], which rec"),
    ("one-cell-deleted", T1, EC, drop("^9,W2_after,0,1,"), r"row 468: step 9 tensor 'W2_after'"),
    ("last-step-deleted", T1, EC, drop("^9,"), r"step 9 lacks \['Z1', 'A1'"),
    ("tensor-of-a-step-deleted", T1, EC, drop("^3,dW1,"), r"step 3 lacks \['dW1'\]"),
    ("step-past-the-end", T1, EC, add("10,cost,0,0,1"), r"row 472, column 'step': step 10 is no"),
    ("unknown-tensor", T1, EC, add("0,Z3,0,0,1"), r"row 472, column 'tensor': 'Z3' is no tensor"),
    ("value-nan", T1, EC, sub(Z17, "0,Z1,0,1,nan\n"), r"row 3, column 'value': 'nan' is not a n"),
    ("value-minus-inf", T1, EC, sub(Z17, "0,Z1,0,1,-inf\n"), r"row 3, column 'value': '-inf' is"),
    ("step-negative", T1, EC, sub(Z17, "-1,Z1,0,1,7\n"), r"row 3: negative step, row or col"),
    ("step-fraction", T1, EC, sub(Z17, "0.5,Z1,0,1,7\n"), r"row 3, column 'step': '0.5' is not"),
    ("cell-repeated", T1, EC, add("0,Z1,0,1,7"), r"row 472: step 0 Z1\[0,1\] appears twice"),
    ("cost-two-columns", T1, EC, add("0,cost,0,1,7"), r"tensor 'cost' has 2 cells .* of \(1, 1\)"),
    ("aprime-of-softmax", SM, EC, add("0,aprime1,0,0,1"), r"row 51, column 'tensor': 'aprime1'"),
    ("db-without-bias", T4, EC, add("0,db1,0,0,1"), r"row 5515, column 'tensor': 'db1' is no"),
    ("prediction-deleted", T4, EC, drop("^1000,prediction,"), r"step 1000 lacks \['prediction"),
    ("every-step-row-deleted", T4, EC, drop("^500,A2,"), r"step 500 lacks \['A2'\], which rec"),
    ("full-step-tensor-deleted", T3, EC, drop("^29,dZ1,"), r"step 29 lacks \['dZ1'\], which r"),
    ("unpromised-tensor", T3, EC, add(*DW1_AT_3), r"row 2322: step 3 holds 'dW1', which record"),
    ("epoch-tensor-deleted", PA, EC, drop("^2,errors,"), r"step 2 lacks \['errors'\], which a p"),
    ("epoch-deleted", PA, EC, drop("^2,"), r"step 2 lacks \['prediction', 'error', 'w', 'b', 'er"),
    ("epochs-deleted", PA, EC, drop("^0,epochs,"), r"step 0 lacks \['epochs'\], which a perc"),
    ("epochs-at-epoch-1", PA, EC, add("1,epochs,0,0,6"), r"step 1 holds 'epochs', which a perc"),
    ("epochs-one-short", PA, EC, sub("0,epochs,0,0,6\n", "0,epochs,0,0,5\n"), r"row 23, .*is 5, "),
    ("epochs-one-past", PA, EC, sub("0,epochs,0,0,6\n", "0,epochs,0,0,7\n"), r"but 6 epochs are"),
    ("error-free-not-last", PA, EC, sub("4,errors,0,0,1\n", "4,errors,0,0,0\n"), r"row 107: ep"),
    ("last-epoch-has-errors", PA, EC, sub("5,errors,0,0,0\n", "5,errors,0,0,1\n"), r"row 128: "),
    (
        "w-narrower",
        PA,
        EC,
        drop(r"^\d,w,\d,1,"),
        r"row 10: step 0 tensor 'w' has 4 cells .* \(4, 2",
    ),
    ("init-bias-deleted", INIT, EC, drop("^0,b2,"), r"step 0 lacks \['b2'\], which an init case"),
    ("init-wrong-step", INIT, EC, raw(lambda b: b.replace(b"\n0,W1,", b"\n1,W1,")), r"\['W1'\]"),
    ("tolerance-wrong", T1, TC, sub(U1, ",0,Z1,0,0,6,0.05,"), r"row 2, column 'tolerance': 0.05"),
    ("printed-text", T1, TC, sub(U1, ",0,Z1,0,0,six,0.5,"), r"row 2, column 'printed' or 'tol"),
    (
        "printed-nan",
        T1,
        TC,
        sub(U1, ",0,Z1,0,0,nan,0.5,"),
        r"row 2, .* not a finite decimal number",
    ),
    ("printed-inf", T1, TC, sub(U1, ",0,Z1,0,0,Infinity,0.5,"), r"row 2, .* not a finite decimal"),
    ("printed-1e999", T1, TC, sub(U1, ",0,Z1,0,0,1e999,5e998,"), r"row 2, .* not a finite decimal"),
    ("tolerance-nan", T1, TC, sub(U1, ",0,Z1,0,0,6,NaN,"), r"row 2, column 'tolerance': NaN is no"),
    ("cell-at-no-step", T1, TC, sub("prediction,9,", "prediction,10,"), r"row 62: step 10 A2\[0,0"),
    ("cell-of-no-tensor", T1, TC, sub(U1, ",0,Z9,0,0,6,0.5,"), r"row 2: step 0 Z9\[0,0\] is not a"),
    ("cell-outside", T1, TC, sub(U1, ",0,Z1,5,0,6,0.5,"), r"row 2: step 0 Z1\[5,0\] is not a cell"),
    ("check-repeated", T1, TC, sub("forward/u2,", "forward/u1,"), r"row 3, column 'check': repeat"),
    ("check-empty", T1, TC, sub("T1-blog/forward/u2,", ","), r"row 3, column 'check': empty cell"),
    ("nine-cells", T1, TC, sub("u2,0,Z1,0,1,7,0.5,", "u2,0,Z1,0,1,7,0.5,x,"), r"row 3: 9 cells"),
    # bytes that are not UTF-8, in any file
    ("latin-1", T1, K, raw(lambda b: b.replace(b'"relu"', b'"r\xe9lu"')), r"byte \d+ \(line 18\)"),
    (
        "byte-ff",
        T1,
        PC,
        raw(lambda b: b.replace(b"W2,0,0,1", b"W2,0,0,\xff1")),
        r"byte 111 \(line 11",
    ),
    ("utf-16", T1, DC, raw(lambda b: b.decode().encode("utf-16")), r"byte 0 \(line 1\): byte 0xff"),
    (
        "byte-80",
        T1,
        EC,
        raw(lambda b: b.replace(b"\n1,Z1,", b"\n1,Z1\x80,", 1)),
        r"byte 853 \(line 49",
    ),
    (
        "latin-1-source",
        T1,
        TC,
        raw(lambda b: b.replace(b"pass", b"pa\xdf", 1)),
        r"line 2\): byte 0xdf",
    ),
]


@pytest.mark.parametrize(
    ("case_id", "file", "edit", "message"),
    [f[1:] for f in FILES],
    ids=[f"{f[2]}/{f[0]}" for f in FILES],
)
def test_a_malformed_or_incomplete_file_is_named(tmp_path, case_id, file, edit, message):
    folder = copy_case(tmp_path, case_id)
    edit(folder / file)
    with pytest.raises(CaseFormatError) as info:
        load_case(folder)
    assert type(info.value) is CaseFormatError
    assert str(folder / file) in str(info.value) and re.search(message, str(info.value))


# -- what an editor may leave behind: accepted in every file ------------------------------------

BOM, CRLF = (lambda b: b"\xef\xbb\xbf" + b), (lambda b: b.replace(b"\n", b"\r\n"))


def assert_same_case(ours: Case, theirs: Case) -> None:
    assert ours.meta == theirs.meta
    if ours.params is not None:
        for a, b in zip(
            ours.params.arrays().values(), theirs.params.arrays().values(), strict=True
        ):
            np.testing.assert_array_equal(a, b)
    assert ours.data.keys() == theirs.data.keys()
    for name, A in ours.data.items():
        np.testing.assert_array_equal(A, theirs.data[name])
    for frame in ("expected", "transcribed"):
        if getattr(theirs, frame) is not None:
            pd.testing.assert_frame_equal(getattr(ours, frame), getattr(theirs, frame))


# One case of each kind and format (a perceptron, an init case, a network with transcribed
# figures, one with an optimizer and mini-batches); every case with --long.
CRLF_QUICK = {"T1-blog", "T2-init-2-2-1", "T4-perceptron-and", "S-mini-batch-partial"}


@pytest.mark.parametrize(
    "case_id",
    [
        pytest.param(name, marks=[] if name in CRLF_QUICK else [pytest.mark.long], id=name)
        for name in sorted(p.name for p in DATA.iterdir() if p.is_dir())
    ],
)
def test_crlf_and_a_byte_order_mark_are_accepted_in_every_file(tmp_path, case_id):
    folder = copy_case(tmp_path, case_id)
    for file in folder.iterdir():
        file.write_bytes(BOM(CRLF(file.read_bytes())))
    assert_same_case(load_case(folder), load_case(DATA / case_id))


@pytest.mark.parametrize("change", [BOM, CRLF], ids=["bom", "crlf"])
@pytest.mark.parametrize(
    "file", ["case.json", "params.csv", "data.csv", "expected.csv", "transcribed.csv"]
)
def test_crlf_or_a_byte_order_mark_alone_is_accepted(tmp_path, file, change):
    folder = copy_case(tmp_path, T1)
    raw(change)(folder / file)
    assert_same_case(load_case(folder), load_case(DATA / T1))


# Several problems in one file: the first tensor (in order of first appearance) with one is
# named, and within it a negative cell before a repeat before missing cells.
SEVERAL = [
    (["A,0,0", "A,0,0", "B,-1,0"], r"f, row 3: tensor 'A' repeats a cell"),
    (["A,1,0", "B,0,0", "B,0,0"], r"f: tensor 'A' of shape \(2, 1\) has 1 of 2 cells"),
    (["A,0,0", "B,0,0", "B,0,0", "A,0,0"], r"f, row 5: tensor 'A' repeats a cell"),
    (["A,0,0", "A,1,-1", "A,0,0"], r"f, row 3: negative row/col for tensor 'A'"),
    (["A,7944334226403768,0", "A,0,2321"], r"has 2 of 18446744073709551618 cells"),
]


@pytest.mark.parametrize(
    ("rows", "message"),
    SEVERAL,
    ids=[
        "a-repeat-before-a-later-tensors-negative",
        "missing-cells-before-a-later-tensors-repeat",
        "the-first-tensors-repeat-though-later-in-the-file",
        "negative-before-repeat-in-one-tensor",
        "a-shape-of-more-than-2**64-cells",
    ],
)
def test_of_several_problems_the_first_tensors_is_named(rows, message):
    cells = [r.split(",") for r in rows]
    frame = pd.DataFrame(
        {
            "tensor": [c[0] for c in cells],
            "row": [int(c[1]) for c in cells],
            "col": [int(c[2]) for c in cells],
            "value": 1.0,
        }
    )
    with pytest.raises(CaseFormatError, match=message):
        frame_to_arrays(Path("f"), frame)
