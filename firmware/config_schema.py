"""Schema, checks, load/save of `config.json` (the implementation behind `config`).

Why a separate module: the schema table with its help texts, the checks and
the messages are needed at boot and on a `config` command only. `config`
imports this module for the call and drops it afterwards, so none of it stays
resident during the flight. Do not import it directly from flight code; call
`config`. Everything here allocates; none of it runs per sample.
"""

import json
import os
import sys

try:
    import binascii

    _crc32 = binascii.crc32
except (ImportError, AttributeError):  # pragma: no cover
    _crc32 = None

CONFIG_PATH = "config.json"

# fmt: off
# (key, type, default, lo, hi, help)
#   int / float: lo..hi inclusive; str: length lo..hi; enum: lo = choices;
#   axes: the mounting string (see boards/README.md).
SCHEMA = (
    ("start_mode", "enum", "reentry", ("reentry", "drop"), None,
     "how the descent starts: reentry = g-switch, drop = free fall or descent rate"),
    ("entry_g", "float", 3.0, 1.5, 50.0,
     "reentry: acceleration magnitude (g) that, held for entry_ms, starts the descent"),
    ("entry_ms", "int", 1000, 300, 10000,
     "how long the entry (or drop) condition must hold, ms"),
    ("drop_speed_m_s", "float", 8.0, 3.0, 300.0,
     "sustained descent rate that starts the descent, once the accelerometer has read unloaded (free fall also does)"),
    ("drogue_deploy_m", "int", 10000, 100, 30000,
     "drogue fires at or below this height above ground, if slow enough"),
    ("drogue_max_speed_m_s", "int", 200, 10, 400,
     "drogue waits until descending slower than this (transonic lockout)"),
    ("drogue_backup_s", "int", 720, 1, 3600,
     "drogue fires this long after the entry pulse (drop: the release) unless the baro reads above drogue_deploy_m"),
    ("main_deploy_m", "int", 2000, 50, 10000,
     "main fires at or below this height above ground (debounced)"),
    ("main_max_speed_m_s", "int", 90, 5, 300,
     "at main_deploy_m the main waits while descending faster than this (down to half that height)"),
    ("main_backup_s", "int", 900, 1, 3600,
     "main fires this long after the drogue unless the baro reads above main_deploy_m"),
    ("main_debounce_n", "int", 5, 1, 100,
     "consecutive baro samples at or below main_deploy_m before the main fires"),
    ("drogue_fail_speed_m_s", "int", 35, 5, 300,
     "drogue deemed failed when descending faster than this (at sea level; scaled to the air's density) ..."),
    ("drogue_fail_s", "int", 10, 1, 600,
     "... for this long after the drogue fired"),
    ("baro_max_speed_m_s", "int", 240, 50, 400,
     "dead accelerometer: the entry is over after a steady baro descent slower than this (about Mach 0.7)"),
    ("landed_s", "int", 20, 2, 600,
     "height and acceleration steady this long means landed"),
    ("fire_pulse_ms", "int", 500, 10, 5000,
     "pyro output on-time per fire"),
    ("ground_elevation_m", "int", 0, -500, 6000,
     "elevation of the landing site (0 at sea)"),
    ("baro_min_pa", "int", 1000, 100, 50000,
     "lowest pressure the barometer measures (MS5611 1000, BMP280/BMP388 30000); below 102 % of it a reading is out of range"),
    ("sea_level_pa", "int", 101325, 87000, 108500,
     "sea-level pressure (QNH) of the day at the landing site"),
    ("accel_axes", "axes", "+x+y+z", None, None,
     "board axes along the capsule x, y, z (z up on the stand)"),
    ("sample_hz", "enum", 100, (10, 20, 25, 50, 100, 200), None,
     "sensor sample rate (the filter's gains are tabulated per rate)"),
    ("callsign", "str", "N0CALL", 1, 6,
     "beacon callsign (letters and digits)"),
    ("ssid", "int", 11, 0, 15, "APRS SSID"),
    ("lora_freq_khz", "int", 433775, 137000, 1020000, "beacon frequency"),
    # 433.05-434.79 MHz (the LoRa APRS default) allows 10 % in the EU (ERC Rec 70-03);
    # set 10 (1 %) for the 868 MHz g1 sub-band.
    ("duty_cycle_permille", "int", 100, 1, 1000, "radio duty-cycle limit (100 = 10 %)"),
    ("beacon_descent_s", "int", 5, 1, 3600, "beacon period under the chutes"),
    ("beacon_landed_s", "int", 30, 1, 86400, "beacon period after landing"),
    ("beacon_slow_s", "int", 120, 1, 86400, "beacon period after beacon_slow_after_s"),
    ("beacon_slow_after_s", "int", 3600, 0, 1000000, "switch to beacon_slow_s after this long"),
    ("batt_low_mv", "int", 3500, 2500, 5000, "battery low threshold (also refuses arming)"),
)
# fmt: on

_BY_KEY = {}
for _row in SCHEMA:
    _BY_KEY[_row[0]] = _row

# pairs that must keep an order: (lower key, upper key, strictly, why)
_ORDERED = (
    ("main_deploy_m", "drogue_deploy_m", True, "the main deploys below the drogue"),
    ("beacon_landed_s", "beacon_slow_s", False, "the slow beacon must not be faster"),
)


def defaults(cfg):
    """Give cfg every key's default value and no errors, then derive."""
    for row in SCHEMA:
        setattr(cfg, row[0], row[2])
    cfg.errors = []
    derive(cfg)


def keys():
    return [row[0] for row in SCHEMA]


def describe(key):
    """(type, default, allowed, help) for a key, or None."""
    row = _BY_KEY.get(key)
    if row is None:
        return None
    return (row[1], row[2], allowed_text(row), row[5])


def allowed_text(row):
    kind, lo, hi = row[1], row[3], row[4]
    if kind in ("int", "float"):
        return "%s..%s" % (lo, hi)
    if kind == "enum":
        return "|".join(str(c) for c in lo)
    if kind == "str":
        return "%d..%d characters A-Z 0-9" % (lo, hi)
    return "sign+axis x3, each of x y z once, e.g. +x+y+z or -z+y+x"


def parse_axes(text):
    """'+x+y+z' -> ((src_index, sign), ...) for capsule x, y, z, or None."""
    if not isinstance(text, str) or len(text) != 6:
        return None
    out = []
    seen = 0
    for i in range(3):
        s, a = text[2 * i], text[2 * i + 1]
        if s not in "+-" or a not in "xyz":
            return None
        idx = "xyz".index(a)
        if seen & (1 << idx):
            return None
        seen |= 1 << idx
        out.append((idx, 1 if s == "+" else -1))
    return tuple(out)


def _is_choice(value, choices):
    for c in choices:
        if type(value) is type(c) and value == c:
            return True
    return False


def _check_value(row, value):
    """Error text for one value against its schema row, or None."""
    key, kind, lo, hi = row[0], row[1], row[3], row[4]
    if kind == "int":
        if type(value) is not int:
            return "%s: %r is not an integer (allowed %s)" % (key, value, allowed_text(row))
        if not lo <= value <= hi:
            return "%s: %d out of range, allowed %s" % (key, value, allowed_text(row))
    elif kind == "float":
        if type(value) not in (int, float):
            return "%s: %r is not a number (allowed %s)" % (key, value, allowed_text(row))
        if not lo <= value <= hi:
            return "%s: %s out of range, allowed %s" % (key, value, allowed_text(row))
    elif kind == "enum":
        if not _is_choice(value, lo):
            return "%s: %r not one of %s" % (key, value, allowed_text(row))
    elif kind == "str":
        ok = isinstance(value, str) and lo <= len(value) <= hi
        if ok:
            for c in value:
                if not ("A" <= c <= "Z" or "0" <= c <= "9"):
                    ok = False
        if not ok:
            return "%s: %r invalid, allowed %s" % (key, value, allowed_text(row))
    elif kind == "axes" and parse_axes(value) is None:
        return "%s: %r invalid, allowed %s" % (key, value, allowed_text(row))
    return None


def _consistency(values, subject=None):
    """[(low, high, message)] for rules that involve two keys; values: key ->
    value. The message starts with `subject` when it is one of the two keys
    (the key a person just typed), else with the lower key."""
    errors = []
    for low, high, strict, why in _ORDERED:
        a, b = values[low], values[high]
        if a > b or (strict and a == b):
            if subject == high:
                msg = "%s: %s must be %s %s (%s): %s" % (
                    high,
                    b,
                    "above" if strict else "at least",
                    low,
                    a,
                    why,
                )
            else:
                msg = "%s: %s must be %s %s (%s): %s" % (
                    low,
                    a,
                    "below" if strict else "at most",
                    high,
                    b,
                    why,
                )
            errors.append((low, high, msg))
    return errors


def _beacon_duty(values, radio, subject=None):
    """The beacon duty-cycle rule (beacon_duty.py) for a board with `radio`:
    (the key it rejects, its message), or None. No radio (None): no beacon,
    nothing to check."""
    if radio is None:
        return None
    loaded = "beacon_duty" in sys.modules
    import beacon_duty

    try:
        msg = beacon_duty.error(values, radio, subject)
        return (beacon_duty.KEY, msg) if msg else None
    finally:
        if not loaded:
            del sys.modules["beacon_duty"]


def validate(d, radio=None):
    """Error messages for a dict of settings (a config file's content); [] if valid.

    Keys absent from d take their defaults for the consistency checks.
    radio: the beacon's radio on the board it is for (None: not checked)."""
    if not isinstance(d, dict):
        return ["config: expected a JSON object of key: value"]
    errors = []
    values = {}
    for row in SCHEMA:
        values[row[0]] = row[2]
    for key in d:
        row = _BY_KEY.get(key)
        if row is None:
            errors.append("%s: unknown key (see `config` for the list)" % key)
            continue
        msg = _check_value(row, d[key])
        if msg:
            errors.append(msg)
        else:
            values[key] = d[key]
    for _low, _high, msg in _consistency(values):
        errors.append(msg)
    duty = _beacon_duty(values, radio)
    if duty:
        errors.append(duty[1])
    return errors


def load(path=CONFIG_PATH, radio=None):
    """(cfg, errors): cfg is always usable; errors lists every rejected entry.
    radio: the board's beacon radio, for the duty-cycle check (None: none)."""
    import config

    cfg = config.Config()
    reload(cfg, path, radio)
    return cfg, cfg.errors


def reload(cfg, path=CONFIG_PATH, radio=None):
    """Fill cfg from the file at `path` (the same object: the beacon and the
    sequencer keep theirs). A rejected entry is never flown: its key keeps
    the default only so that the board can run its loop, and cfg.errors names
    it, so the sequencer refuses to arm until the file is put right."""
    defaults(cfg)
    try:
        with open(path) as f:
            text = f.read()
    except OSError:  # no file: the defaults, valid unless the radio is too slow for them
        reject_beacon_duty(cfg, radio)
        return cfg.errors
    try:
        d = json.loads(text)
    except ValueError:
        cfg.errors.append("config: %s is not valid JSON" % path)
        return cfg.errors
    if not isinstance(d, dict):
        cfg.errors.append("config: %s must hold a JSON object" % path)
        return cfg.errors
    for key in d:
        row = _BY_KEY.get(key)
        if row is None:
            cfg.errors.append("%s: unknown key (see `config` for the list)" % key)
            continue
        msg = _check_value(row, d[key])
        if msg:
            cfg.errors.append(msg)
        else:
            setattr(cfg, key, d[key])
    values = _values(cfg)
    for low, high, msg in _consistency(values):
        cfg.errors.append(msg)
        setattr(cfg, low, _BY_KEY[low][2])
        setattr(cfg, high, _BY_KEY[high][2])
    reject_beacon_duty(cfg, radio)
    derive(cfg)
    return cfg.errors


def reject_beacon_duty(cfg, radio):
    """The beacon duty-cycle rule on cfg as loaded: its error appended to
    cfg.errors, and the key it rejects back at its default. At boot the
    board calls it once its beacon is built (app.App), not at load."""
    duty = _beacon_duty(_values(cfg), radio)
    if duty:
        cfg.errors.append(duty[1])
        setattr(cfg, duty[0], _BY_KEY[duty[0]][2])


def store(cfg, key, path=CONFIG_PATH, radio=None):
    """Make the file hold `key`'s new value (set_value took it): None or an
    error. With no load error left, the whole configuration is written. While
    other entries of the file are still rejected, only `key` is changed in
    the file and cfg is loaded from it again: writing the defaults the board
    keeps in place of rejected entries would make them the flight's settings
    without anybody choosing them."""
    if not cfg.errors:
        save(cfg, path)
        return None
    value = getattr(cfg, key)
    try:
        with open(path) as f:
            d = json.loads(f.read())
    except (OSError, ValueError):
        d = None
    if not isinstance(d, dict):
        reload(cfg, path, radio)
        return "%s is not a JSON object of settings: replace it (`capsule config push`)" % path
    d[key] = value
    _write(path, json.dumps(d))
    reload(cfg, path, radio)
    return None


def _values(cfg):
    d = {}
    for row in SCHEMA:
        d[row[0]] = getattr(cfg, row[0])
    return d


def parse_text(row, text):
    """(value, None) or (None, error) for a value typed by a person."""
    kind = row[1]
    text = text.strip()
    try:
        if kind == "int":
            return int(text), None
        if kind == "float":
            return float(text), None
        if kind == "enum":
            for c in row[3]:
                if str(c) == text:
                    return c, None
            return None, "%s: %r not one of %s" % (row[0], text, allowed_text(row))
        if kind == "str":
            return text.upper() if row[0] == "callsign" else text, None
        return text, None
    except ValueError:
        return None, "%s: %r is not a %s (allowed %s)" % (
            row[0],
            text,
            "number" if kind == "float" else "whole number",
            allowed_text(row),
        )


def set_value(cfg, key, text, radio=None):
    """Set one key from text; returns an error message (cfg unchanged) or None.
    radio: the board's beacon radio, for the duty-cycle check (None: none)."""
    row = _BY_KEY.get(key)
    if row is None:
        return "%s: unknown key (see `config` for the list)" % key
    value, err = parse_text(row, text)
    if err:
        return err
    err = _check_value(row, value)
    if err:
        return err
    values = _values(cfg)
    values[key] = value
    for low, high, msg in _consistency(values, key):
        if key in (low, high):
            return msg
    duty = _beacon_duty(values, radio, key)
    if duty:
        return duty[1]
    setattr(cfg, key, value)
    cfg.errors = [e for e in cfg.errors if not e.startswith(key + ":")]
    derive(cfg)
    return None


def as_items(cfg):
    """[(key, value)] in schema order, for `config` listings and the log header."""
    return [(row[0], getattr(cfg, row[0])) for row in SCHEMA]


def to_dict(cfg):
    return _values(cfg)


def save(cfg, path=CONFIG_PATH):
    """Write cfg atomically (temporary file, then rename); clears cfg.errors,
    since the file now holds exactly what the board runs."""
    _write(path, json.dumps(_values(cfg)))
    cfg.errors = []


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    try:
        os.rename(tmp, path)
    except OSError:
        # some filesystems (FAT) refuse to rename over a file: not atomic,
        # but the temporary file still holds the new content if we stop here
        try:
            os.remove(path)
        except OSError:
            pass
        os.rename(tmp, path)


def config_hash(cfg):
    """CRC-32 (int, 0..2**32-1) of the canonical key=value text, for the
    flight log header (printed as 8 hex digits by the host)."""
    text = ";".join("%s=%s" % (k, v) for k, v in as_items(cfg))
    data = text.encode()
    if _crc32 is not None:
        return _crc32(data) & 0xFFFFFFFF
    c = 0xFFFFFFFF  # pragma: no cover
    for b in data:
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if (c ^ b) & 1 else 0)
            b >>= 1
    return c ^ 0xFFFFFFFF


def derive(cfg):
    """Fixed-point copies the flight loop reads (ints, scale in the name)."""
    cfg.reentry_mode = cfg.start_mode == "reentry"
    cfg.entry_mg = int(cfg.entry_g * 1000 + 0.5)
    cfg.drop_speed_cms = int(cfg.drop_speed_m_s * 100 + 0.5)
    cfg.drogue_deploy_cm = cfg.drogue_deploy_m * 100
    cfg.drogue_max_speed_cms = cfg.drogue_max_speed_m_s * 100
    cfg.drogue_backup_ms = cfg.drogue_backup_s * 1000
    cfg.main_deploy_cm = cfg.main_deploy_m * 100
    cfg.main_max_speed_cms = cfg.main_max_speed_m_s * 100
    cfg.main_backup_ms = cfg.main_backup_s * 1000
    cfg.drogue_fail_speed_cms = cfg.drogue_fail_speed_m_s * 100
    cfg.ground_elevation_cm = cfg.ground_elevation_m * 100
    # a part above its range reads its floor (or garbage near it): not a height
    cfg.baro_min_dpa = cfg.baro_min_pa * 102 // 10
    cfg.drogue_fail_ms = cfg.drogue_fail_s * 1000
    cfg.baro_max_speed_cms = cfg.baro_max_speed_m_s * 100
    cfg.landed_ms = cfg.landed_s * 1000
    cfg.sample_period_ms = 1000 // cfg.sample_hz
    axes = parse_axes(cfg.accel_axes) or ((0, 1), (1, 1), (2, 1))
    cfg.axis_x_src, cfg.axis_x_sign = axes[0]
    cfg.axis_y_src, cfg.axis_y_sign = axes[1]
    cfg.axis_z_src, cfg.axis_z_sign = axes[2]
