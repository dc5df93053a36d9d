"""The virtual board looks like a MicroPython board to unmodified mpremote and pyserial."""

import itertools
import os
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import serial
from board_io import mpremote, read_until

from host_tools.board import vboard
from host_tools.board.vboard import VirtualBoard
from host_tools.paths import micropython_executable
from host_tools.protocol.lines import format_command

BIN = Path(sys.executable).parent


@pytest.fixture
def board(tmp_path):
    with VirtualBoard(tmp_path / "flash") as vb:
        yield vb


def test_mpremote_exec_prints_42_without_resume(board):
    r = mpremote(board.port, "exec", "print(6*7)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"


def test_mpremote_fs_cp_ls_and_read_back_go_to_the_flash_dir(board, tmp_path):
    src = tmp_path / "hello.py"
    src.write_text("GREETING = 'hi'\n")
    assert mpremote(board.port, "fs", "cp", str(src), ":hello.py").returncode == 0
    assert (board.flash_dir / "hello.py").read_text() == "GREETING = 'hi'\n"
    r = mpremote(board.port, "fs", "ls")
    assert "hello.py" in r.stdout
    r = mpremote(board.port, "exec", "import hello; print(hello.GREETING)")
    assert r.stdout.strip() == "hi"
    back = tmp_path / "back.py"
    assert mpremote(board.port, "fs", "cp", ":hello.py", str(back)).returncode == 0
    assert back.read_text() == src.read_text()


def test_host_files_are_out_of_reach_of_the_board(board):
    r = mpremote(board.port, "exec", "import os; print(os.listdir('/'))")
    assert r.stdout.strip() == "[]"


def test_mpremote_run_and_soft_reset(board, tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print('ran', 1 + 1)\n")
    r = mpremote(board.port, "run", str(script))
    assert r.stdout.strip() == "ran 2"
    before = board.resets
    assert mpremote(board.port, "soft-reset").returncode == 0
    assert board.resets > before
    assert mpremote(board.port, "exec", "print('back')").stdout.strip() == "back"


def test_port_path_survives_soft_reset_and_main_py_runs(board):
    (board.flash_dir / "main.py").write_text("print('main says hello')\n")
    port = board.port
    with serial.Serial(port, 115200, timeout=0.2) as ser:
        ser.write(b"\r\x03")
        read_until(ser, b">>> ")
        ser.write(b"\x04")  # friendly REPL Ctrl-D: soft reset, runs main.py
        data = read_until(ser, b"main says hello")
        if b">>> " not in data.split(b"main says hello")[1]:
            data += read_until(ser, b">>> ")
        assert b"soft reboot" in data
        ser.write(b"1+2\r")
        assert b"3" in read_until(ser, b">>> ")
    assert board.port == port and Path(port).exists()


def test_ctrl_c_interrupts_a_running_main_py(board):
    (board.flash_dir / "main.py").write_text(
        "import time\nprint('looping')\nwhile True:\n    time.sleep_ms(5)\n"
    )
    with serial.Serial(board.port, 115200, timeout=0.2) as ser:
        ser.write(b"\r\x03")
        read_until(ser, b">>> ")
        ser.write(b"\x04")
        read_until(ser, b"looping")
        ser.write(b"\x03")
        data = read_until(ser, b">>> ")
        assert b"KeyboardInterrupt" in data


def test_power_cut_line_restarts_like_power_on(board):
    (board.flash_dir / "main.py").write_text(
        "import sys\nprint('booted')\nwhile True:\n    sys.stdin.buffer.read(1)\n"
    )
    with serial.Serial(board.port, 115200, timeout=0.2) as ser:
        before = board.resets
        board.power_cycle()  # carried out by the relay thread: wait until it was
        deadline = time.monotonic() + 10.0
        while board.resets == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert board.resets == before + 1
        read_until(ser, b"booted")
        n = board.resets
        ser.write(b"\n#R\n")
        read_until(ser, b"booted")
        assert board.resets == n + 1


def test_cli_prints_port_and_exits_cleanly_on_sigterm(tmp_path):
    proc = subprocess.Popen(
        [str(BIN / "capsule"), "vboard", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/")
        assert mpremote(port, "exec", "print(7*6)").stdout.strip() == "42"
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert children, "the interpreter runs as a child of the relay"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    for pid in children:
        assert (
            not os.path.exists(f"/proc/{pid}")
            or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )


def test_littlefs_flash_image_holds_files_across_power_cuts(tmp_path):
    with VirtualBoard(tmp_path, lfs_kb=256) as vb:
        src = tmp_path / "data.txt"
        src.write_text("kept\n")
        assert mpremote(vb.port, "fs", "cp", str(src), ":data.txt").returncode == 0
        r = mpremote(vb.port, "exec", "import os; print(os.statvfs('/')[0] * os.statvfs('/')[2])")
        assert int(r.stdout.strip()) == 256 * 1024
        vb.power_cycle()
        time.sleep(0.5)
        r = mpremote(vb.port, "exec", "print(open('data.txt').read().strip())")
        assert r.stdout.strip() == "kept"
    assert (tmp_path / "flash.img").stat().st_size == 256 * 1024


def _cuts_and_passed(stream, split_at):
    """Feed `stream` to the relay's input watch as writes split at the given
    positions: (cuts requested, bytes passed to the board)."""
    vb = VirtualBoard.__new__(VirtualBoard)
    VirtualBoard.__init__(vb, flash_dir=None, micropython="micropython")
    cuts = 0
    passed = b""
    try:
        bounds = [0, *split_at, len(stream)]
        for a, b in itertools.pairwise(bounds):
            passed += vb._watch_input(stream[a:b])
            if vb._cut_requested:
                cuts += 1
                vb._cut_requested = False
    finally:
        vb.stop()
    return cuts, passed


def test_bytes_behind_a_ctrl_c_wait_for_a_prompt_printed_after_it(monkeypatch):
    # The friendly REPL printed its prompt and echoes the hand-over line when
    # mpremote's Ctrl-C and Ctrl-A come. The prompt still in what the relay
    # saw last is not the one the Ctrl-A waits for: the interpreter may yet
    # end by that Ctrl-C while printing the line's traceback.
    monkeypatch.setattr(vboard, "INTERRUPT_SETTLE_S", 60.0)
    vb = VirtualBoard.__new__(VirtualBoard)
    VirtualBoard.__init__(vb, flash_dir=None, micropython="micropython")
    try:
        vb._watch_output(b'Type "help()" for more information.\r\n>>> r')
        assert vb._watch_input(b"\r\x03\r\x01") == b"\r\x03"
        vb._watch_output(b"epl*0B\r\nTraceback (most recent call last):\r\n")
        assert vb._to_child == b""
        vb._watch_output(b"SyntaxError: invalid syntax\r\n>")
        assert vb._to_child == b""
        vb._watch_output(b">> ")
        assert vb._to_child == b"\r\x01"
    finally:
        vb.stop()


def _sigint_default():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("late", ["settle time over", "terminal flag seen off"])
def test_bytes_let_through_behind_a_ctrl_c_go_to_the_restarted_repl(monkeypatch, late):
    # Whether a Ctrl-C is a signal is decided when the interpreter's terminal
    # takes it in, and it lands when the interpreter next runs: on a loaded
    # machine after the bytes behind it were let through, because no prompt
    # came within the settle time, or because the relay saw the terminal's
    # ISIG flag still off (the REPL turns it on for every line it runs). If
    # the Ctrl-C then ends the interpreter, it read none of those bytes: the
    # interpreter restarted at its REPL gets them.
    monkeypatch.setattr(vboard, "INTERRUPT_SETTLE_S", 0.0)
    vb = VirtualBoard.__new__(VirtualBoard)
    VirtualBoard.__init__(vb, flash_dir=None, micropython="micropython")
    if late == "terminal flag seen off":
        monkeypatch.setattr(vb, "_child_interrupts", lambda: False)
    spawned = []
    monkeypatch.setattr(vb, "_spawn", lambda raw, crashed=False, mode=None: spawned.append(mode))
    read_end, vb._child_fd = os.pipe()
    # an interpreter that dies of SIGINT, whatever this process inherited
    # (a shell's background job ignores it; a library may block it)
    vb._child = subprocess.Popen(["sleep", "60"], preexec_fn=_sigint_default)  # noqa: PLW1509
    try:
        vb._to_child += vb._watch_input(b"\r\x03")
        vb._write_child()
        vb._to_child += vb._watch_input(b"\r\x01")
        vb._release_after_interrupt(False)
        vb._write_child()
        vb._to_child += vb._watch_input(b"print(6*7)\r")
        vb._write_child()
        assert os.read(read_end, 100) == b"\r\x03\r\x01print(6*7)\r"
        vb._child.send_signal(signal.SIGINT)  # only now the Ctrl-C ends it
        vb._child.wait()
        vb._restart(power_cut=False)
        assert spawned == ["repl"]
        assert vb._to_child == b"\r\x01print(6*7)\r"
    finally:
        os.close(read_end)
        vb.stop()


@pytest.mark.parametrize("prefix", [b"x", b"#", b"status x"])
def test_power_cut_marker_inside_a_line_is_data_wherever_the_writes_split(prefix):
    stream = b"\n" + prefix + b"#R\nstatus*00\n"
    for i in range(1, len(stream)):
        for j in range(i, len(stream)):
            cuts, passed = _cuts_and_passed(stream, [i, j])
            assert cuts == 0, (i, j)
            assert passed == stream, (i, j)


def test_power_cut_marker_at_a_line_start_cuts_once_wherever_the_writes_split():
    stream = b"status*00\n#R\n"
    for i in range(1, len(stream)):
        for j in range(i, len(stream)):
            cuts, _ = _cuts_and_passed(stream, [i, j])
            assert cuts == 1, (i, j)
    assert _cuts_and_passed(b"#R\n", [])[0] == 1  # the stream's start is a line start


def test_ctrl_c_between_repl_lines_leaves_the_board_at_its_repl(board):
    # The unix port lets a Ctrl-C signal end the process between two REPL
    # lines (a traceback or the prompt being printed, the terminal's ISIG on);
    # a board's REPL shrugs it off. The virtual board comes back at its REPL:
    # main.py does not run again, and what was sent behind the Ctrl-C, in a
    # later write as mpremote sends its Ctrl-A, still arrives.
    (board.flash_dir / "main.py").write_text("print('main ran')\n")
    with serial.Serial(board.port, 115200, timeout=0.2) as ser:
        ser.write(b"\r\x03")
        read_until(ser, b">>> ")
        ser.write(b"\x04")  # soft reset: main.py runs once
        data = read_until(ser, b"main ran")
        if b">>> " not in data.split(b"main ran")[1]:
            read_until(ser, b">>> ")
        resets = board.resets
        attrs = termios.tcgetattr(board._child_fd)  # the terminal as between two lines
        attrs[3] |= termios.ISIG
        termios.tcsetattr(board._child_fd, termios.TCSANOW, attrs)
        ser.write(b"\r\x03")
        time.sleep(0.05)
        ser.write(b"print(6*7)\r")
        data = read_until(ser, b"42")
        assert board.resets == resets + 1
        assert b"main ran" not in data and b"soft reboot" not in data


def _slow_starting_micropython(tmp_path, seconds):
    """The unix port behind a start-up delay: a board that boots slowly, as
    on a loaded machine, so the host's bytes arrive before its interpreter runs."""
    exe = tmp_path / "slow-micropython"
    exe.write_text(f'#!/bin/sh\nsleep {seconds}\nexec "{micropython_executable()}" "$@"\n')
    exe.chmod(0o755)
    return str(exe)


@pytest.mark.parametrize("main_py", [None, "import time\nwhile True:\n    time.sleep_ms(5)\n"])
def test_ctrl_c_and_ctrl_a_sent_while_the_board_starts_reach_the_raw_repl(tmp_path, main_py):
    # mpremote's handshake against a board that is still starting (the
    # hand-over found nothing to answer it): its Ctrl-C lands once the board
    # runs, in main.py if there is one, never in the start-up itself, and
    # the Ctrl-A behind it, in a later write, reaches the REPL.
    flash = tmp_path / "flash"
    flash.mkdir()
    if main_py:
        (flash / "main.py").write_text(main_py)
    slow = _slow_starting_micropython(tmp_path, 2)
    with (
        VirtualBoard(flash, micropython=slow) as vb,
        serial.Serial(vb.port, 115200, timeout=0.2) as ser,
    ):
        ser.write(format_command("repl"))  # the hand-over line nothing answered
        ser.write(b"\r\x03")
        time.sleep(0.2)  # mpremote writes its Ctrl-A apart
        ser.write(b"\r\x01")
        data = read_until(ser, b"raw REPL; CTRL-B to exit\r\n>", timeout=20)
        # the Ctrl-C stopped main.py, if there is one, and nothing else
        stopped = [t for t in data.split(b"Traceback")[1:] if b"KeyboardInterrupt" in t]
        assert len(stopped) == (1 if main_py else 0), data
        assert all(b'"main.py"' in t for t in stopped), data
        ser.write(b"print(6*7)\x04")
        assert b"OK42" in read_until(ser, b"42", timeout=10)


def test_boot_py_runs_before_main_py_and_a_main_py_that_does_not_compile_says_so_at_its_turn(
    tmp_path,
):
    # The ROM reads and compiles both files before Ctrl-C can interrupt it,
    # but runs and reports them in a board's order: boot.py's output, then
    # main.py's syntax error naming main.py, then the REPL.
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "boot.py").write_text("print('boot ran')\n")
    (flash / "main.py").write_text("print('main line 1')\ndef (:\n")
    with (
        VirtualBoard(flash) as vb,
        serial.Serial(vb.port, 115200, timeout=0.2) as ser,
    ):
        ser.write(b"\r")
        data = read_until(ser, b">>> ", timeout=20)
    assert b"boot ran" in data, data
    assert data.index(b"boot ran") < data.index(b"SyntaxError"), data
    assert b'File "main.py", line 2' in data, data
    assert b"main line 1" not in data, data  # a file that does not compile runs no line
    assert b"vboard:isig" not in data, data
