"""End to end: the firmware on a virtual board (or the board on --port)
carried up under a balloon, released and recovered: the shipped balloon
scenarios must pass as written."""

import pytest

from host_tools.droptest import runner as droptest
from host_tools.sim import scenario

pytestmark = [pytest.mark.hardware, pytest.mark.slow, pytest.mark.timeout(300)]


def failed(result):
    return [(e["name"], e["detail"]) for e in result.expectations if not e["passed"]]


@pytest.mark.parametrize(
    "name",
    [
        "balloon_ascent",
        "balloon_cutdown",
        "balloon_coarse_baro",
    ],
)
def test_balloon_flight_stays_quiet_on_the_climb_and_recovers(name, board_port_option):
    sc = scenario.load(name)
    result = droptest.run_scenario(sc, port=board_port_option, reuse_flash=True, plots=False)
    assert result.passed, failed(result)
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]
    assert all(e.t_s > sc.balloon.release_s for e in result.fires())
