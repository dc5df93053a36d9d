"""Parameter table of the recovery beacon: flight phases as the beacon sees them.

One place maps a phase number to its name (sent in every packet) and to the
beacon rate class the scheduler uses, so adding or renumbering a phase is one
edit here. The numbers mirror the flight sequencer's phases (SAFE=0 ... BEACON=6);
when `flight.py` is on the path and defines PHASE_* constants of its own,
tests/test_beacon_schedule.py checks that both tables agree.

Nothing here allocates after import.
"""

try:
    from micropython import const
except ImportError:  # CPython (host-side fuzzing)

    def const(x):
        return x


SAFE = const(0)
ARMED = const(1)
DESCENT = const(2)  # entry, before any chute: radio silent (blackout, pyro decisions)
DROGUE = const(3)
MAIN = const(4)
LANDED = const(5)
BEACON = const(6)  # long-term recovery beacon after landing

# Phase name carried in packets (index = phase number). Names are ASCII bytes so a
# formatter copies them without allocating.
PHASE_NAMES = (b"SAFE", b"ARMED", b"DESCENT", b"DROGUE", b"MAIN", b"LANDED", b"BEACON")
UNKNOWN_PHASE_NAME = b"UNKNOWN"

# Beacon rate class per phase (index = phase number).
RATE_OFF = const(0)  # no transmissions
RATE_DESCENT = const(1)  # cfg.beacon_descent_s: under the main chute
RATE_LANDED = const(2)  # cfg.beacon_landed_s, then cfg.beacon_slow_s after beacon_slow_after_s
RATE_BY_PHASE = bytes((RATE_OFF, RATE_OFF, RATE_OFF, RATE_OFF, RATE_DESCENT, RATE_LANDED, RATE_LANDED))

# A position younger than this is "fresh" (the receiver runs at 1 Hz; a few
# missed sentences are normal). Older positions are sent with their age.
FRESH_FIX_MS = const(5000)

# Battery below cfg.batt_low_mv stretches every beacon interval by this factor.
BATT_LOW_RATE_FACTOR = const(4)


def phase_name(phase):
    """Name bytes of a phase number; UNKNOWN_PHASE_NAME for a number outside the table."""
    if 0 <= phase < len(PHASE_NAMES):
        return PHASE_NAMES[phase]
    return UNKNOWN_PHASE_NAME


def rate_class(phase):
    if 0 <= phase < len(RATE_BY_PHASE):
        return RATE_BY_PHASE[phase]
    return RATE_OFF
