"""Slot 1 of the store at argv[1] left empty, short and long (as a power cut or
a stray file would), then three more records saved each time. Prints a JSON
list of what a fresh store loads after each round
(tests/support/flight_records.fields).
"""

import json
import sys

import persist
from flight_records import fields, rec

path = sys.argv[1]
s = persist.Store(path)
s.save(rec(3, 100000, 1))  # seq 1 -> slot 1
s.save(rec(4, 200000, 3))  # seq 2 -> slot 0
res = []
for junk in (b"", b"x" * 10, b"y" * 200):
    with open(s.slot_path(1), "wb") as f:
        f.write(junk)
    s.save(rec(5, 300000 + len(junk), 3))  # odd seq -> slot 1 again
    s.save(rec(5, 310000 + len(junk), 3))  # even seq -> slot 0
    s.save(rec(5, 320000 + len(junk), 3))  # slot 1, now in place
    res.append(fields(persist.Store(path).load()))
print(json.dumps(res))
