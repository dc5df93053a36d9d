"""The serial console: human commands in, protocol lines out, and on sim or
bench boards the fixed-size frames that carry the world (simlink.py).

Reading is allocation-free: one byte at a time through `select.poll` +
`readinto` of a preallocated 1-byte buffer (on a pseudo-terminal, `readinto`
waits until its buffer is full, so only exact-size reads are used). Parsing a
*command* allocates (split into words); commands are rare. Frames are parsed
by their handlers without allocation.
"""

import select

from micropython import const

import wire

LINE_MAX = const(160)
FRAME_START = const(35)  # '#'
FRAME_TIMEOUT_MS = const(50)
SIM_FRAME_TIMEOUT_MS = const(5000)


class Console:
    def __init__(self, stream_in, out, commands, frames):
        """commands: name -> fn(console, args) ; frames: frame-type byte -> fn(console)."""
        self.inp = stream_in
        self.out = out
        self.commands = commands
        self.frames = frames
        self.poller = select.poll()
        self.poller.register(stream_in, select.POLLIN)
        self.one = bytearray(1)
        self.line = bytearray(LINE_MAX)
        self.n = 0
        self.overlong = False
        self.bad_lines = 0
        self.bad_frames = 0
        # How long the rest of a frame may take to arrive once its '#' has. A
        # host sends frames whole, but a busy host or relay can split one;
        # giving up early would turn the rest into a bogus command line and
        # lose the frame (a lost sync stalls a drop test). Sim boards wait
        # long (their time stands still meanwhile); a flying board must not.
        self.frame_timeout_ms = FRAME_TIMEOUT_MS

    def read_byte(self, timeout_ms=0):
        """Next byte, or -1 if none arrives within timeout_ms."""
        for _ in self.poller.ipoll(timeout_ms):
            if self.inp.readinto(self.one) == 1:
                return self.one[0]
            return -1
        return -1

    def read_exact(self, buf):
        """Fill buf (blocks; only used for frames a host sends whole)."""
        return self.inp.readinto(buf)

    def poll(self, timeout_ms=0, budget=512):
        """Handle what has arrived; wait up to timeout_ms for the first byte."""
        wait = timeout_ms
        for _ in range(budget):
            c = self.read_byte(wait)
            if c < 0:
                return
            wait = 0
            if self.n == 0 and c == FRAME_START:
                kind = self.read_byte(self.frame_timeout_ms)
                handler = self.frames.get(kind)
                if handler is None:
                    self.bad_frames += 1
                else:
                    handler(self)
                continue
            if c == 10 or c == 13:
                if self.overlong:
                    self.bad_lines += 1
                    self.overlong = False
                elif self.n:
                    self._dispatch()
                self.n = 0
                continue
            if self.n < LINE_MAX:
                self.line[self.n] = c
                self.n += 1
            else:
                self.overlong = True

    def _dispatch(self):
        try:
            text = bytes(self.line[: self.n]).decode()
        except UnicodeError:
            self.bad_lines += 1
            return
        body = wire.split_checked(text)
        if body is None:
            self.bad_lines += 1
            self.reply_error("line", "bad checksum")
            return
        words = body.split()
        if not words:
            return
        name = words[0].lower()
        fn = self.commands.get(name)
        if fn is None:
            self.reply_error(name, "unknown command; try help")
            return
        fn(self, words[1:])

    # replies (set by the app to its Wire)
    wire = None

    def reply_ok(self, name, fields=None):
        self.wire.ok(name, fields)

    def reply_error(self, name, message, fields=None):
        self.wire.error(name, message, fields)
