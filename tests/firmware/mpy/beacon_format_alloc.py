"""Heap growth of 201 beacon packets (200 with a moving position, one
without) built by the packet format argv[1] names (a constructor expression,
see tests/support/packet_format.py) after a warm-up burst. Prints the bytes.
"""

import sys

import fix
import heap_probe
import packet_format

fmt = packet_format.build(sys.argv[1])
f = fix.Fix()
FIELDS = {
    "mode": 3, "lat_deg": -33, "lat_e7r": -8123456, "lon_deg": 151, "lon_e7r": 2093456,
    "alt_cm": 123456, "alt_ok": True, "sats": 11, "hour": 23, "minute": 59, "second": 58,
}  # fmt: skip
for name, value in FIELDS.items():
    setattr(f, name, value)


def burst():
    for i in range(200):
        f.lon_e7r = 2093456 + i * 997
        f.alt_cm = 123456 - i * 50
        fmt.build(f, i, 4 + i % 3, 3300 + i, 1000 + i)
    fmt.build(None, -1, 6, 3300, 5)


burst()
print(heap_probe.alloc_of(burst))
