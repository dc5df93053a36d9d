"""ST LIS3DH low-g accelerometer (+-2/4/8/16 g) on I2C.

Why: under the chutes and at splashdown the capsule sees a few g; a +-16 g
part resolves that 4x finer than the ADXL375 (12 mg vs 49 mg per count in
high-resolution mode), and its noise is lower. It saturates during entry,
so it serves as `accel2` beside a high-g part.

What it promises:
- `read(sample)` burst-reads OUT_X_L..OUT_Z_H in one transaction (with the
  sub-address auto-increment bit 7 set, as the datasheet requires for
  multi-byte reads) and fills ax/ay/az_mg (chip axes) and accel_ok.
  Block data update is on, so the high and low bytes of an axis always
  belong to the same sample. Nothing blocks, allocates or raises.
- Configuration (CTRL_REG4 full scale + high resolution + BDU, CTRL_REG1
  data rate with X/Y/Z on) is written on the first read and again after
  repeated bus errors; WHO_AM_I is checked first.
- `present()` checks WHO_AM_I = 0x33.
- `saturated` is True when an axis of the last reading is at the end of the
  range (the board code then prefers the high-g part).

Scale (datasheet table 4, high-resolution 12-bit mode): 1, 2, 4, 12 mg/digit
for +-2, 4, 8, 16 g; the 16-bit registers are left-justified, so the count
is the register value >> 4.

`present`, `_write` and `read` follow adxl375.py's, kept as a copy: that
docstring says why.
"""

from micropython import const

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

REG_WHO_AM_I = const(0x0F)
REG_CTRL_REG1 = const(0x20)  # ODR[7:4] LPen[3] Z Y X enable[2:0]
REG_CTRL_REG4 = const(0x23)  # BDU[7] BLE[6] FS[5:4] HR[3]
REG_OUT_X_L = const(0x28)
AUTO_INCREMENT = const(0x80)
WHO_AM_I = const(0x33)
CTRL4_BDU = const(0x80)
CTRL4_HR = const(0x08)
XYZ_ENABLE = const(0x07)
RESET_AFTER_ERRORS = const(5)
SATURATION_COUNT = const(2040)  # of +-2048 (12-bit)

# full scale g -> (FS bits, mg per 12-bit count)
RANGES = {2: (0, 1), 4: (1, 2), 8: (2, 4), 16: (3, 12)}
# output data rate Hz -> ODR code (normal / high-resolution mode)
RATE_CODES = {1: 1, 10: 2, 25: 3, 50: 4, 100: 5, 200: 6, 400: 7, 1344: 9}


def _s16(lo, hi):
    v = lo | (hi << 8)
    return v - 0x10000 if v & 0x8000 else v


class LIS3DH:
    def __init__(self, i2c, addr=0x18, range_g=16, rate_hz=100):
        # type: (machine.I2C, int, int, int) -> None
        if range_g not in RANGES:
            raise ValueError("lis3dh range_g must be 2, 4, 8 or 16")
        if rate_hz not in RATE_CODES:
            raise ValueError("lis3dh rate_hz must be one of 1, 10, 25, 50, 100, 200, 400, 1344")
        self._i2c = i2c
        self._addr = addr
        fs, self._mg = RANGES[range_g]
        self.range_g = range_g
        self._ctrl4 = CTRL4_BDU | (fs << 4) | CTRL4_HR
        self._ctrl1 = (RATE_CODES[rate_hz] << 4) | XYZ_ENABLE
        self._buf = bytearray(6)
        self._one = bytearray(1)
        self._configured = False
        self._consecutive = 0
        self.saturated = False
        self.bus_errors = 0
        self.data_errors = 0
        self.readings = 0

    def present(self):
        """Self-test: WHO_AM_I reads 0x33. Never raises."""
        try:
            self._i2c.readfrom_mem_into(self._addr, REG_WHO_AM_I, self._one)
        except OSError:
            self.bus_errors += 1
            return False
        return self._one[0] == WHO_AM_I

    def _write(self, reg, value):
        self._one[0] = value
        self._i2c.writeto_mem(self._addr, reg, self._one)

    def configure(self):
        self._i2c.readfrom_mem_into(self._addr, REG_WHO_AM_I, self._one)
        if self._one[0] != WHO_AM_I:
            return False
        self._write(REG_CTRL_REG4, self._ctrl4)
        self._write(REG_CTRL_REG1, self._ctrl1)
        return True

    def read(self, sample):
        """Fill ax/ay/az_mg and accel_ok. True when the read succeeded."""
        try:
            if not self._configured:
                self._configured = self.configure()
                if not self._configured:
                    self.data_errors += 1
                    sample.accel_ok = False
                    return False
            b = self._buf
            self._i2c.readfrom_mem_into(self._addr, REG_OUT_X_L | AUTO_INCREMENT, b)
        except OSError:
            self.bus_errors += 1
            self._consecutive += 1
            if self._consecutive >= RESET_AFTER_ERRORS:
                self._consecutive = 0
                self._configured = False
            sample.accel_ok = False
            return False
        self._consecutive = 0
        x = _s16(b[0], b[1]) >> 4
        y = _s16(b[2], b[3]) >> 4
        z = _s16(b[4], b[5]) >> 4
        self.saturated = (
            x >= SATURATION_COUNT
            or x <= -SATURATION_COUNT
            or y >= SATURATION_COUNT
            or y <= -SATURATION_COUNT
            or z >= SATURATION_COUNT
            or z <= -SATURATION_COUNT
        )
        m = self._mg
        sample.ax_mg = x * m
        sample.ay_mg = y * m
        sample.az_mg = z * m
        sample.accel_ok = True
        self.readings += 1
        return True
