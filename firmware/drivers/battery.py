"""Battery voltage, from an ADC pin behind a divider or from an AXP power chip.

Why: the capsule beacons for days on one battery; the beacon rate, the
arming check and the status report all need the voltage. It changes slowly,
so each reader samples at most once per `period_ms` and leaves the last
value in the sample in between.

What it promises:
- `read(sample)` sets sample.vbatt_mv (0 means "cannot measure": no chip,
  no battery, or a bus error) and never raises or allocates. Integer math
  only.
- `AdcBattery`: machine.ADC.read_u16() (0..65535 for 0..vref) -> mV with the
  divider ratio given in thousandths (3.0 -> 3000), every product below
  2**30.
- `AxpBattery`: the AXP192 (T-Beam v1.0/1.1) or AXP2101 (T-Beam v1.2) on
  I2C address 0x34, told apart by the IC type register 0x03 (0x03 / 0x4A).
  `start()` enables the battery-voltage ADC; `enable_rails()` switches on
  and sets to 3.3 V the rails that feed the LoRa radio and the GNSS
  (AXP192 LDO2/LDO3, AXP2101 ALDO2/ALDO3, as LilyGO's board support does),
  read-modify-write so the ESP32's own supply rail is never touched.

Register facts (X-Powers datasheets, cross-checked with LilyGO's XPowersLib):
AXP192 battery voltage = 12 bits in 0x78 (high 8) and 0x79 (low 4),
1.1 mV/LSB; ADC enable 0x82 bit 7; output control 0x12 bit 2 LDO2, bit 3
LDO3; LDO2/LDO3 voltage 0x28 (high/low nibble, 1.8 V + 0.1 V steps); status
0x01 bit 5 = battery present. AXP2101 battery voltage = 13 bits in 0x34
(bits 12..8 in 4..0) and 0x35, 1 mV/LSB; ADC channel enable 0x30 bit 0;
LDO enable 0x90 bit 1 ALDO2, bit 2 ALDO3; ALDO2/ALDO3 voltage 0x93/0x94
(0.5 V + 0.1 V steps in bits 4..0); status 0x00 bit 3 = battery present.
"""

from micropython import const

_TYPING = const(0)
if _TYPING:  # read only by the port-stub type check (tests/test_port_stubs.py)
    import machine  # noqa: F401 (named in type comments, for mypy)

    import clock as clock_mod  # noqa: F401 (named in type comments, for mypy)

DEFAULT_PERIOD_MS = const(1000)
AXP_ADDR = const(0x34)
AXP_REG_IC_TYPE = const(0x03)
AXP192_ID = const(0x03)
AXP2101_IDS = (0x4A, 0x47)

_AXP192 = const(1)
_AXP2101 = const(2)


def _read_held(bat, sample):
    """read(sample) of both readers: a conversion (`bat.read_mv()`) at most
    once per period, the last value in between."""
    now = bat._clock.now_ms()
    if not bat._have or bat._clock.diff_ms(now, bat._t0) >= bat._period:
        bat._t0 = now
        bat._have = True
        bat.mv = bat.read_mv()
    sample.vbatt_mv = bat.mv
    return True


class AdcBattery:
    """Battery through a resistor divider on an ADC pin."""

    def __init__(self, adc, clock, divider_milli=3000, vref_mv=3300, period_ms=DEFAULT_PERIOD_MS):
        # type: (machine.ADC, clock_mod.TicksClock, int, int, int) -> None
        if not 1000 <= divider_milli <= 20000:
            raise ValueError("battery divider must be 1.0 .. 20.0")
        if not 1000 <= vref_mv <= 5000:
            raise ValueError("battery vref_mv must be 1000 .. 5000")
        self._adc = adc
        self._clock = clock
        self._div = divider_milli
        self._vref = vref_mv
        self._period = period_ms
        self._t0 = 0
        self._have = False
        self.mv = 0
        self.errors = 0

    def present(self):
        return self.read_mv() > 0

    def read_mv(self):
        """One conversion now, in mV at the battery; 0 on an ADC error."""
        try:
            raw = self._adc.read_u16()
        except OSError:
            self.errors += 1
            return 0
        pin_mv = (raw * self._vref + 32767) // 65535  # < 65536 * 5000 < 2**30 / 3
        return (pin_mv * self._div + 500) // 1000  # < 5000 * 20000 < 2**27

    read = _read_held


class AxpBattery:
    """Battery voltage and radio/GNSS rails through an AXP192 or AXP2101."""

    def __init__(self, i2c, clock, addr=AXP_ADDR, period_ms=DEFAULT_PERIOD_MS):
        # type: (machine.I2C, clock_mod.TicksClock, int, int) -> None
        self._i2c = i2c
        self._clock = clock
        self._addr = addr
        self._period = period_ms
        self._one = bytearray(1)
        self._t0 = 0
        self._have = False
        self.model = 0
        self.model_name = "none"
        self.mv = 0
        self.errors = 0

    def _rd(self, reg):
        self._i2c.readfrom_mem_into(self._addr, reg, self._one)
        return self._one[0]

    def _wr(self, reg, value):
        self._one[0] = value
        self._i2c.writeto_mem(self._addr, reg, self._one)

    def _set_bits(self, reg, bits):
        self._wr(reg, self._rd(reg) | bits)

    def present(self):
        """Identify the chip. Never raises."""
        try:
            ic = self._rd(AXP_REG_IC_TYPE)
        except OSError:
            self.errors += 1
            return False
        if ic == AXP192_ID:
            self.model = _AXP192
            self.model_name = "axp192"
        elif ic in AXP2101_IDS:
            self.model = _AXP2101
            self.model_name = "axp2101"
        else:
            self.model = 0
            self.model_name = "none"
        return self.model != 0

    def start(self):
        """Identify the chip and enable its battery-voltage ADC. Boot time;
        True on success, never raises."""
        if not self.present():
            return False
        try:
            if self.model == _AXP192:
                self._set_bits(0x82, 0x80)
            else:
                self._set_bits(0x30, 0x01)
        except OSError:
            self.errors += 1
            return False
        return True

    def enable_rails(self, lora=True, gnss=True):
        """Power the LoRa radio and the GNSS at 3.3 V. Boot time, before the
        radio and GNSS are used; True on success, never raises."""
        if not self.model and not self.present():
            return False
        try:
            if self.model == _AXP192:
                v = self._rd(0x28)
                if lora:
                    v = (v & 0x0F) | 0xF0  # LDO2 = 1.8 V + 15 * 0.1 V
                if gnss:
                    v = (v & 0xF0) | 0x0F  # LDO3 = 3.3 V
                self._wr(0x28, v)
                self._set_bits(0x12, (0x04 if lora else 0) | (0x08 if gnss else 0))
            else:
                if lora:
                    self._wr(0x93, (self._rd(0x93) & 0xE0) | 28)  # ALDO2 = 0.5 V + 28 * 0.1 V
                if gnss:
                    self._wr(0x94, (self._rd(0x94) & 0xE0) | 28)  # ALDO3 = 3.3 V
                self._set_bits(0x90, (0x02 if lora else 0) | (0x04 if gnss else 0))
        except OSError:
            self.errors += 1
            return False
        return True

    def read_mv(self):
        """Battery voltage now in mV; 0 with no battery, no chip or a bus error."""
        # Register by register, as X-Powers' own code reads them (no reliance
        # on address auto-increment).
        try:
            if self.model == _AXP192:
                if not self._rd(0x01) & 0x20:
                    return 0
                code = (self._rd(0x78) << 4) | (self._rd(0x79) & 0x0F)
                return (code * 11 + 5) // 10  # 1.1 mV/LSB
            if self.model == _AXP2101:
                if not self._rd(0x00) & 0x08:
                    return 0
                return ((self._rd(0x34) & 0x1F) << 8) | self._rd(0x35)
        except OSError:
            self.errors += 1
        return 0

    read = _read_held
