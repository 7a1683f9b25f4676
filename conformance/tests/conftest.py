"""Suite-wide settings: NumPy overflow, division by zero and invalid operations raise.

(Underflow to zero stays silent: exp(-1000) = 0 is the correct float64 answer.) Python warnings
are errors too, through `filterwarnings = error` in pyproject.toml.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conformance.ports.process import DEFAULT_MAX_OUTPUT, DEFAULT_TIMEOUT

GC_THRESHOLDS = (20_000, 20, 100)
"""The garbage collector's thresholds for the whole run (Python's are 700, 10, 10): the
youngest generation is collected every 20,000 allocations, the next every 20 of those, all
generations every 100 of those."""


def pytest_configure(config: pytest.Config) -> None:
    # For the whole run (each xdist worker runs this too); a test that needs another setting
    # says so with its own `np.errstate`. Cheaper than an autouse fixture around 7,000 tests.
    np.seterr(over="raise", divide="raise", invalid="raise", under="ignore")
    # The garbage collector's youngest generation is collected every 20,000 allocations
    # instead of 700, from here on: with Python's thresholds, importing torch and the test
    # modules and making about 8,000 test items ran some eight full collections in each
    # process (0.7 s of its 3.5 s collection), each going through everything imported so far.
    gc.set_threshold(*GC_THRESHOLDS)
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU; skipped cleanly without one")
    config.addinivalue_line(
        "markers", "long: a slow check whose quick form runs by default; runs with --long"
    )


SLOWEST_FIRST = (
    "test_ports.py", "test_float32.py", "test_persistent_ports.py", "test_hostile_ports.py",
    "test_mutant_catalogue.py", "test_fuzz.py", "test_port_docs.py", "test_golden_format.py",
    "test_cli.py", "test_golden.py", "test_matrix.py", "test_properties.py",
    "test_golden_integrity.py", "test_reduce.py", "test_cli_bad_input.py",
    "test_finite_differences.py", "test_benchmark_smoke.py", "test_case_txt.py",
    "test_levels_report.py", "test_fast_path.py", "test_mutation_survivors.py",
    "test_golden_schema.py", "test_distributed.py",
)  # fmt: skip
"""The test modules that take longest (the time from a module's first test to its last in a
`pytest conformance -n 2 -vv` run, its module fixtures included), slowest first. xdist gives
each worker one module at a time in the order collected (`--no-loadscope-reorder`): these
first, so that the last modules handed out are short and the workers finish together (by
default xdist hands out the modules with the most tests first)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slowest modules first (`SLOWEST_FIRST`; each module's own order kept). Tests marked
    `long` are skipped, with the reason, unless `--long` is given."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    if config.getoption("--long"):
        return
    skip = pytest.mark.skip(reason="a slow check (its quick form runs by default): run with --long")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def _checked_by(name: str) -> Callable[[str], object]:
    """An option's type: `conformance.ports.options`' `name`, imported only when the option
    is given (pytest's main process then starts without it and the port runner behind it)."""

    def parse(text: str) -> object:
        from conformance.ports import options

        return getattr(options, name)(text)

    parse.__name__ = name
    return parse


def pytest_addoption(parser: pytest.Parser) -> None:
    # The types check each value as `python -m conformance.ports check` does (a usage error).
    port_option, seconds_option = _checked_by("port_option"), _checked_by("seconds_option")
    mib_option, capabilities_option = _checked_by("mib_option"), _checked_by("capabilities_option")

    parser.addoption(
        "--long",
        action="store_true",
        help="also run the checks marked long (the large cases, and the whole of what the suite "
        "checks in a quick form by default)",
    )
    group = parser.getgroup("mlp-conformance ports")
    group.addoption(
        "--port",
        action="append",
        default=[],
        type=port_option,
        metavar="COMMAND",
        help="check this port command against every golden case (see conformance/PORTS.md)",
    )
    group.addoption(
        "--port-strict", action="store_true", help="with --port: an omitted value is a failure"
    )
    group.addoption(
        "--port-timeout",
        type=seconds_option,
        default=DEFAULT_TIMEOUT,
        help=f"with --port: seconds per case ({DEFAULT_TIMEOUT:g})",
    )
    group.addoption(
        "--port-examples",
        type=int,
        default=50,
        metavar="N",
        help="with --port: also check it on N generated cases (50; 0: none), as the fuzz does",
    )
    group.addoption(
        "--port-seed",
        type=int,
        default=None,
        metavar="S",
        help="with --port: the seed of the generated cases (the fuzz's default)",
    )
    group.addoption(
        "--port-persistent",
        action="store_true",
        help="with --port: start each port once and send it every case (PORTS.md)",
    )
    group.addoption(
        "--port-capabilities",
        type=capabilities_option,
        default=None,
        metavar="FILE",
        help="with --port: what the port declares it supports (JSON; PORTS.md)",
    )
    group.addoption(
        "--port-dtype",
        choices=("float64", "float32"),
        default="float64",
        help="with --port: the port computes in float32; grade each value within its float32 "
        "bound as well (PORTS.md, 'Float32 ports')",
    )
    group.addoption(
        "--port-max-output",
        type=mib_option,
        default=DEFAULT_MAX_OUTPUT,
        metavar="MIB",
        help=f"with --port: the most a port may print on stdout, in MiB ({DEFAULT_MAX_OUTPUT:g})",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`test_port` runs once per (--port command, golden case), `test_port_supports_a_case`
    once per --port command; both skipped without --port."""
    names = {"port_case", "port_command"} & set(metafunc.fixturenames)
    if not names:
        return

    (name,) = names
    ports = metafunc.config.getoption("--port")
    if not ports:
        skip = pytest.mark.skip(reason="no --port COMMAND given")
        metafunc.parametrize(name, [pytest.param(None, marks=skip, id="no-port")])
        return
    if name == "port_command":
        metafunc.parametrize(name, [pytest.param(p, id=f"port{i}") for i, p in enumerate(ports)])
        return
    params = [
        pytest.param((port, case), id=f"port{i}/{case.id}")
        for i, port in enumerate(ports)
        for case in _golden_cases()
    ]
    metafunc.parametrize(name, params)


def _golden_cases():
    from conformance.tests.inputs import golden_cases

    return golden_cases()


@pytest.fixture(scope="module")
def shared_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/, for the hostile ports of a module that do not write into it."""
    from conformance.golden.cases import DATA

    return Path(shutil.copytree(DATA, tmp_path_factory.mktemp("golden") / "data"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under mutmut (`MUTANT_UNDER_TEST` set; README, "Mutation testing"), forget what this
    process keeps between runs: mutmut runs each mutant's tests in a process forked from one
    that has run the tests already, and a kept golden case or a cached trajectory would spare
    the mutated code from running at all (its mutants would survive untested)."""
    if not os.environ.get("MUTANT_UNDER_TEST"):
        return
    from conformance.golden import cases

    cases._CASES.clear()
    cases._LOADED.clear()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("conformance", "scratch", "reference"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything collection made (about 8,000 test items and their parameters) out of
    the garbage collector's reach: it would otherwise traverse them again and again while the
    tests run. Nothing is leaked; the objects live until the end of the run anyway. The tests
    then make many short-lived objects (data frames, arrays, reports), collected under
    `GC_THRESHOLDS` (garbage collection took 2.2 s of a `-n 0` run with Python's, 1.4 s with
    these); objects in no reference cycle are still freed at once."""
    gc.collect()
    gc.freeze()
    if "torch" in sys.modules:  # (a run that collected no torch test need not load it)
        # Every tensor here is tiny: torch's intra-op threads only add their hand-offs (a
        # backward pass takes twice as long with two threads as with one), and under xdist
        # each worker's threads would compete with the other worker's for the same cores.
        sys.modules["torch"].set_num_threads(1)
