"""A short flight written with the firmware's flight recorder into a log at
argv[1]: 60 s armed, entry, drogue and main fires, landing, an hour of
beacon. press_dpa carries the sample number so tests can find samples.
Prints the number of samples written.

Shared by the log CLI tests (host decoder) and their virtual-board twins
through log_flights.write_flight.
"""

import sys

import clock
import fix
import flightlog

c = clock.VirtualClock(1000)
log = flightlog.FlightLog(sys.argv[1], c, board_name="sim", fw_version="0.1.0", config_hash=0xBEEF,
                          block_bytes=1024, segment_blocks=8, segments=24)  # fmt: skip
log.open()
fx = fix.Fix()
alt = 900000
n = 0
t_ms = 0
prev = -1


def phase_at(t):
    return 1 if t < 60 else 2 if t < 90 else 3 if t < 200 else 4 if t < 400 else 5 if t < 460 else 6


while t_ms < 4060000:
    step = 100 if t_ms < 470000 else 5000
    c.advance_ms(step)
    t_ms += step
    t = t_ms // 1000
    ph = phase_at(t)
    speed = (0, 0, -8000, -4000, -800, 0, 0)[ph]
    alt = max(0, alt + speed * step // 1000) if ph < 5 else 0
    if t_ms % 1000 < step:
        fx.mode = 3
        fx.sats = 9
        fx.rx_ms = c.now_ms()
        fx.lat_deg = -31
        fx.lat_e7r = -1000000 - n * 10
        fx.lon_deg = 136
        fx.lon_e7r = 5000000 + n * 10
        fx.alt_cm = alt
        fx.alt_ok = True
        fx.year, fx.month, fx.day = 2026, 5, 1
        fx.hour, fx.minute, fx.second, fx.ms = 12, t // 60 % 60, t % 60, 0
        fx.time_ok = True
    log.record(ph, n, alt, speed, -981, 10, 20, 1000, 3900 - t // 10, 1 if ph >= 3 else 0, fx)
    if prev != ph and prev >= 0:
        log.event(flightlog.EV_PHASE, ph, prev)
        if ph == 3:
            log.event(flightlog.EV_FIRE, 0, 50)
        if ph == 4:
            log.event(flightlog.EV_FIRE, 1, 50)
    prev = ph
    n += 1
log.close()
print(n)
