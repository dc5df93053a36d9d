"""End to end on the emulated Cortex-M3 board (`--target qemu-m3`): the
unmodified firmware, flashed by `capsule flash` with the Pico's armv6m native
code, flown through shipped drop-test scenarios on a 32-bit Thumb MicroPython
with a 192 KB heap, its flight log and pyro record on a LittleFS flash that a
power cut keeps (saved and loaded back by the board, not by the test).

qemu keeps no board time and moves the serial link about a byte per 50 us,
so these flights are sampled at 25 Hz (a config key the scenarios allow;
the firmware's rules are written in milliseconds, not samples): behaviour,
memory and integer semantics, not speed.
"""

import json
import shutil

import pytest
from scenario_variants import shipped

from host_tools.board.qemu_board import QemuBoard, qemu_missing
from host_tools.droptest import runner as droptest
from host_tools.droptest.campaign import Fleet

pytestmark = [
    pytest.mark.skipif(qemu_missing() is not None, reason=str(qemu_missing())),
    pytest.mark.slow,
    pytest.mark.timeout(1500),
]

SAMPLE_HZ = 25


@pytest.fixture(scope="module")
def template_flash(tmp_path_factory):
    from host_tools.board.flash import flash
    from host_tools.board.targets import flash_arch

    path = tmp_path_factory.mktemp("qemu-flash-template")
    with QemuBoard(flash_dir=path) as board:
        flash(board.port, board="sim", log=lambda *a: None, arch=flash_arch("qemu-m3"))
    assert (path / "flash.img").is_file()  # saved when the board stopped
    return path


def fly(template_flash, tmp_path, name, seed=0):
    from host_tools.board.board import Board

    flash_dir = tmp_path / "flash"
    shutil.copytree(template_flash, flash_dir)
    sc = shipped(name, config={"sample_hz": SAMPLE_HZ})
    with QemuBoard(flash_dir=flash_dir) as board:
        link = Board(board.port, timeout=droptest.REPLY_TIMEOUT_S)
        try:
            result = droptest.DropTest(sc, link, seed=seed).run()
        finally:
            link.close()
        power_cuts = board.power_cuts
    return result, power_cuts


def failed(result):
    return [(e["name"], e["detail"]) for e in result.expectations if not e["passed"]]


def test_nominal_leo_return_on_the_cortex_m3(template_flash, tmp_path):
    result, _ = fly(template_flash, tmp_path, "nominal_leo")
    assert result.passed, failed(result)
    assert result.violations == []
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]
    assert result.outcome == "landed"


def test_failed_drogue_on_the_cortex_m3(template_flash, tmp_path):
    result, _ = fly(template_flash, tmp_path, "drogue_fail")
    assert result.passed, failed(result)
    assert result.violations == []
    assert any(e.name == "drogue_failed" for e in result.events)


def test_power_cut_under_the_drogue_resumes_from_the_flash_on_the_cortex_m3(
    template_flash, tmp_path
):
    result, power_cuts = fly(template_flash, tmp_path, "power_loss")
    assert power_cuts == 1  # qemu stopped, its flash saved, and started again from it
    assert result.passed, failed(result)
    assert result.violations == []
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]


def test_a_campaign_flies_on_the_emulated_board(tmp_path):
    """`--monte-carlo N --target qemu-m3`: the worker flashes the emulated
    board once and boots each flight on a fresh copy of that flash."""
    from scenario_variants import drone

    from host_tools.board.qemu_board import MACHINE
    from host_tools.droptest import campaign_table
    from host_tools.droptest import mc as droptest_mc
    from host_tools.paths import QEMU_M3_FIRMWARE

    sc = drone(run={"sample_hz": float(SAMPLE_HZ)})
    summary = droptest_mc.run_campaign(
        sc, 1, seed=3, out_dir=tmp_path, fleet=Fleet(workers=1, target="qemu-m3"), plots=False
    )
    assert summary["errors"] == 0 and summary["passed"] == 1, summary
    (row,) = campaign_table.read(tmp_path / campaign_table.TABLE_NAME)
    assert row["target"] == "qemu-m3"
    assert MACHINE in row["interpreter"] and str(QEMU_M3_FIRMWARE) in row["interpreter"]


@pytest.mark.parametrize("duty_permille", [1, 10])
def test_the_firmware_boots_whole_in_the_cortex_m3_heap(template_flash, tmp_path, duty_permille):
    """Boot builds the config (with its beacon duty-cycle check), the
    sequencer, the flight log and the beacon in the 192 KB heap, whether the
    config passes the check or not: nothing is left out (a heap fragmented
    at boot shows here first as the flight log's 4 KB buffer missing)."""
    from host_tools.board.board import Board

    flash_dir = tmp_path / "flash"
    shutil.copytree(template_flash, flash_dir)
    config = {"duty_cycle_permille": duty_permille, "callsign": "VK2ABC"}
    code = (
        f"f = open('config.json', 'w')\nf.write({json.dumps(config)!r})\nf.close()\n"
        "import app\na = app.App()\n"
        "print('BOOT', a.errors, a.log is not None, a.beacon is not None, len(a.config_errors))\n"
    )
    with QemuBoard(flash_dir=flash_dir) as board, Board(board.port) as link:
        link.enter_raw_repl("boot check")
        try:
            out = link.exec(code, timeout_s=120).decode(errors="replace")
        finally:
            link.leave_raw_repl()
    boot = next(line for line in out.splitlines() if line.startswith("BOOT"))
    rejected = 1 if duty_permille == 1 else 0  # 0.1 %: less than one SF12 packet
    assert boot == f"BOOT [] True True {rejected}", out
