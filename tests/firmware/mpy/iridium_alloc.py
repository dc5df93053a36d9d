"""Heap growth of five Iridium SBD messages sent after a warm-up one, with a
modem that reports no signal once per message (a back-off each time) and logs
nothing. Prints the rig's report with `alloc` (bytes the five messages took).
"""

import heap_probe
from iridium_rig import MSG, Rig

rig = Rig()
rig.modem.log = None


def session():
    rig.ird.send(MSG, len(MSG))
    rig.run(600000)


def five():
    for _ in range(5):
        session()


def measure():
    session()
    return heap_probe.alloc_of(five)


measure()
rig.modem.csq = [0, 2] * 10  # every measured session backs off once
rig.modem._csq_i = 0
rig.report(alloc=measure())
