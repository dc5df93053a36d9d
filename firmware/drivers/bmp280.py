"""Bosch BMP280 (and the pressure/temperature half of a BME280) on I2C.

Why: a cheap, common barometer for main-deploy altitude and landing
detection. Its range ends at 300 hPa (about 9 km): it cannot see a 30 km
drogue altitude, so it is a secondary or low-altitude barometer here.

What it promises:
- `read(sample)` never blocks and never raises: the chip runs in normal mode
  (it converts continuously, one measurement per `period_ms`), and the driver
  burst-reads the six data registers at most once per period, driven by the
  clock. Between periods it leaves the last pressure in the sample.
- Compensation is the datasheet's (section 8.2) integer code, bit for bit:
  bmp280_compensate_T_int32 and the 64-bit bmp280_compensate_P_int64, whose
  Q24.8 result reproduces the datasheet's worked example (section 3.12:
  25.08 degC, 100653.27 Pa; the integer code gives 25767233 / 256 =
  100653.25 Pa). The 64-bit intermediates are carried in drv_wide.Acc, so no
  step reaches 2**30 and a reading allocates nothing. (The datasheet's
  32-bit pressure variant is coarser: it gives 100656 Pa for the same
  example, so it is not used.)
- A bus error counts in `bus_errors` and clears `baro_ok`; a skipped
  measurement (ADC value 0x80000) or an implausible result counts in
  `data_errors`. Repeated errors re-initialise the chip.
- `present()` checks the chip id (0x58 BMP280, 0x56/0x57 samples, 0x60 BME280).

Cost: about 30 Acc operations per reading (see bench/bench_drivers.py); at
the default 4x pressure oversampling the chip delivers a reading every 14 ms.

`read` is drv_wide.bosch_read, the polling machine this driver shares with
bmp3xx.py; this module supplies its chip's part (`_init_chip`, `_convert`).
"""

from micropython import const

import drv_wide

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

    import clock as clock_mod  # noqa: F401 (named in type comments, for mypy)

REG_CALIB = const(0x88)  # dig_T1 .. dig_P9, 24 bytes, little-endian
REG_ID = const(0xD0)
REG_RESET = const(0xE0)
REG_STATUS = const(0xF3)
REG_CTRL_MEAS = const(0xF4)  # osrs_t[7:5] osrs_p[4:2] mode[1:0]
REG_CONFIG = const(0xF5)  # t_sb[7:5] filter[4:2]
REG_DATA = const(0xF7)  # press msb, lsb, xlsb, temp msb, lsb, xlsb
MODE_NORMAL = const(3)
ADC_SKIPPED = const(0x80000)  # value of a data register whose measurement is off

TEMP_MIN_C100 = const(-6000)
TEMP_MAX_C100 = const(10500)
PRESS_MIN_Q8 = const(256)  # 1 Pa
PRESS_MAX_Q8 = const(130000 * 256)

CHIP_IDS = (0x56, 0x57, 0x58, 0x60)
_OVERSAMPLING = {0: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5}  # x -> osrs code
# t_sb code -> standby time in microseconds (datasheet table 11)
_STANDBY_US = (500, 62500, 125000, 250000, 500000, 1000000, 2000000, 4000000)


def measurement_us(osrs_t, osrs_p):
    """Datasheet appendix B: maximum measurement time for the oversampling."""
    t = 1250 + 2300 * osrs_t
    if osrs_p:
        t += 2300 * osrs_p + 575
    return t


class BMP280:
    def __init__(self, i2c, clock, addr=0x76, osrs_p=4, osrs_t=1, filter_code=0, standby_code=0):
        # type: (machine.I2C, clock_mod.TicksClock, int, int, int, int, int) -> None
        if osrs_p not in _OVERSAMPLING or osrs_p == 0:
            raise ValueError("bmp280 osrs_p must be 1, 2, 4, 8 or 16")
        if osrs_t not in _OVERSAMPLING or osrs_t == 0:
            raise ValueError("bmp280 osrs_t must be 1, 2, 4, 8 or 16")
        if not 0 <= filter_code <= 4 or not 0 <= standby_code <= 7:
            raise ValueError("bmp280 filter_code 0..4, standby_code 0..7")
        self._i2c = i2c
        self._clock = clock
        self._addr = addr
        self._ctrl = (_OVERSAMPLING[osrs_t] << 5) | (_OVERSAMPLING[osrs_p] << 2) | MODE_NORMAL
        self._config = (standby_code << 5) | (filter_code << 2)
        us = measurement_us(osrs_t, osrs_p) + _STANDBY_US[standby_code]
        self.period_ms = (us + 999) // 1000
        self.trim = [0] * 12  # T1 T2 T3 P1 .. P9
        self._calib = bytearray(24)
        self._data = bytearray(6)
        self._one = bytearray(1)
        self._a = drv_wide.Acc()
        self._b = drv_wide.Acc()
        self._c = drv_wide.Acc()
        self._n = drv_wide.Acc()
        self.chip_id = 0
        self.t_fine = 0
        self.temp_c100 = 0
        self.press_q8 = 0  # Pa * 256 (Q24.8, the datasheet's 64-bit result)
        self.readings = 0
        self.bus_errors = 0
        self.press_dpa = 0
        self.data_errors = 0
        drv_wide.bosch_poll_init(self)

    def present(self):
        """Self-test: the chip answers with a BMP280/BME280 id. Never raises."""
        try:
            self._i2c.readfrom_mem_into(self._addr, REG_ID, self._one)
        except OSError:
            self.bus_errors += 1
            return False
        self.chip_id = self._one[0]
        return self.chip_id in CHIP_IDS

    def _init_chip(self, now):
        i2c = self._i2c
        i2c.readfrom_mem_into(self._addr, REG_ID, self._one)
        self.chip_id = self._one[0]
        if self.chip_id not in CHIP_IDS:
            return False
        c = self._calib
        i2c.readfrom_mem_into(self._addr, REG_CALIB, c)
        t = self.trim
        for i in range(12):
            v = c[2 * i] | (c[2 * i + 1] << 8)
            if i != 0 and i != 3 and v >= 0x8000:  # all but dig_T1, dig_P1 are signed
                v -= 0x10000
            t[i] = v
        # Config is only honoured in sleep mode: write it before ctrl_meas.
        self._one[0] = self._config
        i2c.writeto_mem(self._addr, REG_CONFIG, self._one)
        self._one[0] = self._ctrl
        i2c.writeto_mem(self._addr, REG_CTRL_MEAS, self._one)
        self._t0 = now
        return True

    read = drv_wide.bosch_read  # the polling machine both Bosch drivers run

    def _convert(self):
        b = self._data
        self._i2c.readfrom_mem_into(self._addr, REG_DATA, b)
        adc_p = (b[0] << 12) | (b[1] << 4) | (b[2] >> 4)
        adc_t = (b[3] << 12) | (b[4] << 4) | (b[5] >> 4)
        return adc_p != ADC_SKIPPED and adc_t != ADC_SKIPPED and self.compensate(adc_t, adc_p)

    def compensate(self, adc_t, adc_p):
        """Datasheet 8.2 integer compensation; sets temp_c100, t_fine and
        press_q8. False (values kept) when the result is implausible or the
        datasheet's divisor is zero."""
        t = self.trim
        a = self._a
        # bmp280_compensate_T_int32
        var1 = a.set_int((adc_t >> 3) - (t[0] << 1)).mul(t[1]).shr(11).to_int()
        x = (adc_t >> 4) - t[0]
        var2 = a.set_int(x).mul(x).shr(12).mul(t[2]).shr(14).to_int()
        if a.overflow:
            a.overflow = False
            return False
        t_fine = var1 + var2
        temp = (t_fine * 5 + 128) >> 8
        # bmp280_compensate_P_int64
        v = t_fine - 128000
        b = self._b  # var2
        c = self._c  # var1
        n = self._n  # p
        b.set_int(v).mul(v).mul(t[8])  # var1 * var1 * dig_P6
        b.add(a.set_int(v).mul(t[7]).shl(17))  # + (var1 * dig_P5) << 17
        b.add(a.set_int(t[6]).shl(35))  # + dig_P4 << 35
        c.set_int(v).mul(v).mul(t[5]).shr(8)  # (var1 * var1 * dig_P3) >> 8
        c.add(a.set_int(v).mul(t[4]).shl(12))  # + (var1 * dig_P2) << 12
        c.add(a.set_int(1).shl(47)).mul(t[3]).shr(33)  # ((1 << 47) + var1) * dig_P1 >> 33
        den = c.to_int()
        if c.overflow or den <= 0:
            # den == 0 is the datasheet's own guard; den < 0 or >= 2**30 needs
            # a dig_P1 no real part has.
            c.overflow = False
            return False
        n.set_int(1048576 - adc_p).shl(31).sub(b).mul(3125).div(den)
        ps = a.set_acc(n).shr(13).to_int()  # p >> 13
        c.set_int(ps).mul(ps).mul(t[11]).shr(25)  # (dig_P9 * (p>>13) * (p>>13)) >> 25
        b.set_acc(n).mul(t[10]).shr(19)  # (dig_P8 * p) >> 19
        n.add(c).add(b).shr(8).add_int(t[9] << 4)  # ((p + var1 + var2) >> 8) + (dig_P7 << 4)
        p = n.to_int()
        if a.overflow or n.overflow:
            a.overflow = False
            n.overflow = False
            return False
        if not (TEMP_MIN_C100 <= temp <= TEMP_MAX_C100 and PRESS_MIN_Q8 <= p <= PRESS_MAX_Q8):
            return False
        self.t_fine = t_fine
        self.temp_c100 = temp
        self.press_q8 = p
        # Pa*256 -> dPa, rounded: p < 2**25, so *10 stays small.
        self.press_dpa = (p * 10 + 128) >> 8
        return True
