"""Host side of firmware/wire.py: parse the board's protocol lines.

    KIND T_MS NAME key=value key="text with spaces" ...*HH

A line whose checksum is missing or wrong, or that does not have this shape,
is not a protocol line (REPL output, boot noise, a line hit by serial noise)
and parses to None.
"""

import re
from dataclasses import dataclass, field

KINDS = ("EVT", "OK", "ERR", "TLM", "RX")  # RX: a ground station's packet (firmware/rx_line.py)
_FIELD = re.compile(r'(\w+)=("[^"]*"|\S*)')


@dataclass
class Line:
    kind: str
    t_ms: int
    name: str
    fields: dict = field(default_factory=dict)
    raw: str = ""

    def get(self, key, default=None):
        return self.fields.get(key, default)

    def number(self, key, default=None):
        """A field as int or float (the board sends both)."""
        value = self.fields.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return default


def checksum(text: str) -> int:
    """XOR of the line's bytes as sent (UTF-8, as the board encodes it)."""
    c = 0
    for b in text.encode("utf-8", "replace"):
        c ^= b
    return c


def parse_line(raw):
    """Parse one line (bytes or str, with or without CR LF); None if not a valid protocol line."""
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8", "replace")
    line = raw.strip("\r\n\x00 ")
    star = line.rfind("*")
    if star < 0 or len(line) - star != 3:
        return None
    body = line[:star]
    try:
        if int(line[star + 1 :], 16) != checksum(body):
            return None
    except ValueError:
        return None
    parts = body.split(" ", 3)
    if len(parts) < 3 or parts[0] not in KINDS:
        return None
    try:
        t_ms = int(parts[1])
    except ValueError:
        return None
    fields = {}
    if len(parts) == 4:
        for key, value in _FIELD.findall(parts[3]):
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = value[1:-1]
            fields[key] = value
    return Line(parts[0], t_ms, parts[2], fields, line)


def format_command(text: str) -> bytes:
    """A command line with its checksum, so noise on the way in is caught too."""
    text = text.strip()
    return (f"{text}*{checksum(text):02X}\n").encode()
