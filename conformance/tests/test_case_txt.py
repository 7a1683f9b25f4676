"""case.txt, case.json flattened into key=value lines (data/README.md, "case.txt"): every golden
case has one that reads back as its case.json with the defaults filled in; one that is stale,
edited by hand or missing is a `CaseFormatError` naming the file and the command that rewrites
it, and that command rewrites it; every writer of cases writes it; and a port finds it in
`MLP_CASE_DIR`.

Every test that edits works on a copy in tmp_path; data/ itself is never touched.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from conformance.golden.cases import DATA, Case, case_dirs, load_case, write_case
from conformance.golden.flat import CASE_TXT, HEADER, case_text, read_case_text
from conformance.golden.manifest import ManifestError
from conformance.golden.regenerate import main as regenerate
from conformance.golden.regenerate import manifest_main
from conformance.golden.schema import read_meta, with_defaults
from conformance.golden.tensors import CaseFormatError
from conformance.ports import scratch_port
from conformance.ports.fuzz import fuzz
from conformance.ports.runner import PORT_FILES, port_folders, run_solver
from conformance.tests.inputs import golden_cases
from conformance.tests.test_golden_integrity import copy_case, meta, raw, sub

T1 = "T1-blog"
IDS = [path.name for path in case_dirs(DATA)]


@pytest.mark.parametrize("case_id", IDS)
def test_case_txt_round_trips(case_id):
    folder = DATA / case_id
    case = read_meta(folder)
    file = folder / CASE_TXT
    # It is exactly what case.json gives, and reads back as case.json with every default filled.
    assert file.read_text() == case_text(case)
    assert read_case_text(file) == with_defaults(case)
    # Filling the defaults changes no value case.json gives.
    full = with_defaults(case)
    for key, value in case.items():
        if isinstance(value, dict):
            assert value.items() <= full[key].items(), key
        else:
            assert full[key] == value, key


def test_case_txt_writes_every_optional_key_at_its_default():
    # T1's case.json leaves freeze_biases, query and init out; its case.txt writes all three.
    lines = (DATA / T1 / CASE_TXT).read_text().splitlines()
    assert lines[0] == HEADER
    assert {"training.freeze_biases=0", "query=0", "init.recipe=none"} <= set(lines)
    assert "network.bias=1" in lines and "training.lr=0.01" in lines
    assert "network.sizes=2 3 1" in lines and "record.every_step=cost A2" in lines


def test_text_with_escapes_round_trips(tmp_path):
    # Whatever case.json allows in a text survives case.txt on one line per key.
    case = read_meta(DATA / T1)
    text = "a\\b = c\nd\te\x7f é \ud800 end "
    folder = write_case(tmp_path / T1, {**case, "description": text})
    lines = (folder / CASE_TXT).read_text().splitlines()
    assert len(lines) == len((DATA / T1 / CASE_TXT).read_text().splitlines())
    assert r"description=a\\b = c\x0ad\x09e\x7f é \ud800 end " in lines
    assert read_case_text(folder / CASE_TXT)["description"] == text


# (id, edit of T1-blog's case.txt or case.json, the line the message names)
STALE = [
    ("value-edited", sub("training.lr=0.01\n", "training.lr=0.02\n"), 14),
    ("line-removed", sub("query=0\n", ""), 21),
    ("line-added", sub("init.recipe=none\n", "init.recipe=none\nnotes=mine\n"), 23),
    ("header-removed", sub(f"{HEADER}\n", ""), 1),
    ("no-final-line-end", raw(lambda b: b[:-1]), 22),
    ("case-json-edited", None, 14),
]


@pytest.mark.parametrize(("edit", "line"), [s[1:] for s in STALE], ids=[s[0] for s in STALE])
def test_a_stale_case_txt_is_rejected_naming_the_file(tmp_path, capsys, edit, line):
    folder = copy_case(tmp_path, T1)
    if edit is None:
        meta("training.lr", 0.02)(folder / "case.json")  # case.txt no longer matches it
    else:
        edit(folder / CASE_TXT)
    with pytest.raises(CaseFormatError) as caught:
        load_case(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / CASE_TXT}, line {line}: "), message
    assert "(stale or edited by hand)" in message
    assert f"python -m conformance.golden regenerate --case {T1} --data {folder.parent}`" in message
    # The command the message gives rewrites it, and the case loads again.
    assert regenerate(["--case", T1, "--data", str(folder.parent), "--force"]) == 0
    assert f"{T1}: wrote {folder / CASE_TXT} from case.json" in capsys.readouterr().out
    assert (folder / CASE_TXT).read_text() == case_text(read_meta(folder))
    load_case(folder)


def test_a_missing_case_txt_is_named_and_regenerate_writes_it(tmp_path, capsys):
    # An old case folder (a fuzz case saved before case.txt) loads only once it is written.
    folder = copy_case(tmp_path, T1)
    (folder / CASE_TXT).unlink()
    with pytest.raises(CaseFormatError, match=re.escape(f"{folder / CASE_TXT}: file missing; ")):
        load_case(folder)
    assert regenerate(["--data", str(folder.parent), "--dry-run"]) == 0
    assert (
        f"{T1}: would write {folder / CASE_TXT} from case.json (dry run)" in capsys.readouterr().out
    )
    assert not (folder / CASE_TXT).exists()
    assert regenerate(["--data", str(folder.parent)]) == 0
    assert (folder / CASE_TXT).read_bytes() == (DATA / T1 / CASE_TXT).read_bytes()
    load_case(folder)


def test_in_a_data_folder_the_manifest_names_an_edited_case_txt_and_cannot_bless_it(
    tmp_path, capsys
):
    folder = copy_case(tmp_path, T1, manifest=True)
    sub("steps=10\n", "steps=11\n")(folder / CASE_TXT)
    with pytest.raises(ManifestError, match=f"modified: {T1}/case.txt"):
        load_case(folder)
    assert manifest_main(["--data", str(folder.parent)]) == 1
    assert f"{folder / CASE_TXT}, line 15: 'training.steps=11'" in capsys.readouterr().err


def test_a_case_txt_with_crlf_and_a_byte_order_mark_is_read_as_the_plain_file(tmp_path):
    folder = copy_case(tmp_path, T1)
    raw(lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"))(folder / CASE_TXT)
    load_case(folder)


def test_every_writer_of_cases_writes_case_txt(tmp_path):
    # write_case (mlp-conformance train, the fuzz's cases and its --save) writes both together.
    case: Case = next(c for c in golden_cases() if c.id == T1)
    folder = write_case(tmp_path / "mine", {**case.meta, "id": "mine"}, case.params, case.data)
    assert (folder / CASE_TXT).read_text() == case_text(read_meta(folder))
    assert load_case(folder).meta["id"] == "mine"


@pytest.mark.parametrize("case_id", [T1, "T4-perceptron-and", "T2-init-2-3-1"])
def test_the_port_finds_case_txt_in_MLP_CASE_DIR(case_id):
    case = next(c for c in golden_cases() if c.id == case_id)
    with port_folders(case) as (case_dir, _):
        names = sorted(p.name for p in case_dir.iterdir())
        assert CASE_TXT in names and set(names) <= set(PORT_FILES), names
        assert (case_dir / CASE_TXT).read_bytes() == (case.path / CASE_TXT).read_bytes()


def test_a_generated_case_gives_the_port_its_case_txt():
    seen: list[str] = []

    def answer(case: Case):
        with port_folders(case) as (case_dir, _):
            text = (case_dir / CASE_TXT).read_text()
        assert text == case_text(case.meta)
        seen.append(text)
        return run_solver(scratch_port.solve, case)

    assert fuzz(answer, examples=2, out=io.StringIO()) == 0
    assert len(seen) == 2


def test_a_case_txt_line_of_no_key_is_named(tmp_path):
    file = tmp_path / CASE_TXT
    file.write_text(case_text(read_meta(DATA / T1)) + "training.rate=1\n")
    with pytest.raises(CaseFormatError, match=rf"{CASE_TXT}, line 23: not a key=value line"):
        read_case_text(Path(file))
