"""The virtual board's hardware: everything the firmware would touch on a real
board, carried over the serial link instead (see simlink.py).

Sensor readings arrive in `#S` frames and are copied into the app's Sample;
pyro outputs and radio transmissions are reported as EVT lines, which is how
a drop-test host sees what the board did. Nothing here allocates per sample.
"""

import binascii

import sample as sample_mod

# (VMIN, VTIME) positions in termios' control characters, by host OS
_VMIN_VTIME = {"linux": (6, 5), "darwin": (16, 17)}
# the ISIG bit of c_lflag, by host OS (MicroPython's termios has no constants)
_ISIG = {"linux": 0o1, "darwin": 0x80}


class SimPyroOutput:
    def __init__(self, name, wire):
        self.name = name
        self.wire = wire
        self.on = False
        self.has_continuity = True  # a bench host may open the circuit with `sim open NAME`

    def set(self, on):
        on = bool(on)
        if on != self.on:
            self.on = on
            self.wire.event("pyro", [("channel", self.name), ("on", 1 if on else 0)])

    def continuity(self):
        return self.has_continuity


class SimRadio:
    """Transmits by printing the packet; done at once."""

    kind = "lora"

    def __init__(self, wire):
        self.wire = wire
        self.sent = 0

    def send(self, buf, n):
        self.sent += 1
        self.wire.event(
            "tx",
            [("radio", self.kind), ("n", n), ("hex", binascii.hexlify(bytes(buf[:n])).decode())],
        )

    def busy(self):
        return False

    def poll(self):
        pass


class SimHardware:
    mode = "sim"

    def __init__(self, board, clock, wire):
        self.board = board
        self.clock = clock
        self.latest = sample_mod.Sample()
        self.fresh = False
        self.pyro_outputs = {}
        for name in board.get("pyro", {}):
            self.pyro_outputs[name] = SimPyroOutput(name, wire)
        self.arm_input = None  # the sim board has no arm switch: `arm` alone arms
        self.radio = SimRadio(wire)
        self.gnss_uart = None  # GNSS bytes arrive in #G frames
        self.watchdog = None

    def read(self, sample):
        """The last frame's values into `sample`; nothing to copy when it is
        `latest` itself (the app's loop sample: frames decode into it)."""
        if sample is not self.latest:
            sample.copy_from(self.latest)

    def console_bulk_reads(self):
        """Put the console terminal (stdin) in the mode where a read returns
        what has arrived instead of waiting for a whole buffer (VMIN = 0,
        VTIME = 0), so the console takes a batch of frames in one read.
        False (nothing changed) when stdin is not a terminal or the host OS's
        control-character layout is not known here."""
        import sys

        cc_index = _VMIN_VTIME.get(sys.platform)
        if cc_index is None:
            return False
        try:
            import termios

            attrs = termios.tcgetattr(0)
            self._console_attrs = termios.tcgetattr(0)
            attrs[6][cc_index[0]] = 0
            attrs[6][cc_index[1]] = 0
            termios.tcsetattr(0, termios.TCSANOW, attrs)
        except Exception:
            return False
        return True

    def console_restore(self):
        """The terminal as it was before console_bulk_reads()."""
        attrs = getattr(self, "_console_attrs", None)
        if attrs is None:
            return
        try:
            import termios

            termios.tcsetattr(0, termios.TCSANOW, attrs)
        except Exception:
            pass

    def console_interrupts(self, on):
        """Let Ctrl-C on the console interrupt the firmware, or not.

        Why not micropython.kbd_intr(-1), as on a real board: on the unix
        port Ctrl-C is the terminal's SIGINT, and kbd_intr(-1) only puts
        SIGINT back to its default, which kills the interpreter. Clearing
        the terminal's ISIG flag makes 0x03 an ordinary input byte instead,
        which is what kbd_intr(-1) does on a board (the relay in
        host_tools/vboard.py reads the flag to know it too). On a port
        without a host terminal (the emulated Cortex-M board) it is
        kbd_intr itself."""
        import sys

        bit = _ISIG.get(sys.platform)
        if bit is None:  # a board's own console (UART, USB): as on a real board
            import micropython

            micropython.kbd_intr(3 if on else -1)
            return
        try:
            import termios

            attrs = termios.tcgetattr(0)
            attrs[3] = attrs[3] | bit if on else attrs[3] & ~bit
            termios.tcsetattr(0, termios.TCSANOW, attrs)
        except Exception:
            pass  # stdin is not a terminal (a test pipe): no Ctrl-C to fear

    def feed_watchdog(self):
        pass

    def start_watchdog(self):
        pass  # the virtual board has none
