"""`scratch` is from scratch: no module under scratch/ imports torch, directly or at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SCRATCH = Path(__file__).resolve().parents[2] / "scratch"
FILES = sorted(SCRATCH.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports (import x.y -> x; from x import y -> x)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_scratch_has_modules():
    assert len(FILES) >= 5, f"expected the scratch package under {SCRATCH}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_torch_import(path):
    assert "torch" not in imported_modules(path), f"{path} imports torch"


def test_importing_scratch_loads_no_torch():
    code = "import sys, scratch, scratch.layouts; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
