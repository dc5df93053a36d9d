"""MS5611-01BA03 barometer on I2C: the capsule's flight barometer.

Why this part: it measures 10..1200 mbar, so it still reads at the ~30 km
drogue altitude where the Bosch parts (300 hPa floor) are blind.

What it promises:
- `read(sample)` never blocks and never raises. Conversions run as a state
  machine driven by the clock: start a conversion, come back on a later call
  once the datasheet's maximum conversion time has passed, read the ADC and
  start the next one. Temperature (D2) is converted once per `temp_every`
  pressure (D1) conversions.
- Compensation is the datasheet's integer algorithm, first AND second order,
  bit-exact (see `compensate`), computed with every intermediate below 2**30,
  so a reading allocates nothing on rp2/esp32 (the datasheet's int64
  intermediates are carried as two 24-bit limbs).
- A bus error (OSError) sets `baro_ok` False and counts in `bus_errors`; an
  ADC result of 0 (the chip's answer to a read during or without a
  conversion), a PROM that fails its CRC-4, or a result outside the plausible
  range counts in `data_errors`. After `RESET_AFTER_ERRORS` consecutive
  errors the driver resets the chip and reloads the PROM.
- `present()` reads the PROM and checks its CRC-4 (AN520), for the self-test.

Divisions by 2**n in the datasheet are done as arithmetic right shifts
(floor), as in the manufacturer's reference C driver (`>>` on int64); for a
negative dT this differs from C's truncating `/` by at most one unit of the
intermediate. `tests/test_drv_ms5611.py` checks every result against an
independent transcription of the datasheet in Python integers.

Bus: a machine.I2C-like object (writeto, readfrom_into), address 0x77 (CSB
low) or 0x76 (CSB high).
"""

from micropython import const

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

    import clock as clock_mod  # noqa: F401 (named in type comments, for mypy)

CMD_RESET = const(0x1E)
CMD_CONV_D1 = const(0x40)  # + 2 * osr index
CMD_CONV_D2 = const(0x50)
CMD_ADC_READ = const(0x00)
CMD_PROM_READ = const(0xA0)  # + 2 * word index 0..7

RESET_RELOAD_MS = const(3)  # datasheet: 2.8 ms PROM reload after reset
RESET_AFTER_ERRORS = const(5)  # consecutive errors before a chip reset
RETRY_BACKOFF_MS = const(100)  # wait before retrying a chip that failed its PROM
STALE_MS = const(100)  # baro_ok drops if no fresh reading for this long

# Plausible results: the datasheet's operating range with margin. Outside it
# the chip or its PROM is broken; a reading there is counted, not reported.
TEMP_MIN_C100 = const(-6000)
TEMP_MAX_C100 = const(10500)
PRESS_MIN_PA = const(1)
PRESS_MAX_PA = const(130000)

_M24 = const(0xFFFFFF)
_M12 = const(0xFFF)

# OSR -> (command offset, wait in ms). Waits are floor(datasheet max) + 2: the
# clock counts whole ms, so `elapsed >= wait` guarantees more than wait - 1 ms
# really passed, which exceeds the datasheet's maximum conversion time
# (0.60, 1.17, 2.28, 4.54, 9.04 ms).
_OSR_TABLE = {256: (0, 2), 512: (2, 3), 1024: (4, 4), 2048: (6, 6), 4096: (8, 11)}

_S_PROM = const(0)  # (re)load the PROM
_S_RESET_WAIT = const(1)
_S_BACKOFF = const(2)
_S_IDLE = const(3)  # nothing converting: start the next conversion
_S_CONV_T = const(4)  # D2 converting
_S_CONV_P = const(5)  # D1 converting


def crc4(prom):
    """CRC-4 of the 8 PROM words as MS AN520 defines it (CRC in word 7 bits 0-3,
    the whole low byte of word 7 excluded)."""
    rem = 0
    for cnt in range(16):
        w = prom[cnt >> 1]
        if cnt == 15:
            b = 0
        elif cnt & 1:
            b = w & 0xFF
        else:
            b = w >> 8
        rem ^= b
        for _ in range(8):
            if rem & 0x8000:
                rem = ((rem << 1) ^ 0x3000) & 0xFFFF
            else:
                rem = (rem << 1) & 0xFFFF
    return (rem >> 12) & 0xF


def prom_valid(prom):
    """CRC matches and the PROM is not all 0 or all 1 (an all-zero PROM, a
    dead bus pulled low, has a matching CRC of 0)."""
    acc_and = 0xFFFF
    acc_or = 0
    for i in range(8):
        acc_and &= prom[i]
        acc_or |= prom[i]
    if acc_or == 0 or acc_and == 0xFFFF:
        return False
    return crc4(prom) == (prom[7] & 0xF)


class MS5611:
    def __init__(self, i2c, clock, addr=0x77, osr=4096, temp_every=4):
        # type: (machine.I2C, clock_mod.TicksClock, int, int, int) -> None
        if osr not in _OSR_TABLE:
            raise ValueError("ms5611 osr must be 256, 512, 1024, 2048 or 4096")
        if temp_every < 1:
            raise ValueError("ms5611 temp_every must be >= 1")
        self._i2c = i2c
        self._clock = clock
        self._addr = addr
        off, self._wait_ms = _OSR_TABLE[osr]
        self._cmd_d1 = CMD_CONV_D1 + off
        self._cmd_d2 = CMD_CONV_D2 + off
        self._temp_every = temp_every
        self.prom = [0] * 8  # C0..C7 as the chip stores them (C1..C6 used)
        self._cmd = bytearray(1)
        self._buf2 = bytearray(2)
        self._buf3 = bytearray(3)
        self._state = _S_PROM
        self._t0 = 0
        self._p_since_t = 0
        self._d2 = 0
        self._have_d2 = False
        self._consecutive = 0
        self._discard = False
        self._last_ok_ms = 0
        self._ok = False
        # Results of the last compensation (valid when self._ok).
        self.temp_c100 = 0  # 0.01 degC, second-order compensated
        self.press_pa = 0  # Pa (= 0.01 mbar)
        self.readings = 0
        self.bus_errors = 0
        self.data_errors = 0
        self._hi = 0  # limb pair written by _mul
        self._lo = 0

    # ---- bus primitives (raise OSError; callers catch) ----

    def _command(self, cmd):
        self._cmd[0] = cmd
        self._i2c.writeto(self._addr, self._cmd)

    def _read_adc(self):
        self._command(CMD_ADC_READ)
        b = self._buf3
        self._i2c.readfrom_into(self._addr, b)
        return (b[0] << 16) | (b[1] << 8) | b[2]

    def _load_prom(self):
        """Read the 8 PROM words; True if they pass the CRC. Raises OSError."""
        b = self._buf2
        for i in range(8):
            self._command(CMD_PROM_READ + 2 * i)
            self._i2c.readfrom_into(self._addr, b)
            self.prom[i] = (b[0] << 8) | b[1]
        return prom_valid(self.prom)

    # ---- public API ----

    def present(self):
        """Self-test: the chip answers and its PROM passes CRC-4. Never raises.
        A conversion running meanwhile is discarded (the datasheet promises
        nothing for commands sent during a conversion): read() lets it end,
        reads and drops its result, then starts a fresh one."""
        if self._state == _S_CONV_T or self._state == _S_CONV_P:
            self._discard = True
        try:
            ok = self._load_prom()
        except OSError:
            self.bus_errors += 1
            return False
        if not ok:
            self.data_errors += 1
        return ok

    def read(self, sample):
        """Advance the conversion state machine; fill sample.press_dpa and
        sample.baro_ok. Returns True when a new pressure was computed."""
        now = self._clock.now_ms()
        fresh = False
        try:
            fresh = self._step(now)
        except OSError:
            self.bus_errors += 1
            self._ok = False
            self._error()
        if fresh:
            sample.press_dpa = self.press_pa * 10
        if self._ok and self._clock.diff_ms(now, self._last_ok_ms) > STALE_MS:
            self._ok = False
        sample.baro_ok = self._ok
        return fresh

    def _error(self):
        self._discard = False
        self._consecutive += 1
        if self._consecutive >= RESET_AFTER_ERRORS:
            self._consecutive = 0
            self._have_d2 = False
            try:
                self._command(CMD_RESET)
                self._t0 = self._clock.now_ms()
                self._state = _S_RESET_WAIT
            except OSError:
                self.bus_errors += 1
                self._t0 = self._clock.now_ms()
                self._state = _S_BACKOFF
        else:
            self._state = _S_IDLE if self._state >= _S_IDLE else self._state

    def _start(self, now):
        if not self._have_d2 or self._p_since_t >= self._temp_every:
            self._command(self._cmd_d2)
            self._state = _S_CONV_T
        else:
            self._command(self._cmd_d1)
            self._state = _S_CONV_P
        self._t0 = now

    def _step(self, now):
        st = self._state
        if st == _S_IDLE:
            self._start(now)
            return False
        clk = self._clock
        if st == _S_CONV_T or st == _S_CONV_P:
            if clk.diff_ms(now, self._t0) < self._wait_ms:
                return False
            adc = self._read_adc()
            if self._discard:
                self._discard = False
                self._state = _S_IDLE
                return False
            if adc == 0:  # read during/without a conversion: result lost
                self.data_errors += 1
                self._ok = False
                self._error()
                return False
            if st == _S_CONV_T:
                self._d2 = adc
                self._have_d2 = True
                self._p_since_t = 0
                self._command(self._cmd_d1)
                self._state = _S_CONV_P
                self._t0 = now
                return False
            self._p_since_t += 1
            self._start(now)
            if not self.compensate(adc, self._d2):
                self.data_errors += 1
                self._ok = False
                self._error()
                return False
            self._consecutive = 0
            self._ok = True
            self._last_ok_ms = now
            self.readings += 1
            return True
        if st == _S_PROM:
            if self._load_prom():
                self._state = _S_IDLE
                self._consecutive = 0
            else:
                self.data_errors += 1
                self._t0 = now
                self._state = _S_BACKOFF
            return False
        if st == _S_RESET_WAIT:
            if clk.diff_ms(now, self._t0) >= RESET_RELOAD_MS:
                self._state = _S_PROM
            return False
        # _S_BACKOFF
        if clk.diff_ms(now, self._t0) >= RETRY_BACKOFF_MS:
            self._command(CMD_RESET)
            self._t0 = now
            self._state = _S_RESET_WAIT
        return False

    # ---- compensation (datasheet p. 7-8), no allocation ----

    def _mul(self, a, b):
        """(self._hi, self._lo) = a * b as hi * 2**24 + lo, lo in [0, 2**24),
        for 0 <= a < 2**24 and |b| < 2**24. Pieces are 12 bits, so every
        partial product is below 2**25."""
        ah = a >> 12
        al = a & _M12
        bh = b >> 12  # signed
        bl = b & _M12
        mid = ah * bl + al * bh
        lo = ((mid & _M12) << 12) + al * bl
        self._hi = ah * bh + (mid >> 12) + (lo >> 24)
        self._lo = lo & _M24

    def compensate(self, d1, d2):
        """Set temp_c100 and press_pa from raw D1 (pressure) and D2
        (temperature) with the PROM in self.prom. Returns False (and keeps the
        previous values) when the result is outside the plausible range."""
        c = self.prom
        dt = d2 - (c[5] << 8)  # dT = D2 - C5 * 2^8; |dT| < 2^24
        # TEMP = 2000 + dT * C6 / 2^23
        self._mul(c[6], dt)
        temp = 2000 + (self._hi << 1) + (self._lo >> 23)
        # OFF = C2 * 2^16 + C4 * dT / 2^7            -> (oh, ol)
        self._mul(c[4], dt)
        h = self._hi
        ol = (((h & 0x7F) << 17) | (self._lo >> 7)) + ((c[2] & 0xFF) << 16)
        oh = (h >> 7) + (c[2] >> 8) + (ol >> 24)
        ol &= _M24
        # SENS = C1 * 2^15 + C3 * dT / 2^8           -> (sh, sl)
        self._mul(c[3], dt)
        h = self._hi
        sl = (((h & 0xFF) << 16) | (self._lo >> 8)) + ((c[1] & 0x1FF) << 15)
        sh = (h >> 8) + (c[1] >> 9) + (sl >> 24)
        sl &= _M24
        if temp < 2000:
            # Second order (datasheet p. 8): T2 = dT^2 / 2^31,
            # OFF2 = 5 (TEMP-2000)^2 / 2, SENS2 = 5 (TEMP-2000)^2 / 4,
            # below -15 degC also OFF2 += 7 (TEMP+1500)^2,
            # SENS2 += 11 (TEMP+1500)^2 / 2.
            adt = -dt if dt < 0 else dt
            self._mul(adt, adt)
            t2 = self._hi >> 7
            x = 2000 - temp  # > 0, < 2^18
            self._mul(x, x)
            h = self._hi * 5
            lo = self._lo * 5
            h += lo >> 24
            lo &= _M24
            # OFF2 = floor(5x^2 / 2), SENS2 = floor(5x^2 / 4)
            o2l = ((h & 1) << 23) | (lo >> 1)
            o2h = h >> 1
            s2l = ((h & 3) << 22) | (lo >> 2)
            s2h = h >> 2
            if temp < -1500:
                y = -1500 - temp  # > 0
                self._mul(y, y)
                yh = self._hi
                yl = self._lo
                o2l += yl * 7
                o2h += yh * 7 + (o2l >> 24)
                o2l &= _M24
                h = yh * 11
                lo = yl * 11
                h += lo >> 24
                lo &= _M24
                s2l += ((h & 1) << 23) | (lo >> 1)
                s2h += (h >> 1) + (s2l >> 24)
                s2l &= _M24
            temp -= t2
            ol -= o2l
            oh = oh - o2h + (ol >> 24)
            ol &= _M24
            sl -= s2l
            sh = sh - s2h + (sl >> 24)
            sl &= _M24
        # P = (D1 * SENS / 2^21 - OFF) / 2^15
        # D1 * SENS = D1 * sh * 2^24 + D1 * sl, and 2^21 divides 2^24, so
        # floor(D1 * SENS / 2^21) = 8 * D1 * sh + floor(D1 * sl / 2^21).
        if sh >= (1 << 23) or sh < -(1 << 23):
            return False  # only a broken PROM gets here
        self._mul(d1, sh)
        h = self._hi
        lo = self._lo
        ql = (lo << 3) & _M24
        qh = (h << 3) + (lo >> 21)
        self._mul(d1, sl)
        ql += (self._hi << 3) + (self._lo >> 21)
        qh += ql >> 24
        ql &= _M24
        ql -= ol
        qh = qh - oh + (ql >> 24)
        ql &= _M24
        if qh >= (1 << 20) or qh < -(1 << 20):
            return False
        p = (qh << 9) + (ql >> 15)
        if not (TEMP_MIN_C100 <= temp <= TEMP_MAX_C100 and PRESS_MIN_PA <= p <= PRESS_MAX_PA):
            return False
        self.temp_c100 = temp
        self.press_pa = p
        return True
