"""The flight record that survives a reset: phase, armed, fired channels and
the flight clock, in two alternating slot files with a sequence number and a
CRC-32.

Why: a brown-out or a watchdog reset in the middle of the descent must not
restart the board disarmed on the stand (the chutes would never fire), nor
let it fire a channel twice. After a reset the clock restarts from an
arbitrary tick, so no tick is stored: the record holds *durations* measured
from the start of the descent (flight_ms, drogue_ms, ...), which the
sequencer turns back into running timers.

Atomicity: record n goes to slot n % 2 (`<path>.0`, `<path>.1`), so the
previous record is never touched while the new one is written. `load` reads
both slots and keeps the valid one (magic, version, length, CRC-32) with the
newer sequence number: a power cut during a write leaves the old record or
the new one, never garbage. Writes happen on transitions, fires and about
once a second during the descent (the sequencer decides), never per sample.

The record also carries POS_SIZE bytes for the beacon (`pos`): its last
known position, in the beacon's own layout (beacon.record_position), so that
after a reset with the receiver dead or its antenna awash the beacon still
sends where the capsule was. All zero means none. A board without a beacon
pays for the bytes only.

Every `save` allocates (file object); `load` runs once at boot.
"""

import struct

try:
    import binascii

    _crc32 = binascii.crc32
except (ImportError, AttributeError):  # pragma: no cover
    _crc32 = None

from micropython import const

MAGIC = const(0xCA75)
VERSION = const(2)  # 2: the position tail
SEQ_MASK = const(0x3FFFFFFF)  # sequence numbers wrap in 30 bits (small ints)
# magic, version, flags, phase, armed, fired_bits, boots, seq, flight_ms,
# drogue_ms, main_ms, landed_ms, alt_cm, speed_cms, one_g_mg, then the
# position tail, then CRC-32.
_FMT = "<HBBBBBxHxxiiiiiiii"
_BODY = struct.calcsize(_FMT)
POS_SIZE = const(32)  # the beacon's last known position (beacon.py's _POS_FMT)
RECORD_SIZE = _BODY + POS_SIZE + 4
BOOT_GAP_MS = const(2000)  # a reset plus MicroPython boot, generously

FLAG_SPEED_TRUSTED = const(1)
FLAG_SETTLED = const(2)
FLAG_DROGUE_FAILED = const(4)
FLAG_ORBIT_SEEN = const(8)
FLAG_PULSE_SEEN = const(16)  # the entry pulse was seen: the flight clock runs


def _crc(buf, n):
    if _crc32 is not None:
        return _crc32(memoryview(buf)[:n]) & 0xFFFFFFFF
    c = 0xFFFFFFFF  # pragma: no cover
    for i in range(n):
        c ^= buf[i]
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
    return c ^ 0xFFFFFFFF


class FlightRecord:
    """What the sequencer needs to resume. Durations in ms since descent start
    (-1 = not yet); alt/speed are the filter's last estimate."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.seq = 0
        self.phase = 0
        self.armed = 0
        self.fired_bits = 0
        self.flags = 0
        self.boots = 0
        self.flight_ms = 0
        self.drogue_ms = -1
        self.main_ms = -1
        self.landed_ms = -1
        self.alt_cm = 0
        self.speed_cms = 0
        self.one_g_mg = 1000
        self.pos = bytearray(POS_SIZE)  # the beacon's (see the module docstring)


def pack(rec, buf):
    struct.pack_into(
        _FMT, buf, 0, MAGIC, VERSION, rec.flags & 0xFF, rec.phase, 1 if rec.armed else 0,
        rec.fired_bits & 0xFF, rec.boots & 0xFFFF, rec.seq & SEQ_MASK, rec.flight_ms,
        rec.drogue_ms, rec.main_ms, rec.landed_ms, rec.alt_cm, rec.speed_cms, rec.one_g_mg,
    )  # fmt: skip
    p = rec.pos
    for i in range(POS_SIZE):
        buf[_BODY + i] = p[i]
    struct.pack_into("<I", buf, _BODY + POS_SIZE, _crc(buf, _BODY + POS_SIZE))


def unpack(buf):
    """FlightRecord from bytes, or None when the bytes are not a valid record."""
    if buf is None or len(buf) != RECORD_SIZE:
        return None
    if struct.unpack_from("<I", buf, _BODY + POS_SIZE)[0] != _crc(buf, _BODY + POS_SIZE):
        return None
    v = struct.unpack_from(_FMT, buf, 0)
    if v[0] != MAGIC or v[1] != VERSION:
        return None
    r = FlightRecord()
    r.flags, r.phase, r.armed, r.fired_bits, r.boots, r.seq = v[2], v[3], v[4], v[5], v[6], v[7]
    r.flight_ms, r.drogue_ms, r.main_ms, r.landed_ms = v[8], v[9], v[10], v[11]
    r.alt_cm, r.speed_cms, r.one_g_mg = v[12], v[13], v[14]
    p = r.pos
    for i in range(POS_SIZE):
        p[i] = buf[_BODY + i]
    return r


def seq_newer(a, b):
    """True when sequence a is after b (30-bit wrap-around)."""
    d = (a - b) & SEQ_MASK
    return 0 < d < (1 << 29)


STATE_FILE = "state.bin"  # where the firmware keeps its record (app.py, boot_gate.py)


class Store:
    """Two-slot persistent store at `path` (files path + '.0' and path + '.1')."""

    def __init__(self, path="flight.rec"):
        self.path = path
        self._buf = bytearray(RECORD_SIZE)
        self.seq = 0
        self.writes = 0
        self.write_errors = 0

    def slot_path(self, i):
        return self.path + (".0" if i == 0 else ".1")

    def _read_slot(self, i):
        """The record in slot i, or None (missing, torn or corrupt)."""
        try:
            with open(self.slot_path(i), "rb") as f:
                return unpack(f.read(RECORD_SIZE + 1))
        except OSError:
            return None

    def _write_slot(self, i, buf):
        # Overwrite in place when the slot holds exactly one record: a file
        # system truncates and reallocates a file opened "wb", which costs far
        # more than the write (once a second all through the descent). Torn
        # either way, the slot fails its CRC and the other slot is read.
        path = self.slot_path(i)
        try:
            with open(path, "r+b") as f:
                if f.seek(0, 2) == RECORD_SIZE:
                    f.seek(0)
                    f.write(buf)
                    return
        except OSError:
            pass  # no slot file yet
        with open(path, "wb") as f:
            f.write(buf)

    def load(self):
        """The newest valid record, or None (fresh board or both slots bad)."""
        a = self._read_slot(0)
        b = self._read_slot(1)
        if a is None and b is None:
            return None
        if a is None:
            best = b
        elif b is None:
            best = a
        else:
            best = a if seq_newer(a.seq, b.seq) else b
        self.seq = best.seq
        return best

    def save(self, rec):
        """Write rec as the next record (rec.seq is set). False on a write error
        (counted; the previous record stays valid)."""
        self.seq = (self.seq + 1) & SEQ_MASK
        rec.seq = self.seq
        pack(rec, self._buf)
        try:
            self._write_slot(self.seq & 1, self._buf)
            self.writes += 1
            return True
        except OSError:
            self.write_errors += 1
            return False

    def erase(self):
        """Forget every record (both slots removed)."""
        import os

        for i in (0, 1):
            try:
                os.remove(self.slot_path(i))
            except OSError:
                pass
        self.seq = 0
