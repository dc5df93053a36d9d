"""Heap growth of the beacon scheduler's polling under a duty-cycle limit
that holds packets back (spacing, the hour's budget, the burst rule), after
a warm-up. Prints the rig's report with `alloc` (bytes) and `count`
(packets sent).
"""

import beacon_params as P
import heap_probe
import ukhas
from beacon_rig import start
from fake_radio import FakeRadio

rig = start(
    1000, lambda clk: FakeRadio(clk, tx_ms=50, record=False), lambda cfg: [ukhas.UkhasFormat(cfg)]
)
rig.cfg.duty_cycle_permille = 100
rig.cfg.beacon_descent_s = 1
rig.cfg.beacon_landed_s = 1


def flight():
    rig.run(120000, P.MAIN, step=500)
    rig.run(600000, P.LANDED, step=500)


flight()
rig.report(alloc=heap_probe.alloc_of(flight), count=rig.radio.count)
