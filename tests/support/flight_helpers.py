"""Test helpers that run ON MicroPython next to the firmware (not on CPython):
a closed-loop capsule simulator and the fakes the sequencer talks to.

The simulator is deliberately simple and independent of the firmware's own
numbers: point-mass 2-D flight, the 1976 standard atmosphere computed again
in floats here (only its layer table is the firmware's, atmosphere.LAYERS,
which tests/firmware/test_atmosphere.py checks against `ambiance`), drag areas that grow when the sequencer's pyro outputs go
high (so a chute fired late or never shows up as a hard landing), and sensor
readings with noise. Faults (stuck, noisy, out-of-range, dead sensors, an
upside-down accelerometer) are injected per run.

Tests import it with `run_mpy(code, extra_path=[SUPPORT])` and print a JSON
summary for pytest to assert on.
"""

import json
import math
import random

import clock
import config
import persist
import pyro
from atmosphere import LAYERS as _LAYERS  # the 1976 standard's layers
from flight import FlightComputer
from sample import Sample

G0 = 9.80665
IMPACT_S = 0.15  # splashdown / touchdown deceleration time
R_EARTH = 6356766.0
_GMR = G0 * 0.0289644 / 8.31432


def _layer_bases():
    out = []
    p = 101325.0
    for i in range(len(_LAYERS)):
        hb, tb, lapse = _LAYERS[i]
        out.append(p)
        if i + 1 < len(_LAYERS):
            dh = _LAYERS[i + 1][0] - hb
            if lapse == 0.0:
                p *= math.exp(-_GMR * dh / tb)
            else:
                p *= ((tb + lapse * dh) / tb) ** (-_GMR / lapse)
    return out


_P_BASE = _layer_bases()


def _atmosphere_geopotential(h):
    i = len(_LAYERS) - 1
    while i > 0 and h < _LAYERS[i][0]:
        i -= 1
    hb, tb, lapse = _LAYERS[i]
    dh = h - hb
    if lapse == 0.0:
        t = tb
        p = _P_BASE[i] * math.exp(-_GMR * dh / tb)
    else:
        t = tb + lapse * dh
        p = _P_BASE[i] * (t / tb) ** (-_GMR / lapse)
    return p, p / (287.053 * t)


_TOP_P, _TOP_RHO = _atmosphere_geopotential(84852.0)


def standard_atmosphere(h_geometric_m):
    """(pressure Pa, density kg/m3) of the 1976 standard; exponential above 86 km."""
    h = R_EARTH * h_geometric_m / (R_EARTH + h_geometric_m)  # geopotential
    if h > 84852.0:
        k = math.exp(-(h - 84852.0) / 5500.0)
        return _TOP_P * k, _TOP_RHO * k
    return _atmosphere_geopotential(h)


def pitot_factor(speed, p, rho, gamma=1.4):
    """What the static port reads over the static pressure in fast flow:
    nothing below Mach 0.7, the stagnation pressure at Mach 1 (blended in
    between), and behind a normal shock above (Rayleigh's pitot formula), so
    a hypersonic entry reads as a much lower "height" that climbs back after
    peak dynamic pressure."""
    a = math.sqrt(gamma * p / rho) if rho > 0 else 300.0
    m = speed / a
    if m <= 0.7:
        return 1.0
    if m < 1.0:
        stag = (1.0 + 0.5 * (gamma - 1.0) * m * m) ** (gamma / (gamma - 1.0))
        return 1.0 + (stag - 1.0) * (m - 0.7) / 0.3
    m2 = m * m
    return (
        ((gamma + 1.0) ** 2 * m2 / (4.0 * gamma * m2 - 2.0 * (gamma - 1.0)))
        ** (gamma / (gamma - 1.0))
        * (1.0 - gamma + 2.0 * gamma * m2)
        / (gamma + 1.0)
    )


def gauss():
    return random.random() + random.random() + random.random() - 1.5  # sigma 0.5


class FakeOutput:
    """A pyro output: records every rising edge and tells the capsule."""

    def __init__(self, name, capsule=None, cont=True):
        self.name = name
        self.capsule = capsule
        self.cont = cont
        self.on = False
        self.rises = 0

    def set(self, on):
        if on and not self.on:
            self.rises += 1
            if self.capsule is not None:
                self.capsule.deploy(self.name)
        self.on = on

    def continuity(self):
        return self.cont


class Events:
    def __init__(self):
        self.log = []
        self.last_faults = None
        self.capsule = None

    def event(self, name, fields):
        d = {}
        for k, v in fields:
            d[k] = v
        if self.capsule is not None:
            d["_t"] = round(self.capsule.t, 2)
            d["_h"] = round(self.capsule.h, 1)
            d["_v"] = round(self.capsule.vz, 1)
        if name == "sensor_faults":
            self.last_faults = d  # every 5 s for a whole flight: keep the latest
            return
        self.log.append((name, d))

    def named(self, name):
        if name == "sensor_faults":
            return [self.last_faults] if self.last_faults is not None else []
        return [d for n, d in self.log if n == name]


class Capsule:
    """Point-mass capsule. Heights geometric above the landing site (sea level)."""

    def __init__(self, h=90000.0, speed=7500.0, gamma_deg=-6.0, mass=25.0, cda=0.24,
                 drogue_cda=1.0, main_cda=10.0, inflate_s=1.5, hold_s=0.0,
                 drogue_works=True, seed=1, axes="+x+y+z", sea=True):  # fmt: skip
        g = math.radians(gamma_deg)
        self.h = h
        self.vx = speed * math.cos(g)
        self.vz = speed * math.sin(g)
        self.t = 0.0
        self.mass = mass
        self.cda = cda
        self.drogue_cda = drogue_cda if drogue_works else 0.0
        self.main_cda = main_cda
        self.inflate_s = inflate_s
        self.hold_s = hold_s  # hanging under a drone/balloon this long
        self.deployed = {}  # name -> t
        self.landed_t = None
        self.impact_speed = None
        self.force_g = 1.0 if hold_s > 0 else 0.0
        self.sea = sea
        self.stand = False  # True: sitting on the launch stand (ground, 1 g)
        self.axes = config.parse_axes(axes)
        random.seed(seed)

    def deploy(self, name):
        if name not in self.deployed:
            self.deployed[name] = self.t

    def _area(self):
        a = self.cda
        for name, extra in (("drogue", self.drogue_cda), ("main", self.main_cda)):
            t0 = self.deployed.get(name)
            if t0 is not None:
                f = (self.t - t0) / self.inflate_s
                a += extra * (1.0 if f > 1.0 else (max(0.0, f)))
        return a

    def step(self, dt):
        self.t += dt
        if self.landed_t is not None:
            # touchdown: the vertical speed stops within IMPACT_S, then 1 g
            if self.t - self.landed_t < IMPACT_S:
                self.force_g = 1.0 + self.impact_speed / (IMPACT_S * G0)
            else:
                self.force_g = 1.0
            return
        if self.t < self.hold_s:
            self.force_g = 1.0
            return
        _, rho = standard_atmosphere(self.h)
        v = math.sqrt(self.vx * self.vx + self.vz * self.vz)
        drag = 0.5 * rho * v * v * self._area() / self.mass
        g = G0 * (R_EARTH / (R_EARTH + self.h)) ** 2
        ax = -drag * self.vx / v if v > 0 else 0.0
        az = (-drag * self.vz / v if v > 0 else 0.0) - g + self.vx * self.vx / (R_EARTH + self.h)
        self.vx += ax * dt
        self.vz += az * dt
        self.h += self.vz * dt
        self.force_g = drag / G0
        if self.h <= 0.0:
            self.h = 0.0
            self.landed_t = self.t
            self.impact_speed = -self.vz
            self.vz = 0.0
            self.vx = 0.0

    def fill(self, s, t_ms, faults=None):
        """Sensor readings for the current state into Sample s."""
        s.t_ms = t_ms
        h = self.h
        force_g = self.force_g
        if self.stand:
            h = 0.0
            force_g = 1.0
        elif self.landed_t is not None and self.sea:
            h += 0.8 * math.sin(self.t * 1.05)  # swell
        p, rho = standard_atmosphere(h)
        if self.landed_t is None and not self.stand:
            p *= pitot_factor(math.sqrt(self.vx * self.vx + self.vz * self.vz), p, rho)
        s.press_dpa = int(p * 10.0 * (1.0 + 2e-5 * gauss()) + 20.0 * gauss())
        s.baro_ok = True
        f_mg = force_g * 1000.0
        swing = 0.0
        if self.deployed and self.landed_t is None and not self.stand:
            swing = 60.0 * math.sin(self.t * 2.0)
        cap = (swing + 20.0 * gauss(), 20.0 * gauss(), f_mg + 20.0 * gauss())
        board = [0, 0, 0]
        for i in range(3):  # capsule axis i is board axis src with sign
            src, sign = self.axes[i]
            board[src] = int(sign * cap[i])
        s.ax_mg, s.ay_mg, s.az_mg = board[0], board[1], board[2]
        s.accel_ok = True
        s.vbatt_mv = 3900
        s.arm_input = True
        if faults is not None:
            faults(self, s)


class RamStore(persist.Store):
    """The two-slot store with its slots in RAM (same record format and slot
    logic): flash that survives a simulated reset, without the file-system
    time. Pass the same object to the board after a reset."""

    def __init__(self, path="ram"):
        super().__init__(path)
        self.slots = [None, None]

    def _read_slot(self, i):
        return persist.unpack(self.slots[i])

    def _write_slot(self, i, buf):
        self.slots[i] = bytes(buf)

    def erase(self):
        self.slots = [None, None]
        self.seq = 0


def make_config(**over):
    """Defaults with some keys changed (all at once, then checked together)."""
    cfg, errors = config.load("/nonexistent-config.json")
    assert not errors, errors
    values = config.to_dict(cfg)
    for key, value in over.items():
        values[key] = value
    errors = config.validate(values)
    assert not errors, errors
    for key, value in over.items():
        setattr(cfg, key, value)
    config.derive(cfg)
    return cfg


class Rig:
    """Sequencer + fakes + capsule + virtual clock, with resets on demand."""

    def __init__(self, cfg, capsule, store_path, clock_start=clock.TICKS_PERIOD - 7000,
                 cont=True, faults=None, gnss_fix=None):  # fmt: skip
        self.cfg = cfg
        self.gnss_fix = gnss_fix  # what the app would publish (flight_faults.GnssFix), or None
        self.capsule = capsule
        self.store_path = store_path  # None: a RamStore kept across resets
        self.ram = RamStore() if store_path is None else None
        if self.ram is None:
            persist.Store(store_path).erase()
        self.outputs = {
            "drogue": FakeOutput("drogue", capsule, cont),
            "main": FakeOutput("main", capsule, cont),
        }
        self.events = Events()
        self.events.capsule = capsule
        self.sample = Sample()
        self.faults = faults
        self.period_ms = 1000 // cfg.sample_hz
        self.fires = {}  # name -> list of (t, h, vz)
        self._boot(clock_start)

    def _boot(self, clock_start):
        for o in self.outputs.values():
            o.on = False  # the pins drop at reset
        self.clock = clock.VirtualClock(clock_start)
        self.bank = pyro.PyroBank(self.outputs, self.clock, self.cfg.fire_pulse_ms)
        if self.ram is not None:
            self.store = self.ram
            self.ram.seq = 0  # a booting board knows nothing until it loads
        else:
            self.store = persist.Store(self.store_path)
        self.fc = FlightComputer(self.cfg, self.clock, self.bank, self.events, self.store)
        self.fc.gnss_fix = self.gnss_fix

    def reset(self, down_ms=1500, clock_start=None):
        """Power cut: the board is dead for down_ms (the capsule keeps falling),
        then boots with a fresh clock and the same record store."""
        dt = self.period_ms / 1000.0
        for _ in range(down_ms // self.period_ms):
            self.capsule.step(dt)
        if clock_start is None:
            clock_start = random.randint(0, clock.TICKS_MAX)
        self._boot(clock_start)

    def tick(self):
        c = self.capsule
        c.step(self.period_ms / 1000.0)
        self.clock.advance_ms(self.period_ms)
        c.fill(self.sample, self.clock.now_ms(), self.faults)
        self.fc.step(self.sample)

    def settle_on_stand(self, seconds=3.0):
        for _ in range(int(seconds * 1000) // self.period_ms):
            self.clock.advance_ms(self.period_ms)
            self.capsule.fill(self.sample, self.clock.now_ms(), self.faults)
            self.fc.step(self.sample)

    def run(self, max_s=1500.0, resets=(), until_phase=None):
        """Run until the capsule has been on the ground 60 s (or max_s);
        resets: capsule times (s) at which the board loses power."""
        resets = sorted(resets)
        t_end = None
        while self.capsule.t < max_s:
            if resets and self.capsule.t >= resets[0]:
                resets.pop(0)
                self.reset()
            before = {n: o.rises for n, o in self.outputs.items()}
            self.tick()
            for n, o in self.outputs.items():
                if o.rises != before[n]:
                    c = self.capsule
                    self.fires.setdefault(n, []).append(
                        (round(c.t, 2), round(c.h, 1), round(c.vz, 1))
                    )
            if until_phase is not None and self.fc.phase == until_phase:
                break
            if self.capsule.landed_t is not None:
                if t_end is None:
                    t_end = self.capsule.t + 60.0
                elif self.capsule.t >= t_end:
                    break
        return self.summary()

    def summary(self):
        c = self.capsule
        fc = self.fc
        return {
            "phase": fc.phase,
            "fires": self.fires,
            "rises": {n: o.rises for n, o in self.outputs.items()},
            "impact_speed": c.impact_speed,
            "landed_t": c.landed_t,
            "t": round(c.t, 2),
            "events": self.events.log,
            "faults": self.events.named("sensor_faults")[-1:],
            "pyro_bits": fc.pyro_bits,
        }


def dump(x):
    print(json.dumps(x))


# A quick reference flight for the test suite: the reference capsule from
# 90 km, steep entry, chutes opening a little lower than the defaults, 10 Hz.
FAST = {
    "sample_hz": 10,
    "drogue_deploy_m": 6000,
    "main_deploy_m": 1000,
    "drogue_backup_s": 300,
    "main_backup_s": 260,
    "landed_s": 10,
}


def stand_rig(faults=None):
    """The reference capsule (see `fly`) standing on the ground with a
    FAST-configured board: a Rig for the arming tests (faults(c, s) as Rig's)."""
    cap = Capsule(h=90000.0, gamma_deg=-6.0, main_cda=6.0)
    cap.stand = True
    return Rig(make_config(**FAST), cap, None, faults=faults)


def fly(cfg_over=None, capsule_kw=None, faults=None, resets=(), store_path=None,
        stand_s=3.0, max_s=1500.0, arm=True, until_phase=None, gnss_fix=None):  # fmt: skip
    """Stand, arm, fly, land; returns the summary dict (plus 'arm')."""
    over = dict(FAST)
    over.update(cfg_over or {})
    cfg = make_config(**over)
    kw = {"h": 90000.0, "gamma_deg": -6.0, "main_cda": 6.0}
    kw.update(capsule_kw or {})
    cap = Capsule(**kw)
    cap.stand = kw.get("hold_s", 0.0) == 0.0  # a drop test arms under its drone instead
    rig = Rig(cfg, cap, store_path, faults=faults, gnss_fix=gnss_fix)
    rig.settle_on_stand(stand_s)
    why = rig.fc.arm() if arm else "not armed"
    cap.stand = False
    out = rig.run(max_s=max_s, resets=resets, until_phase=until_phase)
    out["arm"] = why
    out["phases"] = [d["to"] for n, d in rig.events.log if n == "phase"]
    out["status"] = rig.fc.status_fields()
    out["rejects"] = [rig.fc.screen.baro_rejects(), rig.fc.screen.accel_rejects()]
    return out
