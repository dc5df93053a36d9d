"""UKHAS telemetry sentences, built in place (0 bytes allocated per packet).

The format high-altitude balloon trackers and their ground software share:

    $$CALLSIGN,count,hh:mm:ss,lat,lon,alt,sats,age_s,phase,batt_mv*CRC\\n

count = packet sequence number, time = UTC of the position's fix, lat/lon in
signed decimal degrees (6 decimals, ~0.1 m), alt in whole metres above mean
sea level, then our own fields: satellites, age of the position in seconds
(-1 and a 0,0 position when none was ever known), phase name, battery mV.
CRC16-CCITT (polynomial 0x1021, initial 0xFFFF) over every byte between `$$`
and `*`, as 4 upper-case hex digits.

Integer arithmetic only; the largest value formed is 180e6 (longitude in
1e-6 degree) < 2**30.
"""

from micropython import const

import beacon_fmt as fmt
from beacon_params import phase_name

_FALLBACK_CALL = b"CAPSULE"
_MAX_CALL = const(16)
_MAX_BODY = const(120)  # measured worst case ~100 with a 16-character callsign


def payload_id(callsign):
    """UKHAS payload name: A-Z, 0-9, '_' and '-' (upper-cased), at most 16 characters."""
    out = bytearray()
    for ch in str(callsign).upper():
        if ("A" <= ch <= "Z" or "0" <= ch <= "9" or ch in "_-") and len(out) < _MAX_CALL:
            out.append(ord(ch))
    return bytes(out) if out else _FALLBACK_CALL


class UkhasFormat:
    """Builds one UKHAS sentence per `build()` call into `self.buf`."""

    def __init__(self, cfg):
        call = payload_id(cfg.callsign)
        self.cfg_fault = call == _FALLBACK_CALL
        self._hdr = b"$$" + call + b","
        self.buf = bytearray(len(self._hdr) + _MAX_BODY)
        self.n = 0

    def build(self, pos, age_s, phase, vbatt_mv, seq):
        """Write the sentence for `pos` (fix.Fix or None), `age_s` seconds old; returns its length."""
        b = self.buf
        p = fmt.put(b, 0, self._hdr)
        p = fmt.put_int(b, p, seq if seq >= 0 else 0)
        b[p] = 44  # ','
        p += 1
        if pos is None:
            p = fmt.put(b, p, b"00:00:00,0.000000,0.000000,0,0,-1,")
        else:
            p = fmt.put_uint(b, p, _clamp(pos.hour, 0, 23), 2)
            b[p] = 58  # ':'
            p = fmt.put_uint(b, p + 1, _clamp(pos.minute, 0, 59), 2)
            b[p] = 58
            p = fmt.put_uint(b, p + 1, _clamp(pos.second, 0, 60), 2)
            b[p] = 44
            p = fmt.put_decimal_deg(b, p + 1, pos.lat_deg, pos.lat_e7r, 90, 6)
            b[p] = 44
            p = fmt.put_decimal_deg(b, p + 1, pos.lon_deg, pos.lon_e7r, 180, 6)
            b[p] = 44
            alt_cm = _clamp(pos.alt_cm, -100_000_000, 100_000_000) if pos.alt_ok else 0
            p = fmt.put_int(b, p + 1, (alt_cm + 50) // 100)
            b[p] = 44
            p = fmt.put_int(b, p + 1, _clamp(pos.sats, 0, 99))
            b[p] = 44
            p = fmt.put_int(b, p + 1, _clamp(age_s, 0, 999_999_999))
            b[p] = 44
            p += 1
        p = fmt.put(b, p, phase_name(phase))
        b[p] = 44
        p = fmt.put_int(b, p + 1, _clamp(vbatt_mv, 0, 65535))
        crc = fmt.crc16_ccitt(b, 2, p)
        b[p] = 42  # '*'
        p = fmt.put_hex(b, p + 1, crc, 4)
        b[p] = 10  # '\n'
        self.n = p + 1
        return p + 1


def _clamp(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)
