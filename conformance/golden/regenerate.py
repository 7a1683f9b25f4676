"""Rewrite the generated `expected.csv` and `case.txt` of golden cases, and the checksum
manifest, safely.

For each case the first implementation (scratch) generates the trajectory and the second
(reference, or the literal recipe for init cases) confirms it within the float64 tolerance;
nothing is written unless they agree. An existing value is never changed unless `--force` is
given: the command prints what would change (and what would be added or removed) and refuses.
`--dry-run` only prints. A case that ends unchanged or written also gets its case.txt rewritten
from its case.json when they differ (`golden.flat`). Then the manifest lines of every case that
ended unchanged or written are rewritten (a folder without a manifest gets a whole one once
every case is done). Exit status 0 when every case is unchanged or written, 1 otherwise.

    python -m conformance.golden regenerate [--case ID ...] [--force] [--dry-run] [--data DIR]

`python -m conformance.golden manifest [--data DIR] [--check]` rewrites the whole manifest
after a deliberate hand edit, once every case loads (`--check`: only verify it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from conformance.golden.cases import DATA, TRAJECTORY_COLUMNS, case_dirs, load_case
from conformance.golden.comparison import KEYS, compare_frames, format_report, with_rest
from conformance.golden.flat import CASE_TXT, case_text, write_case_text
from conformance.golden.manifest import (
    MANIFEST,
    changed_files,
    read_manifest,
    snapshot,
    update_manifest,
    verify,
    write_manifest,
)
from conformance.golden.runner import IMPLEMENTATIONS, trajectory
from conformance.golden.schema import read_meta
from conformance.golden.tensors import CaseFormatError, format_value, write_rows


def changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Cells whose value differs (exactly), or that only one of old and new has."""
    merged = old.merge(new, on=KEYS, how="outer", suffixes=("_old", "_new"), indicator="side")
    differs = merged["value_old"].to_numpy() != merged["value_new"].to_numpy()
    return merged[differs | (merged["side"] != "both")]


def describe(case_id: str, diff: pd.DataFrame, limit: int = 20) -> str:
    """The first `limit` changed cells, old -> new, one line each."""
    lines = []
    for r in diff.head(limit).itertuples():
        where = f"{case_id} step {r.step} {r.tensor}[{r.row},{r.col}]"
        if r.side == "left_only":
            lines.append(f"  {where}: {format_value(r.value_old)} -> (removed)")
        elif r.side == "right_only":
            lines.append(f"  {where}: (new) -> {format_value(r.value_new)}")
        else:
            delta = abs(r.value_new - r.value_old)
            lines.append(
                f"  {where}: {format_value(r.value_old)} -> {format_value(r.value_new)} "
                f"(abs {delta:.3e})"
            )
    return "\n".join(with_rest(lines, len(diff), indent="  "))


def regenerate_case(path: Path, force: bool, dry_run: bool) -> bool:
    """Regenerate one case; print what happens; True when it ends unchanged or written (its
    case.txt then rewritten too, when stale). An expected.csv that no longer keeps the case's
    promises (a tensor added to the format) is compared all the same, and rewritten only with
    `force`."""
    ok = _regenerate_expected(path, force, dry_run)
    if ok:
        _rewrite_case_text(path, dry_run)
    return ok


def _rewrite_case_text(path: Path, dry_run: bool) -> None:
    """Write the case's case.txt from its case.json when it is missing or differs; print it."""
    meta = read_meta(path)
    file = path / CASE_TXT
    if file.is_file() and file.read_bytes() == case_text(meta).encode():
        return
    if dry_run:
        print(f"{meta['id']}: would write {file} from case.json (dry run)")
        return
    write_case_text(path, meta)
    print(f"{meta['id']}: wrote {file} from case.json")


def _regenerate_expected(path: Path, force: bool, dry_run: bool) -> bool:
    """`regenerate_case` for expected.csv alone."""
    kept = {"check_manifest": False, "check_text": False}  # a deliberate edit is why we are here
    try:
        case = load_case(path, **kept)
    except CaseFormatError as err:
        case = load_case(path, **kept, check_promises=False)  # else: raises
        print(f"{case.id}: its expected.csv no longer keeps the case's promises: {err}")
    first, second = IMPLEMENTATIONS[case.kind]
    new = trajectory(case, first)
    report = compare_frames(trajectory(case, second), new)
    if not report["ok"].all():
        print(
            format_report(f"{case.id}: {second} does not confirm {first}; nothing written", report)
        )
        return False
    file = path / "expected.csv"
    if case.expected is not None:
        diff = changes(case.expected, new)
        if diff.empty:
            print(f"{case.id}: unchanged ({len(new)} values)")
            return True
        print(f"{case.id}: {len(diff)} value(s) would change:\n{describe(case.id, diff)}")
        if not force:
            print(f"{case.id}: refusing to change existing values; rerun with --force to write")
            return False
    if dry_run:
        print(f"{case.id}: would write {len(new)} values (dry run)")
        return True
    rows = [
        [int(s), t, int(r), int(c), format_value(v)]
        for s, t, r, c, v in new[list(TRAJECTORY_COLUMNS)].itertuples(index=False)
    ]
    write_rows(file, list(TRAJECTORY_COLUMNS), rows)
    print(f"{case.id}: wrote {len(new)} values to {file}, confirmed by {second}")
    return True


def _print_changes(root: Path, changes: list[str]) -> None:
    """Each manifest line written, from `changed_files(old, new)`."""
    done = {
        "modified": "line rewritten for",
        "missing": "line removed for",
        "extra": "line added for",
    }
    for change in changes:
        kind, _, path = change.partition(": ")
        print(f"{root / MANIFEST}: {done[kind]} {path}")
    print(f"{root / MANIFEST}: {len(changes) or 'no'} line(s) changed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.golden regenerate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--case", action="append", help="only this case id (repeatable)")
    parser.add_argument("--force", action="store_true", help="overwrite values that changed")
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    parser.add_argument("--data", type=Path, default=DATA, help="the data folder (default: data/)")
    args = parser.parse_args(argv)
    try:
        return _regenerate(parser, args)
    except CaseFormatError as err:  # bad golden data: one clean line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1


def _regenerate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    paths = case_dirs(args.data)
    if args.case:
        known = {p.name: p for p in paths}
        unknown = [c for c in args.case if c not in known]
        if unknown:
            parser.error(f"unknown case(s) {unknown}; known: {sorted(known)}")
        paths = [known[c] for c in args.case]
    ok = [regenerate_case(p, args.force, args.dry_run) for p in paths]
    print(f"{sum(ok)} of {len(ok)} case(s) unchanged or written")
    if args.dry_run:
        return 0 if all(ok) else 1
    if (args.data / MANIFEST).is_file():
        done = [p.name for p, good in zip(paths, ok, strict=True) if good]
        _print_changes(args.data, update_manifest(args.data, done))
    elif all(ok) and not args.case:
        write_manifest(args.data)
        _print_changes(args.data, changed_files({}, snapshot(args.data)))
    else:
        print(f"{args.data / MANIFEST}: not written, as not every case was done")
    return 0 if all(ok) else 1


def manifest_main(argv: list[str] | None = None) -> int:
    """`python -m conformance.golden manifest [--data DIR] [--check]`."""
    parser = argparse.ArgumentParser(
        prog="python -m conformance.golden manifest",
        description=f"Rewrite DIR/{MANIFEST} (sha256sum format) for every file now under DIR, "
        "after checking that every case loads; --check only verifies it.",
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the data folder (default: data/)")
    parser.add_argument("--check", action="store_true", help="verify the manifest, write nothing")
    args = parser.parse_args(argv)
    try:
        if args.check:
            verify(args.data)
            print(f"{args.data / MANIFEST}: every file matches ({len(snapshot(args.data))} files)")
            return 0
        for path in case_dirs(args.data):
            load_case(path, check_manifest=False)
    except CaseFormatError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    old = read_manifest(args.data) if (args.data / MANIFEST).is_file() else {}
    write_manifest(args.data)
    _print_changes(args.data, changed_files(old, snapshot(args.data)))
    return 0


if __name__ == "__main__":
    np.seterr(over="raise", divide="raise", invalid="raise")
    sys.exit(main())
