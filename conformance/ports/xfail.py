"""Expected failures: a port's list of the cases and tensors it is known to get wrong, each with
its reason (`check --xfail FILE`).

The file is text, one entry per line: an id, then whitespace, then the reason (required).
Blank lines and lines starting with `#` are ignored.

    # scikit-learn reports the squared loss divided by the outputs k: 1/k of what it descends
    T2-chain-2-3-2-1/cost   sklearn's loss_ is mean((A - Y)^2)/2 over samples, not over k
    T4-perceptron-and       our perceptron is sklearn.linear_model.Perceptron: another rule

An id is a case (`T4-perceptron-and`: the whole case) or a case and a tensor
(`T1-blog/cost`: that tensor at every step). A failing group an entry names is "xfail" and does
not fail the case; a named case that fails or errs is "xfail". An entry whose groups all pass
is "xpass", reported, and a failure under `--strict`: the list never goes stale in silence.
An entry that names no case of the run, or a tensor the case does not have, is a warning.
Not for: grading (`conformance.ports.grading` calls `Xfails.apply`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

_ID = re.compile(r"^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_]+)?$")


class XfailFileError(ValueError):
    """The xfail file cannot be read, or a line is not `ID reason`: names the file and line."""


@dataclass
class Xfails:
    """The entries of an xfail file: id -> reason; `seen` collects the ids that matched."""

    entries: dict[str, str]
    path: str = "xfail"
    seen: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> Xfails:
        """Parse `path`; `XfailFileError` naming the file and line for a bad one."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise XfailFileError(f"xfail: cannot read {path}: {err}") from None
        entries: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ident, _, reason = line.partition(" ") if " " in line else line.partition("\t")
            ident, reason = ident.strip(), reason.strip()
            where = f"{path}, line {number}"
            if not _ID.match(ident):
                raise XfailFileError(f"{where}: {ident[:60]!r} is not CASE or CASE/TENSOR")
            if not reason:
                raise XfailFileError(f"{where}: {ident} has no reason (write one after the id)")
            if ident in entries:
                raise XfailFileError(f"{where}: {ident} is listed twice")
            entries[ident] = reason
        return cls(entries, str(path))

    def for_case(self, case_id: str) -> str | None:
        """The reason the whole case is expected to fail, or None."""
        if case_id in self.entries:
            self.seen.add(case_id)
            return self.entries[case_id]
        return None

    def apply(self, case_id: str, groups: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
        """`groups` (with states) with the entries for `case_id`'s tensors applied: a failing
        group named is "xfail", a passing one "xpass" when all of the tensor's groups pass.
        Returns the groups and a note for each entry that matched nothing in them or passed."""
        prefix = f"{case_id}/"
        named = {k[len(prefix) :]: k for k in self.entries if k.startswith(prefix)}
        if not named:
            return groups, ()
        states = groups["state"].to_numpy(dtype=object).copy()
        notes = []
        for tensor, ident in named.items():
            mine = (groups["tensor"] == tensor).to_numpy()
            if not mine.any():
                notes.append(f"xfail {ident}: the case has no tensor {tensor} (entry unused)")
                continue
            self.seen.add(ident)
            wrong = mine & pd.Series(states).isin(["fail", "wrong-shape"]).to_numpy()
            if wrong.any():
                states[wrong] = "xfail"
            elif (states[mine] == "pass").all():
                states[mine] = "xpass"
                notes.append(f"xpass {ident}: expected to fail ({self.entries[ident]}), passed")
        return groups.assign(state=states), tuple(notes)

    def unmatched(self, case_ids: list[str]) -> list[str]:
        """The entries that named no case of the run (warnings)."""
        ran = set(case_ids)
        return [k for k in self.entries if k.split("/")[0] not in ran]
