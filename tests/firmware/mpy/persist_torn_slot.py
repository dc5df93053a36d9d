"""Two records saved in the store at argv[1], then its newest slot cut to every
length and, whole, with each byte flipped in turn. Prints, a JSON line each,
what a fresh store loads after each damage (tests/support/flight_records.fields):
one line at a time, so the heap holds one result, not all.
"""

import json
import sys

import persist
from flight_records import fields, rec

path = sys.argv[1]
s = persist.Store(path)
s.save(rec(3, 100000, 1))  # seq 1 -> slot 1
s.save(rec(4, 200000, 3))  # seq 2 -> slot 0 (newest)
newest = s.slot_path(0)
with open(newest, "rb") as f:
    good = f.read()
print(len(good))
for n in range(len(good)):
    with open(newest, "wb") as f:
        f.write(good[:n])
    print(json.dumps(fields(persist.Store(path).load())))
for i in range(len(good)):
    bad = bytearray(good)
    bad[i] ^= 0x40
    with open(newest, "wb") as f:
        f.write(bad)
    print(json.dumps(fields(persist.Store(path).load())))
