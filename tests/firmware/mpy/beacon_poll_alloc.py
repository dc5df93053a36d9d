"""Heap growth of the beacon scheduler's polling through a whole flight
(drogue, main, landing, a lost fix, a low battery) with every packet format
at once, after a warm-up flight. Prints the rig's report with `alloc` (bytes)
and `count` (packets sent).
"""

import aprs
import beacon_params as P
import heap_probe
import sbd
import ukhas
from beacon_rig import start
from fake_radio import FakeRadio


def formats(cfg):
    return [
        aprs.AprsFormat(cfg),
        aprs.AprsFormat(cfg, compressed=True),
        ukhas.UkhasFormat(cfg),
        sbd.SbdFormat(cfg),
    ]


rig = start(1000, lambda clk: FakeRadio(clk, tx_ms=200, record=False), formats)


def flight():
    rig.run(20000, P.DROGUE)
    rig.run(60000, P.MAIN)
    rig.run(60000, P.LANDED)
    rig.fx.clear()
    rig.run(120000, P.LANDED, gnss=False)
    rig.run(60000, P.BEACON, vbatt=3000)


flight()
rig.report(alloc=heap_probe.alloc_of(flight), count=rig.radio.count)
