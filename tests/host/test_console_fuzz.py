"""Nothing a serial line can say stops, arms or reconfigures a flying board:
random console input (Ctrl-C, raw-REPL bytes, garbled checksums, malformed
frames, refused commands) streamed between the frames of a drone drop, the
board armed, gives the same fires at the same altitudes as the clean flight,
no REPL prompt and a `status` answer to every probe (host_tools/droptest/console_fuzz.py)."""

import time

import pytest
from scenario_variants import drone

from host_tools.droptest import console_fuzz
from host_tools.droptest import runner as droptest
from host_tools.protocol.lines import format_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _fly(fuzz_per_s=0.0):
    link = droptest.open_board(reuse_flash=True)
    try:
        if not fuzz_per_s:
            return droptest.DropTest(drone(), link, seed=3).run(), None, None
        return console_fuzz.run(link, drone(), seed=3, inputs_per_s=fuzz_per_s)
    finally:
        link.close()


def test_fuzzed_console_in_flight_changes_nothing_the_flight_does():
    clean, _, _ = _fly()
    fuzzed, fuzz, test = _fly(fuzz_per_s=25.0)
    assert fuzz.inputs >= 2000
    assert console_fuzz.anomalies(clean, fuzzed, fuzz, test) == []
    assert [c for c, _ in console_fuzz.fires(fuzzed)] == ["drogue", "main"]


def _reply(link, name, timeout=3):
    for line in link.lines(timeout=timeout):
        if line.kind in ("OK", "ERR") and line.name == name:
            return line
    return None


def test_ctrl_c_and_raw_repl_bytes_do_not_stop_an_armed_board_and_repl_is_refused():
    link = droptest.open_board(reuse_flash=True)
    try:
        # an armed board on the stand: a drop test's stand phase (it arms)
        test = droptest.DropTest(drone(), link, seed=1)
        test._wait_ready()
        test._stand()
        assert link.command("status").fields["armed"] == "1"
        link.write(b"\x03")
        link.write(b"\x03\x01\x04\x02\r\n")
        link.write(b"x\x03\x03status\n")
        assert link.command("status").fields["armed"] == "1"
        link.write(format_command("repl"))
        reply = _reply(link, "repl")
        assert reply.kind == "ERR" and "SAFE" in reply.get("msg")
        assert link.command("status").fields["armed"] == "1"
        assert not [n for n in link.noise if b">>>" in n or b"Traceback" in n]
        assert b">>>" not in link.pending_text()
    finally:
        link.close()


def test_repl_command_hands_a_disarmed_board_over_to_the_repl():
    link = droptest.open_board(reuse_flash=True)
    try:
        assert link.hand_over() is True
        link.write(b"print(6*7)\r\n")
        seen = b""
        deadline = time.monotonic() + 5
        while b"42" not in seen and time.monotonic() < deadline:
            seen += link.read_raw_line(deadline) or b""
        assert b"42" in seen
        assert link.start_firmware() is not None
        assert link.command("status").kind == "OK"
    finally:
        link.close()
