"""MS5611 driver checks that print what a test asserts, run on MicroPython.

Each function runs on the barometer rig (baro_rig.py: a virtual clock, a
fake I2C bus with a FakeMS5611 `chip` on it, a sample `s`, `run(drv, ms)`);
the test calls it after the rig and reads the lines it prints.
"""

import random

import fake_bus
import ms5611


def prom_crc(bus, clk, chip, flipped):
    """present() with a good PROM, with the PROM words `flipped` (one bit off:
    present() then data_errors), with an all-zero PROM, and with no chip."""
    drv = ms5611.MS5611(bus, clk)
    print(drv.present())
    chip.prom = flipped
    print(drv.present(), drv.data_errors)
    chip.prom = [0] * 8
    print(drv.present())
    empty = fake_bus.FakeI2C()
    print(ms5611.MS5611(empty, clk).present())


def conversion_timing(bus, clk, chip, s):
    """For each oversampling, 3000 reads 0..4 ms apart (seeded): "osr early_reads
    disturbed data_errors fresh>50 press_dpa"; the chip counts an ADC read
    before its conversion ended as early (and answers 0)."""
    random.seed(7)
    for osr in (256, 512, 1024, 2048, 4096):
        clk.advance_ms(20)  # let the previous driver's last conversion end
        drv = ms5611.MS5611(bus, clk, osr=osr, temp_every=3)
        chip.early_reads = chip.disturbed = 0
        fresh = 0
        for _ in range(3000):
            clk.advance_ms(random.randint(0, 4))
            if drv.read(s):
                fresh += 1
        print(osr, chip.early_reads, chip.disturbed, drv.data_errors, fresh > 50, s.press_dpa)


def dead_bus(run, bus, clk, chip, s):
    """baro_ok and whether more than 5 bus errors were counted after 500 ms of a
    dead bus, then baro_ok, whether the chip was reset, press_dpa once it returns."""
    drv = ms5611.MS5611(bus, clk)
    run(drv, 100)
    bus.fail_always = True
    run(drv, 500)
    print(s.baro_ok, drv.bus_errors > 5)
    bus.fail_always = False
    run(drv, 500)
    print(s.baro_ok, chip.resets >= 1, s.press_dpa)


def zero_adc(run, bus, clk, chip, s, d1):
    """baro_ok, whether a data error was counted, press_dpa (the last good one)
    after 100 ms of a zero pressure ADC result; baro_ok once D1 is `d1` again."""
    drv = ms5611.MS5611(bus, clk)
    run(drv, 100)
    chip.d1 = 0
    run(drv, 100)
    print(s.baro_ok, drv.data_errors > 0, s.press_dpa)
    chip.d1 = d1
    run(drv, 200)
    print(s.baro_ok)


def self_test_during_conversion(bus, clk, chip, s):
    """1000 ms of reads with a present() (PROM reads) every 50 ms: the readings
    published with a pressure other than the example's, whether a conversion was
    disturbed, whether more than 5 readings were made."""
    drv = ms5611.MS5611(bus, clk)
    bad = 0
    for i in range(1000):
        clk.advance_ms(1)
        if i % 50 == 7:
            drv.present()  # PROM reads while a conversion may be running
        if drv.read(s) and s.press_dpa != 1000090:
            bad += 1
    print(bad, chip.disturbed > 0, drv.readings > 5)
