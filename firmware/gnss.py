"""GNSS receiver input: NMEA 0183 and u-blox UBX bytes from a UART, decoded
into Fix records (fix.py) without allocating.

What it promises
- Sentences GGA, RMC, GNS, GSA, VTG, GLL and ZDA from any talker (GP, GN, GL,
  GA, GB, BD, GQ, QZ, GI ...) are decoded; every other well-formed sentence
  (GSV, TXT, proprietary $P...) is counted in `unknown` and ignored.
- A sentence is used only after its XOR checksum matched, and only as a whole:
  all fields are parsed and range-checked into locals before the working
  epoch is touched, so a sentence with a bad digit changes nothing.
- Anything else on the line is counted and skipped, never raised: bad checksum
  (`bad_checksum`), a sentence cut short by a new '$', a UBX sync or a missing
  `*HH` (`truncated`), longer than LINE_MAX (`overlong`), good checksum but
  undecodable fields (`bad_fields`), bytes outside any sentence (`garbage`).
- UBX frames (0xB5 0x62 ...) inside the stream are framed by their length and
  8-bit Fletcher checksum (`ubx_frames`, `ubx_bad`). NAV-PVT is decoded into
  the fix, NAV-DOP gives the HDOP, NAV-EOE closes the epoch; every good frame
  is also offered to `on_ubx(cls, msg_id, payload, length)` (the receiver
  configurator listens there for ACK/NAK).
- One fix per navigation cycle. Sentences of one cycle are merged into a
  working record; the cycle (epoch) is complete when a sentence stamped with a
  different UTC time arrives, when the configured last sentence of the cycle
  has been decoded (`set_epoch_end(b"GLL")`), on UBX NAV-EOE, when the line has
  been quiet for `epoch_gap_ms` (checked by `poll()`), or on `flush()`. Then
  the working record is copied into `fix`, into `last_good` if it holds a
  position, `epochs` is incremented and `on_epoch(reader)` is called.
- Latitude/longitude keep the sentence's full resolution: ddmm.mmmmmmm minutes
  are converted with integer math to whole degrees + a 1e-7 degree remainder,
  rounded to the nearest 1e-7 degree (minute digits past the 7th are ignored,
  an error below 2e-9 degree). Every intermediate stays below 2**30, so the
  code runs on 32-bit ports without big integers.

What allocates: the constructor (buffers, three Fix records) and the first
calls (warm-up of method caches). After that `feed`, `feed_byte` and `poll`
allocate nothing per sentence or frame (tests measure it with gc.mem_alloc
over the gpsd corpus). `feed` reads `buf` with `find`/`rfind` and indexing
only, so buf must be a bytes or bytearray (not a memoryview).
"""

import array

from micropython import const

from fix import MODE_2D, MODE_3D, MODE_NO_FIX, Fix

LINE_MAX = const(120)  # '$' to the last checksum digit; NMEA says 82, RTK receivers send ~92
FIELDS_MAX = const(20)  # fields indexed per sentence (GSA has 18); the rest stay in the last
RX_BUF_BYTES = const(128)  # one UART readinto
POLL_MAX_BYTES = const(512)  # bytes decoded per poll() at most (bounded work per loop)
UBX_STORE_MAX = const(100)  # payload bytes kept for decoding (NAV-PVT is 92)
UBX_LEN_MAX = const(1200)  # longer "frames" are a false sync (NAV-SAT, 99 SVs: 1196)

# Plausibility limits that also keep every intermediate product below 2**30
# (tests evaluate the worst cases from these names).
DIGITS_MAX = const(99_999_999)  # _num refuses to add a digit above this
KNOTS_MAX_MKN = const(2_000_000)  # 2000 kn, in 0.001 kn
KMH_MAX_MKMH = const(3_700_000)  # 3700 km/h, in 0.001 km/h
PVT_SPEED_MAX_MM_S = const(2_000_000)  # NAV-PVT gSpeed, 2 km/s
PVT_ALT_MAX_MM = const(100_000_000)  # NAV-PVT hMSL, +-100 km
PVT_NANO_MAX = const(1_000_000_000)  # NAV-PVT nano is within +-1e9 by definition

# Field parser results that are not values (every value is above them).
EMPTY = const(-0x3FFFFFFF)
BAD = const(-0x3FFFFFFE)

_DAY_MS = const(86_400_000)
_E7 = const(10_000_000)

# Stream states.
_HUNT = const(0)  # between sentences/frames
_NMEA = const(1)  # inside a sentence ('$' seen, no LF yet)
_SKIP = const(2)  # inside an overlong sentence: drop to its end
_U_SYNC2 = const(3)  # 0xB5 seen, want 0x62
_U_HDR = const(4)  # class, id, length
_U_PAY = const(5)
_U_CK1 = const(6)
_U_CK2 = const(7)

# Epoch time markers (a known time is a time of day in ms, >= 0).
_T_NONE = const(-1)  # no epoch since start-up
_T_UNKNOWN = const(-2)  # open epoch whose sentences carry no time yet

# Timed sentence types, one bit each: a type seen twice in an epoch without
# a time means a new cycle began.
_B_GGA = const(1)
_B_RMC = const(2)
_B_GNS = const(4)
_B_GLL = const(8)
_B_ZDA = const(16)
_B_PVT = const(32)

# Sentence types as (c3 << 16 | c4 << 8 | c5), talker excluded.
_K_GGA = const(0x474741)
_K_RMC = const(0x524D43)
_K_GNS = const(0x474E53)
_K_GSA = const(0x475341)
_K_VTG = const(0x565447)
_K_GLL = const(0x474C4C)
_K_ZDA = const(0x5A4441)

# Precedence of the satellite count / HDOP sources within one epoch.
_SRC_NONE = const(0)
_SRC_GSA = const(1)
_SRC_FIX = const(2)  # GGA, GNS, NAV-PVT, NAV-DOP


def sentence_key(name):
    """Key of a 3-letter sentence type (b"GLL") as used by set_epoch_end."""
    return (name[0] << 16) | (name[1] << 8) | name[2]


# ---------------------------------------------------------------- field parsing
# Each takes the buffer and a field's [a, b) span, returns a value, EMPTY or BAD.


def _num(buf, a, b, frac):
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


def _hms(buf, a, b):
    """UTC 'hhmmss[.sss]' -> time of day in ms (fraction digits past ms ignored)."""
    if a >= b:
        return EMPTY
    if b - a < 6:
        return BAD
    h = _d2(buf, a)
    m = _d2(buf, a + 2)
    s = _d2(buf, a + 4)
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


def _d2(buf, a):
    """Two decimal digits at a, or -1."""
    hi = buf[a] - 48
    lo = buf[a + 1] - 48
    if hi < 0 or hi > 9 or lo < 0 or lo > 9:
        return -1
    return hi * 10 + lo


def _hex1(c):
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -256


def _days_in_month(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


# ---------------------------------------------------------------- UBX field access


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


class GnssReader:
    """Decode a receiver's byte stream into `fix` (one per cycle) and `last_good`."""

    def __init__(self, uart, clock, fix=None):
        self.uart = uart
        self.clock = clock
        self.fix = fix if fix is not None else Fix()
        self.last_good = Fix()  # last published fix with a position; has_position says if any
        self._cur = Fix()  # the epoch being assembled
        # Counters (monotonic, never reset by the reader).
        self.good = 0
        self.bad_checksum = 0
        self.unknown = 0
        self.overlong = 0
        self.truncated = 0
        self.bad_fields = 0
        self.garbage = 0  # bytes outside any sentence or frame (CR/LF not counted)
        self.ubx_frames = 0
        self.ubx_bad = 0
        self.epochs = 0
        self.bytes_in = 0
        # Consumer hooks.
        self.on_epoch = None  # on_epoch(reader) after each published cycle
        self.on_ubx = None  # on_ubx(cls, msg_id, payload, length) for every good UBX frame
        self.epoch_gap_ms = 0  # >0: poll() closes the epoch after this much silence
        self.max_bytes_per_poll = POLL_MAX_BYTES
        self._end_key = -1
        # Stream state and buffers.
        self._st = _HUNT
        self._line = bytearray(LINE_MAX + 2)  # a sentence split across feeds (CR kept)
        self._ln = 0
        self._fs = array.array("i", bytes(4 * (FIELDS_MAX + 1)))  # field start offsets
        self._rx = bytearray(RX_BUF_BYTES)
        self._one = bytearray(1)
        self._uhdr = bytearray(4)
        self._upay = bytearray(UBX_STORE_MAX)
        self._uk = 0
        self._ulen = 0
        self._ck_a = 0
        self._ck_b = 0
        self._read_n = -1  # 1: readinto(buf, n) works; 0: only readinto(buf); -1: not known yet
        self._has_any = hasattr(uart, "any")
        # Epoch state.
        self._ep_t = _T_NONE
        self._ep_open = False
        self._ep_seen = 0
        self._pos_ok = False
        self._gsa_mode = 0
        self._sats_src = _SRC_NONE
        self._hdop_src = _SRC_NONE
        self._gsa_sats = 0
        self._last_rx_ms = 0
        # Date carried into epochs whose sentences have a time but no date
        # (GGA-only cycles), valid while the time of day has not wrapped.
        self._date_y = 0
        self._date_m = 0
        self._date_d = 0
        self._date_tod = 0
        # Out-parameters of the angle and date parsers (no tuples).
        self._ang_d = 0
        self._ang_r = 0
        self._dy = 0
        self._dm = 0
        self._dd = 0

    # ------------------------------------------------------------ public API

    def set_epoch_end(self, name):
        """Close the epoch right after this sentence type (b"GLL"), or None."""
        self._end_key = -1 if name is None else sentence_key(name)

    def poll(self):
        """Read what the UART has (at most max_bytes_per_poll), decode it.

        Returns the number of bytes read. Never blocks when the UART has any()
        (only what is waiting is read) or was opened with timeout=0."""
        uart = self.uart
        got = 0
        if uart is not None:
            rx = self._rx
            budget = self.max_bytes_per_poll
            while got < budget:
                want = RX_BUF_BYTES
                if budget - got < want:
                    want = budget - got
                if self._has_any:
                    avail = uart.any()
                    if not avail:
                        break
                    if avail < want:
                        want = avail
                if got and want < RX_BUF_BYTES and self._read_n == 0:
                    break  # readinto(buf) cannot be told to read less: stay in budget
                n = self._read(uart, rx, want)
                if not n:
                    break
                self.feed(rx, n)
                got += n
                if n < want:
                    break
        if got:
            self._last_rx_ms = self.clock.now_ms()
        elif self._ep_open and self.epoch_gap_ms > 0:
            clock = self.clock
            if clock.diff_ms(clock.now_ms(), self._last_rx_ms) >= self.epoch_gap_ms:
                self._publish()
        return got

    def _read(self, uart, rx, want):
        if self._read_n > 0:
            return uart.readinto(rx, want)
        if self._read_n == 0:
            return uart.readinto(rx)
        try:  # first read: learn whether readinto takes nbytes (machine.UART does)
            n = uart.readinto(rx, want)
            self._read_n = 1
        except TypeError:
            self._read_n = 0
            n = uart.readinto(rx)
        return n

    def feed_byte(self, b):
        """Decode one byte."""
        self._one[0] = b
        self.feed(self._one, 1)

    def feed(self, buf, n):
        """Decode buf[0:n] (bytes or bytearray), continuing the previous feed."""
        self.bytes_in += n
        i = 0
        s = -1  # '$' of a sentence that started in this buffer
        b5 = -1  # next 0xB5 at or after i (n if none)
        while i < n:
            st = self._st
            if st == _NMEA:
                if b5 < i:
                    b5 = buf.find(b"\xb5", i, n)
                    if b5 < 0:
                        b5 = n
                e = buf.find(b"\n", i, b5)
                lim = b5 if e < 0 else e
                d = buf.find(b"$", i, lim)
                if d >= 0:
                    # A new sentence starts before this one ended.
                    self._cut(d - (i if s < 0 else s))
                    s = d
                    i = d + 1
                    continue
                if e >= 0:
                    if s >= 0:
                        self._sentence(buf, s, e)
                    elif self._append(buf, i, e):
                        self._sentence(self._line, 0, self._ln)
                    self._ln = 0
                    self._st = _HUNT
                    s = -1
                    i = e + 1
                elif lim < n:
                    # A UBX sync inside the line: the sentence is lost.
                    self._cut(lim - (i if s < 0 else s))
                    self._st = _HUNT
                    s = -1
                    i = lim
                else:
                    # The sentence continues in the next buffer.
                    if s >= 0:
                        self._ln = 0
                        i = s
                    self._append(buf, i, n)
                    s = -1
                    i = n
            elif st == _HUNT:
                if b5 < i:
                    b5 = buf.find(b"\xb5", i, n)
                    if b5 < 0:
                        b5 = n
                d = buf.find(b"$", i, b5)
                if d < 0:
                    if b5 > i:
                        self._garbage(buf, i, b5)
                    if b5 < n:
                        self._st = _U_SYNC2
                        i = b5 + 1
                    else:
                        i = n
                else:
                    if d > i:
                        self._garbage(buf, i, d)
                    s = d
                    i = d + 1
                    self._ln = 0
                    self._st = _NMEA
            elif st == _SKIP:
                e = buf.find(b"\n", i, n)
                d = buf.find(b"$", i, n if e < 0 else e)
                if d >= 0:
                    i = d
                    self._st = _HUNT
                elif e >= 0:
                    i = e + 1
                    self._st = _HUNT
                else:
                    i = n
            elif st == _U_SYNC2:
                if buf[i] == 0x62:
                    i += 1
                    self._st = _U_HDR
                    self._uk = 0
                    self._ck_a = 0
                    self._ck_b = 0
                else:
                    self.garbage += 1  # the lone 0xB5; buf[i] is looked at again
                    self._st = _HUNT
            else:
                i = self._ubx_run(buf, i, n)
        if s >= 0 and self._st == _NMEA:
            # The buffer ended right after a '$' that began a sentence: keep it.
            self._ln = 0
            self._append(buf, s, n)

    def flush(self):
        """End of input (a replayed log): publish the epoch being assembled."""
        if self._ep_open:
            self._publish()

    def last_good_age_ms(self):
        """Age of the last fix with a position, in ms, or -1 if there never was one."""
        if not self.last_good.has_position:
            return -1
        clock = self.clock
        return clock.diff_ms(clock.now_ms(), self.last_good.rx_ms)

    # ------------------------------------------------------------ framing helpers

    def _cut(self, frag):
        """A sentence ended early; `frag` bytes of it were in this buffer."""
        frag += self._ln
        self._ln = 0
        if frag >= 6:
            self.truncated += 1
        else:
            self.garbage += frag

    def _garbage(self, buf, a, b):
        g = 0
        while a < b:
            c = buf[a]
            if c != 10 and c != 13:
                g += 1
            a += 1
        self.garbage += g

    def _append(self, buf, a, b):
        """Append buf[a:b] to the pending line; False (and skip state) if too long."""
        ln = self._ln
        if ln + b - a > LINE_MAX + 1:
            self.overlong += 1
            self._ln = 0
            self._st = _SKIP
            return False
        line = self._line
        while a < b:
            line[ln] = buf[a]
            ln += 1
            a += 1
        self._ln = ln
        return True

    def _sentence(self, buf, s, e):
        """One line: buf[s] is '$', buf[e] is where its LF was."""
        if e > s and buf[e - 1] == 13:
            e -= 1
        if e - s > LINE_MAX:
            self.overlong += 1
            return
        star = e - 3
        if star < s + 6 or buf[star] != 42:  # no '*HH'
            self.truncated += 1
            return
        want = (_hex1(buf[star + 1]) << 4) | _hex1(buf[star + 2])
        x = 0
        for k in range(s + 1, star):
            x ^= buf[k]
        if x != want:
            self.bad_checksum += 1
            return
        t0 = buf[s + 1]
        t1 = buf[s + 2]
        if buf[s + 6] != 44 or t0 == 80 or t0 < 65 or t0 > 90 or t1 < 65 or t1 > 90:
            self.unknown += 1  # proprietary ($P...) or not a talker + 3-letter type
            return
        parse = _PARSERS.get((buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5])
        if parse is None:
            self.unknown += 1
            return
        # Index the fields: field k is buf[fs[k] : fs[k + 1] - 1].
        fs = self._fs
        p = s + 7
        k = 0
        while True:
            fs[k] = p
            k += 1
            if k >= FIELDS_MAX:
                break
            c = buf.find(b",", p, star)
            if c < 0:
                break
            p = c + 1
        fs[k] = star + 1
        if parse(self, buf, k):
            self.good += 1
            if self._end_key >= 0 and self._ep_open:
                if self._end_key == (buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5]:
                    self._publish()
        else:
            self.bad_fields += 1

    # ------------------------------------------------------------ UBX framing

    def _ubx_run(self, buf, i, n):
        st = self._st
        a = self._ck_a
        b = self._ck_b
        k = self._uk
        ln = self._ulen
        pay = self._upay
        while i < n:
            c = buf[i]
            i += 1
            if st == _U_PAY:
                a = (a + c) & 255
                b = (b + a) & 255
                if k < UBX_STORE_MAX:
                    pay[k] = c
                k += 1
                if k >= ln:
                    st = _U_CK1
            elif st == _U_HDR:
                a = (a + c) & 255
                b = (b + a) & 255
                self._uhdr[k] = c
                k += 1
                if k == 4:
                    ln = self._uhdr[2] | (self._uhdr[3] << 8)
                    k = 0
                    if ln > UBX_LEN_MAX:
                        self.garbage += 6  # a false sync: sync + header were not a frame
                        st = _HUNT
                        break
                    st = _U_PAY if ln else _U_CK1
            elif st == _U_CK1:
                if c != a:
                    self.ubx_bad += 1
                    st = _HUNT
                    break
                st = _U_CK2
            else:  # _U_CK2
                st = _HUNT
                if c != b:
                    self.ubx_bad += 1
                else:
                    self.ubx_frames += 1
                    self._st = _HUNT
                    self._ubx_frame(self._uhdr[0], self._uhdr[1], pay, ln)
                break
        self._st = st
        self._ck_a = a
        self._ck_b = b
        self._uk = k
        self._ulen = ln
        return i

    def _ubx_frame(self, cls, mid, pay, ln):
        if cls == 0x01:
            if mid == 0x07 and ln >= 84:
                self._nav_pvt(pay)
            elif mid == 0x04 and ln >= 18:
                self._nav_dop(pay)
            elif mid == 0x61 and self._ep_open:  # NAV-EOE: the receiver says the cycle is over
                self._publish()
        cb = self.on_ubx
        if cb is not None:
            cb(cls, mid, pay, ln)

    def _nav_pvt(self, p):
        """UBX-NAV-PVT (u-blox M8 interface description 32.17.15)."""
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
                        d = _days_in_month(y, mo)
                elif tod >= _DAY_MS and sec < 60:
                    tod -= _DAY_MS
                    d += 1
                    if d > _days_in_month(y, mo):
                        d = 1
                        mo += 1
                        if mo > 12:
                            mo = 1
                            y += 1
                self._dy = y
                self._dm = mo
                self._dd = d
        lat = _i32(p, 28)  # |lat| < 9e8 fits; lon does not, see _e7_i32
        hmsl = _i32(p, 36)
        gspeed = _i32(p, 60)
        head = _i32(p, 64)
        fix_type = p[20]
        pos = (p[21] & 1) and 2 <= fix_type <= 4 and lat != BAD
        if pos and (lat > 900_000_000 or lat < -900_000_000):
            pos = False
        if pos:
            self._e7_i32(p, 24)
            if self._ang_d > 180 or self._ang_d < -180:
                pos = False
        if not self._stamp(tod, _B_PVT):
            return
        cur = self._cur
        if tod >= 0:
            self._set_date(self._dy, self._dm, self._dd, tod)
        cur.sats = p[23]
        self._sats_src = _SRC_FIX
        if pos:
            self._split_e7(lat)
            cur.lat_deg = self._ang_d
            cur.lat_e7r = self._ang_r
            self._e7_i32(p, 24)
            cur.lon_deg = self._ang_d
            cur.lon_e7r = self._ang_r
            self._pos_ok = True
            self._gsa_mode = MODE_2D if fix_type == 2 else MODE_3D
            if fix_type != 2 and -PVT_ALT_MAX_MM <= hmsl <= PVT_ALT_MAX_MM:
                cur.alt_cm = (hmsl + 5) // 10
                cur.alt_ok = True
            if 0 <= gspeed <= PVT_SPEED_MAX_MM_S:
                cur.speed_cms = (gspeed + 5) // 10
                cur.speed_ok = True
            if head != BAD and 0 <= head < 36_000_000:
                cur.course_cdeg = (head + 500) // 1000 % 36000
                cur.course_ok = True

    def _nav_dop(self, p):
        """UBX-NAV-DOP: hDOP in 0.01 units."""
        if not self._ep_open:
            return
        self._cur.hdop_c = _u16(p, 12)
        self._hdop_src = _SRC_FIX

    def _e7_i32(self, p, o):
        """Signed 32-bit 1e-7 degree at p[o] -> _ang_d, _ang_r, never forming
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
        self._ang_d = q
        self._ang_r = rem

    def _split_e7(self, v):
        """v in 1e-7 degree (|v| < 2**30) -> _ang_d, _ang_r with the sign of v."""
        if v < 0:
            v = -v
            self._ang_d = -(v // _E7)
            self._ang_r = -(v % _E7)
        else:
            self._ang_d = v // _E7
            self._ang_r = v % _E7

    # ------------------------------------------------------------ epochs

    def _stamp(self, tod, bit):
        """A sentence of type `bit` stamped `tod` (or EMPTY) arrived.

        Closes the open epoch if the sentence belongs to another cycle and
        opens the sentence's epoch. False: the sentence belongs to an epoch
        that was already published (closed early), ignore it."""
        t = self._ep_t
        if tod >= 0:
            if tod == t:
                return self._ep_open
            if self._ep_open:
                if t == _T_UNKNOWN and not (self._ep_seen & bit):
                    self._ep_t = tod  # the cycle's first time-stamped sentence
                    self._ep_seen |= bit
                    self._set_time(tod)
                    return True
                self._publish()
            self._open(tod)
            self._ep_seen = bit
            return True
        # No time in the sentence (receiver without time yet).
        if self._ep_open and not (self._ep_seen & bit):
            self._ep_seen |= bit
            return True
        if self._ep_open:
            self._publish()
        self._open(_T_UNKNOWN)
        self._ep_seen = bit
        return True

    def _untimed(self):
        """A sentence without a time field (GSA, VTG) belongs to the open epoch."""
        if not self._ep_open:
            self._open(_T_UNKNOWN)
            self._ep_seen = 0

    def _open(self, tod):
        cur = self._cur
        cur.clear()
        cur.rx_ms = self.clock.now_ms()
        self._ep_t = tod
        self._ep_open = True
        self._pos_ok = False
        self._gsa_mode = 0
        self._gsa_sats = 0
        self._sats_src = _SRC_NONE
        self._hdop_src = _SRC_NONE
        if tod >= 0:
            self._set_time(tod)

    def _set_time(self, tod):
        cur = self._cur
        cur.hour = tod // 3_600_000
        cur.minute = tod // 60_000 % 60
        cur.second = tod // 1000 % 60
        cur.ms = tod % 1000
        cur.time_ok = True

    def _set_date(self, y, m, d, tod):
        cur = self._cur
        cur.year = y
        cur.month = m
        cur.day = d
        self._date_y = y
        self._date_m = m
        self._date_d = d
        self._date_tod = tod

    def _publish(self):
        cur = self._cur
        if self._pos_ok:
            gm = self._gsa_mode
            if gm >= MODE_2D:
                cur.mode = gm
            else:
                cur.mode = MODE_3D if cur.alt_ok else MODE_2D
            cur.has_position = True
        else:
            cur.mode = MODE_NO_FIX
        if self._sats_src == _SRC_GSA:
            cur.sats = self._gsa_sats
        t = self._ep_t
        if cur.year == 0 and t >= 0 and self._date_y and t >= self._date_tod:
            cur.year = self._date_y  # same UTC day as the last date seen
            cur.month = self._date_m
            cur.day = self._date_d
        self._ep_open = False
        self.fix.copy_from(cur)
        if cur.mode >= MODE_2D:
            self.last_good.copy_from(cur)
        self.epochs += 1
        cb = self.on_epoch
        if cb is not None:
            cb(self)

    # ------------------------------------------------------------ sentence pieces

    def _angle(self, buf, a, b, hemi, neg_char, pos_char, max_deg):
        """'dddmm.mmmmm' + hemisphere -> _ang_d, _ang_r; 1 ok, 0 empty, -1 bad."""
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
        mi = _d2(buf, dot - 2)
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
        self._ang_d = deg
        self._ang_r = e7
        return 1

    def _date6(self, buf, a, b):
        """'ddmmyy' -> _dy, _dm, _dd; 1 ok, 0 empty, -1 bad."""
        if a >= b:
            return 0
        if b - a != 6:
            return -1
        d = _d2(buf, a)
        m = _d2(buf, a + 2)
        y = _d2(buf, a + 4)
        if m < 1 or m > 12 or y < 0:
            return -1
        # Two-digit years: 80..99 are 1980..1999 (GPS epoch), the rest 20xx.
        y = 1900 + y if y >= 80 else 2000 + y
        if d < 1 or d > _days_in_month(y, m):
            return -1
        self._dy = y
        self._dm = m
        self._dd = d
        return 1


# ---------------------------------------------------------------- sentence parsers
# parse(reader, buf, nf) -> True if the sentence was well formed. Field k is
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
    """Speed in 0.001 knot -> cm/s (1 kn = 1852/3600 m/s), or BAD above 2000 kn."""
    if mkn < 0 or mkn > KNOTS_MAX_MKN:
        return BAD
    return (mkn * 463 + 4500) // 9000  # 1852*100/3600/1000 = 463/9000; < 2**30


def _course(v):
    """Course in 0.01 degree, normalised to [0, 36000), or BAD."""
    if v < 0 or v > 36_000:
        return BAD
    return 0 if v == 36_000 else v


def _gga(r, buf, nf):
    # time, lat, N/S, lon, E/W, quality, sats, hdop, alt, M, sep, M, age, station
    if nf < 9:
        return False
    fs = r._fs
    tod = _hms(buf, fs[0], fs[1] - 1)
    q = _num(buf, fs[5], fs[6] - 1, 0)
    sats = _num(buf, fs[6], fs[7] - 1, 0)
    hdop = _num(buf, fs[7], fs[8] - 1, 2)
    alt = _num(buf, fs[8], fs[9] - 1, 2)
    if tod == BAD or q == BAD or sats == BAD or hdop == BAD or alt == BAD:
        return False
    pos = 1 <= q <= 6  # 0 invalid, 7 manual input, 8 simulator: not a fix
    if pos:
        ok = r._angle(buf, fs[1], fs[2] - 1, _char(buf, fs, 2, nf), 83, 78, 90)
        if ok < 0:
            return False
        lat_d = r._ang_d
        lat_r = r._ang_r
        ok2 = r._angle(buf, fs[3], fs[4] - 1, _char(buf, fs, 4, nf), 87, 69, 180)
        if ok2 < 0:
            return False
        pos = ok > 0 and ok2 > 0
    if not r._stamp(tod, _B_GGA):
        return True
    cur = r._cur
    if pos:
        cur.lat_deg = lat_d
        cur.lat_e7r = lat_r
        cur.lon_deg = r._ang_d
        cur.lon_e7r = r._ang_r
        r._pos_ok = True
        if alt != EMPTY:
            cur.alt_cm = alt
            cur.alt_ok = True
    if sats >= 0:
        cur.sats = sats
        r._sats_src = _SRC_FIX
    if hdop > 0:
        cur.hdop_c = hdop
        r._hdop_src = _SRC_FIX
    return True


def _rmc(r, buf, nf):
    # time, status, lat, N/S, lon, E/W, speed kn, course, date, magvar, E/W, mode, navstatus
    if nf < 9:
        return False
    fs = r._fs
    tod = _hms(buf, fs[0], fs[1] - 1)
    status = _char(buf, fs, 1, nf)
    mkn = _num(buf, fs[6], fs[7] - 1, 3)
    cog = _num(buf, fs[7], fs[8] - 1, 2)
    dok = r._date6(buf, fs[8], fs[9] - 1)
    if tod == BAD or mkn == BAD or cog == BAD or dok < 0:
        return False
    if status != 65 and status != 86:  # 'A' valid, 'V' void
        return False
    mode = _char(buf, fs, 11, nf)
    pos = status == 65 and mode != 78  # NMEA 2.3 mode 'N': not valid
    ok = ok2 = 0
    if pos:
        ok = r._angle(buf, fs[2], fs[3] - 1, _char(buf, fs, 3, nf), 83, 78, 90)
        if ok < 0:
            return False
        lat_d = r._ang_d
        lat_r = r._ang_r
        ok2 = r._angle(buf, fs[4], fs[5] - 1, _char(buf, fs, 5, nf), 87, 69, 180)
        if ok2 < 0:
            return False
        pos = ok > 0 and ok2 > 0
    if mkn != EMPTY:
        mkn = _kn_to_cms(mkn)
        if mkn == BAD:
            return False
    if cog != EMPTY:
        cog = _course(cog)
        if cog == BAD:
            return False
    if not r._stamp(tod, _B_RMC):
        return True
    cur = r._cur
    if dok > 0 and tod >= 0:
        r._set_date(r._dy, r._dm, r._dd, tod)
    if pos:
        cur.lat_deg = lat_d
        cur.lat_e7r = lat_r
        cur.lon_deg = r._ang_d
        cur.lon_e7r = r._ang_r
        r._pos_ok = True
        if mkn != EMPTY:
            cur.speed_cms = mkn
            cur.speed_ok = True
        if cog != EMPTY:
            cur.course_cdeg = cog
            cur.course_ok = True
    return True


def _gns(r, buf, nf):
    # time, lat, N/S, lon, E/W, mode chars (one per system), sats, hdop, alt, sep, age, station, navstatus
    if nf < 9:
        return False
    fs = r._fs
    tod = _hms(buf, fs[0], fs[1] - 1)
    sats = _num(buf, fs[6], fs[7] - 1, 0)
    hdop = _num(buf, fs[7], fs[8] - 1, 2)
    alt = _num(buf, fs[8], fs[9] - 1, 2)
    if tod == BAD or sats == BAD or hdop == BAD or alt == BAD:
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
    if pos:
        ok = r._angle(buf, fs[1], fs[2] - 1, _char(buf, fs, 2, nf), 83, 78, 90)
        if ok < 0:
            return False
        lat_d = r._ang_d
        lat_r = r._ang_r
        ok2 = r._angle(buf, fs[3], fs[4] - 1, _char(buf, fs, 4, nf), 87, 69, 180)
        if ok2 < 0:
            return False
        pos = ok > 0 and ok2 > 0
    if not r._stamp(tod, _B_GNS):
        return True
    cur = r._cur
    if pos:
        cur.lat_deg = lat_d
        cur.lat_e7r = lat_r
        cur.lon_deg = r._ang_d
        cur.lon_e7r = r._ang_r
        r._pos_ok = True
        if alt != EMPTY:
            cur.alt_cm = alt
            cur.alt_ok = True
    if sats >= 0:
        cur.sats = sats
        r._sats_src = _SRC_FIX
    if hdop > 0:
        cur.hdop_c = hdop
        r._hdop_src = _SRC_FIX
    return True


def _gsa(r, buf, nf):
    # selection A/M, fix 1/2/3, 12 satellite ids, pdop, hdop, vdop [, system id]
    if nf < 17:
        return False
    fs = r._fs
    mode = _num(buf, fs[1], fs[2] - 1, 0)
    hdop = _num(buf, fs[15], fs[16] - 1, 2)
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
    if r._sats_src == _SRC_NONE:
        r._sats_src = _SRC_GSA
    if hdop > 0 and r._hdop_src == _SRC_NONE:
        r._cur.hdop_c = hdop
        r._hdop_src = _SRC_GSA
    return True


def _vtg(r, buf, nf):
    # course T, 'T', course M, 'M', speed kn, 'N', speed km/h, 'K' [, mode]
    fs = r._fs
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
    cog = _num(buf, fs[ck], fs[ck + 1] - 1, 2)
    mkn = _num(buf, fs[kk], fs[kk + 1] - 1, 3)
    mkh = _num(buf, fs[kh], fs[kh + 1] - 1, 3)
    if cog == BAD or mkn == BAD or mkh == BAD:
        return False
    if cog != EMPTY:
        cog = _course(cog)
        if cog == BAD:
            return False
    if mkn != EMPTY:
        spd = _kn_to_cms(mkn)
    elif mkh != EMPTY:
        spd = BAD if mkh < 0 or mkh > KMH_MAX_MKMH else (mkh + 18) // 36  # 0.001 km/h -> cm/s
    else:
        spd = EMPTY
    if spd == BAD:
        return False
    r._untimed()
    if mode == 78:  # 'N': data not valid
        return True
    cur = r._cur
    if spd != EMPTY:
        cur.speed_cms = spd
        cur.speed_ok = True
    if cog != EMPTY:
        cur.course_cdeg = cog
        cur.course_ok = True
    return True


def _gll(r, buf, nf):
    # lat, N/S, lon, E/W, time, status [, mode]
    if nf < 6:
        return False
    fs = r._fs
    tod = _hms(buf, fs[4], fs[5] - 1)
    status = _char(buf, fs, 5, nf)
    if tod == BAD or (status != 65 and status != 86):
        return False
    pos = status == 65 and _char(buf, fs, 6, nf) != 78
    if pos:
        ok = r._angle(buf, fs[0], fs[1] - 1, _char(buf, fs, 1, nf), 83, 78, 90)
        if ok < 0:
            return False
        lat_d = r._ang_d
        lat_r = r._ang_r
        ok2 = r._angle(buf, fs[2], fs[3] - 1, _char(buf, fs, 3, nf), 87, 69, 180)
        if ok2 < 0:
            return False
        pos = ok > 0 and ok2 > 0
    if not r._stamp(tod, _B_GLL):
        return True
    if pos:
        cur = r._cur
        cur.lat_deg = lat_d
        cur.lat_e7r = lat_r
        cur.lon_deg = r._ang_d
        cur.lon_e7r = r._ang_r
        r._pos_ok = True
    return True


def _zda(r, buf, nf):
    # time, day, month, year, zone hours, zone minutes
    if nf < 4:
        return False
    fs = r._fs
    tod = _hms(buf, fs[0], fs[1] - 1)
    d = _num(buf, fs[1], fs[2] - 1, 0)
    m = _num(buf, fs[2], fs[3] - 1, 0)
    y = _num(buf, fs[3], fs[4] - 1, 0)
    if tod == BAD or d == BAD or m == BAD or y == BAD:
        return False
    dated = d != EMPTY and m != EMPTY and y != EMPTY
    if dated and (m < 1 or m > 12 or y < 1980 or y > 2200 or d < 1 or d > _days_in_month(y, m)):
        return False
    if not r._stamp(tod, _B_ZDA):
        return True
    if dated and tod >= 0:
        r._set_date(y, m, d, tod)
    return True


_PARSERS = {
    _K_GGA: _gga,
    _K_RMC: _rmc,
    _K_GNS: _gns,
    _K_GSA: _gsa,
    _K_VTG: _vtg,
    _K_GLL: _gll,
    _K_ZDA: _zda,
}
