"""Decode the board's flight log (the format `firmware/flightlog.py` documents).

Input is what `capsule log pull` saves (the segment files one after another)
or a directory of `seg*.fl` files copied off a board. Decoding is tolerant:
only blocks whose magic, geometry and CRC-32 check are used, damage is
skipped by searching for the next valid block, and every skipped byte range
is reported with its offset and the reason, so a truncated or damaged log
yields everything before (and after) the damage and says where it stopped.

This is a separate implementation of the format from the firmware's, written
from the format description, so the tests use it as the independent reader.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import operator
import struct
import zlib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from host_tools.paths import firmware_module

FORMAT = 1
MAGIC = b"FL"
HEAD = struct.Struct("<2sBBIHBB")
RECORD_BYTES = 32
BLOCK_HEAD_BYTES = 12
BLOCK_SPARE_BYTES = 16
MIN_SHIFT, MAX_SHIFT = 8, 15
TICKS_PERIOD = 1 << 30

SAMPLE = struct.Struct("<BBBBIiiiihhhH")
FIX = struct.Struct("<BBBBIhhiiiHHHH")
EVENT = struct.Struct("<BBBBIii")
HEADER = struct.Struct("<BBHIIIIIHHI")
NAMES = struct.Struct("<B15s16s")

TAG_SAMPLE, TAG_FIX, TAG_EVENT, TAG_HEADER, TAG_NAMES = (ord(c) for c in "SGEHN")

PHASE_NAMES = firmware_module("flight_phase").PHASE_NAMES  # the firmware's own table
EVENT_NAMES = {1: "phase", 2: "fire", 3: "fault", 4: "boot", 5: "utc", 6: "log"}
LOG_EVENT_NAMES = {1: "segment recycled", 2: "write error", 3: "cleared"}
FIRE_CHANNELS = {0: "drogue", 1: "main"}
FIX_MODES = ("none", "no fix", "2D", "3D")


def phase_name(phase: int) -> str:
    return PHASE_NAMES[phase] if 0 <= phase < len(PHASE_NAMES) else f"PHASE{phase}"


def ticks_diff(later: int, earlier: int) -> int:
    """Signed difference of two board ticks (they wrap at 2**30)."""
    half = TICKS_PERIOD >> 1
    return ((later - earlier + half) & (TICKS_PERIOD - 1)) - half


@dataclass
class Damage:
    source: str  # file name (or "<bytes>")
    offset: int  # byte offset of the first skipped byte in that source
    length: int
    reason: str

    def __str__(self):
        return f"{self.source}@{self.offset} (+{self.length} bytes): {self.reason}"


@dataclass
class Header:
    session: int
    start_ms: int
    config_hash: int
    utc_date: int  # yyyymmdd, 0 = unknown when the header was written
    utc_time: int  # hhmmssmmm
    utc_tick_ms: int
    segment: int
    reset_cause: int
    up_s: int = 0  # seconds since start_ms when this header was written
    board_name: str = ""
    fw_version: str = ""


@dataclass
class Sample:
    session: int
    seq: int
    t_ms: int  # board tick
    t_s: float  # flight time, see DecodedLog
    phase: int
    pyro_bits: int
    axis_clipped: bool
    press_dpa: int
    alt_cm: int
    speed_cms: int
    accel_cms2: int
    ax_mg: int  # logged in 10 mg steps
    ay_mg: int
    az_mg: int
    vbatt_mv: int

    @property
    def phase_name(self):
        return phase_name(self.phase)


@dataclass
class FixRecord:
    session: int
    seq: int
    t_ms: int  # tick when the receiver delivered this solution
    t_s: float
    mode: int
    sats: int
    alt_ok: bool
    speed_ok: bool
    course_ok: bool
    time_ok: bool
    lat_deg: int
    lat_e7r: int
    lon_deg: int
    lon_e7r: int
    alt_cm: int
    speed_cms: int
    course_cdeg: int
    hdop_c: int

    @property
    def lat(self) -> float:
        return self.lat_deg + self.lat_e7r / 1e7

    @property
    def lon(self) -> float:
        return self.lon_deg + self.lon_e7r / 1e7

    @property
    def has_position(self) -> bool:
        return self.mode >= 2


@dataclass
class Event:
    session: int
    seq: int
    t_ms: int
    t_s: float
    code: int
    phase: int
    a: int
    b: int

    @property
    def name(self) -> str:
        return EVENT_NAMES.get(self.code, f"code{self.code}")

    def describe(self) -> str:
        text = EVENT_TEXT.get(self.code)
        return text(self.a, self.b) if text else f"{self.name} a={self.a} b={self.b}"


EVENT_TEXT = {  # event code -> its a and b in words
    1: lambda a, b: f"phase {phase_name(b)} -> {phase_name(a)}",
    2: lambda a, b: f"fire {FIRE_CHANNELS.get(a, f'channel {a}')} ({b})",
    3: lambda a, b: f"fault {a} ({b})",
    4: lambda a, b: f"boot: session {a}, reset cause {b}",
    5: lambda a, b: f"UTC {utc_text(a, b)}",
    6: lambda a, b: f"log: {LOG_EVENT_NAMES.get(a, str(a))} {b}",
}


@dataclass
class Block:
    source: str
    offset: int
    seq: int
    session: int
    nrec: int
    keep_mask: int
    data: bytes


@dataclass
class DecodedLog:
    """Everything a log holds, in the order it was written (by block seq).

    `t_s` on every record is flight time in seconds: 0 at the first
    surviving session's boot, ticks unwrapped within a session; a later
    session (after a reset) is placed by UTC when both sessions know it,
    otherwise right after the previous session's last record
    (`session_gap_known[s]` says which)."""

    header: Header | None = None
    headers: dict = field(default_factory=dict)  # session -> Header
    records: list = field(default_factory=list)  # Sample
    fixes: list = field(default_factory=list)  # FixRecord
    events: list = field(default_factory=list)  # Event
    blocks: int = 0
    block_bytes: int = 0
    bytes_read: int = 0
    damage: list = field(default_factory=list)  # Damage
    stopped_at: Damage | None = None  # first damage (None: the log ended cleanly)
    seq_gaps: list = field(default_factory=list)  # (last seq before, first seq after)
    session_offset_s: dict = field(default_factory=dict)
    session_gap_known: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.damage

    def fires(self):
        return [e for e in self.events if e.code == 2]

    def phase_changes(self):
        """[(t_s, phase)] where the logged samples change phase (the first included)."""
        out = []
        last = None
        for r in self.records:
            if r.phase != last:
                out.append((r.t_s, r.phase))
                last = r.phase
        return out

    def utc_at(self, t_s: float) -> _dt.datetime | None:
        """UTC of flight time t_s, if the GNSS ever gave the time."""
        for e in self.events:
            if e.code == 5:
                return _utc_datetime(e.a, e.b) + _dt.timedelta(seconds=t_s - e.t_s)
        return None

    def stopped_text(self) -> str:
        if self.stopped_at is None:
            return "log ends cleanly"
        return f"stopped at {self.stopped_at}"


def utc_text(date: int, time_ms: int) -> str:
    try:
        return _utc_datetime(date, time_ms).isoformat(timespec="milliseconds") + "Z"
    except ValueError:
        return f"invalid date {date} {time_ms}"


def _utc_datetime(date: int, time_ms: int) -> _dt.datetime:
    hhmmss, ms = divmod(time_ms, 1000)
    hh, mmss = divmod(hhmmss, 10000)
    mm, ss = divmod(mmss, 100)
    y, md = divmod(date, 10000)
    mo, d = divmod(md, 100)
    return _dt.datetime(y, mo, d, hh, mm, ss, ms * 1000)


# ---------------------------------------------------------------- layouts
@dataclass
class RecordLayout:
    """Where each field of one record kind sits in its struct.

    `names` names every value `packed` unpacks to, in order, as the format
    describes the record ("-": a value the decoder does not keep); `flags`
    names the bits of the value called "flags", low bit first; `scale` turns
    a logged unit into the one the record class holds."""

    cls: type
    packed: struct.Struct
    names: str
    flags: tuple = ()
    scale: dict = field(default_factory=dict)
    kept_in: str = ""  # the DecodedLog list that collects this kind

    def __post_init__(self):
        names = self.names.split()
        values = len(self.packed.unpack(bytes(self.packed.size)))
        if len(names) != values:
            raise ValueError(f"{self.cls.__name__}: {len(names)} names for {values} values")
        kept = [(i, name) for i, name in enumerate(names) if name not in ("-", "flags")]
        self._kept_names = [name for _, name in kept]
        self._pick = operator.itemgetter(*(i for i, _ in kept))
        self._flags_at = names.index("flags") if "flags" in names else None
        self._order = [f.name for f in fields(self.cls)]  # cls's arguments, in order

    def decode(self, values, **known):
        """An instance of `cls` from one unpacked record, plus the fields the
        decoder knows from elsewhere (session, seq, flight time, names)."""
        kept = dict(zip(self._kept_names, self._pick(values)), **known)
        if self._flags_at is not None:
            bits = values[self._flags_at]
            for i, name in enumerate(self.flags):
                kept[name] = bool(bits >> i & 1)
        for name, factor in self.scale.items():
            kept[name] *= factor
        return self.cls(*map(kept.__getitem__, self._order))  # faster than **kept


HEADER_LAYOUT = RecordLayout(
    Header,
    HEADER,
    "- - session start_ms config_hash utc_date utc_time utc_tick_ms segment reset_cause up_s",
)
RECORD_LAYOUTS = {
    "S": RecordLayout(
        Sample,
        SAMPLE,
        "- phase pyro_bits flags t_ms press_dpa alt_cm speed_cms accel_cms2 ax_mg ay_mg az_mg"
        " vbatt_mv",
        flags=("axis_clipped",),
        scale={"ax_mg": 10, "ay_mg": 10, "az_mg": 10},  # logged in 10 mg units
        kept_in="records",
    ),
    "G": RecordLayout(
        FixRecord,
        FIX,
        "- mode sats flags t_ms lat_deg lon_deg lat_e7r lon_e7r alt_cm speed_cms course_cdeg"
        " hdop_c -",
        flags=("alt_ok", "speed_ok", "course_ok", "time_ok"),
        kept_in="fixes",
    ),
    "E": RecordLayout(Event, EVENT, "- code phase - t_ms a b", kept_in="events"),
}


# ------------------------------------------------------------------ blocks
def _block_at(data: bytes, off: int):
    """(block_bytes, reason): reason is None when a valid block starts at off."""
    if len(data) - off < BLOCK_HEAD_BYTES:
        return 0, f"truncated block head ({len(data) - off} bytes)"
    magic, fmt, shift, _seq, _session, nrec, _mask = HEAD.unpack_from(data, off)
    if magic != MAGIC:
        return 0, "no block magic"
    if fmt != FORMAT:
        return 0, f"unknown format {fmt}"
    if not MIN_SHIFT <= shift <= MAX_SHIFT:
        return 0, f"bad block size 2**{shift}"
    bb = 1 << shift
    if nrec > (bb - BLOCK_SPARE_BYTES) // RECORD_BYTES:
        return bb, f"record count {nrec} too large"
    if off + bb > len(data):
        return bb, f"truncated block ({len(data) - off} of {bb} bytes)"
    (crc,) = struct.unpack_from("<I", data, off + bb - 4)
    if zlib.crc32(data[off : off + bb - 4]) != crc:
        return bb, "CRC mismatch"
    return bb, None


def scan_blocks(data: bytes, source: str = "<bytes>"):
    """Valid blocks in data, and Damage for every byte range that is not one."""
    blocks, damage = [], []
    off = 0
    n = len(data)
    while off < n:
        bb, reason = _block_at(data, off)
        if reason is None:
            _m, _f, _s, seq, session, nrec, mask = HEAD.unpack_from(data, off)
            blocks.append(Block(source, off, seq, session, nrec, mask, data[off : off + bb]))
            off += bb
            continue
        # Resynchronise on the next offset where a whole valid block starts.
        nxt = data.find(MAGIC + bytes([FORMAT]), off + 1)
        while nxt >= 0 and _block_at(data, nxt)[1] is not None:
            nxt = data.find(MAGIC + bytes([FORMAT]), nxt + 1)
        end = n if nxt < 0 else nxt
        damage.append(Damage(source, off, end - off, reason))
        off = end
    return blocks, damage


# ----------------------------------------------------------------- records
def _records(block: Block, damage: list):
    """Yield (tag, fields...) of a block's records; unknown tags end the block."""
    data = block.data
    off = BLOCK_HEAD_BYTES
    i = 0
    while i < block.nrec:
        tag = data[off]
        if tag == TAG_HEADER and i + 1 < block.nrec and data[off + RECORD_BYTES] == TAG_NAMES:
            yield ("H", HEADER.unpack_from(data, off), NAMES.unpack_from(data, off + RECORD_BYTES))
            off += 2 * RECORD_BYTES
            i += 2
            continue
        if tag == TAG_SAMPLE:
            yield ("S", SAMPLE.unpack_from(data, off))
        elif tag == TAG_FIX:
            yield ("G", FIX.unpack_from(data, off))
        elif tag == TAG_EVENT:
            yield ("E", EVENT.unpack_from(data, off))
        else:
            damage.append(
                Damage(
                    block.source,
                    block.offset + off,
                    (block.nrec - i) * RECORD_BYTES,
                    f"unknown record tag 0x{tag:02x} in block seq {block.seq}",
                )
            )
            return
        off += RECORD_BYTES
        i += 1


def _text(b: bytes) -> str:
    return b.split(b"\0", 1)[0].decode("ascii", "replace")


def decode_blocks(blocks: list, damage: list) -> DecodedLog:
    log = DecodedLog(damage=damage)
    seen = {}
    for b in sorted(blocks, key=lambda b: b.seq):
        if b.seq in seen:
            damage.append(Damage(b.source, b.offset, len(b.data), f"duplicate block seq {b.seq}"))
            continue
        seen[b.seq] = b
    ordered = [seen[s] for s in sorted(seen)]
    log.blocks = len(ordered)
    log.block_bytes = len(ordered[0].data) if ordered else 0
    for prev, cur in itertools.pairwise(ordered):
        if cur.seq != prev.seq + 1:
            log.seq_gaps.append((prev.seq, cur.seq))

    raw = []  # (session, seq, kind, fields)
    for b in ordered:
        for rec in _records(b, damage):
            if rec[0] == "H":
                names = rec[2]
                hdr = HEADER_LAYOUT.decode(
                    rec[1], board_name=_text(names[1]), fw_version=_text(names[2])
                )
                log.headers.setdefault(hdr.session, hdr)
                raw.append((b.session, b.seq, "H", hdr))
            else:
                raw.append((b.session, b.seq, rec[0], rec[1]))

    _place_in_time(log, raw)
    sessions_with_descent = [r.session for r in log.records if 2 <= r.phase <= 5]
    if sessions_with_descent and sessions_with_descent[0] in log.headers:
        log.header = log.headers[sessions_with_descent[0]]
    elif log.headers:
        log.header = log.headers[min(log.headers)]
    log.stopped_at = damage[0] if damage else None
    return log


def _place_in_time(log: DecodedLog, raw: list):
    """Unwrap ticks per session and lay sessions on one flight-time axis."""
    sessions = []  # in the order they first appear
    ms_of = []  # ms since the session's start, per raw item (None for headers)
    chain = {}  # session -> (start tick, last chained tick, its ms)
    for s, _seq, kind, f in raw:
        if s not in chain:
            sessions.append(s)
        if kind == "H":
            # Every segment opens with a header that anchors its ticks on
            # whole seconds since the session started: this is what keeps
            # time right across recycled (missing) segments and tick wraps.
            anchor = (f.start_ms + f.up_s * 1000) % TICKS_PERIOD
            chain[s] = (f.start_ms, anchor, f.up_s * 1000)
            ms_of.append(None)
            continue
        tick = f[4]
        if s not in chain:  # the session's headers were all lost
            chain[s] = (tick, tick, 0)
        origin, last_tick, last_ms = chain[s]
        ms = last_ms + ticks_diff(tick, last_tick)
        ms_of.append(ms)
        # A fix (and the UTC event) carries the receiver's tick, which can
        # be older than the samples around it: it is placed, not chained.
        if kind == "S" or (kind == "E" and f[1] != 5):
            chain[s] = (origin, tick, ms)
    unwrapped = {s: c[0] for s, c in chain.items()}
    items = [(r, ms) for r, ms in zip(raw, ms_of) if ms is not None]

    # UTC at each session's origin, from its EV_UTC event (or its header).
    utc_origin = {}
    for (s, _seq, kind, f), ms in items:
        if kind == "E" and f[1] == 5 and s not in utc_origin:
            try:
                utc_origin[s] = _utc_datetime(f[5], f[6]) - _dt.timedelta(milliseconds=ms)
            except ValueError:
                pass
    for s, hdr in log.headers.items():
        if s not in utc_origin and hdr.utc_date and s in unwrapped:
            try:
                at = _utc_datetime(hdr.utc_date, hdr.utc_time)
            except ValueError:
                continue
            utc_origin[s] = at - _dt.timedelta(
                milliseconds=ticks_diff(hdr.utc_tick_ms, unwrapped[s])
            )

    last_ms = {}
    for (s, *_), ms in items:
        last_ms[s] = max(last_ms.get(s, ms), ms)
    offset = {}
    first = sessions[0] if sessions else None
    for i, s in enumerate(sessions):
        if i == 0:
            offset[s] = 0.0
            log.session_gap_known[s] = True
            continue
        prev = sessions[i - 1]
        if s in utc_origin and first in utc_origin:
            offset[s] = (utc_origin[s] - utc_origin[first]).total_seconds()
            log.session_gap_known[s] = True
        else:
            offset[s] = offset[prev] + last_ms.get(prev, 0) / 1000.0
            log.session_gap_known[s] = False
    log.session_offset_s = offset

    for (s, seq, kind, f), ms in items:
        layout = RECORD_LAYOUTS[kind]
        record = layout.decode(f, session=s, seq=seq, t_s=offset[s] + ms / 1000.0)
        getattr(log, layout.kept_in).append(record)


# ------------------------------------------------------------------ entry
def decode_bytes(data: bytes, source: str = "<bytes>") -> DecodedLog:
    blocks, damage = scan_blocks(bytes(data), source)
    log = decode_blocks(blocks, damage)
    log.bytes_read = len(data)
    return log


def segment_files(directory: Path) -> list:
    return sorted(p for p in Path(directory).iterdir() if p.is_file() and p.suffix == ".fl")


def decode_path(path) -> DecodedLog:
    """Decode a pulled log file, or a directory holding the board's seg*.fl files."""
    path = Path(path)
    if path.is_dir():
        blocks, damage, total = [], [], 0
        for p in segment_files(path):
            data = p.read_bytes()
            b, d = scan_blocks(data, p.name)
            blocks += b
            damage += d
            total += len(data)
        log = decode_blocks(blocks, damage)
        log.bytes_read = total
        return log
    return decode_bytes(path.read_bytes(), path.name)


# -------------------------------------------------------------------- csv
SAMPLE_COLUMNS = [
    "t_s",
    "session",
    "seq",
    "t_ms",
    "phase",
    "pyro_bits",
    "press_dpa",
    "alt_cm",
    "speed_cms",
    "accel_cms2",
    "ax_mg",
    "ay_mg",
    "az_mg",
    "axis_clipped",
    "vbatt_mv",
]


def write_csv(log: DecodedLog, out) -> list:
    """Samples to `out`; fixes and events beside it (<stem>_fixes.csv,
    <stem>_events.csv). Returns the paths written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [out]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SAMPLE_COLUMNS)
        for r in log.records:
            row = asdict(r)
            row["phase"] = r.phase_name
            row["t_s"] = f"{r.t_s:.3f}"
            w.writerow([row[c] for c in SAMPLE_COLUMNS])
    fixes = out.with_name(out.stem + "_fixes.csv")
    with fixes.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["t_s", "session", "t_ms", "mode", "sats", "lat", "lon", "alt_m", "speed_m_s"]
            + ["course_deg", "hdop"]
        )
        for x in log.fixes:
            w.writerow(
                [
                    f"{x.t_s:.3f}",
                    x.session,
                    x.t_ms,
                    FIX_MODES[x.mode] if x.mode < 4 else x.mode,
                    x.sats,
                    f"{x.lat:.7f}" if x.has_position else "",
                    f"{x.lon:.7f}" if x.has_position else "",
                    "%.2f" % (x.alt_cm / 100) if x.alt_ok else "",
                    "%.2f" % (x.speed_cms / 100) if x.speed_ok else "",
                    "%.2f" % (x.course_cdeg / 100) if x.course_ok else "",
                    "%.2f" % (x.hdop_c / 100) if x.hdop_c else "",
                ]
            )
    events = out.with_name(out.stem + "_events.csv")
    with events.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t_s", "session", "t_ms", "event", "phase", "a", "b", "text"])
        for e in log.events:
            w.writerow(
                [f"{e.t_s:.3f}", e.session, e.t_ms, e.name, phase_name(e.phase), e.a, e.b]
                + [e.describe()]
            )
    return written + [fixes, events]
