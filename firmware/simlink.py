"""Frames that carry a virtual or bench board's world over the serial link.

On the virtual board (board mode "sim") the drop-test host *is* the sensors:
it streams fixed-size ASCII frames, and the board answers with protocol lines
(wire.py). Fixed size and hex digits keep the parser allocation-free and keep
control bytes (Ctrl-C, XON/XOFF) out of the stream.

    #S TTTTTTTT PPPPPP XXXXXX YYYYYY ZZZZZZ VVVV FF CC \\n   (no spaces; 45 bytes)
        T  tick, ms, 32-bit hex (the board's virtual clock is set to T & (2**30-1))
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

from micropython import const

SAMPLE_PAYLOAD_LEN = const(40)
SAMPLE_BODY_LEN = const(43)  # after b"#S": payload + 2 checksum digits + b"\n"
FLAG_BARO_OK = const(1)
FLAG_ACCEL_OK = const(2)
FLAG_ARM_INPUT = const(4)


def _hexval(c):
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -1


def hex_field(buf, start, n):
    """Unsigned value of n hex digits at buf[start]; -1 on a bad digit. No allocation."""
    v = 0
    for i in range(start, start + n):
        d = _hexval(buf[i])
        if d < 0:
            return -1
        v = (v << 4) | d
    return v


def _signed24(v):
    return v - 0x1000000 if v & 0x800000 else v


def decode_sample(buf, sample):
    """Decode the 43 bytes after b"#S" (payload, checksum, newline) into sample.

    Returns the full 32-bit tick from the frame, or -1 if the frame is bad
    (sample untouched)."""
    c = 0
    for i in range(SAMPLE_PAYLOAD_LEN):
        c ^= buf[i]
    want = hex_field(buf, 40, 2)
    if want != c or buf[42] != 10:
        return -1
    t = hex_field(buf, 0, 8)
    p = hex_field(buf, 8, 6)
    ax = hex_field(buf, 14, 6)
    ay = hex_field(buf, 20, 6)
    az = hex_field(buf, 26, 6)
    v = hex_field(buf, 32, 4)
    f = hex_field(buf, 36, 2)
    # hex digits 38..39 are reserved (sent as 00)
    if t < 0 or p < 0 or ax < 0 or ay < 0 or az < 0 or v < 0 or f < 0:
        return -1
    sample.press_dpa = p
    sample.ax_mg = _signed24(ax)
    sample.ay_mg = _signed24(ay)
    sample.az_mg = _signed24(az)
    sample.vbatt_mv = v
    sample.baro_ok = bool(f & FLAG_BARO_OK)
    sample.accel_ok = bool(f & FLAG_ACCEL_OK)
    sample.arm_input = bool(f & FLAG_ARM_INPUT)
    return t
