"""hw_real's outputs for an active-low LED (pin 4) and a 2.7 kHz PWM piezo (pin 14).

argv: the MS5611's PROM words. Switches both on, off, on; prints the LED
pin's level history, the piezo's duty after creation and each switch, and
its frequency.
"""

import sys

import hw_real
from hw_real_rig import Rig

rig = Rig(sys.argv[1:])
fm = rig.fm
pwms = []


class PWM(fm.PWM):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        pwms.append(self)


fm.PWM = PWM
led = hw_real._output({"pin": 4, "active_low": True})
tone = hw_real._output({"pin": 14, "pwm_hz": 2700})
duty = [pwms[0].duty]
for on in (1, 0, 1):
    led.value(on)
    tone.value(on)
    duty.append(pwms[0].duty)
print(fm.pins[4].history, duty, pwms[0].freq_hz)
