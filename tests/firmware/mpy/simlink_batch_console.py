"""A stream of `#B` batch and `#Y` sync frames from the file at argv[1] fed to
console.Console (bulk reads when argv[2] is 1, byte by byte when 0) through
tests/support/batch_handler.py. Prints "tick az_mg" for each sample taken and
"Y <value>" for each sync frame.
"""

import sys

import console
import sample
import simlink
from batch_handler import batch_handler


class Out:
    def write(self, b):
        pass


s = sample.Sample()


def took(t_ms):
    print(t_ms, s.az_mg)


def frame_y(con):
    at = con.take(9, 50)
    print("Y", simlink.hex_field(con.rx, at, 8))


handlers = {ord("B"): batch_handler(s, took), ord("Y"): frame_y}
con = console.Console(open(sys.argv[1], "rb"), Out(), {}, handlers, sys.argv[2] == "1")
for _ in range(200):
    con.poll(0)
