"""Analog Devices ADXL375 high-g accelerometer (+-200 g) on I2C.

Why: entry decelerations of a returning capsule reach tens of g; a +-16 g
part saturates there. The ADXL375's 49 mg/LSB (20.5 LSB/g) is coarse under
chutes, which is why a board may add a low-g part as `accel2`.

What it promises:
- `read(sample)` burst-reads the six data registers (one transaction, so the
  three axes come from one conversion, as the datasheet recommends) and
  fills ax_mg/ay_mg/az_mg in the board frame (the chip's own axes) and
  accel_ok. The chip samples continuously at `rate_hz`; a read returns the
  latest sample. Nothing blocks, nothing allocates, nothing raises.
- Configuration (DATA_FORMAT with its fixed bits 0x0B, BW_RATE, then
  POWER_CTL measure) is written on the first read and again after
  `RESET_AFTER_ERRORS` consecutive bus errors; the DEVID is checked first.
- A bus error counts in `bus_errors` and clears accel_ok.
- `present()` checks DEVID = 0xE5.

Scale: 49 mg/LSB typical (datasheet table 1); +-200 g is +-4082 LSB, so
mg values stay below 2**18.

Why `present`/`_write`/`read` repeat lis3dh.py's: a module both import would
cost every board that flies this part alone (pico) about 320 B more RAM
(measured on the 32-bit unix port), so each driver keeps its own copy.
"""

from micropython import const

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

REG_DEVID = const(0x00)
REG_BW_RATE = const(0x2C)
REG_POWER_CTL = const(0x2D)
REG_DATA_FORMAT = const(0x31)
REG_DATAX0 = const(0x32)
DEVID = const(0xE5)
DATA_FORMAT_FIXED = const(0x0B)  # D3, D1, D0 must be 1 (datasheet register 0x31)
POWER_CTL_MEASURE = const(0x08)
MG_PER_LSB = const(49)
RESET_AFTER_ERRORS = const(5)
SATURATION_LSB = const(4080)  # 200 g at 49 mg/LSB is 4082 LSB

# Output data rate (Hz) -> BW_RATE rate code (datasheet table 6; bandwidth is
# half the rate).
RATE_CODES = {
    25: 0x08,
    50: 0x09,
    100: 0x0A,
    200: 0x0B,
    400: 0x0C,
    800: 0x0D,
    1600: 0x0E,
    3200: 0x0F,
}


def _s16(lo, hi):
    v = lo | (hi << 8)
    return v - 0x10000 if v & 0x8000 else v


class ADXL375:
    def __init__(self, i2c, addr=0x53, rate_hz=200, range_g=200):
        # type: (machine.I2C, int, int, int) -> None
        if range_g != 200:
            raise ValueError("adxl375 range_g is fixed at 200")
        if rate_hz not in RATE_CODES:
            raise ValueError(
                "adxl375 rate_hz must be one of 25, 50, 100, 200, 400, 800, 1600, 3200"
            )
        self._i2c = i2c
        self._addr = addr
        self._rate = RATE_CODES[rate_hz]
        self._buf = bytearray(6)
        self._one = bytearray(1)
        self._configured = False
        self._consecutive = 0
        self.range_g = 200
        self.saturated = False  # an axis at the end of the range last read
        self.bus_errors = 0
        self.data_errors = 0
        self.readings = 0

    def present(self):
        """Self-test: DEVID reads 0xE5. Never raises."""
        try:
            self._i2c.readfrom_mem_into(self._addr, REG_DEVID, self._one)
        except OSError:
            self.bus_errors += 1
            return False
        return self._one[0] == DEVID

    def _write(self, reg, value):
        self._one[0] = value
        self._i2c.writeto_mem(self._addr, reg, self._one)

    def configure(self):
        """Check DEVID and start measuring. Raises OSError on a bus error."""
        self._i2c.readfrom_mem_into(self._addr, REG_DEVID, self._one)
        if self._one[0] != DEVID:
            return False
        self._write(REG_POWER_CTL, 0)  # standby while configuring
        self._write(REG_DATA_FORMAT, DATA_FORMAT_FIXED)
        self._write(REG_BW_RATE, self._rate)
        self._write(REG_POWER_CTL, POWER_CTL_MEASURE)
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
            self._i2c.readfrom_mem_into(self._addr, REG_DATAX0, b)
        except OSError:
            self.bus_errors += 1
            self._consecutive += 1
            if self._consecutive >= RESET_AFTER_ERRORS:
                self._consecutive = 0
                self._configured = False
            sample.accel_ok = False
            return False
        self._consecutive = 0
        x = _s16(b[0], b[1])
        y = _s16(b[2], b[3])
        z = _s16(b[4], b[5])
        self.saturated = (
            x >= SATURATION_LSB
            or x <= -SATURATION_LSB
            or y >= SATURATION_LSB
            or y <= -SATURATION_LSB
            or z >= SATURATION_LSB
            or z <= -SATURATION_LSB
        )
        sample.ax_mg = x * MG_PER_LSB
        sample.ay_mg = y * MG_PER_LSB
        sample.az_mg = z * MG_PER_LSB
        sample.accel_ok = True
        self.readings += 1
        return True
