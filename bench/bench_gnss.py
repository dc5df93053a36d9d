"""GNSS parser throughput and allocation on the MicroPython unix port, against
CircuitPython's adafruit_gps run on the same binary over the same bytes.

The stream is every gpsd regression log in shared/data/gpsd (leading '#'
comment lines removed) concatenated: 22 real receivers, NMEA of every talker,
vendor sentences, corrupted lines and UBX frames. Both parsers read it from
memory through a tiny UART shim, so the figures compare parsers, not I/O.
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.gnss_cases import gpsd_corpus

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
GPSD = ROOT.parent / "shared" / "data" / "gpsd"
SUPPORT = ROOT / "tests" / "support"
REPEATS = 5  # best of, ours and the peer interleaved: the machine is shared
PEER_HEAP = "2M"

OURS = """
import gc, time, gnss, clock
from mem_uart import CopyUart  # tests/support: allocation-free, for the allocation figure
with open(%(path)r, 'rb') as fh:
    DATA = fh.read()
N = %(sentences)d
CHUNK = gnss.RX_BUF_BYTES
CHUNKS = [DATA[i:i + CHUNK] for i in range(0, len(DATA), CHUNK)]

class MemoryUart:
    # Hands out the stream one RX buffer at a time (slice assignment in C).
    def __init__(self):
        self.k = 0
    def readinto(self, buf, n=None):
        k = self.k
        if k >= len(CHUNKS):
            return None
        c = CHUNKS[k]
        self.k = k + 1
        buf[0:len(c)] = c
        return len(c)

def best_rate():
    uart = MemoryUart()
    r = gnss.GnssReader(uart, clock.VirtualClock())
    gc.collect()
    t0 = time.ticks_us()
    while r.poll():
        pass
    r.flush()
    dt = time.ticks_diff(time.ticks_us(), t0)
    return N * 1_000_000 // dt, r

def alloc():
    uart = CopyUart(DATA)
    r = gnss.GnssReader(uart, clock.VirtualClock())
    while r.poll():          # warm-up pass
        pass
    uart.p = 0
    gc.collect()
    a = gc.mem_alloc()
    while r.poll():
        pass
    return gc.mem_alloc() - a

rate, r = best_rate()
used = alloc() if %(alloc)d else -1
print(rate, used, r.good, r.bad_checksum, r.unknown, r.ubx_frames, r.epochs)
"""

PEER = """
import gc, sys, time as _time

class _TimeShim:
    # adafruit_gps wants time.monotonic() and time.struct_time (CircuitPython).
    @staticmethod
    def monotonic():
        return _time.ticks_ms() / 1000

    class struct_time:
        def __init__(self, t):
            (self.tm_year, self.tm_mon, self.tm_mday, self.tm_hour, self.tm_min,
             self.tm_sec) = t[:6]

sys.modules['time'] = _TimeShim
import adafruit_gps

with open(%(path)r, 'rb') as fh:
    DATA = fh.read()
N = %(sentences)d

class LineUart:
    # busio.UART's readline()/in_waiting over the stream in memory.
    def __init__(self):
        self.p = 0
    @property
    def in_waiting(self):
        return len(DATA) - self.p
    def readline(self):
        j = DATA.find(b'\\n', self.p)
        j = len(DATA) if j < 0 else j + 1
        line = DATA[self.p:j]
        self.p = j
        return line

errors = 0
uart = LineUart()
g = adafruit_gps.GPS(uart)
gc.collect()
t0 = _time.ticks_us()
while uart.in_waiting >= 11:
    try:
        g.update()
    except Exception:
        errors += 1
dt = _time.ticks_diff(_time.ticks_us(), t0)
print(N * 1_000_000 // dt, errors)
"""


def micropython():
    exe = Path(sys.executable).with_name("micropython")
    return str(exe) if exe.exists() else "micropython"


def run_mpy(code, path, heap, extra=()):
    env = dict(os.environ, MICROPYPATH=":".join([str(FIRMWARE), *map(str, extra)]))
    proc = subprocess.run(
        [micropython(), "-X", "heapsize=" + heap, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"micropython failed: {(proc.stdout + proc.stderr).strip()[-800:]}")
    return proc.stdout.split()


def run():
    if not GPSD.is_dir():
        print(f"  no corpus at {GPSD}: GNSS figures skipped")
        return {}
    data = gpsd_corpus(GPSD)
    sentences = data.count(b"$")
    spec = importlib.util.find_spec("adafruit_gps")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.bin"
        path.write_bytes(data)
        fields = {"path": str(path), "sentences": sentences, "alloc": 1}
        rate, used, good, bad, unknown, ubx, epochs = map(
            int, run_mpy(OURS % fields, path, PEER_HEAP, [SUPPORT])
        )
        fields["alloc"] = 0
        peer_rate = None
        peer_dir = Path(spec.origin).parent if spec and spec.origin else None
        for _ in range(REPEATS):
            if peer_dir:
                got, peer_errors = map(int, run_mpy(PEER % fields, path, PEER_HEAP, [peer_dir]))
                peer_rate = max(peer_rate or 0, got)
            rate = max(rate, int(run_mpy(OURS % fields, path, PEER_HEAP, [SUPPORT])[0]))
    print(
        f"  stream: {len(data)} bytes, {sentences} sentence starts ('$') from "
        f"{len(list(GPSD.glob('*.log')))} gpsd logs, fed from memory through a UART shim "
        f"(each parser run {REPEATS}+ times, interleaved, best kept)"
    )
    print(
        f"  firmware/gnss.py: GnssReader.poll() over a 128-byte readinto shim, heap {PEER_HEAP}; "
        f"decoded {good} good, {bad} bad checksum, {unknown} unknown, {ubx} UBX frames, "
        f"{epochs} cycles"
    )
    print(
        f"  allocation: gc.mem_alloc() over a second full pass (after a warm-up pass) "
        f"through an allocation-free UART shim: {used} bytes"
    )
    figures = {
        "nmea_sentences_per_s": rate,
        "nmea_alloc_bytes_per_sentence": round(used / sentences, 3),
    }
    if peer_rate:
        print(
            f"  peer: adafruit_gps (PyPI adafruit-circuitpython-gps, {spec.origin}) on the same "
            f"micropython binary, heap {PEER_HEAP}, GPS.update() until the shim's readline() "
            f"is drained; {peer_errors} exceptions"
        )
        figures["nmea_peer_sentences_per_s"] = peer_rate
        figures["nmea_speedup_vs_adafruit_gps"] = round(rate / peer_rate, 2)
    else:
        print("  peer: adafruit_gps not installed, no comparison")
    return figures
