"""`python -m benchmarks [--smoke] [--csv FILE] [--sizes ...] [--dtypes ...]`."""

import sys

from benchmarks.step_time import main

sys.exit(main())
