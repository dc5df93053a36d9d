"""Drop-test scenarios: one TOML file describes a capsule, where its flight
starts, its parachutes, the ground, the weather, its sensors, the firmware
configuration, the faults to inject and what the firmware must achieve.

`load(path)` reads and validates a file and returns a `Scenario`; every
mistake is a `ScenarioError` whose message names the file, the table and the
key, and says what is allowed ("nominal_leo.toml: [capsule] mass_kg: must be a
number > 0, got -3"). Unknown tables and keys are errors too: a typo in a
fault name must not silently run a nominal flight.

The library of scenarios ships with the package (`host_tools/scenarios/`);
`library()` lists it and `find(name)` resolves a bare name such as
``nominal_leo``.

The file format, table by table (units in the key names):

    name, description
    [capsule]   mass_kg, cd_area_m2
    [start]     altitude_m, speed_m_s, flight_path_deg (negative = descending),
                heading_deg, lat, lon, utc (ISO 8601), stand_s (time at rest
                on the stand before the flight: configure, self-test, arm),
                stand_altitude_m (default: the start altitude for a drop from
                rest, the ground for a re-entry)
    [chutes.drogue], [chutes.main]   cd_area_m2, inflation_s, deploy_delay_s,
                max_deploy_speed_m_s, released_by (a channel)
    [ground]    elevation_m, surface ("sea" | "land"), impact_s (the time the
                touchdown takes to stop the capsule; 0.05 s on land, 0.15 s at sea)
    [wind]      altitude_m, speed_m_s, from_deg (equal-length lists)
    [sensors.baro|accel|gnss|battery]   model parameters (see sensors.py)
    [config]    firmware configuration, sent as `config set KEY VALUE`
    [faults]    drogue_fails, main_fails, baro_stuck_at_s, baro_dead_at_s,
                baro_noise_pa, accel_dead_at_s, accel_mounting,
                gnss_never_fix, gnss_dead_at_s, power_loss_at_s (a time or a list),
                power_off_s, serial_garbage_per_s, serial_corrupt_fraction
    [expect]    see EXPECT_KEYS
    [run]       sample_hz, after_landing_s, max_flight_s, board_start_ms, seed (of
                the sensor noise, used when the command line gives none)
    [dispersion]  1-sigma spreads for --monte-carlo (see DISPERSION_KEYS)
    [[receivers]]  ground stations (name, lat, lon, antenna_height_m, gain_dbi,
                cable_loss_db, ground_margin_db): who hears the beacon (radio_link.py)
    [radio]     the capsule's transmitter for the link model: plan, tx_dbm, gain_dbi
    [balloon]   a balloon-carried drop (balloon.py): ascent_rate_m_s,
                release_altitude_m (MSL) or release_s, release ("cutdown" |
                "burst"), line_m, swing_mg, spin_period_s, turbulence_mg,
                remains_cd_area_m2, remains_s, board_offset_m. The flight then
                starts on the ground under the balloon: [start] needs only
                lat, lon (and utc, stand_s); the stand is at the ground.

Times of faults are flight times: 0 is the start of the flight, the stand is
before it.
"""

import copy
import datetime
import math
from dataclasses import dataclass
from pathlib import Path

import tomllib

from host_tools.paths import FIRMWARE_DIR, ROOT, firmware_import, firmware_module
from host_tools.sim import balloon, physics, radio_link, sensors

SCENARIO_DIR = ROOT / "host_tools" / "scenarios"
FIRMWARE_CONFIG = FIRMWARE_DIR / "config_schema.py"
CHANNELS = ("drogue", "main")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the key."""


# -- value checks ---------------------------------------------------------------
# Each check returns the (possibly converted) value or raises ValueError with
# the rule; the caller adds the file, table and key.
def _number(lo=-math.inf, hi=math.inf, lo_open=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError("must be a number" + _range_text(lo, hi, lo_open))
        if v < lo or v > hi or (lo_open and v == lo):
            raise ValueError("must be a number" + _range_text(lo, hi, lo_open))
        return float(v)

    return check


def _range_text(lo, hi, lo_open):
    if lo == -math.inf and hi == math.inf:
        return ""
    if hi == math.inf:
        return " {} {:g}".format(">" if lo_open else ">=", lo)
    if lo == -math.inf:
        return f" <= {hi:g}"
    return " in {}{:g}, {:g}]".format("(" if lo_open else "[", lo, hi)


def _optional_number(lo=-math.inf, hi=math.inf, lo_open=False):
    inner = _number(lo, hi, lo_open)

    def check(v):
        return None if v is None else inner(v)

    return check


def _rule(ok, message, error=ValueError):
    """A check from a predicate: the value itself when ok(value), else error(message)."""

    def check(v):
        if not ok(v):
            raise error(message)
        return v

    return check


def _integer(lo=-(2**63), hi=2**63):
    return _rule(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
        f"must be an integer in [{lo}, {hi}]",
    )


def _choice(*options):
    return _rule(lambda v: v in options, "must be one of " + ", ".join(map(repr, options)))


_bool = _rule(lambda v: isinstance(v, bool), "must be true or false", TypeError)
_text = _rule(lambda v: isinstance(v, str), "must be a string", TypeError)


def _utc(v):
    if isinstance(v, datetime.datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO 8601 time such as 2026-03-01T02:00:00Z") from None
    else:
        raise TypeError("must be an ISO 8601 time such as 2026-03-01T02:00:00Z")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def _axes(v):
    try:
        sensors.parse_axes(v)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return v


def _range_pair(lo=-math.inf, hi=math.inf):
    def check(v):
        if (
            not isinstance(v, list)
            or len(v) != 2
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)
            or v[0] > v[1]
        ):
            raise ValueError("must be [min, max] with min <= max")
        for x in v:
            if x < lo or x > hi:
                raise ValueError(f"values must be in [{lo:g}, {hi:g}]")
        return [float(v[0]), float(v[1])]

    return check


def _number_list(lo=-math.inf, hi=math.inf):
    def check(v):
        if not isinstance(v, list) or not v:
            raise ValueError("must be a non-empty list of numbers")
        out = []
        for x in v:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not lo <= x <= hi:
                raise ValueError("must be a list of numbers" + _range_text(lo, hi, False))
            out.append(float(x))
        return out

    return check


def _times(v):
    """One time or a list of times (s)."""
    if isinstance(v, list):
        return sorted(_number_list(-3600.0, 1e6)(v))
    return [_number(-3600.0, 1e6)(v)]


def _channel(v):
    if v != "" and v not in CHANNELS:
        raise ValueError("must be one of {} or empty".format(", ".join(CHANNELS)))
    return v


def _phases(v):
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise ValueError("must be a list of phase names")
    return v


# -- the schema -------------------------------------------------------------------
TOP_KEYS = {"name": _text, "description": _text}
CAPSULE_KEYS = {"mass_kg": _number(0, 1e5, True), "cd_area_m2": _number(0, 1e3, True)}
START_KEYS = {
    "altitude_m": _number(-500, 200000),
    "speed_m_s": _number(0, 15000),
    "flight_path_deg": _number(-90, 90),
    "heading_deg": _number(0, 360),
    "lat": _number(-90, 90),
    "lon": _number(-180, 180),
    "utc": _utc,
    "stand_s": _number(0.5, 600),
    "stand_altitude_m": _number(-500, 60000),
}
CHUTE_KEYS = {
    "cd_area_m2": _number(0, 1e4),
    "inflation_s": _number(0, 60),
    "deploy_delay_s": _number(0, 10),
    "max_deploy_speed_m_s": _number(0, 20000, True),
    "released_by": _channel,
}
GROUND_KEYS = {
    "elevation_m": _number(-500, 9000),
    "surface": _choice("sea", "land"),
    "impact_s": _number(0.005, 5),
}
# time to stop at touchdown when [ground] impact_s is not given: a crushable
# structure on land, a blunt body entering water
IMPACT_S = {"land": 0.05, "sea": 0.15}
WIND_KEYS = {
    "altitude_m": _number_list(-500, 200000),
    "speed_m_s": _number_list(0, 200),
    "from_deg": _number_list(0, 360),
}
SENSOR_KEYS = {
    "baro": {
        "min_pa": _number(0, 2e5),
        "max_pa": _number(0, 2e5, True),
        "noise_pa": _number(0, 1e4),
        "resolution_pa": _number(0, 1e3),
        "lag_s": _number(0, 10),
        "bias_pa": _number(-1e4, 1e4),
        "transonic_mach": _number(0.1, 5),
        "supersonic": _choice("stagnation", "static"),
        "part": _choice(*sensors.BARO_PARTS),
        "spike_per_h": _number(0, 36000),
        "spike_pa": _number(0, 1e5),
    },
    "accel": {
        "range_g": _number(1, 1000, True),
        "noise_mg": _number(0, 1e4),
        "resolution_mg": _number(0, 1e3),
        "bias_mg": None,  # checked below: a list of 3 numbers
        "mounting": _axes,
        "oscillation_deg": _number(0, 90),
        "oscillation_period_s": _number(0.1, 100),
    },
    "gnss": {
        "rate_hz": _number(0.2, 10),
        "max_alt_m": _number(0, 1e6, True),
        "max_speed_m_s": _number(0, 1e5, True),
        "limit_logic": _choice("either", "both"),
        "blackout_speed_m_s": _number(0, 20000),
        "first_fix_s": _number(0, 3600),
        "reacquire_s": _number(0, 3600),
        "horizontal_noise_m": _number(0, 1e4),
        "vertical_noise_m": _number(0, 1e4),
        "sats": _integer(0, 99),
        "hdop": _number(0, 99.99),
        "talker": _choice("GP", "GN", "GL", "GA"),
    },
    "battery": {
        "start_mv": _number(0, 65535),
        "drain_mv_per_h": _number(0, 1e5),
        "noise_mv": _number(0, 1000),
        "min_mv": _number(0, 65535),
        "cold_mv_per_c": _number(0, 100),
        "cold_from_c": _number(-60, 60),
        "thermal_tau_s": _number(1, 1e6),
        "start_c": _number(-60, 60),
    },
}
FAULT_KEYS = {
    "drogue_fails": _bool,
    "main_fails": _bool,
    "baro_stuck_at_s": _number(-3600, 1e6),
    "baro_dead_at_s": _number(-3600, 1e6),
    "baro_noise_pa": _number(0, 1e5),
    "accel_dead_at_s": _number(-3600, 1e6),
    "accel_mounting": _axes,
    "gnss_never_fix": _bool,
    "gnss_dead_at_s": _number(-3600, 1e6),
    "power_loss_at_s": _times,
    "power_off_s": _number(0, 600),
    "serial_garbage_per_s": _number(0, 1000),
    "serial_corrupt_fraction": _number(0, 1),
}
EXPECT_KEYS = {
    "drogue_fired": _bool,
    "main_fired": _bool,
    "drogue_fire_altitude_m": _range_pair(-1000, 200000),
    "main_fire_altitude_m": _range_pair(-1000, 200000),
    "max_landing_speed_m_s": _number(0, 20000, True),
    "beacon_within_s": _number(0, 1e6),
    "beacon_position_within_m": _number(0, 1e7, True),
    "no_fire": _bool,
    "refuses_arm": _bool,
    "no_double_fire": _bool,
    "landed_within_s": _number(0, 1e6),
    "phases": _phases,
    "quiet_until_release": _bool,
}
# a balloon's release must be at least this far above the ground it rose from
RELEASE_MIN_AGL_M = 100.0
BALLOON_KEYS = {
    "ascent_rate_m_s": _number(0.5, 20),
    "release_altitude_m": _number(100, 50000),
    "release_s": _number(1, 86400),
    "release": _choice(*balloon.RELEASE_KINDS),
    "line_m": _number(0.2, 100),
    "swing_mg": _number(0, 2000),
    "spin_period_s": _number(1, 3600),
    "turbulence_mg": _number(0, 5000),
    "remains_cd_area_m2": _number(0, 100),
    "remains_s": _number(0, 3600),
    "board_offset_m": _number(0, 2),
}
RUN_KEYS = {
    "sample_hz": _number(1, 2000),
    "after_landing_s": _number(0, 86400),
    "max_flight_s": _number(1, 86400 * 2),
    "board_start_ms": _integer(0, 2**30 - 1),
    "seed": _integer(0, 2**63 - 1),  # sensor noise seed when --seed is not given
}
DISPERSION_KEYS = {
    "mass_frac": _number(0, 0.5),
    "cd_area_frac": _number(0, 0.5),
    "chute_cd_area_frac": _number(0, 0.5),
    "speed_m_s": _number(0, 1000),
    "flight_path_deg": _number(0, 10),
    "heading_deg": _number(0, 30),
    "altitude_m": _number(0, 10000),
    "wind_speed_frac": _number(0, 2),
    "wind_speed_m_s": _number(0, 50),
    "wind_dir_deg": _number(0, 180),
    "baro_bias_pa": _number(0, 1e4),
    "baro_noise_frac": _number(0, 2),
    "accel_bias_mg": _number(0, 1e4),
    "accel_noise_frac": _number(0, 2),
    "inflation_frac": _number(0, 1),
}
DEFAULT_DISPERSION = {
    "mass_frac": 0.01,
    "cd_area_frac": 0.05,
    "chute_cd_area_frac": 0.08,
    "speed_m_s": 5.0,
    "flight_path_deg": 0.05,
    "heading_deg": 0.1,
    "altitude_m": 20.0,
    "wind_speed_frac": 0.3,
    "wind_speed_m_s": 2.0,
    "wind_dir_deg": 20.0,
    "baro_bias_pa": 30.0,
    "baro_noise_frac": 0.3,
    "accel_bias_mg": 30.0,
    "accel_noise_frac": 0.3,
    "inflation_frac": 0.2,
}
# the tables a scenario file may hold, in the order a written one lists them
TABLES = (
    "capsule",
    "start",
    "balloon",
    "chutes",
    "ground",
    "wind",
    "sensors",
    "config",
    "faults",
    "expect",
    "run",
    "dispersion",
    "receivers",
    "radio",
)
# the tables `validate` always fills in, read as Scenario attributes
VIEWED_TABLES = ("capsule", "start", "chutes", "ground", "config", "faults", "expect", "run")
REQUIRED = {
    "capsule": ("mass_kg", "cd_area_m2"),
    "start": ("altitude_m", "speed_m_s", "flight_path_deg", "lat", "lon"),
    "chute": ("cd_area_m2", "inflation_s"),
    "ground": ("elevation_m",),
}


def firmware_config_keys():
    """The configuration keys the firmware knows: the rows of
    firmware/config_schema.py's SCHEMA (the module also runs on CPython)."""
    try:
        schema = firmware_module("config_schema").SCHEMA
    except (OSError, SyntaxError, ImportError, AttributeError) as exc:
        raise ScenarioError(
            f"cannot read the firmware's config keys from {FIRMWARE_CONFIG}: {exc}"
        ) from None
    return {row[0] for row in schema}


def config_value_text(value):
    """A TOML value as the firmware's `config set KEY VALUE` wants it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the scenario -----------------------------------------------------------------
@dataclass
class Scenario:
    """A validated scenario. `raw` is the TOML data it came from (with the
    defaults filled in by `validate`), which is all a Monte Carlo worker needs."""

    name: str
    path: str
    raw: dict

    # convenient views ---------------------------------------------------------
    @property
    def description(self):
        return self.raw.get("description", "")

    def __getattr__(self, name):
        """The validated tables as attributes: `sc.capsule` is raw["capsule"]."""
        raw = self.__dict__.get("raw")
        if name in VIEWED_TABLES and raw is not None:
            return raw[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def receivers(self):
        """[[receivers]] (checked dicts), empty when the scenario lists none."""
        return self.raw.get("receivers", [])

    @property
    def dispersion(self):
        out = dict(DEFAULT_DISPERSION)
        out.update(self.raw.get("dispersion", {}))
        return out

    @property
    def sample_hz(self):
        if "sample_hz" in self.config:
            return float(self.config["sample_hz"])
        return float(self.run.get("sample_hz", 100.0))

    @property
    def balloon(self):
        """The balloon.Balloon of a balloon-carried drop, else None."""
        b = self.raw.get("balloon")
        if b is None:
            return None
        return balloon.Balloon(launch_elevation_m=self.ground["elevation_m"], **b)

    @property
    def stand_altitude_m(self):
        s = self.start
        if "stand_altitude_m" in s:
            return s["stand_altitude_m"]
        if s["speed_m_s"] < 50.0:  # a drop from rest: hanging under the drone
            return s["altitude_m"]
        return self.ground["elevation_m"]

    @property
    def utc_start_s(self):
        return self.start.get("utc_s", _utc("2026-03-01T12:00:00Z"))

    # builders ------------------------------------------------------------------
    def make_flight(self, max_dt_s=physics.DEFAULT_MAX_DT_S):
        s = self.start
        faults = self.faults
        chutes = []
        for channel in CHANNELS:
            c = self.chutes.get(channel)
            if c is None:
                continue
            chutes.append(
                physics.Chute(
                    channel=channel,
                    cd_area_m2=c["cd_area_m2"],
                    inflation_s=c["inflation_s"],
                    deploy_delay_s=c.get("deploy_delay_s", 0.5),
                    fails=bool(faults.get(channel + "_fails", False)),
                    max_deploy_speed_m_s=c.get("max_deploy_speed_m_s", math.inf),
                    released_by=c.get("released_by", "main" if channel == "drogue" else ""),
                )
            )
        wind = None
        w = self.raw.get("wind")
        if w:
            wind = physics.Wind(tuple(w["altitude_m"]), tuple(w["speed_m_s"]), tuple(w["from_deg"]))
        kwargs = {
            "mass_kg": self.capsule["mass_kg"],
            "cd_area_m2": self.capsule["cd_area_m2"],
            "alt_m": s["altitude_m"],
            "speed_m_s": s["speed_m_s"],
            "flight_path_deg": s["flight_path_deg"],
            "heading_deg": s.get("heading_deg", 90.0),
            "lat": s["lat"],
            "lon": s["lon"],
            "ground_elevation_m": self.ground["elevation_m"],
            "chutes": chutes,
            "wind": wind,
            "max_dt_s": max_dt_s,
            "impact_s": self.ground.get("impact_s", IMPACT_S[self.ground.get("surface", "land")]),
        }
        if self.balloon is not None:
            return balloon.BalloonFlight(self.balloon, kwargs, wind)
        return physics.Flight(**kwargs)

    def make_sensors(self, seed=0):
        sens = self.raw.get("sensors", {})
        faults = self.faults
        baro_cfg = dict(sens.get("baro", {}))
        if baro_cfg.get("part"):
            baro_cfg = {**sensors.BARO_PARTS[baro_cfg["part"]], **baro_cfg}
        baro = sensors.Baro(seed=seed, **baro_cfg)
        baro.stuck_at_s = faults.get("baro_stuck_at_s")
        baro.dead_at_s = faults.get("baro_dead_at_s")
        baro.extra_noise_pa = faults.get("baro_noise_pa", 0.0)
        accel_cfg = dict(sens.get("accel", {}))
        if "accel_mounting" in faults:
            accel_cfg["mounting"] = faults["accel_mounting"]
        if "bias_mg" in accel_cfg:
            accel_cfg["bias_mg"] = tuple(accel_cfg["bias_mg"])
        accel = sensors.Accel(**accel_cfg)
        if self.balloon is not None:
            accel.motion = balloon.BodyMotion(self.balloon, seed)
        accel.dead_at_s = faults.get("accel_dead_at_s")
        gnss = sensors.Gnss(**sens.get("gnss", {}))
        gnss.never_fix = bool(faults.get("gnss_never_fix", False))
        gnss.dead_at_s = faults.get("gnss_dead_at_s")
        battery = sensors.Battery(**sens.get("battery", {}))
        serial = sensors.SerialNoise(
            garbage_per_s=faults.get("serial_garbage_per_s", 0.0),
            corrupt_fraction=faults.get("serial_corrupt_fraction", 0.0),
        )
        return sensors.SensorSuite(baro, accel, gnss, battery, serial, seed=seed)

    def effective_config(self):
        """[config] plus what the scenario implies and the firmware must know:
        the ground elevation (unless [config] sets it, e.g. wrongly on purpose)
        and a non-default sample rate."""
        cfg = {}
        if "ground_elevation_m" not in self.config:
            cfg["ground_elevation_m"] = round(self.ground["elevation_m"])
        if "sample_hz" not in self.config and self.run.get("sample_hz", 100.0) != 100.0:
            cfg["sample_hz"] = round(self.run["sample_hz"])
        cfg.update(self.config)
        return cfg

    def config_commands(self):
        """`config set KEY VALUE` lines: implied keys first, then [config] in file order."""
        return [
            f"config set {k} {config_value_text(v)}" for k, v in self.effective_config().items()
        ]

    def dispersed(self, rng):
        """A copy with parameters drawn around this scenario's (Monte Carlo)."""
        d = self.dispersion
        raw = copy.deepcopy(self.raw)

        def scale(frac):
            return max(0.05, 1.0 + frac * rng.standard_normal())

        raw["capsule"]["mass_kg"] *= scale(d["mass_frac"])
        raw["capsule"]["cd_area_m2"] *= scale(d["cd_area_frac"])
        for c in raw["chutes"].values():
            c["cd_area_m2"] *= scale(d["chute_cd_area_frac"])
            c["inflation_s"] *= scale(d["inflation_frac"])
        s = raw["start"]
        if s["speed_m_s"] > 0:
            s["speed_m_s"] = max(0.0, s["speed_m_s"] + d["speed_m_s"] * rng.standard_normal())
        s["flight_path_deg"] = max(
            -90.0, min(90.0, s["flight_path_deg"] + d["flight_path_deg"] * rng.standard_normal())
        )
        s["heading_deg"] = (
            s.get("heading_deg", 90.0) + d["heading_deg"] * rng.standard_normal()
        ) % 360.0
        s["altitude_m"] = max(
            raw["ground"]["elevation_m"] + 10.0,
            s["altitude_m"] + d["altitude_m"] * rng.standard_normal(),
        )
        if "stand_altitude_m" not in s and s["speed_m_s"] < 50.0:
            s["stand_altitude_m"] = s["altitude_m"]
        w = raw.get("wind") or {"altitude_m": [0.0], "speed_m_s": [0.0], "from_deg": [0.0]}
        k = scale(d["wind_speed_frac"])
        extra = d["wind_speed_m_s"] * abs(rng.standard_normal())
        turn = d["wind_dir_deg"] * rng.standard_normal()
        w["speed_m_s"] = [min(200.0, max(0.0, v * k + extra)) for v in w["speed_m_s"]]
        w["from_deg"] = [(v + turn) % 360.0 for v in w["from_deg"]]
        raw["wind"] = w
        sens = raw.setdefault("sensors", {})
        baro = sens.setdefault("baro", {})
        baro["bias_pa"] = baro.get("bias_pa", 0.0) + d["baro_bias_pa"] * rng.standard_normal()
        baro["noise_pa"] = baro.get("noise_pa", sensors.Baro.noise_pa) * scale(d["baro_noise_frac"])
        acc = sens.setdefault("accel", {})
        bias = acc.get("bias_mg", [0.0, 0.0, 0.0])
        acc["bias_mg"] = [b + d["accel_bias_mg"] * rng.standard_normal() for b in bias]
        acc["noise_mg"] = acc.get("noise_mg", sensors.Accel.noise_mg) * scale(d["accel_noise_frac"])
        return Scenario(self.name, self.path, raw)


def _fail(where, key, message):
    raise ScenarioError(f"{where[0]}: {where[1]}{key}: {message}")


def _check_table(data, keys, where, required=()):
    """Validate one table against {key: check}; returns the checked dict."""
    table_name = where[1]
    if not isinstance(data, dict):
        raise ScenarioError("{}: {} must be a table".format(where[0], table_name.strip() or "file"))
    for key in required:
        if key not in data:
            _fail(where, key, "missing (required)")
    out = {}
    for key, value in data.items():
        if key not in keys:
            allowed = ", ".join(sorted(keys))
            _fail(where, key, f"unknown key (allowed: {allowed})")
        check = keys[key]
        if check is None:
            out[key] = value
            continue
        try:
            out[key] = check(value)
        except (ValueError, TypeError) as exc:
            _fail(where, key, f"{exc}, got {value!r}")
    return out


def _named_tables(data, table, allowed, what, source):
    """The sub-tables [table.NAME] of a scenario, every NAME one of `allowed`
    (an unknown one is an error naming the `what` and the allowed names)."""
    tables = data.get(table, {})
    if not isinstance(tables, dict):
        raise ScenarioError(f"{source}: [{table}] must be a table")
    unknown = [name for name in tables if name not in allowed]
    if unknown:
        raise ScenarioError(
            f"{source}: [{table}.{unknown[0]}]: unknown {what} (allowed: {', '.join(allowed)})"
        )
    return tables


def validate(data, source="scenario", config_keys=None):
    """Check a parsed TOML document; returns a `Scenario` or raises ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: not a TOML table")
    for key in data:
        if key not in TABLES and key not in TOP_KEYS:
            allowed = ", ".join(sorted(TOP_KEYS) + [f"[{t}]" for t in TABLES])
            raise ScenarioError(f"{source}: {key}: unknown key or table (allowed: {allowed})")
    raw = _check_table({k: data[k] for k in TOP_KEYS if k in data}, TOP_KEYS, (source, ""))
    if "name" not in raw:
        raw["name"] = Path(source).stem
    start_required = REQUIRED["start"]
    if "balloon" in data:  # the flight starts on the ground under the balloon
        start_required = ("lat", "lon")
    for table, keys in (
        ("capsule", CAPSULE_KEYS),
        ("start", START_KEYS),
        ("ground", GROUND_KEYS),
        ("faults", FAULT_KEYS),
        ("expect", EXPECT_KEYS),
        ("run", RUN_KEYS),
        ("dispersion", DISPERSION_KEYS),
    ):
        if table not in data and table in REQUIRED:
            raise ScenarioError(f"{source}: [{table}]: missing table (required)")
        required = start_required if table == "start" else REQUIRED.get(table, ())
        raw[table] = _check_table(data.get(table, {}), keys, (source, f"[{table}] "), required)
    if "utc" in raw["start"]:
        raw["start"]["utc_s"] = raw["start"].pop("utc")
    if "balloon" in data:
        _validate_balloon(data["balloon"], raw, source)
    # chutes
    raw["chutes"] = {
        channel: _check_table(
            table, CHUTE_KEYS, (source, f"[chutes.{channel}] "), REQUIRED["chute"]
        )
        for channel, table in _named_tables(data, "chutes", CHANNELS, "chute", source).items()
    }
    # wind
    if "wind" in data:
        w = _check_table(data["wind"], WIND_KEYS, (source, "[wind] "), tuple(WIND_KEYS))
        n = len(w["altitude_m"])
        for key in ("speed_m_s", "from_deg"):
            if len(w[key]) != n:
                _fail((source, "[wind] "), key, f"must have as many values as altitude_m ({n})")
        if any(b <= a for a, b in zip(w["altitude_m"], w["altitude_m"][1:])):
            _fail((source, "[wind] "), "altitude_m", "must be strictly increasing")
        raw["wind"] = w
    # sensors
    raw["sensors"] = {}
    sensor_tables = _named_tables(data, "sensors", sorted(SENSOR_KEYS), "sensor", source)
    for kind, table in sensor_tables.items():
        where = (source, f"[sensors.{kind}] ")
        checked = _check_table(table, SENSOR_KEYS[kind], where)
        if "bias_mg" in checked:
            b = checked["bias_mg"]
            if (
                not isinstance(b, list)
                or len(b) != 3
                or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in b)
            ):
                _fail(where, "bias_mg", f"must be a list of 3 numbers (x, y, z), got {b!r}")
            checked["bias_mg"] = [float(x) for x in b]
        raw["sensors"][kind] = checked
    # firmware configuration
    cfg = data.get("config", {})
    if not isinstance(cfg, dict):
        raise ScenarioError(f"{source}: [config] must be a table")
    firmware_keys = None
    if config_keys is None:
        config_keys = firmware_keys = firmware_config_keys()
    for key, value in cfg.items():
        if key not in config_keys and not key.startswith("beacon_"):
            _fail(
                (source, "[config] "),
                key,
                "unknown firmware config key (known: {})".format(", ".join(sorted(config_keys))),
            )
        if isinstance(value, (dict, list)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            _fail((source, "[config] "), key, f"must be a number, string or boolean, got {value!r}")
        if isinstance(value, str) and (not value or any(c in value for c in "\r\n*")):
            _fail((source, "[config] "), key, "must be a non-empty one-line string without '*'")
    raw["config"] = dict(cfg)
    _validate_radio_link(data, raw, source)
    # cross-field rules
    s = raw["start"]
    if s["altitude_m"] <= raw["ground"]["elevation_m"]:
        _fail((source, "[start] "), "altitude_m", "must be above [ground] elevation_m")
    b = raw["sensors"].get("baro", {})
    if b.get("min_pa", 0) >= b.get("max_pa", math.inf):
        _fail((source, "[sensors.baro] "), "min_pa", "must be below max_pa")
    for channel, c in raw["chutes"].items():
        if c.get("released_by") == channel:
            _fail((source, f"[chutes.{channel}] "), "released_by", "a chute cannot release itself")
    if raw["expect"].get("quiet_until_release") and "balloon" not in raw:
        _fail((source, "[expect] "), "quiet_until_release", "the scenario has no [balloon]")
    for key in ("drogue_fired", "drogue_fire_altitude_m"):
        if key in raw["expect"] and "drogue" not in raw["chutes"]:
            _fail((source, "[expect] "), key, "the scenario has no [chutes.drogue]")
    for key in ("main_fired", "main_fire_altitude_m"):
        if key in raw["expect"] and "main" not in raw["chutes"]:
            _fail((source, "[expect] "), key, "the scenario has no [chutes.main]")
    sc = Scenario(raw["name"], source, raw)
    if config_keys is firmware_keys:
        _check_config_values(sc, source)
    return sc


def _check_config_values(sc, source):
    """The settings the board would be given, checked with the firmware's
    own schema (types, ranges, order): a [config] the board would reject
    (a string "400" for an integer, an out-of-range height) never flies."""
    errors = firmware_module("config_schema").validate(sc.effective_config(), _vboard_radio())
    if errors:
        raise ScenarioError(
            f"{source}: [config] the board would reject {len(errors)} "
            f"setting{'s' if len(errors) != 1 else ''}: " + "; ".join(errors)
        )


def _vboard_radio():
    """The virtual board's radio (firmware hw_sim.SimRadio), for the schema's
    beacon duty-cycle check; beacon_duty imported first, under its own name,
    where that check finds it."""
    firmware_import("beacon_duty", "aprs", "sbd")
    return firmware_import("hw_sim").SimRadio(None)


def _validate_radio_link(data, raw, source):
    """[[receivers]] and [radio]: the link model's ground stations and beacon."""
    try:
        if "receivers" in data:
            raw["receivers"] = radio_link.receivers_from_table(data["receivers"], source)
        if "radio" in data:
            raw["radio"] = radio_link.radio_from_table(data["radio"], source)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None


def _validate_balloon(table, raw, source):
    """[balloon]: check the keys, then fill in [start] from the release (the
    start state others read: altitude for the progress bar, the stand on
    the ground)."""
    where = (source, "[balloon] ")
    b = _check_table(table, BALLOON_KEYS, where)
    if ("release_altitude_m" in b) == ("release_s" in b):
        _fail(where, "release_altitude_m", "give exactly one of release_altitude_m, release_s")
    ground = raw["ground"]["elevation_m"]
    if b.get("release_altitude_m", math.inf) <= ground + RELEASE_MIN_AGL_M:
        _fail(
            where,
            "release_altitude_m",
            f"must be above the ground ({ground:g} m) by {RELEASE_MIN_AGL_M:g} m",
        )
    for key in ("altitude_m", "speed_m_s", "flight_path_deg", "stand_altitude_m"):
        if key in raw["start"]:
            _fail(
                (source, "[start] "),
                key,
                "set by [balloon] (the flight starts on the ground under the balloon)",
            )
    raw["balloon"] = b
    model = balloon.Balloon(launch_elevation_m=ground, **b)
    raw["start"]["altitude_m"] = model.release_alt_m
    raw["start"]["speed_m_s"] = b.get("ascent_rate_m_s", balloon.Balloon.ascent_rate_m_s)
    raw["start"]["flight_path_deg"] = 90.0
    raw["start"]["stand_altitude_m"] = ground


def load(path, config_keys=None):
    """Read and validate one scenario file (a path or a library name)."""
    p = Path(path)
    if not p.exists():
        found = find(str(path))
        if found is None:
            raise ScenarioError(
                "{}: no such file or library scenario (library: {})".format(
                    path, ", ".join(library_names())
                )
            )
        p = found
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p.name}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: cannot read: {exc}") from None
    scenario = validate(data, p.name, config_keys)
    scenario.path = str(p)
    return scenario


# the envelope campaign's ranges (droptest/envelope.py) live beside the
# scenarios but are not one
NOT_SCENARIOS = ("envelope.toml",)


def library():
    """Paths of the scenarios that ship with the package, sorted by name."""
    return sorted(p for p in SCENARIO_DIR.glob("*.toml") if p.name not in NOT_SCENARIOS)


def library_names():
    return [p.stem for p in library()]


def find(name):
    """A library scenario by bare name ('nominal_leo' or 'nominal_leo.toml')."""
    stem = Path(name).name
    stem = stem.removesuffix(".toml")
    p = SCENARIO_DIR / (stem + ".toml")
    return p if p.exists() and p.name not in NOT_SCENARIOS else None
