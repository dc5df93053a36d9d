"""A register-level model of an SX1276/77/78 in LoRa TX use, for MicroPython tests.

It plays the SPI slave behind machine-like objects: `FakeSX127x.spi` (write,
write_readinto, readinto), `.cs`, `.reset` and `.dio0` pins. What it models
from the datasheet (rev. 7, sections 4.1.2 and 6.4):
- SPI access: the first byte after CS falls is the address, bit 7 = write;
  the address auto-increments except on RegFifo, which reads/writes the FIFO
  at RegFifoAddrPtr and increments that pointer (wrapping at 256).
- RegOpMode: LongRangeMode only changes in sleep mode; entering sleep clears
  the FIFO; the FIFO is not accessible in sleep; TX is requested from standby.
- TX: the packet is FIFO[RegFifoTxBaseAddr ...] of RegPayloadLength bytes;
  after `tx_ms` of (virtual) clock time TxDone is set in RegIrqFlags, DIO0
  rises when RegDioMapping1 maps it to TxDone, the chip returns to standby.
  tx_ms=None: the transmission never completes (a dead chip).
- RegIrqFlags: writing 1 clears a flag.
Every rule broken by the driver increments `violations` (and names the last
one in `last_violation`). Steady-state use allocates nothing, so the driver's
allocation can be measured with this fake in the loop.
"""

REG_VERSION = 0x42
_CONFIG_REGS = (0x06, 0x07, 0x08, 0x09, 0x0B, 0x1D, 0x1E, 0x20, 0x21, 0x26, 0x39, 0x4D)
_DEFAULTS = {
    0x01: 0x09,
    0x06: 0x6C,
    0x07: 0x80,
    0x08: 0x00,
    0x09: 0x4F,
    0x0B: 0x2B,
    0x0E: 0x80,
    0x1D: 0x72,
    0x1E: 0x70,
    0x21: 0x08,
    0x22: 0x01,
    0x39: 0x12,
    0x42: 0x12,
    0x4D: 0x84,
}


class _Pin:
    def __init__(self, dev, role):
        self._dev = dev
        self._role = role
        self._v = 1

    def value(self, v=None):
        if v is None:
            if self._role == "dio0":
                return self._dev._dio0()
            return self._v
        old = self._v
        self._v = 1 if v else 0
        if self._role == "cs" and old and not self._v:
            self._dev._select()
        elif self._role == "reset" and old and not self._v:
            self._dev.power_on_reset()


class _Spi:
    def __init__(self, dev):
        self._dev = dev

    def write(self, buf):
        d = self._dev
        for i in range(len(buf)):
            d._xfer(buf[i])

    def write_readinto(self, wbuf, rbuf):
        d = self._dev
        for i in range(len(wbuf)):
            rbuf[i] = d._xfer(wbuf[i])

    def readinto(self, buf, write=0):
        d = self._dev
        for i in range(len(buf)):
            buf[i] = d._xfer(write)


class FakeSX127x:
    def __init__(self, clock, tx_ms=100, version=0x12):
        self.clock = clock
        self.tx_ms = tx_ms
        self.version = version
        self.regs = bytearray(128)
        self.fifo = bytearray(256)
        self.spi = _Spi(self)
        self.cs = _Pin(self, "cs")
        self.reset = _Pin(self, "reset")
        self.dio0 = _Pin(self, "dio0")
        self.violations = 0
        self.last_violation = ""
        self.tx_count = 0
        self.tx_packet = bytearray(256)
        self.tx_len = 0
        self.tx_regs = bytearray(128)  # register file when the last TX started
        self.mode_log = bytearray(64)  # last RegOpMode values written (ring)
        self.mode_log_n = 0
        self._in_tx = False
        self._tx_start = 0
        self._addr = -1
        self._writing = False
        self.power_on_reset()

    def power_on_reset(self):
        r = self.regs
        for i in range(128):
            r[i] = 0
        for k, v in _DEFAULTS.items():
            r[k] = v
        r[REG_VERSION] = self.version
        self._in_tx = False

    # -- state helpers -----------------------------------------------------
    def mode(self):
        return self.regs[0x01] & 0x07

    def lora(self):
        return bool(self.regs[0x01] & 0x80)

    def frf(self):
        r = self.regs
        return (r[0x06] << 16) | (r[0x07] << 8) | r[0x08]

    def _violate(self, what):
        self.violations += 1
        self.last_violation = what

    def _update(self):
        if (
            self._in_tx
            and self.tx_ms is not None
            and self.clock.diff_ms(self.clock.now_ms(), self._tx_start) >= self.tx_ms
        ):
            self._in_tx = False
            self.regs[0x12] |= 0x08  # TxDone
            self.regs[0x01] = (self.regs[0x01] & 0xF8) | 0x01  # back to standby
            self.tx_count += 1

    def _dio0(self):
        self._update()
        if (self.regs[0x40] >> 6) == 1 and self.regs[0x12] & 0x08:
            return 1
        return 0

    # -- SPI slave ---------------------------------------------------------
    def _select(self):
        self._update()
        self._addr = -1

    def _xfer(self, byte):
        if self._addr < 0:
            self._addr = byte & 0x7F
            self._writing = bool(byte & 0x80)
            return 0
        a = self._addr
        out = 0
        if self._writing:
            self._write(a, byte)
        else:
            out = self._read(a)
        if a != 0:
            self._addr = (a + 1) & 0x7F
        return out

    def _read(self, a):
        if a == 0:
            if self.mode() == 0:
                self._violate("FIFO read in sleep")
            p = self.regs[0x0D]
            self.regs[0x0D] = (p + 1) & 0xFF
            return self.fifo[p]
        return self.regs[a]

    def _write(self, a, v):
        r = self.regs
        if a == 0:
            if self.mode() == 0:
                self._violate("FIFO write in sleep")
                return
            p = r[0x0D]
            self.fifo[p] = v
            r[0x0D] = (p + 1) & 0xFF
            return
        if a == REG_VERSION:
            return
        if a == 0x12:
            r[0x12] &= ~v & 0xFF
            return
        if a in _CONFIG_REGS and self._in_tx:
            self._violate("configuration written during TX")
        if a == 0x01:
            self._write_op_mode(v)
            return
        r[a] = v

    def _write_op_mode(self, v):
        r = self.regs
        old_mode = r[0x01] & 0x07
        self.mode_log[self.mode_log_n % 64] = v
        self.mode_log_n += 1
        if (v & 0x80) != (r[0x01] & 0x80) and old_mode != 0:
            self._violate("LongRangeMode changed outside sleep")
            v = (v & 0x7F) | (r[0x01] & 0x80)
        new_mode = v & 0x07
        r[0x01] = v
        if new_mode == 0:
            self._in_tx = False
            f = self.fifo
            for i in range(256):
                f[i] = 0
        elif new_mode == 3:
            if not (v & 0x80):
                self._violate("TX requested in FSK mode")
            if old_mode == 0:
                self._violate("TX requested from sleep")
            base = r[0x0E]
            n = r[0x22]
            for i in range(n):
                self.tx_packet[i] = self.fifo[(base + i) & 0xFF]
            self.tx_len = n
            for i in range(128):
                self.tx_regs[i] = r[i]
            self._tx_start = self.clock.now_ms()
            self._in_tx = True
        elif self._in_tx:
            self._in_tx = False  # TX abandoned
