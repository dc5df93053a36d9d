"""Sequencer code needed at boot and on commands only: resuming from the
persisted record after a reset, and the `status` fields.

Why a separate module: `flight.FlightComputer` imports it for the call and
drops it from `sys.modules` afterwards, so this code is not resident during
the flight. The functions take the FlightComputer as `self` (they are its
methods, written out here). Everything here allocates; none of it runs per
sample.
"""

from micropython import const

import persist
from flight_phase import ARMED, BEACON, DESCENT, DROGUE, MAIN, SAFE, phase_name
from flight_sense import REASON_NAMES

RESUME_MARGIN_MS = const(3000)  # PERSIST_PERIOD_MS (1 s) + persist.BOOT_GAP_MS
_FLIGHT_MS_MAX = const(0x3FFFFFFF)  # flight.py's: the flight clock stays a small int


def restore(self):
    """Resume from the persisted record after a reset (or start SAFE)."""
    try:
        r = self.store.load()
    except Exception:
        r = None
    if r is None:
        return
    self.boots = r.boots + 1
    phase = r.phase if SAFE <= r.phase <= BEACON else SAFE
    self.pyro.restore_fired(r.fired_bits)
    self.one_g_mg = r.one_g_mg
    if ARMED <= phase <= MAIN and not r.armed:
        phase = SAFE
    self.phase = phase
    if ARMED <= phase <= MAIN:
        self.armed = True
        self.pyro.arm()
    self.flight_ms = r.flight_ms
    if DESCENT <= phase <= MAIN:
        # the record may be a period old and the boot took time: assume
        # more time has passed, not less (timers fire early, not late)
        self.flight_ms = min(self.flight_ms, _FLIGHT_MS_MAX - RESUME_MARGIN_MS) + RESUME_MARGIN_MS
    self.drogue_ms = r.drogue_ms
    self.main_ms = r.main_ms
    self.landed_ms = r.landed_ms
    self.speed_trusted = bool(r.flags & persist.FLAG_SPEED_TRUSTED)
    self.settled = bool(r.flags & persist.FLAG_SETTLED)
    self.drogue_failed = bool(r.flags & persist.FLAG_DROGUE_FAILED)
    self.orbit_seen = bool(r.flags & persist.FLAG_ORBIT_SEEN)
    self.pulse_seen = bool(r.flags & persist.FLAG_PULSE_SEEN) or phase >= DROGUE
    if phase >= DESCENT:
        # the beacon's last known position, kept by the next record too
        # (the beacon takes it from there: keep_position)
        p = self.rec.pos
        for i in range(persist.POS_SIZE):
            p[i] = r.pos[i]
        self._accel_vertical = phase >= DROGUE or self.settled
        # the recorded height is stale: the first baro sample re-seeds it
        self.kf.reset(r.alt_cm, r.speed_cms, 0)
    self._save()
    f = [("phase", phase_name(phase)), ("boots", self.boots)]
    f.append(("fired", ",".join(self.pyro.fired_names()) or "none"))
    f.append(("flight_ms", self.flight_ms))
    self._event("resume", f)


def keep_position(self, source):
    """Let `source` (the beacon) keep its last known position in the record
    (record_position, at every write); a board resumed in flight or down
    hands it back the one the record holds (restore_position), aged by the
    boot too."""
    self.position_source = source
    if self.phase >= DESCENT:
        source.restore_position(self.rec, persist.BOOT_GAP_MS // 1000)


def status_fields(self):
    """[(key, value)] for the `status` command (allocates)."""
    sc = self.screen
    read = self.last_sample is not None  # before the first sample: no verdict
    f = [
        ("phase", phase_name(self.phase)),
        ("armed", 1 if self.armed else 0),
        ("alt_m", "%.1f" % (self.kf.alt_cm / 100)),
        ("speed_m_s", "%.1f" % (self.kf.speed_cms / 100)),
        ("accel_m_s2", "%.1f" % (self.kf.accel_cms2 / 100)),
        ("flight_s", self.flight_ms // 1000),
        ("fired", ",".join(self.pyro.fired_names()) or "none"),
    ]
    f.extend(self.pyro.status_fields())
    f.extend(
        (
            ("speed_trusted", 1 if self.speed_trusted else 0),
            ("drogue_failed", 1 if self.drogue_failed else 0),
            ("baro", REASON_NAMES[sc.baro_reason] if read else "none"),
            ("accel", REASON_NAMES[sc.accel_reason] if read else "none"),
            ("baro_rejects", sc.baro_rejects()),
            ("accel_rejects", sc.accel_rejects()),
            ("one_g_mg", self.one_g_mg),
            ("boots", self.boots),
            ("config", "ok" if not self.cfg.errors else "invalid(%d)" % len(self.cfg.errors)),
            ("record_writes", self.store.writes),
        )
    )
    return f
