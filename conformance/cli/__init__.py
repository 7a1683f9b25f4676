"""The `mlp-conformance` command line: replay, show, plot, check and train (see `main`)."""

from conformance.cli.main import main

__all__ = ["main"]
