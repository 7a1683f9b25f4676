"""What the commands share: finding a case by id or folder, checking the options before any
computation starts, the one-line user error (`CLIError`)."""

from __future__ import annotations

import difflib
import math
import os
from pathlib import Path

from conformance.golden.cases import DATA, Case, case_dirs, load_case
from conformance.golden.manifest import MANIFEST, golden_root_of

DEFAULT_CASE = "T1-blog"
PROGRESS_ABOVE = 200
"""Runs of more steps than this draw a progress bar (on stderr); shorter ones do not."""
MAX_STEPS = 1_000_000
"""The most steps (or perceptron epochs) `run`, `show` and `plot` replay: each step runs both
implementations with every tensor recorded (about a millisecond), and `plot` keeps two costs a
step. Longer runs are refused before they start."""


class CLIError(Exception):
    """A user mistake the command reports in one line (exit status 2)."""


def check_data(data: Path) -> Path:
    """`data` if it is a folder holding at least one case (<id>/case.json), else `CLIError`."""
    if not Path(data).is_dir():
        raise CLIError(f"--data {data}: no such folder")
    if not case_dirs(data):
        raise CLIError(f"--data {data}: no golden case in it (no <case>/case.json)")
    return data


def resolve_case(name: str, data: Path) -> Case:
    """A case by id (in `data`) or by folder path; a clear error for anything else."""
    path = Path(name)
    if (path / "case.json").is_file():
        return load_case(path)
    if path.is_dir() and (os.sep in name or name in (".", "..")):
        raise CLIError(f"{name}: a folder, but not a case (no case.json in it)")
    known = [p.name for p in case_dirs(check_data(data))]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CLIError(f"unknown case {name!r}{hint} (see `mlp-conformance list`)")
    return load_case(data / name)


def check_positive(option: str, value: float | None) -> None:
    """`CLIError` unless `value` (when given) is a finite number > 0."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise CLIError(f"{option} must be finite and > 0, got {value}")


def check_steps(option: str, value: int | None, limit: int | None = MAX_STEPS) -> None:
    """`CLIError` unless `value` (when given) is >= 1 and at most `limit`."""
    if value is not None and value < 1:
        raise CLIError(f"{option} must be >= 1, got {value}")
    if value is not None and limit is not None and value > limit:
        raise CLIError(f"{option} must be at most {limit:,} (see `--help`), got {value:,}")


def network_options(case: Case, args) -> tuple[float, int]:
    """The learning rate and steps of a replay: the case's, or --lr and --steps, checked."""
    check_positive("--lr", args.lr)
    check_steps("--steps", args.steps)
    training = case.meta["training"]
    lr = training["lr"] if args.lr is None else args.lr
    steps = training["steps"] if args.steps is None else args.steps
    return lr, steps


def check_writable_file(path: Path) -> None:
    """`CLIError` unless `path` can be written: its folder exists, it is not a folder itself,
    and creating (or overwriting) it is allowed. Checked by trying, so that a long computation
    never ends in a file it cannot write."""
    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a file")
    if not path.parent.is_dir():
        raise CLIError(f"{path}: no such folder {path.parent}")
    try:
        if path.exists():
            with path.open("ab"):
                pass
        else:
            with path.open("xb"):
                pass
            path.unlink()
    except OSError as err:
        raise CLIError(f"{path}: cannot write it ({err.strerror})") from None


def check_not_golden(out: Path, data: Path) -> None:
    """`CLIError` if `out` is, or lies in, golden data: the `--data` folder or data/, a folder
    holding an expected.csv, or a folder with a MANIFEST.sha256 in it or above it. Writing a
    case's inputs there would leave its expected values stale."""
    resolved = out.resolve()
    for root in (Path(data).resolve(), DATA.resolve()):
        if resolved == root or root in resolved.parents:
            raise CLIError(f"{out}: refusing to write into the golden data ({root})")
    if (resolved / "expected.csv").exists():
        raise CLIError(f"{out}: refusing to overwrite a golden case (it holds an expected.csv)")
    root = golden_root_of(resolved)
    if root is not None:
        raise CLIError(
            f"{out}: refusing to write into golden data ({root / MANIFEST} lists its files)"
        )
