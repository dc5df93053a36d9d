"""Shared inputs for the ground station's receive tests: one APRS packet as
the beacon sends it over LoRa, and the station's own GNSS fix."""

from beacon_cases import E7, split_deg

APRS = b"<\xff\x01N0CALL-11>APLRT1,WIDE1-1:!2913.55S/15109.43EO/A=000262 LANDED sat=9 age=1s bat=3900mV #12"
STATION = (-29.1809240, 151.1572524)  # the station's fix, degrees


def station_fix_mpy(name="f"):
    """MicroPython code that makes `name` a fix.Fix at STATION (as fix.py
    keeps degrees: whole degrees and a 1e-7 remainder of the same sign)."""
    (lat_deg, lat_e7r), (lon_deg, lon_e7r) = (split_deg(round(d * E7)) for d in STATION)
    return (
        f"import fix\n{name} = fix.Fix()\n{name}.has_position = True\n"
        f"{name}.lat_deg = {lat_deg}; {name}.lat_e7r = {lat_e7r}\n"
        f"{name}.lon_deg = {lon_deg}; {name}.lon_e7r = {lon_e7r}\n"
    )
