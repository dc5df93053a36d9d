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
    #G<NMEA or other GNSS text up to and including \\n>   bytes for the GNSS UART
    #Y NNNNNNNN \\n      sync: the board answers `OK <t> sync seq=N` once every
                        frame before it has been processed (lock-step batching)
    #R\\n                power cut: the board stops dead (process exit), as if
                        its supply dropped; the virtual board re-spawns it

A frame with a bad checksum or a non-hex digit is counted and dropped.
"""

import array

from micropython import const

SAMPLE_PAYLOAD_LEN = const(40)
SAMPLE_BODY_LEN = const(43)  # after b"#S": payload + 2 checksum digits + b"\n"
FLAG_BARO_OK = const(1)
FLAG_ACCEL_OK = const(2)
FLAG_ARM_INPUT = const(4)


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


def _signed24(v):
    return v - 0x1000000 if v & 0x800000 else v


def decode_sample(buf, sample):
    """Decode the 43 bytes after b"#S" (payload, checksum, newline) into sample.

    Returns the tick from the frame, or -1 if the frame is bad (sample
    untouched). One pass computes the checksum and the fields (about 2x the
    cost of the checksum alone); the tick must be below 2**30 so no
    intermediate leaves the small-int range of a 32-bit port."""
    hv = _HEXVAL
    ends = _FIELD_END
    fields = _fields
    x = 0
    bad = 0
    v = 0
    f = 0
    end = 8
    for i in range(SAMPLE_PAYLOAD_LEN):
        c = buf[i]
        x ^= c
        d = hv[c]
        bad |= d
        v = (v << 4) | (d & 15)
        if i + 1 == end:
            fields[f] = v
            v = 0
            f += 1
            if f < 8:
                end = ends[f]
    if bad > 15 or buf[42] != 10 or hv[buf[0]] > 3:
        return -1
    hi = hv[buf[40]]
    lo = hv[buf[41]]
    if hi > 15 or lo > 15 or (hi << 4 | lo) != x:
        return -1
    flags = fields[6]
    sample.press_dpa = fields[1]
    sample.ax_mg = _signed24(fields[2])
    sample.ay_mg = _signed24(fields[3])
    sample.az_mg = _signed24(fields[4])
    sample.vbatt_mv = fields[5]
    sample.baro_ok = bool(flags & FLAG_BARO_OK)
    sample.accel_ok = bool(flags & FLAG_ACCEL_OK)
    sample.arm_input = bool(flags & FLAG_ARM_INPUT)
    return fields[0]
