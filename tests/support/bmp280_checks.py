"""BMP280 driver checks that print what a test asserts, run on MicroPython.

A function runs on the barometer rig (baro_rig.py: a virtual clock, a fake
I2C bus with a FakeBMP280 `chip` on it, a sample `s`, `run(drv, ms)`); the
test calls it after the rig and reads the lines it prints.
"""

import baro_loop
import bmp280


def bus_errors_and_skipped_measurements(run, bus, clk, chip, s, adc_t, adc_p):
    """baro_loop.through_bus_errors for 2 failed transfers over 30 reads; then
    baro_ok and whether a data error was counted after 100 ms of the chip's
    skipped-measurement value (0x80000); baro_ok 300 ms after the chip gives
    (adc_t, adc_p) again; then baro_ok and the bus errors counted after 20 ms
    of a dead bus (one read period: well before a good reading goes stale)."""
    drv = bmp280.BMP280(bus, clk)
    print(*baro_loop.through_bus_errors(run, bus, clk, drv, s, fails=2, reads=30))
    chip.set_adc(0x80000, 0x80000)
    run(drv, 100)
    print(s.baro_ok, drv.data_errors > 0)
    chip.set_adc(adc_t, adc_p)
    run(drv, 300)
    print(s.baro_ok)
    before = drv.bus_errors
    bus.fail_always = True
    run(drv, 20)
    print(s.baro_ok, drv.bus_errors - before > 0)
