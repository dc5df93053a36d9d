"""Balloon-carried drop tests: the board armed on the ground rides up under a
balloon, is released (cut-down or burst) and falls into the descent the
drogue must catch.

What it promises:
- The climb is kinematics, not integration: the ascent rate plus two slow
  swells (a latex balloon speeds up and slows down by a few tenths of a m/s
  over minutes, and gains ~10 % towards burst), in closed form, so a
  90-minute climb costs a few numpy calls per batch of samples. The balloon
  drifts with the wind ([wind] of the scenario) on a 1 s grid.
- The release is a state: altitude, climb speed and wind drift at the release
  time (given, or found from the release altitude). From there the existing
  point-mass physics (physics.Flight, RK4) flies the capsule; after a burst
  the balloon's remains (latex shreds and the line) add their Cd·A for the
  first `remains_s` of the fall.
- What the accelerometer feels (`BodyMotion`): on the line, the swing of a
  pendulum a few metres long (0.3-0.5 Hz, tens to a few hundred mg across
  the axis as the payload rocks about its attachment), turned slowly by the
  payload's spin, with turbulence bursts near the tropopause; at a burst a
  jolt and a tumble whose rotation reads as centripetal acceleration on top
  of the drag turning round the capsule's axes; a cut-down starts near free
  fall with a slow tumble.
- A pyro fired during the climb deploys its chute under the balloon, where it
  hangs: it opens at the release (a simplification: no load on the line).

`quiet_until_release` is the judge's check that the firmware neither fired
nor left ARMED on the way up.
"""

import math
from dataclasses import dataclass

import numpy as np

from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import physics

G0_M_S2 = physics.G0_M_S2
CLIMB_GRID_S = 1.0  # wind drift is integrated on this grid
# The swells of a latex balloon's ascent rate (m/s, period s): gravity waves
# and the balloon's own breathing show as slow swings of +-0.3-0.5 m/s in
# radiosonde and amateur logs (e.g. EOSS-340, 2023: 5-6 m/s with minutes-long
# swells); the fraction the rate gains from launch to burst as the
# envelope grows.
SWELLS = ((0.35, 420.0, 0.7), (0.15, 95.0, 2.1))  # (amplitude_m_s, period_s, phase_rad)
RATE_GAIN_TO_BURST = 0.1
# The tropopause (1976 atmosphere: 11 km) is where wind shear gives a
# payload its roughest ride: bursts of turbulence centred here.
TROPOPAUSE_M = 11000.0
TURBULENCE_HALF_WIDTH_M = 1500.0

# Release kinds: what the capsule feels when the line goes. A cut-down
# severs the line below the balloon: the capsule starts from its climb
# speed into near free fall with little rotation. A burst snaps the line
# back (a jolt of a few g), leaves the remains of the balloon dragging
# above the capsule and sets it tumbling.
RELEASE_KINDS = {
    "cutdown": {"jolt_g": 0.0, "tumble_rev_s": 0.2, "tumble_s": 8.0, "remains": False},
    "burst": {"jolt_g": 3.0, "tumble_rev_s": 1.2, "tumble_s": 25.0, "remains": True},
}
JOLT_S = 0.15  # the jolt is a half sine this long


@dataclass
class Balloon:
    """The [balloon] table of a scenario (validated by scenario.py)."""

    ascent_rate_m_s: float = 5.0
    release_altitude_m: float = None  # MSL; or release_s
    release_s: float = None
    release: str = "burst"
    line_m: float = 2.0  # pendulum length: sqrt(g / L) / 2 pi = 0.35 Hz
    swing_mg: float = 80.0  # across-axis swing amplitude
    spin_period_s: float = 45.0  # the payload turning on its line
    turbulence_mg: float = 200.0  # near the tropopause
    remains_cd_area_m2: float = 1.5  # burst: the shredded balloon and line
    remains_s: float = 60.0
    board_offset_m: float = 0.08  # board from the tumble's centre: centripetal radius
    launch_elevation_m: float = 0.0  # the ground under the launch (filled in)

    def __post_init__(self):
        if self.release not in RELEASE_KINDS:
            raise ValueError(f"release must be one of {', '.join(RELEASE_KINDS)}")
        self.kind = RELEASE_KINDS[self.release]
        if self.release_s is None:
            if self.release_altitude_m is None:
                raise ValueError("give release_altitude_m or release_s")
            self.release_s = self._time_at_altitude(self.release_altitude_m)
        self.release_alt_m = float(self.altitude_m(np.array([self.release_s]))[0])

    # -- the climb --------------------------------------------------------------
    def _rate_gain(self, t):
        # the rate grows linearly with height gained; written in time with the
        # mean rate (close enough: the swells average out)
        return 1.0 + RATE_GAIN_TO_BURST * np.minimum(
            1.0, t * self.ascent_rate_m_s / max(1.0, self._nominal_climb_m())
        )

    def _nominal_climb_m(self):
        if self.release_altitude_m is not None:
            return self.release_altitude_m - self.launch_elevation_m
        return self.ascent_rate_m_s * self.release_s

    def climb_rate_m_s(self, t):
        """Vertical speed on the line at flight times t (s), array."""
        t = np.asarray(t, dtype=float)
        v = self.ascent_rate_m_s * self._rate_gain(t)
        for amp, period, phase in SWELLS:
            v = v + amp * np.sin(2.0 * math.pi * t / period + phase)
        return v

    def altitude_m(self, t):
        """MSL altitude on the line at flight times t >= 0 (closed form)."""
        t = np.asarray(t, dtype=float)
        rate = self.ascent_rate_m_s
        span = max(1.0, self._nominal_climb_m()) / rate  # time to the nominal top
        tc = np.minimum(t, span)
        # integral of rate * (1 + gain * t / span) up to span, linear beyond
        h = rate * (tc + 0.5 * RATE_GAIN_TO_BURST * tc * tc / span)
        h = h + rate * (1.0 + RATE_GAIN_TO_BURST) * (t - tc)
        for amp, period, phase in SWELLS:
            w = 2.0 * math.pi / period
            h = h + amp / w * (math.cos(phase) - np.cos(w * t + phase))
        return self.launch_elevation_m + h

    def _time_at_altitude(self, alt_m):
        """Bisection on the monotonic closed form."""
        lo, hi = 0.0, 4.0 * (alt_m - self.launch_elevation_m) / self.ascent_rate_m_s + 10.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if self.altitude_m(np.array([mid]))[0] < alt_m:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def turbulence_weight(self, alt_m):
        """0..1: how deep in the tropopause's rough layer an altitude is."""
        x = (np.asarray(alt_m) - TROPOPAUSE_M) / TURBULENCE_HALF_WIDTH_M
        return np.exp(-0.5 * x * x)


def _shifted_landing(landing, dt_s, de_m, dn_m, lat0, lon0):
    """The inner flight's landing in launch time and launch coordinates: the
    position is placed as the GNSS model places every sample (east/north
    from the launch point), so the beacon check compares like with like."""
    east, north = landing.east_m + de_m, landing.north_m + dn_m
    lat, lon = physics.destination(lat0, lon0, east, north)
    return physics.Landing(
        t_s=landing.t_s + dt_s,
        speed_m_s=landing.speed_m_s,
        vertical_speed_m_s=landing.vertical_speed_m_s,
        horizontal_speed_m_s=landing.horizontal_speed_m_s,
        east_m=east,
        north_m=north,
        lat=lat,
        lon=lon,
    )


class _ChuteView:
    """An inner-flight chute seen in the outer (launch) time base."""

    def __init__(self, chute, offset_s):
        self._chute = chute
        self._offset = offset_s

    @property
    def open_from_s(self):
        t = self._chute.open_from_s
        return None if t is None else t + self._offset

    def __getattr__(self, name):
        return getattr(self._chute, name)


class BalloonFlight:
    """Stands in for physics.Flight: the climb until the release, then a
    physics.Flight from the release state (its times shifted by the release
    time, its track by the drift during the climb)."""

    def __init__(self, balloon, flight_kwargs, wind=None):
        self.balloon = balloon
        self.release_s = balloon.release_s
        self.ground_elevation_m = flight_kwargs["ground_elevation_m"]
        self.lat = flight_kwargs["lat"]
        self.lon = flight_kwargs["lon"]
        self.wind = wind or physics.Wind()
        self.t_s = 0.0
        self._grid_t, self._grid_e, self._grid_n = self._drift_grid()
        e_rel, n_rel = self.drift_m(self.release_s)
        self.release_east_m, self.release_north_m = e_rel, n_rel
        we, wn = self.wind.at(balloon.release_alt_m)
        vz = float(balloon.climb_rate_m_s([self.release_s])[0])
        vh = math.hypot(we, wn)
        rel_lat, rel_lon = physics.destination(self.lat, self.lon, e_rel, n_rel)
        kw = dict(flight_kwargs)
        kw.update(
            alt_m=balloon.release_alt_m,
            speed_m_s=math.hypot(vh, vz),
            flight_path_deg=math.degrees(math.atan2(vz, vh)),
            heading_deg=math.degrees(math.atan2(we, wn)) % 360.0 if vh > 0 else 90.0,
            lat=rel_lat,
            lon=rel_lon,
            wind=self.wind,
        )
        self.chutes = list(kw["chutes"])  # the capsule's own (batching looks at them)
        if balloon.kind["remains"] and balloon.remains_cd_area_m2 > 0:
            remains = physics.Chute(
                channel="balloon_remains",
                cd_area_m2=balloon.remains_cd_area_m2,
                inflation_s=0.0,
                deploy_delay_s=0.0,
                fired_at_s=-1.0,
                line_stretch_at_s=-1.0,
                released_at_s=balloon.remains_s,
            )
            kw["chutes"] = self.chutes + [remains]
        self.inner = physics.Flight(**kw)
        self._climb_events = [
            (self.release_s, f"{balloon.release} at {balloon.release_alt_m:.0f} m")
        ]

    # -- the climb's drift ---------------------------------------------------------
    def _drift_grid(self):
        n = math.ceil(self.release_s / CLIMB_GRID_S) + 2
        t = np.arange(n) * CLIMB_GRID_S
        alt = self.balloon.altitude_m(t)
        if self.wind.calm:
            zero = np.zeros(n)
            return t, zero, zero
        w = np.array([self.wind.at(float(a)) for a in alt])
        e = np.concatenate(([0.0], np.cumsum(0.5 * (w[1:, 0] + w[:-1, 0]) * CLIMB_GRID_S)))
        nn = np.concatenate(([0.0], np.cumsum(0.5 * (w[1:, 1] + w[:-1, 1]) * CLIMB_GRID_S)))
        return t, e, nn

    def drift_m(self, t_s):
        return (
            float(np.interp(t_s, self._grid_t, self._grid_e)),
            float(np.interp(t_s, self._grid_t, self._grid_n)),
        )

    # -- physics.Flight's interface ---------------------------------------------------
    @property
    def landing(self):
        lg = self.inner.landing
        if lg is None:
            return None
        return _shifted_landing(
            lg, self.release_s, self.release_east_m, self.release_north_m, self.lat, self.lon
        )

    @property
    def events(self):
        return self._climb_events + [(t + self.release_s, what) for t, what in self.inner.events]

    def fire(self, channel, t_s):
        """A fire on the line deploys the chute into the hanging position: it
        opens once the capsule falls, from the release."""
        return self.inner.fire(channel, max(0.0, t_s - self.release_s))

    def chute(self, channel):
        c = self.inner.chute(channel)
        return None if c is None else _ChuteView(c, self.release_s)

    def position(self):
        return self.inner.position()

    @property
    def h(self):
        """Altitude (m) of the capsule once released (the release altitude
        before): what the drop test's skip-out watch reads."""
        return self.inner.h

    def fill(self, times, trace):
        """Truth at `times` appended to `trace` (physics.Flight.TRACE_KEYS)."""
        times = list(times)
        k = 0
        while k < len(times) and times[k] < self.release_s:
            k += 1
        if k:
            self._fill_climb(np.array(times[:k]), trace)
        if k < len(times):
            tmp = {key: [] for key in physics.Flight.TRACE_KEYS}
            self.inner.fill([t - self.release_s for t in times[k:]], tmp)
            tmp["t_s"] = times[k:]
            tmp["east_m"] = [e + self.release_east_m for e in tmp["east_m"]]
            tmp["north_m"] = [n + self.release_north_m for n in tmp["north_m"]]
            for key in physics.Flight.TRACE_KEYS:
                trace[key].extend(tmp[key])
        self.t_s = times[-1] if times else self.t_s

    def _fill_climb(self, t, trace):
        b = self.balloon
        alt = b.altitude_m(t)
        vz = b.climb_rate_m_s(t)
        east = np.interp(t, self._grid_t, self._grid_e)
        north = np.interp(t, self._grid_t, self._grid_n)
        n = len(t)
        p = np.empty(n)
        a_sound = np.empty(n)
        for i, h in enumerate(alt.tolist()):
            _, p[i], _, a_sound[i] = atm.properties(h)
        if self.wind.calm:
            ve = vn = np.zeros(n)
        else:
            w = np.array([self.wind.at(float(h)) for h in alt])
            ve, vn = w[:, 0], w[:, 1]
        # the balloon carries the capsule with the air: the air speed is the
        # climb rate (the wind moves both)
        air = np.abs(vz)
        # on the line the support holds the capsule up: 1 g, plus the
        # (small) changes of the climb rate
        dv = np.zeros(n)
        for amp, period, phase in SWELLS:
            w_rad = 2.0 * math.pi / period
            dv = dv + amp * w_rad * np.cos(w_rad * t + phase)
        values = {
            "t_s": t,
            "alt_m": alt,
            "agl_m": alt - self.ground_elevation_m,
            "east_m": east,
            "north_m": north,
            "ve_m_s": ve,
            "vn_m_s": vn,
            "vz_m_s": vz,
            "air_speed_m_s": air,
            "mach": air / a_sound,
            "pressure_pa": p,
            "aero_accel_m_s2": G0_M_S2 + dv,
        }
        for key, v in values.items():
            trace[key].extend(np.asarray(v, dtype=float).tolist())
        trace["landed"].extend([False] * n)


class BodyMotion:
    """What the accelerometer feels beyond the point mass, as a capsule-frame
    specific force (mg): the swing and spin on the line, turbulence near the
    tropopause, the jolt and tumble of the release. Deterministic in time for
    a given seed, so batches of any size read the same.

    Physics of the swing: an ideal pendulum's bob feels only the line's
    tension, along the line; what a payload's accelerometer reads across its
    axis comes from the payload rocking about its attachment point at the
    swing frequency (a compound pendulum), tens to a few hundred mg in
    amateur balloon logs. Along the axis the tension varies at twice the
    swing frequency by about (swing angle)^2."""

    def __init__(self, balloon, seed=0):
        self.b = balloon
        rng = np.random.default_rng([seed, 0xBA11])
        self.swing_hz = math.sqrt(G0_M_S2 / balloon.line_m) / (2.0 * math.pi)
        self.swing_phase = rng.uniform(0, 2 * math.pi)
        self.spin_phase = rng.uniform(0, 2 * math.pi)
        # turbulence: a few incommensurate tones of 0.7-2.3 Hz, random phases
        self.turb_hz = rng.uniform(0.7, 2.3, 4)
        self.turb_phase = rng.uniform(0, 2 * math.pi, (3, 4))
        self.release_s = balloon.release_s
        k = balloon.kind
        self.tumble_end_s = self.release_s + k["tumble_s"]

    def apply(self, t, a_m_s2, xyz):
        """(x, y, z) mg with the motion of the line and of the release put
        in where it acts; `xyz` is the model's own (x, y, z) for the rest."""
        x, y, z = xyz
        climbing = t < self.release_s
        tumbling = (~climbing) & (t < self.tumble_end_s)
        if not climbing.any() and not tumbling.any():
            return x, y, z
        x, y, z = np.array(x, dtype=float), np.array(y, dtype=float), np.array(z, dtype=float)
        a_mg = a_m_s2 * (1000.0 / G0_M_S2)
        if climbing.any():
            cx, cy, cz = self._on_line(t, a_mg)
            x = np.where(climbing, cx, x)
            y = np.where(climbing, cy, y)
            z = np.where(climbing, cz, z)
        if tumbling.any():
            tx, ty, tz = self._tumble(t, a_mg)
            x = np.where(tumbling, tx, x)
            y = np.where(tumbling, ty, y)
            z = np.where(tumbling, tz, z)
        return x, y, z

    def _on_line(self, t, a_mg):
        b = self.b
        w = 2.0 * math.pi * self.swing_hz
        s = np.sin(w * t + self.swing_phase)
        spin = 2.0 * math.pi * t / b.spin_period_s + self.spin_phase
        lateral = b.swing_mg * s
        x = lateral * np.cos(spin)
        y = lateral * np.sin(spin)
        # tension along the line: 1 + theta0^2 (3 cos^2 - 1) / 2 about, with
        # theta0 the swing angle that gives the lateral amplitude
        theta0 = b.swing_mg / 1000.0
        z = a_mg * (1.0 + 0.5 * theta0 * theta0 * (3.0 * s * s - 1.0))
        weight = self.b.turbulence_weight(self.b.altitude_m(t)) * (b.turbulence_mg / 1.5)
        if weight.max() > 1e-3:
            for axis, arr in enumerate((x, y, z)):
                tones = np.zeros_like(t)
                for j, hz in enumerate(self.turb_hz):
                    tones = tones + np.sin(2.0 * math.pi * hz * t + self.turb_phase[axis, j])
                arr += weight * tones * (0.5 if axis == 2 else 1.0)
        return x, y, z

    def _tumble(self, t, a_mg):
        """Rotation about a transverse axis, decaying over the tumble: the
        drag turns round x-z, and the spin adds omega^2 r towards the
        centre (on x); a burst's jolt opens it."""
        b = self.b
        k = b.kind
        dt = t - self.release_s
        tau = max(1e-3, k["tumble_s"] / 3.0)
        omega0 = 2.0 * math.pi * k["tumble_rev_s"]
        omega = omega0 * np.exp(-dt / tau)
        angle = omega0 * tau * (1.0 - np.exp(-dt / tau))
        centripetal_mg = omega * omega * b.board_offset_m * (1000.0 / G0_M_S2)
        x = a_mg * np.sin(angle) + centripetal_mg
        y = 0.1 * a_mg * np.sin(angle)
        z = a_mg * np.cos(angle)
        if k["jolt_g"] > 0:
            pulse = np.where(dt < JOLT_S, np.sin(math.pi * np.clip(dt, 0, JOLT_S) / JOLT_S), 0.0)
            z = z + 1000.0 * k["jolt_g"] * pulse
        return x, y, z


def quiet_until_release(result, scenario):
    """The [expect] quiet_until_release check: no fire, and no phase beyond
    ARMED (DESCENT, LANDED, ...) before the release. A board that wakes on
    the way up fires its drogue under the balloon or gives up the flight as
    landed at float."""
    release_s = scenario.balloon.release_s if scenario.balloon else 0.0
    early = [
        e
        for e in result.events
        if e.t_s < release_s
        and (
            e.kind == "fire"
            or (
                e.kind == "phase"
                and str(e.fields.get("to", "")).upper() not in ("SAFE", "ARMED", "")
            )
        )
    ]
    if early:
        first = early[0]
        i = None
        alt = ""
        tr = result.trace
        if tr.get("t_s"):
            import bisect

            i = min(len(tr["t_s"]) - 1, bisect.bisect_left(tr["t_s"], first.t_s))
            alt = ", {:.0f} m AGL".format(tr["agl_m"][i])
        what = "; ".join(
            "{} {} at t={:.1f} s".format(
                e.kind,
                e.extra.get("channel") if e.kind == "fire" else e.fields.get("to", ""),
                e.t_s,
            )
            for e in early[:5]
        )
        detail = f"before the release at t={release_s:.0f} s: {what} (first{alt})"
    else:
        detail = f"no fire and no phase past ARMED before the release at t={release_s:.0f} s"
    return {"name": "quiet_until_release", "passed": not early, "detail": detail}
