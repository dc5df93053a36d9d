"""Commands that talk to a board, against the devices a team plugs in by
mistake: a silent port, one that echoes, MicroPython without this firmware,
a firmware that fails to start, a busy port, a file that is no port. Each
gives up within 10 s with exit status 2 and a message naming the fault,
says what it waits for on any wait over 2 s, and never shows a traceback of
ours."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial
from pty_peer import answering_port, echo

from host_tools.board.vboard import VirtualBoard

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.timeout(120)


def capsule(*args, timeout=60):
    start = time.monotonic()
    r = subprocess.run(
        [str(BIN / "capsule"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return r, time.monotonic() - start


@pytest.fixture(params=["silent", "echo"])
def dumb_port(request):
    with answering_port(echo if request.param == "echo" else None) as port:
        yield request.param, port


WHAT = {"silent": "silent", "echo": "echoes back what it is sent"}


@pytest.mark.parametrize(
    "cmd",
    [
        ["console", "--cmd", "status"],
        ["log", "pull", "--out", "OUT"],
        ["log", "clear", "--yes"],
        ["droptest", "drone_drop", "--no-plots", "--out", "OUT"],
    ],
)
def test_a_silent_or_echoing_port_is_named_within_10_s(dumb_port, cmd, tmp_path):
    kind, port = dumb_port
    args = [str(tmp_path / "out") if a == "OUT" else a for a in cmd] + ["--port", port]
    r, took = capsule(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert took < 10, took
    assert WHAT[kind] in r.stderr
    assert "..." in r.stderr and "gives up after" in r.stderr  # a wait over 2 s says so
    assert "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def plain_board(tmp_path_factory):
    """The MicroPython unix port behind a pty, nothing flashed."""
    with VirtualBoard(tmp_path_factory.mktemp("plain")) as vb:
        yield vb.port


@pytest.mark.parametrize(
    "cmd",
    [
        ["console", "--cmd", "status"],
        ["log", "clear", "--yes"],
        ["droptest", "drone_drop", "--no-plots", "--out", "OUT"],
    ],
)
def test_micropython_without_the_firmware_is_called_so(plain_board, cmd, tmp_path):
    args = [str(tmp_path / "out") if a == "OUT" else a for a in cmd] + ["--port", plain_board]
    r, took = capsule(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert took < 10, took
    assert "MicroPython without this firmware" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_firmware_that_fails_to_start_shows_the_boards_traceback(tmp_path):
    (tmp_path / "main.py").write_text("import capsule_missing_module\n")
    with VirtualBoard(tmp_path) as vb:
        r, took = capsule("console", "--port", vb.port, "--cmd", "status")
    assert r.returncode == 2, r.stdout + r.stderr
    assert took < 10, took
    assert "failed to start" in r.stderr
    assert "Traceback (most recent call last)" in r.stderr
    assert "capsule_missing_module" in r.stderr
    assert 'Type "help()"' not in r.stderr  # the trace, not the REPL's banner after it


def test_a_busy_port_is_named_busy_with_who_holds_it(tmp_path):
    with answering_port() as port, serial.Serial(port, exclusive=True):
        for cmd in (["console", "--cmd", "status"], ["log", "pull", "--out", str(tmp_path)]):
            r, _ = capsule(*cmd, "--port", port)
            assert r.returncode == 2
            assert "is busy" in r.stderr and f"PID {os.getpid()}" in r.stderr, r.stderr


@pytest.mark.parametrize(
    "port, words", [("/dev/null", "not a serial port"), (__file__, "a file, not a serial port")]
)
def test_what_is_not_a_serial_port_is_named(port, words):
    r, _ = capsule("console", "--port", port, "--cmd", "status")
    assert r.returncode == 2 and words in r.stderr
    assert "Inappropriate ioctl" not in r.stderr
