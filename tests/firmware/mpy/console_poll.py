"""Polls a console over a recorded stream and prints what it decodes.

argv: the stream's file, 1 for bulk reads (0: byte by byte), the poll's byte
budget. Prints one line per frame, command or reply (console_rig.py says
which), then "END bad_frames bad_lines".
"""

import sys

import console_rig

path, bulk, budget = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
con, rec = console_rig.make(open(path, "rb"), bulk)
for _ in range(1000):
    con.poll(0, budget)
print("END", con.bad_frames, con.bad_lines)
