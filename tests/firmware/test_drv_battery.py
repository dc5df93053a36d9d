"""Battery readers on MicroPython: ADC divider math (integer, exact to the
mV), AXP192 / AXP2101 identification, battery ADC enable, radio/GNSS rails,
read rate limited by the clock, errors -> 0 mV without exceptions."""

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

PRELUDE = """
import clock, sample, fake_bus, battery
clk = clock.VirtualClock(0)
s = sample.Sample()
"""


def mpy(body):
    return run_mpy(PRELUDE + body, extra_path=[SUPPORT])


@pytest.mark.parametrize("raw", [0, 1, 12345, 32768, 52000, 65535])
@pytest.mark.parametrize("divider,vref", [(3.0, 3300), (2.0, 3300), (5.7, 3100)])
def test_adc_divider_gives_the_battery_millivolts(raw, divider, vref):
    out = mpy(
        f"""
adc = fake_bus.FakeADC(value_u16={raw})
b = battery.AdcBattery(adc, clk, {int(divider * 1000)}, {vref})
print(b.read_mv())
"""
    )
    exact = raw / 65535 * vref * divider
    assert abs(int(out) - exact) <= divider / 2 + 0.5  # pin mV rounded, then scaled


def test_adc_reads_once_per_period_and_an_adc_error_reads_zero():
    out = run_mpy(file=SCRIPTS / "battery_adc_period.py", extra_path=[SUPPORT])
    assert out.split() == ["True", "True", "0", "1"]


@pytest.mark.parametrize(
    "chip,name,vbat",
    [("FakeAXP192", "axp192", 3912), ("FakeAXP2101", "axp2101", 3912)],
)
def test_axp_chips_are_told_apart_and_read_the_battery(chip, name, vbat):
    out = mpy(
        f"""
bus = fake_bus.FakeI2C()
c = bus.attach(0x34, fake_bus.{chip}({vbat}))
b = battery.AxpBattery(bus, clk)
print(b.present(), b.model_name)
print(b.read_mv())
print(b.start(), b.read_mv())
"""
    )
    lines = out.strip().split("\n")
    assert lines[0].split() == ["True", name]
    assert lines[1] == "0"  # ADC not enabled yet: the chip reads 0
    ok, mv = lines[2].split()
    assert ok == "True"
    step = 1.1 if name == "axp192" else 1.0
    assert abs(int(mv) - vbat) <= step


def test_axp192_rails_for_lora_and_gnss_are_ldo2_and_ldo3_at_3_3_v():
    out = mpy(
        """
bus = fake_bus.FakeI2C()
c = bus.attach(0x34, fake_bus.FakeAXP192())
b = battery.AxpBattery(bus, clk)
b.start()
print(b.enable_rails(True, True), c.regs[0x12], c.regs[0x28])
"""
    )
    ok, ctl, volts = map(int, out.replace("True", "1").split())
    assert ok == 1
    assert ctl & 0x04 and ctl & 0x08  # LDO2, LDO3 on
    assert ctl & 0x03 == 0x03  # DCDC1/DCDC3 (the ESP32's supply) left on
    assert volts >> 4 == 15 and volts & 0x0F == 15  # 1.8 V + 15 x 0.1 V = 3.3 V


def test_axp2101_rails_for_lora_and_gnss_are_aldo2_and_aldo3_at_3_3_v():
    out = mpy(
        """
bus = fake_bus.FakeI2C()
c = bus.attach(0x34, fake_bus.FakeAXP2101())
c.regs[0x90] = 0x01
b = battery.AxpBattery(bus, clk)
b.start()
print(b.enable_rails(True, True), c.regs[0x90], c.regs[0x93], c.regs[0x94])
"""
    )
    ok, en, aldo2, aldo3 = out.split()
    assert ok == "True"
    assert int(en) == 0x01 | 0x02 | 0x04  # ALDO1 kept, ALDO2 and ALDO3 on
    assert 500 + 100 * (int(aldo2) & 0x1F) == 3300
    assert 500 + 100 * (int(aldo3) & 0x1F) == 3300


def test_no_battery_or_no_chip_reads_zero_and_never_raises():
    out = run_mpy(file=SCRIPTS / "battery_missing_chip.py", extra_path=[SUPPORT])
    assert out.split() == ["False", "False", "False", "0", "0", "0", "True"]


def test_reads_allocate_nothing():
    out = run_mpy(file=SCRIPTS / "battery_read_alloc.py", extra_path=[SUPPORT])
    assert out.split() == ["0", "True"]
