"""Compact binary beacon for Iridium SBD: 31 bytes, one 50-byte credit.

Iridium bills short-burst-data messages per started 50 bytes, and a capsule
may beacon for days over the ocean, so the message is fixed-size binary
(big-endian), decoded on the ground by host_tools/beacon_decode.py:

    off size field
    0   u8   version (1)
    1   u16  sequence number (wraps)
    3   u8   phase number (beacon_params)
    4   u8   flags: 1 fresh fix, 2 3D fix, 4 altitude valid, 8 battery low,
                    16 no position ever known (position fields are 0)
    5   u8   UTC day of month of the fix
    6   u8   UTC hour, 7 u8 minute, 8 u8 second
    9   i32  latitude, 1e-5 degree (~1.1 m)
    13  i32  longitude, 1e-5 degree
    17  i32  altitude above mean sea level, m
    21  u32  age of the position, s (clamped below 2**30)
    25  u16  battery, mV
    27  u8   satellites used
    28  u8   HDOP * 10 (255 = unknown or >= 25.5)
    29  u16  CRC16-CCITT (poly 0x1021, init 0xFFFF) of bytes 0..28

Built with struct.pack_into into a preallocated buffer: 0 bytes allocated per
message; every packed value is a small int (< 2**30).
"""

import struct
from micropython import const

import beacon_fmt as fmt
from beacon_params import FRESH_FIX_MS

VERSION = const(1)
LENGTH = const(31)
_BODY = ">BHBBBBBBiiiIHBB"  # bytes 0..28
_CRC_AT = const(29)

FLAG_FRESH = const(1)
FLAG_3D = const(2)
FLAG_ALT_OK = const(4)
FLAG_BATT_LOW = const(8)
FLAG_NO_POSITION = const(16)

_AGE_MAX_S = const(0x3FFFFFFF)


_FRESH_S = FRESH_FIX_MS // 1000  # (age_s * 1000 could pass 2**30 after 12 days)


class SbdFormat:
    """Builds one SBD message per `build()` call into `self.buf` (always LENGTH bytes)."""

    def __init__(self, cfg=None):
        self._cfg = cfg
        self.buf = bytearray(LENGTH)
        self.n = 0

    def build(self, pos, age_s, phase, vbatt_mv, seq):
        flags = 0
        cfg = self._cfg
        if cfg is not None and 0 < vbatt_mv < cfg.batt_low_mv:
            flags |= FLAG_BATT_LOW
        if vbatt_mv < 0:
            vbatt_mv = 0
        elif vbatt_mv > 65535:
            vbatt_mv = 65535
        # no position ever known: the position fields stay 0, HDOP unknown
        day = hour = minute = second = lat = lon = alt_m = age = sats = 0
        hdop_d = 255
        if pos is None:
            flags |= FLAG_NO_POSITION
        else:
            if 0 <= age_s < _FRESH_S:
                flags |= FLAG_FRESH
            if pos.mode >= 3:
                flags |= FLAG_3D
            if pos.alt_ok:
                flags |= FLAG_ALT_OK
                alt_m = (_clamp(pos.alt_cm, -100_000_000, 100_000_000) + 50) // 100
            if pos.hdop_c > 0:
                hdop_d = _clamp((pos.hdop_c + 5) // 10, 0, 255)
            day = _clamp(pos.day, 0, 31)
            hour = _clamp(pos.hour, 0, 23)
            minute = _clamp(pos.minute, 0, 59)
            second = _clamp(pos.second, 0, 60)
            lat = fmt.scaled(pos.lat_deg, pos.lat_e7r, 90, 5)
            lon = fmt.scaled(pos.lon_deg, pos.lon_e7r, 180, 5)
            age = _clamp(age_s, 0, _AGE_MAX_S)
            sats = _clamp(pos.sats, 0, 255)
        struct.pack_into(
            _BODY,
            self.buf,
            0,
            VERSION,
            seq & 0xFFFF,
            phase & 0xFF,
            flags,
            day,
            hour,
            minute,
            second,
            lat,
            lon,
            alt_m,
            age,
            vbatt_mv,
            sats,
            hdop_d,
        )
        crc = fmt.crc16_ccitt(self.buf, 0, _CRC_AT)
        self.buf[_CRC_AT] = crc >> 8
        self.buf[_CRC_AT + 1] = crc & 0xFF
        self.n = LENGTH
        return LENGTH


def _clamp(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)
