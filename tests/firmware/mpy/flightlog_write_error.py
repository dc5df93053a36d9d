"""The recorder on LittleFS over a flash whose writes fail (EIO) for two
records; prints the write errors counted and whether it is still writing."""

import vfs

import clock
import flightlog


class Flash:
    def __init__(self):
        self.data = bytearray(b"\xff" * (512 * 128))
        self.fail = False

    def readblocks(self, blk, buf, off=0):
        a = blk * 512 + off
        buf[:] = self.data[a : a + len(buf)]

    def writeblocks(self, blk, buf, off=None):
        if self.fail:
            return -5  # EIO, as a flash driver reports it
        a = blk * 512 + (off or 0)
        self.data[a : a + len(buf)] = buf

    def ioctl(self, op, arg):
        return 128 if op == 4 else 512 if op == 5 else 0


dev = Flash()
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/f")
c = clock.VirtualClock(0)
log = flightlog.FlightLog("/f/log", c, block_bytes=512, segment_blocks=8, segments=4)
log.open()
for i in range(200):
    c.advance_ms(100)
    dev.fail = 40 <= i < 42
    log.record(3, i, 0, 0, 0, 0, 0, 0, 0, 0, None)
st = log.stats()
print(st["write_errors"], st["writing"])
