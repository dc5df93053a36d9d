"""`capsule track`: follow the capsule's beacon and lead the recovery team to it.

    capsule track (--port PORT | FILE) [--from LAT,LON] [--gpx OUT] [--kml OUT]

Reads what a ground receiver prints on its serial port (or a capture file of
it): LoRa APRS lines, KISS frames, UKHAS sentences, Iridium SBD payloads in
hex, the virtual board's `EVT ... tx ... hex=` lines and a ground station's
`RX` lines (firmware/ground.py; their gs= fix is the team's position unless
--from gives it), all decoded by host_tools/protocol/packets.py. Shows a table of the latest report per source:
position, altitude, age of the fix, phase, battery, and with --from the
distance and bearing from the team. Writes the track as GPX (gpxpy) and KML
(simplekml), files a phone's map app opens; on a live port they are rewritten
after every new position so the latest is always on disk. Lines that cannot
be decoded are counted and skipped, never fatal.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from host_tools.cli import UserError, user_errors
from host_tools.track import (
    DEFAULT_BAUD,
    Tracker,
    TrackError,
    default_call,
    parse_call,
    track_file,
    track_port,
)


def parse_lat_lon(text):
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise UserError(
            f"--from {text!r}: expected LAT,LON in decimal degrees, e.g. -33.86,151.21"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UserError(f"--from {text!r}: latitude must be -90..90 and longitude -180..180")
    return lat, lon


def capsule_call(args):
    """--call, else the callsign in --config's JSON, else the firmware's default."""
    if args.call:
        try:
            return parse_call(args.call)
        except ValueError as exc:
            raise UserError(f"--call {exc}") from None
    if args.config:
        import json

        try:
            cfg = json.loads(Path(args.config).read_text())
            call = str(cfg["callsign"])
            ssid = cfg.get("ssid")
            return parse_call(call if ssid is None else f"{call}-{ssid}")
        except OSError as exc:
            raise UserError(f"--config {args.config}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UserError(f'--config {args.config}: no usable "callsign" in it') from None
    return default_call()


def run(args):
    call = capsule_call(args)
    team = parse_lat_lon(args.from_) if args.from_ else None
    gpx_path = Path(args.gpx) if args.gpx else None
    kml_path = Path(args.kml) if args.kml else None
    for p, opt in ((gpx_path, "--gpx"), (kml_path, "--kml")):
        if p and not p.parent.resolve().is_dir():
            raise UserError(f"{opt} {p}: directory {p.parent} does not exist")
    console = Console()
    if not console.is_terminal:  # a pipe or a log file: do not squeeze the table to 80 columns
        console = Console(width=160)
    tracker = Tracker(call=call, team=team, live=bool(args.port), team_from_station=team is None)
    with user_errors(TrackError):
        if args.port:
            track_port(tracker, args.port, args.baud, console, gpx_path, kml_path, args.duration)
        else:
            track_file(tracker, Path(args.file))
            if tracker.reports:
                console.print(tracker.table())
            heard = tracker.heard_table()  # on a port the live view showed it
            if heard is not None:
                console.print(heard)
    n_points = sum(len(p) for p in tracker.tracks.values())
    others = sum(h.count for h in tracker.heard.values())
    console.print(
        f"{tracker.reports} packets from {call}, {n_points} track points, "
        f"{others} from other stations, {tracker.bad} bad lines skipped, "
        f"{tracker.ignored} other lines ignored"
    )
    if not tracker.reports:
        heard_names = ", ".join(f"{s} ({h.count})" for s, h in sorted(tracker.heard.items()))
        hint = (
            f"; heard {heard_names}: give the capsule's callsign with --call" if heard_names else ""
        )
        bad = f"; last bad line: {tracker.last_error}" if tracker.bad else ""
        print_err(f"capsule track: no packet from the capsule {call}{hint}{bad}")
        return 1
    if tracker.untimed:
        print_err(
            f"capsule track: {tracker.untimed} packets carry no reception time (the capture's "
            "lines have no time stamp): their GPX points have no <time>"
        )
    tracker.write(gpx_path, kml_path)
    for p in (gpx_path, kml_path):
        if p:
            console.print(f"wrote {p}")
    return 0


def print_err(text):
    import sys

    print(text, file=sys.stderr)


def register(sub):
    p = sub.add_parser(
        "track",
        help="follow the capsule's beacon; write GPX/KML for the recovery team",
        description="Decode beacon packets (LoRa APRS, KISS, UKHAS, Iridium SBD hex, virtual "
        "board tx events) from a ground receiver's serial port or a capture file, show where "
        "the capsule is, and write its track as GPX and KML.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--port", help="receiver serial port (or a pyserial URL)")
    src.add_argument("file", nargs="?", help="capture file of receiver output")
    p.add_argument(
        "--baud", type=int, default=DEFAULT_BAUD, help="port speed (default %(default)s)"
    )
    p.add_argument(
        "--from",
        dest="from_",
        metavar="LAT,LON",
        help="the team's position, for distance and bearing (south or west: write "
        "--from=-33.86,151.21 so the minus sign is not read as an option)",
    )
    p.add_argument(
        "--call",
        metavar="CALL[-SSID]",
        help="the capsule's callsign: only its packets go on the map, other stations are "
        "listed as heard (default: --config's callsign, else the firmware's default "
        f"{default_call()}; CALL without -SSID matches every SSID)",
    )
    p.add_argument(
        "--config",
        metavar="FILE.json",
        help="the flight's config file (as flashed): its callsign and ssid name the capsule",
    )
    p.add_argument("--gpx", metavar="OUT", help="write the track as GPX")
    p.add_argument("--kml", metavar="OUT", help="write the track as KML")
    p.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="with --port: stop after S seconds (default: until Ctrl-C)",
    )
    p.set_defaults(func=run)
