"""Text for the terminal: case headers, numbers and labelled matrices as a worked example shows
them, and a progress bar for long runs."""

from __future__ import annotations

import sys
import textwrap

import numpy as np

from conformance.cli.options import PROGRESS_ABOVE
from conformance.golden.cases import Case


def first_sentence(text: str, limit: int = 70) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 3] + "..."


def header(case: Case) -> str:
    source = case.meta["source"]
    lines = [
        f"{case.id}: {case.meta['description']}",
        f"source: {source['tutorial']} ({source['file']}), {source['section']}",
    ]
    return "\n".join(textwrap.fill(line, 100) for line in lines)


def fmt_values(values: np.ndarray, decimals: int = 4, limit: int = 4) -> str:
    """One number, or a short bracketed list: '21.0000' or '[0.7575, 0.7711, ...]'."""
    flat = np.asarray(values).ravel()
    if flat.size == 1:
        return f"{flat[0]:.{decimals}f}"
    shown = ", ".join(f"{v:.{decimals}f}" for v in flat[:limit])
    return f"[{shown}{', ...' if flat.size > limit else ''}]"


def fmt_matrix(name: str, A: np.ndarray, reference_diff: float | None = None) -> str:
    """A labelled matrix, as a worked example shows it."""
    shape = np.shape(A)
    A = np.atleast_2d(np.asarray(A))
    note = "" if reference_diff is None else f"   (max |scratch - torch| {reference_diff:.1e})"
    body = np.array2string(A, precision=6, suppress_small=False, max_line_width=100)
    indent = " " * (len(name) + 3)
    body = body.replace("\n", "\n" + indent)
    return f"{name} = {body}{note}  shape {shape}"


def progress(iterable, total: int, desc: str):
    """A tqdm bar on stderr for a long run; the iterable itself for a short one."""
    if total <= PROGRESS_ABOVE:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="step", file=sys.stderr)
