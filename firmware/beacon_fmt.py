"""Allocation-free text and number formatting for beacon packets.

Every function writes into a caller's preallocated bytearray at `pos` and
returns the position after what it wrote, so a packet is built by chaining
calls. Nothing here allocates: integers stay small (< 2**30, see each function),
bytes are copied by slice assignment into a bytearray (measured: 0 bytes on
MicroPython 1.29), and the CRC table is built once at import.

Positions are split into whole degrees and a 1e-7 remainder (fix.py); the
helpers below turn that pair into the scaled integers each format needs
without ever forming deg * 1e7 (1.8e9 does not fit a small int on a board).
"""

from array import array
from micropython import const

E7 = const(10_000_000)
_DIGIT0 = const(48)
_MINUS = const(45)
_HEX = b"0123456789ABCDEF"


def put(buf, pos, src):
    """Copy bytes `src` to buf[pos:]."""
    end = pos + len(src)
    buf[pos:end] = src
    return end


def put_byte(buf, pos, b):
    buf[pos] = b
    return pos + 1


def put_uint(buf, pos, value, width):
    """`value` >= 0 as exactly `width` decimal digits, zero padded (higher digits dropped)."""
    i = pos + width
    while i > pos:
        i -= 1
        buf[i] = _DIGIT0 + value % 10
        value //= 10
    return pos + width


def put_int(buf, pos, value):
    """`value` in decimal with as many digits as it needs, '-' when negative."""
    if value < 0:
        buf[pos] = _MINUS
        pos += 1
        value = -value
    width = 1
    limit = 10
    while value >= limit and width < 10:
        width += 1
        limit *= 10
    return put_uint(buf, pos, value, width)


def put_hex(buf, pos, value, width):
    """`value` >= 0 as `width` upper-case hex digits."""
    i = pos + width
    while i > pos:
        i -= 1
        buf[i] = _HEX[value & 15]
        value >>= 4
    return pos + width


def is_negative(deg, e7r):
    return deg < 0 or e7r < 0


def abs_deg(deg, limit):
    """|deg| clamped to `limit` (90 or 180): a garbled fix never overflows a field."""
    if deg < 0:
        deg = -deg
    return limit if deg > limit else deg


def abs_e7r(deg, e7r, limit):
    """|e7r| clamped to [0, 1e7); 0 when |deg| is already at the limit."""
    if e7r < 0:
        e7r = -e7r
    if e7r >= E7:
        e7r = E7 - 1
    if deg < 0:
        deg = -deg
    return 0 if deg >= limit else e7r


def scaled(deg, e7r, limit, digits):
    """Signed position in units of 10**-digits degree, rounded (digits <= 6).

    Largest value 180 * 1e6 = 1.8e8 < 2**30."""
    d = abs_deg(deg, limit)
    r = abs_e7r(deg, e7r, limit)
    div = 1
    for _ in range(7 - digits):
        div *= 10
    mul = E7 // div
    v = d * mul + (r + (div >> 1)) // div
    return -v if is_negative(deg, e7r) else v


def put_decimal_deg(buf, pos, deg, e7r, limit, digits):
    """Signed decimal degrees with `digits` decimals, e.g. -12.345679."""
    v = scaled(deg, e7r, limit, digits)
    if v < 0:
        buf[pos] = _MINUS
        pos += 1
        v = -v
    unit = 1
    for _ in range(digits):
        unit *= 10
    pos = put_int(buf, pos, v // unit)
    buf[pos] = 46  # '.'
    return put_uint(buf, pos + 1, v % unit, digits)


def frac_units(e7r, k):
    """round(e7r * k / 1e7) for 0 <= e7r < 1e7 and k < 1e6, intermediates < 2**30.

    e7r is split as hi * 1e4 + lo: hi * k < 1e9; the remainder and lo's share are
    summed over a common 1e6 denominator (k is split into k // 10 and k % 10 so
    lo * k never forms)."""
    hi = e7r // 10000
    lo = e7r % 10000
    p = hi * k
    whole = p // 1000
    num = (p % 1000) * 1000 + lo * (k // 10) + (lo * (k % 10)) // 10
    return whole + (num + 500000) // 1000000


# CRC16-CCITT (polynomial 0x1021, MSB first), table built once at import (512 B).
_CRC_TABLE = array("H", [0] * 256)


def _build_crc_table():
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        _CRC_TABLE[i] = c & 0xFFFF


_build_crc_table()


def crc16_ccitt(buf, start, end, crc=0xFFFF):
    """CRC16-CCITT of buf[start:end] (init 0xFFFF: the UKHAS/'CCITT-FALSE' variant)."""
    t = _CRC_TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ t[((crc >> 8) ^ buf[i]) & 0xFF]
    return crc
