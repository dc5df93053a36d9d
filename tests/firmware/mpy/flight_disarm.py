"""disarm() on the stand, again under the drogue (refused) and forced; prints
the answers with the phase and whether the pyro bank is armed."""

from flight_helpers import FAST, Capsule, Rig, make_config

cfg = make_config(**FAST)
cap = Capsule(h=90000.0, gamma_deg=-6.0, main_cda=6.0)
cap.stand = True
rig = Rig(cfg, cap, None)
rig.settle_on_stand(2.5)
fc = rig.fc
armed, disarmed, phase = fc.arm(), fc.disarm(), fc.phase
rig.settle_on_stand(2.5)  # a new stand window: disarm ends the one before
print(armed, disarmed, phase, fc.arm(), fc.phase)
cap.stand = False
rig.run(until_phase=3)
print(repr(fc.disarm()))
print(fc.phase, rig.bank.armed, fc.disarm(force=True), fc.phase, rig.bank.armed)
