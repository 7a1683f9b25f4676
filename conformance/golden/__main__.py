"""`python -m conformance.golden regenerate ...`: see `conformance.golden.regenerate`."""

from __future__ import annotations

import sys

from conformance.golden.regenerate import main

if len(sys.argv) < 2 or sys.argv[1] != "regenerate":
    print("usage: python -m conformance.golden regenerate [--case ID] [--force] [--dry-run]")
    sys.exit(2)
sys.exit(main(sys.argv[2:]))
