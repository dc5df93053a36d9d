"""BMP388/BMP390 driver on MicroPython against a fake chip and the datasheet's
floating-point compensation (section 9, evaluated in double precision in
tests/support/drv_oracles.py). The datasheet gives no integer code and no worked
example, so the driver's integer form is checked to stay within 0.1 Pa
(one count of press_dpa after rounding) of the float formula."""

import random

from baro_rig import compensate_on_mpy, refusal_on_mpy, run_on_rig
from cpython_firmware import import_firmware
from drv_oracles import BMP3_TRIM_NAMES, Small, bmp3_compensate_float
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import DRIVERS

U16, S16, S8 = (0, 65535), (-32768, 32767), (-128, 127)
# the NVM field widths of datasheet table 23
NVM_WIDTHS = dict(
    zip(BMP3_TRIM_NAMES, (U16, U16, S8, S16, S16, S8, S8, U16, U16, S8, S8, S16, S8, S8))
)
# narrower, where a part sensitive to 300..1250 hPa over -40..85 degC ends up
REALISTIC = NVM_WIDTHS | {
    "T1": (25000, 29000),
    "T2": (17000, 21000),
    "T3": (-12, 2),
    "P1": (-3000, 3000),
    "P2": (-6000, 2000),
    "P5": (20000, 30000),
    "P6": (25000, 35000),
}


def random_trim(rnd):
    """Trims a working part could hold (REALISTIC)."""
    return {name: rnd.randint(lo, hi) for name, (lo, hi) in REALISTIC.items()}


def cases(seed, n):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        trim = random_trim(rnd)
        t = rnd.uniform(-40, 85)
        ut = int(trim["T1"] * 256 + t * 2**30 / trim["T2"])
        up = rnd.randrange(1, 1 << 24)
        _, p = bmp3_compensate_float(trim, ut, up)
        if 30000 <= p <= 125000:
            out.append((trim, ut, up))
    return out


def test_pressure_is_within_0_1_pa_of_the_datasheet_float_formula():
    cs = cases(388, 300)
    got = compensate_on_mpy("bmp3xx", ["press_dpa", "tlin_q20", "temp_c100"], cs, BMP3_TRIM_NAMES)
    assert len(got) == len(cs)
    for (ok, dpa, tq, temp), (trim, ut, up) in zip(got, cs):
        t_lin, p = bmp3_compensate_float(trim, ut, up)
        assert ok == 1
        assert abs(dpa - p * 10) <= 0.51, (trim, ut, up)  # rounding + < 0.01 dPa
        assert abs(tq / 2**20 - t_lin) < 2**-20 + 1e-9
        assert abs(temp - t_lin * 100) <= 0.51


NVM = {name: st.integers(lo, hi) for name, (lo, hi) in NVM_WIDTHS.items()}


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries(NVM), st.integers(0, (1 << 24) - 1), st.integers(0, (1 << 24) - 1))
def test_every_intermediate_stays_a_small_int_for_any_nvm_and_adc_value(trim, ut, up):
    bmp3xx = import_firmware("bmp3xx", DRIVERS)
    drv = bmp3xx.BMP3xx(None, None)
    drv.trim[:] = [Small(trim[k]) for k in BMP3_TRIM_NAMES]
    ok = drv.compensate(Small(ut), Small(up))  # raises on a value >= 2**30
    t_lin, p = bmp3_compensate_float(trim, ut, up)
    if ok:
        assert abs(drv.press_dpa - p * 10) <= 0.51
    else:
        # refused: out of the part's range (1..130 000 Pa, PRESS_MIN/MAX_DPA), give or
        # take the 0.51 dPa the integer result may differ from the float one
        assert abs(t_lin) >= 127.9 or not 1.051 <= p <= 129999.949


def mpy(body, chip_id=0x50):
    trim, ut, up = cases(7, 1)[0]
    _, p = bmp3_compensate_float(trim, ut, up)
    return run_on_rig("bmp3xx", body, trim, ut, up, chip_id), p


def test_bmp388_and_bmp390_are_configured_in_normal_mode_and_read_once_per_odr_period():
    for chip_id in (0x50, 0x60):
        out, p = mpy(
            """
drv = bmp3xx.BMP3xx(bus, clk, osr_p=8, osr_t=1, odr_sel=2)
print(drv.present())
n = run(drv, 1000)
print(chip.regs[0x1B], chip.regs[0x1C], chip.regs[0x1D], chip.regs[0x02], n, s.baro_ok, s.press_dpa)
""",
            chip_id,
        )
        present, rest = out.split("\n", 1)
        pwr, osr, odr, err, n, ok, dpa = rest.split()
        assert present == "True"
        assert (int(pwr), int(osr), int(odr), int(err)) == (0x33, 3, 2, 0)
        assert 48 <= int(n) <= 50  # 50 Hz
        assert ok == "True" and abs(int(dpa) - p * 10) <= 0.51


def test_an_odr_shorter_than_the_measurement_is_refused_before_it_reaches_the_chip():
    out = refusal_on_mpy("bmp3xx", "BMP3xx(None, None, osr_p=32, osr_t=2, odr_sel=0)")
    assert out.startswith("refused:") and "data rate" in out


def test_bus_errors_clear_baro_ok_are_counted_and_recover():
    out, _ = mpy(
        """
drv = bmp3xx.BMP3xx(bus, clk)
print(*baro_loop.through_bus_errors(run, bus, clk, drv, s, 2, 60, warm_ms=200, after_ms=200))
"""
    )
    assert out.split() == ["True", "True", "2", "True"]


def test_steady_state_read_allocates_nothing():
    out, _ = mpy(
        """
drv = bmp3xx.BMP3xx(bus, clk)
print(*baro_loop.steady_alloc(run, drv, warm_ms=100, ms=3000))
"""
    )
    used, readings = map(int, out.split())
    assert readings > 100 and used == 0
