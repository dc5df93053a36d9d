"""`capsule console` as a person uses it, under a pseudo-terminal: line
editing and history on the host (prompt_toolkit), only the finished,
printable command goes to the board, `help` lists usage, the board's events
print above the prompt without breaking the line being typed."""

import os
import pty
import select
import sys
import threading
import time
import tty
from pathlib import Path

import pytest

from host_tools.protocol.lines import checksum

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.timeout(60)


def board_line(body):
    return f"{body}*{checksum(body):02X}\r\n".encode()


class FakeFirmware:
    """A board on a pty that records every line it receives and answers
    checksummed commands the way the firmware does."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        buf = b""
        while not self.stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                buf += os.read(self.master, 4096)
            except OSError:
                return
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                self.received.append(raw)
                self.answer(raw.decode(errors="replace"))

    def answer(self, text):
        body, _, want = text.partition("*")
        if not want or int(want, 16) != checksum(body):
            os.write(self.master, board_line('ERR 0 line msg="bad checksum"'))
            return
        words = body.split()
        if words[0] == "help" and len(words) == 1:
            os.write(self.master, board_line("OK 1500 help commands=arm,config,status"))
        elif words[0] in ("status", "help", "version"):
            os.write(self.master, board_line(f"OK 1500 {words[0]} phase=SAFE"))
        else:
            os.write(self.master, board_line(f'ERR 1500 {words[0]} msg="unknown command"'))

    def event(self, body):
        os.write(self.master, board_line(body))

    def close(self):
        self.stop.set()
        self.thread.join(2)
        os.close(self.slave)
        os.close(self.master)


class Terminal:
    """`capsule console` with a pty as its terminal."""

    def __init__(self, port, history):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "xterm"
            os.environ["PROMPT_TOOLKIT_NO_CPR"] = "1"  # this pty does not answer CPR
            os.execv(
                str(BIN / "capsule"),
                ["capsule", "console", "--port", port, "--history", str(history)],
            )
        self.pid, self.fd = pid, fd
        self.screen = b""

    def read(self, for_s=0.3):
        end = time.monotonic() + for_s
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    self.screen += os.read(self.fd, 65536)
                except OSError:
                    return

    def wait_for(self, text, timeout=15):
        end = time.monotonic() + timeout
        while text.encode() not in self.screen and time.monotonic() < end:
            self.read(0.1)
        assert text.encode() in self.screen, self.screen[-600:]

    def type(self, keys):
        for ch in keys:  # one key at a time, as typed
            os.write(self.fd, ch.encode() if isinstance(ch, str) else ch)
            self.read(0.02)

    def quit(self):
        os.write(self.fd, b"\x04")
        end = time.monotonic() + 10
        while time.monotonic() < end:
            self.read(0.1)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        return None


LEFT, UP, HOME = "\x1b[D", "\x1b[A", "\x01"


@pytest.fixture
def session(tmp_path):
    fw = FakeFirmware()
    term = Terminal(fw.port, tmp_path / "history")
    term.wait_for("connected to")
    yield fw, term
    fw.close()


def sent(fw):
    return [r.decode().partition("*")[0] for r in fw.received]


def test_arrows_edit_the_line_and_only_the_finished_command_is_sent(session):
    fw, term = session
    term.type(["t", "a", "t", "u", "s", HOME, "s", "\r"])  # typed "tatus", then Home, "s"
    term.wait_for("phase=SAFE")
    term.type(list("verxion") + [LEFT, LEFT, LEFT, "\x08", "s", "\r"])  # fix a typo in place
    deadline = time.monotonic() + 5
    while len(fw.received) < 2 and time.monotonic() < deadline:
        term.read(0.1)
    assert sent(fw) == ["status", "version"]
    assert all(b"\x1b" not in r for r in fw.received)
    assert term.quit() == 0


def test_up_recalls_history_and_control_bytes_never_reach_the_board(session):
    fw, term = session
    term.type(list("status") + ["\r"])
    term.wait_for("phase=SAFE")
    term.type([UP, "\r"])  # the same command again, from history
    deadline = time.monotonic() + 5
    while len(fw.received) < 2 and time.monotonic() < deadline:
        term.read(0.1)
    term.type(list("stat") + ["\x11", "\x07", "\r"])  # Ctrl-Q Ctrl-G: a literal control byte
    term.wait_for("not sent")
    assert sent(fw) == ["status", "status"]
    assert term.quit() == 0


def test_help_lists_usage_and_events_print_above_the_line_being_typed(session):
    fw, term = session
    term.type(list("help") + ["\r"])
    term.wait_for("config list | config get KEY | config set KEY VALUE")
    term.type(list("sta"))
    fw.event("EVT 2000 phase from=SAFE to=ARMED")
    term.wait_for("to=ARMED")
    term.type(list("tus") + ["\r"])
    deadline = time.monotonic() + 5
    while len(fw.received) < 2 and time.monotonic() < deadline:
        term.read(0.1)
    assert sent(fw) == ["help", "status"]
    # the host's clock, not the board's 0.000 s, leads every line
    assert b"t=2.000" in term.screen
    assert term.quit() == 0


@pytest.mark.parametrize(
    "typed, ok", [("status", True), ("st\x1b[Aatus", False), ("arm*00", False), ("é", False)]
)
def test_only_printable_commands_without_a_checksum_pass(typed, ok):
    from host_tools.cli.cmd_console import check_typed

    if ok:
        assert check_typed(typed) == typed
    else:
        with pytest.raises(ValueError, match="not sent"):
            check_typed(typed)
