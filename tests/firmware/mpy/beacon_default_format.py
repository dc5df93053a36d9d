"""The packet format a beacon picks when given none: prints the class names of
the first format for a LoRa-like radio and for the Iridium sender, then how
many formats the LoRa beacon has.
"""

import beacon
import clock
import fix
import iridium


class Cfg:
    callsign = "N0CALL"
    ssid = 7
    batt_low_mv = 3400


class Lora:
    def send(self, b, n):
        return True

    def busy(self):
        return False

    def poll(self):
        pass


c = clock.VirtualClock()
b1 = beacon.Beacon(Cfg(), c, fix.Fix(), fix.Fix(), Lora())
b2 = beacon.Beacon(Cfg(), c, fix.Fix(), None, iridium.Iridium(None, c))
print(type(b1.formats[0]).__name__, type(b2.formats[0]).__name__, len(b1.formats))
