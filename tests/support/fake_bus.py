"""Fake buses and chips for driver tests on the MicroPython unix port.

Runs on MicroPython (the driver tests import it there) and on CPython. Each
fake chip holds the registers its datasheet defines (chip id, PROM/trim,
data registers, conversion commands and their timing) so a driver talks to it
exactly as to the real part. The success path of every bus call allocates
nothing, so a driver's allocation per read can be measured through it.

- FakeI2C: machine.I2C's methods (writeto, readfrom_into, readfrom_mem_into,
  writeto_mem, scan); chips attach by address; `fail` makes the next N
  transactions raise OSError(EIO), `fail_always` all of them; an address with
  no chip raises OSError(ENODEV) as the rp2/esp32 ports do for a NACK.
- RegisterChip: 256 byte registers with auto-increment, write hooks.
- FakeMS5611: the command protocol (reset, PROM read, D1/D2 conversion per OSR
  with the datasheet's maximum conversion times, ADC read that returns 0 when
  read early or twice, and a corrupted result when disturbed mid-conversion).
- FakeBMP280, FakeBMP3xx, FakeADXL375, FakeLIS3DH, FakeAXP192, FakeAXP2101.
- FakeADC, FakePin, FakeMachine (a stand-in `machine` module that records
  every object built, for hw_real tests).
"""

EIO = 5
ENODEV = 19


class FakeI2C:
    def __init__(self, id=0, **kw):
        self.id = id
        self.kw = kw
        self.devices = {}
        self.fail = 0
        self.fail_always = False
        self.transactions = 0

    def attach(self, addr, chip):
        self.devices[addr] = chip
        return chip

    def _chip(self, addr):
        self.transactions += 1
        if self.fail_always:
            raise OSError(EIO)
        if self.fail > 0:
            self.fail -= 1
            raise OSError(EIO)
        chip = self.devices.get(addr)
        if chip is None:
            raise OSError(ENODEV)
        return chip

    def writeto(self, addr, buf, stop=True):
        self._chip(addr).on_write(buf)
        return len(buf)

    def readfrom_into(self, addr, buf, stop=True):
        self._chip(addr).on_read(buf)

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self._chip(addr).read_regs(memaddr, buf)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._chip(addr).write_regs(memaddr, buf)

    def scan(self):
        return sorted(self.devices)


class RegisterChip:
    """A chip with 8-bit register addresses that auto-increment on burst access."""

    AUTO_INCREMENT_BIT = 0  # LIS3DH needs bit 7 of the address for bursts

    def __init__(self):
        self.regs = bytearray(256)
        self.pointer = 0
        self.writes = []  # (reg, value) of every register write, in order

    def read_regs(self, reg, buf):
        inc = True
        if self.AUTO_INCREMENT_BIT:
            inc = (reg & self.AUTO_INCREMENT_BIT) != 0
            reg &= 0xFF ^ self.AUTO_INCREMENT_BIT
        for i in range(len(buf)):
            buf[i] = self.read_reg(reg)
            if inc:
                reg = (reg + 1) & 0xFF

    def write_regs(self, reg, buf):
        for i in range(len(buf)):
            self.writes.append((reg + i, buf[i]))
            self.write_reg(reg + i, buf[i])

    def read_reg(self, reg):
        return self.regs[reg]

    def write_reg(self, reg, value):
        self.regs[reg] = value

    def on_write(self, buf):  # plain write: register pointer then data
        if len(buf) > 1:
            self.write_regs(buf[0], buf[1:])
        self.pointer = buf[0]

    def on_read(self, buf):
        self.read_regs(self.pointer, buf)


def put_le16(regs, reg, value):
    value &= 0xFFFF
    regs[reg] = value & 0xFF
    regs[reg + 1] = value >> 8


# ---------------------------------------------------------------- MS5611

# Datasheet maximum conversion time per OSR command offset, microseconds.
MS5611_TMAX_US = {0: 600, 2: 1170, 4: 2280, 6: 4540, 8: 9040}


class FakeMS5611:
    """MS5611-01BA03 command interface over I2C.

    `start_phase_us` models where inside the starting millisecond tick the
    conversion really began (999 = the worst case for a ms clock)."""

    def __init__(self, clock, prom, d1=0, d2=0, start_phase_us=999):
        self.clock = clock
        self.prom = list(prom)
        self.d1 = d1
        self.d2 = d2
        self.start_phase_us = start_phase_us
        self.conv = 0  # 0 none, 1 = D1, 2 = D2
        self.conv_start_us = 0
        self.conv_tmax_us = 0
        self.conv_corrupt = False
        self.reset_until_us = -1
        self.out = bytearray(3)
        self.out_len = 0
        self.early_reads = 0  # ADC read commands before the conversion ended
        self.zero_reads = 0  # ADC reads that answered 0
        self.disturbed = 0  # conversions restarted or read while running
        self.conversions = 0
        self.resets = 0

    def _now_us(self):
        return self.clock.now_ms() * 1000

    def on_write(self, buf):
        now = self._now_us()
        if now < self.reset_until_us:
            raise OSError(EIO)  # busy reloading the PROM
        cmd = buf[0]
        if cmd == 0x1E:
            self.resets += 1
            self.conv = 0
            self.reset_until_us = now + 2800 + self.start_phase_us
            return
        if 0x40 <= cmd <= 0x48 or 0x50 <= cmd <= 0x58:
            if self.conv and now < self.conv_start_us + self.conv_tmax_us:
                self.disturbed += 1
                self.conv_corrupt = True
            else:
                self.conv_corrupt = False
            self.conv = 1 if cmd < 0x50 else 2
            self.conv_start_us = now + self.start_phase_us
            self.conv_tmax_us = MS5611_TMAX_US[cmd & 0x0F]
            self.conversions += 1
            return
        if cmd == 0x00:
            value = 0
            if self.conv:
                if now >= self.conv_start_us + self.conv_tmax_us:
                    value = self.d1 if self.conv == 1 else self.d2
                    if self.conv_corrupt:
                        value ^= 0x5A5A5
                    self.conv = 0
                else:
                    self.early_reads += 1
                    self.disturbed += 1
                    self.conv_corrupt = True
            if value == 0:
                self.zero_reads += 1
            self.out[0] = (value >> 16) & 0xFF
            self.out[1] = (value >> 8) & 0xFF
            self.out[2] = value & 0xFF
            self.out_len = 3
            return
        if 0xA0 <= cmd <= 0xAE and not (cmd & 1):
            if self.conv and now < self.conv_start_us + self.conv_tmax_us:
                self.disturbed += 1  # modelled as spoiling the conversion
                self.conv_corrupt = True
            w = self.prom[(cmd - 0xA0) >> 1]
            self.out[0] = w >> 8
            self.out[1] = w & 0xFF
            self.out_len = 2
            return
        raise OSError(EIO)  # unknown command: the chip NACKs

    def on_read(self, buf):
        for i in range(len(buf)):
            buf[i] = self.out[i] if i < self.out_len else 0xFF


# ---------------------------------------------------------------- Bosch

BMP280_TRIM_ORDER = ("T1", "T2", "T3", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9")


class FakeBMP280(RegisterChip):
    """BMP280: id 0xD0 = 0x58, trim 0x88..0x9F (little-endian u16/s16),
    data 0xF7..0xFC (20-bit press, temp), ctrl_meas 0xF4, config 0xF5."""

    def __init__(self, trim, adc_t=0, adc_p=0, chip_id=0x58):
        RegisterChip.__init__(self)
        self.regs[0xD0] = chip_id
        for i, name in enumerate(BMP280_TRIM_ORDER):
            put_le16(self.regs, 0x88 + 2 * i, trim[name])
        self.set_adc(adc_t, adc_p)
        self.resets = 0

    def set_adc(self, adc_t, adc_p):
        r = self.regs
        r[0xF7] = (adc_p >> 12) & 0xFF
        r[0xF8] = (adc_p >> 4) & 0xFF
        r[0xF9] = (adc_p & 0xF) << 4
        r[0xFA] = (adc_t >> 12) & 0xFF
        r[0xFB] = (adc_t >> 4) & 0xFF
        r[0xFC] = (adc_t & 0xF) << 4

    def write_reg(self, reg, value):
        if reg == 0xE0 and value == 0xB6:
            self.resets += 1
            return
        self.regs[reg] = value


# BMP388/BMP390 NVM_PAR layout from 0x31, in order, with (bytes, signed).
BMP3_TRIM_LAYOUT = (
    ("T1", 2, False),
    ("T2", 2, False),
    ("T3", 1, True),
    ("P1", 2, True),
    ("P2", 2, True),
    ("P3", 1, True),
    ("P4", 1, True),
    ("P5", 2, False),
    ("P6", 2, False),
    ("P7", 1, True),
    ("P8", 1, True),
    ("P9", 2, True),
    ("P10", 1, True),
    ("P11", 1, True),
)


class FakeBMP3xx(RegisterChip):
    """BMP388 (id 0x50) / BMP390 (id 0x60): data 0x04..0x09 (24-bit LE
    pressure then temperature), trim 0x31..0x45, PWR_CTRL 0x1B, OSR 0x1C,
    ODR 0x1D, CONFIG 0x1F, ERR_REG 0x02 (conf_err when ODR is shorter than
    the measurement time), CMD 0x7E."""

    def __init__(self, trim, uncomp_t=0, uncomp_p=0, chip_id=0x50):
        RegisterChip.__init__(self)
        self.regs[0x00] = chip_id
        reg = 0x31
        for name, n, _signed in BMP3_TRIM_LAYOUT:
            v = trim[name] & ((1 << (8 * n)) - 1)
            for i in range(n):
                self.regs[reg + i] = (v >> (8 * i)) & 0xFF
            reg += n
        self.set_uncomp(uncomp_t, uncomp_p)
        self.resets = 0

    def set_uncomp(self, uncomp_t, uncomp_p):
        r = self.regs
        for i in range(3):
            r[0x04 + i] = (uncomp_p >> (8 * i)) & 0xFF
            r[0x07 + i] = (uncomp_t >> (8 * i)) & 0xFF

    def measurement_us(self):
        osr = self.regs[0x1C]
        pwr = self.regs[0x1B]
        t = 234
        if pwr & 1:
            t += 392 + (1 << (osr & 7)) * 2000
        if pwr & 2:
            t += 313 + (1 << ((osr >> 3) & 7)) * 2000
        return t

    def write_reg(self, reg, value):
        if reg == 0x7E:
            if value == 0xB6:
                self.resets += 1
            return
        self.regs[reg] = value
        if reg == 0x1B and (value >> 4) & 3 == 3:
            period_us = 5000 << (self.regs[0x1D] & 0x1F)
            if self.measurement_us() > period_us:
                self.regs[0x02] |= 0x04  # conf_err
                self.regs[0x1B] = value & 0x0F  # stays in sleep mode


# ---------------------------------------------------------------- accelerometers


class FakeADXL375(RegisterChip):
    """ADXL375: DEVID 0x00 = 0xE5, BW_RATE 0x2C, POWER_CTL 0x2D,
    DATA_FORMAT 0x31, DATAX0..DATAZ1 0x32..0x37 (16-bit LE, 49 mg/LSB).
    Data reads 0 until POWER_CTL has the measure bit."""

    def __init__(self, raw=(0, 0, 0)):
        RegisterChip.__init__(self)
        self.regs[0x00] = 0xE5
        self.regs[0x2C] = 0x0A
        self.set_raw(*raw)

    def set_raw(self, x, y, z):
        self.raw = (x, y, z)
        for i, v in enumerate(self.raw):
            put_le16(self.regs, 0x32 + 2 * i, v)

    def read_reg(self, reg):
        if 0x32 <= reg <= 0x37 and not (self.regs[0x2D] & 0x08):
            return 0
        return self.regs[reg]


class FakeLIS3DH(RegisterChip):
    """LIS3DH: WHO_AM_I 0x0F = 0x33, CTRL_REG1 0x20, CTRL_REG4 0x23,
    OUT_X_L..OUT_Z_H 0x28..0x2D, left-justified 16-bit. A burst only
    advances the address when bit 7 of the sub-address is set."""

    AUTO_INCREMENT_BIT = 0x80

    def __init__(self, counts=(0, 0, 0)):
        RegisterChip.__init__(self)
        self.regs[0x0F] = 0x33
        self.regs[0x20] = 0x07  # power-down, axes enabled
        self.set_counts(*counts)

    def set_counts(self, x, y, z):
        """Set the output registers from 12-bit (high-resolution) counts."""
        for i, v in enumerate((x, y, z)):
            put_le16(self.regs, 0x28 + 2 * i, (v << 4) & 0xFFFF)

    def read_reg(self, reg):
        if 0x28 <= reg <= 0x2D and (self.regs[0x20] >> 4) == 0:
            return 0  # power-down: no new data
        return self.regs[reg]


# ---------------------------------------------------------------- power chips


class FakeAXP192(RegisterChip):
    """AXP192: IC type 0x03 = 0x03, power output control 0x12 (bit2 LDO2,
    bit3 LDO3), LDO2/3 voltage 0x28, ADC enable 0x82 (bit7 battery voltage),
    battery voltage 0x78 (8 high bits) 0x79 (4 low bits), 1.1 mV/LSB;
    status 0x01 bit5 battery present."""

    def __init__(self, vbat_mv=3900):
        RegisterChip.__init__(self)
        self.regs[0x03] = 0x03
        self.regs[0x01] = 0x20
        self.regs[0x12] = 0x01 | 0x02  # DCDC1, DCDC3 on (ESP32 supply)
        self.set_vbat(vbat_mv)

    def set_vbat(self, mv):
        code = (mv * 10 + 5) // 11
        self.regs[0x78] = code >> 4
        self.regs[0x79] = code & 0x0F

    def read_reg(self, reg):
        if reg in (0x78, 0x79) and not (self.regs[0x82] & 0x80):
            return 0
        return self.regs[reg]


class FakeAXP2101(RegisterChip):
    """AXP2101: IC type 0x03 = 0x4A, ADC channel enable 0x30 (bit0 battery
    voltage), battery voltage 0x34 (bits 12..8 in 4..0) 0x35, 1 mV/LSB,
    LDO enable 0x90 (bit1 ALDO2, bit2 ALDO3), ALDO2/3 voltage 0x93/0x94
    (500 mV + 100 mV steps), status 0x00 bit3 battery present."""

    def __init__(self, vbat_mv=3900):
        RegisterChip.__init__(self)
        self.regs[0x03] = 0x4A
        self.regs[0x00] = 0x08
        self.set_vbat(vbat_mv)

    def set_vbat(self, mv):
        self.regs[0x34] = (mv >> 8) & 0x1F
        self.regs[0x35] = mv & 0xFF

    def read_reg(self, reg):
        if reg in (0x34, 0x35) and not (self.regs[0x30] & 0x01):
            return 0
        return self.regs[reg]


# ---------------------------------------------------------------- pins, ADC, machine


class FakeADC:
    def __init__(self, pin=None, value_u16=0, **kw):
        self.pin = pin
        self.kw = kw
        self.value_u16 = value_u16
        self.fail = False

    def read_u16(self):
        if self.fail:
            raise OSError(EIO)
        return self.value_u16


class FakePin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        self.id = id
        self.mode = mode
        self.pull = pull
        if value is None:
            self.level = 1 if pull == self.PULL_UP else 0
        else:
            self.level = value
        self.init_value = value
        self.history = [] if value is None else [value]

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        self.history.append(self.level)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class FakeMachine:
    """Enough of `machine` for hw_real.build(); records what was built, in
    order, in `built` as (kind, id, kwargs)."""

    def __init__(self):
        self.built = []
        self.pins = {}
        self.i2c_chips = {}  # bus id -> {addr: chip} attached on construction
        self.adc_values = {}  # pin -> u16
        self.sx127x = True  # SPI buses answer as an SX1276
        machine = self

        class Pin(FakePin):
            def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
                FakePin.__init__(self, id, mode, pull, value, **kw)
                machine.pins[id] = self
                machine.built.append(("Pin", id, {"mode": mode, "pull": pull, "value": value}))

        class I2C(FakeI2C):
            def __init__(self, id, **kw):
                FakeI2C.__init__(self, id, **kw)
                machine.built.append(("I2C", id, kw))
                for addr, chip in machine.i2c_chips.get(id, {}).items():
                    self.attach(addr, chip)

        class SPI:
            """Answers like an SX1276 register file when `sx127x` is set
            (2-byte transfers: address, bit 7 = write; RegVersion 0x42)."""

            def __init__(self, id, **kw):
                self.id = id
                self.kw = kw
                self.regs = bytearray(128)
                if machine.sx127x:
                    self.regs[0x42] = 0x12
                machine.built.append(("SPI", id, kw))

            def write(self, buf):
                if len(buf) == 2 and buf[0] & 0x80:
                    self.regs[buf[0] & 0x7F] = buf[1]

            def write_readinto(self, w, r):
                r[0] = 0
                r[1] = self.regs[w[0] & 0x7F]

        class UART:
            def __init__(self, id, **kw):
                self.id = id
                self.kw = kw
                machine.built.append(("UART", id, kw))

        class ADC(FakeADC):
            ATTN_0DB = 0
            ATTN_11DB = 3

            def __init__(self, pin, **kw):
                pid = pin.id if isinstance(pin, FakePin) else pin
                FakeADC.__init__(self, pid, machine.adc_values.get(pid, 0), **kw)
                machine.built.append(("ADC", pid, kw))

        class WDT:
            def __init__(self, id=0, timeout=5000):
                self.timeout = timeout
                self.feeds = 0
                machine.built.append(("WDT", id, {"timeout": timeout}))

            def feed(self):
                self.feeds += 1

        class PWM:
            def __init__(self, pin, freq=0, duty_u16=0):
                self.pin = pin
                self.freq_hz = freq
                self.duty = duty_u16
                machine.built.append(("PWM", pin.id, {"freq": freq}))

            def duty_u16(self, d=None):
                if d is None:
                    return self.duty
                self.duty = d

        self.Pin = Pin
        self.I2C = I2C
        self.SPI = SPI
        self.UART = UART
        self.ADC = ADC
        self.WDT = WDT
        self.PWM = PWM

    def kinds(self, kind):
        return [b for b in self.built if b[0] == kind]
