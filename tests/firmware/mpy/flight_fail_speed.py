"""The drogue-failure speed threshold (cm/s) the flight computer uses at each
altitude in m of argv[1:] (drogue_fail_speed_m_s = 35), one a line."""

import sys

from flight_helpers import Capsule, Rig, make_config

cfg = make_config(drogue_fail_speed_m_s=35)
cap = Capsule()
rig = Rig(cfg, cap, None)
for h in sys.argv[1:]:
    rig.fc.kf.alt_cm = int(h) * 100
    print(rig.fc._fail_speed_cms())
