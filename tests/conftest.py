import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))  # mpy, fakes, oracles

from host_tools.paths import use_cpython_stand_ins

use_cpython_stand_ins()  # tests import firmware modules on CPython too


def pytest_addoption(parser):
    parser.addoption(
        "--port",
        default=None,
        help="serial port of a real board for hardware tests (default: start a virtual board)",
    )


@pytest.fixture(scope="session")
def board_port_option(request):
    return request.config.getoption("--port")
