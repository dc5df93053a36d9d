"""Flights written with the firmware's flight recorder, shared by the log CLI tests
(host decoder) and their virtual-board twins."""

from mpy import SCRIPTS, run_mpy


def write_flight(log_dir):
    """The short flight of tests/firmware/mpy/flightlog_short_flight.py written into
    `log_dir` on MicroPython; returns the number of samples recorded."""
    return int(run_mpy(file=SCRIPTS / "flightlog_short_flight.py", args=[log_dir]).strip())
