"""Exact signed integers wider than 30 bits, without touching the heap.

Why: the barometer datasheets (MS5611, BMP280, BMP388) define their
compensation with 64-bit intermediates. On rp2/esp32 a MicroPython int above
2**30 becomes a heap-allocated big int, and the compensation runs 50-100 times
a second. `Acc` holds one such value as six 14-bit limbs in a list allocated
once, so a driver can write the datasheet's formula step by step
(`a.set_int(dt).mul(c4).shr(7)`) and get the datasheet's exact integer result.

Promises:
- value range [-2**83, 2**83); every operation is exact when its result is in
  that range (arithmetic is modulo 2**84, like int64 is modulo 2**64);
- every intermediate a method computes stays below 2**30 in magnitude (limb
  products are 14 x 14 bits; multipliers are split into 14-bit pieces), so
  nothing allocates on a 32-bit port. `tests/test_drv_wide.py` proves the
  bound by running the methods on CPython with ints that assert it;
- `shr` is an arithmetic shift (floor), `div` truncates toward zero: the C
  semantics of `>>` and `/` on int64 that the datasheets' code uses;
- methods return `self` so steps chain; `to_int()` gives the value back as a
  small int and sets `overflow` instead of returning a wrong number when it
  does not fit in 30 bits.

Representation: value = sum(d[i] * 2**(14*i)); d[0..4] in [0, 2**14), d[5]
signed (two's complement across limbs, so floor shifts are limb moves).

This module also holds the polling machine the two Bosch barometers (BMP280,
BMP3xx) share (`bosch_read`): they are this module's only importers, and a
module of its own would cost a board that flies one of them about 340 B more
RAM (a module object, its globals and names), measured on the 32-bit unix
port. Here a board with one of them reads within the measurement's 64 B
resolution of the drivers' own copies, and one with both ~530 B less
(`driver_ram_bytes_*` in bench/bench_driver_ram.py).
"""

from micropython import const

_B = const(14)  # bits per limb
_M = const(0x3FFF)  # limb mask
_TOP = const(5)  # index of the signed top limb


class Acc:
    """One wide signed integer. Preallocate one per intermediate a driver needs.

    The limb code is unrolled: a loop over six limbs costs about three times
    as much bytecode time on MicroPython."""

    def __init__(self):
        self.d = [0, 0, 0, 0, 0, 0]
        self.overflow = False  # set by to_int() when the value does not fit 30 bits
        self.rem = 0  # magnitude of the remainder of the last div()

    def set_int(self, x):
        """self = x, for any |x| < 2**30."""
        d = self.d
        d[0] = x & _M
        x >>= _B
        d[1] = x & _M
        x >>= _B
        d[2] = x & _M
        x >>= _B  # now 0 or -1
        d[3] = x & _M
        d[4] = x & _M
        d[5] = x
        return self

    def set_acc(self, other):
        d = self.d
        o = other.d
        d[0] = o[0]
        d[1] = o[1]
        d[2] = o[2]
        d[3] = o[3]
        d[4] = o[4]
        d[5] = o[5]
        return self

    def _norm(self):
        # Carry every limb into [0, 2**14); the top limb takes the sign and
        # wraps to 14 signed bits: arithmetic is modulo 2**84, exact for every
        # result in range (the sign-extension limbs of a negative operand
        # multiply into carries that must wrap away, as in any two's
        # complement machine). Limbs entering may be up to ~2**29.
        d = self.d
        v = d[0]
        d[0] = v & _M
        v = d[1] + (v >> _B)
        d[1] = v & _M
        v = d[2] + (v >> _B)
        d[2] = v & _M
        v = d[3] + (v >> _B)
        d[3] = v & _M
        v = d[4] + (v >> _B)
        d[4] = v & _M
        d[5] = ((d[5] + (v >> _B) + 0x2000) & _M) - 0x2000

    def is_neg(self):
        return self.d[_TOP] < 0

    def neg(self):
        d = self.d
        d[0] = -d[0]
        d[1] = -d[1]
        d[2] = -d[2]
        d[3] = -d[3]
        d[4] = -d[4]
        d[5] = -d[5]
        self._norm()
        return self

    def add(self, other):
        d = self.d
        o = other.d
        d[0] += o[0]
        d[1] += o[1]
        d[2] += o[2]
        d[3] += o[3]
        d[4] += o[4]
        d[5] += o[5]
        self._norm()
        return self

    def sub(self, other):
        d = self.d
        o = other.d
        d[0] -= o[0]
        d[1] -= o[1]
        d[2] -= o[2]
        d[3] -= o[3]
        d[4] -= o[4]
        d[5] -= o[5]
        self._norm()
        return self

    def add_int(self, x):
        """self += x, for |x| < 2**30 (split so no limb sum exceeds 2**30)."""
        d = self.d
        d[0] += x & _M
        x >>= _B
        d[1] += x & _M
        d[2] += x >> _B  # |x >> 14| <= 4 here
        self._norm()
        return self

    def mul(self, k):
        """self *= k, for |k| < 2**30. k is split into 14-bit pieces, so each
        limb product is below 2**28 and a limb's three terms below 2**30."""
        neg = k < 0
        if neg:
            k = -k
        k0 = k & _M
        k1 = (k >> _B) & _M
        k2 = k >> 28  # 0..3
        d = self.d
        d0 = d[0]
        d1 = d[1]
        d2 = d[2]
        d3 = d[3]
        d4 = d[4]
        d[5] = d[5] * k0 + d4 * k1 + d3 * k2
        d[4] = d4 * k0 + d3 * k1 + d2 * k2
        d[3] = d3 * k0 + d2 * k1 + d1 * k2
        d[2] = d2 * k0 + d1 * k1 + d0 * k2
        d[1] = d1 * k0 + d0 * k1
        d[0] = d0 * k0
        self._norm()
        if neg:
            self.neg()
        return self

    def shl(self, n):
        """self *= 2**n (n >= 0), modulo 2**84 like every operation."""
        d = self.d
        while n >= _B:
            d[5] = ((d[4] + 0x2000) & _M) - 0x2000
            d[4] = d[3]
            d[3] = d[2]
            d[2] = d[1]
            d[1] = d[0]
            d[0] = 0
            n -= _B
        if n:
            self.mul(1 << n)
        return self

    def shr(self, n):
        """self = floor(self / 2**n) (n >= 0): C's >> on a signed int64."""
        d = self.d
        while n >= _B:
            d[0] = d[1]
            d[1] = d[2]
            d[2] = d[3]
            d[3] = d[4]
            d[4] = d[5] & _M
            d[5] >>= _B
            n -= _B
        if n:
            low = (1 << n) - 1
            up = _B - n
            d[0] = (d[0] >> n) | ((d[1] & low) << up)
            d[1] = (d[1] >> n) | ((d[2] & low) << up)
            d[2] = (d[2] >> n) | ((d[3] & low) << up)
            d[3] = (d[3] >> n) | ((d[4] & low) << up)
            d[4] = (d[4] >> n) | ((d[5] & low) << up)
            d[5] >>= n
        return self

    def div(self, den):
        """self = trunc(self / den) for 0 < den < 2**30 (C's / on int64).

        The remainder's magnitude is left in `rem`. A den up to 2**16 divides a
        limb at a time; a larger one bit by bit with the remainder kept below
        den, so `2*rem + bit` is never formed (it could reach 2**31)."""
        d = self.d
        neg = d[_TOP] < 0
        if neg:
            self.neg()
        r = 0
        if den <= (1 << 16):
            for i in range(_TOP, -1, -1):
                cur = (r << _B) | d[i]
                qd = cur // den
                r = cur - qd * den
                d[i] = qd
        else:
            for i in range(_TOP, -1, -1):
                limb = d[i]
                if r == 0 and limb == 0:
                    continue
                qd = 0
                for b in range(_B - 1, -1, -1):
                    bit = (limb >> b) & 1
                    t = den - r
                    if r + bit >= t:
                        r = r + bit - t
                        qd = (qd << 1) | 1
                    else:
                        r = r + r + bit
                        qd <<= 1
                d[i] = qd
        self.rem = r
        if neg:
            self.neg()
        return self

    def fits(self):
        """True when |value| < 2**30."""
        d = self.d
        if d[_TOP] == 0:
            return d[4] == 0 and d[3] == 0 and d[2] < 4
        if d[_TOP] == -1 and d[4] == _M and d[3] == _M:
            if d[2] > (1 << _B) - 4:
                return True
            return d[2] == (1 << _B) - 4 and (d[1] | d[0]) != 0
        return False

    def to_int(self):
        """The value as a small int; 0 and `overflow = True` if it does not fit."""
        d = self.d
        if not self.fits():
            self.overflow = True
            return 0
        low = (d[1] << _B) + d[0]
        if d[_TOP] < 0:
            # hi in [-4, -1]: add (hi + 2) * 2**28 then subtract 2**29, so no
            # step goes below -2**30.
            return (((d[2] - (1 << _B) + 2) << 28) + low) - (1 << 29)
        return (d[2] << 28) + low

    def sign(self):
        d = self.d
        if d[_TOP] < 0:
            return -1
        for i in range(6):
            if d[i]:
                return 1
        return 0


# ---- the Bosch barometers' polling machine ----

_S_INIT = const(0)  # read the chip id and trim, configure normal mode
_S_RUN = const(1)  # burst-read the data registers once per period_ms
_S_BACKOFF = const(2)  # wait _RETRY_BACKOFF_MS, then initialise again
_RESET_AFTER_ERRORS = const(5)
_RETRY_BACKOFF_MS = const(100)
_STALE_MS = const(200)


def bosch_poll_init(drv):
    """The polling machine's own state, set in the driver's __init__ (the
    driver declares its counters itself)."""
    drv._state = _S_INIT
    drv._t0 = 0
    drv._last_ok_ms = 0
    drv._ok = False
    drv._consecutive = 0


def bosch_read(drv, sample):
    """`read(sample)` of a BMP280/BMP3xx (the class takes it as its method):
    fill sample.press_dpa / baro_ok; True when a new pressure was read.

    Never blocks, never raises. The chip converts on its own (normal mode);
    the driver reads at most once per `period_ms`. The chip's part is two
    methods: `_init_chip(now)` (id, trim, configuration; False if the chip is
    not the expected one) and `_convert()` (read the data registers and
    compensate into `press_dpa`; False for a skipped or implausible
    measurement). A bus error counts in `bus_errors`, a bad measurement or a
    wrong chip in `data_errors`; _RESET_AFTER_ERRORS in a row re-initialise
    the chip after _RETRY_BACKOFF_MS. `baro_ok` drops when no good reading
    has come for _STALE_MS."""
    clk = drv._clock
    now = clk.now_ms()
    fresh = False
    failed = False
    st = drv._state
    try:
        if st == _S_RUN:
            if clk.diff_ms(now, drv._t0) >= drv.period_ms:
                drv._t0 = now
                if drv._convert():
                    fresh = True
                else:
                    drv.data_errors += 1
                    failed = True
        elif st == _S_INIT:
            if drv._init_chip(now):
                drv._state = _S_RUN
            else:
                drv.data_errors += 1
                drv._state = _S_BACKOFF
                drv._t0 = now
        elif clk.diff_ms(now, drv._t0) >= _RETRY_BACKOFF_MS:
            drv._state = _S_INIT
    except OSError:
        drv.bus_errors += 1
        failed = True
    if fresh:
        drv._consecutive = 0
        drv._ok = True
        drv._last_ok_ms = now
        drv.readings += 1
        sample.press_dpa = drv.press_dpa
    elif failed:
        drv._ok = False
        drv._consecutive += 1
        if drv._consecutive >= _RESET_AFTER_ERRORS:
            drv._consecutive = 0
            drv._state = _S_BACKOFF
            drv._t0 = now
    if drv._ok and clk.diff_ms(now, drv._last_ok_ms) > _STALE_MS:
        drv._ok = False
    sample.baro_ok = drv._ok
    return fresh
