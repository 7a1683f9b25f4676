"""The processes a test looks for after a port has run: none may be left behind."""

from __future__ import annotations

import contextlib
from pathlib import Path


def alive_with(marker: str) -> list[str]:
    """The command lines of live processes that hold `marker` (read from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            found.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return [text for text in found if marker in text]
