"""A board's flight configuration on the host: a `config.json` file, checked
with the firmware's own schema (firmware/config_schema.py, loaded through
`paths.firmware_module`, never copied), and the values a board reports.

Used by `capsule config`, `capsule flash --config` (a bad file never reaches
a board), `capsule preflight` and `capsule droptest --port` (a scenario's
[config] is checked before anything flies).
"""

import json
from pathlib import Path

from host_tools.paths import BOARDS_DIR, firmware_import, firmware_module


class ConfigFileError(Exception):
    """A config file that cannot be used: every problem, one per line."""

    def __init__(self, source, errors):
        self.source = source
        self.errors = list(errors)
        super().__init__(
            f"{source}: {len(self.errors)} problem{'s' if len(self.errors) != 1 else ''}:\n  "
            + "\n  ".join(self.errors)
        )


def schema():
    return firmware_module("config_schema")


def defaults():
    """{key: default} in schema order."""
    return {row[0]: row[2] for row in schema().SCHEMA}


def _beacon_duty():
    """firmware/beacon_duty.py, imported under its own name (where the
    schema's check finds it) with the beacon modules it uses, as on a board."""
    return firmware_import("beacon_duty", "aprs", "sbd")


def beacon_radio():
    """The beacon's radio as the host checks a config for it: the virtual
    board's (firmware hw_sim.SimRadio). It has no airtime_ms of its own, so
    the beacon times each packet on the LoRa APRS channel (SF12 / 125 kHz,
    beacon.packet_airtime_ms), the channel every SX127x board in boards/
    keeps (tests/host/test_config_cli.py)."""
    _beacon_duty()
    return firmware_import("hw_sim").SimRadio(None)


def beacon_duty_error(data):
    """Why the beacon could never fit a packet in the duty cycle of these
    settings (defaults for the keys not given) on beacon_radio(), or None."""
    return _beacon_duty().error(effective(data), beacon_radio())


def check(data, board=None):
    """Every problem of a dict of settings, as the board would report it
    ([] when the board takes it), the beacon's duty cycle included. board: a
    board name from boards/, which must exist."""
    errors = list(schema().validate(data, beacon_radio()))
    if board is not None and not (BOARDS_DIR / f"{board}.py").exists():
        known = sorted(p.stem for p in BOARDS_DIR.glob("*.py") if not p.name.startswith("_"))
        errors.append(f"board {board!r} unknown (known: {', '.join(known)})")
    return errors


def read(path, board=None):
    """The settings in a config file, checked; ConfigFileError lists every problem."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigFileError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigFileError(path, [f"not valid JSON: {exc}"]) from None
    errors = check(data, board)
    if errors:
        raise ConfigFileError(path, errors)
    return data


def effective(data):
    """What a board runs with these settings: every key, defaults filled in."""
    values = defaults()
    values.update(data)
    return values


def from_board(fields):
    """{key: value} from a board's `config list` reply fields (text), typed
    by the schema; keys the schema does not know are left out."""
    mod = schema()
    rows = {row[0]: row for row in mod.SCHEMA}
    out = {}
    for key, text in fields.items():
        row = rows.get(key)
        if row is None:
            continue
        value, err = mod.parse_text(row, text)
        out[key] = text if err else value
    return out


def diff(board_values, file_values):
    """[(key, on the board, in the file)] for every key that differs, in
    schema order; a key missing on either side shows as None."""
    out = []
    for row in schema().SCHEMA:
        key = row[0]
        a, b = board_values.get(key), file_values.get(key)
        if a != b and not (_number(a) and _number(b) and float(a) == float(b)):
            out.append((key, a, b))
    return out


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def dumps(data):
    """A config file's text: keys in schema order, one per line."""
    order = [row[0] for row in schema().SCHEMA]
    ordered = {k: data[k] for k in order if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return json.dumps(ordered, indent=1) + "\n"
