"""The serial line protocol: what the board says and how a host can trust it.

Board -> host, one line each, readable by a person and parseable by a tool:

    KIND T_MS NAME key=value key="text with spaces" ...*HH\r\n

KIND is EVT (something happened: phase change, fire, fault, tx), OK / ERR (the
reply to a command; NAME is the command) or TLM (periodic status). T_MS is the
board clock tick. HH is the XOR of every byte before '*', as in NMEA, so a
line hit by noise is recognisable and dropped by the host.

Host -> board: a command line `NAME args...*HH`. Read-only commands may
come without the `*HH` (a person at a terminal); anything that changes the
board's state needs it (see `split_checked` and the command table in app.py).
On boards in sim or bench mode the host also sends fixed-size frames that
start with '#', see `simlink.py`.
"""

_HEX_DIGITS = "0123456789ABCDEFabcdef"


def checksum(data, end=None):
    """XOR of data[0:end] (bytes, bytearray or str)."""
    if isinstance(data, str):
        # the bytes that go on the wire: a name echoed from a noisy line can
        # hold characters above 0x7F, which UTF-8 sends as several bytes
        if end is not None:
            data = data[:end]
        data = data.encode()
        end = None
    if end is None:
        end = len(data)
    c = 0
    for i in range(end):
        c ^= data[i]
    return c


def _quote(value):
    s = str(value)
    if not s or " " in s or "=" in s or "*" in s:
        return '"' + s.replace('"', "'") + '"'
    return s


def format_line(kind, t_ms, name, fields=None):
    """Build one protocol line (allocates: for events and replies, not per sample)."""
    parts = [kind, str(t_ms), name]
    if fields:
        for k, v in fields:
            parts.append(k + "=" + _quote(v))
    body = " ".join(parts)
    # "%02X", not chr() or a str index: those intern a one-character qstr
    # the first time a digit shows up, and once the qstr pool is full that
    # asks for a new pool in one piece (1280 entries, ~9 KB) that a
    # fragmented board heap may not have: a MemoryError in every reply
    return "%s*%02X\r\n" % (body, checksum(body))


def split_checked(line):
    """Strip and verify the `*HH` suffix of a command line (str).

    One rule: a line that carries a `*` must end in `*` and exactly two hex
    digits matching the XOR of the bytes before it. Returns (body, checked):
    checked is True for a verified line, False for a line without any `*`;
    (None, False) for a line whose checksum is malformed or wrong. Which
    commands may come unchecked is the command table's business (app.py)."""
    line = line.strip()
    star = line.rfind("*")
    if star < 0:
        return line, False
    # one-character slices, not line[i]: an index interns a qstr (format_line)
    if star != len(line) - 3 or _HEX_DIGITS.find(line[star + 1 : star + 2]) < 0:
        return None, False
    if _HEX_DIGITS.find(line[star + 2 :]) < 0:
        return None, False
    if checksum(line, star) != int(line[star + 1 :], 16):
        return None, False
    return line[:star].rstrip(), True


class Wire:
    """Writes protocol lines to the console stream."""

    def __init__(self, out, clock):
        self.out = out
        self.clock = clock

    def send(self, kind, name, fields=None):
        self.out.write(format_line(kind, self.clock.now_ms(), name, fields))

    def event(self, name, fields=None):
        self.send("EVT", name, fields)

    def ok(self, name, fields=None):
        self.send("OK", name, fields)

    def error(self, name, message, fields=None):
        f = [("msg", message)]
        if fields:
            f.extend(fields)
        self.send("ERR", name, f)
