"""Point-mass descent of a capsule through the 1976 standard atmosphere: the
"world" a drop test flies the firmware through.

What it promises:
- One model from any start: a re-entry from 120 km at orbital or lunar-return
  speed, or a drop from a drone or a balloon at rest.
- Equations of motion over a spherical, non-rotating Earth written in the
  local horizontal frame (east, north, up) that travels with the capsule:
  the curvature terms ``v_h**2 / r`` and ``v_h * v_z / r`` keep an orbital-speed
  start in orbit until drag takes it down, which a flat Earth cannot do.
  Gravity falls off as ``(R / r)**2``. Earth rotation is neglected.
- Drag ``0.5 * rho * |v_air| * v_air * CdA / m`` on the velocity relative to
  the air (wind is horizontal and varies with altitude). Each parachute adds
  its Cd·A once its pyro channel has fired: nothing during the deploy delay
  (mortar, line stretch), then a linear growth over its inflation time. A
  chute may be failed by the scenario, shredded by a deploy above its speed
  limit, and released when another chute opens (drogue cut away by the main).
- Fixed-step classical Runge-Kutta (RK4); the step is the sensor period split
  into sub-steps no longer than ``max_dt_s``. A 20-minute descent at 100 Hz is
  120 000 steps, about a second of CPU.
- Touchdown is found inside the step (linear interpolation to the ground);
  the landing speed is then stopped in `impact_s` (a half-sine pulse the
  accelerometer feels: ~0.05 s on land, ~0.15 s in the sea) and the capsule
  rests on the ground.
- Ground track: east/north distances along the surface from the start point,
  turned into latitude/longitude along the great circle (a flat-earth local
  approximation would drift by kilometres over a 2 000 km entry track).
"""

import math
from dataclasses import dataclass, field

from host_tools.sim import atmosphere1976 as atm

EARTH_RADIUS_M = 6371008.8  # IUGG mean radius
G0_M_S2 = atm.G0_M_S2
DEFAULT_MAX_DT_S = 0.01


_GR2 = G0_M_S2 * EARTH_RADIUS_M * EARTH_RADIUS_M
_sqrt = math.sqrt


def _rk4_stage(h0, h, ve, vn, vz, k, we, wn, rho0, slope):
    """One RK4 stage of the point-mass flight at height h (metres from h0,
    where the density is rho0 with log-slope `slope`; exp to third order):
    (1/r, east, north and up acceleration). k is Cd*A / 2m at this time."""
    ir = 1.0 / (EARTH_RADIUS_M + h)
    rx = ve - we
    ry = vn - wn
    x = slope * (h - h0)
    q = rho0 * (1.0 + x * (1.0 + x * 0.5)) * k * _sqrt(rx * rx + ry * ry + vz * vz)
    return (
        ir,
        -q * rx - ve * vz * ir,
        -q * ry - vn * vz * ir,
        -q * vz - _GR2 * ir * ir + (ve * ve + vn * vn) * ir,
    )


@dataclass
class Chute:
    """One parachute on one pyro channel."""

    channel: str  # "drogue" or "main": the pyro channel that deploys it
    cd_area_m2: float
    inflation_s: float = 1.0
    deploy_delay_s: float = 0.5  # fire -> line stretch (mortar, bag strip)
    fails: bool = False  # the scenario's "does not open"
    max_deploy_speed_m_s: float = math.inf  # line stretch faster than this shreds it
    released_by: str = ""  # channel whose chute cuts this one away at its line stretch
    fired_at_s: float = None  # simulation time of the (first) fire
    line_stretch_at_s: float = None
    released_at_s: float = None
    shredded: bool = False

    @property
    def open_from_s(self):
        return None if self.fired_at_s is None else self.fired_at_s + self.deploy_delay_s

    def cd_area_at(self, t_s):
        """Cd·A this chute adds at time t_s (m^2)."""
        start = self.open_from_s
        if start is None or t_s <= start or self.fails or self.shredded:
            return 0.0
        if self.released_at_s is not None and t_s >= self.released_at_s:
            return 0.0
        if self.inflation_s <= 0 or t_s >= start + self.inflation_s:
            return self.cd_area_m2
        return self.cd_area_m2 * (t_s - start) / self.inflation_s

    def state_at(self, t_s):
        if self.fired_at_s is None:
            return "stowed"
        if t_s < self.open_from_s:
            return "deploying"
        if self.fails:
            return "failed"
        if self.shredded:
            return "shredded"
        if self.released_at_s is not None and t_s >= self.released_at_s:
            return "released"
        return "open" if t_s >= self.open_from_s + self.inflation_s else "inflating"


@dataclass
class Wind:
    """Horizontal wind by altitude, linearly interpolated, constant beyond the ends.

    `from_deg` is the meteorological direction the wind blows FROM."""

    altitude_m: tuple = (0.0,)
    speed_m_s: tuple = (0.0,)
    from_deg: tuple = (0.0,)

    def __post_init__(self):
        self._alt = [float(a) for a in self.altitude_m]
        self._east = [-s * math.sin(math.radians(d)) for s, d in zip(self.speed_m_s, self.from_deg)]
        self._north = [
            -s * math.cos(math.radians(d)) for s, d in zip(self.speed_m_s, self.from_deg)
        ]
        self.calm = all(abs(s) == 0 for s in self.speed_m_s)
        self._last = 1
        self._memo_alt = None  # the drop test asks twice per sample at one altitude
        self._memo = None

    def at(self, alt_m):
        """(east, north) wind velocity in m/s at alt_m."""
        if alt_m == self._memo_alt:
            return self._memo
        self._memo = wind = self._at(alt_m)
        self._memo_alt = alt_m
        return wind

    def _at(self, alt_m):
        alt = self._alt
        if alt_m <= alt[0]:
            return self._east[0], self._north[0]
        if alt_m >= alt[-1]:
            return self._east[-1], self._north[-1]
        i = self._last  # the capsule stays in one layer for many calls
        if not alt[i - 1] <= alt_m <= alt[i]:
            i = 1
            while alt[i] < alt_m:
                i += 1
            self._last = i
        f = (alt_m - alt[i - 1]) / (alt[i] - alt[i - 1])
        e0, n0 = self._east[i - 1], self._north[i - 1]
        return e0 + f * (self._east[i] - e0), n0 + f * (self._north[i] - n0)


@dataclass
class Landing:
    t_s: float
    speed_m_s: float  # total speed relative to the ground at touchdown
    vertical_speed_m_s: float  # positive downwards
    horizontal_speed_m_s: float
    east_m: float
    north_m: float
    lat: float
    lon: float


@dataclass(slots=True)
class Truth:
    """What is true at one instant: read by the sensor models and the report."""

    t_s: float
    alt_m: float  # above mean sea level
    agl_m: float  # above the ground / sea surface
    east_m: float
    north_m: float
    ve_m_s: float
    vn_m_s: float
    vz_m_s: float  # up positive
    air_speed_m_s: float
    mach: float
    pressure_pa: float  # static
    density_kg_m3: float
    temperature_k: float
    aero_accel_m_s2: float  # magnitude of drag / mass (what an accelerometer senses)
    cd_area_m2: float
    landed: bool


def destination(lat_deg, lon_deg, east_m, north_m):
    """Latitude/longitude reached from a start point by travelling east_m/north_m
    along the surface (great circle through the start with that bearing)."""
    d = math.hypot(east_m, north_m) / EARTH_RADIUS_M
    if d == 0:
        return lat_deg, lon_deg
    brg = math.atan2(east_m, north_m)
    lat1 = math.radians(lat_deg)
    lon1 = math.radians(lon_deg)
    sin_lat2 = math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(brg)
    lat2 = math.asin(max(-1.0, min(1.0, sin_lat2)))
    lon2 = lon1 + math.atan2(
        math.sin(brg) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * sin_lat2
    )
    lon2 = (lon2 + 3 * math.pi) % (2 * math.pi) - math.pi
    return math.degrees(lat2), math.degrees(lon2)


def local_offset_m(lat0, lon0, lat, lon):
    """(east, north) metres of (lat, lon) from (lat0, lon0), equirectangular;
    good to a fraction of a per cent over tens of km (landing ellipses)."""
    east = math.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians((lat + lat0) / 2))
    north = math.radians(lat - lat0) * EARTH_RADIUS_M
    return east, north


def gravity_m_s2(alt_m):
    r = EARTH_RADIUS_M / (EARTH_RADIUS_M + alt_m)
    return G0_M_S2 * r * r


@dataclass
class Flight:
    """The capsule's state from the start of the flight (t = 0) to touchdown.

    Drive it with `advance_to(t)`; tell it about pyro fires with `fire()`."""

    mass_kg: float
    cd_area_m2: float
    alt_m: float
    speed_m_s: float = 0.0
    flight_path_deg: float = 0.0  # negative = descending
    heading_deg: float = 90.0  # direction of the horizontal velocity, true
    lat: float = 0.0
    lon: float = 0.0
    ground_elevation_m: float = 0.0
    chutes: list = field(default_factory=list)
    wind: Wind = None
    max_dt_s: float = DEFAULT_MAX_DT_S
    impact_s: float = 0.1  # touchdown: the speed goes to zero in this time

    def __post_init__(self):
        if self.mass_kg <= 0:
            raise ValueError("mass_kg must be > 0")
        self.t_s = 0.0
        gamma = math.radians(self.flight_path_deg)
        psi = math.radians(self.heading_deg)
        vh = self.speed_m_s * math.cos(gamma)
        self.e = 0.0
        self.n = 0.0
        self.h = float(self.alt_m)
        self.ve = vh * math.sin(psi)
        self.vn = vh * math.cos(psi)
        self.vz = self.speed_m_s * math.sin(gamma)
        self.landing = None
        self.events = []  # (t_s, text) of chute state changes, for the report
        self._chute_by_channel = {c.channel: c for c in self.chutes}
        if self.wind is None:
            self.wind = Wind()
        if self.h <= self.ground_elevation_m:
            raise ValueError("start altitude must be above the ground elevation")
        self._cda_until = -math.inf  # cached total Cd·A is valid before this time
        self._cda = self.cd_area_m2
        self._stretch_pending = False
        _density_fn()

    # -- pyro channels -------------------------------------------------------
    def fire(self, channel, t_s):
        """A pyro channel fired at simulation time t_s (may be slightly in the
        past: the deploy delay covers the link's batching). Returns False if
        that channel has no chute or already fired."""
        chute = self._chute_by_channel.get(channel)
        if chute is None or chute.fired_at_s is not None:
            return False
        chute.fired_at_s = t_s
        self._cda_until = -math.inf
        self._stretch_pending = True
        return True

    def chute(self, channel):
        return self._chute_by_channel.get(channel)

    def _update_chutes(self, t_s):
        """Line stretch events: shred checks and releases (at step boundaries)."""
        self._stretch_pending = False
        self._cda_until = -math.inf
        for c in self.chutes:
            if c.fired_at_s is None or c.line_stretch_at_s is not None:
                continue
            if t_s < c.open_from_s:
                self._stretch_pending = True
                continue
            c.line_stretch_at_s = t_s
            if c.fails:
                self.events.append((t_s, f"{c.channel} failed to open"))
                continue
            air = self.air_speed()
            if air > c.max_deploy_speed_m_s:
                c.shredded = True
                self.events.append((t_s, f"{c.channel} shredded at line stretch ({air:.0f} m/s)"))
                continue
            self.events.append((t_s, f"{c.channel} line stretch"))
            for other in self.chutes:
                if other.released_by == c.channel and other.released_at_s is None:
                    other.released_at_s = t_s
                    if other.fired_at_s is not None:
                        self.events.append((t_s, f"{other.channel} released"))

    def cd_area_at(self, t_s):
        cda = self.cd_area_m2
        for c in self.chutes:
            if c.fired_at_s is not None:
                cda += c.cd_area_at(t_s)
        return cda

    def _cd_area_constant_until(self, t_s):
        """The next time after t_s at which the total Cd·A may change (t_s
        itself while a chute is inflating)."""
        until = math.inf
        for c in self.chutes:
            if c.fired_at_s is None:
                continue
            start = c.open_from_s
            end = start + max(0.0, c.inflation_s)
            if start <= t_s < end and c.cd_area_at(t_s) > 0.0:
                return t_s
            for edge in (start, end, c.released_at_s):
                if edge is not None and t_s < edge < until:
                    until = edge
        return until

    # -- dynamics ------------------------------------------------------------
    def air_speed(self):
        we, wn = self.wind.at(self.h)
        return math.sqrt((self.ve - we) ** 2 + (self.vn - wn) ** 2 + self.vz**2)

    def advance_to(self, t_target_s):
        """Integrate to t_target_s (no-op once landed except for the clock)."""
        if self.landing is not None:
            self.t_s = t_target_s
            return
        span = t_target_s - self.t_s
        if span <= 0:
            return
        if span <= self.max_dt_s * (1 + 1e-9):
            self._step(span)
            if self.landing is not None:
                self.t_s = t_target_s
            return
        n = math.ceil(span / self.max_dt_s - 1e-9)
        dt = span / n
        for _ in range(n):
            self._step(dt)
            if self.landing is not None:
                self.t_s = t_target_s
                return

    def _step(self, dt):
        t = self.t_s
        if self._stretch_pending:
            self._update_chutes(t)
        inv_2m = 0.5 / self.mass_kg
        if t + dt < self._cda_until:
            k0 = k1 = k2 = self._cda * inv_2m
        else:
            self._cda = self.cd_area_at(t)
            self._cda_until = self._cd_area_constant_until(t)
            k0 = self._cda * inv_2m
            k1 = self.cd_area_at(t + 0.5 * dt) * inv_2m
            k2 = self.cd_area_at(t + dt) * inv_2m
        h, ve, vn, vz = self.h, self.ve, self.vn, self.vz
        # wind changes over kilometres: once per step is plenty
        we, wn = (0.0, 0.0) if self.wind.calm else self.wind.at(h)
        # The four RK4 stages, each the derivative at a point a few metres
        # from h: drag on the air-relative velocity (the density from its
        # slope at h), inverse square gravity, and the curvature terms of the
        # local frame. This runs 100+ times per simulated second: each stage
        # is one call of a plain function, its inputs as arguments.
        rho1, slope = _density.with_slope(h)
        hd = 0.5 * dt
        ir1, a1e, a1n, a1z = _rk4_stage(h, h, ve, vn, vz, k0, we, wn, rho1, slope)
        h2 = h + hd * vz
        ve2, vn2, vz2 = ve + hd * a1e, vn + hd * a1n, vz + hd * a1z
        ir2, a2e, a2n, a2z = _rk4_stage(h, h2, ve2, vn2, vz2, k1, we, wn, rho1, slope)
        h3 = h + hd * vz2
        ve3, vn3, vz3 = ve + hd * a2e, vn + hd * a2n, vz + hd * a2z
        ir3, a3e, a3n, a3z = _rk4_stage(h, h3, ve3, vn3, vz3, k1, we, wn, rho1, slope)
        h4 = h + dt * vz3
        ve4, vn4, vz4 = ve + dt * a3e, vn + dt * a3n, vz + dt * a3z
        ir4, a4e, a4n, a4z = _rk4_stage(h, h4, ve4, vn4, vz4, k2, we, wn, rho1, slope)
        s = dt / 6.0
        # distance along the surface: velocities scaled from radius r to R
        sr = s * EARTH_RADIUS_M
        new_e = self.e + sr * (ve * ir1 + 2 * (ve2 * ir2 + ve3 * ir3) + ve4 * ir4)
        new_n = self.n + sr * (vn * ir1 + 2 * (vn2 * ir2 + vn3 * ir3) + vn4 * ir4)
        new_h = h + s * (vz + 2 * (vz2 + vz3) + vz4)
        new_ve = ve + s * (a1e + 2 * (a2e + a3e) + a4e)
        new_vn = vn + s * (a1n + 2 * (a2n + a3n) + a4n)
        new_vz = vz + s * (a1z + 2 * (a2z + a3z) + a4z)
        ground = self.ground_elevation_m
        if new_h <= ground:
            frac = (h - ground) / (h - new_h) if h > new_h else 1.0
            lve = ve + frac * (new_ve - ve)
            lvn = vn + frac * (new_vn - vn)
            lvz = vz + frac * (new_vz - vz)
            self.e += frac * (new_e - self.e)
            self.n += frac * (new_n - self.n)
            self.h = ground
            self.t_s = t + frac * dt
            lat, lon = destination(self.lat, self.lon, self.e, self.n)
            vh = math.hypot(lve, lvn)
            self.landing = Landing(
                t_s=self.t_s,
                speed_m_s=math.sqrt(vh * vh + lvz * lvz),
                vertical_speed_m_s=-lvz,
                horizontal_speed_m_s=vh,
                east_m=self.e,
                north_m=self.n,
                lat=lat,
                lon=lon,
            )
            self.ve = self.vn = self.vz = 0.0
            self.events.append((self.t_s, f"touchdown at {self.landing.speed_m_s:.1f} m/s"))
            return
        self.e, self.n, self.h = new_e, new_n, new_h
        self.ve, self.vn, self.vz = new_ve, new_vn, new_vz
        self.t_s = t + dt

    # -- what is true now ----------------------------------------------------
    def truth(self):
        t_k, p, rho, a = atm.properties(self.h)
        t = self.t_s
        cda = self._cda if t < self._cda_until else self.cd_area_at(t)
        if self.landing is not None:
            air = 0.0
            accel = self.ground_force_m_s2(t)
        else:
            we, wn = (0.0, 0.0) if self.wind.calm else self.wind.at(self.h)
            rx, ry, rz = self.ve - we, self.vn - wn, self.vz
            air = math.sqrt(rx * rx + ry * ry + rz * rz)
            accel = 0.5 * rho * air * air * cda / self.mass_kg
        h = self.h
        return Truth(
            t, h, h - self.ground_elevation_m, self.e, self.n, self.ve, self.vn, self.vz,
            air, air / a, p, rho, t_k, accel, cda, self.landing is not None,
        )  # fmt: skip

    def ground_force_m_s2(self, t_s):
        """Specific force on the ground: the touchdown pulse (a half sine of
        impact_s whose integral stops the landing speed), then the support
        force, 1 g."""
        dt = t_s - self.landing.t_s
        tau = self.impact_s
        if 0.0 <= dt < tau:
            peak = 0.5 * math.pi * self.landing.speed_m_s / tau
            return G0_M_S2 + peak * math.sin(math.pi * dt / tau)
        return G0_M_S2

    TRACE_KEYS = (
        "t_s",
        "alt_m",
        "agl_m",
        "east_m",
        "north_m",
        "ve_m_s",
        "vn_m_s",
        "vz_m_s",
        "air_speed_m_s",
        "mach",
        "pressure_pa",
        "aero_accel_m_s2",
        "landed",
    )

    def fill(self, times, trace):
        """Advance through `times` and append the truth at each to the lists
        of `trace` (a dict with TRACE_KEYS): the batch form of truth(), for
        the drop test's per-sample loop."""
        (c_t, c_alt, c_agl, c_e, c_n, c_ve, c_vn, c_vz, c_air, c_mach, c_p, c_acc,
         c_landed) = (trace[k].append for k in self.TRACE_KEYS)  # fmt: skip
        ground = self.ground_elevation_m
        props = atm.properties
        max_dt = self.max_dt_s * (1 + 1e-9)
        for t in times:
            span = t - self.t_s
            if self.landing is None and 0.0 < span <= max_dt:
                self._step(span)
                if self.landing is not None:
                    self.t_s = t
            else:
                self.advance_to(t)
            h = self.h
            _, p, rho, a = props(h)
            if self.landing is not None:
                air = 0.0
                accel = self.ground_force_m_s2(t)
                landed = True
            else:
                cda = self._cda if t < self._cda_until else self.cd_area_at(t)
                we, wn = (0.0, 0.0) if self.wind.calm else self.wind.at(h)
                rx, ry, rz = self.ve - we, self.vn - wn, self.vz
                air = math.sqrt(rx * rx + ry * ry + rz * rz)
                accel = 0.5 * rho * air * air * cda / self.mass_kg
                landed = False
            c_t(t)
            c_alt(h)
            c_agl(h - ground)
            c_e(self.e)
            c_n(self.n)
            c_ve(self.ve)
            c_vn(self.vn)
            c_vz(self.vz)
            c_air(air)
            c_mach(air / a)
            c_p(p)
            c_acc(accel)
            c_landed(landed)

    def position(self):
        """(lat, lon) of the capsule now."""
        return destination(self.lat, self.lon, self.e, self.n)


DENSITY_TABLE_STEP_M = 10.0
DENSITY_TABLE_LOW_M = -2000.0
DENSITY_TABLE_HIGH_M = 200000.0


def _make_density_table():
    """ln(density) every 10 m, interpolated linearly: faster than the layer
    formulas and within 1e-4 of them (ln rho is smooth on 10 m)."""
    low, step = DENSITY_TABLE_LOW_M, DENSITY_TABLE_STEP_M
    n = int((DENSITY_TABLE_HIGH_M - low) / step) + 2
    table = [math.log(atm.density_kg_m3(low + i * step)) for i in range(n)]
    last = n - 1
    inv_step = 1.0 / step
    exp = math.exp
    exact = atm.density_kg_m3

    def density(h):
        x = (h - low) * inv_step
        i = int(x)
        if i < 0 or i >= last:
            return exact(h)
        lo = table[i]
        return exp(lo + (x - i) * (table[i + 1] - lo))

    def density_and_slope(h):
        """(rho, d ln(rho) / dh): the integrator extrapolates the few metres
        between its stages with the slope instead of four table look-ups."""
        x = (h - low) * inv_step
        i = int(x)
        if i < 0 or i >= last:
            rho = exact(h)
            above = exact(h + 1.0)
            if rho <= 0.0 or above <= 0.0:
                # a capsule that skipped out: the density underflows to 0 some
                # 10 000 km up, where there is no drag and no slope to take
                return rho, 0.0
            return rho, math.log(above / rho)
        lo = table[i]
        d = table[i + 1] - lo
        return exp(lo + (x - i) * d), d * inv_step

    density.with_slope = density_and_slope
    return density


_density = None


def _density_fn():
    global _density
    if _density is None:
        _density = _make_density_table()
    return _density


def terminal_speed_m_s(mass_kg, cd_area_m2, alt_m):
    """Closed form sqrt(2 m g / (rho CdA)): the steady descent rate."""
    rho = atm.properties(alt_m)[2]
    return math.sqrt(2 * mass_kg * gravity_m_s2(alt_m) / (rho * cd_area_m2))
