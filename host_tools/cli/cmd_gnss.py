"""`capsule gnss decode LOGFILE`: replay a recorded receiver log through the
firmware's own GNSS parser (host_tools/protocol/gnss_log.py runs it on the
MicroPython unix port): one fix per navigation cycle, then the sentence
counters. Leading `#` comment lines (as in gpsd's regression logs) are skipped.
"""

import argparse
import json

from host_tools.cli import UserError, user_errors
from host_tools.protocol.gnss_log import DEFAULT_CHUNK, GnssLogError, decode_log, fix_text


def run_decode(args):
    if args.epoch_end is not None and not (
        len(args.epoch_end) == 3 and args.epoch_end.isascii() and args.epoch_end.isupper()
    ):
        raise UserError(
            f"--epoch-end must be a 3-letter sentence type such as GLL, got {args.epoch_end!r}"
        )
    with user_errors(GnssLogError):
        fixes, counts = decode_log(args.logfile, chunk=args.chunk, epoch_end=args.epoch_end)
    if args.fix_only:
        fixes = [f for f in fixes if f["mode"] >= 2]
    for f in fixes:
        print(json.dumps(f) if args.json else fix_text(f))
    if args.json:
        print(json.dumps({"counts": counts}))
    else:
        c = counts
        print(
            f"cycles {c.get('epochs', 0)}, good {c.get('good', 0)}, "
            f"bad checksum {c.get('bad_checksum', 0)}, unknown {c.get('unknown', 0)}, "
            f"truncated {c.get('truncated', 0)}, overlong {c.get('overlong', 0)}, "
            f"bad fields {c.get('bad_fields', 0)}, garbage bytes {c.get('garbage', 0)}, "
            f"UBX frames {c.get('ubx_frames', 0)} (bad {c.get('ubx_bad', 0)})"
        )
    return 0


def _chunk_size(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65536:
        raise argparse.ArgumentTypeError(f"must be 1..65536 bytes, got {text!r}")
    return value


def register(sub):
    p = sub.add_parser(
        "gnss",
        help="GNSS tools (decode a receiver log with the firmware parser)",
        description="GNSS tools that run the firmware's own parser on the MicroPython unix port.",
    )
    gsub = p.add_subparsers(dest="gnss_command", metavar="SUBCOMMAND")
    d = gsub.add_parser(
        "decode",
        help="replay a receiver log: one fix per navigation cycle, then sentence counts",
        description="Replay a recorded receiver byte stream (NMEA 0183 and/or u-blox UBX) "
        "through firmware/gnss.py on MicroPython and print one fix per navigation cycle "
        "and the counts of good, bad-checksum and unknown sentences. Leading '#' lines "
        "are skipped.",
    )
    d.add_argument("logfile", help="raw receiver log (bytes as the receiver sent them)")
    d.add_argument("--json", action="store_true", help="JSON lines: one per cycle, then counts")
    d.add_argument("--fix-only", action="store_true", help="only cycles with a 2-D/3-D fix")
    d.add_argument(
        "--chunk",
        type=_chunk_size,
        default=DEFAULT_CHUNK,
        help="bytes per feed, like one UART read (default %(default)s)",
    )
    d.add_argument(
        "--epoch-end",
        metavar="TYPE",
        help="sentence type that closes a cycle (e.g. GLL); default: a new UTC time does",
    )
    d.set_defaults(func=run_decode)

    def need_sub(args):
        p.print_help()
        return 2

    p.set_defaults(func=need_sub)
