"""case.json checked value by value, not only its keys and types: every size, name, rate,
seed and step in range, and what it promises kept by the case's other files (issue 11).

Every bad input is a copy of one case folder in tmp_path whose case.json has one key changed or
deleted; each test asserts `CaseFormatError` and a message naming the file and the key.
"""

from __future__ import annotations

import re

import pytest

from conformance.golden.cases import load_case
from conformance.golden.tensors import CaseFormatError
from conformance.tests.test_golden_integrity import DROP, copy_case, meta, raw, sub

T1, SM, PA, INIT = "T1-blog", "T4-softmax-ce", "T4-perceptron-and", "T2-init-2-2-1"
T2, T3, T4 = "T2-erratum-2-3-2", "T3-deck-3-4-2", "T4-sigmoid-1000"
NAN, INF = float("nan"), float("inf")
# (id, case, key, value, message): the message also names case.json and the key
META = [
    ("sizes-zero", T1, "network.sizes", [2, 0, 1], r"sizes\[1\]': must be an integer >= 1, got 0"),
    ("sizes-negative", T1, "network.sizes", [2, -3, 1], r"sizes\[1\]': .* got -3"),
    ("sizes-fraction", T1, "network.sizes", [2, 3.5, 1], r"sizes\[1\]': .* got 3.5"),
    ("sizes-bool", T1, "network.sizes", [True, 3, 1], r"sizes\[0\]': .* got True"),
    ("sizes-one", T1, "network.sizes", [2], r"sizes': needs at least 2 entries, got \[2\]"),
    ("sizes-text", T1, "network.sizes", "2-3-1", r"sizes': must be list, got '2-3-1'"),
    ("activations-count", T1, "network.activations", ["relu"], r"needs one name per layer: 2"),
    ("activation-unknown", T1, "network.activations", ["relu", "gelu"], r"\[1\]'.* got 'gelu'"),
    ("activation-number", T1, "network.activations", [1, "identity"], r"\[0\]': must be one of"),
    ("loss-unknown", T1, "network.loss", "hinge", r"loss': must be one of \['mse', 'cross_entr"),
    ("reduction-unknown", T1, "network.reduction", "mean", r"reduction': .* got 'mean'"),
    ("ce-reduction", SM, "network.reduction", "element_mean", r"\['sample_mean', 'sum'\], got"),
    ("ce-without-softmax", T1, "network.loss", "cross_entropy", r"network': .*softmax"),
    ("bias-text", T1, "network.bias", "yes", r"bias': must be bool, got 'yes'"),
    ("softmax-of-one-unit", T1, "network.activations", ["relu", "softmax"], r"network': .*softm"),
    ("lr-zero", T1, "training.lr", 0, r"lr': must be a finite number > 0, got 0"),
    ("lr-negative", T1, "training.lr", -0.01, r"lr': must be a finite number > 0, got -0.01"),
    ("lr-nan", T1, "training.lr", NAN, r"lr': must be a finite number > 0, got nan"),
    ("lr-infinity", T1, "training.lr", INF, r"lr': must be a finite number > 0, got inf"),
    ("lr-huge-int", T1, "training.lr", 10**400, r"lr': must be a finite number > 0, got 1000"),
    ("lr-bool", T1, "training.lr", True, r"lr': must be int or float, got True"),
    ("lr-text", T1, "training.lr", "0.01", r"lr': must be int or float, got '0.01'"),
    ("steps-zero", T1, "training.steps", 0, r"steps': must be in 1..1000000, got 0"),
    ("steps-negative", T1, "training.steps", -1, r"steps': must be in 1..1000000, got -1"),
    ("steps-huge", T1, "training.steps", 10**30, r"steps': must be in 1..1000000, got 1000"),
    ("activation-list", T1, "network.activations", [["relu"], "identity"], r"\[0\]': must be one"),
    ("steps-float", T1, "training.steps", 10.0, r"steps': must be int, got 10.0"),
    ("objective-unknown", T1, "training.objective", "loss", r"objective'.* got 'loss'"),
    ("maximize-text", T1, "training.maximize", "no", r"maximize': must be bool, got 'no'"),
    ("freeze-int", T1, "training.freeze_biases", 1, r"freeze_biases': must be bool, got 1"),
    ("training-typo", T1, "training.lr_", 0.1, r"lr_': unknown key \(misspelled\?\)"),
    ("every-step-unknown", T1, "record.every_step", ["cost", "A3"], r"\[1\]': .* got 'A3'"),
    ("every-step-twice", T1, "record.every_step", ["cost", "cost"], r"\[1\]': repeats an earl"),
    ("every-step-aprime-softmax", SM, "record.every_step", ["aprime1"], r"\[0\]'.* 'aprime1'"),
    ("every-step-db-no-bias", T4, "record.every_step", ["cost", "db1"], r"\[1\]'.* got 'db1'"),
    ("full-steps-twice", T1, "record.full_steps", [0, 0], r"\[1\]': repeats an earlier entry"),
    ("full-steps-negative", T1, "record.full_steps", [-1], r"\[0\]': must be a step in 0..9"),
    ("full-steps-text", T1, "record.full_steps", ["0"], r"\[0\]': must be a step .* got '0'"),
    ("full-steps-missing", T1, "record.full_steps", DROP, r"full_steps': missing \(it is req"),
    ("record-missing", T1, "record", DROP, r"record': missing \(it is required\)"),
    ("seed-negative", INIT, "init.seed", -1, r"seed': must be a non-negative integer, got -1"),
    ("seed-fraction", INIT, "init.seed", 1.5, r"seed': must be int, got 1.5"),
    ("seed-bool", INIT, "init.seed", True, r"seed': must be int, got True"),
    ("seed-missing", INIT, "init.seed", DROP, r"seed': missing"),
    ("init-sizes-zero", INIT, "init.sizes", [2, 0, 1], r"sizes\[1\]'.* got 0"),
    ("init-recipe-unknown", INIT, "init.recipe", "xavier", r"recipe'.* got 'xavier'"),
    ("init-sizes-not-network", T2, "init.sizes", [2, 3, 3], r"must equal network.sizes \[2, 3"),
    ("layout-unknown", T1, "layout", "t4", r"layout': must be one of \['t1', 't2', 't3'\]"),
    ("layout-of-init", INIT, "layout", DROP, r"layout': missing"),
    ("kind-unknown", T1, "kind", "mlp", r"kind': must be one of \['network', 'perceptron'"),
    ("id-not-folder", T1, "id", "T1", r"id': must equal the folder name 'T1-blog', got 'T1'"),
    ("description-missing", T1, "description", DROP, r"description': missing"),
    ("description-blank", T1, "description", " ", r"description': must not be empty"),
    ("source-file-empty", T1, "source.file", "", r"file': must not be empty"),
    ("source-text", T1, "source", "T1", r"source': must be dict, got 'T1'"),
    ("top-level-typo", T1, "trainig", {}, r"trainig': unknown key"),
    ("query-text", T1, "query", "yes", r"query': must be bool, got 'yes'"),
    ("eta-zero", PA, "perceptron.eta", 0, r"eta': must be a finite number > 0, got 0"),
    ("eta-negative", PA, "perceptron.eta", -1, r"eta': must be a finite number > 0, got -1"),
    ("eta-nan", PA, "perceptron.eta", NAN, r"eta': must be a finite number > 0, got nan"),
    ("max-epochs-zero", PA, "perceptron.max_epochs", 0, r"max_epochs': must be >= 1, got 0"),
    ("w0-empty", PA, "perceptron.w0", [], r"w0': needs one weight per input"),
    ("w0-nan", PA, "perceptron.w0", [NAN, 0.0], r"w0\[0\]': must be a finite number, got nan"),
    ("w0-text", PA, "perceptron.w0", [0.0, "0"], r"w0\[1\]': must be a finite number, got '0'"),
    ("b0-infinity", PA, "perceptron.b0", -INF, r"b0': must be a finite number, got -inf"),
    ("b0-text", PA, "perceptron.b0", "0", r"b0': must be int or float, got '0'"),
]
# (id, case, key, value, file, message): a case.json whose keys contradict each other or its
# other files: the message names that file
CROSS = [
    ("steps-more", T1, "training.steps", 20, "expected.csv", r"step 10 lacks \['cost', 'A2'\]"),
    ("steps-fewer", T1, "training.steps", 5, "case.json", r"full_steps\[5\]': must be a step in"),
    ("every-step-more", T3, "record.every_step", ["cost", "A2", "Z1"], "expected.csv", r"step 3"),
    ("full-step-less", T3, "record.full_steps", [0, 1, 2, 59], "expected.csv", r"step 29 holds"),
    ("max-epochs-less", PA, "perceptron.max_epochs", 2, "expected.csv", r"row 108, column 'st"),
    ("w0-shorter", PA, "perceptron.w0", [0.0], "data.csv", r"row 2: tensor 'X' has shape \(4, 2"),
    ("w0-longer", PA, "perceptron.w0", [0, 0, 0], "data.csv", r"w0 of length 3 .* needs \(4, 3"),
    ("init-sizes", INIT, "init.sizes", [2, 2, 2], "expected.csv", r"row 8: step 0 tensor 'W2'"),
    ("layout-t2", T1, "layout", "t2", "params.csv", r"row 2: tensor 'W1' has shape \(3, 2\)"),
    ("layout-t3", T1, "layout", "t3", "params.csv", r"layout t3 with sizes .* needs \(2, 3\)"),
    ("no-bias", T1, "network.bias", False, "params.csv", r"row 8, column 'tensor': tensor 'b1'"),
    ("sizes-wider", T1, "network.sizes", [2, 4, 1], "params.csv", r"row 2: .* needs \(4, 2\)"),
    ("query-no-Xq", T1, "query", True, "data.csv", r"tensor\(s\) \['Xq'\] missing"),
]


@pytest.mark.parametrize(
    ("case_id", "key", "value", "message"), [m[1:] for m in META], ids=[m[0] for m in META]
)
def test_a_bad_case_json_value_is_named(tmp_path, case_id, key, value, message):
    folder = copy_case(tmp_path, case_id)
    meta(key, value)(folder / "case.json")
    with pytest.raises(CaseFormatError) as info:
        load_case(folder)
    text = str(info.value)
    assert f"{folder / 'case.json'}, key '{key.split('.')[0]}" in text, text
    assert re.search(message, text), text


@pytest.mark.parametrize(
    ("case_id", "key", "value", "file", "message"),
    [c[1:] for c in CROSS],
    ids=[c[0] for c in CROSS],
)
def test_a_case_json_its_files_contradict_is_named(tmp_path, case_id, key, value, file, message):
    folder = copy_case(tmp_path, case_id)
    meta(key, value)(folder / "case.json")
    with pytest.raises(CaseFormatError) as info:
        load_case(folder)
    assert f"{folder / file}" in str(info.value) and re.search(message, str(info.value))


# (id, edit, message): case.json as text; the message also names the file
TEXT = [
    ("kind-misspelled", sub('"kind"', '"knid"'), r"key 'kind': must be one of"),
    ("loss-misspelled", sub('"loss"', '"loss_fn"'), r"key 'network.loss': missing"),
    ("full-steps-misspelled", sub('"full_steps"', '"full_step"'), r"'record.full_steps'"),
    ("lr-1e999", sub('"lr": 0.01', '"lr": 1e999'), r"key 'training.lr': .* got inf"),
    ("key-twice", sub('"lr": 0.01,', '"lr": 0.01, "lr": 0.5,'), r"\['lr'\] appear more"),
    ("trailing-comma", sub('"maximize": false', '"maximize": false,'), r"line 30, column 3"),
    ("not-json", sub("{", "["), r"case.json, line 2, column 7: Expecting"),
    ("array", raw(lambda b: b"[" + b + b"]"), r"case.json: must hold a JSON object"),
    ("empty", raw(lambda b: b""), r"case.json, line 1, column 1: Expecting value"),
    ("missing", lambda f: f.unlink(), r"case.json: file missing"),
]


@pytest.mark.parametrize(("edit", "message"), [t[1:] for t in TEXT], ids=[t[0] for t in TEXT])
def test_a_malformed_case_json_is_named(tmp_path, edit, message):
    folder = copy_case(tmp_path, T1)
    edit(folder / "case.json")
    with pytest.raises(CaseFormatError) as info:
        load_case(folder)
    assert str(folder / "case.json") in str(info.value) and re.search(message, str(info.value))
