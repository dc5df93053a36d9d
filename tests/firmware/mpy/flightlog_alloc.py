"""What the recorder allocates per sample over 2000 records that write many
blocks: native and Python CRC, on the unix file system (under argv[1]) and
on LittleFS over a host file. One line each: CRC, where, bytes, blocks."""

import gc
import sys
import vfs

import clock
import fix
import flightlog

TMP = sys.argv[1]


class FileFlash:
    # LittleFS block device over a host file: reads and writes without allocating
    def __init__(self, path, bs, n):
        self.bs = bs
        self.n = n
        self.ff = bytearray(b"\xff" * bs)
        self.f = open(path, "w+b")
        for _ in range(n):
            self.f.write(self.ff)

    def readblocks(self, blk, buf, off=0):
        self.f.seek(blk * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, blk, buf, off=None):
        self.f.seek(blk * self.bs + (off or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:
            self.f.seek(arg * self.bs)
            self.f.write(self.ff)
        return 0


dev = FileFlash(TMP + "/flash.img", 512, 1024)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/lfs")

c = clock.VirtualClock(0)
fx = fix.Fix()


def step(log, i):
    c.advance_ms(100)
    if i % 25 == 0:
        fx.mode = 3
        fx.rx_ms = c.now_ms()
        fx.lat_e7r = i
        fx.year = 2026
        fx.time_ok = True
    log.record(2 + (i // 500) % 4, 1013250 - i, i * 3, -i, 981, i, -i, 1000, 3700, 3, fx)
    if i % 100 == 0:
        log.event(flightlog.EV_FAULT, 7, i)


for crc in ("native", "python"):
    if crc == "python":
        flightlog.crc32_into = flightlog.crc32_into_py
    for where in (TMP + "/posix_" + crc, "/lfs/log_" + crc):
        log = flightlog.FlightLog(where, c, block_bytes=512, segment_blocks=4000, segments=3)
        log.open()
        for i in range(300):
            step(log, i)
        b0 = log.stats()["blocks_written"]
        gc.collect()
        a = gc.mem_alloc()
        for i in range(300, 2300):
            step(log, i)
        used = gc.mem_alloc() - a
        print(crc, where[:5], used, log.stats()["blocks_written"] - b0)
        log.close()
