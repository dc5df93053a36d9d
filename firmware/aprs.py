"""LoRa APRS position reports, built in place (0 bytes allocated per packet).

What goes on air is what the open-source LoRa APRS trackers and iGates
exchange: the 3-byte prefix `<\\xff\\x01`, then one APRS packet in TNC2 text:

    <\\xff\\x01N0CALL-11>APZCAP,WIDE1-1:!4903.50N/07201.75WO/A=001234 MAIN sat=9 age=3s bat=3712mV #42

- source callsign-SSID from the config (sanitised to what APRS accepts;
  `cfg_fault` is set when it had to change anything), destination APZCAP
  (the APZ block is APRS's experimental tocall range), path e.g. WIDE1-1;
- position without timestamp (`!`), either uncompressed (DDMM.mm, 1/100
  minute, ~18 m) or compressed (base-91, APRS 1.0.1 chapter 9: ~0.3 m of
  latitude), symbol from the constructor (default `/O`, a balloon: a payload
  coming down under a canopy);
- altitude `/A=` in feet, 6 digits (`-` and 5 digits below sea level), only
  when the fix has one;
- a comment the tracker (host_tools/beacon_decode.py) reads back: phase name,
  satellites, age of the position in seconds, battery in mV and the packet
  sequence number.
When no position was ever known the packet is an APRS status report (`>`)
with the same comment, so the beacon stays audible for direction finding.

Only integer arithmetic (fix.py splits degrees from the 1e-7 remainder); the
largest intermediate is 380926 * 999 (compressed latitude) < 2**30.
"""

from micropython import const

import beacon_fmt as fmt
from beacon_params import FRESH_FIX_MS, phase_name

LORA_PREFIX = b"<\xff\x01"
TOCALL = b"APZCAP"
DEFAULT_PATH = b"WIDE1-1"
DEFAULT_SYMBOL = b"/O"
_FALLBACK_CALL = b"N0CALL"

_MAX_BODY = const(160)  # position + altitude + comment, worst case measured ~110
_ALT_CM_LIMIT = const(10_000_000)  # 100 km: alt_cm * 100 stays < 2**30
_MIN_E2_LAT_MAX = const(89 * 6000 + 5999)  # 89 deg 59.99 min: APRS has 2 degree digits
_MIN_E2_LON_MAX = const(179 * 6000 + 5999)
_K_LAT = const(380926)  # compressed units per degree of latitude (APRS 1.0.1 p. 38)
_K_LON = const(190463)
_T_CURRENT = const(0x20)  # compression type: GPS fix is current
_T_ORIGIN_TRACKER = const(6)  # compression origin "other tracker"


def _sanitise_call(callsign):
    """Upper-case A-Z/0-9, at most 6 characters; returns (bytes, changed)."""
    out = bytearray()
    raw = str(callsign).upper()
    for ch in raw:
        if ("A" <= ch <= "Z" or "0" <= ch <= "9") and len(out) < 6:
            out.append(ord(ch))
    if not out:
        return _FALLBACK_CALL, True
    return bytes(out), bytes(out) != raw.encode()


def source_address(callsign, ssid):
    """`CALL-SSID` bytes (no suffix for SSID 0) and whether the input was changed."""
    call, changed = _sanitise_call(callsign)
    try:
        ssid = int(ssid)
    except (TypeError, ValueError):
        ssid, changed = 0, True
    if ssid < 0 or ssid > 15:
        ssid, changed = 0, True
    if ssid:
        call = call + b"-" + str(ssid).encode()
    return call, changed


_FRESH_S = FRESH_FIX_MS // 1000  # (age_s * 1000 could pass 2**30 after 12 days)


class AprsFormat:
    """Builds one LoRa APRS packet per `build()` call into `self.buf`."""

    def __init__(
        self, cfg, compressed=False, path=DEFAULT_PATH, symbol=DEFAULT_SYMBOL, prefix=True
    ):
        src, self.cfg_fault = source_address(cfg.callsign, cfg.ssid)
        if isinstance(path, str):
            path = path.encode()
        if isinstance(symbol, str):
            symbol = symbol.encode()
        hdr = (LORA_PREFIX if prefix else b"") + src + b">" + TOCALL
        if path:
            hdr += b"," + bytes(path)
        self._hdr = hdr + b":"
        self.compressed = compressed
        self._sym_table = symbol[0]
        self._sym_code = symbol[1]
        self.buf = bytearray(len(self._hdr) + _MAX_BODY)
        self.n = 0

    def build(self, pos, age_s, phase, vbatt_mv, seq):
        """Write the packet for position record `pos` (a fix.Fix, or None when no
        position was ever known) whose position is `age_s` seconds old; returns
        its length. Allocates nothing."""
        b = self.buf
        p = fmt.put(b, 0, self._hdr)
        if pos is None:
            b[p] = 62  # '>' status report
            p = self._put_comment(b, p + 1, None, -1, phase, vbatt_mv, seq)
            self.n = p
            return p
        b[p] = 33  # '!' position without timestamp, no messaging
        p += 1
        if self.compressed:
            p = self._put_compressed(b, p, pos, age_s)
        else:
            p = self._put_uncompressed(b, p, pos)
        if pos.alt_ok:
            p = self._put_altitude(b, p, pos.alt_cm)
        p = self._put_comment(b, p, pos, age_s, phase, vbatt_mv, seq)
        self.n = p
        return p

    # -- position encodings ------------------------------------------------

    def _put_uncompressed(self, b, p, pos):
        lat_deg = pos.lat_deg
        lat_e7r = pos.lat_e7r
        lon_deg = pos.lon_deg
        lon_e7r = pos.lon_e7r
        p = _put_ddmm(b, p, lat_deg, lat_e7r, 90, _MIN_E2_LAT_MAX, 2)
        b[p] = 83 if fmt.is_negative(lat_deg, lat_e7r) else 78  # S / N
        b[p + 1] = self._sym_table
        p = _put_ddmm(b, p + 2, lon_deg, lon_e7r, 180, _MIN_E2_LON_MAX, 3)
        b[p] = 87 if fmt.is_negative(lon_deg, lon_e7r) else 69  # W / E
        b[p + 1] = self._sym_code
        return p + 2

    def _put_compressed(self, b, p, pos, age_s):
        b[p] = self._sym_table
        y = _K_LAT * 90 - _signed_units(pos.lat_deg, pos.lat_e7r, 90, _K_LAT)
        x = _K_LON * 180 + _signed_units(pos.lon_deg, pos.lon_e7r, 180, _K_LON)
        p = _put_base91(b, p + 1, y)
        p = _put_base91(b, p, x)
        b[p] = self._sym_code
        # cs = two spaces: no course/speed/range in the compressed field (the
        # altitude goes in the comment as /A=); T says whether the fix is current.
        b[p + 1] = 32
        b[p + 2] = 32
        t = _T_ORIGIN_TRACKER
        if 0 <= age_s < _FRESH_S:
            t |= _T_CURRENT
        b[p + 3] = 33 + t
        return p + 4

    def _put_altitude(self, b, p, alt_cm):
        if alt_cm > _ALT_CM_LIMIT:
            alt_cm = _ALT_CM_LIMIT
        elif alt_cm < -_ALT_CM_LIMIT:
            alt_cm = -_ALT_CM_LIMIT
        p = fmt.put(b, p, b"/A=")
        if alt_cm >= 0:
            return fmt.put_uint(b, p, (alt_cm * 100 + 1524) // 3048, 6)
        ft = (-alt_cm * 100 + 1524) // 3048
        b[p] = 45  # '-'
        return fmt.put_uint(b, p + 1, ft if ft < 99999 else 99999, 5)

    def _put_comment(self, b, p, pos, age_s, phase, vbatt_mv, seq):
        b[p] = 32
        p = fmt.put(b, p + 1, phase_name(phase))
        if pos is None:
            p = fmt.put(b, p, b" nofix")
        else:
            p = fmt.put(b, p, b" sat=")
            p = fmt.put_int(b, p, _clamp(pos.sats, 0, 99))
            p = fmt.put(b, p, b" age=")
            p = fmt.put_int(b, p, _clamp(age_s, 0, 9_999_999))
            b[p] = 115  # 's'
            p += 1
        p = fmt.put(b, p, b" bat=")
        p = fmt.put_int(b, p, _clamp(vbatt_mv, 0, 65535))
        p = fmt.put(b, p, b"mV #")
        return fmt.put_int(b, p, _clamp(seq, 0, 999_999_999))


def _clamp(v, lo, hi):
    return lo if v < lo else (hi if v > hi else v)


def _put_ddmm(b, p, deg, e7r, limit, max_min_e2, deg_digits):
    """Unsigned degrees and minutes to 1/100 minute, rounded: DDMM.mm / DDDMM.mm."""
    total = fmt.abs_deg(deg, limit) * 6000 + (fmt.abs_e7r(deg, e7r, limit) * 3 + 2500) // 5000
    if total > max_min_e2:
        total = max_min_e2
    p = fmt.put_uint(b, p, total // 6000, deg_digits)
    m = total % 6000
    p = fmt.put_uint(b, p, m // 100, 2)
    b[p] = 46  # '.'
    return fmt.put_uint(b, p + 1, m % 100, 2)


def _signed_units(deg, e7r, limit, k):
    v = fmt.abs_deg(deg, limit) * k + fmt.frac_units(fmt.abs_e7r(deg, e7r, limit), k)
    return -v if fmt.is_negative(deg, e7r) else v


def _put_base91(b, p, v):
    """Four base-91 digits (value < 91**4), most significant first."""
    i = p + 4
    while i > p:
        i -= 1
        b[i] = 33 + v % 91
        v //= 91
    return p + 4
