"""Build a real board's hardware from its board dictionary (boards/*.py).

Why: the firmware above this module is the same on every board; this is the
one place that turns `{"baro": {"driver": "ms5611", "bus": "i2c0", ...}}`
into machine.I2C/SPI/UART/Pin/ADC objects and drivers. The object it returns
has the same shape as the virtual board's (hw_sim.SimHardware): `mode`,
`read(sample)`, `feed_watchdog()`, `pyro_outputs`, `arm_input`, `radio`,
`gnss_uart`, `watchdog`, plus the real-board parts: `baro`, `accel`,
`accel2`, `battery`, `power` (AXP chip or None), `radio_pins`, `indicator`,
`buses` and `errors`.

What it promises:
- Pyro outputs are created first, driven low (`Pin(n, Pin.OUT, value=0)`),
  before any bus or driver is touched: whatever fails later, the MOSFETs
  stay off.
- A bad board entry or a missing part never stops the build: the part is
  left None and a sentence naming the key and the problem is appended to
  `errors` (the status command reports them); the flight code sees a
  missing sensor as `baro_ok`/`accel_ok` False.
- `read(sample)` allocates nothing: baro, accelerometer(s), battery, arm
  input. With two accelerometers it reports the finer `accel2` while that one
  reads and is not saturated, else `accel`, with `accel2`'s axes mapped into
  `accel`'s board frame (both described by their "axes" mounting strings).
- `machine` is imported inside the build functions only, so the module
  imports on the unix port and tests can put a fake `machine` in
  sys.modules.

Board keys are documented in boards/README.md.
"""

from micropython import const

import config
import sample as sample_mod

CONTINUITY_MIN_U16 = const(6554)  # sense ADC above 10 % of full scale = igniter present
RADIO_OPTIONS = ("freq_khz", "sf", "bw_hz", "cr", "sync_word", "preamble", "tx_dbm", "pa_boost")

# driver name -> (module, class, takes a clock)
BARO_DRIVERS = {
    "ms5611": ("ms5611", "MS5611", True),
    "bmp280": ("bmp280", "BMP280", True),
    "bme280": ("bmp280", "BMP280", True),
    "bmp388": ("bmp3xx", "BMP3xx", True),
    "bmp390": ("bmp3xx", "BMP3xx", True),
}
ACCEL_DRIVERS = {
    "adxl375": ("adxl375", "ADXL375", False),
    "lis3dh": ("lis3dh", "LIS3DH", False),
}
_NOT_DRIVER_OPTIONS = ("driver", "bus", "axes")


def axes_map(primary, secondary):
    """For each axis of the primary accelerometer's board frame, the axis of
    the secondary's frame and the sign that express the same direction
    (both mountings describe where the capsule's x, y, z point)."""
    src = [0, 0, 0]
    sign = [1, 1, 1]
    for cap in range(3):
        p_axis, p_sign = primary[cap]
        s_axis, s_sign = secondary[cap]
        # capsule[cap] = p_sign * b1[p_axis] = s_sign * b2[s_axis]
        src[p_axis] = s_axis
        sign[p_axis] = p_sign * s_sign
    return src, sign


class PyroOutput:
    """One pyro channel: a MOSFET gate pin and an optional continuity ADC."""

    def __init__(self, pin, sense=None, min_u16=CONTINUITY_MIN_U16):
        self._pin = pin
        self._sense = sense
        self._min = min_u16
        self.on = False

    def set(self, on):
        self.on = bool(on)
        self._pin.value(1 if on else 0)

    def continuity(self):
        """True igniter connected, False open, None no sense (or ADC error)."""
        if self._sense is None:
            return None
        try:
            return self._sense.read_u16() >= self._min
        except OSError:
            return None


class ArmInput:
    def __init__(self, pin, active_low=True):
        self._pin = pin
        self._low = active_low

    def value(self):
        v = self._pin.value()
        return (v == 0) if self._low else (v != 0)


class OnOff:
    """An output behind value(on) whose on and off are two values of one
    setter: an active-low pin (LED to the supply) writes 0 for on, a passive
    piezo on PWM a half duty cycle. Starts off."""

    def __init__(self, write, on_value, off_value):
        self._write = write
        self._on = on_value
        self._off = off_value
        write(off_value)

    def value(self, on):
        self._write(self._on if on else self._off)


class Hardware:
    mode = "hw"

    def __init__(self, board, clock):
        self.board = board
        self.clock = clock
        self.errors = []
        self.buses = {}
        self.pyro_outputs = {}
        self.arm_input = None
        self.baro = None
        self.accel = None
        self.accel2 = None
        self.battery = None
        self.power = None
        self.gnss_uart = None
        self.radio_pins = None
        self.radio = None
        self.indicator = None
        self.watchdog = None
        self.watchdog_ms = None
        self._s2 = sample_mod.Sample()
        self._v2 = [0, 0, 0]
        self._map_src = [0, 1, 2]
        self._map_sign = [1, 1, 1]

    def read(self, s):
        """Fill the sample from every part this board has. No allocation."""
        if self.baro is not None:
            self.baro.read(s)
        else:
            s.baro_ok = False
        self._read_accel(s)
        if self.battery is not None:
            self.battery.read(s)
        else:
            s.vbatt_mv = 0
        arm = self.arm_input
        s.arm_input = arm.value() if arm is not None else False

    def _read_accel(self, s):
        a2 = self.accel2
        if a2 is not None:
            s2 = self._s2
            if a2.read(s2) and not a2.saturated:
                v = self._v2
                v[0] = s2.ax_mg
                v[1] = s2.ay_mg
                v[2] = s2.az_mg
                src = self._map_src
                sign = self._map_sign
                s.ax_mg = sign[0] * v[src[0]]
                s.ay_mg = sign[1] * v[src[1]]
                s.az_mg = sign[2] * v[src[2]]
                s.accel_ok = True
                return
        if self.accel is not None:
            self.accel.read(s)
        else:
            s.accel_ok = False

    def feed_watchdog(self):
        if self.watchdog is not None:
            self.watchdog.feed()

    def start_watchdog(self):
        """Start the hardware watchdog (once; no port can stop it again). The
        app starts it at arming, or at boot when a flight is under way: on the
        stand a stopped loop is a person's to see, and the `repl` command
        needs a loop that may stop."""
        wd = self.watchdog_ms
        if wd and self.watchdog is None:
            import machine

            try:
                self.watchdog = machine.WDT(timeout=wd)
            except Exception as e:
                self.errors.append("watchdog_ms %r: %s" % (wd, e))

    def present(self):
        """Self-test of every part: list of (name, True/False). Boot time; allocates."""
        out = []
        for name in ("baro", "accel", "accel2", "battery"):
            part = getattr(self, name)
            if part is not None:
                out.append((name, part.present()))
        if self.radio is not None:
            out.append(("radio", bool(getattr(self.radio, "ok", False))))
        return out


def _options(entry, skip=_NOT_DRIVER_OPTIONS):
    return {k: v for k, v in entry.items() if k not in skip}


def build(board, clock):
    """The board's hardware. Never raises for a bad board entry or a part
    that does not answer; see `errors` on the returned object."""
    import machine

    hw = Hardware(board, clock)
    err = hw.errors
    Pin = machine.Pin

    # 1. Pyro gates low, first of all.
    for name, ch in sorted(board.get("pyro", {}).items()):
        try:
            gate = Pin(ch["pin"], Pin.OUT, value=0)
        except Exception as e:  # a wrong pin must not stop the other channels
            err.append("pyro %s: pin %r: %s" % (name, ch.get("pin"), e))
            continue
        sense = None
        if ch.get("sense_adc") is not None:
            try:
                sense = _adc(ch["sense_adc"], board)
            except Exception as e:
                err.append("pyro %s: sense_adc %r: %s" % (name, ch.get("sense_adc"), e))
        hw.pyro_outputs[name] = PyroOutput(gate, sense, ch.get("sense_min_u16", CONTINUITY_MIN_U16))

    # 2. Buses.
    for bus_name, b in sorted(board.get("buses", {}).items()):
        try:
            hw.buses[bus_name] = _bus(b)
        except Exception as e:
            err.append("bus %s: %s" % (bus_name, e))

    # 3. Power chip first: on a T-Beam it feeds the radio and the GNSS.
    bat = board.get("battery")
    if bat:
        try:
            hw.battery = _battery(hw, bat, clock)
        except Exception as e:
            err.append("battery: %s" % e)

    # 4. Sensors.
    hw.baro = _sensor(hw, "baro", BARO_DRIVERS, clock)
    hw.accel = _sensor(hw, "accel", ACCEL_DRIVERS, clock)
    hw.accel2 = _sensor(hw, "accel2", ACCEL_DRIVERS, clock)
    if hw.accel2 is not None:
        p = config.parse_axes(board.get("accel", {}).get("axes", "+x+y+z"))
        q = config.parse_axes(board.get("accel2", {}).get("axes", "+x+y+z"))
        if p is None or q is None:
            err.append("accel2: axes must look like '+x+y+z' (for accel and accel2)")
            hw.accel2 = None
        else:
            hw._map_src, hw._map_sign = axes_map(p, q)

    # 5. Arm switch.
    arm = board.get("arm_switch")
    if arm:
        try:
            low = arm.get("active_low", True)
            pin = Pin(arm["pin"], Pin.IN, Pin.PULL_UP if low else Pin.PULL_DOWN)
            hw.arm_input = ArmInput(pin, low)
        except Exception as e:
            err.append("arm_switch: %s" % e)

    # 6. GNSS UART.
    gnss = board.get("gnss")
    if gnss and gnss.get("uart"):
        uart = hw.buses.get(gnss["uart"])
        if uart is None:
            err.append("gnss: uart %r is not in buses" % gnss["uart"])
        hw.gnss_uart = uart

    # 7. Radio: SPI and pins for the SX127x driver, then the driver itself.
    radio = board.get("radio")
    if radio:
        _radio(hw, radio, clock)

    # 8. Indicator, watchdog.
    try:
        import indicator

        led = _output(board.get("led"))
        buzzer = _output(board.get("buzzer"))
        hw.indicator = indicator.Indicator(clock, led, buzzer)
    except Exception as e:
        err.append("led/buzzer: %s" % e)
    hw.watchdog_ms = board.get("watchdog_ms")  # started at arming: start_watchdog()
    return hw


def _adc(pin, board):
    import machine

    atten = board.get("adc_atten")
    if atten:
        # esp32 only: full-scale range of its ADC (e.g. "ATTN_11DB").
        return machine.ADC(machine.Pin(pin), atten=getattr(machine.ADC, atten))
    return machine.ADC(machine.Pin(pin))


def _bus(b):
    import machine

    Pin = machine.Pin
    kind = b.get("kind")
    if kind == "i2c":
        return machine.I2C(
            b["id"], scl=Pin(b["scl"]), sda=Pin(b["sda"]), freq=b.get("freq", 400000)
        )
    if kind == "spi":
        return machine.SPI(
            b["id"],
            baudrate=b.get("baudrate", 1000000),
            polarity=0,
            phase=0,
            sck=Pin(b["sck"]),
            mosi=Pin(b["mosi"]),
            miso=Pin(b["miso"]),
        )
    if kind == "uart":
        return machine.UART(
            b["id"],
            baudrate=b.get("baudrate", 9600),
            tx=Pin(b["tx"]),
            rx=Pin(b["rx"]),
            rxbuf=b.get("rxbuf", 1024),
            timeout=0,
        )
    raise ValueError("kind must be i2c, spi or uart, not %r" % (kind,))


def _i2c_for(hw, key, entry):
    bus = hw.buses.get(entry.get("bus"))
    if bus is None:
        hw.errors.append("%s: bus %r is not in buses" % (key, entry.get("bus")))
    return bus


def _sensor(hw, key, table, clock):
    entry = hw.board.get(key)
    if not entry:
        return None
    spec = table.get(entry.get("driver"))
    if spec is None:
        hw.errors.append(
            "%s: driver %r unknown (have %s)" % (key, entry.get("driver"), ", ".join(sorted(table)))
        )
        return None
    bus = _i2c_for(hw, key, entry)
    if bus is None:
        return None
    module, cls, with_clock = spec
    try:
        mod = __import__(module)
        ctor = getattr(mod, cls)
        opts = _options(entry)
        drv = ctor(bus, clock, **opts) if with_clock else ctor(bus, **opts)
    except Exception as e:
        hw.errors.append("%s (%s): %s" % (key, entry.get("driver"), e))
        return None
    if not drv.present():
        hw.errors.append(
            "%s (%s): no answer at 0x%02x" % (key, entry.get("driver"), entry.get("addr", 0))
        )
    return drv


def _battery(hw, bat, clock):
    import battery

    driver = bat.get("driver")
    if driver == "adc":
        adc = _adc(bat["pin"], hw.board)
        return battery.AdcBattery(
            adc, clock, int(bat.get("divider", 1.0) * 1000 + 0.5), bat.get("vref_mv", 3300)
        )
    if driver in ("axp", "axp192", "axp2101"):
        bus = _i2c_for(hw, "battery", bat)
        if bus is None:
            return None
        axp = battery.AxpBattery(bus, clock, bat.get("addr", battery.AXP_ADDR))
        if not axp.start():
            hw.errors.append("battery: no AXP192/AXP2101 answered on %s" % bat.get("bus"))
        else:
            hw.power = axp
            rails = bat.get("rails", ())
            if rails and not axp.enable_rails("lora" in rails, "gnss" in rails):
                hw.errors.append("battery: could not switch on rails %r" % (rails,))
        return axp
    raise ValueError("driver must be adc, axp192 or axp2101, not %r" % (driver,))


def _output(spec):
    """led/buzzer entry -> object with value(on), or None."""
    import machine

    if spec is None:
        return None
    if isinstance(spec, int):
        return machine.Pin(spec, machine.Pin.OUT, value=0)
    pin = machine.Pin(spec["pin"], machine.Pin.OUT, value=1 if spec.get("active_low") else 0)
    if spec.get("pwm_hz"):
        return OnOff(machine.PWM(pin, freq=spec["pwm_hz"], duty_u16=0).duty_u16, 32768, 0)
    if spec.get("active_low"):
        return OnOff(pin.value, 0, 1)
    return pin


def _radio(hw, radio, clock):
    import machine

    Pin = machine.Pin
    spi = hw.buses.get(radio.get("bus"))
    if spi is None:
        hw.errors.append("radio: bus %r is not in buses" % (radio.get("bus"),))
        return
    try:
        pins = {
            "spi": spi,
            "cs": Pin(radio["cs"], Pin.OUT, value=1),
            "reset": Pin(radio["reset"], Pin.OUT, value=1),
            "dio0": Pin(radio["dio0"], Pin.IN) if radio.get("dio0") is not None else None,
        }
    except Exception as e:
        hw.errors.append("radio pins: %s" % e)
        return
    hw.radio_pins = pins
    if radio.get("driver") != "sx127x":
        hw.errors.append("radio: driver %r unknown (have sx127x)" % (radio.get("driver"),))
        return
    try:
        import sx127x

        opts = {k: radio[k] for k in RADIO_OPTIONS if k in radio}
        r = sx127x.SX127x(spi, pins["cs"], pins["reset"], pins["dio0"], clock, **opts)
        if not r.init():
            hw.errors.append("radio: no SX127x answered (RegVersion %r)" % (r.version,))
        hw.radio = r
    except Exception as e:
        hw.errors.append("radio: %s" % e)
