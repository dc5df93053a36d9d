"""Replay a recorded flight through the firmware: the samples of a flight log
(time, pressure or altitude, acceleration) go to the board through the same
frames, batching and judging as a simulated drop test, with the log as the
truth instead of the physics.

The CSV needs a header row; lines starting with '#' are skipped. Columns
(case-insensitive; the first match wins):
    time        time_s, time, t_s, t, seconds (s), or a time of day
                HH:MM:SS[.fff] in any of these or utc, time_utc (balloon
                trackers log the GNSS clock): a time earlier than the one
                before by more than 12 h is the next day (midnight)
    pressure    pressure_pa, pressure, press_pa, baro_pa (Pa)
                pressure_hpa, pressure_mbar, pressure_mb, press_hpa (hPa = mbar)
    altitude    altitude_m, altitude, alt_m, gps_alt_m (above sea level)
                altitude_ft, alt_ft, gps_alt_ft (feet above sea level)
                height_m, height, agl_m (above the ground: the scenario's
                ground elevation is added)
    accel       accel_g, acceleration_g, specific_force_g (g), or
                accel_m_s2, acceleration_m_s2, accel, acceleration (m/s^2):
                the specific force along the capsule's axis, as an
                accelerometer reads it (+1 g at rest, ~0 in free fall);
                accel_kinematic_m_s2: acceleration with gravity removed
                (AltOS style, 0 at rest): 1 g is added
                A log with a time of day and no acceleration (a balloon
                tracker's) replays 1 g: the payload hanging on its line.
    position    lat / latitude, lon / longitude (optional; else the
                scenario's start point)
Other header names are mapped with `columns` (`--columns` on the command
line): ROLE=HEADER pairs, ROLE one of COLUMN_ROLES, e.g. for a tracker log
    --columns "time=Time,pressure_hpa=Baro_Pressure,altitude_ft=GPS altitude"
Pressure wins over altitude when both are present; without pressure, the
1976 standard atmosphere turns altitude into pressure.

A fire changes nothing here (the log already happened); its altitude in the
report is the log's height above the ground at that moment. The touchdown is
where the log's height first settles within 3 m of its final value, with the
descent rate of the second before it.
"""

import copy
import csv
import math
from pathlib import Path

import numpy as np

from host_tools.droptest import runner as droptest
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import physics
from host_tools.sim.scenario import Scenario

TIME_COLS = ("time_s", "time", "t_s", "t", "seconds", "utc", "time_utc")
PRESSURE_PA_COLS = ("pressure_pa", "pressure", "press_pa", "baro_pa")
PRESSURE_HPA_COLS = ("pressure_hpa", "pressure_mbar", "pressure_mb", "press_hpa")
ALTITUDE_MSL_COLS = ("altitude_m", "altitude", "alt_m", "gps_alt_m")
ALTITUDE_FT_COLS = ("altitude_ft", "alt_ft", "gps_alt_ft")
FT_TO_M = 0.3048
ALTITUDE_AGL_COLS = ("height_m", "height", "agl_m")
ACCEL_G_COLS = ("accel_g", "acceleration_g", "specific_force_g")
ACCEL_MS2_COLS = ("accel_m_s2", "acceleration_m_s2", "accel", "acceleration")
ACCEL_KINEMATIC_COLS = ("accel_kinematic_m_s2",)
LAT_COLS = ("lat", "latitude")
LON_COLS = ("lon", "longitude")
LANDED_BAND_M = 3.0
# --columns roles: the name each role is looked up by
COLUMN_ROLES = {
    "time": TIME_COLS,
    "pressure_pa": PRESSURE_PA_COLS,
    "pressure_hpa": PRESSURE_HPA_COLS,
    "altitude_m": ALTITUDE_MSL_COLS,
    "altitude_ft": ALTITUDE_FT_COLS,
    "height_m": ALTITUDE_AGL_COLS,
    "accel_g": ACCEL_G_COLS,
    "accel_m_s2": ACCEL_MS2_COLS,
    "lat": LAT_COLS,
    "lon": LON_COLS,
}
DAY_S = 86400.0


class ReplayError(ValueError):
    """A flight log that cannot be replayed; the message names the file and column."""


class FlightLog:
    """Columns of a flight log as numpy arrays (time from 0)."""

    def __init__(self, path, t, pressure_pa=None, alt_msl_m=None, agl_m=None, accel_m_s2=None,
                 lat=None, lon=None):  # fmt: skip
        self.path = str(path)
        self.t = t
        self.pressure_pa = pressure_pa
        self.alt_msl_m = alt_msl_m
        self.agl_m = agl_m
        self.accel_m_s2 = accel_m_s2
        self.lat = lat
        self.lon = lon

    @property
    def duration_s(self):
        return float(self.t[-1])

    def altitude_msl(self, ground_m):
        if self.alt_msl_m is not None:
            return self.alt_msl_m
        if self.agl_m is not None:
            return self.agl_m + ground_m
        return np.array([atm.altitude_from_pressure_m(p) for p in self.pressure_pa])

    def pressure(self, ground_m):
        if self.pressure_pa is not None:
            return self.pressure_pa
        return np.array([atm.pressure_pa(z) for z in self.altitude_msl(ground_m)])


def _pick(header, names):
    for n in names:
        if n in header:
            return n
    return None


def parse_columns(text):
    """'role=Header,role=Header' -> {role: header}; ReplayError names the
    bad pair."""
    out = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        role, sep, header = pair.partition("=")
        role = role.strip().lower()
        if not sep or not header.strip():
            raise ReplayError(f"--columns: {pair.strip()!r}: want ROLE=HEADER")
        if role not in COLUMN_ROLES:
            raise ReplayError(
                "--columns: {}: unknown role (one of: {})".format(role, ", ".join(COLUMN_ROLES))
            )
        out[role] = header.strip().lower()
    return out


def _clock_s(text):
    """Seconds of the day of 'HH:MM:SS[.fff]' (ValueError if not one)."""
    h, m, sec = text.strip().split(":")
    h, m, sec = int(h), int(m), float(sec)
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= sec < 61):
        raise ValueError(text)
    return 3600.0 * h + 60.0 * m + sec


def read_flight_csv(path, columns=None):
    """Read and check a flight log CSV (see the module docstring); `columns`
    maps roles to header names the defaults do not know."""
    p = Path(path)
    try:
        lines = [ln for ln in p.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise ReplayError(f"{p}: cannot read: {exc}") from None
    if len(lines) < 3:
        raise ReplayError(f"{p.name}: needs a header row and at least two samples")
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader)]
    rows = list(reader)
    col = {name: i for i, name in enumerate(header)}
    mapped = dict(columns or {})
    for role, name in mapped.items():
        if name not in col:
            raise ReplayError(
                "{}: --columns {}={}: no such column (the header has: {})".format(
                    p.name, role, name, ", ".join(header)
                )
            )

    def pick(role, names):
        if role in mapped:
            return mapped[role]
        if any(r in mapped for r in _ROLE_GROUP.get(role, ())):
            return None  # the mapping chose another column for this quantity
        return _pick(col, names)

    t_name = pick("time", TIME_COLS)
    if t_name is None:
        raise ReplayError("{}: no time column (one of: {})".format(p.name, ", ".join(TIME_COLS)))

    def column(name, scale=1.0, offset=0.0):
        i = col[name]
        out = np.empty(len(rows))
        for k, row in enumerate(rows):
            try:
                value = float(row[i])
            except (ValueError, IndexError):
                value = row[i] if i < len(row) else ""
                raise ReplayError(
                    f"{p.name}: line {k + 2}, column {name}: not a number: {value!r}"
                ) from None
            if not math.isfinite(value):  # nan, inf: a logger's gap, never a reading
                raise ReplayError(
                    f"{p.name}: line {k + 2}, column {name}: {row[i].strip()!r} is not a "
                    "reading (remove the row or fill the gap)"
                )
            out[k] = value * scale + offset
        return out

    clock = bool(rows) and ":" in (rows[0][col[t_name]] if col[t_name] < len(rows[0]) else "")
    t = _clock_column(p, rows, col[t_name], t_name) if clock else column(t_name)
    if np.any(np.diff(t) <= 0):
        k = int(np.argmax(np.diff(t) <= 0)) + 1
        raise ReplayError(
            f"{p.name}: line {k + 2}, column {t_name}: times must increase "
            f"({rows[k - 1][col[t_name]]!r} then {rows[k][col[t_name]]!r})"
        )
    t = t - t[0]
    pressure = None
    name = pick("pressure_pa", PRESSURE_PA_COLS)
    if name:
        pressure = column(name)
    elif pick("pressure_hpa", PRESSURE_HPA_COLS):
        pressure = column(pick("pressure_hpa", PRESSURE_HPA_COLS), 100.0)
    alt = None
    if pick("altitude_m", ALTITUDE_MSL_COLS):
        alt = column(pick("altitude_m", ALTITUDE_MSL_COLS))
    elif pick("altitude_ft", ALTITUDE_FT_COLS):
        alt = column(pick("altitude_ft", ALTITUDE_FT_COLS), FT_TO_M)
    agl = (
        column(pick("height_m", ALTITUDE_AGL_COLS)) if pick("height_m", ALTITUDE_AGL_COLS) else None
    )
    if pressure is None and alt is None and agl is None:
        raise ReplayError(
            "{}: no pressure or altitude column (one of: {})".format(
                p.name,
                ", ".join(
                    PRESSURE_PA_COLS + PRESSURE_HPA_COLS + ALTITUDE_MSL_COLS + ALTITUDE_AGL_COLS
                ),
            )
        )
    if pressure is not None and np.any(pressure <= 0):
        raise ReplayError(f"{p.name}: pressure must be positive")
    accel = None
    if pick("accel_g", ACCEL_G_COLS):
        accel = column(pick("accel_g", ACCEL_G_COLS), physics.G0_M_S2)
    elif _pick(col, ACCEL_KINEMATIC_COLS) and "accel_m_s2" not in mapped:
        accel = column(_pick(col, ACCEL_KINEMATIC_COLS), 1.0, physics.G0_M_S2)
    elif pick("accel_m_s2", ACCEL_MS2_COLS):
        accel = column(pick("accel_m_s2", ACCEL_MS2_COLS))
    if accel is None and clock:
        accel = np.full(len(rows), physics.G0_M_S2)  # a tracker log: hanging at 1 g
    if accel is None:
        raise ReplayError(
            "{}: no acceleration column (one of: {})".format(
                p.name, ", ".join(ACCEL_G_COLS + ACCEL_MS2_COLS + ACCEL_KINEMATIC_COLS)
            )
        )
    lat = column(pick("lat", LAT_COLS)) if pick("lat", LAT_COLS) else None
    lon = column(pick("lon", LON_COLS)) if pick("lon", LON_COLS) else None
    return FlightLog(p, t, pressure, alt, agl, accel, lat, lon)


# roles that give the same quantity: mapping one hides the defaults of the others
_ROLE_GROUP = {
    "pressure_pa": ("pressure_hpa",),
    "pressure_hpa": ("pressure_pa",),
    "altitude_m": ("altitude_ft",),
    "altitude_ft": ("altitude_m",),
    "accel_g": ("accel_m_s2",),
    "accel_m_s2": ("accel_g",),
}


def _clock_column(p, rows, i, name):
    """Times of day as seconds from the first row, across midnight."""
    out = np.empty(len(rows))
    day = 0.0
    prev = None
    for k, row in enumerate(rows):
        value = row[i] if i < len(row) else ""
        try:
            s = _clock_s(value)
        except ValueError:
            raise ReplayError(
                f"{p.name}: line {k + 2}, column {name}: not a time of day HH:MM:SS: {value!r}"
            ) from None
        if prev is not None and s < prev - DAY_S / 2:
            day += DAY_S  # past midnight
        prev = s
        out[k] = s + day
    return out


def replay_scenario(log, base=None):
    """The scenario a replay runs under: `base` (its config, sensors mounting,
    expectations) or a default one; start and ground come from the log."""
    if base is not None:
        raw = copy.deepcopy(base.raw)
        name = base.name
    else:
        name = "replay_" + Path(log.path).stem
        raw = {
            "name": name,
            "description": f"Replay of {Path(log.path).name}",
            "capsule": {"mass_kg": 1.0, "cd_area_m2": 1.0},
            "start": {"speed_m_s": 0.0, "flight_path_deg": -90.0, "lat": 0.0, "lon": 0.0},
            "chutes": {},
            "ground": {"elevation_m": 0.0},
            "config": {"start_mode": "drop"},
            "faults": {},
            "expect": {},
            "run": {},
        }
    if base is None and log.agl_m is None:
        # the log ends on the ground: that is the landing site's elevation
        raw["ground"]["elevation_m"] = float(log.altitude_msl(0.0)[-1])
    ground = raw["ground"]["elevation_m"]
    alt = log.altitude_msl(ground)
    raw["start"]["altitude_m"] = float(alt[0])
    raw["start"]["stand_altitude_m"] = float(alt[0])
    if log.lat is not None and log.lon is not None:
        raw["start"]["lat"] = float(log.lat[0])
        raw["start"]["lon"] = float(log.lon[0])
    raw["run"]["max_flight_s"] = log.duration_s
    raw["run"].setdefault("after_landing_s", 0.0)
    raw["faults"] = {}  # a recorded flight has its faults already
    if log.lat is None or log.lon is None:
        # no position in the log: the board gets no fix (its beacon says so)
        # rather than one invented at the scenario's start point
        raw["faults"]["gnss_never_fix"] = True
    raw["sensors"] = {
        "baro": {"noise_pa": 0.0, "lag_s": 0.0, "resolution_pa": 0.0, "supersonic": "static"},
        "accel": {
            "noise_mg": 0.0,
            "resolution_mg": 0.0,
            "oscillation_deg": 0.0,
            "mounting": raw.get("sensors", {}).get("accel", {}).get("mounting", "+x+y+z"),
        },
        "gnss": raw.get("sensors", {}).get("gnss", {"first_fix_s": 0.0}),
    }
    return Scenario(name, log.path, raw)


class ReplayFlight:
    """Stands in for physics.Flight: the log is the truth."""

    def __init__(self, log, scenario):
        self.log = log
        self.ground_elevation_m = scenario.ground["elevation_m"]
        self.lat = scenario.start["lat"]
        self.lon = scenario.start["lon"]
        self.alt = log.altitude_msl(self.ground_elevation_m)
        self.press = log.pressure(self.ground_elevation_m)
        self.chutes = []
        self.events = []
        self.t_s = 0.0
        self.fired = {}
        self.landing = None
        self._touchdown = self._find_touchdown()

    def _find_touchdown(self):
        agl = self.alt - self.ground_elevation_m
        t = self.log.t
        final = agl[-1]
        top = int(np.argmax(agl))
        settled = np.nonzero(np.abs(agl[top:] - final) <= LANDED_BAND_M)[0]
        if not len(settled) or agl[top] - final < 10.0:
            return None
        i = top + int(settled[0])
        j = int(np.searchsorted(t, t[i] - 1.0))
        rate = (agl[j] - agl[i]) / max(1e-6, t[i] - t[j])
        lat, lon = self.lat, self.lon
        if self.log.lat is not None:
            lat, lon = float(self.log.lat[i]), float(self.log.lon[i])
        return physics.Landing(float(t[i]), abs(rate), rate, 0.0, 0.0, 0.0, lat, lon)

    def fire(self, channel, t_s):
        if channel in self.fired:
            return False
        self.fired[channel] = t_s
        return True

    def chute(self, channel):
        return None

    def fill(self, times, trace):
        t = np.asarray(times)
        log = self.log
        alt = np.interp(t, log.t, self.alt)
        vz = np.gradient(self.alt, log.t)
        values = {
            "t_s": t,
            "alt_m": alt,
            "agl_m": alt - self.ground_elevation_m,
            "east_m": np.zeros_like(t),
            "north_m": np.zeros_like(t),
            "ve_m_s": np.zeros_like(t),
            "vn_m_s": np.zeros_like(t),
            "vz_m_s": np.interp(t, log.t, vz),
            "air_speed_m_s": np.abs(np.interp(t, log.t, vz)),
            "mach": np.zeros_like(t),
            "pressure_pa": np.interp(t, log.t, self.press),
            "aero_accel_m_s2": np.interp(t, log.t, log.accel_m_s2),
        }
        for key, v in values.items():
            trace[key].extend(v.tolist())
        trace["landed"].extend([False] * len(t))
        self.t_s = float(t[-1])
        if self._touchdown is not None and self.t_s >= self._touchdown.t_s:
            self.landing = self._touchdown


class ReplayTest(droptest.DropTest):
    """A DropTest whose truth is a flight log."""

    def __init__(self, log, scenario, link, **kw):
        super().__init__(scenario, link, flight=ReplayFlight(log, scenario), **kw)
        self.log = log
        self.batch = droptest.MAX_BATCH_SAMPLES  # nothing to feed back into
        self.end_s = log.duration_s

    def _fill_rest(self, times):
        """The stand: the log's first row, held."""
        f = self.flight
        d = self.trace.data
        first = {
            "alt_m": float(f.alt[0]),
            "agl_m": float(f.alt[0]) - f.ground_elevation_m,
            "pressure_pa": float(f.press[0]),
            "aero_accel_m_s2": float(self.log.accel_m_s2[0]),
        }
        for t in times:
            for key in physics.Flight.TRACE_KEYS:
                if key == "t_s":
                    d[key].append(t)
                elif key == "landed":
                    d[key].append(False)
                else:
                    d[key].append(first.get(key, 0.0))

    def _flight(self):
        while self.t_of(self.sample_index) <= self.end_s:
            self._stream_batch(self.end_s + 1e-6)


def run_replay(
    log, scenario, port=None, out_dir=None, link=None, plots=True, seed=0, progress=None
):
    from host_tools.board.board_config import kept_for_test

    opened = None
    if link is None:
        opened = link = droptest.open_board(port)
    try:
        # the caller's board (--port) gets its own config back afterwards
        with kept_for_test(opened if port else None, out_dir) as kept:
            result = ReplayTest(log, scenario, link, seed=seed, progress=progress).run()
        result.board_config = kept.note
    finally:
        if opened is not None:
            opened.close()
    result.replay = log.path
    if out_dir is not None:
        droptest.write_report(result, out_dir, plots=plots)
    return result
