"""A Board reading protocol lines from a port: whole lines however the bytes arrive, None
at the deadline, a BoardError naming the port when it goes away."""

import os
import threading
import time
import tty

import pytest

from host_tools.board import board as board_module
from host_tools.board.board import Board, BoardError
from host_tools.protocol.lines import checksum


@pytest.fixture
def pty_port():
    master, slave = os.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    yield master, port
    os.close(slave)
    try:
        os.close(master)
    except OSError:
        pass


def test_a_line_split_over_several_writes_is_read_whole_and_in_order(pty_port):
    master, port = pty_port
    with Board(port) as link:

        def board():
            for part in (b"OK 12 sy", b"nc seq=3*", b"00\r\nEVT 13 ready*00\r\nTL", b"M 1 x*00\n"):
                os.write(master, part)
                time.sleep(0.02)

        writer = threading.Thread(target=board)
        writer.start()
        deadline = time.monotonic() + 5.0
        lines = [link.read_raw_line(deadline) for _ in range(3)]
        writer.join()
    assert lines == [b"OK 12 sync seq=3*00", b"EVT 13 ready*00", b"TLM 1 x*00"]


def test_a_silent_port_gives_none_at_the_deadline(pty_port):
    _, port = pty_port
    with Board(port) as link:
        t0 = time.monotonic()
        assert link.read_raw_line(t0 + 0.2) is None
        assert 0.15 <= time.monotonic() - t0 < 1.0


def test_a_port_that_goes_away_is_a_link_error_naming_it(pty_port):
    master, port = pty_port
    with Board(port) as link:
        os.write(master, b"partial")
        os.close(master)  # the other end hangs up: the board is unplugged
        with pytest.raises(BoardError, match=port):
            link.read_raw_line(time.monotonic() + 2.0)


# -- hand-over: a running firmware is asked to stop before the raw REPL ------------------
def _line(text):
    return f"{text}*{checksum(text):02X}\r\n".encode()


def _firmware(master, talk=(), answer=None, answer_after_s=0.0):
    """A stand-in firmware on the pty's far end: once the host's `repl`
    command arrives it prints `talk` at once and, answer_after_s later,
    `answer` (None: never answers). Returns the thread (joined before the
    pty closes)."""

    def run():
        got = b""
        while b"\n" not in got:
            got += os.read(master, 256)
        assert got.startswith(b"repl*")
        for text in talk:
            os.write(master, _line(text))
        time.sleep(answer_after_s)
        if answer:
            os.write(master, answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_hand_over_waits_for_a_firmware_that_is_still_starting(pty_port):
    # the board printed its boot event, and reads its console only after the
    # plain hand-over wait: it still hands over, and the raw REPL is not tried early
    master, port = pty_port
    late = board_module.HAND_OVER_TIMEOUT_S + 0.7
    firmware = _firmware(master, ["EVT 5 boot fw=0.1.0"], _line("OK 9 repl msg=stopped"), late)
    with Board(port) as link:
        t0 = time.monotonic()
        assert link.hand_over() is True
        assert time.monotonic() - t0 >= late
    firmware.join(5)


def test_hand_over_is_refused_by_an_armed_firmware(pty_port):
    master, port = pty_port
    firmware = _firmware(master, answer=_line('ERR 9 repl msg="armed: disarm first"'))
    with Board(port) as link, pytest.raises(BoardError, match="will not stop: armed"):
        link.hand_over()
    firmware.join(5)


def test_hand_over_of_a_silent_board_gives_up_after_the_hand_over_wait(pty_port):
    master, port = pty_port
    firmware = _firmware(master)  # at its raw REPL: says nothing
    with Board(port) as link:
        t0 = time.monotonic()
        assert link.hand_over() is False
        assert time.monotonic() - t0 < board_module.HAND_OVER_TIMEOUT_S + 1.0
    firmware.join(5)


def test_a_port_that_does_not_exist_is_named_with_the_reason():
    with pytest.raises(BoardError, match="cannot open /dev/no-such-port: no such port"):
        Board("/dev/no-such-port")
