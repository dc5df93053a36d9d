"""Flight records for the persist tests on MicroPython: `rec` fills one with
known values, `fields` lists what a loaded one holds (None for no record) so
a test can print it as JSON and compare."""

import persist


def rec(phase, flight_ms, fired=0):
    r = persist.FlightRecord()
    r.phase = phase
    r.armed = 1
    r.flight_ms = flight_ms
    r.fired_bits = fired
    r.drogue_ms = 1234 if fired else -1
    r.speed_cms = -7100
    r.alt_cm = 987654
    r.flags = 3
    r.boots = 2
    return r


def fields(r):
    if r is None:
        return None
    return [
        r.phase, r.armed, r.flight_ms, r.fired_bits, r.drogue_ms, r.main_ms,
        r.speed_cms, r.alt_cm, r.flags, r.boots, r.seq,
    ]  # fmt: skip
