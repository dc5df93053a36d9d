"""A flight recorded on LittleFS over a flash cut at each of its operations.

The reference flight (flightlog_gen's inputs, phases from the stand to the
beacon, recycling segments) is recorded once: `REF` and `REFSTATS` lines. Then
for every flash operation of it, whole and torn, the same flight is cut at
that operation, the board reboots from the bytes that reached the flash and
records 20 more samples: a `CUT` line each, its log copied into argv[1].
"""

import os
import sys
import vfs

import clock
import fix
import flightlog
from flightlog_gen import sample_args

OUT = sys.argv[1]

BS = 512
NBLK = 160
SEG = {"block_bytes": 512, "segment_blocks": 4, "segments": 6}


class PowerCut(Exception):
    pass


class Flash:
    # LittleFS block device over a bytearray; flash operation number cut_at
    # (a program or an erase) is the last: torn leaves half of it done.
    def __init__(self, data, cut_at=-1, torn=False):
        self.data = data
        self.cut_at = cut_at
        self.torn = torn
        self.ops = 0
        self.dead = False

    def _op(self, at, n, src):
        if self.dead:
            raise PowerCut()
        if self.ops == self.cut_at:
            self.dead = True
            n = n // 2 if self.torn else 0
        for i in range(n) if src is None else ():
            self.data[at + i] = 0xFF
        if src is not None and n:
            self.data[at : at + n] = src[:n]
        if self.dead:
            raise PowerCut()
        self.ops += 1

    def readblocks(self, blk, buf, off=0):
        a = blk * BS + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, blk, buf, off=None):
        self._op(blk * BS + (off or 0), len(buf), buf)

    def ioctl(self, op, arg):
        if op == 4:
            return NBLK
        if op == 5:
            return BS
        if op == 6:
            self._op(arg * BS, BS, None)
        return 0


graveyard = []  # dead mounts stay referenced: no finaliser runs on them
n_mount = 0


def mount(dev):
    global n_mount
    n_mount += 1
    path = "/m%d" % n_mount
    fs = vfs.VfsLfs2(dev)
    vfs.mount(fs, path)
    graveyard.append(fs)
    return path


def phase_of(i):
    return 1 if i < 20 else 2 if i < 45 else 3 if i < 70 else 4 if i < 95 else 5 if i < 130 else 6


def fly(log, clk, fx, logged):
    for i in range(N_CALLS):
        ph = phase_of(i)
        clk.advance_ms(30000 if ph == 6 else 200)
        if i % 4 == 0:
            fx.mode = 3
            fx.rx_ms = clk.now_ms()
            fx.lat_e7r = i
        if log.record(ph, *sample_args(i), fx):
            logged.append(i)
        if i in (45, 70):
            log.event(flightlog.EV_FIRE, 0 if i == 45 else 1, i)


def dump(path, out):
    with open(out, "wb") as o:
        for name in sorted(os.listdir(path + "/log")):
            with open(path + "/log/" + name, "rb") as f:
                o.write(f.read())


N_CALLS = 420
blank = Flash(bytearray(b"\xff" * (BS * NBLK)))
vfs.VfsLfs2.mkfs(blank)
formatted = blank.data

dev = Flash(bytearray(formatted))
p = mount(dev)
log = flightlog.FlightLog(p + "/log", clock.VirtualClock(1000), **SEG)
log.open()
logged = []
fly(log, log._clock, fix.Fix(), logged)
REF_OPS = dev.ops
print("REF", dev.ops, ",".join(str(i) for i in logged))
st = log.stats()
print("REFSTATS", st["segments_recycled"], st["blocks_written"])
dump(p, OUT + "/ref.bin")

for cut in range(REF_OPS):
    for torn in (False, True):
        dev = Flash(bytearray(formatted), cut, torn)
        p = mount(dev)
        log = flightlog.FlightLog(p + "/log", clock.VirtualClock(1000), **SEG)
        graveyard.append(log)
        saved = -1
        try:
            log.open()
            fly(log, log._clock, fix.Fix(), [])
        except PowerCut:
            saved = log._samples_saved
        assert saved >= 0  # every operation of the reference flight is cut once
        # reboot from the bytes that reached the flash
        dev2 = Flash(bytearray(dev.data))
        p = mount(dev2)
        log = flightlog.FlightLog(p + "/log", clock.VirtualClock(777), **SEG)
        graveyard.append(log)
        ok = log.open()
        for k in range(20):
            log._clock.advance_ms(1000)
            log.record(0, 2000000 + k, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
        log.close()
        out = OUT + "/cut%d_%d.bin" % (cut, torn)
        dump(p, out)
        print("CUT", cut, int(torn), saved, int(ok), out)
        # The mounts stay referenced (no finaliser may touch a dead flash);
        # only the flash images are released.
        dev.data = dev2.data = None
        dev.dead = dev2.dead = True
