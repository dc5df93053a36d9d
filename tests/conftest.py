import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))  # mpy, fakes, oracles

import mpy

from host_tools.paths import use_cpython_stand_ins

use_cpython_stand_ins()  # tests import firmware modules on CPython too


def pytest_addoption(parser):
    parser.addoption(
        "--port",
        default=None,
        help="serial port of a real board for hardware tests (default: start a virtual board)",
    )
    parser.addoption(
        "--mpy",
        choices=("unix64", "unix32", "both"),
        default="both",
        help="which MicroPython runs the firmware tests: the 64-bit unix port, the 32-bit"
        " one from ../shared/micropython-32bit (a board's word size), or both (default;"
        " the 32-bit runs are skipped with a reason when it is missing)",
    )


# a module that names one of these runs firmware code on MicroPython
_MPY_CALLS = (
    "run_mpy",
    "build_on_mpy",
    "micropython_path",
    "run_on_rig",  # tests/support/baro_rig.py: the barometer drivers on a fake chip
    "compensate_on_mpy",
    "refusal_on_mpy",
)


def pytest_generate_tests(metafunc):
    """Every test of a module that calls MicroPython runs once per port that
    `--mpy` names (module-scoped, so its module fixtures run per port too)."""
    if "mpy_port" not in metafunc.fixturenames:
        return
    if not any(name in vars(metafunc.module) for name in _MPY_CALLS):
        return
    choice = metafunc.config.getoption("--mpy")
    ports = mpy.PORTS if choice == "both" else (choice,)
    metafunc.parametrize("mpy_port", ports, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def mpy_port(request):
    """The MicroPython port this module's firmware code runs on (unix64 for
    modules that run none). Module fixtures that call MicroPython take it as
    an argument, so they are made again for each port."""
    name = getattr(request, "param", "unix64")
    missing = mpy.port_missing(name)
    if missing:
        pytest.skip(missing)
    before = mpy.current_port()
    mpy.use_port(name)
    yield name
    mpy.use_port(before)


@pytest.fixture(scope="session")
def board_port_option(request):
    return request.config.getoption("--port")
