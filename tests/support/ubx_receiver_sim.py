"""A u-blox receiver as the board sees it through its UART.

It frames what the board writes (its own Fletcher check: frames with a bad
checksum are ignored as a real receiver does) and answers each CFG frame
according to `policy`.

Runs inside the MicroPython unix port (tests put tests/support on its path);
`run` polls a reader and a configurator on a virtual clock until the
configurator is no longer busy.
"""


def fletcher(b, start, end):
    # the UBX checksum as the protocol manual defines it, written apart from ubx.py's
    a = c = 0
    for byte in b[start:end]:
        a = (a + byte) & 255
        c = (c + a) & 255
    return a, c


class SimReceiver:
    def __init__(self, policy=None, default="ack", lose=0):
        self.policy = policy or {}  # (cls, id) -> 'ack' | 'nak' | 'silent'
        self.default = default
        self.lose = lose  # frames of each kind to ignore before answering
        self.seen = {}
        self.rx = bytearray()  # bytes waiting for the board
        self.tx = bytearray()  # every byte the board wrote
        self.frames = []  # (cls, id) of every well-formed frame received
        self._pos = 0

    def write(self, data):
        self.tx.extend(bytes(data))
        self._frame()
        return len(data)

    def _frame(self):
        b = self.tx
        while len(b) - self._pos >= 8:
            p = self._pos
            if b[p] != 0xB5 or b[p + 1] != 0x62:
                self._pos += 1
                continue
            n = b[p + 4] | (b[p + 5] << 8)
            if len(b) - p < n + 8:
                return
            self._pos = p + n + 8
            if fletcher(b, p + 2, p + 6 + n) != (b[p + 6 + n], b[p + 7 + n]):
                continue
            key = (b[p + 2], b[p + 3])
            self.frames.append(key)
            k = self.seen.get(key, 0)
            self.seen[key] = k + 1
            if k < self.lose:
                continue
            what = self.policy.get(key, self.default)
            if what == "ack":
                self._answer(1, key)
            elif what == "nak":
                self._answer(0, key)

    def _answer(self, ack_id, key):
        f = bytearray(10)
        f[0] = 0xB5
        f[1] = 0x62
        f[2] = 0x05
        f[3] = ack_id
        f[4] = 2
        f[5] = 0
        f[6] = key[0]
        f[7] = key[1]
        f[8], f[9] = fletcher(f, 2, 8)
        self.rx.extend(f)

    def any(self):
        return len(self.rx)

    def readinto(self, buf, n=None):
        if not self.rx:
            return None
        if n is None:
            n = len(buf)
        n = min(n, len(self.rx))
        for i in range(n):
            buf[i] = self.rx[i]
        self.rx = self.rx[n:]
        return n


def run(rx, cfg, reader, clk, limit_ms=20000, step_ms=10):
    t = 0
    while cfg.state == "busy" and t < limit_ms:
        clk.advance_ms(step_ms)
        t += step_ms
        reader.poll()
        cfg.poll()
    return t
