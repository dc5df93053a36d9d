"""A campaign's table: one CSV row per flight (flight_row.py), appended as
each flight lands, so an interrupted campaign keeps every flight it finished.

CSV and not Parquet: a row is appended and flushed the moment its flight is
judged (a Parquet file is written whole, so a campaign stopped by Ctrl-C
would keep nothing), the standard library reads it, and so does any
spreadsheet or `pandas.read_csv`. Lists and documents are JSON in their cell.

Beside it, `campaign.json` says which campaign the table belongs to (kind,
scenario and its hash, seed), so a resume never mixes two campaigns' flights.
"""

import csv
import hashlib
import json
from pathlib import Path

from host_tools.board.targets import DEFAULT_TARGET
from host_tools.droptest.flight_row import compact_json

TABLE_NAME = "flights.csv"
IDENTITY_NAME = "campaign.json"


def _num(kind):
    def decode(text):
        return None if text == "" else kind(text)

    return decode


def _encode_plain(value):
    return "" if value is None else value


def _encode_bool(value):
    return "" if value is None else ("1" if value else "0")


def _decode_bool(text):
    return None if text == "" else text == "1"


def _encode_json(value):
    return "" if value is None else compact_json(value)


def _decode_json(text):
    return None if text == "" else json.loads(text)


# a column type -> (encode to the cell, decode from it)
CODECS = {
    "int": (_encode_plain, _num(int)),
    "float": (_encode_plain, _num(float)),
    "str": (_encode_plain, str),
    "bool": (_encode_bool, _decode_bool),
    "json": (_encode_json, _decode_json),
}

# the table's columns in order: inputs, verdict, events, landing, timings
COLUMNS = (
    ("index", "int"),
    ("seed", "int"),
    ("run_seed", "int"),
    ("scenario", "str"),
    ("description", "str"),
    ("error", "str"),
    ("passed", "bool"),
    ("outcome", "str"),
    ("aborted", "str"),
    ("checks_passed", "json"),
    ("failed_checks", "json"),
    ("invariants_held", "json"),
    ("violations", "json"),
    ("violation_details", "json"),
    ("phases", "json"),
    ("events", "json"),
    ("drogue_fire_t_s", "float"),
    ("drogue_fire_agl_m", "float"),
    ("main_fire_t_s", "float"),
    ("main_fire_agl_m", "float"),
    ("landing_t_s", "float"),
    ("landing_lat", "float"),
    ("landing_lon", "float"),
    ("landing_east_m", "float"),
    ("landing_north_m", "float"),
    ("landing_speed_m_s", "float"),
    ("landing_drift_m_s", "float"),
    ("receivers", "json"),
    ("sim_s", "float"),
    ("samples", "int"),
    ("target", "str"),
    ("interpreter", "str"),
    ("wall_s", "float"),
    ("host_cpu_s", "float"),
    ("board_cpu_s", "float"),
    ("worker_pid", "int"),
    ("inputs", "json"),
)
NAMES = tuple(name for name, _ in COLUMNS)
# what differs between two flights of the same (scenario, seed, index)
TIMING_COLUMNS = ("wall_s", "host_cpu_s", "board_cpu_s", "worker_pid")


class TableMismatch(Exception):
    """The output directory holds another campaign's table."""


def identity(kind, scenario_raw, seed, target=DEFAULT_TARGET):
    """What makes two runs the same campaign (the flight count may grow):
    flights on another target are another campaign."""
    digest = hashlib.sha256(compact_json(scenario_raw).encode()).hexdigest()[:16]
    return {"kind": kind, "scenario_sha256": digest, "seed": seed, "target": target}


def encode(row):
    return [CODECS[kind][0](row.get(name)) for name, kind in COLUMNS]


def decode(cells):
    return {name: CODECS[kind][1](cell) for (name, kind), cell in zip(COLUMNS, cells)}


class Table:
    """The flights.csv of one campaign in `out_dir`."""

    def __init__(self, out_dir, ident):
        self.dir = Path(out_dir)
        self.path = self.dir / TABLE_NAME
        self.ident = ident
        self._file = None
        self._writer = None

    def open(self):
        """The rows of the flights already flown (error rows left out: those
        flights fly again), after checking the table is this campaign's; the
        table is rewritten clean (a row torn by an interrupt is dropped) and
        left open for appending."""
        self.dir.mkdir(parents=True, exist_ok=True)
        id_path = self.dir / IDENTITY_NAME
        rows = []
        if self.path.exists():
            if not id_path.exists() or json.loads(id_path.read_text()) != self.ident:
                raise TableMismatch(
                    f"{self.path} belongs to another campaign (see {id_path}); "
                    "choose another --out or remove it"
                )
            rows = [r for r in read(self.path) if not r.get("error")]
        id_path.write_text(json.dumps(self.ident, indent=2) + "\n")
        rows = sorted({r["index"]: r for r in rows}.values(), key=lambda r: r["index"])
        self._rewrite(rows)
        return rows

    def _rewrite(self, rows):
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(NAMES)
            w.writerows(encode(r) for r in rows)
        tmp.replace(self.path)
        self._file = open(self.path, "a", newline="")  # noqa: SIM115 - open for the campaign
        self._writer = csv.writer(self._file)

    def append(self, row):
        self._writer.writerow(encode(row))
        self._file.flush()

    def close(self, rows=None):
        """Close; with `rows`, write the table once more sorted by flight."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if rows is not None:
            self._rewrite(sorted(rows, key=lambda r: r["index"]))
            self._file.close()
            self._file = None


def read(path):
    """Every whole row of a table (a last line cut short is skipped)."""
    rows = []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return rows
        if tuple(header) != NAMES:
            raise TableMismatch(f"{path}: not a flights table of this version (columns differ)")
        for cells in reader:
            if len(cells) != len(NAMES):
                continue
            try:
                rows.append(decode(cells))
            except ValueError:  # a torn cell (number or JSON cut short)
                continue
    return rows
