"""The serial line protocol: what the board says and how a host can trust it.

Board -> host, one line each, readable by a person and parseable by a tool:

    KIND T_MS NAME key=value key="text with spaces" ...*HH\r\n

KIND is EVT (something happened: phase change, fire, fault, tx), OK / ERR (the
reply to a command; NAME is the command) or TLM (periodic status). T_MS is the
board clock tick. HH is the XOR of every byte before '*', as in NMEA, so a
line hit by noise is recognisable and dropped by the host.

Host -> board: a command line `NAME args...` (a `*HH` suffix is checked when
present). On boards in sim or bench mode the host also sends fixed-size frames
that start with '#', see `simlink.py`.
"""

_HEX = b"0123456789ABCDEF"


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
    c = checksum(body)
    return body + "*" + chr(_HEX[c >> 4]) + chr(_HEX[c & 15]) + "\r\n"


def split_checked(line):
    """Strip and verify an optional `*HH` suffix of a command line (str).

    Returns the body, or None when a checksum is present and wrong."""
    line = line.strip()
    star = line.rfind("*")
    if star >= 0 and star == len(line) - 3:
        try:
            want = int(line[star + 1 :], 16)
        except ValueError:
            return line
        if checksum(line, star) != want:
            return None
        return line[:star].rstrip()
    return line


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
