"""What a stranger writes a port from is what the code does: the complete requests in
conformance/PORTS.md are what the runner sends, the case.txt example and its table of keys in
data/README.md are what `golden.flat` writes and what the schema holds, and PORTS.md's C reader
compiles and reads every golden case's case.txt from `MLP_CASE_DIR` (skipped, with the reason,
where no `cc` is installed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.golden.cases import DATA, Case, write_case
from conformance.golden.flat import CASE_TXT, flat_value
from conformance.golden.schema import KINDS, keys_of, read_meta, subkeys_of, with_defaults
from conformance.ports.request import build_request
from conformance.ports.runner import run_command
from conformance.tests.inputs import golden_cases

REPO = Path(__file__).resolve().parents[2]
PORTS_MD = REPO / "conformance" / "PORTS.md"
DATA_README = DATA / "README.md"
CASES = {case.id: case for case in golden_cases()}


def block_after(text: str, marker: str) -> str:
    """The fenced code block that follows the line `marker` in a Markdown text, without its
    fences."""
    start = text.index(marker + "\n") + len(marker) + 1
    match = re.match(r"```\w*\n(.*?)\n```\n", text[start:], re.S)
    assert match, f"no code block right after {marker!r}"
    return match.group(1)


def generated_blocks(file: Path, what: str) -> dict[str, str]:
    """{case id: block} for every `<!-- generated: WHAT ID -->` block of `file`."""
    text = file.read_text()
    ids = re.findall(rf"^<!-- generated: {what} (\S+) -->$", text, re.M)
    return {case_id: block_after(text, f"<!-- generated: {what} {case_id} -->") for case_id in ids}


def test_the_complete_requests_in_PORTS_md_are_what_the_runner_sends():
    blocks = generated_blocks(PORTS_MD, "request")
    assert {CASES[case_id].kind for case_id in blocks} == set(KINDS), sorted(blocks)
    for case_id, block in blocks.items():
        sent = json.loads(json.dumps(build_request(CASES[case_id])))  # as the runner sends it
        assert json.loads(block) == sent, case_id


def test_the_case_txt_in_data_README_is_the_file():
    blocks = generated_blocks(DATA_README, "case.txt")
    assert blocks, "no case.txt example"
    for case_id, block in blocks.items():
        assert block + "\n" == (DATA / case_id / CASE_TXT).read_text(), case_id


def test_the_case_txt_keys_table_in_data_README_is_the_schema():
    text = DATA_README.read_text().split("<!-- case.txt keys", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| `")]
    table = {cells[0].strip("| `"): cells[3] for cells in rows}  # key: its default cell
    keys, defaults = set(), {}
    for kind in KINDS:
        for name, key in keys_of(kind).items():
            subkeys = subkeys_of(name) if key.type is dict else {}
            keys |= {f"{name}.{sub}" for sub in subkeys} or {name}
            for sub, subkey in subkeys.items():
                if not subkey.required:
                    defaults[f"{name}.{sub}"] = flat_value(subkey.default)
            if not key.required:  # a section's default: the keys it writes
                value = key.default if isinstance(key.default, dict) else {"": key.default}
                for sub, v in value.items():
                    defaults[f"{name}.{sub}".rstrip(".")] = flat_value(v)
    assert set(table) == keys
    for dotted, cell in table.items():
        if dotted in defaults:
            assert f"`{defaults[dotted]}`" in cell, (dotted, cell)
        else:
            assert cell.startswith("required"), (dotted, cell)


# -- PORTS.md's C reader ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def c_reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PORTS.md's C reader, compiled with `cc` (the test skips where there is none)."""
    cc = shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler: `cc` is not on PATH, so PORTS.md's C reader cannot be built")
    folder = tmp_path_factory.mktemp("c-reader")
    source = folder / "read_case.c"
    marker = "<!-- C reader: compiled and run by conformance/tests/test_port_docs.py -->"
    source.write_text(block_after(PORTS_MD.read_text(), marker) + "\n")
    binary = folder / "read_case"
    built = subprocess.run(
        [cc, "-std=c99", "-Wall", "-o", str(binary), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return binary


def summary(meta: dict) -> str:
    """What the C reader prints for a network or perceptron case: what it read, as Python
    reads case.json (defaults filled in), numbers as C's %.17g."""
    m = with_defaults(meta)
    if m["kind"] == "perceptron":
        p = m["perceptron"]
        w0 = ",".join(f"{w:.17g}" for w in p["w0"])
        return (
            f"{m['id']} perceptron eta={p['eta']:.17g} max_epochs={p['max_epochs']} "
            f"b0={p['b0']:.17g} w0={w0}"
        )
    net, t = m["network"], m["training"]
    return (
        f"{m['id']} network {m['layout']} sizes={','.join(map(str, net['sizes']))} "
        f"activations={','.join(net['activations'])} {net['loss']}/{net['reduction']} "
        f"bias={int(net['bias'])} lr={t['lr']:.17g} steps={t['steps']} {t['objective']} "
        f"maximize={int(t['maximize'])} freeze_biases={int(t['freeze_biases'])} "
        f"query={int(m['query'])}"
    )


def run_reader(binary: Path, case: Case) -> tuple[str, str]:
    """(status, what it printed or said) of the C reader run as a port on `case`: it reads
    `$MLP_CASE_DIR/case.txt` as a port does."""
    outcome = run_command(str(binary), case, timeout=30)
    return outcome.status, (outcome.text or outcome.message).strip()


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_the_C_reader_in_PORTS_md_reads_case_txt_from_MLP_CASE_DIR(c_reader, case_id):
    case = CASES[case_id]
    status, said = run_reader(c_reader, case)
    if case.kind == "init":  # answered as PORTS.md says a port outside Python answers them
        assert (status, said) == (
            "unsupported",
            f"{case_id}: init cases need numpy's random generators",
        )
    else:
        assert (status, said) == ("ok", summary(case.meta))


def test_the_C_reader_skips_a_line_longer_than_its_buffer(c_reader, tmp_path):
    meta = read_meta(DATA / "T4-perceptron-2d")
    long = {**meta, "id": "long", "description": "x=" * 5000}  # 10,000 characters, '=' in it
    folder = write_case(tmp_path / "long", long, data=CASES["T4-perceptron-2d"].data)
    case = Case("long", folder, read_meta(folder))
    assert run_reader(c_reader, case) == ("ok", summary(long))


def test_the_C_reader_output_shown_in_PORTS_md_is_its_output(c_reader):
    shown = re.search(r"\$ \./read_case data/T1-blog/case\.txt\n(.*)\n", PORTS_MD.read_text())
    assert shown, "PORTS.md shows no run of the C reader"
    assert shown.group(1) == summary(CASES["T1-blog"].meta)
