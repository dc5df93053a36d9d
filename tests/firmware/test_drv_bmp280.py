"""BMP280 driver on MicroPython against a fake chip and the datasheet.

Oracles: the datasheet's worked example (section 3.12: dig_T1..dig_P9,
adc_T = 519888, adc_P = 415148 -> 25.08 degC, 100653.27 Pa) and a direct
transcription of the datasheet's integer code (8.2) in Python integers
(tests/support/drv_oracles.py).
"""

import random

from baro_rig import compensate_on_mpy, run_on_rig
from cpython_firmware import import_firmware
from drv_oracles import (
    BMP280_EXAMPLE_ADC_P,
    BMP280_EXAMPLE_ADC_T,
    BMP280_EXAMPLE_TRIM,
    BMP280_TRIM_NAMES,
    Small,
    bmp280_compensate_double,
    bmp280_compensate_p32,
    bmp280_compensate_p64,
    bmp280_compensate_t,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import DRIVERS


def mpy(body):
    return run_on_rig(
        "bmp280", body, BMP280_EXAMPLE_TRIM, BMP280_EXAMPLE_ADC_T, BMP280_EXAMPLE_ADC_P
    )


def test_datasheet_worked_example_gives_25_08_degc_and_100653_pa_through_the_bus():
    out = mpy(
        """
drv = bmp280.BMP280(bus, clk)
print(drv.present())
run(drv, 100)
print(s.baro_ok, drv.temp_c100, drv.t_fine, drv.press_q8, s.press_dpa)
"""
    )
    present, rest = out.split("\n", 1)
    ok, temp, t_fine, q8, dpa = rest.split()
    assert present == "True" and ok == "True"
    assert (int(temp), int(t_fine)) == (2508, 128422)
    # The datasheet's 64-bit integer code on its own example: 25767233 / 256
    # = 100653.25 Pa (the table's 100653.27 Pa is the floating-point result).
    assert int(q8) == 25767233 and int(q8) >> 8 == 100653
    assert abs(int(q8) / 256 - 100653.27) < 0.03
    assert int(dpa) == round(int(q8) * 10 / 256)


def test_the_datasheet_32_bit_pressure_code_would_be_3_pa_off_on_the_example():
    # Why the driver uses the 64-bit code: the 32-bit one is coarser.
    _, t_fine = bmp280_compensate_t(BMP280_EXAMPLE_TRIM, BMP280_EXAMPLE_ADC_T)
    p32 = bmp280_compensate_p32(BMP280_EXAMPLE_TRIM, t_fine, BMP280_EXAMPLE_ADC_P)
    _, p_float = bmp280_compensate_double(
        BMP280_EXAMPLE_TRIM, BMP280_EXAMPLE_ADC_T, BMP280_EXAMPLE_ADC_P
    )
    assert p32 == 100656 and abs(p32 - p_float) > 2


def realistic_cases(seed, n):
    rnd = random.Random(seed)
    cases = []
    for _ in range(n):
        trim = {k: int(v * rnd.uniform(0.9, 1.1)) for k, v in BMP280_EXAMPLE_TRIM.items()}
        adc_t = rnd.randrange(380000, 640000)  # about -40..+85 degC for these trims
        adc_p = rnd.randrange(250000, 720000)
        cases.append((trim, adc_t, adc_p))
    return cases


def test_compensation_equals_the_datasheet_integer_code_bit_for_bit():
    cases = realistic_cases(280, 300)
    got = compensate_on_mpy("bmp280", ["temp_c100", "press_q8"], cases, BMP280_TRIM_NAMES)
    assert len(got) == len(cases)
    checked = 0
    for (ok, temp, q8), (trim, adc_t, adc_p) in zip(got, cases):
        t_ref, t_fine = bmp280_compensate_t(trim, adc_t)
        p_ref = bmp280_compensate_p64(trim, t_fine, adc_p)
        plausible = -6000 <= t_ref <= 10500 and 256 <= p_ref <= 130000 * 256
        assert bool(ok) == plausible, (trim, adc_t, adc_p)
        if ok:
            assert (temp, q8) == (t_ref, p_ref)
            # and the datasheet's integer code stays close to its float formula
            _, p_float = bmp280_compensate_double(trim, adc_t, adc_p)
            assert abs(q8 / 256 - p_float) < 0.5
            checked += 1
    assert checked > 250


S16 = st.integers(-32768, 32767)
# signed 16-bit words but T1 and P1, in the range a working part holds
NVM = {name: S16 for name in BMP280_TRIM_NAMES} | {
    "T1": st.integers(20000, 40000),
    "P1": st.integers(1, 65535),
}


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(NVM),
    st.integers(0, (1 << 20) - 1),
    st.integers(0, (1 << 20) - 1),
)
def test_every_intermediate_stays_a_small_int_on_a_32_bit_port(trim, adc_t, adc_p):
    bmp280 = import_firmware("bmp280", DRIVERS)
    drv = bmp280.BMP280(None, None)
    drv.trim[:] = [Small(trim[k]) for k in BMP280_TRIM_NAMES]
    ok = drv.compensate(Small(adc_t), Small(adc_p))  # raises on a value >= 2**30
    if ok:
        t_ref, t_fine = bmp280_compensate_t(trim, adc_t)
        assert (drv.temp_c100, drv.press_q8) == (t_ref, bmp280_compensate_p64(trim, t_fine, adc_p))


def test_normal_mode_is_configured_and_read_once_per_measurement_period():
    out = mpy(
        """
drv = bmp280.BMP280(bus, clk, osrs_p=4, osrs_t=1, standby_code=0)
n = run(drv, 1000)
print(chip.regs[0xF4], chip.regs[0xF5], drv.period_ms, n)
"""
    )
    ctrl, config, period, n = map(int, out.split())
    assert ctrl == (1 << 5) | (3 << 2) | 3  # osrs_t x1, osrs_p x4, normal mode
    assert config == 0
    # datasheet: 1.25 + 2.3 * 1 + 2.3 * 4 + 0.575 ms + 0.5 ms standby
    assert period == 14
    assert 1000 // period - 2 <= n <= 1000 // period


def test_bus_errors_and_skipped_measurements_clear_baro_ok_without_raising():
    out = mpy(
        "import bmp280_checks\n"
        "bmp280_checks.bus_errors_and_skipped_measurements(run, bus, clk, chip, s,"
        f" {BMP280_EXAMPLE_ADC_T}, {BMP280_EXAMPLE_ADC_P})"
    )
    assert out.split() == ["True", "True", "2", "True", "False", "True", "True", "False", "True"]


def test_wrong_chip_id_is_not_present_and_never_reads():
    out = mpy(
        """
chip.regs[0xD0] = 0x55
drv = bmp280.BMP280(bus, clk)
print(drv.present())
run(drv, 300)
print(s.baro_ok, drv.readings, drv.data_errors > 0)
"""
    )
    assert out.split() == ["False", "False", "0", "True"]


def test_steady_state_read_allocates_nothing():
    out = mpy(
        """
drv = bmp280.BMP280(bus, clk)
print(*baro_loop.steady_alloc(run, drv, warm_ms=100, ms=3000))
"""
    )
    used, readings = map(int, out.split())
    assert readings > 150 and used == 0
