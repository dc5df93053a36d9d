"""Every frame the configurator builds (firmware/ubx.py) for both profiles
and both interfaces, one hex line a frame, for the tests to decode with an
independent UBX implementation.
"""

import clock
import ubx

c = ubx.UbxConfigurator(None, clock.VirtualClock(), None)
for prof in ("descent", "float"):
    for iface in ("legacy", "valset"):
        i = 0
        while True:
            n = c.step_frame(prof, iface, i)
            if not n:
                break
            print(bytes(c.frame()[:n]).hex())
            i += 1
