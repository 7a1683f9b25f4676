"""Mutation testing of scratch/ and the grading code with mutmut 3: the run and the score table.

    python -m benchmarks.mutation [--run] [--module scratch/network.py ...] [--report FILE]

Needs the `mutation` extra (`pip install -c constraints.txt -e ".[mutation]"`). mutmut's
settings (the files it mutates, the tests it runs) are `[tool.mutmut]` in pyproject.toml.

`--run` first runs `mutmut run --max-children 1` (one mutmut process, so the timings on a
shared machine mean something): with `--module`, every mutant of those modules, run again;
without, every mutant not run yet (mutmut keeps each result in `mutants/` and resumes). The
table is then made from mutmut's results in `mutants/` (read as they are without `--run`).
It is not a test: a run of every module takes one to two hours.

Per module: mutants killed (a test failed), survived (every test passed), equivalent (survived
and listed in `docs/mutation-equivalents.txt`, with the reason it changes no observable value),
timeout, no tests (no selected test calls the function), other (suspicious, segfault), not
run (yet), and the score: killed and timed out, of the mutants run that are not equivalent. A
survivor not in the equivalents file is printed by name (`mutmut show NAME` gives its diff); an
equivalents line that names no surviving mutant is printed too, so the list never goes stale.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "docs" / "mutation-equivalents.txt"

# The modules mutated: scratch/ and the grading code (loading and validating the golden data,
# comparing, the tolerances, the port runner's grading). pyproject.toml's only_mutate agrees.
MODULES = (
    "scratch/activations.py",
    "scratch/dense.py",
    "scratch/errors.py",
    "scratch/fast.py",
    "scratch/initializers.py",
    "scratch/layouts.py",
    "scratch/losses.py",
    "scratch/network.py",
    "scratch/optim.py",
    "scratch/params.py",
    "scratch/perceptron.py",
    "scratch/spec.py",
    "scratch/trace.py",
    "scratch/validation.py",
    "conformance/golden/cases.py",
    "conformance/golden/tensors.py",
    "conformance/golden/comparison.py",
    "conformance/compare.py",
    "conformance/tolerances.py",
    "conformance/ports/grading.py",
    "conformance/ports/levels.py",
)

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into the table's columns.
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {36, -24, 24, 152, 255}
NO_TESTS = {5, 33}


@dataclass
class ModuleScore:
    """One module's mutants by outcome, and the seconds mutmut spent running them."""

    module: str
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    unexplained: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Every mutant of the module."""
        return sum(self.counts.values())

    @property
    def score(self) -> float | None:
        """(killed + timeout) / (total - equivalent - not run), in percent; None without any."""
        relevant = self.total - self.counts["equivalent"] - self.counts["not run"]
        detected = self.counts["killed"] + self.counts["timeout"]
        return 100.0 * detected / relevant if relevant else None


def mutant_glob(module: str) -> str:
    """mutmut's name pattern for a module's mutants: scratch/network.py -> scratch.network.*"""
    return module.removesuffix(".py").replace("/", ".") + ".*"


def read_equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """The equivalents file: `NAME  reason` per line, `#` comments; name -> reason."""
    listed: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, reason = line.strip().partition(" ")
        listed[name] = reason.strip()
    return listed


def score_module(module: str, equivalents: dict[str, str]) -> ModuleScore:
    """A module's outcome counts from mutmut's `mutants/<module>.meta` (absent: nothing run)."""
    result = ModuleScore(module)
    meta_path = MUTANTS / f"{module}.meta"
    if not meta_path.exists():
        return result
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for name, code in meta["exit_code_by_key"].items():
        if code in KILLED:
            result.counts["killed"] += 1
        elif code in SURVIVED and name in equivalents:
            result.counts["equivalent"] += 1
        elif code in SURVIVED:
            result.counts["survived"] += 1
            result.unexplained.append(name)
        elif code in TIMEOUT:
            result.counts["timeout"] += 1
        elif code in NO_TESTS:
            result.counts["no tests"] += 1
        elif code is None:
            result.counts["not run"] += 1
        else:
            result.counts["other"] += 1
    result.seconds = sum(meta.get("durations_by_key", {}).values())
    return result


def stale_equivalents(equivalents: dict[str, str]) -> list[str]:
    """Equivalents-file names that are not a surviving mutant in mutmut's results."""
    surviving: set[str] = set()
    known: set[str] = set()
    for meta_path in MUTANTS.rglob("*.py.meta"):
        codes = json.loads(meta_path.read_text(encoding="utf-8"))["exit_code_by_key"]
        known |= set(codes)
        surviving |= {name for name, code in codes.items() if code in SURVIVED}
    return [name for name in equivalents if known and name not in surviving]


COLUMNS = ("killed", "survived", "equivalent", "timeout", "no tests", "other", "not run")


def table(scores: list[ModuleScore], wall: dict[str, float]) -> str:
    """The per-module score table in Markdown, with a total row per group and overall."""
    head = "| module | " + " | ".join(COLUMNS) + " | total | killed % of non-equivalent run | "
    head += "mutant time (s) |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 4)]

    def row(label: str, group: list[ModuleScore]) -> str:
        counts: Counter[str] = sum((s.counts for s in group), Counter())
        merged = ModuleScore(label, counts, sum(s.seconds for s in group))
        pct = "-" if merged.score is None else f"{merged.score:.1f}"
        cells = [str(counts[c]) for c in COLUMNS]
        cells += [str(merged.total), pct, f"{merged.seconds:.0f}"]
        return f"| {label} | " + " | ".join(cells) + " |"

    for s in scores:
        lines.append(row(f"`{s.module}`", [s]))
    for group in ("scratch/", "conformance/"):
        members = [s for s in scores if s.module.startswith(group)]
        if members:
            name = "scratch/" if group == "scratch/" else "grading code"
            lines.append(row(f"**{name}**", members))
    lines.append(row("**all**", scores))
    for label, seconds in wall.items():
        lines.append(f"\nWall time of `{label}`: {seconds / 60:.1f} min.")
    return "\n".join(lines)


def run_mutmut(modules: list[str]) -> float:
    """`mutmut run --max-children 1`, over the modules' mutants when named (mutmut then reruns
    every one of them) or else over every mutant not yet run; returns the wall seconds."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", "1"]
    command += map(mutant_glob, modules)
    subprocess.run(command, cwd=ROOT, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run (optionally) and print the score table; 1 when a survivor is unexplained."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=MODULES, help="(repeatable)")
    parser.add_argument("--run", action="store_true", help="run mutmut on the modules first")
    parser.add_argument("--report", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    modules = args.module or list(MODULES)

    wall: dict[str, float] = {}
    if args.run:
        named = args.module or []
        wall["mutmut run " + " ".join(map(mutant_glob, named))] = run_mutmut(named)
    equivalents = read_equivalents()
    scores = [score_module(m, equivalents) for m in modules]
    text = table(scores, wall)
    print(text)
    unexplained = [name for s in scores for name in s.unexplained]
    for name in unexplained:
        print(f"survived, not in {EQUIVALENTS.relative_to(ROOT)}: {name}")
    for name in stale_equivalents(equivalents):
        print(f"listed as equivalent but not a surviving mutant: {name}")
    if args.report:
        head = (
            f"# Mutation testing: score by module\n\n{date.today()}, mutmut "
            f"{metadata.version('mutmut')}, `python -m benchmarks.mutation "
            f"{' '.join(argv if argv is not None else sys.argv[1:])}`.\n\n"
        )
        args.report.write_text(head + text + "\n", encoding="utf-8")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
