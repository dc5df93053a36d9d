"""u-blox UBX navigation messages for gnss.py: NAV-PVT and NAV-DOP decoded
into the reader's working epoch, without allocating.

Payload integers are assembled byte by byte; a 32-bit field whose value could
reach 2**30 (longitude in 1e-7 degree reaches 1.8e9) is never formed as one
int: `e7_i32` splits it into degrees and remainder on the way. Values beyond
the plausibility limits below are dropped, which also keeps every
intermediate below 2**30.
"""

from micropython import const

from fix import MODE_2D, MODE_3D
from gnss_nmea import B_PVT, BAD, EMPTY, SRC_FIX, days_in_month

PVT_SPEED_MAX_MM_S = const(2_000_000)  # NAV-PVT gSpeed, 2 km/s
PVT_ALT_MAX_MM = const(100_000_000)  # NAV-PVT hMSL, +-100 km
PVT_NANO_MAX = const(1_000_000_000)  # NAV-PVT nano is within +-1e9 by definition
HEAD_MAX = const(36_000_000)  # headMot, 1e-5 degree

_DAY_MS = const(86_400_000)
_E7 = const(10_000_000)


def _u16(p, o):
    return p[o] | (p[o + 1] << 8)


def _i32(p, o):
    """Signed little-endian 32-bit value, or BAD if |v| >= 2**30 (no big int)."""
    hi = p[o + 2] | (p[o + 3] << 8)
    if hi >= 0x8000:
        hi -= 0x10000
    if hi >= 0x4000 or hi < -0x4000:
        return BAD
    return hi * 0x10000 + (p[o] | (p[o + 1] << 8))


def nav_pvt(r, p):
    """UBX-NAV-PVT (class 0x01 id 0x07; u-blox 8 protocol specification): time
    at 4..19 (nano, signed ns, at 16), fixType at 20, flags (gnssFixOK) at 21,
    numSV at 23, lon/lat (1e-7 deg) at 24/28, hMSL (mm) at 36, gSpeed (mm/s) at
    60, headMot (1e-5 deg) at 64."""
    tod = EMPTY
    nano = _i32(p, 16)
    if p[11] & 3 == 3 and -PVT_NANO_MAX <= nano <= PVT_NANO_MAX:  # validDate, validTime
        y = _u16(p, 4)
        mo = p[6]
        d = p[7]
        sec = p[10]
        if 1 <= mo <= 12 and 1 <= d <= 31 and p[8] < 24 and p[9] < 60 and sec <= 60:
            tod = ((p[8] * 60 + p[9]) * 60 + sec) * 1000 + (nano + 500_000) // 1_000_000
            if tod < 0:  # e.g. 00:00:00 - 0.4 ms: the previous day
                tod += _DAY_MS
                d -= 1
                if d < 1:
                    mo -= 1
                    if mo < 1:
                        mo = 12
                        y -= 1
                    d = days_in_month(y, mo)
            elif tod >= _DAY_MS and sec < 60:
                tod -= _DAY_MS
                d += 1
                if d > days_in_month(y, mo):
                    d = 1
                    mo += 1
                    if mo > 12:
                        mo = 1
                        y += 1
            r._dy = y
            r._dm = mo
            r._dd = d
    lat = _i32(p, 28)  # |lat| < 9e8 fits; lon does not, see e7_i32
    hmsl = _i32(p, 36)
    gspeed = _i32(p, 60)
    head = _i32(p, 64)
    fix_type = p[20]
    pos = (p[21] & 1) and 2 <= fix_type <= 4 and lat != BAD
    if pos and (lat > 900_000_000 or lat < -900_000_000):
        pos = False
    if pos:
        e7_i32(r, p, 24)
        if r._ang_d > 180 or r._ang_d < -180:
            pos = False
    if not r._stamp(tod, B_PVT):
        return
    cur = r._cur
    if tod >= 0:
        r._set_date(r._dy, r._dm, r._dd, tod)
    cur.sats = p[23]
    r._sats_src = SRC_FIX
    if pos:
        split_e7(r, lat)
        cur.lat_deg = r._ang_d
        cur.lat_e7r = r._ang_r
        e7_i32(r, p, 24)
        cur.lon_deg = r._ang_d
        cur.lon_e7r = r._ang_r
        r._pos_ok = True
        r._gsa_mode = MODE_2D if fix_type == 2 else MODE_3D
        if fix_type != 2 and -PVT_ALT_MAX_MM <= hmsl <= PVT_ALT_MAX_MM:
            cur.alt_cm = (hmsl + 5) // 10
            cur.alt_ok = True
        if 0 <= gspeed <= PVT_SPEED_MAX_MM_S:
            cur.speed_cms = (gspeed + 5) // 10
            cur.speed_ok = True
        if head != BAD and 0 <= head < HEAD_MAX:
            cur.course_cdeg = (head + 500) // 1000 % 36000
            cur.course_ok = True


def nav_dop(r, p):
    """UBX-NAV-DOP: hDOP in 0.01 units."""
    if not r._ep_open:
        return
    r._cur.hdop_c = _u16(p, 12)
    r._hdop_src = SRC_FIX


def e7_i32(r, p, o):
    """Signed 32-bit 1e-7 degree at p[o] -> r._ang_d, r._ang_r, never forming
    the value itself (lon * 1e7 exceeds 2**30). With v = hi * 2**16 + lo:
    hi * 2**16 = hi * 512 * 1e7 / 78125, so hi * 512 = q * 78125 + m gives
    hi * 2**16 = q * 1e7 + m * 128."""
    hi = p[o + 2] | (p[o + 3] << 8)
    if hi >= 0x8000:
        hi -= 0x10000
    q = (hi * 512) // 78125  # floor; every intermediate < 2**25
    rem = ((hi * 512) % 78125) * 128 + (p[o] | (p[o + 1] << 8))
    if rem >= _E7:
        q += 1
        rem -= _E7
    if q < 0 and rem > 0:  # floor form -> both parts with the sign of v
        q += 1
        rem -= _E7
    r._ang_d = q
    r._ang_r = rem


def split_e7(r, v):
    """v in 1e-7 degree (|v| < 2**30) -> r._ang_d, r._ang_r with the sign of v."""
    if v < 0:
        v = -v
        r._ang_d = -(v // _E7)
        r._ang_r = -(v % _E7)
    else:
        r._ang_d = v // _E7
        r._ang_r = v % _E7
