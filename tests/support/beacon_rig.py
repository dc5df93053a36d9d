"""The beacon scheduler under test on MicroPython, on a virtual clock.

Runs inside the MicroPython unix port beside beacon_fakes/fake_radio.py: a
1 Hz GNSS receiver on a capsule drifting east off Sydney, `run` (the flight
loop polling the scheduler in one phase) and `report` (one JSON line: the
packets sent, with their times, and the scheduler's counters). `start` builds
the scheduler and its rig.
"""

import binascii
import json

import beacon
import clock
import fix


class Cfg:
    callsign = "N0CALL"
    ssid = 11
    lora_freq_khz = 433775
    duty_cycle_permille = 1000
    beacon_descent_s = 10
    beacon_landed_s = 30
    beacon_slow_s = 300
    beacon_slow_after_s = 600
    batt_low_mv = 3400


class Rig:
    def __init__(self, clk, fx, radio, bcn):
        self.clk = clk
        self.fx = fx
        self.radio = radio
        self.bcn = bcn
        self.T = 0  # ms since the start of the run

    def gnss_update(self):
        fx = self.fx
        t = self.T
        fx.mode = 3
        fx.lat_deg = -33
        fx.lat_e7r = -8123456
        fx.lon_deg = 151
        fx.lon_e7r = 2000000 + (t // 1000) * 10
        fx.alt_cm = 1250
        fx.alt_ok = True
        fx.sats = 8
        fx.hdop_c = 90
        fx.hour = (t // 3600000) % 24
        fx.minute = (t // 60000) % 60
        fx.second = (t // 1000) % 60
        fx.rx_ms = self.clk.now_ms()
        fx.has_position = True

    def run(self, ms, phase, vbatt=4000, gnss=True, step=100):
        end = self.T + ms
        while self.T < end:
            if gnss and self.T % 1000 == 0:
                self.gnss_update()
            self.radio.t = self.T
            self.bcn.poll(phase, vbatt)
            self.clk.advance_ms(step)
            self.T += step

    def report(self, **kw):
        bcn = self.bcn
        d = {
            "log": [(t, binascii.hexlify(p).decode()) for t, p in self.radio.log],
            "sent": bcn.sent,
            "faults": bcn.faults,
            "refused": bcn.refused,
            "duty_deferred": bcn.duty_deferred,
            "cfg_fault": bcn.cfg_fault,
            "seq": bcn.seq,
            "T": self.T,
        }
        d.update(kw)
        print(json.dumps(d))


def start(t0, make_radio, make_formats):
    """The scheduler with its radio make_radio(clk) and packet formats
    make_formats(cfg), on a virtual clock at t0 ms; returns its Rig, which also
    holds cfg and lg (the last fix, as kept across a reboot)."""
    cfg = Cfg()
    clk = clock.VirtualClock(t0)
    fx = fix.Fix()
    lg = fix.Fix()
    radio = make_radio(clk)
    rig = Rig(clk, fx, radio, beacon.Beacon(cfg, clk, fx, lg, radio, make_formats(cfg)))
    rig.cfg = cfg
    rig.lg = lg
    return rig
