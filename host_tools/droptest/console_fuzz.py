"""Console fuzzing in flight: a drop test whose serial link also carries
random console input, to show that nothing a serial line can say stops, arms
or reconfigures a flying board.

What is sent (fixed seed, between the sample frames of the descent, the
board armed): random bytes over the whole 0..255 range with Ctrl-C (0x03)
and the raw-REPL bytes (0x01 0x02 0x04 0x05) weighted up, overlong lines,
malformed `#` frames (full-length sample frames with garbage, unknown frame
kinds), command lines with garbled checksums (`arm *ZZ`, `repl 00`,
`config set ... *6`), checksummed commands with extreme arguments, and
checksummed state-changing commands the board must refuse in flight (`repl`,
`config set`, `log clear`). Never a valid `disarm` (it may disarm an
ARMED board before the descent is detected; `disarm force` by design) nor
the virtual board's power-cut line `#R`.

Every input ends with a newline, so it cannot glue itself to the frame that
follows (a frame counts only at a line start; serial_noise.toml covers junk
that swallows frames, with altitude windows instead of exact altitudes).
So the flight is the same flight as without the input: the same channels
fire at the same altitudes. Every `status*HH` sent between inputs must be
answered, no reply may say a state-changing command was taken, and the board
never prints a REPL prompt or a traceback. (The scenario's own expectations
are not the measure: the refused `config set` replies read to its judge as
a rejected configuration.)
"""

import random
from dataclasses import dataclass, field

from host_tools.droptest import runner as droptest
from host_tools.protocol.lines import format_command

CONTROL = b"\x03\x01\x02\x04\x05"
GARBLED_TAILS = ["", " *ZZ", " *6", "*6", " 7E", " 00", "*0G", "* 7E", "*7E1", "*", "*00"]
STATE_CHANGING = [
    "arm",
    "disarm",
    "disarm force",
    "repl",
    "log clear",
    "log flush",
    "config set main_deploy_m 900",
    "config set start_mode reentry",
]
REFUSED_IN_FLIGHT = [  # valid checksums: the board must refuse them itself
    "repl",
    "arm",
    "config set main_deploy_m 900",
    "config set sample_hz 1",
    "log clear",
]
EXTREME_ARGS = [
    "status " + "9" * 60,
    "config get " + "x" * 120,
    "config get -1073741825",
    "sensors 1073741824",
    "gnss \x7f\x7f",
    "config " + "get " * 30,
    "help " + "é" * 20,
    "log 2147483648",
]


def _random_bytes(rnd, n):
    out = bytearray()
    for _ in range(n):
        if rnd.random() < 0.15:
            out.append(rnd.choice(CONTROL))
        else:
            out.append(rnd.randrange(256))
    return bytes(out)


def _frame_junk(rnd):
    kind = rnd.choice([b"S", b"Y", b"G", b"Z", b"\x03", b"#", b"s"])
    if kind == b"S":
        return b"#S" + _random_bytes(rnd, 40)
    if kind == b"Y":
        # never all hex: a well-formed sync frame is a valid message (no
        # checksum), and its reply would tell the host a batch had arrived
        digits = [rnd.choice(b"0123456789ABCDEFXYZ") for _ in range(8)]
        digits[rnd.randrange(8)] = rnd.choice(b"XYZ*:")
        return b"#Y" + bytes(digits)
    if kind == b"G":
        return b"#G$GPGGA," + _random_bytes(rnd, rnd.randrange(0, 80))
    return b"#" + kind + _random_bytes(rnd, rnd.randrange(0, 20))


def fuzz_input(rnd):
    """One console input (bytes ending in a newline)."""
    k = rnd.random()
    if k < 0.30:
        body = _random_bytes(rnd, rnd.randrange(1, 40))
    elif k < 0.40:
        body = b"\x03" * rnd.randrange(1, 4) + rnd.choice([b"", b"\x01", b"\x04", b"\x02\x04"])
    elif k < 0.50:
        body = _random_bytes(rnd, rnd.randrange(161, 400))  # longer than a line may be
    elif k < 0.65:
        body = _frame_junk(rnd)
    elif k < 0.85:
        command = rnd.choice(STATE_CHANGING)
        tail = rnd.choice(GARBLED_TAILS)
        if tail == "*00" and format_command(command).endswith(b"*00\n"):
            tail = "*01"  # well formed, but wrong
        body = (command + tail).encode()
    elif k < 0.93:
        body = format_command(rnd.choice(REFUSED_IN_FLIGHT)).rstrip(b"\n")
    else:
        body = format_command(rnd.choice(EXTREME_ARGS)).rstrip(b"\n")
    body = body.replace(b"\n", b" ").replace(b"#R", b"#r")  # one line; no power cut
    if rnd.random() < 0.2:
        body = b"\x03" + body  # Ctrl-C leading a line, as a terminal program sends it
    return body + b"\n"


STATUS = format_command("status")
# replies that say a command changed something (`log` stats and `config get`
# answer OK too, but only `config set` could reach a config OK in flight)
CHANGES_STATE = {"arm", "disarm", "repl", "config"}


@dataclass
class FuzzedLink:
    """A SerialNoise stand-in for the drop test: inserts fuzz inputs and a
    `status` probe between frames once the flight has started."""

    rnd: random.Random
    inputs_per_s: float
    status_every: int = 10
    garbage_per_s: float = 1.0  # non-zero: the drop test interleaves per frame
    corrupt_fraction: float = 0.0
    inputs: int = 0
    statuses: int = 0
    kinds: dict = field(default_factory=dict)

    def garbage(self, dt_s, noise):
        # own RNG, not the sensors' `noise`: the sensor readings stay those
        # of the same flight without fuzzing
        if self.rnd.random() >= self.inputs_per_s * dt_s:
            return b""
        self.inputs += 1
        data = fuzz_input(self.rnd)
        if self.inputs % self.status_every == 0:
            self.statuses += 1
            data += STATUS
        return data

    def corrupt(self, frame, noise):
        return frame


class FuzzedDropTest(droptest.DropTest):
    """A drop test that also watches for what a stopped firmware prints."""

    def __init__(self, *args, fuzz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.prompts = 0
        self.tracebacks = 0
        self.status_replies = 0
        self.accepted = []  # OK replies to anything but status/sync
        if fuzz is not None:
            self.sensors.serial = fuzz

    def _on_raw_line(self, raw):
        if b">>>" in raw or b"raw REPL" in raw:
            self.prompts += 1
        if b"Traceback" in raw or b"KeyboardInterrupt" in raw:
            self.tracebacks += 1
        line = droptest.parse_line(raw)
        if line is not None and line.kind == "OK":
            if line.name == "status":
                self.status_replies += 1
            elif line.name not in self.pending_commands and (
                line.name in CHANGES_STATE or "cleared" in line.fields
            ):
                self.accepted.append(line.raw)
        super()._on_raw_line(raw)


def fires(result):
    return [(e.extra["channel"], e.extra.get("altitude_m")) for e in result.fires()]


def run(link, scenario, seed=3, inputs_per_s=40.0, fuzz_seed=1):
    """Fly `scenario` on `link` with fuzzed console input; returns
    (result, FuzzedLink, FuzzedDropTest)."""
    fuzz = FuzzedLink(random.Random(fuzz_seed), inputs_per_s)
    test = FuzzedDropTest(scenario, link, seed=seed, fuzz=fuzz)
    result = test.run()
    return result, fuzz, test


def anomalies(clean, fuzzed, fuzz, test):
    """What went wrong in the fuzzed flight, as sentences ([] = nothing)."""
    out = []
    if fires(fuzzed) != fires(clean):
        out.append(f"fires {fires(fuzzed)} differ from the clean flight's {fires(clean)}")
    if test.prompts:
        out.append(f"{test.prompts} REPL prompt line(s)")
    if test.tracebacks:
        out.append(f"{test.tracebacks} traceback line(s)")
    if test.status_replies < fuzz.statuses:
        out.append(
            f"{fuzz.statuses - test.status_replies} of {fuzz.statuses} status probes unanswered"
        )
    if test.accepted:
        out.append(f"accepted: {test.accepted[:3]}")
    return out
