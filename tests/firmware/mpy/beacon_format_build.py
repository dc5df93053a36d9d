"""Beacon packets built by one packet format for a list of fixes.

stdin: JSON {"ctor": the format's constructor expression (see
tests/support/packet_format.py), "callsign", "ssid", "cases": a list of Fix
field dicts (null: no position), "age", "phase", "vbatt", "seq"}. Prints each
packet in hex, one a line, then "FAULT <cfg_fault>" (False for a format
without one).
"""

import json
import sys
from binascii import hexlify

import fix
import packet_format

job = json.loads(sys.stdin.read())
fmt = packet_format.build(job["ctor"], job["callsign"], job["ssid"])
f = fix.Fix()
for c in job["cases"]:
    pos = None
    if c is not None:
        for k in c:
            setattr(f, k, c[k])
        pos = f
    n = fmt.build(pos, job["age"], job["phase"], job["vbatt"], job["seq"])
    print(hexlify(fmt.buf[:n]).decode())
print("FAULT", fmt.cfg_fault if hasattr(fmt, "cfg_fault") else False)
