"""The SX127x receiver under test on MicroPython: the driver and its
Receiver wired to the register-level receiving chip model of
beacon_fakes/fake_sx127x_rx.py on a virtual clock.

Runs inside the MicroPython unix port (tests put tests/support and
beacon_fakes on its path).
"""

import clock
import sx127x
import sx127x_rx
from fake_sx127x_rx import FakeSX127xRx


def start(dio0=True, **options):
    """(clk, chip, radio, rx, buf): the chip, the driver built with `options`
    and initialised, DIO0 wired when `dio0`, its Receiver, a packet buffer."""
    clk = clock.VirtualClock(5000)
    chip = FakeSX127xRx(clk)
    irq = chip.dio0 if dio0 else None
    radio = sx127x.SX127x(chip.spi, chip.cs, chip.reset, irq, clock=clk, **options)
    radio.init()
    return clk, chip, radio, sx127x_rx.Receiver(radio), bytearray(256)
