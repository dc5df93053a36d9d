"""The reference flight (flight_helpers.FAST) with the beacon attached as the
app attaches it (flight_cmds.keep_position, UKHAS packets), a 1 Hz GNSS
receiver that fixes a position until argv[1] s and then goes dead, and a
reset at argv[2] s (none if negative). Prints one JSON line: the packets
(capsule time, hex) with the time of the last fix the receiver gave, the
phase after each boot, and whether the beacon of each boot held a restored
position.
"""

import binascii
import json
import sys

import fix
import ukhas
from fake_radio import FakeRadio
from flight_helpers import FAST, Capsule, Rig, make_config

GNSS_DEAD_S = float(sys.argv[1])
RESET_S = float(sys.argv[2])
END_S = float(sys.argv[3])
LAT_DEG, LAT_E7R, LON_DEG, LON_E7R = -33, -8123456, 151, 2345678


class BeaconRig(Rig):
    """Rig whose every boot also builds a beacon (fresh fixes, radio, clock)."""

    def _boot(self, clock_start):
        super()._boot(clock_start)
        import beacon

        self.fx = fix.Fix()
        self.lg = fix.Fix()
        self.radio = FakeRadio(self.clock, tx_ms=200)
        self.bcn = beacon.Beacon(
            self.cfg, self.clock, self.fx, self.lg, self.radio, [ukhas.UkhasFormat(self.cfg)]
        )
        import flight_cmds

        flight_cmds.keep_position(self.fc, self.bcn)
        self.boots_log.append([self.fc.phase, self.bcn._held_ok])

    def gnss(self):
        for f in (self.fx, self.lg):
            f.mode = 3
            f.lat_deg, f.lat_e7r, f.lon_deg, f.lon_e7r = LAT_DEG, LAT_E7R, LON_DEG, LON_E7R
            f.alt_cm = 1250
            f.alt_ok = True
            f.sats = 8
            f.hdop_c = 90
            f.hour, f.minute, f.second = 10, 20, 30
            f.time_ok = True
            f.rx_ms = self.clock.now_ms()
            f.has_position = True


cfg = make_config(**FAST)
cap = Capsule(h=90000.0, gamma_deg=-6.0, main_cda=6.0)
cap.stand = True
BeaconRig.boots_log = []
rig = BeaconRig(cfg, cap, None)
rig.settle_on_stand(3.0)
assert rig.fc.arm() is None
cap.stand = False
packets = []
last_fix_t = -1.0
next_fix_t = 0.0
reset_done = RESET_S < 0
while cap.t < END_S:
    if not reset_done and cap.t >= RESET_S:
        reset_done = True
        rig.reset()
    rig.tick()
    if cap.t < GNSS_DEAD_S and cap.t >= next_fix_t:
        rig.gnss()
        last_fix_t = cap.t
        next_fix_t = cap.t + 1.0
    n = rig.radio.count
    rig.radio.t = cap.t
    rig.bcn.poll(rig.fc.phase, 3900)
    if rig.radio.count != n:
        hx = binascii.hexlify(rig.radio.last[: rig.radio.last_n]).decode()
        packets.append([round(cap.t, 2), round(last_fix_t, 2), hx])
print(json.dumps({"packets": packets, "boots": BeaconRig.boots_log, "landed_t": cap.landed_t}))
