"""`python -m conformance.golden regenerate|manifest ...`: see `conformance.golden.regenerate`."""

from __future__ import annotations

import sys

from conformance.golden.regenerate import main, manifest_main

COMMANDS = {"regenerate": main, "manifest": manifest_main}

if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    print(
        "usage: python -m conformance.golden regenerate [--case ID] [--force] [--dry-run] "
        "[--data DIR]\n       python -m conformance.golden manifest [--data DIR] [--check]"
    )
    sys.exit(2)
sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
