"""The conformance library: what proves scratch, reference and any port right.

- `golden/`: read, write, run and compare the golden cases in data/.
- `ports/`: the port protocol, the runner that grades a port, its reports, the shipped ports and
  the mutant catalogue.
- `compare.py` and `tolerances.py`: comparing two arrays, and every tolerance with its reason.
- `finite_diff.py`: central-difference gradient checks. `matrix.py`: the cross-check matrix.
- `cli/`: the `mlp-conformance` command line, a user of the library's public functions only.
- `tests/`: the pytest suite (`pytest conformance`).
"""
