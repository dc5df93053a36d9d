"""A reset with a record written by the drogue fire itself (DESCENT, drogue
bit set, the phase change not yet recorded), then the rest of the flight.
Prints JSON [rises per channel, final phase, fires, impact speed, each fire
event's refusal]: the latch alone must keep the drogue from firing again.
"""

import json

import persist
from flight_helpers import FAST, Capsule, Rig, make_config

cfg = make_config(**FAST)
cap = Capsule(h=5000.0, speed=60.0, gamma_deg=-90.0, main_cda=6.0)
rig = Rig(cfg, cap, None)
rec = persist.FlightRecord()
rec.phase = 2
rec.armed = 1
rec.fired_bits = 1
rec.flags = persist.FLAG_SETTLED | persist.FLAG_SPEED_TRUSTED | persist.FLAG_ORBIT_SEEN
rec.flight_ms = 280000
rec.alt_cm = 500000
rec.speed_cms = -6000
rig.ram.save(rec)
rig.reset(down_ms=100)
s = rig.run()
refused = [d.get("refused") for n, d in s["events"] if n == "fire"]
print(json.dumps([s["rises"], s["phase"], s["fires"], s["impact_speed"], refused]))
