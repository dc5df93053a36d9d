"""Between reset and the firmware: the ways back to the REPL on a real board.

Why: once the firmware runs, Ctrl-C does nothing (`micropython.kbd_intr(-1)`),
because line noise, a terminal program or `mpremote connect` (which sends
Ctrl-C first) must never halt a capsule on the stand or in flight. The
deliberate way to the REPL is the checksummed `repl` command (SAFE and
disarmed only). A board whose firmware cannot answer it needs two more:

  * the safe-mode pin (board file key `safe_mode_pin`: {"pin": N,
    "active_low": True}): held at reset, the firmware does not start and the
    REPL is there, as in CircuitPython's safe mode;
  * the boot window: for BOOT_WINDOW_MS after reset Ctrl-C still interrupts
    (the board says so on the console). Skipped when the persisted record says
    a flight is under way: a board reset mid-descent resumes at once.

The virtual board ("sim" boards) has neither: its Ctrl-C is the terminal's
(host_tools/vboard.py, firmware/hw_sim.py). Runs once at boot from main.py,
which drops the module afterwards.
"""

import json
import sys
from micropython import const

BOOT_WINDOW_MS = const(1500)
_STEP_MS = const(50)


def _board():
    try:
        with open("board.json") as f:
            name = json.load(f)["board"]
        return __import__("board_" + name).BOARD
    except Exception:
        return None  # the firmware reports it; no gate without a board file


def _safe_mode_pin_held(spec):
    if not spec:
        return False
    try:
        from machine import Pin

        low = spec.get("active_low", True)
        pin = Pin(spec["pin"], Pin.IN, Pin.PULL_UP if low else Pin.PULL_DOWN)
        return pin.value() == (0 if low else 1)
    except Exception:
        return False


def _flight_under_way():
    try:
        import persist
        from flight_phase import SAFE

        r = persist.Store(persist.STATE_FILE).load()
        return r is not None and (r.armed or r.phase != SAFE)
    except Exception:
        return False


def firmware_may_start():
    """False: stay at the REPL (safe-mode pin held). True: start the
    firmware, with Ctrl-C off from here on (real boards)."""
    board = _board()
    if board is None or board.get("mode") == "sim":
        return True
    if _safe_mode_pin_held(board.get("safe_mode_pin")):
        sys.stdout.write("safe mode: the firmware does not start; MicroPython REPL\r\n")
        return False
    import micropython

    if not _flight_under_way():
        import time

        sys.stdout.write("Ctrl-C within %d ms for the REPL\r\n" % BOOT_WINDOW_MS)
        micropython.kbd_intr(3)
        for _ in range(BOOT_WINDOW_MS // _STEP_MS):
            time.sleep_ms(_STEP_MS)  # a KeyboardInterrupt here ends main.py: the REPL
    micropython.kbd_intr(-1)
    return True
