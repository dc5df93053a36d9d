"""`capsule log pull` and `clear` end to end, through mpremote and a pty: the
virtual board (MicroPython unix port behind a pseudo-terminal)."""

import subprocess
import sys
from pathlib import Path

import pytest
from log_flights import write_flight

from host_tools.board.vboard import VirtualBoard
from host_tools.protocol.flightlog import decode_path

BIN = Path(sys.executable).parent


def capsule(*args, timeout=120):
    return subprocess.run(
        [str(BIN / "capsule"), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def flight_segments(tmp_path_factory, mpy_port):
    where = tmp_path_factory.mktemp("made") / "log"
    write_flight(where)
    return {p.name: p.read_bytes() for p in sorted(where.glob("*.fl"))}


def test_pull_through_the_virtual_board_retrieves_the_log_on_its_flash(tmp_path, flight_segments):
    flash = tmp_path / "flash"
    (flash / "log").mkdir(parents=True)
    for name, data in flight_segments.items():
        (flash / "log" / name).write_bytes(data)
    out = tmp_path / "pulled/"
    with VirtualBoard(flash) as vb:
        r = capsule("log", "pull", "--port", vb.port, "--out", str(out), "--no-restart")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "size and CRC-32 verified" in r.stdout
    assert out.is_dir()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == flight_segments
    log = decode_path(out)
    assert log.ok and len(log.fires()) == 2


def test_clear_on_a_disarmed_board_deletes_the_log_and_restarts_the_firmware(
    tmp_path, flight_segments
):
    flash = tmp_path / "flash"
    with VirtualBoard(flash) as vb:
        r = capsule("flash", "--port", vb.port, "--board", "sim")
        assert r.returncode == 0, r.stderr
        planted = flash / "log" / "seg007.fl"
        planted.write_bytes(next(iter(flight_segments.values())))
        r = capsule("log", "pull", "--port", vb.port, "--out", str(tmp_path / "before"))
        assert r.returncode == 0, r.stderr + r.stdout
        assert "firmware restarted" in r.stdout
        assert decode_path(tmp_path / "before").records  # the planted segment came back
        # a second pull into the same directory is refused, the board untouched
        r = capsule("log", "pull", "--port", vb.port, "--out", str(tmp_path / "before"))
        assert r.returncode == 2 and "--force" in r.stderr
        r = capsule("console", "--port", vb.port, "--cmd", "status", "--raw")
        assert r.returncode == 0 and "phase=SAFE" in r.stdout
        r = capsule("log", "pull", "--port", vb.port, "--out", str(tmp_path / "before"), "--force")
        assert r.returncode == 0 and "firmware restarted" in r.stdout, r.stderr + r.stdout
        r = capsule("log", "clear", "--port", vb.port, "--yes")
        assert r.returncode == 0, r.stderr + r.stdout
        assert "phase=SAFE armed=0" in r.stdout and "firmware restarted" in r.stdout
        assert not planted.exists()
        r = capsule("console", "--port", vb.port, "--cmd", "status", "--raw")
        assert r.returncode == 0 and "phase=SAFE" in r.stdout  # running again
