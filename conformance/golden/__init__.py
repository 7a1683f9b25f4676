"""The golden cases in `data/`, as a library.

- `tensors`: the long CSV format (tensor, row, col, value) and its conversion to and from arrays.
- `schema`: the keys of `case.json` and their checks.
- `cases`: `Case`, loading and validating a case folder, writing a case's inputs.
- `runner`: a case's trajectory computed by scratch or reference, in the golden format.
- `comparison`: two trajectory frames compared tensor by tensor, and the report.
- `checks`: the assertions the golden tests make (a printed figure, a generated tensor).
- `regenerate`: rewrite the generated values, safely (`python -m conformance.golden regenerate`).
"""
