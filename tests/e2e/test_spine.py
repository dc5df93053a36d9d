"""End to end over a serial port: flash the firmware, talk to it, reset it,
unplug it, and point the tools at things that are not our board.

Runs against the virtual board; with `--port PORT` the board-facing tests run
against that board instead (a real Pico on the bench).
"""

import subprocess
import sys
from pathlib import Path

import pytest
from pty_peer import answering_port

from host_tools.board.board import Board
from host_tools.board.flash import build_image, flash
from host_tools.board.vboard import VirtualBoard
from host_tools.protocol.lines import format_command, parse_line

BIN = Path(sys.executable).parent


def capsule(*args, timeout=60):
    return subprocess.run(
        [str(BIN / "capsule"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def flashed(tmp_path_factory, request):
    port = request.config.getoption("--port")
    if port:
        flash(port, "pico")
        yield port, None
        return
    with VirtualBoard(tmp_path_factory.mktemp("flash")) as vb:
        r = capsule("flash", "--port", vb.port, "--board", "sim")
        assert r.returncode == 0, r.stderr
        assert "board ready" in r.stderr
        yield vb.port, vb


def test_capsule_console_cmd_status_reports_phase_armed_and_version(flashed):
    port, _ = flashed
    r = capsule("console", "--port", port, "--cmd", "status", "--raw")
    assert r.returncode == 0, r.stderr
    line = parse_line(r.stdout.strip())
    assert line is not None and line.kind == "OK" and line.name == "status"
    assert line.fields["phase"] == "SAFE"
    assert line.fields["armed"] == "0"
    assert line.fields["fw"]


def test_unknown_command_is_an_error_reply_and_exit_1(flashed):
    port, _ = flashed
    r = capsule("console", "--port", port, "--cmd", "launch-the-missiles")
    assert r.returncode == 1
    assert "unknown command" in r.stdout


def test_reflash_copies_nothing_when_nothing_changed(flashed):
    port, vb = flashed
    if vb is None:
        pytest.skip("virtual board only")
    result = flash(port, "sim")
    assert result["copied"] == []
    assert result["unchanged"] > 10


def test_reflash_replaces_a_file_damaged_on_the_board(flashed):
    port, vb = flashed
    if vb is None:
        pytest.skip("virtual board only")
    victim = vb.flash_dir / "wire.mpy"
    victim.write_bytes(b"\x00garbage")
    result = flash(port, "sim")
    assert result["copied"] == ["wire.mpy"]
    assert victim.read_bytes() == build_image("sim")["wire.mpy"]


def test_board_comes_back_in_the_same_state_after_mpremote_soft_reset(flashed):
    port, _ = flashed
    before = parse_line(capsule("console", "--port", port, "--cmd", "status", "--raw").stdout)
    r = subprocess.run(
        [str(BIN / "mpremote"), "connect", port, "soft-reset"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 0
    after = parse_line(capsule("console", "--port", port, "--cmd", "status", "--raw").stdout)
    assert after.fields["phase"] == before.fields["phase"]
    assert after.fields["armed"] == before.fields["armed"]


def test_noisy_command_line_is_rejected_not_executed(flashed):
    port, _ = flashed
    with Board(port) as link:
        link.write(b"arm*00\n")  # wrong checksum: must not arm
        reply = None
        for line in link.lines(timeout=2):
            if line.kind in ("OK", "ERR"):
                reply = line
                break
        assert reply is not None and reply.kind == "ERR"
        status = link.command("status")
        assert status.fields["armed"] == "0"


def _reply(link, timeout=3):
    for line in link.lines(timeout=timeout):
        if line.kind in ("OK", "ERR"):
            return line
    return None


# a checksum garbled by noise, or what noise can make of a command line
GARBLED_CHECKSUMS = ["", " *ZZ", " *6", "*6", " 7E", " 00", "*7", "*0G", "* 7E", "*7E1", "*"]


def test_a_command_that_changes_state_needs_a_well_formed_matching_checksum(flashed):
    port, _ = flashed
    with Board(port) as link:
        before = link.command("config get landed_s").fields["landed_s"]
        for i, tail in enumerate(GARBLED_CHECKSUMS):
            value = 30 + i
            link.write(f"config set landed_s {value}{tail}\n".encode())
            reply = _reply(link)
            assert reply is not None and reply.kind == "ERR", tail
            assert "checksum" in reply.get("msg", ""), (tail, reply.raw)
            link.write(f"arm{tail}\n".encode())
            reply = _reply(link)
            assert reply is not None and reply.kind == "ERR" and "checksum" in reply.get("msg")
        assert link.command("config get landed_s").fields["landed_s"] == before
        assert link.command("status").fields["armed"] == "0"


def test_read_only_commands_answer_without_a_checksum_and_refuse_a_bad_one(flashed):
    port, _ = flashed
    with Board(port) as link:
        for text in ("status", "version", "help", "sensors", "gnss", "config get landed_s"):
            link.write(text.encode() + b"\n")
            reply = _reply(link)
            assert reply is not None and reply.kind == "OK", text
        link.write(b"status *ZZ\n")
        reply = _reply(link)
        assert reply.kind == "ERR" and reply.get("msg") == "bad checksum"


def test_help_cmd_gives_the_commands_usage_and_every_command_has_one(flashed):
    from host_tools.paths import firmware_module

    port, _ = flashed
    usage = firmware_module("cmd_usage").USAGE
    with Board(port) as link:
        names = link.command("help").fields["commands"].split(",")
        assert sorted(names) == sorted(usage)
        reply = link.command("help config")
        assert reply.kind == "OK" and reply.fields["usage"] == usage["config"][0]
        reply = link.command("help nosuch")
        assert reply.kind == "ERR" and "no command nosuch" in reply.get("msg")
        assert link.command("status").kind == "OK"


def typed_into_console(port, log, typed):
    """`capsule console` on `port` with `typed` as what a person types, logging to `log`."""
    return subprocess.run(
        [str(BIN / "capsule"), "console", "--port", port, "--log", str(log)],
        input=typed,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_interactive_console_adds_checksums_so_a_typed_config_set_works(flashed, tmp_path):
    port, _ = flashed
    log = tmp_path / "console.log"
    r = typed_into_console(port, log, "config set landed_s 21\nconfig get landed_s\n")
    assert r.returncode == 0, r.stderr
    replies = [parse_line(x.split(" ", 1)[1]) for x in log.read_text().splitlines()]
    got = [x for x in replies if x is not None and x.name == "config"]
    assert [x.kind for x in got] == ["OK", "OK"], got
    assert got[-1].fields["landed_s"] == "21"
    with Board(port) as link:
        assert link.command("config set landed_s 20").kind == "OK"


def test_killing_the_board_mid_command_gives_a_clear_error_not_a_hang(tmp_path):
    vb = VirtualBoard(tmp_path / "flash").start()
    try:
        flash(vb.port, "sim")
        proc = subprocess.Popen(
            [
                str(BIN / "capsule"),
                "console",
                "--port",
                vb.port,
                "--cmd",
                "status",
                "--timeout",
                "5",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        vb.stop()  # unplugged
        out, err = proc.communicate(timeout=20)
    finally:
        vb.stop()
    assert proc.returncode != 0 or "status" in out  # answered before the cut, or failed
    if proc.returncode != 0:
        assert err.strip() and "Traceback" not in err


def test_wrong_port_is_a_clear_error():
    r = capsule("console", "--port", "/dev/does-not-exist", "--cmd", "status")
    assert r.returncode == 2
    assert "cannot open /dev/does-not-exist" in r.stderr
    assert "Traceback" not in r.stderr
    r = capsule("flash", "--port", "/dev/does-not-exist")
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.parametrize("reply", [b"", b"\xff\xfe garbage 123*ZZ\r\n"])
def test_port_that_is_not_micropython_is_a_clear_error(reply):
    with answering_port(lambda _data: reply) as path:
        r = capsule("flash", "--port", path, timeout=60)
        assert r.returncode == 2
        assert "MicroPython" in r.stderr and "Traceback" not in r.stderr
        r = capsule("console", "--port", path, "--cmd", "status", "--timeout", "1")
        assert r.returncode == 2
        assert "no reply" in r.stderr or "no valid reply" in r.stderr


def test_garbled_reply_is_not_taken_as_an_answer():
    good = "OK 12 status phase=SAFE armed=0"
    from host_tools.protocol.lines import checksum

    assert parse_line(f"{good}*{checksum(good):02X}").fields["phase"] == "SAFE"
    assert parse_line("{}*{:02X}".format(good.replace("SAFE", "SAVE"), checksum(good))) is None
    assert parse_line("OK 12 status phase=SAFE") is None
    assert format_command("status").endswith(b"\n")


def test_dry_run_lists_what_would_be_copied_for_a_pico():
    r = capsule("flash", "--board", "pico", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "board_pico.mpy" in r.stdout and "main.py" in r.stdout
    assert "board.json" in r.stdout


def test_interactive_console_sends_typed_commands_and_logs_what_it_sees(flashed, tmp_path):
    port, _ = flashed
    log = tmp_path / "console.log"
    r = typed_into_console(port, log, "status\nversion\n")
    assert r.returncode == 0, r.stderr
    text = log.read_text()
    assert " OK " in " " + text or "OK " in text
    assert "status" in text and "version" in text


def test_flash_that_does_not_fit_says_the_board_is_full(tmp_path):
    with VirtualBoard(tmp_path, lfs_kb=48) as vb:  # a 48 KB LittleFS flash
        r = capsule("flash", "--port", vb.port)
    assert r.returncode == 2
    assert "board flash is full" in r.stderr and "Traceback" not in r.stderr
