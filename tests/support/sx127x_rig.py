"""The SX127x driver under test on MicroPython, wired to the register-level
chip model of beacon_fakes/fake_sx127x.py on a virtual clock.

Runs inside the MicroPython unix port (tests put tests/support and
beacon_fakes on its path).
"""

import clock
import sx127x
from fake_sx127x import FakeSX127x


def start(t0=1000, tx_ms=100, version=0x12, dio0=True, **options):
    """The chip (a transmission takes tx_ms, None: it never finishes; its
    version register) and the driver built with `options`, DIO0 wired when
    `dio0`; returns (clk, chip, radio), the driver not yet initialised."""
    clk = clock.VirtualClock(t0)
    chip = FakeSX127x(clk, tx_ms=tx_ms, version=version)
    irq = chip.dio0 if dio0 else None
    radio = sx127x.SX127x(chip.spi, chip.cs, chip.reset, irq, clock=clk, **options)
    return clk, chip, radio
