"""Flight recorder on the real MicroPython unix port: allocation per record,
records per second, flash bytes per minute of each phase, CRC cost.

Figures:
  log_alloc_bytes_per_record        heap bytes per logged sample (with a fix
                                    record every 25 samples and the block
                                    writes, 4 KB blocks, no segment rotation)
  log_alloc_bytes_per_segment_rotation  garbage made by closing one segment
                                    file and opening the next (file object and
                                    its buffer), once per SEGMENT_BLOCKS blocks
  log_records_per_s                 logged samples per second (unix port,
                                    DESCENT rate, block writes to a tmp dir)
  log_records_per_s_pico_estimate   that / 75 (MicroPython on a 125 MHz RP2040
                                    runs bytecode 50-100x slower than a
                                    desktop core; flash erase time not included)
  log_decimated_calls_per_s         record() calls per second when the phase's
                                    rate says skip (stand, beacon)
  log_bytes_per_descent_minute      flash bytes per minute in DESCENT (the
                                    fastest phase: 25 Hz cap) with a 100 Hz loop
                                    and a 1 Hz GNSS fix
  log_bytes_per_chute_minute        the same under drogue or main (10 Hz)
  log_bytes_per_beacon_day          the same in the beacon phase, per day
  log_descent_minutes_per_mb        minutes of DESCENT-rate logging per MB
  log_block_fill_s_descent          seconds to fill a 4 KB block in DESCENT:
                                    the most a power cut can lose
  log_crc_us_per_4kb_native         viper CRC-32 of a block (unix port)
  log_crc_us_per_4kb_python         pure-Python fallback (unix port)
"""

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

from mpy import run_mpy

PICO_SLOWDOWN = 75


def run():
    with tempfile.TemporaryDirectory() as tmp:
        out = run_mpy(file=HERE / "mpy" / "flightlog_figures.py", args=[tmp], timeout=600)
    figures = {}
    per_min = {}
    crc = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[0] == "alloc_per_record":
            figures["log_alloc_bytes_per_record"] = float(parts[1])
        elif parts[0] == "alloc_per_rotation":
            figures["log_alloc_bytes_per_segment_rotation"] = round(float(parts[1]))
        elif parts[0] == "records_per_s":
            figures["log_records_per_s"] = round(float(parts[1]))
        elif parts[0] == "decimated_per_s":
            figures["log_decimated_calls_per_s"] = round(float(parts[1]))
        elif parts[0] == "bytes_per_minute":
            per_min[parts[1]] = float(parts[2])
        elif parts[0] == "crc_us":
            crc[parts[1]] = float(parts[2])
    figures["log_records_per_s_pico_estimate"] = round(figures["log_records_per_s"] / PICO_SLOWDOWN)
    figures["log_bytes_per_descent_minute"] = round(per_min["descent"])
    figures["log_bytes_per_chute_minute"] = round(per_min["chute"])
    figures["log_bytes_per_beacon_day"] = round(per_min["beacon"] * 1440)
    figures["log_descent_minutes_per_mb"] = round(1e6 / per_min["descent"], 1)
    figures["log_block_fill_s_descent"] = round(4096 / (per_min["descent"] / 60), 1)
    figures["log_crc_us_per_4kb_native"] = round(crc["native"], 1)
    figures["log_crc_us_per_4kb_python"] = round(crc["python"], 1)
    return figures


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:40s} {v}")
