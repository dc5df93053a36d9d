"""The ground station's line for each received packet, built without allocating.

    RX T_MS lora rssi=-97.25 snr=8.50 crc=ok n=87 gs=-29.1809240,151.1572524 hex=3CFF01...*HH\\r\\n

- the console's line shape (wire.py: KIND T_MS NAME key=value ...*HH), KIND
  `RX`, NAME the radio (`lora`), so one parser reads every line a board says;
- T_MS: the station's clock tick when the packet was read;
- rssi (dBm) and snr (dB) exactly, from quarter-dB integers (lora_signal.py);
- crc: `ok` (the chip checked it), `bad` (PayloadCrcError: the bytes are
  noise, no hex is printed and nothing may decode them), `none` (sent
  without a CRC: printed for inspection, but a host must not trust it);
- n: the packet's length in bytes; hex: the packet, upper-case hex (the
  payload can be binary: the `<\\xff\\x01` LoRa APRS prefix, SBD);
- gs: the ground station's own position (its last GNSS fix, 1e-7 degree)
  when it has one, so a tracker shows distance and bearing from the team;
- *HH: the console's checksum rule (wire.py: XOR of every byte before
  `*`), so a host drops a line hit by serial noise as it drops any other.

The buffer is allocated once; `build` writes digits and hex into it by
table lookups and returns the length, and the caller writes that many
bytes (stream.write(buf, n)). No allocation per packet, every int below 2**30.
"""

from micropython import const

import wire

LINE_MAX = const(640)  # 255-byte packet as hex (510) + the fields
CRC_OK = const(0)
CRC_BAD = const(1)
CRC_NONE = const(2)
_DIGITS = b"0123456789ABCDEF"
_E7 = const(10_000_000)


class RxLine:
    def __init__(self):
        self.buf = bytearray(LINE_MAX)
        self._tmp = bytearray(12)

    def _put(self, at, text):
        b = self.buf
        for c in text:
            b[at] = c
            at += 1
        return at

    def _uint(self, at, v, width=0):
        """Decimal v >= 0, zero-padded to width digits."""
        t = self._tmp
        k = 0
        while True:
            t[k] = _DIGITS[v % 10]
            v //= 10
            k += 1
            if v == 0 and k >= width:
                break
        b = self.buf
        while k:
            k -= 1
            b[at] = t[k]
            at += 1
        return at

    def _q4(self, at, q):
        """Quarter units as a decimal with two places: -389 -> -97.25."""
        if q < 0:
            self.buf[at] = 45  # '-'
            at += 1
            q = -q
        at = self._uint(at, q >> 2)
        self.buf[at] = 46  # '.'
        return self._uint(at + 1, (q & 3) * 25, 2)

    def _degrees(self, at, deg, e7r):
        if deg < 0 or e7r < 0:
            self.buf[at] = 45
            at += 1
        at = self._uint(at, -deg if deg < 0 else deg)
        self.buf[at] = 46
        return self._uint(at + 1, -e7r if e7r < 0 else e7r, 7)

    def build(self, t_ms, rssi_q4, snr_q4, crc, payload, n, gs_fix=None):
        """The line for packet payload[0:n]; returns its length in bytes.
        gs_fix: the station's fix.Fix, printed when it holds a position."""
        b = self.buf
        at = self._put(0, b"RX ")
        at = self._uint(at, t_ms)
        at = self._put(at, b" lora rssi=")
        at = self._q4(at, rssi_q4)
        at = self._put(at, b" snr=")
        at = self._q4(at, snr_q4)
        if crc == CRC_OK:
            at = self._put(at, b" crc=ok")
        elif crc == CRC_BAD:
            at = self._put(at, b" crc=bad")
        else:
            at = self._put(at, b" crc=none")
        at = self._put(at, b" n=")
        at = self._uint(at, n)
        if gs_fix is not None and gs_fix.has_position:
            at = self._put(at, b" gs=")
            at = self._degrees(at, gs_fix.lat_deg, gs_fix.lat_e7r)
            b[at] = 44  # ','
            at = self._degrees(at + 1, gs_fix.lon_deg, gs_fix.lon_e7r)
        if crc != CRC_BAD:
            at = self._put(at, b" hex=")
            for i in range(n):
                v = payload[i]
                b[at] = _DIGITS[v >> 4]
                b[at + 1] = _DIGITS[v & 15]
                at += 2
        c = wire.checksum(b, at)
        b[at] = 42  # '*'
        b[at + 1] = _DIGITS[c >> 4]
        b[at + 2] = _DIGITS[c & 15]
        b[at + 3] = 13
        b[at + 4] = 10
        return at + 5
