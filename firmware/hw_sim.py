"""The virtual board's hardware: everything the firmware would touch on a real
board, carried over the serial link instead (see simlink.py).

Sensor readings arrive in `#S` frames and are copied into the app's Sample;
pyro outputs and radio transmissions are reported as EVT lines, which is how
a drop-test host sees what the board did. Nothing here allocates per sample.
"""

import binascii

import sample as sample_mod


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
            "tx", [("radio", self.kind), ("n", n), ("hex", binascii.hexlify(bytes(buf[:n])).decode())]
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
        sample.copy_from(self.latest)

    def feed_watchdog(self):
        pass
