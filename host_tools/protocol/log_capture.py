"""A decoded flight log as a capture `capsule track` reads.

The log keeps GNSS fixes, not the packets the beacon sent, so this is what
the beacon would have sent from them: for each logged fix with a position
(at most one per `every_s`, the beacon's period under the chutes by
default), the LoRa APRS packet built by the firmware's own encoder
(`firmware/aprs.py`, run on the MicroPython unix port, as gnss_log runs the
parser), written as the virtual board's `EVT tx` line behind the fix's UTC
when the log knows it (`capsule log decode --capture`).
"""

from __future__ import annotations

import json
import os
import subprocess

from host_tools import paths
from host_tools.paths import FIRMWARE_DIR
from host_tools.protocol.lines import checksum


class LogCaptureError(Exception):
    """The packets cannot be built (message for the user)."""


DEFAULT_EVERY_S = 5.0

# Runs on MicroPython: one hex packet per case, in order.
BUILD_PROGRAM = """
import fix, aprs, json, binascii
class Cfg:
    callsign = %(callsign)r
    ssid = %(ssid)d
    batt_low_mv = 0
fmt = aprs.AprsFormat(Cfg())
f = fix.Fix()
for c in json.loads(%(cases)r):
    for k in ("mode", "lat_deg", "lat_e7r", "lon_deg", "lon_e7r", "alt_cm", "alt_ok", "sats",
              "hour", "minute", "second", "hdop_c"):
        setattr(f, k, c[k])
    n = fmt.build(f, 0, c["phase"], c["vbatt"], c["seq"])
    print(binascii.hexlify(bytes(fmt.buf[:n])).decode())
"""


def _record_at(records, t_s):
    """The last sample record at or before t_s (else the first)."""
    best = records[0] if records else None
    for r in records:
        if r.t_s > t_s:
            break
        best = r
    return best


def capture_lines(log, callsign, ssid, every_s=DEFAULT_EVERY_S, micropython=None, timeout=120):
    """The capture's lines (str, no line ends) for a DecodedLog."""
    cases, times = [], []
    last = None
    for f in log.fixes:
        if not f.has_position or (last is not None and f.t_s - last < every_s):
            continue
        last = f.t_s
        rec = _record_at(log.records, f.t_s)
        utc = log.utc_at(f.t_s)
        cases.append(
            {
                "mode": f.mode,
                "lat_deg": f.lat_deg,
                "lat_e7r": f.lat_e7r,
                "lon_deg": f.lon_deg,
                "lon_e7r": f.lon_e7r,
                "alt_cm": f.alt_cm,
                "alt_ok": f.alt_ok,
                "sats": f.sats,
                "hour": utc.hour if utc else 0,
                "minute": utc.minute if utc else 0,
                "second": utc.second if utc else 0,
                "hdop_c": f.hdop_c,
                "phase": rec.phase if rec else 0,
                "vbatt": rec.vbatt_mv if rec else 0,
                "seq": len(cases) % 10000,
            }
        )
        times.append((f.t_s, utc))
    if not cases:
        return []
    try:
        exe = micropython or paths.micropython_executable()
    except FileNotFoundError as exc:
        raise LogCaptureError(str(exc)) from None
    code = BUILD_PROGRAM % {"callsign": callsign, "ssid": ssid, "cases": json.dumps(cases)}
    proc = subprocess.run(
        [exe, "-X", "heapsize=1M", "-c", code],
        capture_output=True,
        check=False,
        text=True,
        env=dict(os.environ, MICROPYPATH=str(FIRMWARE_DIR)),
        timeout=timeout,
    )
    packets = proc.stdout.split()
    if proc.returncode != 0 or len(packets) != len(cases):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise LogCaptureError(f"the firmware's APRS encoder failed: {tail[0]}")
    out = []
    for (t_s, utc), hexed in zip(times, packets, strict=True):
        body = f"EVT {round(t_s * 1000)} tx radio=lora n={len(hexed) // 2} hex={hexed.upper()}"
        line = f"{body}*{checksum(body):02X}"
        if utc is not None:
            line = utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z " + line
        out.append(line)
    return out
