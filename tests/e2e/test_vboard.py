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

from host_tools.board.vboard import VirtualBoard

BIN = Path(sys.executable).parent
MPREMOTE = [str(BIN / "mpremote")]


def mpremote(port, *args, timeout=30):
    return subprocess.run(
        MPREMOTE + ["connect", port, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_until(ser, marker, timeout=10):
    end = time.time() + timeout
    data = b""
    while time.time() < end:
        data += ser.read(ser.in_waiting or 1)
        if marker in data:
            return data
    raise AssertionError(f"did not see {marker!r} in {data[-500:]!r} (open={ser.is_open})")


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
