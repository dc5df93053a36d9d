"""After a drop test on the virtual board, `capsule log pull` brings back a
flight log whose fire events match what the drop test saw over the link."""

import subprocess
import sys
from pathlib import Path

import pytest

from host_tools import droptest, scenario
from host_tools.flash import flash
from host_tools.flightlog import decode_path
from host_tools.link import BoardLink
from host_tools.vboard import VirtualBoard

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
CHANNELS = {0: "drogue", 1: "main"}


def test_pulled_log_fire_events_match_the_drop_test_report(tmp_path):
    with VirtualBoard(tmp_path / "flash") as vb:
        flash(vb.port, "sim", log=lambda *a: None)
        link = BoardLink(vb.port, timeout=droptest.REPLY_TIMEOUT_S)
        try:
            result = droptest.run_scenario(scenario.load("drone_drop"), link=link, plots=False)
        finally:
            link.close()
        assert result.passed, [e for e in result.expectations if not e["passed"]]
        out = tmp_path / "flight.log"
        r = subprocess.run(
            [str(Path(sys.executable).with_name("capsule")), "log", "pull", "--port", vb.port,
             "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert r.returncode == 0, r.stderr
    log = decode_path(out)
    assert not log.damage
    logged = [(CHANNELS[e.a], e.t_ms) for e in log.fires()]
    reported = [(e.extra["channel"], e.t_s) for e in result.events if e.kind == "fire"]
    assert [c for c, _ in logged] == [c for c, _ in reported] == ["drogue", "main"]
    # the same interval between the fires, to a sample (10 ms at 100 Hz)
    log_gap_s = (logged[1][1] - logged[0][1]) / 1000.0
    report_gap_s = reported[1][1] - reported[0][1]
    assert abs(log_gap_s - report_gap_s) <= 0.011
