"""hw_real.build() on MicroPython with a fake `machine` module in sys.modules:
each board file turns into the buses, pins and drivers it describes, pyro
gates are driven low before anything else, bad entries become clear errors
instead of exceptions, and hw.read() fills a sample without allocating."""

from pathlib import Path

from drv_oracles import MS5611_EXAMPLE_PROM
from mpy import BOARDS, SUPPORT, run_mpy

from host_tools.firmware_files import board_dict

PRELUDE = f"""
import sys, gc, fake_bus, clock, sample
fm = fake_bus.FakeMachine()
sys.modules["machine"] = fm
clk = clock.VirtualClock(0)
ms = fake_bus.FakeMS5611(clk, {MS5611_EXAMPLE_PROM!r}, 9085466, 8569150)
adxl = fake_bus.FakeADXL375((0, 0, 21))
lis = fake_bus.FakeLIS3DH((0, 0, 83))
axp192 = fake_bus.FakeAXP192(3900)
import hw_real
s = sample.Sample()

def run(hw, ms_total):
    for _ in range(ms_total):
        clk.advance_ms(1)
        hw.read(s)
"""


def mpy(body):
    return run_mpy(PRELUDE + body, extra_path=[SUPPORT])


def board_files():
    """Every board file's dictionary as the flasher writes it (a ground board
    resolved on its base board)."""
    return {path.stem: board_dict(path.stem) for path in sorted(Path(BOARDS).glob("*.py"))}


def test_board_files_are_data_only_and_name_themselves():
    boards = board_files()
    assert {"pico", "tbeam", "sim"} <= set(boards)
    for name, board in boards.items():
        assert board["name"] == name
        assert board["mode"] in ("sim", "hw")


def test_pico_builds_the_buses_and_pins_its_board_file_names():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl}
fm.adc_values = {26: 30000, 27: 100, 28: 47000}
import pico
hw = hw_real.build(pico.BOARD, clk)
print(hw.errors)
for b in fm.built:
    if b[0] != "Pin":
        print(b[0], b[1], sorted((k, v if isinstance(v, int) else getattr(v, "id", v)) for k, v in b[2].items()))
print("gates", fm.pins[14].init_value, fm.pins[15].init_value)
print("radio", hw.radio.ok, fm.pins[17].init_value, fm.pins[20].init_value)
print("arm", fm.pins[13].pull == fm.Pin.PULL_UP)
print("wdt before arming", any(b[0] == "WDT" for b in fm.built))
hw.start_watchdog()
hw.start_watchdog()
print("wdt started", [b[2] for b in fm.built if b[0] == "WDT"])
"""
    )
    lines = out.strip().split("\n")
    assert lines[0] == "[]"
    built = "\n".join(lines[1:])
    assert "I2C 0 [('freq', 400000), ('scl', 5), ('sda', 4)]" in built
    assert "SPI 0 [('baudrate', 5000000), ('miso', 16), ('mosi', 19), ('phase', 0)," in built
    assert (
        "UART 1 [('baudrate', 9600), ('rx', 9), ('rxbuf', 1024), ('timeout', 0), ('tx', 8)]"
        in built
    )
    # the watchdog starts at arming (no port can stop it; the REPL must be
    # reachable on the stand), once
    assert "wdt before arming False" in built
    assert "wdt started [{'timeout': 2000}]" in built
    assert "gates 0 0" in built  # pyro gates created low
    assert "radio True 1 1" in built  # SX127x answered; CS and RESET idle high
    assert "arm True" in built


def test_pyro_gates_are_driven_low_before_any_bus_is_opened():
    out = mpy(
        """
import pico, tbeam
for board in (pico.BOARD, tbeam.BOARD):
    fm.built.clear()
    hw_real.build(board, clk)
    first_bus = min(i for i, b in enumerate(fm.built) if b[0] in ("I2C", "SPI", "UART"))
    gates = [ch["pin"] for ch in board["pyro"].values()]
    gate_idx = [i for i, b in enumerate(fm.built) if b[0] == "Pin" and b[1] in gates]
    print(max(gate_idx) < first_bus, [fm.built[i][2]["value"] for i in gate_idx])
"""
    )
    assert out.split("\n")[:2] == ["True [0, 0]", "True [0, 0]"]


def test_pico_read_fills_the_sample_from_baro_accel_battery_and_arm_switch():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl}
fm.adc_values = {26: 30000, 27: 100, 28: 47000}
import pico
hw = hw_real.build(pico.BOARD, clk)
run(hw, 300)
print(s.baro_ok, s.press_dpa, s.accel_ok, s.ax_mg, s.ay_mg, s.az_mg, s.vbatt_mv, s.arm_input)
print(hw.pyro_outputs["drogue"].continuity(), hw.pyro_outputs["main"].continuity())
hw.pyro_outputs["main"].set(True)
print(fm.pins[15].level)
fm.pins[13].level = 0  # key switch closed (active low)
hw.read(s)
print(s.arm_input, hw.present())
"""
    )
    lines = out.strip().split("\n")
    mv = round(47000 / 65535 * 3300) * 3
    assert lines[0].split() == ["True", "1000090", "True", "0", "0", str(21 * 49), str(mv), "False"]
    assert lines[1] == "True False"
    assert lines[2] == "1"
    assert lines[3] == "True [('baro', True), ('accel', True), ('battery', True), ('radio', True)]"


def test_tbeam_finds_the_axp192_switches_on_radio_and_gnss_rails_and_reads_the_battery():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl, 0x18: lis, 0x34: axp192}
import tbeam
hw = hw_real.build(tbeam.BOARD, clk)
print(hw.errors, hw.power.model_name)
print(axp192.regs[0x12] & 0x0C, axp192.regs[0x28])
run(hw, 1100)
print(s.vbatt_mv, s.baro_ok, s.press_dpa)
print([b for b in fm.built if b[0] == "ADC"])
"""
    )
    lines = out.strip().split("\n")
    assert lines[0] == "[] axp192"
    assert lines[1] == "12 255"  # LDO2 + LDO3 on, both 3.3 V
    mv, ok, dpa = lines[2].split()
    assert abs(int(mv) - 3900) <= 2 and ok == "True" and dpa == "1000090"
    assert "'atten': 3" in lines[3]  # sense ADCs with the esp32 11 dB attenuation


def test_tbeam_v1_2_with_an_axp2101_is_recognised_by_the_same_board_file():
    out = mpy(
        """
axp2101 = fake_bus.FakeAXP2101(4100)
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl, 0x18: lis, 0x34: axp2101}
import tbeam
hw = hw_real.build(tbeam.BOARD, clk)
run(hw, 10)
print(hw.errors, hw.power.model_name, axp2101.regs[0x90] & 0x06, s.vbatt_mv)
"""
    )
    assert out.split() == ["[]", "axp2101", "6", "4100"]


def test_the_fine_accel2_is_used_until_it_saturates_then_the_high_g_part():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl, 0x18: lis, 0x34: axp192}
import tbeam
hw = hw_real.build(tbeam.BOARD, clk)
hw.read(s)
print(s.az_mg)          # LIS3DH: 83 counts x 12 mg
lis.set_counts(0, 0, 2047)
adxl.set_raw(0, 0, 408)
hw.read(s)
print(s.az_mg)          # saturated LIS3DH -> ADXL375: 408 x 49 mg
"""
    )
    assert out.split() == [str(83 * 12), str(408 * 49)]


def test_accel2_axes_are_mapped_into_the_primary_accelerometers_frame():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl, 0x18: lis}
import tbeam
board = dict(tbeam.BOARD)
board["battery"] = None
board["accel"] = dict(board["accel"], axes="+x+y+z")
board["accel2"] = dict(board["accel2"], axes="-y+x+z")  # capsule x = -LIS y, y = +LIS x
hw = hw_real.build(board, clk)
lis.set_counts(10, 20, 30)
hw.read(s)
print(s.ax_mg, s.ay_mg, s.az_mg)
"""
    )
    # capsule x = -lis_y = -240, y = lis_x = 120, z = lis_z = 360 (12 mg/count)
    assert out.split() == ["-240", "120", "360"]


def test_bad_entries_become_errors_naming_the_key_and_never_exceptions():
    out = mpy(
        """
import pico
board = dict(pico.BOARD)
board["baro"] = {"driver": "ms5612", "bus": "i2c0"}
board["accel"] = {"driver": "adxl375", "bus": "i2c9"}
board["battery"] = {"driver": "adc", "pin": 28, "divider": 55.0}
board["pyro"] = {"drogue": {"pin": 14}, "main": {}}
board["gnss"] = {"driver": "ublox", "uart": "uart7"}
hw = hw_real.build(board, clk)
for e in hw.errors:
    print(e)
print(sorted(hw.pyro_outputs), hw.baro, hw.accel, hw.battery, hw.gnss_uart)
hw.read(s)
print(s.baro_ok, s.accel_ok, s.vbatt_mv)
"""
    )
    text = out.strip()
    assert "baro: driver 'ms5612' unknown (have bme280, bmp280, bmp388, bmp390, ms5611)" in text
    assert "accel: bus 'i2c9' is not in buses" in text
    assert "battery: battery divider must be 1.0 .. 20.0" in text
    assert "pyro main: pin None" in text
    assert "gnss: uart 'uart7' is not in buses" in text
    assert "['drogue'] None None None None" in text
    assert text.endswith("False False 0")


def test_read_allocates_nothing():
    out = mpy(
        """
fm.i2c_chips[0] = {0x77: ms, 0x53: adxl, 0x18: lis, 0x34: axp192}
import tbeam
hw = hw_real.build(tbeam.BOARD, clk)
def measure():
    run(hw, 200)
    gc.collect()
    m = gc.mem_alloc()
    run(hw, 3000)
    return gc.mem_alloc() - m
print(measure(), s.baro_ok, s.accel_ok)
"""
    )
    assert out.split() == ["0", "True", "True"]


def test_a_ground_board_builds_its_base_boards_radio_and_gnss_and_no_flight_parts():
    board = board_files()["pico_ground"]  # resolved on boards/pico.py
    out = mpy(
        f"""
hw = hw_real.build({board!r}, clk)
print(hw.errors)
print(sorted(b[0] + " " + str(b[1]) for b in fm.built if b[0] != "Pin"))
print("radio", hw.radio is not None, fm.pins[17].init_value, fm.pins[20].init_value)
print("parts", hw.baro, hw.accel)
"""
    )
    errors, built, radio, parts = out.strip().split("\n")
    assert errors == "[]"
    assert built == "['SPI 0', 'UART 1']"  # pico.py's SPI0 and UART1; no I2C, no sensors
    assert radio == "radio True 1 1"  # pico.py's chip select and reset pins
    assert parts == "parts None None"


def test_an_active_low_led_and_a_pwm_piezo_start_off_and_follow_value():
    out = mpy(
        """
pwms = []
class PWM(fm.PWM):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        pwms.append(self)
fm.PWM = PWM
led = hw_real._output({"pin": 4, "active_low": True})
tone = hw_real._output({"pin": 14, "pwm_hz": 2700})
duty = [pwms[0].duty]
for on in (1, 0, 1):
    led.value(on)
    tone.value(on)
    duty.append(pwms[0].duty)
print(fm.pins[4].history, duty, pwms[0].freq_hz)
"""
    )
    assert out.strip() == "[1, 1, 0, 1, 0] [0, 32768, 0, 32768] 2700"
