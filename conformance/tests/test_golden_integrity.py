"""The golden data's integrity: the checksum manifest over data/ (checked by the loader,
written by regenerate, the manifest command and write_case), and no case ever lost without a
word. Also the copies and mutations every golden bad-input test uses.

Every test works on a copy in tmp_path (data/ itself is never touched) and asserts the exception
type, the file it names, and for the manifest how to regenerate.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conformance.golden.cases import DATA, Case, load_all, load_case, write_case
from conformance.golden.manifest import MANIFEST, ManifestError, read_manifest, verify
from conformance.golden.manifest import write_manifest as bless
from conformance.golden.regenerate import main as regenerate
from conformance.golden.regenerate import manifest_main
from conformance.golden.tensors import CaseFormatError

Edit = Callable[[Path], None]
DROP = object()
"""As a value in `meta`: delete the key."""
REGENERATE = "python -m conformance.golden"


def copy_case(tmp_path: Path, case_id: str, manifest: bool = False) -> Path:
    """The case copied to tmp_path/data/<id>; with `manifest`, tmp_path/data gets one."""
    folder = Path(shutil.copytree(DATA / case_id, tmp_path / "data" / case_id))
    if manifest:
        bless(folder.parent)
    return folder


def meta(key: str, value: object) -> Edit:
    """case.json with `key` (dotted: "training.lr") set to `value`, or deleted for DROP."""

    def edit(file: Path) -> None:
        case = json.loads(file.read_text())
        *parents, last = key.split(".")
        obj = case
        for k in parents:
            obj = obj[k]
        if value is DROP:
            del obj[last]
        else:
            obj[last] = value
        file.write_text(json.dumps(case, indent=1))

    return edit


def sub(old: str, new: str) -> Edit:
    """The first `old` (a whole line when it ends in a newline) replaced by `new`."""

    def edit(file: Path) -> None:
        text = file.read_text()
        assert old in text, old
        file.write_text(text.replace(old, new, 1))

    return edit


def drop(pattern: str) -> Edit:
    """Every line after the header that matches the regex `pattern`, removed."""

    def edit(file: Path) -> None:
        header, *lines = file.read_text().splitlines()
        kept = [line for line in lines if not re.search(pattern, line)]
        assert len(kept) < len(lines), pattern
        file.write_text("\n".join([header, *kept]) + "\n")

    return edit


def add(*lines: str) -> Edit:
    return lambda file: file.write_text(file.read_text() + "".join(f"{x}\n" for x in lines))


def raw(change: Callable[[bytes], bytes]) -> Edit:
    return lambda file: file.write_bytes(change(file.read_bytes()))


def readme_case_ids(root: Path) -> list[str]:
    """The case ids listed in the first column of the table of cases in `root`/README.md."""
    table = (root / "README.md").read_text().split("| case |", 1)[1].split("\n\n", 1)[0]
    return [i for row in table.splitlines()[2:] for i in re.findall(r"`(.+?)`", row.split("|")[1])]


def check_no_case_lost(root: Path, cases: list[Case]) -> None:
    """The cases loaded are exactly the case folders, the folders of the manifest and the cases
    that README.md lists: a case cannot vanish, even with its manifest lines rewritten."""
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    listed = sorted({rel.split("/")[0] for rel in read_manifest(root) if "/" in rel})
    documented = sorted(readme_case_ids(root))
    assert [c.id for c in cases] == folders == listed == documented, (folders, documented)


# -- data/ itself ----------------------------------------------------------------------------


def test_the_golden_data_are_where_MLP_CONFORMANCE_DATA_says(tmp_path):
    # With test_golden_format's in-process checks, the quick form of the run of the whole suite
    # on a tampered copy (`--long`): a process started with the variable set reads its cases
    # from the folder it names (DATA is fixed when conformance.golden.cases is imported).
    env = {**os.environ, "MLP_CONFORMANCE_DATA": str(tmp_path / "copy")}
    code = "from conformance.golden.cases import DATA; print(DATA)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == str(tmp_path / "copy"), run.stderr


def test_data_matches_its_manifest_in_sha256sum_format():
    verify(DATA)
    lines = (DATA / MANIFEST).read_text().splitlines()
    assert lines == sorted(lines, key=lambda line: line[66:]) and "README.md" in lines[0]
    if shutil.which("sha256sum"):  # the format is sha256sum's: it checks data/ without Python
        run = subprocess.run(["sha256sum", "--check", "--quiet", MANIFEST], cwd=DATA)
        assert run.returncode == 0


def test_no_case_is_lost():
    check_no_case_lost(DATA, load_all())


@pytest.mark.parametrize("deletion", ["case.json", "expected-rows", "case-folder"])
def test_a_deleted_file_rows_or_case_fails_the_suite(tmp_path, deletion):
    # test_golden.py loads every case with load_all() when it is collected, and
    # test_no_case_is_lost holds them against the folders, the manifest and the README: a
    # deletion fails one of them, even when the manifest is rewritten to match it.
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    if deletion == "case.json":
        (data / "T1-blog" / "case.json").unlink()
        named, then = "missing: T1-blog/case.json", r"T1-blog/case.json: file missing; every fo"
    elif deletion == "expected-rows":
        drop("^9,W2_after,")(data / "T1-blog" / "expected.csv")
        named, then = "modified: T1-blog/expected.csv", r"step 9 lacks \['W2_after'\]"
    else:
        shutil.rmtree(data / "T4-softmax-ce")
        named, then = "missing: T4-softmax-ce/case.json", r"T4-softmax-ce"
    with pytest.raises(ManifestError, match=re.escape(named)) as info:
        load_all(data)
    assert f"{REGENERATE} regenerate --data {data}" in str(info.value)
    bless(data)
    with pytest.raises((CaseFormatError, AssertionError), match=then):
        check_no_case_lost(data, load_all(data))


# -- the manifest ----------------------------------------------------------------------------

T1 = "T1-blog"
MANIFEST_EDITS = [
    ("modified", "T1-blog/expected.csv", sub("0,Z1,0,0,6\n", "0,Z1,0,0,6.5\n"), "modified"),
    ("crlf", "T1-blog/params.csv", raw(lambda b: b.replace(b"\n", b"\r\n")), "modified"),
    ("missing", "T1-blog/transcribed.csv", lambda f: f.unlink(), "missing"),
    ("case-json-missing", "T1-blog/case.json", lambda f: f.unlink(), "missing"),
    ("extra", "T1-blog/notes.txt", lambda f: f.write_text("mine"), "extra"),
    ("extra-hidden", "T1-blog/.swp", lambda f: f.write_text(""), "extra"),
    ("extra-top-level", "answers.csv", lambda f: f.write_text("x"), "extra"),
    ("extra-case", "T9/case.json", lambda f: (f.parent.mkdir(), f.write_text("{}")), "extra"),
]
BAD_MANIFESTS = [
    ("missing", lambda f: f.unlink(), r"MANIFEST.sha256: file missing; .* manifest --data"),
    ("one-space", sub("  ", " "), r"MANIFEST.sha256, line 1: not '<sha256>  <path>'"),
    ("short-digest", raw(lambda b: b[1:]), r"MANIFEST.sha256, line 1: not '<sha256>  <path>'"),
    ("not-hex", raw(lambda b: b"g" + b[1:]), r"MANIFEST.sha256, line 1: not '<sha256>"),
    ("line-twice", raw(lambda b: b + b), r"MANIFEST.sha256, line 7: T1-blog/case.json is list"),
    ("empty", raw(lambda b: b""), r"extra: T1-blog/case.json; extra: T1-blog/case.txt; extra"),
    ("not-utf8", raw(lambda b: b"\xff" + b), r"MANIFEST.sha256, byte 0 \(line 1\): byte 0xff"),
]


@pytest.mark.parametrize(
    ("rel", "edit", "what"), [m[1:] for m in MANIFEST_EDITS], ids=[m[0] for m in MANIFEST_EDITS]
)
def test_a_changed_file_is_named_with_how_to_regenerate(tmp_path, rel, edit, what):
    root = copy_case(tmp_path, T1, manifest=True).parent
    edit(root / rel)
    loads = [load_all] + ([lambda root: load_case(root / T1)] if rel.startswith(f"{T1}/") else [])
    for load in loads:
        with pytest.raises(ManifestError) as info:
            load(root)
        message = str(info.value)
        assert f"{what}: {rel}" in message and f"{root / MANIFEST}" in message, message
        assert f"{REGENERATE} regenerate --data {root}" in message, message


@pytest.mark.parametrize(
    ("rel", "edit", "what"), [m[1:] for m in MANIFEST_EDITS], ids=[m[0] for m in MANIFEST_EDITS]
)
def test_a_change_after_a_load_is_seen_by_the_next_load(tmp_path, monkeypatch, rel, edit, what):
    # load_all keeps the cases of a folder and gives copies of them again while the contents
    # under it are the same: each edit made after the first load is found by the second.
    import conformance.golden.cases as cases

    root = copy_case(tmp_path, T1, manifest=True).parent
    reads, verified = read_counter(monkeypatch), []
    monkeypatch.setattr(cases, "verify", lambda *a: verified.append(a) or verify(*a))
    first = load_all(root)
    description = first[0].meta["description"]
    first[0].meta["description"] = "changed by a caller"  # a copy: no later load sees it
    again = load_all(root)
    assert (len(reads), len(verified)) == (1, 1), (reads, verified)  # kept: read once
    assert again[0] is not first[0] and again[0].meta["description"] == description
    (link := tmp_path / "link").symlink_to(root)
    assert [c.path for c in load_all(link)] == [link / T1] and len(verified) == 1
    edit(root / rel)
    with pytest.raises(ManifestError, match=f"{what}: {re.escape(rel)}"):
        load_all(root)


def read_counter(monkeypatch) -> list:
    """Each time a case folder is parsed (`cases._read_case`), an entry."""
    import conformance.golden.cases as cases

    reads: list = []
    real = cases._read_case
    monkeypatch.setattr(cases, "_read_case", lambda *args: reads.append(args) or real(*args))
    return reads


CASE_EDITS = [m for m in MANIFEST_EDITS if m[1].startswith(f"{T1}/")] + [
    ("manifest-line", MANIFEST, sub("T1-blog/case.txt", "T1-blog/case.tx"), "missing"),
]


@pytest.mark.parametrize(
    ("rel", "edit", "what"), [m[1:] for m in CASE_EDITS], ids=[m[0] for m in CASE_EDITS]
)
def test_a_change_after_a_load_case_is_seen_by_the_next(tmp_path, monkeypatch, rel, edit, what):
    # load_case keeps a case checked against its manifest, and gives a copy of it while the
    # folder's and the manifest's contents are the same: each edit of either made after the
    # first load is found by the second.
    folder = copy_case(tmp_path, T1, manifest=True)
    reads = read_counter(monkeypatch)
    first = load_case(folder)
    value = first.expected.loc[0, "value"]
    first.expected.loc[0, "value"] = 99.0  # a copy: changing it changes no later load
    again = load_case(folder)
    assert len(reads) == 1 and again is not first and again.expected.loc[0, "value"] == value
    again.expected.loc[0, "value"] = 98.0
    assert load_case(folder).expected.loc[0, "value"] == value
    edit(folder.parent / rel)
    with pytest.raises(ManifestError, match=f"{what}: {re.escape(T1)}/"):
        load_case(folder)


def test_a_kept_case_is_read_once_and_only_for_the_same_checks(tmp_path, monkeypatch):
    # A folder is parsed once for the same checks; a load with more checks than the kept one
    # parses it again, and so finds the stale case.txt the first load did not read.
    folder = copy_case(tmp_path, T1)
    with (folder / "case.txt").open("a") as text:
        text.write("extra=1\n")
    reads = read_counter(monkeypatch)
    load_case(folder, check_text=False)
    load_case(folder, check_text=False)
    assert len(reads) == 1, reads
    with pytest.raises(CaseFormatError, match=re.escape("case.txt")):
        load_case(folder)


def test_a_kept_case_follows_its_contents_not_its_times_or_its_path(tmp_path, monkeypatch):
    # An edit that keeps the file's size and times (put back with utime), and an edit of the
    # file a link leads to, are each found; a touch alone changes nothing; the case comes back
    # with the path it was asked for.
    folder = copy_case(tmp_path, T1)
    params = folder / "params.csv"
    (tmp_path / "elsewhere.csv").write_bytes(params.read_bytes())
    params.unlink()
    params.symlink_to(tmp_path / "elsewhere.csv")
    reads = read_counter(monkeypatch)
    first = load_case(folder)
    os.utime(folder / "expected.csv")
    assert load_case(folder).expected.equals(first.expected) and len(reads) == 1
    expected = folder / "expected.csv"
    times = expected.stat()
    text = expected.read_text()
    expected.write_text(text.replace("0,Z1,0,0,6\n", "0,Z1,0,0,7\n", 1))
    os.utime(expected, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert load_case(folder).expected["value"].iloc[0] == 7.0 and len(reads) == 2
    target = (tmp_path / "elsewhere.csv").read_text()
    (tmp_path / "elsewhere.csv").write_text(target.replace("W1,0,0,1\n", "W1,0,0,11\n", 1))
    assert not np.array_equal(load_case(folder).params.W[0], first.params.W[0])
    (link := folder.parent / "link").symlink_to(folder)  # (beside it: the same manifest)
    assert load_case(link).path == link and len(reads) == 3


def test_a_case_is_checked_against_its_own_manifest_lines_only(tmp_path):
    # Another case of the same data folder changed: this one still loads, and a case without
    # transcribed figures has none (None, not an empty table).
    root = copy_case(tmp_path, T1, manifest=True).parent
    shutil.copytree(DATA / "S-t2-square", root / "S-t2-square")
    bless(root)
    (root / T1 / "transcribed.csv").write_text("changed\n")
    case = load_case(root / "S-t2-square")
    assert case.id == "S-t2-square" and case.transcribed is None
    with pytest.raises(ManifestError, match=re.escape(f"modified: {T1}/transcribed.csv")):
        load_case(root / T1)


@pytest.mark.parametrize(
    ("edit", "message"), [m[1:] for m in BAD_MANIFESTS], ids=[m[0] for m in BAD_MANIFESTS]
)
def test_a_bad_manifest_is_named(tmp_path, edit, message):
    root = copy_case(tmp_path, T1, manifest=True).parent
    edit(root / MANIFEST)
    with pytest.raises(ManifestError, match=message):
        load_all(root)


def test_a_case_alone_needs_no_manifest_but_a_data_folder_does(tmp_path):
    folder = copy_case(tmp_path, T1)
    assert load_case(folder).id == T1  # a case folder anywhere (mlp-conformance run DIR)
    with pytest.raises(
        ManifestError, match=re.escape(f"{REGENERATE} manifest --data {folder.parent}`")
    ):
        load_all(folder.parent)  # --data DIR, MLP_CONFORMANCE_DATA


def test_write_case_rewrites_the_case_lines_and_drops_stale_results(tmp_path):
    case = load_case(DATA / T1)
    folder = copy_case(tmp_path, T1, manifest=True)
    (folder.parent / "README.md").write_text("unrelated, unblessed edit\n")
    write_case(folder, case.meta | {"description": "moved"}, case.params, case.data)
    assert not (folder / "expected.csv").exists() and not (folder / "transcribed.csv").exists()
    verify(folder.parent, T1)  # the case's own lines are rewritten ...
    with pytest.raises(ManifestError, match=re.escape("extra: README.md")):
        verify(folder.parent)  # ... and no other line


# -- regeneration ------------------------------------------------------------------------------


def test_regenerate_leaves_unchanged_values_alone(tmp_path, capsys):
    data = copy_case(tmp_path, "T1-blog").parent
    before = (data / "T1-blog" / "expected.csv").read_bytes()
    assert regenerate(["--data", str(data)]) == 0
    assert "T1-blog: unchanged (470 values)" in capsys.readouterr().out
    assert (data / "T1-blog" / "expected.csv").read_bytes() == before


def test_regenerate_refuses_to_change_a_value_and_says_what_would_change(tmp_path, capsys):
    path = copy_case(tmp_path, "T1-blog", manifest=True)
    data = path.parent
    sub("0,Z1,0,0,6\n", "0,Z1,0,0,6.5\n")(path / "expected.csv")
    tampered = (path / "expected.csv").read_bytes()
    assert regenerate(["--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "T1-blog step 0 Z1[0,0]: 6.5 -> 6 (abs 5.000e-01)" in out
    assert "refusing to change existing values" in out
    assert (path / "expected.csv").read_bytes() == tampered
    with pytest.raises(ManifestError, match=re.escape("modified: T1-blog/expected.csv")):
        verify(data)  # a refused case keeps its manifest lines
    assert regenerate(["--data", str(data), "--force"]) == 0
    assert (path / "expected.csv").read_text().splitlines()[1] == "0,Z1,0,0,6"
    verify(data)  # back to the values the manifest was written for


def test_regenerate_writes_a_missing_file(tmp_path, capsys):
    path = copy_case(tmp_path, "T4-softmax-ce")
    data = path.parent
    original = (path / "expected.csv").read_bytes()
    (path / "expected.csv").unlink()
    assert regenerate(["--data", str(data), "--dry-run"]) == 0
    assert not (path / "expected.csv").exists()
    assert regenerate(["--data", str(data)]) == 0
    assert (path / "expected.csv").read_bytes() == original
    assert "confirmed by reference" in capsys.readouterr().out
    verify(data)  # a folder without a manifest gets one once every case is done


def test_regenerate_after_a_deliberate_edit_rewrites_the_case_lines(tmp_path, capsys):
    path = copy_case(tmp_path, "T4-softmax-ce", manifest=True)
    meta("training.lr", 0.25)(path / "case.json")
    assert regenerate(["--data", str(path.parent), "--force"]) == 0
    out = capsys.readouterr().out
    assert "MANIFEST.sha256: line rewritten for T4-softmax-ce/case.json" in out
    assert "MANIFEST.sha256: line rewritten for T4-softmax-ce/expected.csv" in out
    verify(path.parent)


def test_manifest_command_rewrites_the_manifest_after_a_deliberate_edit(tmp_path, capsys):
    data = copy_case(tmp_path, "T1-blog", manifest=True).parent
    (data / "README.md").write_text("a deliberate edit\n")
    assert manifest_main(["--data", str(data), "--check"]) == 1
    assert "extra: README.md" in capsys.readouterr().err
    assert manifest_main(["--data", str(data)]) == 0
    assert manifest_main(["--data", str(data), "--check"]) == 0
    # It writes nothing while a case does not load: it never blesses bad data.
    drop(".")(data / "T1-blog" / "expected.csv")  # every row deleted
    before = (data / "MANIFEST.sha256").read_bytes()
    assert manifest_main(["--data", str(data)]) == 1
    assert "expected.csv: holds no values" in capsys.readouterr().err
    assert (data / "MANIFEST.sha256").read_bytes() == before


# -- found by review -----------------------------------------------------------------------------
def test_a_case_folder_that_is_a_link_is_named_not_followed(tmp_path):
    # A linked case folder was not hashed (no manifest line could catch its changes), and its
    # bad values were then blamed on a correct port.
    root = copy_case(tmp_path, "T1-blog", manifest=True).parent
    shutil.copytree(root / "T1-blog", tmp_path / "elsewhere")
    (root / "T9-linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ManifestError, match=r"extra: T9-linked") as caught:
        verify(root)
    assert "regenerate" in str(caught.value)
    with pytest.raises(ManifestError, match=r"only regular files .* T9-linked <symbolic link"):
        bless(root)


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        pytest.param(
            "case.json", "[" * 100_000, "nested too deeply", id="case.json/nested-100000-deep"
        ),
        pytest.param(
            "transcribed.csv",
            "0e1000001,5E+1000000",
            r"row 2, column 'printed' or 'tolerance': not a finite decimal number",
            id="transcribed.csv/decimal-overflow",
        ),
        pytest.param(
            "transcribed.csv",
            "0e999999,5E+999998",
            r"row 2, column 'tolerance': 5E\+999998 is not a finite positive number",
            id="transcribed.csv/tolerance-overflows-float",
        ),
    ],
)
def test_an_extreme_golden_file_is_a_clean_error(tmp_path, file, text, message):
    path = copy_case(tmp_path, "T1-blog")
    target = path / file
    if file == "case.json":
        target.write_text(text)
    else:
        lines = target.read_text().splitlines(keepends=True)
        fields = lines[1].split(",")
        new = text.split(",")
        fields[5:7] = new  # printed, tolerance
        lines[1] = ",".join(fields)
        target.write_text("".join(lines))
    with pytest.raises(CaseFormatError, match=message) as caught:
        load_case(path)
    assert str(target) in str(caught.value)
