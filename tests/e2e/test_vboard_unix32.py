"""The virtual board on the 32-bit unix port (`--target unix32`): a board's
word size behind the same relay, flashed and flown like the default one."""

import subprocess
import sys
from pathlib import Path

import pytest
from mpy import port_missing
from scenario_variants import drone

from host_tools.board.targets import make_board
from host_tools.droptest import runner as droptest
from host_tools.droptest.campaign import Fleet

pytestmark = [
    pytest.mark.skipif(port_missing("unix32") is not None, reason=str(port_missing("unix32"))),
    pytest.mark.slow,
    pytest.mark.timeout(300),
]

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def test_unix32_board_answers_mpremote_with_a_32_bit_word(tmp_path):
    with make_board("unix32", tmp_path / "flash") as board:
        r = subprocess.run(
            [MPREMOTE, "connect", board.port, "exec", "import sys; print(sys.maxsize)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(2**31 - 1)


def test_drone_drop_on_the_32_bit_board():
    result = droptest.run_scenario(drone(), plots=False, target="unix32")
    assert result.passed, [e for e in result.expectations if not e["passed"]]
    assert [e.extra["channel"] for e in result.fires()] == ["drogue", "main"]


def test_a_campaign_flies_every_flight_on_its_target(tmp_path):
    from host_tools.droptest import campaign_table
    from host_tools.droptest import mc as droptest_mc
    from host_tools.paths import micropython_unix32

    sc = drone(run={"sample_hz": 25.0})
    summary = droptest_mc.run_campaign(
        sc, 2, seed=3, out_dir=tmp_path, fleet=Fleet(workers=1, target="unix32"), plots=False
    )
    assert summary["errors"] == 0 and summary["passed"] == 2, summary
    rows = campaign_table.read(tmp_path / campaign_table.TABLE_NAME)
    assert [r["index"] for r in rows] == [0, 1]
    for r in rows:
        assert r["target"] == "unix32"
        assert r["interpreter"] == str(micropython_unix32())
