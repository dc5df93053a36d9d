"""NMEA 0183 decoding for gnss.py: fields and sentences, into the reader's
working epoch, without allocating.

Field parsers take a buffer and a field's [a, b) span and return an int value,
EMPTY or BAD (both below any value). Sentence parsers `parse(reader, buf, fs, nf)`
find field k at buf[fs[k] : fs[k + 1] - 1] (fs is the reader's `_fs`), parse and
range-check every field they use into locals, and only then stamp the epoch
and store: a sentence with one bad field changes nothing and returns False.
They work on the reader's working record and epoch flags (`_cur`, `_pos_ok`,
`_gsa_mode`, `_sats_src`, `_hdop_src`, `_gsa_sats`) and call its `_stamp`,
`_untimed` and `_set_date`; `gnss.py` owns those.

Every intermediate stays below 2**30 (see the limits below, checked by tests).
"""

from micropython import const

# Plausibility limits that also keep every intermediate product below 2**30
# (tests evaluate the worst cases from these names).
DIGITS_MAX = const(99_999_999)  # num() refuses to add a digit above this
KNOTS_MAX_MKN = const(2_000_000)  # 2000 kn, in 0.001 kn
KMH_MAX_MKMH = const(3_700_000)  # 3700 km/h, in 0.001 km/h

# Field parser results that are not values (every value is above them).
EMPTY = const(-0x3FFFFFFF)
BAD = const(-0x3FFFFFFE)

# Time-stamped sentence types, one bit each (the reader's epoch logic: a type
# seen twice in an epoch without a time means a new cycle began).
B_GGA = const(1)
B_RMC = const(2)
B_GNS = const(4)
B_GLL = const(8)
B_ZDA = const(16)
B_PVT = const(32)

# Precedence of the satellite count / HDOP sources within one epoch.
SRC_NONE = const(0)
SRC_GSA = const(1)
SRC_FIX = const(2)  # GGA, GNS, NAV-PVT, NAV-DOP

_E7 = const(10_000_000)

# Sentence types as (c3 << 16 | c4 << 8 | c5), talker excluded.
_K_GGA = const(0x474741)
_K_RMC = const(0x524D43)
_K_GNS = const(0x474E53)
_K_GSA = const(0x475341)
_K_VTG = const(0x565447)
_K_GLL = const(0x474C4C)
_K_ZDA = const(0x5A4441)


def sentence_key(name):
    """Key of a 3-letter sentence type (b"GLL"), as PARSERS and set_epoch_end use it."""
    return (name[0] << 16) | (name[1] << 8) | name[2]


# ---------------------------------------------------------------- fields


def num(buf, a, b, frac):
    """Decimal '[-+]ddd[.ddd]' scaled by 10**frac, rounded half away from zero."""
    if a >= b:
        return EMPTY
    neg = False
    c = buf[a]
    if c == 45:  # '-'
        neg = True
        a += 1
    elif c == 43:  # '+'
        a += 1
    v = 0
    nd = 0
    fd = -1  # fraction digits taken; -1 before the '.'
    want = frac + 1  # one digit more than kept, for rounding
    while a < b:
        c = buf[a]
        a += 1
        if c == 46:  # '.'
            if fd >= 0:
                return BAD
            fd = 0
            continue
        c -= 48
        if c < 0 or c > 9:
            return BAD
        nd += 1
        if fd >= 0:
            if fd >= want:
                continue
            fd += 1
        if v > DIGITS_MAX:  # keeps v * 10 + 9 below 2**30
            return BAD
        v = v * 10 + c
    if nd == 0:
        return BAD
    if fd < 0:
        fd = 0
    while fd < want:
        if v > DIGITS_MAX:
            return BAD
        v *= 10
        fd += 1
    v = (v + 5) // 10
    return -v if neg else v


def hms(buf, a, b):
    """UTC 'hhmmss[.sss]' -> time of day in ms (fraction digits past ms ignored)."""
    if a >= b:
        return EMPTY
    if b - a < 6:
        return BAD
    h = d2(buf, a)
    m = d2(buf, a + 2)
    s = d2(buf, a + 4)
    if h < 0 or m < 0 or s < 0 or h > 23 or m > 59 or s > 60:
        return BAD
    ms = 0
    if b > a + 6:
        if buf[a + 6] != 46:
            return BAD
        scale = 100
        k = a + 7
        while k < b:
            c = buf[k] - 48
            if c < 0 or c > 9:
                return BAD
            ms += c * scale
            scale //= 10
            k += 1
    return ((h * 60 + m) * 60 + s) * 1000 + ms


def d2(buf, a):
    """Two decimal digits at a, or -1."""
    hi = buf[a] - 48
    lo = buf[a + 1] - 48
    if hi < 0 or hi > 9 or lo < 0 or lo > 9:
        return -1
    return hi * 10 + lo


def days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def angle(r, buf, a, b, hemi, neg_char, pos_char, max_deg):
    """'dddmm.mmmmm' + hemisphere -> r._ang_d, r._ang_r; 1 ok, 0 empty, -1 bad."""
    if a >= b:
        return 0
    if hemi != neg_char and hemi != pos_char:
        return -1
    dot = buf.find(b".", a, b)
    if dot < 0:
        dot = b
    if dot - a < 2 or dot - a > 5:
        return -1
    deg = 0
    k = a
    while k < dot - 2:
        c = buf[k] - 48
        if c < 0 or c > 9:
            return -1
        deg = deg * 10 + c
        k += 1
    mi = d2(buf, dot - 2)
    if mi < 0 or mi > 59:
        return -1
    m7 = mi * _E7  # minutes in 1e-7 minute, < 6e8
    scale = 1_000_000
    k = dot + 1
    while k < b:
        c = buf[k] - 48
        if c < 0 or c > 9:
            return -1
        m7 += c * scale
        scale //= 10
        k += 1
    e7 = (m7 + 30) // 60  # minutes / 60 = degrees, rounded to 1e-7
    if e7 >= _E7:
        deg += 1
        e7 -= _E7
    if deg > max_deg or (deg == max_deg and e7):
        return -1
    if hemi == neg_char:
        deg = -deg
        e7 = -e7
    r._ang_d = deg
    r._ang_r = e7
    return 1


def _date(r, d, m, y):
    """Day, month, year -> r._dy, r._dm, r._dd if they make a date: 1, else -1."""
    if m < 1 or m > 12 or d < 1 or d > days_in_month(y, m):
        return -1
    r._dy = y
    r._dm = m
    r._dd = d
    return 1


def date6(r, buf, a, b):
    """'ddmmyy' -> r._dy, r._dm, r._dd; 1 ok, 0 empty, -1 bad."""
    if a >= b:
        return 0
    if b - a != 6:
        return -1
    y = d2(buf, a + 4)
    if y < 0:
        return -1
    # Two-digit years: 80..99 are 1980..1999 (GPS epoch), the rest 20xx.
    return _date(r, d2(buf, a), d2(buf, a + 2), 1900 + y if y >= 80 else 2000 + y)


def _dmy(r, buf, fs):
    """ZDA's day, month and four-digit year in fields 1-3 -> r._dy, r._dm,
    r._dd as date6 reads RMC's 'ddmmyy'; 1 ok, 0 a field empty, -1 bad."""
    d = num(buf, fs[1], fs[2] - 1, 0)
    m = num(buf, fs[2], fs[3] - 1, 0)
    y = num(buf, fs[3], fs[4] - 1, 0)
    if d == BAD or m == BAD or y == BAD:
        return -1
    if d == EMPTY or m == EMPTY or y == EMPTY:
        return 0
    if y < 1980 or y > 2200:
        return -1
    return _date(r, d, m, y)


# ---------------------------------------------------------------- sentence parsers
# parse(reader, buf, fs, nf) -> True if the sentence was well formed. Field k is
# buf[fs[k] : fs[k + 1] - 1] for k < nf. Nothing is stored before every field
# of the sentence has been accepted.


def _char(buf, fs, k, nf):
    """First byte of field k, or 0 if the field is empty or absent."""
    if k >= nf:
        return 0
    a = fs[k]
    if a >= fs[k + 1] - 1:
        return 0
    return buf[a]


def _kn_to_cms(mkn):
    """Speed in 0.001 knot -> cm/s (1 kn = 1852/3600 m/s), or BAD above 2000 kn
    (and for BAD); EMPTY stays EMPTY."""
    if mkn == EMPTY:
        return EMPTY
    if mkn < 0 or mkn > KNOTS_MAX_MKN:
        return BAD
    return (mkn * 463 + 4500) // 9000  # 1852*100/3600/1000 = 463/9000; < 2**30


def _course(v):
    """Course in 0.01 degree, normalised to [0, 36000), or BAD (also for BAD);
    EMPTY stays EMPTY."""
    if v == EMPTY:
        return EMPTY
    if v < 0 or v > 36_000:
        return BAD
    return 0 if v == 36_000 else v


def _latlon(r, buf, fs, nf, k, fix):
    """The position in fields k..k+3 (lat, N/S, lon, E/W), read when the
    sentence says it is a `fix`: -1 malformed, 0 empty or no fix, 1 read
    (latitude in r._lat_d/_lat_r, longitude in r._ang_d/_ang_r)."""
    if not fix:
        return 0
    ok = angle(r, buf, fs[k], fs[k + 1] - 1, _char(buf, fs, k + 1, nf), 83, 78, 90)
    if ok < 0:
        return -1
    r._lat_d = r._ang_d
    r._lat_r = r._ang_r
    ok2 = angle(r, buf, fs[k + 2], fs[k + 3] - 1, _char(buf, fs, k + 3, nf), 87, 69, 180)
    if ok2 < 0:
        return -1
    return 1 if ok > 0 and ok2 > 0 else 0


def _fixed_position(r, buf, fs, nf, k, ks, km):
    """RMC's and GLL's position in fields k..k+3, read when the status field
    ks says valid ('A', not 'V' void) and the NMEA 2.3 mode field km does not
    say 'N' (not valid): -1 malformed (a status neither 'A' nor 'V' included),
    0 empty or no fix, 1 read (as _latlon)."""
    status = _char(buf, fs, ks, nf)
    if status != 65:
        return 0 if status == 86 else -1
    return _latlon(r, buf, fs, nf, k, _char(buf, fs, km, nf) != 78)


def _put_position(r, cur):
    """The position _latlon read, into the fix being assembled."""
    cur.lat_deg = r._lat_d
    cur.lat_e7r = r._lat_r
    cur.lon_deg = r._ang_d
    cur.lon_e7r = r._ang_r
    r._pos_ok = True


def _put_motion(cur, spd, cog):
    """Speed (cm/s) and course (0.01 degree), each when the sentence had it."""
    if spd != EMPTY:
        cur.speed_cms = spd
        cur.speed_ok = True
    if cog != EMPTY:
        cur.course_cdeg = cog
        cur.course_ok = True


def _fix_fields(r, buf, fs, nf, fix, block):
    """What GGA and GNS share once each has read from field 5 whether it is a
    `fix`: the time in field 0, the position in fields 1-4, the satellite
    count, HDOP and altitude in fields 6-8, then the cycle stamp and the fix
    values."""
    tod = hms(buf, fs[0], fs[1] - 1)
    sats = num(buf, fs[6], fs[7] - 1, 0)
    hdop = num(buf, fs[7], fs[8] - 1, 2)
    alt = num(buf, fs[8], fs[9] - 1, 2)
    pos = _latlon(r, buf, fs, nf, 1, fix)
    if tod == BAD or sats == BAD or hdop == BAD or alt == BAD or pos < 0:
        return False
    if not r._stamp(tod, block):
        return True
    cur = r._cur
    if pos:
        _put_position(r, cur)
        if alt != EMPTY:
            cur.alt_cm = alt
            cur.alt_ok = True
    if sats >= 0:
        cur.sats = sats
        r._sats_src = SRC_FIX
    if hdop > 0:
        cur.hdop_c = hdop
        r._hdop_src = SRC_FIX
    return True


def _gga(r, buf, fs, nf):
    # time, lat, N/S, lon, E/W, quality, sats, hdop, alt, M, sep, M, age, station
    if nf < 9:
        return False
    q = num(buf, fs[5], fs[6] - 1, 0)
    if q == BAD:
        return False
    # quality 0 invalid, 7 manual input, 8 simulator: not a fix
    return _fix_fields(r, buf, fs, nf, 1 <= q <= 6, B_GGA)


def _rmc(r, buf, fs, nf):
    # time, status, lat, N/S, lon, E/W, speed kn, course, date, magvar, E/W, mode, navstatus
    if nf < 9:
        return False
    tod = hms(buf, fs[0], fs[1] - 1)
    pos = _fixed_position(r, buf, fs, nf, 2, 1, 11)
    spd = _kn_to_cms(num(buf, fs[6], fs[7] - 1, 3))
    cog = _course(num(buf, fs[7], fs[8] - 1, 2))
    dok = date6(r, buf, fs[8], fs[9] - 1)
    if tod == BAD or pos < 0 or spd == BAD or cog == BAD or dok < 0:
        return False
    if not r._stamp(tod, B_RMC):
        return True
    cur = r._cur
    if dok > 0 and tod >= 0:
        r._set_date(r._dy, r._dm, r._dd, tod)
    if pos:
        _put_position(r, cur)
        _put_motion(cur, spd, cog)
    return True


def _gns(r, buf, fs, nf):
    # time, lat, N/S, lon, E/W, mode chars (one per system), sats, hdop, alt, sep, age, station, navstatus
    if nf < 9:
        return False
    # Any system in mode A (autonomous), D (differential), P (precise), R (RTK),
    # F (float RTK) or E (estimated) makes a position; N, M (manual), S (simulator) do not.
    pos = False
    k = fs[5]
    while k < fs[6] - 1:
        c = buf[k]
        if c == 65 or c == 68 or c == 80 or c == 82 or c == 70 or c == 69:
            pos = True
        k += 1
    return _fix_fields(r, buf, fs, nf, pos, B_GNS)


def _gsa(r, buf, fs, nf):
    # selection A/M, fix 1/2/3, 12 satellite ids, pdop, hdop, vdop [, system id]
    if nf < 17:
        return False
    mode = num(buf, fs[1], fs[2] - 1, 0)
    hdop = num(buf, fs[15], fs[16] - 1, 2)
    if mode == BAD or hdop == BAD or (mode != EMPTY and (mode < 1 or mode > 3)):
        return False
    used = 0
    for k in range(2, 14):
        if fs[k + 1] - 1 > fs[k]:
            used += 1
    r._untimed()
    if mode > r._gsa_mode:
        r._gsa_mode = mode
    r._gsa_sats += used  # one GSA per constellation on multi-GNSS receivers
    if r._sats_src == SRC_NONE:
        r._sats_src = SRC_GSA
    if hdop > 0 and r._hdop_src == SRC_NONE:
        r._cur.hdop_c = hdop
        r._hdop_src = SRC_GSA
    return True


def _vtg(r, buf, fs, nf):
    # course T, 'T', course M, 'M', speed kn, 'N', speed km/h, 'K' [, mode]
    if nf >= 8 and _char(buf, fs, 1, nf) == 84:  # NMEA 2.x layout with unit letters
        ck = 0
        kk = 4
        kh = 6
        mode = _char(buf, fs, 8, nf)
    elif nf == 4:  # pre-2.0 layout: true, magnetic, knots, km/h
        ck = 0
        kk = 2
        kh = 3
        mode = 0
    else:
        return False
    cog = _course(num(buf, fs[ck], fs[ck + 1] - 1, 2))
    spd = _kn_to_cms(num(buf, fs[kk], fs[kk + 1] - 1, 3))
    mkh = num(buf, fs[kh], fs[kh + 1] - 1, 3)
    if cog == BAD or spd == BAD or mkh == BAD:
        return False
    if spd == EMPTY and mkh != EMPTY:  # 0.001 km/h -> cm/s
        spd = BAD if mkh < 0 or mkh > KMH_MAX_MKMH else (mkh + 18) // 36
        if spd == BAD:
            return False
    r._untimed()
    if mode == 78:  # 'N': data not valid
        return True
    _put_motion(r._cur, spd, cog)
    return True


def _gll(r, buf, fs, nf):
    # lat, N/S, lon, E/W, time, status [, mode]
    if nf < 6:
        return False
    tod = hms(buf, fs[4], fs[5] - 1)
    pos = _fixed_position(r, buf, fs, nf, 0, 5, 6)
    if tod == BAD or pos < 0:
        return False
    if not r._stamp(tod, B_GLL):
        return True
    if pos:
        _put_position(r, r._cur)
    return True


def _zda(r, buf, fs, nf):
    # time, day, month, year, zone hours, zone minutes
    if nf < 4:
        return False
    tod = hms(buf, fs[0], fs[1] - 1)
    dok = _dmy(r, buf, fs)
    if tod == BAD or dok < 0:
        return False
    if not r._stamp(tod, B_ZDA):
        return True
    if dok > 0 and tod >= 0:
        r._set_date(r._dy, r._dm, r._dd, tod)
    return True


PARSERS = {
    _K_GGA: _gga,
    _K_RMC: _rmc,
    _K_GNS: _gns,
    _K_GSA: _gsa,
    _K_VTG: _vtg,
    _K_GLL: _gll,
    _K_ZDA: _zda,
}
