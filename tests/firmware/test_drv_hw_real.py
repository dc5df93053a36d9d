"""hw_real.build() on MicroPython with a fake `machine` module in sys.modules:
each board file turns into the buses, pins and drivers it describes, pyro
gates are driven low before anything else, bad entries become clear errors
instead of exceptions, and hw.read() fills a sample without allocating."""

import json
from pathlib import Path

from drv_oracles import MS5611_EXAMPLE_D1, MS5611_EXAMPLE_D2, MS5611_EXAMPLE_PROM
from mpy import BOARDS, SCRIPTS, SUPPORT, run_mpy

from host_tools.firmware_files import board_dict


def mpy(script, stdin=None):
    """Output of `script` (tests/firmware/mpy/) on the fake machine's rig (hw_real_rig.py)."""
    return run_mpy(
        file=SCRIPTS / script,
        args=[*MS5611_EXAMPLE_PROM, MS5611_EXAMPLE_D1, MS5611_EXAMPLE_D2],
        stdin=stdin,
        extra_path=[SUPPORT],
    )


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
    out = mpy("hw_real_pico_build.py")
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
    out = mpy("hw_real_pyro_gates_first.py")
    assert out.split("\n")[:2] == ["True [0, 0]", "True [0, 0]"]


def test_pico_read_fills_the_sample_from_baro_accel_battery_and_arm_switch():
    out = mpy("hw_real_pico_read.py")
    lines = out.strip().split("\n")
    mv = round(47000 / 65535 * 3300) * 3
    assert lines[0].split() == ["True", "1000090", "True", "0", "0", str(21 * 49), str(mv), "False"]
    assert lines[1] == "True False"
    assert lines[2] == "1"
    assert lines[3] == "True [('baro', True), ('accel', True), ('battery', True), ('radio', True)]"


def test_tbeam_finds_the_axp192_switches_on_radio_and_gnss_rails_and_reads_the_battery():
    out = mpy("hw_real_tbeam_axp192.py")
    lines = out.strip().split("\n")
    assert lines[0] == "[] axp192"
    assert lines[1] == "12 255"  # LDO2 + LDO3 on, both 3.3 V
    mv, ok, dpa = lines[2].split()
    assert abs(int(mv) - 3900) <= 2 and ok == "True" and dpa == "1000090"
    assert "'atten': 3" in lines[3]  # sense ADCs with the esp32 11 dB attenuation


def test_tbeam_v1_2_with_an_axp2101_is_recognised_by_the_same_board_file():
    out = mpy("hw_real_tbeam_axp2101.py")
    assert out.split() == ["[]", "axp2101", "6", "4100"]


def test_the_fine_accel2_is_used_until_it_saturates_then_the_high_g_part():
    out = mpy("hw_real_accel2_saturation.py")
    assert out.split() == [str(83 * 12), str(408 * 49)]


def test_accel2_axes_are_mapped_into_the_primary_accelerometers_frame():
    out = mpy("hw_real_accel2_axes.py")
    # capsule x = -lis_y = -240, y = lis_x = 120, z = lis_z = 360 (12 mg/count)
    assert out.split() == ["-240", "120", "360"]


def test_bad_entries_become_errors_naming_the_key_and_never_exceptions():
    out = mpy("hw_real_bad_entries.py")
    text = out.strip()
    assert "baro: driver 'ms5612' unknown (have bme280, bmp280, bmp388, bmp390, ms5611)" in text
    assert "accel: bus 'i2c9' is not in buses" in text
    assert "battery: battery divider must be 1.0 .. 20.0" in text
    assert "pyro main: pin None" in text
    assert "gnss: uart 'uart7' is not in buses" in text
    assert "['drogue'] None None None None" in text
    assert text.endswith("False False 0")


def test_read_allocates_nothing():
    out = mpy("hw_real_read_alloc.py")
    assert out.split() == ["0", "True", "True"]


def test_a_ground_board_builds_its_base_boards_radio_and_gnss_and_no_flight_parts():
    board = board_files()["pico_ground"]  # resolved on boards/pico.py
    out = mpy("hw_real_ground_board.py", stdin=json.dumps(board))
    errors, built, radio, parts = out.strip().split("\n")
    assert errors == "[]"
    assert built == "['SPI 0', 'UART 1']"  # pico.py's SPI0 and UART1; no I2C, no sensors
    assert radio == "radio True 1 1"  # pico.py's chip select and reset pins
    assert parts == "parts None None"


def test_an_active_low_led_and_a_pwm_piezo_start_off_and_follow_value():
    out = mpy("hw_real_led_pwm.py")
    assert out.strip() == "[1, 1, 0, 1, 0] [0, 32768, 0, 32768] 2700"
