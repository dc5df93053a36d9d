"""MS5611 driver on MicroPython against a fake chip and the datasheet.

Oracles: the datasheet's worked example (C1..C6 = 40127 36924 23317 23282
33464 28312, D1 = 9085466, D2 = 8569150 -> 20.07 degC, 1000.09 mbar) and a
direct transcription of the datasheet's first- and second-order formulas in
Python integers (tests/support/drv_oracles.py).
"""

import pytest
from baro_rig import compensate_on_mpy, refusal_on_mpy, run_on_rig
from cpython_firmware import import_firmware
from drv_oracles import (
    MS5611_EXAMPLE_D1,
    MS5611_EXAMPLE_D2,
    MS5611_EXAMPLE_PROM,
    Small,
    ms5611_cases,
    ms5611_compensate,
    ms5611_crc4,
    ms5611_d2_for_temp,
    ms5611_plausible,
    ms5611_prom,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import DRIVERS, run_mpy


def mpy(body, prom=MS5611_EXAMPLE_PROM):
    return run_on_rig("ms5611", body, prom, MS5611_EXAMPLE_D1, MS5611_EXAMPLE_D2)


def checked(call, prom=MS5611_EXAMPLE_PROM):
    """What `call`, a function of tests/support/ms5611_checks.py, prints on the rig."""
    return mpy("import ms5611_checks\nms5611_checks." + call, prom)


def compensate(cases):
    return compensate_on_mpy("ms5611", ["temp_c100", "press_pa"], cases)


def test_datasheet_worked_example_reads_20_07_degc_and_1000_09_mbar_through_the_bus():
    out = mpy(
        """
drv = ms5611.MS5611(bus, clk)
print(drv.present())
n = run(drv, 200)
print(n > 0, s.baro_ok, s.press_dpa, drv.temp_c100, drv.press_pa)
"""
    )
    lines = out.split("\n")
    assert lines[0] == "True"
    assert lines[1].split() == ["True", "True", "1000090", "2007", "100009"]


def test_compensation_equals_the_datasheet_formulas_for_random_and_extreme_inputs():
    cases = ms5611_cases(seed=5611, n=600)
    expected = [ms5611_compensate(p, d1, d2) for p, d1, d2 in cases]
    # The sample must exercise both second-order branches and the first order.
    temps = [t for t, _ in expected]
    assert sum(t < -1500 for t in temps) > 40 and sum(t >= 2000 for t in temps) > 40
    got = compensate(cases)
    assert len(got) == len(cases)
    checked = 0
    for (ok, temp, p), (t_ref, p_ref) in zip(got, expected):
        assert ok == ms5611_plausible(t_ref, p_ref)
        if ok:
            assert (temp, p) == (t_ref, p_ref)
            checked += 1
    assert checked > 250


def test_second_order_compensation_below_minus_15_degc_matches_the_datasheet():
    prom = MS5611_EXAMPLE_PROM
    d2 = ms5611_d2_for_temp(prom, -3000)  # -30 degC
    d1 = 7_000_000
    t_ref, p_ref = ms5611_compensate(prom, d1, d2)
    # Without the second order the answer would differ: the branch matters.
    dT = d2 - prom[5] * 256
    t1 = 2000 + ((dT * prom[6]) >> 23)
    assert t1 < -1500 and t_ref != t1
    assert compensate([(prom, d1, d2)]) == [(1, t_ref, p_ref)]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.integers(0, 65535), min_size=6, max_size=6),
    st.integers(0, (1 << 24) - 1),
    st.integers(0, (1 << 24) - 1),
)
def test_every_compensation_intermediate_stays_a_small_int_on_a_32_bit_port(c, d1, d2):
    ms5611 = import_firmware("ms5611", DRIVERS)
    drv = ms5611.MS5611(object(), None)
    prom = ms5611_prom(*c)
    drv.prom[:] = [Small(w) for w in prom]
    ok = drv.compensate(Small(d1), Small(d2))  # raises if any value reaches 2**30
    t_ref, p_ref = ms5611_compensate(prom, d1, d2)
    assert ok == ms5611_plausible(t_ref, p_ref)
    if ok:
        assert (drv.temp_c100, drv.press_pa) == (t_ref, p_ref)


def test_compensation_at_the_input_extremes_stays_small_on_a_32_bit_port():
    ms5611 = import_firmware("ms5611", DRIVERS)
    drv = ms5611.MS5611(object(), None)
    for cv in (0, 1, 65535):
        for d1 in (0, 1, (1 << 24) - 1):
            for d2 in (0, 1, (1 << 24) - 1):
                prom = ms5611_prom(cv, cv, cv, cv, 65535 - cv, cv)
                drv.prom[:] = [Small(w) for w in prom]
                drv.compensate(Small(d1), Small(d2))


def test_prom_crc4_matches_polynomial_division_and_present_rejects_a_flipped_bit():
    good = ms5611_prom(40127, 36924, 23317, 23282, 33464, 28312)
    assert good[7] & 0xF == ms5611_crc4(good)
    flipped = list(good)
    flipped[3] ^= 0x0100
    out = checked(
        f"prom_crc(bus, clk, chip, {flipped!r})",
        prom=good,
    )
    assert out.split() == ["True", "False", "1", "False", "False"]


def test_read_never_reads_the_adc_before_the_datasheet_conversion_time():
    # The fake starts each conversion at the worst point of the ms tick and
    # answers 0 (and spoils the conversion) when read early.
    out = checked("conversion_timing(bus, clk, chip, s)")
    for line in out.strip().split("\n"):
        _osr, early, disturbed, errors, many, press = line.split()
        assert (early, disturbed, errors, many, press) == ("0", "0", "0", "True", "1000090"), line


def test_conversion_wait_covers_the_datasheet_maximum_on_a_millisecond_clock():
    tmax_us = {256: 600, 512: 1170, 1024: 2280, 2048: 4540, 4096: 9040}  # datasheet max
    out = run_mpy("import ms5611\nprint(sorted(ms5611._OSR_TABLE.items()))")
    table = dict(eval(out))
    for osr, (_cmd, wait_ms) in table.items():
        # A tick observed `wait_ms` after the start tick is more than
        # wait_ms - 1 ms of real time later.
        assert (wait_ms - 1) * 1000 >= tmax_us[osr]
        assert (wait_ms - 2) * 1000 < tmax_us[osr]  # and not wastefully long


def test_bus_errors_clear_baro_ok_are_counted_and_never_raise():
    out = mpy(
        """
drv = ms5611.MS5611(bus, clk)
print(*baro_loop.through_bus_errors(run, bus, clk, drv, s, 3, 6, step_ms=11, after_ms=200))
print(s.press_dpa)
"""
    )
    assert out.split() == ["True", "True", "3", "True", "1000090"]


def test_a_dead_bus_resets_the_chip_and_recovers_when_it_returns():
    out = checked("dead_bus(run, bus, clk, chip, s)")
    assert out.split() == ["False", "True", "True", "True", "1000090"]


def test_a_zero_adc_result_is_a_counted_data_error_not_a_pressure():
    out = checked(f"zero_adc(run, bus, clk, chip, s, {MS5611_EXAMPLE_D1})")
    assert out.split() == ["False", "True", "1000090", "True"]


def test_bad_oversampling_setting_is_refused_with_a_clear_message():
    out = refusal_on_mpy("ms5611", "MS5611(None, None, osr=300)")
    assert "osr" in out and "4096" in out


def test_steady_state_read_allocates_nothing():
    out = mpy(
        """
drv = ms5611.MS5611(bus, clk, osr=1024, temp_every=2)
print(*baro_loop.steady_alloc(run, drv, warm_ms=200, ms=5000))
"""
    )
    used, readings = map(int, out.split())
    assert readings > 500
    assert used == 0


@pytest.mark.parametrize("temp_every", [1, 4])
def test_temperature_is_converted_once_per_temp_every_pressures(temp_every):
    out = mpy(
        f"""
drv = ms5611.MS5611(bus, clk, temp_every={temp_every})
run(drv, 1000)
print(chip.conversions, drv.readings)
"""
    )
    conversions, readings = map(int, out.split())
    temps = conversions - readings
    assert abs(temps - readings / temp_every) <= 2


def test_a_self_test_during_a_conversion_never_publishes_a_spoiled_reading():
    out = checked("self_test_during_conversion(bus, clk, chip, s)")
    assert out.split() == ["0", "True", "True"]
