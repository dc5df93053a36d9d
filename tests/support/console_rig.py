"""A firmware Console on a recorded input stream, for the console tests.

Runs inside the MicroPython unix port (tests put tests/support on its path):
`make(stream, bulk)` builds a console reading the open file `stream`, byte by byte
(a real board) or in bulk (the virtual board), with a `status` command and
handlers for `#S`, `#Y` and `#G` frames that print what they decode
("S t press az", "Y seq", "G ok line"); replies print as "OK name" or
"ERR name message". A recorder set quiet counts samples and prints nothing,
so the frame path can be measured for allocation.
"""

import console
import sample
import simlink


class Out:
    def write(self, b):
        pass


class Wire:
    def ok(self, name, fields=None):
        print("OK", name)

    def error(self, name, message, fields=None):
        print("ERR", name, message)


class Rec:
    def __init__(self):
        self.s = sample.Sample()
        self.samples = 0
        self.gnss = bytearray()
        self.quiet = False
        self.piece = self.gnss_piece  # bound once: a bound method is an allocation

    def frame_s(self, con):
        at = con.take(simlink.SAMPLE_BODY_LEN, 50)
        t = -2 if at < 0 else simlink.decode_sample(con.rx, self.s, at)
        self.samples += 1
        if not self.quiet:
            print("S", t, self.s.press_dpa, self.s.az_mg)

    def frame_y(self, con):
        at = con.take(9, 50)
        print("Y", -2 if at < 0 else simlink.hex_field(con.rx, at, 8))

    def gnss_piece(self, buf, end, start):
        if not self.quiet:
            self.gnss.extend(bytes(buf[start:end]))

    def frame_g(self, con):
        ok = con.take_line(self.piece, 200, 50)
        if not self.quiet:
            print("G", ok, bytes(self.gnss))
            self.gnss = bytearray()


def status(con, args):
    print("CMD", "status", len(args))


def make(stream, bulk):
    """(console, recorder) reading the open binary file `stream`."""
    rec = Rec()
    frames = {ord("S"): rec.frame_s, ord("Y"): rec.frame_y, ord("G"): rec.frame_g}
    con = console.Console(stream, Out(), {"status": (status, True)}, frames, bulk)
    con.wire = Wire()
    return con, rec
