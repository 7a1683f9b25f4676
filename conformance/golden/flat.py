"""`case.txt`: a case's `case.json` flattened into `key=value` lines, for ports that would
rather read a case with `fgets` and `sscanf` than parse JSON (the format is documented for port
authors in data/README.md, "case.txt").

case.txt is never written by hand: `case_text(meta)` makes it from case.json's content, with
every optional key at its default (`schema.with_defaults`: the schema is the one place defaults
come from), in the schema's order, nested keys dotted (`training.lr=0.01`). Values: text as is
(a backslash written `\\\\`, a control character `\\xHH`, a lone surrogate `\\uHHHH`), integers
in decimal, other numbers as Python's shortest round-trip repr (`0.01`, `1e-05`), booleans
`1`/`0`, lists their entries joined by single spaces (an empty list: nothing after the `=`).
`write_case_text` writes it (`write_case`, `regenerate`); `check_case_text` (run by `load_case`)
raises `CaseFormatError` when a folder's case.txt is missing or is not exactly that text.

Not for: the keys and their checks (`golden.schema`); case.json itself is the source.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conformance.golden.manifest import REPO_DATA
from conformance.golden.schema import NUMBER, keys_of, subkeys_of, with_defaults
from conformance.golden.tensors import CaseFormatError, read_text

CASE_TXT = "case.txt"
HEADER = "# case.json flattened (data/README.md, case.txt); written from case.json, never edit it"
"""The first line of every case.txt. A reader skips lines that start with `#`."""

_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f\ud800-\udfff]")
_UNESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")
_INTEGER = re.compile(r"-?[0-9]+")


def _escape(match: re.Match) -> str:
    """A backslash as two, a control character as \\xHH, a lone surrogate as \\uHHHH."""
    c = match.group()
    if c == "\\":
        return "\\\\"
    return f"\\x{ord(c):02x}" if ord(c) < 0x80 else f"\\u{ord(c):04x}"


def flat_value(value: Any) -> str:
    """One scalar as case.txt writes it: bool 1/0, int in decimal, a float as its shortest
    round-trip repr, text with backslashes and control characters escaped."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)  # an int stays an int (1), a float keeps its point (1.0, 1e-05)
    return _ESCAPE.sub(_escape, value)


def flat_items(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted key, value text) for every key of a validated case.json's `meta`, optional keys
    at their defaults, in the schema's order."""
    items = []
    for name, value in with_defaults(meta).items():
        key = keys_of(meta["kind"])[name]
        pairs = (
            [(f"{name}.{sub}", v, subkeys_of(name)[sub]) for sub, v in value.items()]
            if key.type is dict
            else [(name, value, key)]
        )
        for dotted, v, k in pairs:
            text = " ".join(map(flat_value, v)) if k.type is list else flat_value(v)
            items.append((dotted, text))
    return items


def case_text(meta: dict[str, Any]) -> str:
    """The whole case.txt of a validated case.json's `meta`: the header line, then one
    `key=value` line per key (LF line ends)."""
    return "".join(f"{line}\n" for line in [HEADER, *(f"{k}={v}" for k, v in flat_items(meta))])


def write_case_text(folder: Path, meta: dict[str, Any]) -> Path:
    """Write `folder`/case.txt from `meta` (UTF-8, LF line ends); returns its path."""
    file = Path(folder) / CASE_TXT
    file.write_text(case_text(meta), encoding="utf-8", newline="\n")
    return file


def rewrite_hint(folder: Path) -> str:
    """The command that rewrites the case.txt of the case folder `folder`."""
    root = Path(folder).resolve().parent
    data = "" if root == REPO_DATA else f" --data {root}"
    return f"`python -m conformance.golden regenerate --case {Path(folder).name}{data}`"


def check_case_text(folder: Path, meta: dict[str, Any]) -> None:
    """`CaseFormatError` naming `folder`/case.txt, the first line that differs and the command
    that rewrites it, unless the file is exactly `case_text(meta)` (read as every golden file
    is: UTF-8, a byte-order mark and CRLF line ends allowed)."""
    file = Path(folder) / CASE_TXT
    how = (
        f"case.txt is written from case.json, never by hand: rewrite it with {rewrite_hint(folder)}"
    )
    if not file.is_file():
        raise CaseFormatError(f"{file}: file missing; {how}")
    text, expected = read_text(file), case_text(meta)
    if text == expected:
        return
    raise CaseFormatError(
        f"{file}, {_first_difference(text, expected)} (stale or edited by hand); {how}"
    )


def _first_difference(text: str, expected: str) -> str:
    """Where `text` first differs from `expected` (they differ): "line N: 'got' where case.json
    gives 'expected'", a line being "the end of the file" past the last one."""
    got, want = text.split("\n"), expected.split("\n")  # a last "" after a final line end
    if text + "\n" == expected:
        return f"line {len(got)}: no line end after the last line"
    same = (g == w for g, w in zip(got, want, strict=False))
    i = next((i for i, equal in enumerate(same) if not equal), min(len(got), len(want)))
    shown = [
        repr(lines[i][:80])
        if i < len(lines) - 1 or (i < len(lines) and lines[i])
        else "the end of the file"
        for lines in (got, want)
    ]
    return f"line {i + 1}: {shown[0]} where case.json gives {shown[1]}"


def _parse(text: str, kind: type | tuple[type, ...]) -> Any:
    """One scalar of case.txt as `kind` (bool, int, `NUMBER` or str): `flat_value` undone."""
    if kind is bool:
        return {"1": True, "0": False}[text]
    if kind is int or (kind == NUMBER and _INTEGER.fullmatch(text)):
        return int(text)
    if kind == NUMBER:
        return float(text)
    return _UNESCAPE.sub(lambda m: "\\" if m[1] == "\\" else chr(int(m[1][1:], 16)), text)


def read_case_text(file: Path) -> dict[str, Any]:
    """The inverse of `case_text`, for checking it: the nested content of case.txt with every
    value typed by the schema, equal to `schema.with_defaults(case.json)`. `CaseFormatError`
    naming the file and the line for a line that is not `key=value` or a key of no schema."""
    meta: dict[str, Any] = {}
    lines = read_text(file).split("\n")
    pairs = [(i, line) for i, line in enumerate(lines, 1) if line and not line.startswith("#")]
    kind = next((line[5:] for _, line in pairs if line.startswith("kind=")), None)
    for i, line in pairs:
        name, sep, text = line.partition("=")
        section, _, sub = name.rpartition(".")
        try:
            if not sep:
                raise ValueError("no '='")
            key = subkeys_of(section)[sub] if section else keys_of(kind)[name]
            if key.type is dict:
                raise ValueError("a section has no value of its own")
            if key.type is list:
                value = [_parse(x, key.items) for x in text.split(" ")] if text else []
            else:
                value = _parse(text, key.type)
        except (KeyError, ValueError):
            raise CaseFormatError(
                f"{file}, line {i}: not a key=value line of a {kind} case: {line[:80]!r}"
            ) from None
        if section:
            meta.setdefault(section, {})[sub] = value
        else:
            meta[name] = value
    return meta
