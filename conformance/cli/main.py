"""`mlp-conformance`: replay the tutorials' worked examples, look at every tensor, plot the cost,
check a port, train a network on a CSV file.

    mlp-conformance                       # the default run: T1's 10-epoch table, to 3.0034
    mlp-conformance list
    mlp-conformance run CASE [--steps N] [--lr X] [--every K]
    mlp-conformance show CASE --step K
    mlp-conformance plot CASE -o curve.png [--steps N] [--lr X]
    mlp-conformance check --port "<command>" [--case ID] [--strict] [--junit FILE] [--dtype float32]
    mlp-conformance train DATA.csv --sizes 2 3 1 [...] -o OUTDIR

CASE is a case id from `list` or the path of a case folder (such as one `train` wrote).
Each command's module is imported when the command runs, and heavy libraries (pandas,
Hypothesis, torch, matplotlib) only by the commands that need them: `--help` and most usage
errors take about 0.2 s (`check --capabilities` and `--xfail` read their files while parsing,
with readers that import pandas).

Every user mistake ends the command with one line on stderr, `mlp-conformance COMMAND: error:
...`, and exit status 2, never a traceback; options and output paths are checked before any
long computation starts. NumPy's floating-point warnings are silenced while a command runs:
scratch and reference raise `NonFiniteError` themselves for an output, cost or step that
overflows, and the command reports that in its one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from conformance.cli.options import DEFAULT_CASE, MAX_STEPS, CLIError, check_data
from conformance.golden.cases import DATA
from conformance.golden.tensors import CaseFormatError
from conformance.ports.options import add_check_arguments
from conformance.ports.runner import PortArgumentError
from scratch.errors import DTypeError, MLPInputError


def command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command `name` of `module`, imported when it runs: the parser (`--help`, a usage
    error) is built without what the commands import (pandas, Hypothesis, the checking and
    grading of ports)."""

    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module), name)(args)

    run.__name__ = name
    return run


def cmd_check(args) -> int:
    from conformance.ports.checking import check_with_arguments, select_cases

    return check_with_arguments(args, select_cases(check_data(args.data), args.case))


# -- the parser ---------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mlp-conformance",
        description="Replay the backprop tutorials' worked examples with a NumPy and a PyTorch "
        "implementation side by side. With no command: `run T1-blog`.",
    )
    top.add_argument("--data", type=Path, default=DATA, help="the golden cases (default: data/)")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="every case, its source and what it checks")
    p.set_defaults(run=command("conformance.cli.run", "cmd_list"))

    def replay_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--steps",
            type=int,
            help=f"number of steps (default: the case's; at most {MAX_STEPS:,})",
        )
        p.add_argument("--lr", type=float, help="learning rate > 0 (default: the case's)")

    p = sub.add_parser("run", help="replay a case with scratch and reference side by side")
    p.add_argument(
        "case", nargs="?", default=DEFAULT_CASE, help=f"case id or folder (default {DEFAULT_CASE})"
    )
    replay_options(p)
    p.add_argument("--every", type=int, help="print every K-th step (default: all up to 50)")
    p.set_defaults(run=command("conformance.cli.run", "cmd_run"))

    p = sub.add_parser("show", help="every tensor of one step, as labelled matrices")
    p.add_argument("case", help="case id or folder")
    p.add_argument("--step", type=int, required=True, help="the step (0 = the first)")
    p.set_defaults(run=command("conformance.cli.run", "cmd_show"))

    p = sub.add_parser("plot", help="the cost curve of both implementations, as a PNG")
    p.add_argument("case", help="case id or folder")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="the image to write: .png, .pdf, .svg, ... (no extension: .png is added)",
    )
    replay_options(p)
    p.set_defaults(run=command("conformance.cli.plot", "cmd_plot"))

    p = sub.add_parser("check", help="check a port command against the golden cases")
    add_check_arguments(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("train", help="train a network on a CSV file and save it as a case")
    p.add_argument("data_csv", type=Path, metavar="DATA.csv", help="a CSV with a header row")
    p.add_argument("--sizes", type=int, nargs="+", required=True, help="layer sizes, inputs first")
    p.add_argument("--hidden", default="relu", help="hidden activation (relu)")
    p.add_argument("--output", default="identity", help="output activation (identity)")
    p.add_argument("--loss", default="mse", help="mse or cross_entropy (mse)")
    p.add_argument("--reduction", default="sample_mean", help="sample_mean, sum or element_mean")
    p.add_argument("--no-bias", action="store_true", help="no biases")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (0.01)")
    p.add_argument("--steps", type=int, default=100, help="steps (100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights (0)")
    p.add_argument(
        "--scale", type=float, default=0.1, help="initial weights: standard normal x this (0.1)"
    )
    p.add_argument("--targets", nargs="+", help="target columns (default: the last n_L columns)")
    p.add_argument(
        "-o", "--out", required=True, help="folder to write the case into (never golden data)"
    )
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(run=command("conformance.cli.train", "cmd_train"))
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command is None:  # no command: the default run
        args = parser().parse_args([*argv, "run"])
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return args.run(args)
    except (CLIError, CaseFormatError, MLPInputError, DTypeError, PortArgumentError) as err:
        message = " ".join(str(err).splitlines())
        print(f"mlp-conformance {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
