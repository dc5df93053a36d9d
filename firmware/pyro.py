"""Pyro channels: named outputs that fire once, for a timed pulse, only when
armed and only in a phase that allows them.

Why: a pyro output is the one thing this firmware does that cannot be undone.
Every guard lives here, in one place, whatever the sequencer asks:
  * the bank must be armed (`arm`/`disarm`; disarm drives every output low);
  * the flight phase must list the channel in `flight_phase.ALLOWED_CHANNELS`;
  * each channel fires at most once per flight (latched in `fired_bits`,
    restored from the persisted record after a reset by `restore_fired`);
  * the output goes high for `pulse_ms` and `poll()` (called every loop
    iteration, using the clock, never sleeping) drives it low again.

Output objects come from the board layer: `set(on)` drives the MOSFET gate
and `continuity()` answers True (bridge wire intact), False (open) or None
(this board cannot sense). Channel i is bit i of `fired_bits`: drogue = 0,
main = 1, then the board's extra channels in name order.

`fire`, `poll` and `can_fire` allocate nothing; status helpers do.
"""

from micropython import const

from flight_phase import ALLOWED_CHANNELS, CHANNEL_ORDER

MAX_CHANNELS = const(8)

# refusal reasons (module constants: returning them allocates nothing)
WHY_NOT_ARMED = "not armed"
WHY_PHASE = "phase does not allow this channel"
WHY_FIRED = "already fired"
WHY_NO_CHANNEL = "no such channel"


class PyroBank:
    def __init__(self, outputs, clock, pulse_ms=500):
        """outputs: dict name -> output object (board layer); clock: clock.py API."""
        names = [n for n in CHANNEL_ORDER if n in outputs]
        names += sorted(n for n in outputs if n not in CHANNEL_ORDER)
        if len(names) > MAX_CHANNELS:
            raise ValueError("at most %d pyro channels" % MAX_CHANNELS)
        self.names = tuple(names)
        self.outputs = tuple(outputs[n] for n in names)
        self.clock = clock
        self.pulse_ms = pulse_ms
        self.armed = False
        self.fired_bits = 0  # latched: bit i set once channel i has fired
        self.on_bits = 0  # outputs currently driven high
        self._start = [0] * len(names)  # tick each pulse began
        self.refused = 0  # fire requests refused by a guard
        self.safe()

    def index(self, name):
        """Channel index for a name, or -1 when this board has no such channel."""
        for i in range(len(self.names)):
            if self.names[i] == name:
                return i
        return -1

    def arm(self):
        self.armed = True

    def disarm(self):
        self.armed = False
        self.safe()

    def safe(self):
        """Every output low now (pulses in progress are cut short)."""
        for out in self.outputs:
            out.set(False)
        self.on_bits = 0

    def restore_fired(self, bits):
        """After a reset: these channels fired in this flight; never again."""
        self.fired_bits |= bits

    def can_fire(self, ch, phase):
        """None if channel ch may fire now in `phase`, else the reason."""
        if ch < 0 or ch >= len(self.names):
            return WHY_NO_CHANNEL
        if not self.armed:
            return WHY_NOT_ARMED
        if self.fired_bits & (1 << ch):
            return WHY_FIRED
        if (
            phase < 0
            or phase >= len(ALLOWED_CHANNELS)
            or self.names[ch] not in ALLOWED_CHANNELS[phase]
        ):
            return WHY_PHASE
        return None

    def fire(self, ch, phase):
        """Start the pulse on channel ch; returns None or the refusal reason."""
        why = self.can_fire(ch, phase)
        if why is not None:
            self.refused += 1
            return why
        bit = 1 << ch
        self.fired_bits |= bit
        self.on_bits |= bit
        self._start[ch] = self.clock.now_ms()
        self.outputs[ch].set(True)
        return None

    def poll(self):
        """End pulses whose time is up; call every loop iteration."""
        if not self.on_bits:
            return
        now = self.clock.now_ms()
        for ch in range(len(self.outputs)):
            bit = 1 << ch
            if self.on_bits & bit and self.clock.diff_ms(now, self._start[ch]) >= self.pulse_ms:
                self.outputs[ch].set(False)
                self.on_bits &= ~bit

    def continuity(self, ch):
        try:
            return self.outputs[ch].continuity()
        except Exception:  # a sense fault must not stop the loop
            return None

    def continuity_failures(self):
        """Names of unfired channels whose sense says open (for the arming check)."""
        bad = []
        for ch in range(len(self.names)):
            if not self.fired_bits & (1 << ch) and self.continuity(ch) is False:
                bad.append(self.names[ch])
        return bad

    def status_fields(self):
        """[(key, value)]: per channel 'fired', 'ok', 'open' or 'n/a' (no sense)."""
        out = []
        for ch in range(len(self.names)):
            if self.fired_bits & (1 << ch):
                v = "fired"
            else:
                c = self.continuity(ch)
                v = "n/a" if c is None else ("ok" if c else "open")
            out.append(("pyro_" + self.names[ch], v))
        return out

    def fired_names(self):
        return [self.names[ch] for ch in range(len(self.names)) if self.fired_bits & (1 << ch)]
