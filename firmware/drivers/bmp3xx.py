"""Bosch BMP388 / BMP390 barometer on I2C.

Why: a low-noise barometer (about 0.03 Pa RMS at high oversampling) for
main-deploy altitude and landing detection. Like the BMP280 it stops at
300 hPa (about 9 km), so it is not the drogue barometer.

What it promises:
- `read(sample)` never blocks and never raises: the chip runs in normal mode
  at the chosen output data rate, and the driver burst-reads the six data
  registers at most once per ODR period, driven by the clock.
- Compensation: the datasheet (section 9) gives it only in floating point,
  with the NVM_PAR trimming values scaled by powers of two. MicroPython
  floats are heap objects, so this driver evaluates the same polynomial in
  integers with drv_wide.Acc (no step reaches 2**30, nothing allocates):
    t_lin is kept as floor(t_lin * 2**20), exactly (its rational value has
    denominator 2**48, so the floor is exact); t_lin**2 in Q12 and t_lin**3
    in Q6; every pressure term is formed with its own power-of-two scaling
    and floored into a Q16 (Pa / 65536) accumulator, then rounded to 0.1 Pa.
  The result is within 0.1 Pa of the datasheet's formula evaluated in
  double precision (tests/test_drv_bmp3xx.py checks random trims and raw
  values over -40..85 degC and 300..1250 hPa); the sensor's own noise is
  larger. t_lin outside +-128 degC is treated as a broken chip.
- A bus error counts in `bus_errors`, an implausible result or a
  configuration the chip rejects (ERR_REG conf_err: ODR shorter than the
  measurement time) in `data_errors`/`config_error`.
- `present()` checks the chip id (0x50 BMP388, 0x60 BMP390).

`read` is drv_wide.bosch_read, the polling machine this driver shares with
bmp280.py; this module supplies its chip's part (`_init_chip`, `_convert`).
"""

from micropython import const

import drv_wide

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

    import clock as clock_mod  # noqa: F401 (named in type comments, for mypy)

REG_CHIP_ID = const(0x00)
REG_ERR = const(0x02)  # bit2 conf_err
REG_DATA = const(0x04)  # press xlsb lsb msb, temp xlsb lsb msb
REG_PWR_CTRL = const(0x1B)  # bit0 press_en, bit1 temp_en, bits5:4 mode (3 = normal)
REG_OSR = const(0x1C)  # osr_p bits2:0, osr_t bits5:3
REG_ODR = const(0x1D)  # odr_sel: period = 5 ms * 2**odr_sel
REG_CONFIG = const(0x1F)  # iir_filter bits3:1
REG_CALIB = const(0x31)  # NVM_PAR_T1 .. NVM_PAR_P11, 21 bytes
REG_CMD = const(0x7E)
PWR_NORMAL_PT = const(0x33)

TLIN_LIMIT_Q20 = const(128 << 20)  # |t_lin| < 128 degC
PRESS_MIN_DPA = const(10)
PRESS_MAX_DPA = const(1300000)

CHIP_IDS = (0x50, 0x60)
_OSR = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4, 32: 5}
# (NVM_PAR name, bytes, signed) in register order from 0x31 (datasheet table 23)
_LAYOUT = (
    (2, False),  # T1
    (2, False),  # T2
    (1, True),  # T3
    (2, True),  # P1
    (2, True),  # P2
    (1, True),  # P3
    (1, True),  # P4
    (2, False),  # P5
    (2, False),  # P6
    (1, True),  # P7
    (1, True),  # P8
    (2, True),  # P9
    (1, True),  # P10
    (1, True),  # P11
)


def measurement_us(osr_p, osr_t):
    """Datasheet 3.9.2: conversion time in normal/forced mode, microseconds
    (the constants of Bosch's BMP3 API: 234 + 392 + 2000 * osr_p + 313 +
    2000 * osr_t)."""
    return 234 + 392 + 2000 * osr_p + 313 + 2000 * osr_t


class BMP3xx:
    def __init__(self, i2c, clock, addr=0x77, osr_p=8, osr_t=1, odr_sel=2, iir_code=0):
        # type: (machine.I2C, clock_mod.TicksClock, int, int, int, int, int) -> None
        if osr_p not in _OSR or osr_t not in _OSR:
            raise ValueError("bmp3xx osr_p/osr_t must be 1, 2, 4, 8, 16 or 32")
        if not 0 <= odr_sel <= 17 or not 0 <= iir_code <= 7:
            raise ValueError("bmp3xx odr_sel 0..17, iir_code 0..7")
        self.period_ms = 5 << odr_sel
        if measurement_us(osr_p, osr_t) > self.period_ms * 1000:
            raise ValueError("bmp3xx: oversampling too long for the output data rate")
        self._i2c = i2c
        self._clock = clock
        self._addr = addr
        self._osr = (_OSR[osr_t] << 3) | _OSR[osr_p]
        self._odr = odr_sel
        self._iir = iir_code << 1
        self.trim = [0] * 14  # T1 T2 T3 P1 .. P11, as the NVM holds them
        self._calib = bytearray(21)
        self._data = bytearray(6)
        self._one = bytearray(1)
        self._a = drv_wide.Acc()
        self._b = drv_wide.Acc()
        self._p = drv_wide.Acc()
        self.chip_id = 0
        self.config_error = False
        self.tlin_q20 = 0  # t_lin * 2**20
        self.temp_c100 = 0
        self.press_dpa = 0
        self.readings = 0
        self.bus_errors = 0
        self.data_errors = 0
        drv_wide.bosch_poll_init(self)

    def present(self):
        """Self-test: the chip answers with a BMP388/BMP390 id. Never raises."""
        try:
            self._i2c.readfrom_mem_into(self._addr, REG_CHIP_ID, self._one)
        except OSError:
            self.bus_errors += 1
            return False
        self.chip_id = self._one[0]
        return self.chip_id in CHIP_IDS

    def _write(self, reg, value):
        self._one[0] = value
        self._i2c.writeto_mem(self._addr, reg, self._one)

    def _init_chip(self, now):
        i2c = self._i2c
        i2c.readfrom_mem_into(self._addr, REG_CHIP_ID, self._one)
        self.chip_id = self._one[0]
        if self.chip_id not in CHIP_IDS:
            return False
        c = self._calib
        i2c.readfrom_mem_into(self._addr, REG_CALIB, c)
        pos = 0
        for i in range(14):
            n, signed = _LAYOUT[i]
            v = c[pos] if n == 1 else c[pos] | (c[pos + 1] << 8)
            if signed and v >= (0x80 if n == 1 else 0x8000):
                v -= 0x100 if n == 1 else 0x10000
            self.trim[i] = v
            pos += n
        self._write(REG_PWR_CTRL, 0)  # settings are taken in sleep mode
        self._write(REG_OSR, self._osr)
        self._write(REG_ODR, self._odr)
        self._write(REG_CONFIG, self._iir)
        self._write(REG_PWR_CTRL, PWR_NORMAL_PT)
        i2c.readfrom_mem_into(self._addr, REG_ERR, self._one)
        self.config_error = bool(self._one[0] & 0x04)
        self._t0 = now
        return not self.config_error

    read = drv_wide.bosch_read  # the polling machine both Bosch drivers run

    def _convert(self):
        b = self._data
        self._i2c.readfrom_mem_into(self._addr, REG_DATA, b)
        up = b[0] | (b[1] << 8) | (b[2] << 16)
        ut = b[3] | (b[4] << 8) | (b[5] << 16)
        return up != 0 and ut != 0 and self.compensate(ut, up)

    def compensate(self, ut, up):
        """Datasheet section 9 polynomial in fixed point; sets tlin_q20,
        temp_c100 and press_dpa. False (values kept) when implausible."""
        t = self.trim
        a = self._a
        b = self._b
        p = self._p
        # t_lin = pd1 * T2 / 2^30 + pd1^2 * T3 / 2^48, pd1 = ut - T1 * 2^8
        # t_lin * 2^20 = (pd1 * T2 * 2^18 + pd1^2 * T3) / 2^28
        pd1 = ut - (t[0] << 8)
        a.set_int(pd1).mul(t[1]).shl(18)
        a.add(b.set_int(pd1).mul(pd1).mul(t[2])).shr(28)
        if not a.fits():
            return False
        tq = a.to_int()
        if not -TLIN_LIMIT_Q20 < tq < TLIN_LIMIT_Q20:
            return False
        t2 = a.set_int(tq).mul(tq).shr(28).to_int()  # t_lin^2 * 2^12
        t3 = a.set_int(t2).mul(tq).shr(26).to_int()  # t_lin^3 * 2^6
        # Pressure * 2^16. Each line is one datasheet term, par_x written as
        # NVM_PAR_x over its power of two.
        p.set_int(t[7]).shl(19)  # P5 * 2^3
        p.add(a.set_int(tq).mul(t[8]).shr(10))  # P6 / 2^6 * t
        p.add(a.set_int(t2).mul(t[9]).shr(4))  # P7 / 2^8 * t^2
        p.add(a.set_int(t3).mul(t[10]).shr(5))  # P8 / 2^15 * t^3
        p.add(a.set_int(up).mul(t[3] - 16384).shr(4))  # up (P1 - 2^14) / 2^20
        p.add(a.set_int(up).mul(t[4] - 16384).mul(tq).shr(33))  # up (P2 - 2^14) / 2^29 t
        p.add(a.set_int(up).mul(t[5]).mul(t2).shr(28))  # up P3 / 2^32 t^2
        p.add(a.set_int(up).mul(t[6]).mul(t3).shr(27))  # up P4 / 2^37 t^3
        b.set_int(up).mul(up)  # up^2
        p.add(a.set_acc(b).mul(t[11]).shr(32))  # up^2 P9 / 2^48
        b.shr(16)  # up^2 / 2^16: keeps the next two products below 2^83
        p.add(a.set_acc(b).mul(t[12]).mul(tq).shr(36))  # up^2 P10 / 2^48 t
        p.add(a.set_acc(b).mul(up).mul(t[13]).shr(33))  # up^3 P11 / 2^65
        dpa = p.mul(10).add_int(1 << 15).shr(16).to_int()  # Pa*2^16 -> 0.1 Pa, rounded
        if p.overflow or a.overflow:
            p.overflow = False
            a.overflow = False
            return False
        if not PRESS_MIN_DPA <= dpa <= PRESS_MAX_DPA:
            return False
        self.tlin_q20 = tq
        # 0.01 degC, rounded; tq >> 4 < 2^23, so * 100 stays below 2^30
        self.temp_c100 = ((tq >> 4) * 100 + (1 << 15)) >> 16
        self.press_dpa = dpa
        return True
