"""The board's flight configuration: `config.json`, its schema and its checks.

Why: every threshold the sequencer uses is a number someone typed. A typo must
not become a default silently, and a wrong number must not reach the flight
loop. This module promises:
  * `SCHEMA` is the one table of keys: type, default, allowed range (units in
    the key's name) and a help line; `capsule config` and the `config`
    command show it;
  * `load` never raises: a missing file gives the defaults; a bad file, an
    unknown key, a wrong type, an out-of-range or inconsistent value is
    rejected with an error message naming the key and the allowed range, one
    per bad entry. `cfg.errors` keeps every message and the sequencer refuses
    to arm while it is not empty (the board keeps running, safe, and `status`
    lists them). A rejected key holds its default only so the loop can run;
    it is never flown, and `config set` never writes it into the file
    (config_schema.store);
  * `set_value` parses one value typed by a person and checks it against the
    schema and the rest of the configuration before changing anything;
  * given the board's beacon radio (`load`, `set_value`, `validate`; at
    boot app.App checks once its beacon is built), the settings must let
    the beacon's longest packet fit the hour's duty-cycle budget
    (beacon_duty.py); a file that does not gives that error with
    duty_cycle_permille at its default, and `config set` refuses it;
  * `save` is atomic (write a temporary file, then rename it);
  * `config_hash` identifies the settings in the flight log header;
  * the flight loop reads fixed-point copies made once at load
    (`cfg.main_deploy_cm`, `cfg.entry_mg`, `cfg.drogue_backup_ms`, ...), so it
    never converts or allocates.

Defaults are safe for the default mode (reentry) across the flight envelope
the drop tests fly (7.4-12.5 km/s, -1 to -12 deg, ballistic coefficient
30-150 kg/m2, drogue 5-30 km, main 0.5-3 km): the backup timers count from the
entry pulse and trail the slowest nominal timeline (a light capsule to a 5 km
drogue takes about 10 minutes after the pulse; under its drogue from 30 km to
0.5 km about 12), and never fire while a working baro reads above the deploy
height. Everything here allocates; none of it runs per sample.
Heap: the schema, its help texts and the checks live in `config_schema`,
imported for each call below and dropped from `sys.modules` afterwards, so
during a flight only this small module and the Config object stay resident.
Tables such as `config.SCHEMA` are still readable here (loaded on access).
"""

import sys

CONFIG_PATH = "config.json"
_IMPL = "config_schema"


def _call(name, *args):
    """Call config_schema.<name>(*args), then drop the module again unless
    an outer call is still using it."""
    loaded = _IMPL in sys.modules
    impl = __import__(_IMPL)
    try:
        return getattr(impl, name)(*args)
    finally:
        if not loaded:
            del sys.modules[_IMPL]


def __getattr__(name):
    """Module tables (SCHEMA, ...) for tools and tests, loaded on access."""
    if name.startswith("__"):
        raise AttributeError(name)
    loaded = _IMPL in sys.modules
    impl = __import__(_IMPL)
    try:
        return getattr(impl, name)
    finally:
        if not loaded:
            del sys.modules[_IMPL]


class Config:
    """Attribute bag: one attribute per schema key plus the derived fixed-point
    copies (see `derive`). `errors` lists load problems still unfixed."""

    def __init__(self):
        _call("defaults", self)

    def get(self, key):
        return getattr(self, key)


def load(path=CONFIG_PATH, radio=None):
    """(cfg, errors): cfg is always usable (defaults where the file is invalid).
    radio: the board's beacon radio, whose duty cycle the settings must fit."""
    return _call("load", path, radio)


def set_value(cfg, key, text, radio=None):
    """Set one key from text; returns an error message (cfg unchanged) or None."""
    return _call("set_value", cfg, key, text, radio)


def validate(d, radio=None):
    """Error messages for a dict of settings; [] if valid."""
    return _call("validate", d, radio)


def describe(key):
    """(type, default, allowed, help) for a key, or None."""
    return _call("describe", key)


def keys():
    return _call("keys")


def allowed_text(row):
    return _call("allowed_text", row)


def parse_text(row, text):
    return _call("parse_text", row, text)


def parse_axes(text):
    """'+x+y+z' -> ((src_index, sign), ...) for capsule x, y, z, or None."""
    return _call("parse_axes", text)


def as_items(cfg):
    """[(key, value)] in schema order, for `config` listings and the log header."""
    return _call("as_items", cfg)


def to_dict(cfg):
    return _call("to_dict", cfg)


def save(cfg, path=CONFIG_PATH):
    """Write cfg atomically; clears cfg.errors."""
    return _call("save", cfg, path)


def config_hash(cfg):
    """CRC-32 of the canonical key=value text, for the flight log header."""
    return _call("config_hash", cfg)


def derive(cfg):
    """Fixed-point copies the flight loop reads (ints, scale in the name)."""
    return _call("derive", cfg)
