"""The checksum manifest of a golden data folder: one line per file, its SHA-256 and its path.

`data/MANIFEST.sha256` is in the format of `sha256sum` (so `cd data && sha256sum -c
MANIFEST.sha256` checks it with no Python at all): ``<64 hex digits>  <path relative to data/>``,
one line per file, sorted by path, every file under the folder except the manifest itself.
`write_manifest` writes it whole (`python -m conformance.golden manifest`); `update_manifest`
rewrites the lines of some cases only (`regenerate` and `write_case` call it); `verify` raises
`ManifestError` naming every modified, missing or extra file and how to regenerate, for the
whole folder (`load_all`) or one case (`load_case`). `snapshot` and `changed_files` let a port
run check that it left the folder as it found it.

Not for: what the files mean (`golden.schema`, `golden.meaning`); this module only hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from conformance.golden.tensors import CaseFormatError, read_text

MANIFEST = "MANIFEST.sha256"
REPO_DATA = Path(__file__).resolve().parents[2] / "data"
"""The repository's own data/ (commands for it need no --data)."""


def regenerate_hint(root: Path = REPO_DATA) -> str:
    """How to bring the manifest of `root` up to date, or the data back."""
    data = "" if Path(root).resolve() == REPO_DATA else f" --data {root}"
    return (
        f"If the change is deliberate, run `python -m conformance.golden regenerate{data}` "
        "(after editing a case: it rewrites expected.csv, case.txt and that case's manifest "
        "lines) or "
        f"`python -m conformance.golden manifest{data}` (after any other deliberate edit: it "
        "rewrites the whole manifest); otherwise restore the files (`git checkout -- data/`)"
    )


REGENERATE = regenerate_hint()


class ManifestError(CaseFormatError):
    """The golden data differs from its manifest: files modified, missing or extra."""


MAX_FILE = 256 << 20
"""Files larger than this (256 MiB) are not hashed: a golden case is a few KB to a few MB."""


def _digest(path: Path) -> str:
    """The sha256 hex of a regular file, read in chunks; for anything else (a symbolic link, a
    folder link, a FIFO, a device) or a file over `MAX_FILE`, a marker no manifest line holds,
    so that `verify` reports it as modified or extra."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"<symbolic link to {os.readlink(path)}>"
    if not stat.S_ISREG(info.st_mode):
        return "<not a regular file>"
    if info.st_size > MAX_FILE:
        return f"<{info.st_size} bytes, over {MAX_FILE >> 20} MiB>"
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def snapshot(root: Path, case: str | None = None) -> dict[str, str]:
    """{path relative to `root` (POSIX): sha256 hex} for every entry under `root` (or only under
    its folder `case`) but the manifest itself and plain folders, sorted by path. Links are not
    followed: a link (to a file or a folder) and any other non-regular entry get a marker
    instead of a digest (see `_digest`)."""
    root = Path(root)
    out = {}
    for top, dirs, files in os.walk(root if case is None else root / case):
        for name in [*files, *(d for d in dirs if Path(top, d).is_symlink())]:
            path = Path(top, name)
            rel = path.relative_to(root).as_posix()
            if rel != MANIFEST:
                out[rel] = _digest(path)
    return dict(sorted(out.items()))


def fingerprint(root: Path) -> dict[str, str]:
    """Every entry under `root`, the manifest and folders included, with what `lstat` says of it:
    for a file or any other entry its type, permissions, size, inode, modification and change
    times; for a folder its permissions (a folder's times move with its entries, which are
    listed themselves). Cheap, no file read; any write, creation, removal, rename or chmod
    changes it, and the change time cannot be set back. What a port run is checked with."""
    out: dict[str, str] = {}
    pending = [(os.fspath(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                i = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(i.st_mode):
                out[rel] = stat.filemode(i.st_mode)
                pending.append((entry.path, rel + "/"))
            else:
                out[rel] = (
                    f"{stat.filemode(i.st_mode)} {i.st_size} {i.st_ino} {i.st_mtime_ns} "
                    f"{i.st_ctime_ns}"
                )
    with contextlib.suppress(OSError):
        out["."] = stat.filemode(Path(root).lstat().st_mode)
    return dict(sorted(out.items()))


def contents(root: Path, also: Iterable[Path] = ()) -> dict[str, str]:
    """What a reader of `root` (a folder, its links followed as a reader follows them) and of
    each file of `also` sees, by content: `snapshot`'s entry for every entry under `root` (a
    sha256, or the marker of a link or other non-regular entry), the manifest included, a
    link's entry followed by the sha256 of what it leads to, and each `also` file's sha256
    (links followed; "missing" when there is none). Equal contents read alike, whatever the
    files' times say; what a process keeps of a folder is checked with it."""
    root = Path(root)
    out = snapshot(root)
    if (root / MANIFEST).exists() or (root / MANIFEST).is_symlink():
        out[MANIFEST] = _digest(root / MANIFEST)
    for rel, digest in out.items():
        if digest.startswith("<symbolic link"):
            out[rel] = f"{digest} {_followed(root / rel)}"
    for file in also:
        out[f"<also> {os.path.realpath(file)}"] = _followed(Path(file))
    return dict(sorted(out.items()))


def _followed(path: Path) -> str:
    """The sha256 of the file `path` leads to, links followed; a marker for anything else."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "missing"
    return _digest(target) if target.is_file() else "<not a file>"


def _write(root: Path, digests: dict[str, str]) -> Path:
    odd = [f"{rel} {d}" for rel, d in digests.items() if d.startswith("<")]
    if odd:
        raise ManifestError(
            f"{root}: only regular files of at most {MAX_FILE >> 20} MiB belong in golden "
            f"data; remove {'; '.join(odd[:5])}"
        )
    file = Path(root) / MANIFEST
    file.write_text("".join(f"{d}  {rel}\n" for rel, d in sorted(digests.items())), newline="\n")
    return file


def write_manifest(root: Path) -> Path:
    """Write `root`/MANIFEST.sha256 for the files now under `root`; returns its path."""
    return _write(root, snapshot(root))


def update_manifest(root: Path, cases: Iterable[str]) -> list[str]:
    """Rewrite the manifest lines of the case folders `cases` (names under `root`) from the files
    now there, keeping every other line (`ManifestError` if `root` has no manifest yet). Returns
    what changed, as `changed_files` does."""
    root = Path(root)
    old = read_manifest(root)
    new = dict(old)
    for case in cases:
        new = {p: d for p, d in new.items() if not p.startswith(f"{case}/")}
        new.update(snapshot(root, case))
    _write(root, new)
    return changed_files(old, new)


def golden_root_of(path: Path) -> Path | None:
    """The nearest folder at or above `path` that holds a MANIFEST.sha256 (golden data, where
    nothing but `regenerate` and `write_case` may write), or None. `path` need not exist."""
    resolved = Path(path).resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / MANIFEST).is_file():
            return folder
    return None


def read_manifest(root: Path) -> dict[str, str]:
    """The manifest of `root` as {path: sha256}; `ManifestError` if missing or malformed."""
    file = Path(root) / MANIFEST
    if not file.is_file():
        data = "" if Path(root).resolve() == REPO_DATA else f" --data {root}"
        raise ManifestError(
            f"{file}: file missing; every golden data folder carries one, listing each file's "
            f"sha256 (write it with `python -m conformance.golden manifest{data}`)"
        )
    try:
        text = read_text(file)
    except CaseFormatError as err:
        raise ManifestError(str(err)) from None
    out: dict[str, str] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or not rel or digest.strip("0123456789abcdefABCDEF"):
            raise ManifestError(f"{file}, line {i}: not '<sha256>  <path>': {line[:80]!r}")
        if rel in out:
            raise ManifestError(f"{file}, line {i}: {rel} is listed twice")
        out[rel] = digest.lower()
    return out


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Each difference between two snapshots, as "modified: P", "missing: P" or "extra: P"."""
    out = [f"modified: {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    out += [f"missing: {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"extra: {p}" for p in sorted(after.keys() - before.keys())]
    return out


def verify(root: Path, case: str | None = None) -> None:
    """Raise `ManifestError` unless the files under `root` (or only under its folder `case`)
    are exactly those its manifest lists, byte for byte."""
    root = Path(root)
    listed = read_manifest(root)
    if case is not None:
        listed = {p: d for p, d in listed.items() if p.startswith(f"{case}/")}
    problems = changed_files(listed, snapshot(root, case))
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise ManifestError(
            f"{root}: the golden data does not match {root / MANIFEST}: {shown}. "
            f"{regenerate_hint(root)}"
        )
