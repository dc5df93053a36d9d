"""Driver costs on the MicroPython unix port, through the fake chips of
tests/support/fake_bus.py (so bus time is the fakes', not an I2C bus's).

Figures:
- *_alloc_bytes_per_read: heap bytes allocated per read() in steady state
  (gc.mem_alloc over thousands of reads; 0 is the requirement).
- *_compensate_us: CPU time of one compensation; *_read_us: of one read()
  call that produced a new value (bus transfers with the fake chip, the
  next conversion started, compensation); *_poll_us: of a read() call that
  only found the conversion still running. Unix port on this machine.
- *_loop_iters: the same cost in empty `for` loop iterations measured in the
  same run, a unit that carries over to a board: multiply by the board's
  time per empty iteration (measure it there with the same loop) to
  estimate the cost on an RP2040 or ESP32.
- *_reads_per_s: new readings per second of CPU on this machine
  (1e6 / *_read_us); *_fresh_hz: readings per second the chip delivers
  with the default settings, polled every ms (for the MS5611 set by the
  datasheet conversion times at OSR 4096 with temperature every 4th
  conversion).
"""

import json
from pathlib import Path

from tests.support.drv_oracles import (
    BMP3_BENCH_TRIM,
    BMP3_BENCH_UP,
    BMP3_BENCH_UT,
    BMP280_EXAMPLE_ADC_P,
    BMP280_EXAMPLE_ADC_T,
    BMP280_EXAMPLE_TRIM,
    MS5611_EXAMPLE_D1,
    MS5611_EXAMPLE_D2,
    MS5611_EXAMPLE_PROM,
)
from tests.support.mpy import run_mpy

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "support"


def chip_values():
    """What the fake chips of bench/mpy/ hold, on the scripts' stdin as JSON:
    the datasheets' worked examples (tests/support/drv_oracles.py) and the
    bench's BMP388."""
    return {
        "ms5611_prom": MS5611_EXAMPLE_PROM,
        "ms5611_d1": MS5611_EXAMPLE_D1,
        "ms5611_d2": MS5611_EXAMPLE_D2,
        "bmp280_trim": BMP280_EXAMPLE_TRIM,
        "bmp280_adc_t": BMP280_EXAMPLE_ADC_T,
        "bmp280_adc_p": BMP280_EXAMPLE_ADC_P,
        "bmp3_trim": BMP3_BENCH_TRIM,
        "bmp3_ut": BMP3_BENCH_UT,
        "bmp3_up": BMP3_BENCH_UP,
    }


def run():
    out = run_mpy(
        file=HERE / "mpy" / "driver_figures.py",
        stdin=json.dumps(chip_values()),
        extra_path=[TESTS],
        heap="1M",
        timeout=600,
    )
    figures = json.loads(out.strip().split("\n")[-1])
    print(
        "  (unix port; *_loop_iters = cost in empty-loop iterations: multiply by a board's"
        " empty-loop time to estimate it there)"
    )
    return figures
