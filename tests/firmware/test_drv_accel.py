"""ADXL375 and LIS3DH drivers on MicroPython against fake chips holding the
datasheets' registers: identity, configuration written, scale (49 mg/LSB;
12 mg/digit at +-16 g high resolution), one burst read per sample, bus errors
counted without exceptions, no allocation per read."""

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

PRELUDE = """
import sample, fake_bus, adxl375, lis3dh
bus = fake_bus.FakeI2C()
s = sample.Sample()
"""


def mpy(body):
    return run_mpy(PRELUDE + body, extra_path=[SUPPORT])


def test_adxl375_is_configured_and_scales_49_mg_per_lsb():
    out = mpy(
        """
chip = bus.attach(0x53, fake_bus.FakeADXL375((20, -41, 4082)))
drv = adxl375.ADXL375(bus, rate_hz=400)
print(drv.present())
print(drv.read(s), s.accel_ok, s.ax_mg, s.ay_mg, s.az_mg, drv.saturated)
print(chip.regs[0x31], chip.regs[0x2C], chip.regs[0x2D])
"""
    )
    lines = out.strip().split("\n")
    assert lines[0] == "True"
    assert lines[1].split() == ["True", "True", str(20 * 49), str(-41 * 49), str(4082 * 49), "True"]
    # DATA_FORMAT fixed bits 0x0B, BW_RATE 400 Hz code 0x0C, POWER_CTL measure
    assert lines[2].split() == [str(0x0B), str(0x0C), str(0x08)]


def test_adxl375_reads_the_three_axes_in_one_burst():
    out = mpy(
        """
chip = bus.attach(0x53, fake_bus.FakeADXL375((1, 2, 3)))
drv = adxl375.ADXL375(bus)
drv.read(s)
t0 = bus.transactions
for _ in range(10):
    drv.read(s)
print(bus.transactions - t0)
"""
    )
    assert out.strip() == "10"


def test_lis3dh_uses_auto_increment_and_12_mg_per_digit_at_16_g():
    out = mpy(
        """
chip = bus.attach(0x18, fake_bus.FakeLIS3DH((83, -1, 2047)))
drv = lis3dh.LIS3DH(bus, range_g=16, rate_hz=100)
print(drv.present())
print(drv.read(s), s.ax_mg, s.ay_mg, s.az_mg, drv.saturated)
print(chip.regs[0x20], chip.regs[0x23])
"""
    )
    lines = out.strip().split("\n")
    assert lines[0] == "True"
    # The fake repeats OUT_X_L when bit 7 of the sub-address is missing, so
    # correct values prove the auto-increment bit is set.
    assert lines[1].split() == ["True", str(83 * 12), "-12", str(2047 * 12), "True"]
    ctrl1, ctrl4 = map(int, lines[2].split())
    assert ctrl1 == (5 << 4) | 0x07  # 100 Hz, X/Y/Z on, not low-power
    assert ctrl4 == 0x80 | (3 << 4) | 0x08  # BDU, +-16 g, high resolution


@pytest.mark.parametrize("range_g,mg", [(2, 1), (4, 2), (8, 4), (16, 12)])
def test_lis3dh_scale_follows_the_datasheet_table_for_each_range(range_g, mg):
    out = mpy(
        f"""
bus.attach(0x18, fake_bus.FakeLIS3DH((1000, -1000, 1)))
drv = lis3dh.LIS3DH(bus, range_g={range_g})
drv.read(s)
print(s.ax_mg, s.ay_mg, s.az_mg)
"""
    )
    assert out.split() == [str(1000 * mg), str(-1000 * mg), str(mg)]


@pytest.mark.parametrize(
    "module,cls,addr,chip",
    [("adxl375", "ADXL375", 0x53, "FakeADXL375"), ("lis3dh", "LIS3DH", 0x18, "FakeLIS3DH")],
)
def test_bus_errors_clear_accel_ok_are_counted_and_the_chip_is_reconfigured(
    module, cls, addr, chip
):
    out = run_mpy(
        file=SCRIPTS / "accel_bus_errors.py", args=[module, cls, addr, chip], extra_path=[SUPPORT]
    )
    assert out.split() == ["True", "False", "8", "True", "True", "False", "False", "False"]


def test_wrong_identity_is_not_present_and_not_configured():
    out = mpy(
        """
c = bus.attach(0x53, fake_bus.FakeADXL375())
c.regs[0] = 0xE6
d = bus.attach(0x18, fake_bus.FakeLIS3DH())
d.regs[0x0F] = 0x32
a = adxl375.ADXL375(bus)
b = lis3dh.LIS3DH(bus)
print(a.present(), a.read(s), b.present(), b.read(s), len(c.writes), len(d.writes))
"""
    )
    assert out.split() == ["False", "False", "False", "False", "0", "0"]


def test_reads_allocate_nothing():
    out = run_mpy(file=SCRIPTS / "accel_read_alloc.py", extra_path=[SUPPORT])
    assert out.strip() == "0"


def test_bad_settings_are_refused_with_the_allowed_values():
    out = mpy(
        """
for make in (lambda: adxl375.ADXL375(bus, rate_hz=123), lambda: lis3dh.LIS3DH(bus, range_g=6)):
    try:
        make()
    except ValueError as e:
        print(e)
"""
    )
    assert "3200" in out and "16" in out
