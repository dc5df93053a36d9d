"""End to end: the real firmware, flashed onto a virtual board (or the board
on --port), flown through drop-test scenarios over its serial link.

The firmware is flashed once into a template flash directory; every test
boots a fresh virtual board on a copy of it, so a flight's persisted state
(armed, fired channels, the flight record) never leaks into the next test.
"""

import shutil

import pytest
from scenario_variants import drone

from host_tools.droptest import runner as droptest
from host_tools.sim import scenario

pytestmark = [pytest.mark.hardware, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def template_flash(tmp_path_factory):
    from host_tools.board.flash import flash
    from host_tools.board.vboard import VirtualBoard

    path = tmp_path_factory.mktemp("flash-template")
    with VirtualBoard(flash_dir=path) as board:
        flash(board.port, board="sim", log=lambda *a: None)
    return path


@pytest.fixture
def board_link(template_flash, tmp_path, board_port_option):
    from host_tools.board.board import Board

    if board_port_option:
        link = Board(board_port_option, timeout=droptest.REPLY_TIMEOUT_S)
        yield link
        link.close()
        return
    from host_tools.board.vboard import VirtualBoard

    flash_dir = tmp_path / "flash"
    shutil.copytree(template_flash, flash_dir)
    with VirtualBoard(flash_dir=flash_dir) as board:
        link = Board(board.port, timeout=droptest.REPLY_TIMEOUT_S)
        try:
            yield link
        finally:
            link.close()


def failed(result):
    return [(e["name"], e["detail"]) for e in result.expectations if not e["passed"]]


def test_drone_drop_on_the_firmware_fires_drogue_then_main_at_400_m_and_beacons(board_link):
    result = droptest.DropTest(drone(), board_link, seed=3).run()
    assert result.passed, failed(result)
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]
    assert result.link_stats["late_fires"] == 0
    assert any(e.kind == "beacon" and e.extra.get("lat") for e in result.events)


def test_firmware_refuses_to_arm_with_an_inverted_accelerometer_and_fires_nothing(
    board_link, board_port_option
):
    if board_port_option:
        pytest.skip("mounting faults are simulated on the virtual board only")
    sc = drone(faults={"accel_mounting": "+x-y-z"})
    sc.raw["expect"] = {"refuses_arm": True, "no_fire": True}
    result = droptest.DropTest(sc, board_link, seed=4).run()
    assert result.passed, failed(result)
    assert result.arm_reply.kind == "ERR"
    assert "upside down" in result.arm_reply.get("msg", "")


def test_firmware_resumes_after_a_power_cut_under_the_drogue_without_firing_twice(
    board_link, board_port_option
):
    if board_port_option:
        pytest.skip("power cuts are simulated on the virtual board only")
    sc = drone(faults={"power_loss_at_s": [25.0], "power_off_s": 0.3})
    result = droptest.DropTest(sc, board_link, seed=5).run()
    assert result.passed, failed(result)
    boots = [e for e in result.events if e.kind == "boot" and e.name == "boot"]
    assert len(boots) >= 1
    assert len(result.fires("drogue")) == 1 and len(result.fires("main")) == 1
    assert result.fires("main")[0].t_s > 25.0


def test_nominal_leo_return_passes_on_the_firmware(board_link, board_port_option):
    if board_port_option:
        pytest.skip("a 20-minute flight is for the virtual board")
    result = droptest.DropTest(scenario.load("nominal_leo"), board_link, seed=0).run()
    assert result.passed, failed(result)
    assert 1000.0 < result.sim_s < 1800.0
