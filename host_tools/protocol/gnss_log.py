"""A recorded GNSS receiver log, decoded by the firmware's own parser.

The log is fed to `firmware/gnss.py` running on the MicroPython unix port
(the same code that flies), not to a host re-implementation, so a bench check
of a receiver or a post-flight replay shows exactly what the board would have
made of those bytes: one fix per navigation cycle, then the sentence counters.
Leading `#` comment lines (as in gpsd's regression logs) are skipped.
"""

import os
import subprocess
from pathlib import Path

from host_tools import paths
from host_tools.paths import FIRMWARE_DIR


class GnssLogError(Exception):
    """The log cannot be decoded (message for the user)."""


def _micropython():
    try:
        return paths.micropython_executable()
    except FileNotFoundError as exc:
        raise GnssLogError(str(exc)) from None


DEFAULT_CHUNK = 256

# Runs on MicroPython. Feeds the log in chunks, prints one `F ...` line per
# published epoch and a final `C name=value ...` line with the counters.
REPLAY_PROGRAM = """
import gnss, clock
PATH = %(path)r
CHUNK = %(chunk)d
END = %(end)r
c = clock.VirtualClock()
r = gnss.GnssReader(None, c)
if END:
    r.set_epoch_end(END.encode())
def show(rd):
    f = rd.fix
    print('F', f.mode, int(f.time_ok), f.year, f.month, f.day, f.hour, f.minute, f.second,
          f.ms, f.lat_deg, f.lat_e7r, f.lon_deg, f.lon_e7r, int(f.alt_ok), f.alt_cm, f.sats,
          f.hdop_c, int(f.speed_ok), f.speed_cms, int(f.course_ok), f.course_cdeg)
r.on_epoch = show
buf = bytearray(CHUNK)
with open(PATH, 'rb') as fh:
    head = True
    while head:
        line = fh.readline()
        if not line:
            break
        if line[:1] != b'#':
            head = False
            r.feed(line, len(line))
    while True:
        n = fh.readinto(buf)
        if not n:
            break
        r.feed(buf, n)
        c.advance_ms(n)
r.flush()
print('C', 'good=%%d' %% r.good, 'bad_checksum=%%d' %% r.bad_checksum,
      'unknown=%%d' %% r.unknown, 'overlong=%%d' %% r.overlong,
      'truncated=%%d' %% r.truncated, 'bad_fields=%%d' %% r.bad_fields,
      'garbage=%%d' %% r.garbage, 'ubx_frames=%%d' %% r.ubx_frames,
      'ubx_bad=%%d' %% r.ubx_bad, 'epochs=%%d' %% r.epochs)
"""

MODE_NAMES = {0: "none", 1: "no-fix", 2: "2D", 3: "3D"}


def _fix_record(fields):
    (mode, time_ok, y, mo, d, h, mi, s, ms, latd, latr, lond, lonr) = fields[:13]
    (alt_ok, alt_cm, sats, hdop_c, spd_ok, spd, crs_ok, crs) = fields[13:]
    if not time_ok:
        time = None
    elif y:
        time = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z"
    else:  # time of day known, date not yet (ISO 8601 time-only form)
        time = f"{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z"
    has_pos = mode >= 2
    return {
        "time": time,
        "lat": round((latd * 10_000_000 + latr) / 1e7, 7) if has_pos else None,
        "lon": round((lond * 10_000_000 + lonr) / 1e7, 7) if has_pos else None,
        "alt_m": alt_cm / 100 if has_pos and alt_ok else None,
        "mode": mode,
        "sats": sats,
        "hdop": hdop_c / 100 if hdop_c else None,
        "speed_m_s": spd / 100 if spd_ok else None,
        "course_deg": crs / 100 if crs_ok else None,
    }


def decode_log(path, chunk=DEFAULT_CHUNK, epoch_end=None, micropython=None, timeout=120):
    """Decode a receiver log with the firmware parser on MicroPython.

    Returns (fixes, counts): one dict per navigation cycle (keys as in the
    JSON output) and the parser's counters."""
    path = Path(path)
    if not path.exists():
        raise GnssLogError(f"log file not found: {path}")
    if not path.is_file():
        raise GnssLogError(f"not a file: {path}")
    if not (FIRMWARE_DIR / "gnss.py").exists():
        raise GnssLogError(f"firmware parser not found: {FIRMWARE_DIR / 'gnss.py'}")
    code = REPLAY_PROGRAM % {"path": str(path.resolve()), "chunk": chunk, "end": epoch_end or ""}
    env = dict(os.environ, MICROPYPATH=str(FIRMWARE_DIR))
    proc = subprocess.run(
        [micropython or _micropython(), "-X", "heapsize=256K", "-c", code],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise GnssLogError(f"the firmware parser failed on {path}: {tail[0]}")
    fixes = []
    counts = {}
    for line in proc.stdout.splitlines():
        if line.startswith("F "):
            fixes.append(_fix_record([int(x) for x in line.split()[1:]]))
        elif line.startswith("C "):
            for item in line.split()[1:]:
                key, _, value = item.partition("=")
                counts[key] = int(value)
    return fixes, counts


def fix_text(f):
    """One decoded cycle as a line for a person."""
    parts = [
        f["time"] or "time ?",
        MODE_NAMES.get(f["mode"], str(f["mode"])),
    ]
    if f["lat"] is not None:
        parts.append(f"{f['lat']:.7f} {f['lon']:.7f}")
    if f["alt_m"] is not None:
        parts.append(f"alt {f['alt_m']:.2f} m")
    parts.append(f"{f['sats']} sats")
    if f["hdop"] is not None:
        parts.append(f"hdop {f['hdop']:.2f}")
    if f["speed_m_s"] is not None:
        parts.append(f"{f['speed_m_s']:.2f} m/s")
    if f["course_deg"] is not None:
        parts.append(f"course {f['course_deg']:.2f}")
    return "  ".join(parts)
