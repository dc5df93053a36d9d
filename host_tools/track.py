"""Following the capsule's beacon: what a ground receiver printed, decoded
(host_tools/protocol/packets.py) into reports per source, a track of their
positions, and the views the recovery team uses: a table of the latest
report (with distance and bearing from the team), GPX and KML files a phone's
map app opens. Lines that cannot be decoded are counted and skipped, never
fatal. `capsule track` (cli/cmd_track.py) is the command.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import gpxpy
import gpxpy.gpx
import simplekml
from rich import box
from rich.table import Table

from host_tools.protocol.packets import DecodeError, Report, StreamSplitter, decode_item


class TrackError(Exception):
    """A capture file or receiver port that cannot be read (message for the user)."""


EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")  # fmt: skip
DEFAULT_BAUD = 115200
# A capture line may start with the time it was received (ISO 8601 UTC, as
# `capsule droptest --capture` writes it, or `ts '%Y-%m-%dT%H:%M:%.SZ'`).
_STAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))[ \t]+")


def default_call():
    """The capsule's callsign as the firmware's config defaults it (CALL-SSID)."""
    from host_tools.paths import firmware_module

    schema = {row[0]: row[2] for row in firmware_module("config_schema").SCHEMA}
    return f"{schema['callsign']}-{schema['ssid']}"


def parse_call(text):
    """CALL or CALL-SSID, upper case; ValueError naming the problem."""
    t = text.strip().upper()
    m = re.fullmatch(r"([A-Z0-9]{1,6})(?:-(\d{1,2}))?", t)
    if not m or (m.group(2) is not None and int(m.group(2)) > 15):
        raise ValueError(
            f"{text!r} is not a callsign: CALL or CALL-SSID (SSID 0-15), e.g. N0CALL-11"
        )
    return t


def split_stamp(line: bytes):
    """(received datetime or None, the line without its time stamp)."""
    m = _STAMP.match(line)
    if not m:
        return None, line
    text = m.group(1).decode()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, line
    return when.astimezone(timezone.utc), line[m.end() :]


def stamp(when: datetime) -> str:
    """The capture's time stamp for a line received at `when`."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- geometry -------------------------------------------------------------------


def distance_bearing(lat1, lon1, lat2, lon2):
    """Great-circle distance (m) and initial bearing (degrees true) from point 1 to 2."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    dist = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    bearing = (math.degrees(math.atan2(y, x)) + 360.0) % 360.0
    return dist, bearing


def compass_point(bearing):
    return COMPASS[int((bearing % 360) / 22.5 + 0.5) % 16]


# -- the track --------------------------------------------------------------------


@dataclass
class TrackPoint:
    lat: float
    lon: float
    alt_m: float | None
    time: datetime | None
    report: Report


@dataclass
class Heard:
    """Another station on the channel: not the capsule, never on the map."""

    count: int = 0
    last: Report | None = None
    when: datetime | None = None


@dataclass
class Tracker:
    """Everything seen so far: the capsule's reports and tracks per source
    (its APRS call, its UKHAS payload id, its SBD messages), other stations
    heard, counters. `call` is the capsule's CALL or CALL-SSID; None keeps every
    station (the drop test's own capture, which holds only the capsule)."""

    call: str | None = None
    team: tuple[float, float] | None = None
    team_from_station: bool = True  # False once --from gave the team's position
    live: bool = False
    reports: int = 0
    bad: int = 0
    ignored: int = 0
    last_error: str = ""
    latest: dict = field(default_factory=dict)  # source -> Report
    counts: dict = field(default_factory=dict)  # source -> packets
    tracks: dict = field(default_factory=dict)  # source -> [TrackPoint]
    heard: dict = field(default_factory=dict)  # other stations: source -> Heard
    last_heard: dict = field(default_factory=dict)  # capsule source -> datetime received
    untimed: int = 0  # capsule packets with no reception time (a capture without stamps)
    end: datetime | None = None  # the latest reception time seen (the capture's "now")

    def is_capsule(self, rep: Report) -> bool:
        if self.call is None or rep.kind == "sbd":  # SBD carries no callsign: the modem's own
            return True
        base, _, ssid = self.call.partition("-")
        src = rep.source.upper()
        if rep.kind == "ukhas":  # UKHAS payload ids carry no SSID
            return src.partition("-")[0] == base
        if ssid:
            return src == self.call or (ssid == "0" and src == base)
        return src.partition("-")[0] == base

    def feed(self, kind: str, data: bytes, when: datetime | None = None) -> Report | None:
        """Decode one receiver item (received at `when`: a capture's time stamp,
        else now on a live port); returns the capsule's report when it carried
        a position."""
        if kind == "line":
            stamped, data = split_stamp(data)
            when = stamped or when
        if when is None and self.live:
            when = datetime.now(timezone.utc)
        if when is not None and (self.end is None or when > self.end):
            self.end = when
        try:
            rep = decode_item(kind, data)
        except DecodeError as exc:
            self.bad += 1
            self.last_error = str(exc)
            return None
        if rep is None:
            self.ignored += 1
            return None
        self._station_fix(rep)
        if not self.is_capsule(rep):
            h = self.heard.setdefault(rep.source, Heard())
            h.count += 1
            h.last, h.when = rep, when
            return None
        self.reports += 1
        self.latest[rep.source] = rep
        self.counts[rep.source] = self.counts.get(rep.source, 0) + 1
        if when is None:
            self.untimed += 1
        else:
            self.last_heard[rep.source] = when
        if not rep.has_position:
            return None
        pts = self.tracks.setdefault(rep.source, [])
        if pts and (pts[-1].lat, pts[-1].lon, pts[-1].alt_m) == (rep.lat, rep.lon, rep.alt_m):
            pts[-1].report = rep  # same position again (a stale fix re-sent): no new point
            return rep
        pts.append(TrackPoint(rep.lat, rep.lon, rep.alt_m, when, rep))
        return rep

    def now(self) -> datetime | None:
        """'Now' for ages: the wall clock on a live port, the last reception
        time in a capture file."""
        return datetime.now(timezone.utc) if self.live else self.end

    def heard_ago_s(self, source) -> float | None:
        when, now = self.last_heard.get(source), self.now()
        return None if when is None or now is None else max(0.0, (now - when).total_seconds())

    def fix_age_now_s(self, source) -> float | None:
        """The fix's age now: its age when sent plus the time since it was heard."""
        rep = self.latest.get(source)
        if rep is None or rep.fix_age_s is None:
            return None
        ago = self.heard_ago_s(source)
        return rep.fix_age_s + (ago or 0.0)

    def _station_fix(self, rep):
        """A ground station that prints its own fix (RX lines, gs=) tells where
        the team stands, unless --from said so."""
        station = rep.extra.get("station")
        if station and self.team_from_station:
            self.team = station

    def last_position(self, source):
        pts = self.tracks.get(source)
        return pts[-1] if pts else None

    # -- views ------------------------------------------------------------------------

    def table(self) -> Table:
        """Latest report per source; two-line cells keep it inside a phone's 80 columns."""
        t = Table(title="Capsule beacon", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        t.add_column("source", no_wrap=True)
        t.add_column("lat/lon", no_wrap=True, justify="right")
        for col in ("alt m", "heard", "fix age", "phase", "batt", "pkts"):
            t.add_column(col, no_wrap=True, justify="left" if col == "phase" else "right")
        if self.team:
            t.add_column("dist", justify="right", no_wrap=True)
            t.add_column("brg", justify="right", no_wrap=True)
        for source in sorted(self.latest):
            rep = self.latest[source]
            last = self.last_position(source)
            pos = f"{last.lat:.5f}\n{last.lon:.5f}" if last else "no fix\nyet"
            alt = f"{last.alt_m:.0f}" if last and last.alt_m is not None else "-"
            fix_age = self.fix_age_now_s(source)
            age = "-" if fix_age is None else _age_text(int(fix_age))
            if rep.fresh is False:
                age += "\n(old)"
            ago = self.heard_ago_s(source)
            heard = "-" if ago is None else _age_text(int(ago)) + "\nago"
            batt = "-" if rep.batt_mv is None else f"{rep.batt_mv / 1000:.2f} V"
            row = [f"{source}\n{rep.kind}", pos, alt, heard, age, rep.phase or "-", batt]
            row.append(str(self.counts[source]))
            if self.team:
                if last:
                    d, b = distance_bearing(self.team[0], self.team[1], last.lat, last.lon)
                    row += [_distance_text(d), f"{b:.0f}°\n{compass_point(b)}"]
                else:
                    row += ["-", "-"]
            t.add_row(*row)
        t.caption = f"{self.reports} packets, {self.bad} bad lines skipped" + (
            f" (last: {self.last_error})" if self.bad else ""
        )
        return t

    def heard_table(self) -> Table | None:
        """Other stations on the channel (not the capsule): never on the map."""
        if not self.heard:
            return None
        t = Table(
            title="Other stations heard (not the capsule)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in ("source", "kind", "pkts", "heard", "lat/lon"):
            t.add_column(col, no_wrap=True)
        now = self.now()
        for source in sorted(self.heard):
            h = self.heard[source]
            ago = "-"
            if h.when is not None and now is not None:
                ago = _age_text(int(max(0.0, (now - h.when).total_seconds()))) + " ago"
            pos = "-"
            if h.last.has_position:
                pos = f"{h.last.lat:.5f} {h.last.lon:.5f}"
            t.add_row(source, h.last.kind, str(h.count), ago, pos)
        return t

    def gpx(self) -> str:
        g = gpxpy.gpx.GPX()
        g.creator = "capsule track"
        for source, pts in sorted(self.tracks.items()):
            trk = gpxpy.gpx.GPXTrack(name=source)
            seg = gpxpy.gpx.GPXTrackSegment()
            for p in pts:
                seg.points.append(
                    gpxpy.gpx.GPXTrackPoint(
                        p.lat, p.lon, elevation=p.alt_m, time=p.time, comment=_describe(p.report)
                    )
                )
            trk.segments.append(seg)
            g.tracks.append(trk)
            last = pts[-1]
            g.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    last.lat,
                    last.lon,
                    elevation=last.alt_m,
                    time=last.time,
                    name=f"{source} last",
                    description=_describe(last.report),
                )
            )
        if self.team:
            g.waypoints.append(gpxpy.gpx.GPXWaypoint(self.team[0], self.team[1], name="team"))
        return g.to_xml()

    def kml(self) -> simplekml.Kml:
        k = simplekml.Kml(name="Capsule beacon")
        for source, pts in sorted(self.tracks.items()):
            coords = [(p.lon, p.lat, p.alt_m or 0.0) for p in pts]
            if len(coords) > 1:
                line = k.newlinestring(name=f"{source} track", coords=coords)
                line.altitudemode = simplekml.AltitudeMode.absolute
                line.style.linestyle.width = 3
                line.style.linestyle.color = simplekml.Color.red
            last = pts[-1]
            pt = k.newpoint(name=f"{source} last", coords=[coords[-1]])
            pt.description = _describe(last.report)
        if self.team:
            k.newpoint(name="team", coords=[(self.team[1], self.team[0])])
        return k

    def write(self, gpx_path: Path | None, kml_path: Path | None):
        if gpx_path:
            _atomic_write(gpx_path, self.gpx())
        if kml_path:
            _atomic_write(kml_path, self.kml().kml())


def _age_text(s):
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def _distance_text(m):
    return f"{m:.0f} m" if m < 10_000 else f"{m / 1000:.1f} km"


def _describe(rep: Report) -> str:
    parts = [f"{rep.kind} {rep.source}"]
    if rep.seq is not None:
        parts.append(f"#{rep.seq}")
    if rep.phase:
        parts.append(rep.phase)
    if rep.fix_age_s is not None:
        parts.append(f"fix age {rep.fix_age_s} s")
    if rep.sats is not None:
        parts.append(f"{rep.sats} sats")
    if rep.batt_mv is not None:
        parts.append(f"battery {rep.batt_mv} mV")
    return ", ".join(parts)


def _atomic_write(path: Path, text: str):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- sources ----------------------------------------------------------------------


def track_file(tracker: Tracker, path: Path):
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TrackError(f"capture file {path} not found") from None
    except OSError as exc:
        raise TrackError(f"cannot read capture file {path}: {exc.strerror}") from None
    _check_capture(path, data)
    splitter = StreamSplitter()
    for kind, item in splitter.feed(data) + splitter.flush():
        tracker.feed(kind, item)
    if not tracker.reports and not tracker.heard and _looks_binary(data):
        raise TrackError(
            f"{path} is binary data, not a receiver capture (text lines, KISS frames or SBD hex)"
        )


def _check_capture(path, data: bytes):
    """Refuse what is plainly not a receiver's output, naming what it is."""
    if not data.strip():
        raise TrackError(f"capture file {path} is empty")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        raise TrackError(
            f"{path} is JSON, not a receiver capture (a drop test's report?); "
            "`capsule droptest SCENARIO --capture FILE` writes a capture `track` reads"
        )


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in sample)
    return printable < 0.7 * len(sample)


def track_port(tracker, port, baud, console, gpx_path, kml_path, duration_s=None):
    import serial
    from rich.console import Group
    from rich.live import Live

    def view():
        heard = tracker.heard_table()
        return tracker.table() if heard is None else Group(tracker.table(), heard)

    try:
        ser = serial.serial_for_url(port, baudrate=baud, timeout=0.2)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise TrackError(f"cannot open receiver port {port}: {exc}") from None
    splitter = StreamSplitter()
    start = shown = time.monotonic()
    try:
        with Live(view(), console=console, refresh_per_second=4) as live:
            while duration_s is None or time.monotonic() - start < duration_s:
                try:
                    chunk = ser.read(ser.in_waiting or 1)
                except (serial.SerialException, OSError) as exc:
                    raise TrackError(f"lost receiver port {port}: {exc}") from None
                if not chunk:
                    if time.monotonic() - shown >= 1.0:  # "last heard" keeps counting
                        live.update(view())
                        shown = time.monotonic()
                    continue
                moved = False
                for kind, item in splitter.feed(chunk):
                    moved = tracker.feed(kind, item) is not None or moved
                live.update(view())
                shown = time.monotonic()
                if moved:
                    tracker.write(gpx_path, kml_path)
    except KeyboardInterrupt:
        pass  # the team stops tracking: keep what we have
    finally:
        ser.close()
    for kind, item in splitter.flush():
        tracker.feed(kind, item)
