"""What the commands share: finding a case by id or folder, the replay options, the one-line
user error (`CLIError`)."""

from __future__ import annotations

import difflib
from pathlib import Path

from conformance.golden.cases import Case, case_dirs, load_case

DEFAULT_CASE = "T1-blog"
PROGRESS_ABOVE = 200
"""Runs of more steps than this draw a progress bar (on stderr); shorter ones do not."""


class CLIError(Exception):
    """A user mistake the command reports in one line (exit status 2)."""


def resolve_case(name: str, data: Path) -> Case:
    """A case by id (in `data`) or by folder path; a clear error for anything else."""
    path = Path(name)
    if (path / "case.json").is_file():
        return load_case(path)
    known = [p.name for p in case_dirs(data)]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CLIError(f"unknown case {name!r}{hint} (see `mlp-conformance list`)")
    return load_case(data / name)


def network_options(case: Case, args) -> tuple[float, int]:
    training = case.meta["training"]
    lr = training["lr"] if args.lr is None else args.lr
    steps = training["steps"] if args.steps is None else args.steps
    if steps < 1:
        raise CLIError(f"--steps must be >= 1, got {steps}")
    return lr, steps
