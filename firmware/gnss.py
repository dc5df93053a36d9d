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

Layout: this module frames the byte stream, verifies checksums and runs the
epochs; gnss_nmea.py decodes sentence fields, gnss_nav.py UBX NAV messages.

What allocates: the constructor (buffers, three Fix records) and the first
calls (warm-up). After that `feed`, `feed_byte` and `poll` allocate nothing
per sentence or frame (tests measure it with gc.mem_alloc over the gpsd
corpus). `feed` reads `buf` with `find` and indexing only, so buf must be a
bytes or bytearray (not a memoryview).
"""

import array
from micropython import const

import gnss_nav
from fix import MODE_2D, MODE_3D, MODE_NO_FIX, Fix
from gnss_nmea import PARSERS, SRC_GSA, SRC_NONE, sentence_key

LINE_MAX = const(120)  # '$' to the last checksum digit; NMEA says 82, RTK receivers send ~92
FIELDS_MAX = const(20)  # fields indexed per sentence (GSA has 18); the rest stay in the last
RX_BUF_BYTES = const(128)  # one UART readinto
POLL_MAX_BYTES = const(512)  # bytes decoded per poll() at most (bounded work per loop)
UBX_STORE_MAX = const(100)  # payload bytes kept for decoding (NAV-PVT is 92)
UBX_LEN_MAX = const(1200)  # longer "frames" are a false sync (NAV-SAT, 99 SVs: 1196)

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


def _hex1(c):
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -256


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
        self._empty_epoch()
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
        self._lat_d = 0  # latitude of the sentence being read (gnss_nmea._latlon)
        self._lat_r = 0
        self._dy = 0
        self._dm = 0
        self._dd = 0

    # ------------------------------------------------------------ public API

    def set_epoch_end(self, name):
        """Close the epoch right after this sentence type (b"GLL"), or None."""
        self._end_key = -1 if name is None else sentence_key(name)

    def status_fields(self, clock):
        """The `gnss` command's reply fields (a command, not the flight loop:
        it may allocate)."""
        f = self.fix
        g = self.last_good
        known = g.has_position
        return [
            ("mode", f.mode),
            ("sats", f.sats),
            ("lat", g.lat() if known else ""),
            ("lon", g.lon() if known else ""),
            ("age_s", g.age_ms(clock) // 1000 if known else -1),
            ("good", self.good),
            ("bad_checksum", self.bad_checksum),
        ]

    def poll(self):
        """Read what the UART has (at most max_bytes_per_poll), decode it, and
        close the open cycle after `epoch_gap_ms` without bytes (also when the
        bytes arrive by feed() and the reader has no UART).

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
        if not got and self._ep_open and self.epoch_gap_ms > 0:
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

    def feed(self, buf, n, start=0):
        """Decode buf[start:n] (bytes or bytearray), continuing the previous feed."""
        self.bytes_in += n - start
        self._last_rx_ms = self.clock.now_ms()  # for the silence that ends a cycle
        i = start
        s = -1  # '$' of a sentence that started in this buffer
        b5 = -1  # next 0xB5 at or after i (n if none)
        while i < n:
            st = self._st
            if st <= _NMEA and b5 < i:  # text ends at the next UBX sync
                b5 = buf.find(b"\xb5", i, n)
                if b5 < 0:
                    b5 = n
            if st == _NMEA:
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
        if frag > LINE_MAX + 1:
            self.overlong += 1  # as _append counts it when the line is split
        elif frag >= 6:
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
        parse = PARSERS.get((buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5])
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
        if parse(self, buf, fs, k):
            self.good += 1
            end = self._end_key
            if (
                end >= 0
                and self._ep_open
                and end == (buf[s + 3] << 16) | (buf[s + 4] << 8) | buf[s + 5]
            ):
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
                gnss_nav.nav_pvt(self, pay)
            elif mid == 0x04 and ln >= 18:
                gnss_nav.nav_dop(self, pay)
            elif mid == 0x61 and self._ep_open:  # NAV-EOE: the receiver says the cycle is over
                self._publish()
        cb = self.on_ubx
        if cb is not None:
            cb(cls, mid, pay, ln)

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

    def _empty_epoch(self):
        """What an epoch has gathered before its first sentence: nothing."""
        self._pos_ok = False
        self._gsa_mode = 0
        self._gsa_sats = 0
        self._sats_src = SRC_NONE
        self._hdop_src = SRC_NONE

    def _open(self, tod):
        cur = self._cur
        cur.clear()
        cur.rx_ms = self.clock.now_ms()
        self._ep_t = tod
        self._ep_open = True
        self._empty_epoch()
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
        if self._sats_src == SRC_GSA:
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
