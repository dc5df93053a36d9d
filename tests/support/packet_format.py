"""The beacon packet format under test, built on MicroPython from the
constructor expression the packet-format tests name it by.

The tests say which format and options they test as an expression such as
"aprs.AprsFormat(cfg, compressed=True)" or "sbd.SbdFormat(Cfg())": `build`
evaluates it with the format modules, a configuration class `Cfg` and its
instance `cfg` in scope.
"""

import aprs
import sbd
import ukhas


def build(ctor, callsign="N0CALL", ssid=11):
    """The format `ctor` makes, for a station `callsign`-`ssid`."""

    class Cfg:
        batt_low_mv = 3400

    Cfg.callsign = callsign
    Cfg.ssid = ssid
    scope = {"aprs": aprs, "ukhas": ukhas, "sbd": sbd, "Cfg": Cfg, "cfg": Cfg()}
    return eval(ctor, scope)
