"""Loaded first, by pytest's main process, before any xdist worker starts or torch is imported.

One OpenMP thread for torch in every process of a run: the workers, and the ports and command
lines the tests start (they inherit the environment). Every tensor here is tiny; a second
thread only spins while it waits, and with two of them per process the suite took 7 s longer
and 10 s more CPU on the 2-core machine. A value the caller set is kept.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
