"""boot_gate.firmware_may_start() on a fake `machine` whose safe-mode pin
(22, active low) is held at reset when argv[1] is 1, with a flight under way
in the persisted record (DESCENT, armed) when argv[2] is 1. Run in a scratch
directory holding the board file. Prints what the gate says, then
"START <verdict> <kbd_intr calls>".
"""

import micropython
import sys

import fake_bus

held, flying = sys.argv[1] == "1", sys.argv[2] == "1"
fm = fake_bus.FakeMachine()
sys.modules["machine"] = fm


class Pin(fm.Pin):
    def value(self, v=None):
        if v is None and self.id == 22:
            return 0 if held else 1
        return fm.Pin.value(self, v)


Pin.IN = fm.Pin.IN
Pin.PULL_UP = fm.Pin.PULL_UP
Pin.PULL_DOWN = fm.Pin.PULL_DOWN
fm.Pin = Pin
calls = []


class Micro:
    const = staticmethod(micropython.const)

    def kbd_intr(self, c):
        calls.append(c)


sys.modules["micropython"] = Micro()
if flying:
    import persist

    r = persist.FlightRecord()
    r.phase = 2
    r.armed = 1
    persist.Store(persist.STATE_FILE).save(r)
import boot_gate  # after the fakes it must see

print("START", boot_gate.firmware_may_start(), calls)
