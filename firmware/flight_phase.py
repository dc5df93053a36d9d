"""Flight phases and the pyro interlock table, shared by the sequencer and the
pyro bank (kept apart so `pyro.py` does not import the sequencer).

A phase is a small int (it is persisted and logged); `PHASE_NAMES[phase]`
is its name on the wire. `ALLOWED_CHANNELS[phase]` names the pyro channels that
may fire in that phase: the last line of defence against a logic error firing
a charge on the stand, in orbit or on the ground after landing.
"""

from micropython import const

SAFE = const(0)  # power-on, self-test, disarmed: nothing can fire
ARMED = const(1)  # armed, waiting on the stand, in orbit or under a drone
DESCENT = const(2)  # entry (g-switch) or drop detected; backup timers run
DROGUE = const(3)  # drogue fired
MAIN = const(4)  # main fired
LANDED = const(5)  # landing or splashdown detected; pyro outputs made safe
BEACON = const(6)  # low-power position beacon until recovered

PHASE_NAMES = ("SAFE", "ARMED", "DESCENT", "DROGUE", "MAIN", "LANDED", "BEACON")

# Channel indices: the bank numbers channels in this order, then any extra
# channel a board names (bit i of the fired-bits word is channel i).
CH_DROGUE = const(0)
CH_MAIN = const(1)
CHANNEL_ORDER = ("drogue", "main")

# phase -> channels that may fire in it. The drogue fires out of DESCENT, the
# main out of DROGUE (by altitude, backup timer or drogue failure); the
# sequencer fires a channel while still in the phase that allows it, then
# moves on. Nothing fires before DESCENT or after MAIN. A board's extra
# channels fire in no phase until a row here names them.
ALLOWED_CHANNELS = (
    (),  # SAFE
    (),  # ARMED
    ("drogue",),  # DESCENT
    ("main",),  # DROGUE
    (),  # MAIN
    (),  # LANDED
    (),  # BEACON
)


def phase_name(phase):
    if 0 <= phase < len(PHASE_NAMES):
        return PHASE_NAMES[phase]
    return "?"
