"""Loaded first, by pytest's main process, before any xdist worker starts or torch is imported.

One OpenMP thread for torch in every process of a run: the workers, and the ports and command
lines the tests start (they inherit the environment). Every tensor here is tiny; a second
thread only spins while it waits, and with two of them per process the suite took 7 s longer
and 10 s more CPU on the 2-core machine. A value the caller set is kept.
"""

import atexit
import os
import sys

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _end_without_teardown() -> None:
    """The last exit handler of an xdist worker: its results are sent, every exit handler
    registered after pytest configured the worker (torch's, `weakref.finalize`'s, multiprocessing's)
    has run; log handlers and the standard streams are flushed, and the process ends without
    the interpreter's teardown of every module, which with torch loaded took 0.7 s of each
    worker's time at the end of the run, while the main process waited for it.

    An exit handler registered earlier (by a `-p` plugin, `sitecustomize` or a `.pth` file)
    does not run, but for logging's, which is called here. Under coverage.py, which saves a
    worker's data in its own exit handler, the worker ends as Python ends it."""
    if "coverage" in sys.modules:
        return
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(0)


def pytest_configure(config: pytest.Config) -> None:
    """In an xdist worker only (it has `workerinput`; not the main process, whose exit status
    counts, nor a pytest that a test starts, which inherits PYTEST_XDIST_WORKER), registered
    before torch and the test modules are imported, so that their exit handlers run first."""
    if hasattr(config, "workerinput"):
        atexit.register(_end_without_teardown)
