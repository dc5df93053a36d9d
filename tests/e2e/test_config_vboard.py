"""A board's config and its go/no-go, end to end on the virtual board: a
rejected config.json leaves the board refusing to arm with every reason in
`status`; `capsule config pull/push/diff`; `capsule droptest --port` puts the
board's own config back; `capsule preflight` says GO on a healthy board and
NO-GO (with what to do) otherwise."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gnss_cases import nmea

from host_tools.board.board import Board
from host_tools.board.vboard import VirtualBoard
from host_tools.protocol.frames import gnss_frame, sample_frame, sync_frame
from host_tools.protocol.lines import parse_line

BIN = Path(sys.executable).parent
GOOD = {"main_deploy_m": 2500, "callsign": "VK2ABC"}
REJECTED = {"main_deploy_m": 12000, "drogue_deploy_m": "400", "colour": "red"}


def capsule(*args, timeout=120):
    return subprocess.run(
        [str(BIN / "capsule"), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def reply(port, cmd):
    r = capsule("console", "--port", port, "--cmd", cmd, "--raw")
    return parse_line(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None


@pytest.fixture
def vboard(tmp_path):
    """A flashed virtual board: (port, flash dir, good config file)."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    with VirtualBoard(tmp_path / "flash") as vb:
        r = capsule("flash", "--port", vb.port, "--config", str(good))
        assert r.returncode == 0, r.stderr
        yield vb.port, tmp_path / "flash", good


def reboot_with(port, flash_dir, data):
    """config.json as written by hand (flash would refuse it), then a reset."""
    (flash_dir / "config.json").write_text(json.dumps(data))
    with Board(port) as board:
        board.enter_raw_repl("test")
        board.leave_raw_repl()
        board.start_firmware()


def stand(port, gnss=True):
    """Three seconds upright and still on the stand (the self-test's clean
    window), and a GNSS fix with 8 satellites."""
    with Board(port) as b:
        data = b"".join(sample_frame(1000 + i * 10, 1013250, (0, 0, 1000)) for i in range(300))
        if gnss:
            for t in ("123519", "123520"):
                gga = f"GPGGA,{t},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
                data += gnss_frame(nmea(gga))
        b.write(data + sync_frame(9))
        assert any(x.kind == "OK" and x.name == "sync" for x in b.lines(timeout=10))


def test_rejected_config_refuses_arm_with_every_reason_in_status(vboard):
    port, flash_dir, _ = vboard
    reboot_with(port, flash_dir, REJECTED)
    status = reply(port, "status")
    assert status.fields["config"] == "invalid(3)"
    assert "config_ok" not in status.fields  # one field says it
    for key in ("main_deploy_m", "drogue_deploy_m", "colour"):
        assert key in status.fields["config_errors"], status.fields
    assert "using default" not in status.fields["config_errors"]
    stand(port)
    arm = reply(port, "arm")
    assert arm.kind == "ERR"
    assert all(k in arm.fields["msg"] for k in ("main_deploy_m", "drogue_deploy_m", "colour"))
    assert reply(port, "status").fields["armed"] == "0"


def test_config_set_on_a_rejected_config_keeps_the_other_rejections_and_their_values(vboard):
    port, flash_dir, _ = vboard
    reboot_with(port, flash_dir, REJECTED)
    r = reply(port, "config set main_deploy_m 2500")
    assert r.kind == "OK" and r.fields["config"] == "invalid(2)"
    on_flash = json.loads((flash_dir / "config.json").read_text())
    # the rejected entries stay as given: no default was written in their place
    assert on_flash == {"main_deploy_m": 2500, "drogue_deploy_m": "400", "colour": "red"}
    status = reply(port, "status")
    assert status.fields["config"] == "invalid(2)"
    assert "drogue_deploy_m" in status.fields["config_errors"]
    stand(port)
    assert reply(port, "arm").kind == "ERR"


def test_status_and_arm_agree_on_the_sensors_before_the_first_sample(vboard):
    port, _, _ = vboard
    status = reply(port, "status")
    assert status.fields["baro"] == "none" and status.fields["accel"] == "none"
    arm = reply(port, "arm")
    assert arm.kind == "ERR" and "no sensor sample yet" in arm.fields["msg"]
    assert "bus error" not in arm.fields["msg"]
    stand(port)
    assert reply(port, "status").fields["baro"] == "ok"


def test_config_pull_push_and_diff(vboard, tmp_path):
    port, _, good = vboard
    backup = tmp_path / "backup.json"
    r = capsule("config", "pull", "--port", port, "--out", str(backup))
    assert r.returncode == 0, r.stderr
    pulled = json.loads(backup.read_text())
    assert pulled["main_deploy_m"] == 2500 and pulled["callsign"] == "VK2ABC"
    assert capsule("config", "diff", "--port", port, str(good)).returncode == 0
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"main_deploy_m": 800, "callsign": "VK2ABC"}))
    r = capsule("config", "diff", "--port", port, str(other))
    assert r.returncode == 1 and "main_deploy_m" in r.stdout and "800" in r.stdout
    r = capsule("config", "push", "--port", port, str(other))
    assert r.returncode == 0, r.stderr
    assert reply(port, "config get main_deploy_m").fields["main_deploy_m"] == "800"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(REJECTED))
    r = capsule("config", "push", "--port", port, str(bad))
    assert r.returncode == 2 and "colour" in r.stderr
    r = capsule("config", "push", "--port", port, str(backup))
    assert r.returncode == 0, r.stderr
    assert capsule("config", "diff", "--port", port, str(good)).returncode == 0


def test_droptest_on_a_board_restores_its_config_and_leaves_it_safe(vboard, tmp_path):
    port, _, good = vboard
    r = capsule(
        "droptest", "drone_drop", "--port", port, "--out", str(tmp_path / "out"), "--no-plots"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "config restored" in r.stdout
    status = reply(port, "status")
    assert status.fields["phase"] == "SAFE" and status.fields["armed"] == "0"
    r = capsule("config", "diff", "--port", port, str(good))
    assert r.returncode == 0, r.stdout  # main_deploy_m 2500, start_mode reentry again
    assert (
        json.loads((tmp_path / "out" / "board_config_before.json").read_text())["main_deploy_m"]
        == 2500
    )


def test_preflight_is_go_on_a_healthy_board(vboard):
    port, _, good = vboard
    stand(port)
    r = capsule("preflight", "--port", port, "--config", str(good))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NO-GO" not in r.stdout
    for item in ("firmware", "config", "self-test", "battery", "flight log", "GNSS", "radio"):
        assert item in r.stdout
    assert "= this checkout" in r.stdout
    assert "drogue ok, main ok" in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("GO")


def test_preflight_no_go_lines_say_what_to_do(vboard):
    port, flash_dir, good = vboard
    reboot_with(port, flash_dir, REJECTED)
    stand(port, gnss=False)
    r = capsule("preflight", "--port", port, "--config", str(good), "--no-build-check")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    no_go = [i for i, line in enumerate(lines[:-1]) if line.startswith("NO-GO ")]
    names = [lines[i].split()[1] for i in no_go]
    assert "config" in names and "GNSS" in names, r.stdout
    for i in no_go:
        assert lines[i + 1].strip().startswith("->"), lines[i : i + 2]
    assert "capsule config push" in r.stdout
    assert lines[-1].startswith("NO-GO")


def test_preflight_without_a_board_exits_2(tmp_path):
    r = capsule("preflight", "--port", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "no such port" in r.stderr


def test_flash_says_what_it_did_in_whole_lines_without_a_bar_in_a_log(tmp_path):
    """Output to a file or a pipe: no progress bar (nor the blank line it
    leaves behind), and each message one line however narrow the console."""
    with VirtualBoard(tmp_path / "flash") as vb:
        r = capsule("flash", "--port", vb.port)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines and lines[0].startswith("flashed sim firmware to "), r.stderr
    assert "copied" in lines[0] and "removed" in lines[0]
    assert lines[1] == "board ready: phase=SAFE"
