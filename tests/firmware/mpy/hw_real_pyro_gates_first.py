"""Whether hw_real.build() drives the pyro gates low before opening any bus.

argv: the MS5611's PROM words. For the Pico's and the T-Beam's board files,
one line: True when every pyro gate pin was made before the first I2C, SPI
or UART bus, then the gates' initial values.
"""

import sys

import hw_real
import pico
import tbeam
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm = rig.fm
for board in (pico.BOARD, tbeam.BOARD):
    fm.built.clear()
    hw_real.build(board, rig.clk)
    first_bus = min(i for i, b in enumerate(fm.built) if b[0] in ("I2C", "SPI", "UART"))
    gates = [ch["pin"] for ch in board["pyro"].values()]
    gate_idx = [i for i, b in enumerate(fm.built) if b[0] == "Pin" and b[1] in gates]
    print(max(gate_idx) < first_bus, [fm.built[i][2]["value"] for i in gate_idx])
