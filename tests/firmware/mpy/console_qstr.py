"""qstr_info() before and after the console answers, as a board's console would.

argv: the stream's file (`#B` batches, `#Y` syncs, `set` command lines), read
byte by byte. One poll first gives a reply of each kind (what a boot does
once); then qstr_info() prints the pool ("... n_qstr=N, ..."), 3000 polls
run, every checksum value is formatted and checked, qstr_info() prints again,
and "END replies bad_frames bad_lines". Equal counts: nothing on the frame,
reply or command path interns a qstr at run time.
"""

import micropython
import sys

import console
import sample
import simlink
import wire
from batch_handler import batch_handler


class Out:
    def __init__(self):
        self.lines = 0

    def write(self, s):
        self.lines += 1


class Clock:
    t = 0

    def now_ms(self):
        Clock.t += 1
        return Clock.t


def took(t_ms):
    pass


frame_b = batch_handler(sample.Sample(), took)


def cmd_set(con, args):
    con.reply_ok("set", [("key", args[0])])


out = Out()
frames = {ord("B"): frame_b, ord("Y"): simlink.frame_sync}
con = console.Console(open(sys.argv[1], "rb"), out, {"set": (cmd_set, False)}, frames, False)
con.wire = wire.Wire(out, Clock())
con.poll(0, 64)  # a first reply of each kind: what a boot does once
micropython.qstr_info()
for _ in range(3000):
    con.poll(0, 64)
for c in range(256):
    wire.format_line("OK", c, "sync", [("seq", c)])
    for h in ("%02X" % c, "%02x" % c):
        wire.split_checked("status*" + h)
micropython.qstr_info()
print("END", out.lines, con.bad_frames, con.bad_lines)
