"""The serial console: human commands in, protocol lines out, and on sim or
bench boards the fixed-size frames that carry the world (simlink.py).

Input goes through one receive buffer, parsed in place: frame handlers read
their bytes where they lie (`take`, `take_line`), so nothing is copied or
allocated per frame. How the buffer is filled depends on the stream:

- byte-wise (real boards, pipes, files): `select.poll` + `readinto` of a
  preallocated 1-byte buffer while the poller says a byte is there (a
  `readinto` of more waits until the buffer is full on a pseudo-terminal, and
  on a board's USB console);
- bulk (the virtual board, whose board layer puts its terminal in the mode
  where a read returns what has arrived): one `readinto` for everything that
  is there. A drop test streams a hundred frames a second of simulated time
  as fast as the board can take them, and a system call per byte was most of
  the board's time.

Parsing a *command* allocates (split into words); commands are rare. Frames
are parsed by their handlers without allocation.
"""

import micropython
import select
from micropython import const

import wire

LINE_MAX = const(160)
RX_BYTES = const(256)  # receive buffer; every frame body fits several times over
# The virtual board's buffer in bulk mode: a drop test's whole batch (20-25
# frames and a sync, ~1 KB) arrives in one read instead of four; its heap is
# the unix port's, not a flight board's.
BULK_RX_BYTES = const(2048)
FRAME_START = const(35)  # '#'
FRAME_TIMEOUT_MS = const(50)
SIM_FRAME_TIMEOUT_MS = const(5000)


@micropython.viper
def copy_bytes(dst, at: int, src, src_at: int, n: int):
    """dst[at:at+n] = src[src_at:src_at+n] without a slice object; safe for
    a move towards the start of the same buffer (at <= src_at)."""
    d = ptr8(dst)
    s = ptr8(src)
    i = 0
    while i < n:
        d[at + i] = s[src_at + i]
        i += 1


def command_is_read_only(read_only, words):
    """Whether command line `words` may come without a checksum, from its
    table entry's `read_only`: True, False, or a tuple of the first
    arguments that only read ("" = no argument), e.g. ("", "list", "get")."""
    if read_only is True or read_only is False:
        return read_only
    return (words[1].lower() if len(words) > 1 else "") in read_only


def cmd_help(con, args):
    """The `help` command of every board role: the names in the console's
    table, or `help CMD`: its usage (cmd_usage.py, loaded for the answer and
    dropped again: a flight board keeps no usage text in RAM)."""
    if not args:
        con.reply_ok("help", [("commands", ",".join(sorted(con.commands)))])
        return
    import sys

    import cmd_usage

    row = cmd_usage.USAGE.get(args[0])
    del sys.modules["cmd_usage"]
    if row is None or args[0] not in con.commands:
        con.reply_error("help", "no command " + args[0] + ": help lists them")
        return
    con.reply_ok("help", [("cmd", args[0]), ("usage", row[0]), ("what", row[1])])


class Console:
    def __init__(self, stream_in, out, commands, frames, bulk=False):
        """commands: name -> (fn(console, args), read_only) where read_only
        is as `command_is_read_only` takes it: a line without a checksum runs
        only a read-only command; `help` (cmd_help) is added to it, every
        role has it. frames: frame-type byte -> fn(console).
        bulk: stream_in.readinto(buf, n) returns what has arrived (up to n)
        without waiting for n bytes."""
        self.inp = stream_in
        self.out = out
        self.commands = commands
        commands["help"] = (cmd_help, True)
        self.frames = frames
        self.bulk = bulk
        self.poller = select.poll()
        self.poller.register(stream_in, select.POLLIN)
        self.one = bytearray(1)
        self.rx_bytes = BULK_RX_BYTES if bulk else RX_BYTES
        self.rx = bytearray(self.rx_bytes)
        self.chunk = bytearray(self.rx_bytes) if bulk else None
        self.pos = 0  # next unread byte of rx
        self.end = 0  # end of what has been received
        self.line = bytearray(LINE_MAX)
        self.n = 0
        self.overlong = False
        self.bad_lines = 0
        self.bad_frames = 0
        self.stop_requested = False  # set by a command (`repl`): poll returns at once
        # How long the rest of a frame may take to arrive once its '#' has. A
        # host sends frames whole, but a busy host or relay can split one;
        # giving up early would turn the rest into a bogus command line and
        # lose the frame (a lost sync stalls a drop test). Sim boards wait
        # long (their time stands still meanwhile); a flying board must not.
        self.frame_timeout_ms = FRAME_TIMEOUT_MS

    # -- receiving ----------------------------------------------------------------
    def _fill(self, timeout_ms, limit=BULK_RX_BYTES):
        """Append what has arrived (at most `limit` bytes) to the buffer,
        waiting up to timeout_ms for the first byte; returns how many."""
        pos = self.pos
        end = self.end
        if pos:
            # the unread rest (part of a frame, < 64 bytes) moves to the front
            end -= pos
            copy_bytes(self.rx, 0, self.rx, pos, end)
            self.pos = 0
            self.end = end
        room = self.rx_bytes - end
        if room > limit:
            room = limit
        if room <= 0:
            return 0
        ready = False
        for _ in self.poller.ipoll(timeout_ms):
            ready = True
        if not ready:
            return 0
        n = 0
        if self.bulk:
            n = self.inp.readinto(self.chunk, room) or 0
            copy_bytes(self.rx, end, self.chunk, 0, n)
        else:
            rx = self.rx
            one = self.one
            while n < room:
                if self.inp.readinto(one) != 1:
                    break
                rx[end + n] = one[0]
                n += 1
                ready = False
                for _ in self.poller.ipoll(0):
                    ready = True
                if not ready:
                    break
        self.end = end + n
        return n

    def read_byte(self, timeout_ms=0):
        """Next byte, or -1 if none arrives within timeout_ms."""
        if self.pos == self.end and not self._fill(timeout_ms):
            return -1
        c = self.rx[self.pos]
        self.pos += 1
        return c

    def take(self, n, timeout_ms):
        """Consume the next n bytes (n <= RX_BYTES - 40: a `#B` frame of 8
        samples is 203): their offset in `self.rx`, or -1 if they do not all
        arrive (each wait up to timeout_ms)."""
        while self.end - self.pos < n:
            if not self._fill(timeout_ms):
                return -1
        at = self.pos
        self.pos = at + n
        return at

    def take_line(self, fn, limit, timeout_ms):
        """Pass the bytes up to and including the next b"\\n" to
        fn(self.rx, end, start) piece by piece as they arrive, at most
        `limit` bytes. Returns False if the line did not end in time."""
        rx = self.rx
        while limit > 0:
            if self.pos == self.end and not self._fill(timeout_ms):
                return False
            start = self.pos
            stop = self.end
            if stop - start > limit:
                stop = start + limit
            e = rx.find(b"\n", start, stop)
            if e >= 0:
                stop = e + 1
            fn(rx, stop, start)
            self.pos = stop
            limit -= stop - start
            if e >= 0:
                return True
        return False

    # -- the loop -------------------------------------------------------------------
    def poll(self, timeout_ms=0, budget=512):
        """Handle what has arrived (at most `budget` bytes and frames); wait up
        to timeout_ms for the first byte. In bulk mode a read takes whatever
        has arrived, up to the whole buffer (a batch of frames)."""
        wait = timeout_ms
        rx = self.rx
        limit = self.rx_bytes if self.bulk else budget
        for _ in range(budget):
            if self.pos == self.end and not self._fill(wait, limit):
                return
            wait = 0
            c = rx[self.pos]
            self.pos += 1
            if self.n == 0 and c == FRAME_START:
                kind = self.read_byte(self.frame_timeout_ms)
                handler = self.frames.get(kind)
                if handler is None:
                    self.bad_frames += 1
                else:
                    handler(self)
                continue
            if c == 10 or c == 13:
                n = self.n
                self.n = 0  # first: a command that raises must not glue the next line on
                if self.overlong:
                    self.bad_lines += 1
                    self.overlong = False
                elif n:
                    self._dispatch(n)
                    if self.stop_requested:
                        return
                continue
            if self.n < LINE_MAX:
                self.line[self.n] = c
                self.n += 1
            else:
                self.overlong = True

    def _dispatch(self, n):
        try:
            text = bytes(self.line[:n]).decode()
        except UnicodeError:
            self.bad_lines += 1
            return
        body, checked = wire.split_checked(text)
        if body is None:
            self.bad_lines += 1
            self.reply_error("line", "bad checksum")
            return
        words = body.split()
        if not words:
            return
        name = words[0].lower()
        entry = self.commands.get(name)
        if entry is None:
            self.reply_error(name, "unknown command; try help")
            return
        fn, read_only = entry
        if not checked and not command_is_read_only(read_only, words):
            # noise that happens to spell a command must not change anything
            self.bad_lines += 1
            self.reply_error(name, "needs a checksum (*HH): this command changes the board's state")
            return
        fn(self, words[1:])

    # replies (set by the app to its Wire)
    wire = None

    def reply_ok(self, name, fields=None):
        self.wire.ok(name, fields)

    def reply_error(self, name, message, fields=None):
        self.wire.error(name, message, fields)

    def reply_status(self, fields, errors):
        """`OK status`: the caller's own fields, then what every role reports
        alike: this console's bad lines and frames and the build's errors."""
        fields.append(("bad_lines", self.bad_lines))
        fields.append(("bad_frames", self.bad_frames))
        if errors:
            fields.append(("errors", "; ".join(errors)))
        self.reply_ok("status", fields)
