"""Parameter table of the recovery beacon: flight phases as the beacon sees them.

One place maps a phase number to its name (sent in every packet) and to the
beacon rate class the scheduler uses. The phase numbers and names are the
flight sequencer's own (`flight_phase.py`) when that module is on the board;
the literal table below is the fallback for a tree without it (SAFE=0 ...
BEACON=6), and tests/test_beacon_schedule.py checks that both agree.

Nothing here allocates after import.
"""

from micropython import const

try:
    from flight_phase import ARMED, BEACON, DESCENT, DROGUE, LANDED, MAIN, SAFE
    from flight_phase import PHASE_NAMES as _NAMES
except ImportError:
    SAFE = 0
    ARMED = 1
    DESCENT = 2  # entry, before any chute: radio silent (blackout, pyro decisions)
    DROGUE = 3
    MAIN = 4
    LANDED = 5
    BEACON = 6  # long-term recovery beacon after landing
    _NAMES = ("SAFE", "ARMED", "DESCENT", "DROGUE", "MAIN", "LANDED", "BEACON")

# Phase name carried in packets (index = phase number). Names are ASCII bytes so a
# formatter copies them without allocating.
PHASE_NAMES = tuple(n.encode() if isinstance(n, str) else bytes(n) for n in _NAMES)
UNKNOWN_PHASE_NAME = b"UNKNOWN"

# Beacon rate class per phase (index = phase number).
RATE_OFF = const(0)  # no transmissions
RATE_DESCENT = const(1)  # cfg.beacon_descent_s: under the main chute
RATE_LANDED = const(2)  # cfg.beacon_landed_s, then cfg.beacon_slow_s after beacon_slow_after_s
_RATES = bytearray(len(PHASE_NAMES))  # every phase not named below: RATE_OFF
_RATES[MAIN] = RATE_DESCENT
_RATES[LANDED] = RATE_LANDED
_RATES[BEACON] = RATE_LANDED
RATE_BY_PHASE = bytes(_RATES)

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
