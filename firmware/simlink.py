"""Frames that carry a virtual or bench board's world over the serial link.

On the virtual board (board mode "sim") the drop-test host *is* the sensors:
it streams fixed-size ASCII frames, and the board answers with protocol lines
(wire.py). Fixed size and hex digits keep the parser allocation-free and keep
control bytes (Ctrl-C, XON/XOFF) out of the stream.

    #S TTTTTTTT PPPPPP XXXXXX YYYYYY ZZZZZZ VVVV FF CC \\n   (no spaces; 45 bytes)
        T  tick, ms, below 2**30 (the board's virtual clock is set to T)
        P  pressure, decipascal, 24-bit
        X Y Z  board-frame acceleration, milli-g, 24-bit two's complement
        V  battery, mV, 16-bit
        F  flags: 1 baro read ok, 2 accel read ok, 4 arm input closed
        C  XOR of the 40 payload characters between 'S' and C, 2 hex digits
    #B C RECORDS HH \\n   a batch of 1..8 samples (what a drop test sends):
        C  chr(48 + count); RECORDS count x 25 characters, each carrying 6
           bits as chr(48 + v) ('0'..'o'), most significant first:
           T 5, P 4, X 4, Y 4, Z 4, V 3, F 1 (fields as in #S)
        HH XOR of C and the records, 2 hex digits
        25 bytes a sample instead of 45, and one frame to find, dispatch and
        check per 8 samples; the whole frame fits the console's buffer
    #G<NMEA or other GNSS text up to and including \\n>   bytes for the GNSS UART
    #Y NNNNNNNN \\n      sync: the board answers `OK <t> sync seq=N` once every
                        frame before it has been processed (lock-step batching)
    #R\\n                power cut: the board stops dead (process exit), as if
                        its supply dropped; the virtual board re-spawns it

A frame with a bad checksum or a non-hex digit is counted and dropped.
"""

import array
import micropython
from micropython import const

SAMPLE_PAYLOAD_LEN = const(40)
SAMPLE_BODY_LEN = const(43)  # after b"#S": payload + 2 checksum digits + b"\n"
FLAG_BARO_OK = const(1)
FLAG_ACCEL_OK = const(2)
FLAG_ARM_INPUT = const(4)
SYNC_BODY_LEN = const(9)  # after b"#Y": 8 hex digits + b"\n"
GNSS_FRAME_MAX = const(200)  # a #G frame longer than this without its newline is cut
BATCH_MAX = const(8)
BATCH_RECORD_LEN = const(25)


# hex digit value by byte, 255 for anything else: one table lookup per digit
_HEXVAL = bytearray(b"\xff" * 256)
for _i in range(10):
    _HEXVAL[48 + _i] = _i
for _i in range(6):
    _HEXVAL[65 + _i] = 10 + _i
    _HEXVAL[97 + _i] = 10 + _i
del _i

# end (exclusive) of each payload field: t, p, x, y, z, v, flags, reserved
_FIELD_END = bytes((8, 14, 20, 26, 32, 36, 38, 40))
_fields = array.array("i", (0, 0, 0, 0, 0, 0, 0, 0))


def hex_field(buf, start, n):
    """Unsigned value of n hex digits at buf[start]; -1 on a bad digit. No allocation;
    the sender keeps the value below 2**30 (a small int on a 32-bit port)."""
    hv = _HEXVAL
    v = 0
    for i in range(start, start + n):
        d = hv[buf[i]]
        if d > 15:
            return -1
        v = (v << 4) | d
    return v


@micropython.viper
def _scan(buf, at: int, out) -> int:
    """The 8 fields of the payload at buf[at] into out (array 'i'); 1 if the
    frame is whole (hex digits, checksum, newline, tick < 2**30), else 0.
    Native code: this runs once per sample, 40 digits each, and as bytecode
    it was a fifth of the virtual board's time."""
    b = ptr8(buf)
    hv = ptr8(_HEXVAL)
    ends = ptr8(_FIELD_END)
    f = ptr32(out)
    x = 0
    bad = 0
    i = 0
    k = 0
    while k < 8:
        end = int(ends[k])
        v = 0
        while i < end:
            c = int(b[at + i])
            x ^= c
            d = int(hv[c])
            bad |= d
            v = (v << 4) | (d & 15)
            i += 1
        f[k] = v
        k += 1
    if bad > 15 or int(b[at + 42]) != 10 or int(hv[int(b[at])]) > 3:
        return 0
    hi = int(hv[int(b[at + 40])])
    lo = int(hv[int(b[at + 41])])
    if hi > 15 or lo > 15 or ((hi << 4) | lo) != x:
        return 0
    return 1


# end (exclusive) of each record field (6-bit digits): t, p, x, y, z, v, flags
_B_FIELD_END = bytes((5, 9, 13, 17, 21, 24, 25))
_batch = array.array("i", [0] * (8 * BATCH_MAX))  # 8 slots a sample, the 8th unused


@micropython.viper
def _scan_batch(buf, at: int, n: int, out) -> int:
    """The n records of a `#B` frame at buf[at] (after its count character)
    into out (array 'i', 8 slots a sample, accelerations sign-extended); 1
    if the frame is whole (digits in range, checksum, newline), else 0.
    Native code: a drop test sends a hundred samples a simulated second."""
    b = ptr8(buf)
    hv = ptr8(_HEXVAL)
    ends = ptr8(_B_FIELD_END)
    f = ptr32(out)
    x = 48 + n
    bad = 0
    r = 0
    while r < n:
        base = at + r * 25
        k = 0
        j = 0
        while k < 7:
            end = int(ends[k])
            v = 0
            while j < end:
                c = int(b[base + j])
                x ^= c
                d = c - 48
                bad |= d
                v = (v << 6) | (d & 63)
                j += 1
            if k >= 2 and k <= 4 and (v & 0x800000):
                v -= 0x1000000
            f[r * 8 + k] = v
            k += 1
        r += 1
    end = at + n * 25
    if bad & ~63 or int(b[end + 2]) != 10:
        return 0
    hi = int(hv[int(b[end])])
    lo = int(hv[int(b[end + 1])])
    if hi > 15 or lo > 15 or ((hi << 4) | lo) != x:
        return 0
    return 1


def decode_batch(buf, at, n):
    """Check and decode the n sample records at buf[at] (a `#B` frame after
    its count character); False if the frame is bad. batch_sample() then
    hands out sample k."""
    return bool(_scan_batch(buf, at, n, _batch))


def batch_sample(k, sample):
    """Sample k of the last decoded batch into sample; returns its tick."""
    f = _batch
    i = k * 8
    flags = f[i + 6]
    sample.press_dpa = f[i + 1]
    sample.ax_mg = f[i + 2]
    sample.ay_mg = f[i + 3]
    sample.az_mg = f[i + 4]
    sample.vbatt_mv = f[i + 5]
    sample.baro_ok = (flags & FLAG_BARO_OK) != 0
    sample.accel_ok = (flags & FLAG_ACCEL_OK) != 0
    sample.arm_input = (flags & FLAG_ARM_INPUT) != 0
    return f[i]


def _signed24(v):
    return v - 0x1000000 if v & 0x800000 else v


def decode_sample(buf, sample, at=0):
    """Decode the 43 bytes at buf[at] (after b"#S": payload, checksum,
    newline) into sample.

    Returns the tick from the frame, or -1 if the frame is bad (sample
    untouched). The tick must be below 2**30 so no value leaves the
    small-int range of a 32-bit port."""
    fields = _fields
    if not _scan(buf, at, fields):
        return -1
    flags = fields[6]
    sample.press_dpa = fields[1]
    sample.ax_mg = _signed24(fields[2])
    sample.ay_mg = _signed24(fields[3])
    sample.az_mg = _signed24(fields[4])
    sample.vbatt_mv = fields[5]
    sample.baro_ok = (flags & FLAG_BARO_OK) != 0
    sample.accel_ok = (flags & FLAG_ACCEL_OK) != 0
    sample.arm_input = (flags & FLAG_ARM_INPUT) != 0
    return fields[0]


def frame_sync(con):
    """Answer the `#Y` frame that follows on console `con` with `OK sync
    seq=N` (counted in con.bad_frames when it is cut short or malformed): a
    console frame handler as it stands, the same on every board role."""
    at = con.take(SYNC_BODY_LEN, con.frame_timeout_ms)
    seq = -1 if at < 0 else hex_field(con.rx, at, 8)
    if seq < 0 or con.rx[at + 8] != 10:
        con.bad_frames += 1
        return
    con.reply_ok("sync", [("seq", seq)])


def take_gnss(con, feed):
    """Hand the `#G` frame's text that follows on console `con` to `feed`
    (the GNSS reader's feed, bound once by the caller: a binding allocates)."""
    con.take_line(feed, GNSS_FRAME_MAX, con.frame_timeout_ms)
