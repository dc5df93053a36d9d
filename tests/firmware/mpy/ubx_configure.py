"""One receiver profile (firmware/ubx.py) run against the simulated u-blox of
tests/support/ubx_receiver_sim.py on a virtual clock.

stdin: JSON {"policy": [[class, id, "ack"|"nak"|"silent"], ...], "default",
"lose", "interface", "profile", "tx_bytes_max"} (tx_bytes_max: a UART whose
write() takes at most that many bytes and says how many, or null). Prints the
configurator's counters and the virtual time it took, repr of its error, every
byte the board wrote (hex) and the (class, id) of every frame the receiver
took.
"""

import json
import sys

import clock
import gnss
import ubx
from ubx_receiver_sim import SimReceiver, run

case = json.loads(sys.stdin.read())
policy = {(c, i): what for c, i, what in case["policy"]}
tx_bytes_max = case["tx_bytes_max"]


class ShortWrites(SimReceiver):
    # a full TX buffer: write() takes at most tx_bytes_max bytes and says how many
    def write(self, data):
        return SimReceiver.write(self, bytes(data)[:tx_bytes_max])


clk = clock.VirtualClock()
rx = (ShortWrites if tx_bytes_max else SimReceiver)(policy, case["default"], case["lose"])
reader = gnss.GnssReader(rx, clk)
cfg = ubx.UbxConfigurator(rx, clk, reader, case["interface"])
cfg.start(case["profile"])
t = run(rx, cfg, reader, clk)
print(cfg.state, cfg.used, cfg.sent, cfg.acks, cfg.naks, cfg.timeouts, cfg.skipped, t)
print(repr(cfg.error))
print(rx.tx.hex())
print(json.dumps(rx.frames))
