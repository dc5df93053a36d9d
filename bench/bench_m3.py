"""Memory on the emulated Cortex-M3 board (`capsule vboard --target qemu-m3`):
MicroPython's qemu port, 32-bit, Thumb native code, a 192 KB heap, the
firmware flashed by `capsule flash` as to a Pico (armv6m native code).

Figures (measured on the board, through its raw REPL):
  heap_boot_bytes_m3              heap in use once the firmware is built as at
                                  boot (every module imported, `app.App()`:
                                  config, sequencer, GNSS, flight log, beacon),
                                  gc.collect() then gc.mem_alloc(); includes
                                  the REPL's and the flash file system's share
  heap_boot_free_bytes_m3         gc.mem_free() at that moment (of 192 KB)
  heap_boot_firmware_bytes_m3     the firmware's part: heap_boot_bytes_m3 less
                                  what was in use before `import app` (the
                                  REPL, the boot ROM's flash device, LittleFS)
  heap_peak_bytes_m3              bench_flight's drop (stand, armed, free
                                  fall, drogue, main, landing; 42 000
                                  iterations) on the board: largest live heap
                                  above the harness's baseline, gc.collect()
                                  then gc.mem_alloc() every 50 iterations. The
                                  sequencer's .mpy modules load onto the GC
                                  heap here, native code included, as on a Pico
  heap_modules_bytes_m3, heap_state_bytes_m3, heap_flight_extra_bytes_m3
                                  its parts, as in bench_flight
  loop_alloc_bytes_per_iter_m3    heap bytes per loop iteration over every
                                  phase of that drop (gc disabled, iterations
                                  with an event or a record write excluded,
                                  as bench_flight does)
  flight_completed_m3             the drop ended LANDED with both chutes fired
Time is not measured: qemu keeps no board time.
"""

import time

from host_tools.board.board import Board
from host_tools.board.flash import flash
from host_tools.board.qemu_board import QemuBoard, qemu_missing
from host_tools.board.targets import flash_arch

from . import bench_flight

BOOT_HEAP = """
import gc
gc.collect()
base = gc.mem_alloc()
import app
a = app.App()
gc.collect()
print("RESULT", "boot", gc.mem_alloc(), gc.mem_free(), base)
"""


def _measure(port, code, timeout_s=900):
    """What `code` prints, run from a soft reset (the raw REPL is entered with one)."""
    with Board(port) as target:
        target.enter_raw_repl("measuring")
        try:
            return target.exec(code, timeout_s=timeout_s).decode(errors="replace")
        finally:
            target.leave_raw_repl()


def run():
    missing = qemu_missing()
    if missing:
        print(f"  emulated Cortex-M3 figures skipped: {missing}")
        return {}
    t0 = time.monotonic()
    with QemuBoard() as board:
        flash(board.port, "sim", arch=flash_arch("qemu-m3"), log=lambda *a: None)
        print(f"  flashed in {time.monotonic() - t0:.0f} s")
        boot = _measure(board.port, BOOT_HEAP).split()
        heap = bench_flight._parse(
            _measure(board.port, bench_flight._code("ram", True, False, "/unused.rec"))
        )
        alloc = bench_flight._parse(
            _measure(board.port, bench_flight._code("ram", False, True, "/unused.rec"))
        )
    phases = alloc["phases"]
    quiet_iters = sum(v[0] for v in phases.values())
    quiet_bytes = sum(v[1] for v in phases.values())
    return {
        "heap_boot_bytes_m3": int(boot[boot.index("boot") + 1]),
        "heap_boot_free_bytes_m3": int(boot[boot.index("boot") + 2]),
        "heap_boot_firmware_bytes_m3": int(boot[boot.index("boot") + 1])
        - int(boot[boot.index("boot") + 3]),
        "heap_peak_bytes_m3": heap["heap"],
        "heap_modules_bytes_m3": heap["heap_parts"][0],
        "heap_state_bytes_m3": heap["heap_parts"][1],
        "heap_flight_extra_bytes_m3": heap["heap_parts"][2],
        "loop_alloc_bytes_per_iter_m3": round(quiet_bytes / max(quiet_iters, 1), 3),
        "loop_alloc_quiet_iterations_m3": quiet_iters,
        "flight_completed_m3": heap.get("phase_end") == 6 and heap.get("fired") == 3,
    }
