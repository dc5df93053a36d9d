"""A disarmed flight computer stepped through 25000 random samples (times,
pressures, accelerations, flags, battery, arm switch all random); prints the
rising edges on each pyro output and the phases it was in."""

import random

from flight_helpers import FAST, Capsule, Rig, make_config

random.seed(11)
cfg = make_config(**FAST)
rig = Rig(cfg, Capsule(h=0.0), None)
s = rig.sample
phases = set()
for i in range(25000):
    rig.clock.advance_ms(random.choice((0, 1, 10, 100, 5000)))
    s.t_ms = rig.clock.now_ms() - random.randint(0, 50)
    s.press_dpa = random.choice((random.randint(-10, 2000000), 1013250, 0, 10000))
    s.baro_ok = random.random() < 0.8
    s.ax_mg = random.randint(-300000, 300000)
    s.ay_mg = random.randint(-20000, 20000)
    s.az_mg = random.choice((random.randint(-300000, 300000), 0, 1000, 50000))
    s.accel_ok = random.random() < 0.8
    s.vbatt_mv = random.randint(0, 5000)
    s.arm_input = random.random() < 0.5
    rig.fc.step(s)
    phases.add(rig.fc.phase)
print(rig.outputs["drogue"].rises, rig.outputs["main"].rises, sorted(phases))
