"""A Board reading protocol lines from a port: whole lines however the bytes arrive, None
at the deadline, a BoardError naming the port when it goes away."""

import os
import threading
import time
import tty

import pytest

from host_tools.board.board import Board, BoardError


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
