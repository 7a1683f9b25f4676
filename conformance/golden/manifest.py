"""The checksum manifest of a golden data folder: one line per file, its SHA-256 and its path.

`data/MANIFEST.sha256` is in the format of `sha256sum` (so `cd data && sha256sum -c
MANIFEST.sha256` checks it with no Python at all): ``<64 hex digits>  <path relative to data/>``,
one line per file, sorted by path, every file under the folder except the manifest itself.
`write_manifest` writes it (`python -m conformance.golden regenerate` and `write_case` call it);
`verify` raises `ManifestError` naming every modified, missing or extra file and how to
regenerate. `snapshot` and `changed_files` let a port run check that it left the folder as it
found it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from conformance.golden.tensors import CaseFormatError

MANIFEST = "MANIFEST.sha256"
REGENERATE = (
    "if the change is deliberate, run `python -m conformance.golden regenerate` (it rewrites "
    "the manifest), else restore the file (`git checkout -- data/`)"
)


class ManifestError(CaseFormatError):
    """The golden data differs from its manifest: files modified, missing or extra."""


def snapshot(root: Path) -> dict[str, str]:
    """{path relative to `root` (POSIX): sha256 hex} for every file under `root` but the
    manifest itself, sorted by path."""
    root = Path(root)
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel != MANIFEST:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def write_manifest(root: Path) -> Path:
    """Write `root`/MANIFEST.sha256 for the files now under `root`; returns its path."""
    file = Path(root) / MANIFEST
    lines = [f"{digest}  {rel}\n" for rel, digest in snapshot(root).items()]
    file.write_text("".join(lines), newline="\n")
    return file


def read_manifest(root: Path) -> dict[str, str]:
    """The manifest of `root` as {path: sha256}; `ManifestError` if missing or malformed."""
    file = Path(root) / MANIFEST
    if not file.is_file():
        raise ManifestError(
            f"{file}: file missing; every golden data folder carries one (write it with "
            "`python -m conformance.golden regenerate`)"
        )
    out = {}
    text = file.read_bytes().decode("utf-8-sig", errors="replace")
    for i, line in enumerate(text.splitlines(), start=1):
        digest, sep, rel = line.rstrip("\r").partition("  ")
        if not sep or len(digest) != 64 or not rel:
            raise ManifestError(f"{file}, line {i}: not '<sha256>  <path>': {line[:80]!r}")
        out[rel] = digest.lower()
    return out


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Each difference between two snapshots, as "modified: P", "missing: P" or "extra: P"."""
    out = [f"modified: {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    out += [f"missing: {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"extra: {p}" for p in sorted(after.keys() - before.keys())]
    return out


def verify(root: Path) -> None:
    """Raise `ManifestError` unless the files under `root` are exactly those of its manifest."""
    root = Path(root)
    problems = changed_files(read_manifest(root), snapshot(root))
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise ManifestError(
            f"{root}: the golden data does not match {MANIFEST}: {shown}. {REGENERATE}"
        )
