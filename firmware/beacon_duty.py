"""Configuration check: does the beacon's longest packet fit the duty cycle?

Why: the beacon may use DUTY_WINDOW_S * duty_cycle_permille ms of air time in
any hour (beacon.py). A packet longer than that whole budget breaks the
regional rule each time it goes out; the beacon only notices while beaconing
(`cfg_fault`, then at most one packet an hour), when the capsule is already
flying. Such a configuration is refused here, before: at load (a message in
cfg.errors, so the board refuses to arm and `selftest` says go=0) and by
`config set`, which then changes nothing.

What is checked is the beacon as the board runs it:
  * its formats for the board's radio (beacon.default_formats: SBD for an
    Iridium modem, LoRa APRS otherwise), built from these settings
    (callsign and ssid set the APRS header's length);
  * the longest packet each format can build: every field at the widest
    value the format clamps it to (sequence number, age, battery, altitude,
    a negative position), in every phase the beacon sends in, with and
    without a position;
  * its time on air from beacon.packet_airtime_ms, as the beacon computes
    it: the radio's own airtime_ms (the SX127x driver's spreading factor and
    bandwidth) or, for a radio that cannot say (the virtual board's), the
    LoRa APRS channel's SF12 / 125 kHz.
An Iridium modem's airtime_ms is 0 (its traffic has no duty-cycle rule) and
duty_cycle_permille 1000 means no limit (the beacon skips its duty rules):
both always pass.

Runs at configuration time only: config_schema imports it for one check and
drops it. The beacon modules it imports are the ones the board's beacon
keeps loaded anyway. Allocates (format buffers, a Fix, the message).
"""

import beacon
from beacon_params import PHASE_NAMES, RATE_OFF, rate_class
from fix import MODE_3D, Fix

KEY = "duty_cycle_permille"
# the settings the check depends on: a `config set` of one of them is checked
KEYS = (KEY, "callsign", "ssid")
NO_LIMIT_PERMILLE = 1000

# the widest value of each field (each format clamps to its own range)
_WIDEST_INT = 999_999_999  # sequence number, age in s (< 2**30)
_WIDEST_MV = 65535
_WIDEST_SATS = 99
_WIDEST_ALT_CM = -100_000_000  # a sign and every digit
_WIDEST_E7R = -9_999_999


class _Settings:
    """The values as attributes, as formats read a Config."""

    def __init__(self, values):
        for key in values:
            setattr(self, key, values[key])


def _widest_fix():
    f = Fix()
    f.mode = MODE_3D
    f.has_position = True
    f.lat_deg = -89
    f.lat_e7r = _WIDEST_E7R
    f.lon_deg = -179
    f.lon_e7r = _WIDEST_E7R
    f.alt_cm = _WIDEST_ALT_CM
    f.alt_ok = True
    f.sats = _WIDEST_SATS
    f.hour, f.minute, f.second = 23, 59, 59
    f.time_ok = True
    f.day = 28
    return f


def longest_packet(cfg, radio):
    """(bytes, ms on air) of the longest packet the beacon can send with
    settings `cfg` on `radio`."""
    airtime = getattr(radio, "airtime_ms", None)
    widest = _widest_fix()
    n_max = air_max = 0
    for f in beacon.default_formats(cfg, radio):
        for phase in range(len(PHASE_NAMES)):
            if rate_class(phase) == RATE_OFF:
                continue
            for pos in (None, widest):
                age = -1 if pos is None else _WIDEST_INT
                n = f.build(pos, age, phase, _WIDEST_MV, _WIDEST_INT)
                air = beacon.packet_airtime_ms(airtime, n)
                if air > air_max or (air == air_max and n > n_max):
                    n_max, air_max = n, air
    return n_max, air_max


def error(values, radio, subject=None):
    """Why the beacon could never fit a packet in its duty budget with these
    settings (key -> value) on `radio`, or None. The message starts with
    `subject` when it is one of KEYS (the key a person just typed), else
    with duty_cycle_permille; a `subject` not in KEYS is not checked."""
    if subject is not None and subject not in KEYS:
        return None
    permille = values[KEY]
    if permille >= NO_LIMIT_PERMILLE:
        return None
    n, air_ms = longest_packet(_Settings(values), radio)
    window_s = beacon.DUTY_WINDOW_S
    budget_ms = window_s * permille  # ms of air time an hour
    if air_ms <= budget_ms:
        return None
    need = (air_ms + window_s - 1) // window_s
    return (
        "%s: the beacon's longest packet (%d bytes, callsign %s ssid %s) is %d ms on air,"
        " more than the %d ms an hour %s %d allows: %s must be at least %d on this radio"
        % (
            subject or KEY,
            n,
            values["callsign"],
            values["ssid"],
            air_ms,
            budget_ms,
            KEY,
            permille,
            KEY,
            need,
        )
    )
