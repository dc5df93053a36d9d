"""Buzzer and LED patterns that tell a person the board's state without a laptop.

Why: on the pad, in a boat or walking up to a capsule on a beach, nobody has
a serial cable. The patterns, chosen so each mode sounds different:

  SAFE     LED blinks 50 ms every 2 s, buzzer silent (powered, disarmed).
  ARMED    LED on steadily, and the buzzer gives the continuity report,
           repeated: channel 1 (drogue) then 2 (main): a channel with its
           igniter connected beeps its number (1 or 2 short 150 ms beeps),
           an OPEN channel gives one long 800 ms tone, a channel without
           sense is skipped; then a 2 s pause.
  FLIGHT   buzzer silent, LED flashes 50 ms every 500 ms.
  FAULT    five fast 100 ms beeps, 1 s pause (self-test failed, sensor lost).
  BEACON   landed: three 200 ms chirps every 5 s, to find the capsule by ear.
  OFF      everything off.

`poll(mode)` is called from the main loop (`mode_for(phase, fault)` maps a
flight_phase phase to a mode); it reads the clock and switches
the outputs only when a step ends. It never sleeps and never allocates: a
pattern is a list of (duration, outputs) steps written into two preallocated
bytearrays when the mode changes (or when a continuity result changes, at
the end of the current cycle so a count is never cut short).

Outputs are objects with `value(v)` (machine.Pin, or a board wrapper for an
inverted LED or a PWM-driven passive buzzer); either may be None.
"""

from micropython import const

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    from typing import Any  # noqa: F401 (named in type comments, for mypy)

    import clock as clock_mod  # noqa: F401 (named in type comments, for mypy)

MODE_OFF = const(0)
MODE_SAFE = const(1)
MODE_ARMED = const(2)
MODE_FLIGHT = const(3)
MODE_FAULT = const(4)
MODE_BEACON = const(5)
MODE_NAMES = ("off", "safe", "armed", "flight", "fault", "beacon")

# flight_phase phase (SAFE, ARMED, DESCENT, DROGUE, MAIN, LANDED, BEACON) -> mode
MODE_FOR_PHASE = (
    MODE_SAFE,
    MODE_ARMED,
    MODE_FLIGHT,
    MODE_FLIGHT,
    MODE_FLIGHT,
    MODE_BEACON,
    MODE_BEACON,
)


def mode_for(phase, fault=False):
    """The indicator mode for a flight_phase phase; a fault (failed self-test,
    lost sensor) sounds on the ground, but never over the flight modes."""
    mode = MODE_FOR_PHASE[phase] if 0 <= phase < len(MODE_FOR_PHASE) else MODE_FAULT
    if fault and (mode == MODE_SAFE or mode == MODE_ARMED):
        return MODE_FAULT
    return mode


UNIT_MS = const(10)  # durations are stored in 10 ms units (one byte per step)
BEEP_MS = const(150)
BEEP_GAP_MS = const(250)
OPEN_TONE_MS = const(800)
CHANNEL_GAP_MS = const(800)
REPORT_PAUSE_MS = const(2000)
MAX_STEPS = const(40)
MAX_CHANNELS = const(4)

_BUZZ = const(1)
_LED = const(2)
_BOTH = const(3)


class Indicator:
    def __init__(self, clock, led=None, buzzer=None):
        # type: (clock_mod.TicksClock, Any, Any) -> None
        self._clock = clock
        self._led = led
        self._buzzer = buzzer
        self._dur = bytearray(MAX_STEPS)
        self._out = bytearray(MAX_STEPS)
        self._n = 0
        self._idx = 0
        self._t0 = 0
        self._mode = -1
        self._outputs = 0
        self._dirty = False
        # continuity per channel: 0 unknown/no sense, 1 connected, 2 open
        self._cont = bytearray(MAX_CHANNELS)
        self.mode = MODE_OFF
        self._apply(0)

    def set_continuity(self, index, value):
        """Record channel `index` (0 = drogue) continuity: True, False or None.
        Takes effect at the start of the next report cycle."""
        if not 0 <= index < MAX_CHANNELS:
            return
        code = 0 if value is None else (1 if value else 2)
        if self._cont[index] != code:
            self._cont[index] = code
            self._dirty = True

    def poll(self, mode):
        """Advance the pattern for `mode` (MODE_*); call every loop iteration."""
        now = self._clock.now_ms()
        if mode != self._mode:
            self._mode = mode
            self.mode = mode
            self._build(mode)
            self._start(now)
            return
        if self._n == 0:
            return
        if self._clock.diff_ms(now, self._t0) < self._dur[self._idx] * UNIT_MS:
            return
        self._idx += 1
        if self._idx >= self._n:
            if self._dirty:
                self._build(mode)
            self._idx = 0
        self._t0 = now
        self._apply(self._out[self._idx])

    # ---- patterns ----

    def _start(self, now):
        self._idx = 0
        self._t0 = now
        self._apply(self._out[0] if self._n else 0)

    def _step(self, ms, outputs):
        if self._n < MAX_STEPS:
            self._dur[self._n] = ms // UNIT_MS
            self._out[self._n] = outputs
            self._n += 1

    def _pause(self, ms, outputs=0):
        while ms > 0:
            d = ms if ms <= 2500 else 2500
            self._step(d, outputs)
            ms -= d

    def _build(self, mode):
        self._n = 0
        self._dirty = False
        if mode == MODE_SAFE:
            self._step(50, _LED)
            self._pause(1950)
        elif mode == MODE_ARMED:
            for ch in range(MAX_CHANNELS):
                c = self._cont[ch]
                if c == 1:
                    for _ in range(ch + 1):
                        self._step(BEEP_MS, _BOTH)
                        self._step(BEEP_GAP_MS, _LED)
                    self._pause(CHANNEL_GAP_MS - BEEP_GAP_MS, _LED)
                elif c == 2:
                    self._step(OPEN_TONE_MS, _BOTH)
                    self._pause(CHANNEL_GAP_MS, _LED)
            self._pause(REPORT_PAUSE_MS, _LED)
        elif mode == MODE_FLIGHT:
            self._step(50, _LED)
            self._pause(450)
        elif mode == MODE_FAULT:
            for _ in range(5):
                self._step(100, _BOTH)
                self._step(100, 0)
            self._pause(1000)
        elif mode == MODE_BEACON:
            for _ in range(3):
                self._step(200, _BOTH)
                self._step(200, 0)
            self._pause(3800)
        # MODE_OFF and unknown modes: no steps, outputs off

    def _apply(self, outputs):
        if outputs == self._outputs and self._mode >= 0:
            return
        self._outputs = outputs
        if self._buzzer is not None:
            self._buzzer.value(1 if outputs & _BUZZ else 0)
        if self._led is not None:
            self._led.value(1 if outputs & _LED else 0)
