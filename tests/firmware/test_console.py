"""The console's receive buffer on MicroPython: frames, GNSS lines and command
lines come out the same whether the stream is read a byte at a time (real
boards) or in bulk (the virtual board), wherever the reads cut the frames, and
the frame path allocates nothing."""

import random

from mpy import SUPPORT, run_mpy

from host_tools.protocol.frames import gnss_frame, sample_frame, sync_frame
from host_tools.protocol.lines import format_command

HARNESS = r"""
import gc, console, simlink, sample

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

def make(path, bulk):
    rec = Rec()
    f = open(path, "rb")
    con = console.Console(f, Out(), {"status": (status, True)},
                          {ord("S"): rec.frame_s, ord("Y"): rec.frame_y, ord("G"): rec.frame_g}, bulk)
    con.wire = Wire()
    return con, rec
"""


def _run(stream: bytes, tmp_path, bulk: bool, budget=512):
    path = tmp_path / "in.bin"
    path.write_bytes(stream)
    code = (
        HARNESS
        + f"""
con, rec = make({str(path)!r}, {bulk})
for _ in range(1000):
    con.poll(0, {budget})
print("END", con.bad_frames, con.bad_lines)
"""
    )
    return run_mpy(code).splitlines()


def _mixed_stream(seed):
    rnd = random.Random(seed)
    parts = []
    for i in range(60):
        k = rnd.random()
        if k < 0.6:
            parts.append(sample_frame(1000 + 10 * i, 1013250 - i, (0, 0, 1000 + i)))
        elif k < 0.75:
            parts.append(gnss_frame(b"$GPGGA,%06d.00,,,,,0,00,99.99,,,,,,*00\r\n" % i))
        elif k < 0.85:
            parts.append(sync_frame(i))
        elif k < 0.95:
            parts.append(format_command("status a b"))
        else:
            parts.append(b"junk without a newline " * rnd.randint(1, 3) + b"\n")
    return b"".join(parts)


def test_bulk_and_bytewise_reads_see_the_same_frames_and_lines(tmp_path):
    for seed in range(3):
        stream = _mixed_stream(seed)
        # shift the stream so bulk reads cut the frames at other places
        for pad in (0, 1, 17, 45):
            data = b"\n" * pad + stream
            bulk = _run(data, tmp_path, bulk=True)
            bytewise = _run(data, tmp_path, bulk=False, budget=64)
            assert bulk == bytewise
            assert bulk[-1] == "END 0 0"
            assert sum(1 for line in bulk if line.startswith("S ")) == stream.count(b"#S")
            assert all(not line.startswith("S -") for line in bulk)


def test_a_frame_cut_short_at_the_end_of_input_is_counted_not_decoded(tmp_path):
    frame = sample_frame(5000, 1013250, (0, 0, 1000))
    for cut in (3, 20, len(frame) - 1):
        out = _run(frame + frame[:cut], tmp_path, bulk=True)
        assert out[0] == "S 5000 1013250 1000"
        assert out[1] == "S -2 1013250 1000"  # the rest never came: nothing decoded


def test_gnss_frame_longer_than_its_limit_is_cut(tmp_path):
    long = gnss_frame(b"$" + b"A" * 300 + b"\r\n")
    out = _run(long + sample_frame(7000, 1000000, (0, 0, 990)), tmp_path, bulk=True)
    assert out[0].startswith("G False")
    assert "S 7000 1000000 990" in out


def test_frame_path_allocates_nothing(tmp_path):
    frames = b"".join(sample_frame(1000 + 10 * i, 1013250 - i, (i, -i, 1000)) for i in range(3000))
    gnss = gnss_frame(b"$GPGGA,000000.00,,,,,0,00,99.99,,,,,,*00\r\n")
    stream = b"".join(
        frames[i * 4500 : (i + 1) * 4500] + gnss for i in range(30)
    )  # 100 frames of 45 bytes, then a GNSS line
    path = tmp_path / "in.bin"
    path.write_bytes(stream)
    for bulk in (True, False):
        code = (
            HARNESS
            + f"""
con, rec = make({str(path)!r}, {bulk})
rec.quiet = True
con.poll(0, 200)       # first reads: the stream's buffers are set up
n = 0
a = 0
gc.collect()
a = gc.mem_alloc()
while n < 2000:
    con.poll(0, 64)
    n += 1
print(gc.mem_alloc() - a, rec.samples)
"""
        )
        alloc, samples = map(int, run_mpy(code).split())
        assert samples == 3000
        assert alloc == 0, (bulk, alloc)


def test_reply_to_a_noisy_command_name_carries_a_valid_checksum():
    # garbage that decodes as UTF-8 above 0x7F is echoed in the error reply;
    # the checksum covers the bytes sent, so the host still accepts the line
    from host_tools.protocol.lines import parse_line

    out = run_mpy(
        "import wire, sys\n"
        "line = wire.format_line('ERR', 5, '\\u00e9\\u20ac\\u00ff', [('msg', 'unknown command')])\n"
        "sys.stdout.write(line)\n"
    )
    raw = out.encode().rstrip(b"\r\n")
    parsed = parse_line(raw)
    assert parsed is not None and parsed.kind == "ERR" and parsed.t_ms == 5


QSTR_HARNESS = r"""
import micropython, console, simlink, sample, wire
from batch_handler import batch_handler

def n_qstr():
    # qstr_info() prints "qstr pool: n_pool=.., n_qstr=N, ..."
    micropython.qstr_info()

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
con = console.Console(open({path!r}, "rb"), out, {{"set": (cmd_set, False)}},
                      {{ord("B"): frame_b, ord("Y"): simlink.frame_sync}}, False)
con.wire = wire.Wire(out, Clock())
con.poll(0, 64)  # a first reply of each kind: what a boot does once
n_qstr()
for _ in range(3000):
    con.poll(0, 64)
for c in range(256):
    wire.format_line("OK", c, "sync", [("seq", c)])
    for h in ("%02X" % c, "%02x" % c):
        wire.split_checked("status*" + h)
n_qstr()
print("END", out.lines, con.bad_frames, con.bad_lines)
"""


def test_replies_and_checked_lines_intern_no_qstr_at_run_time(tmp_path):
    """A reply's checksum digits once came from chr(), which interns a
    one-character qstr the first time a digit shows up. On the emulated
    Cortex-M3 (192 KB heap) the firmware's modules had filled the qstr pool,
    so that asked for a new pool in one piece (1280 entries, ~9 KB) that the
    fragmented heap did not have: `MemoryError ... allocating 1280 bytes` in
    every reply with a new digit, a lost `OK sync` and a stalled drop test.
    A flying board must not depend on the heap's shape to answer, so nothing
    in the frame, reply or command path interns a qstr: here the console
    reads byte by byte (a board's path) `#B` batches, `#Y` syncs whose
    replies carry every checksum value, and checked command lines."""
    import numpy as np

    from host_tools.protocol import frames

    parts = []
    for i in range(256):
        ticks = [1000 + 40 * (8 * i + k) for k in range(8)]
        readings = np.array([[1013250 - i, 3, -4, 1000, 4000, 3]] * 8, dtype=np.int64).T
        parts.append(frames.batch_frames(ticks, readings))
        parts.append(frames.sync_frame(i))
        if i % 8 == 0:
            parts.append(format_command(f"set k{i}"))
    path = tmp_path / "in.bin"
    path.write_bytes(b"".join(parts))
    out = run_mpy(QSTR_HARNESS.format(path=str(path)), extra_path=[SUPPORT]).splitlines()
    counts = [line.split("n_qstr=")[1].split(",")[0] for line in out if "n_qstr=" in line]
    assert out[-1] == f"END {256 + 32} 0 0", out[-1]
    assert len(counts) == 2 and counts[0] == counts[1], counts
