"""The receive side of the SX1276/77/78 model (fake_sx127x.FakeSX127x), for
MicroPython tests of drivers/sx127x_rx.py.

What it adds from the datasheet (rev. 7, sections 4.1.2.3, 4.1.6, 5.5.5, 6.4):
- RegOpMode 101 = RXCONTINUOUS: the chip listens until told otherwise; the
  FIFO RX pointer (RegFifoRxByteAddr 0x25) starts at RegFifoRxBaseAddr when
  RX mode is entered and keeps going, wrapping at 256.
- `air(payload, rssi_reg, snr_reg, crc_error=False, crc_on=True)`: a packet
  arrives. Only in RXCONTINUOUS and LoRa mode (else it is counted in
  `missed`): its bytes go to the FIFO at the RX pointer, RegFifoRxCurrentAddr
  = where it starts, RegRxNbBytes = its length, RegPktSnrValue /
  RegPktRssiValue = the given register values, RegHopChannel bit 6 =
  CrcOnPayload of its header, RegIrqFlags |= ValidHeader | RxDone
  (| PayloadCrcError). DIO0 is high while RxDone is set and RegDioMapping1
  maps DIO0 to RxDone (00).
- Reading the FIFO in sleep is a violation (the base model's rule).
Steady-state use allocates nothing.
"""

from fake_sx127x import FakeSX127x

MODE_RX_CONTINUOUS = 5
REG_FIFO_RX_BASE = 0x0F
REG_FIFO_RX_CURRENT = 0x10
REG_IRQ_FLAGS = 0x12
REG_RX_NB_BYTES = 0x13
REG_PKT_SNR = 0x19
REG_PKT_RSSI = 0x1A
REG_HOP_CHANNEL = 0x1C
REG_FIFO_RX_BYTE_ADDR = 0x25
REG_DIO_MAPPING1 = 0x40
IRQ_RX_DONE = 0x40
IRQ_CRC_ERROR = 0x20
IRQ_VALID_HEADER = 0x10


class FakeSX127xRx(FakeSX127x):
    def __init__(self, clock, **kw):
        self.missed = 0
        self.delivered = 0
        super().__init__(clock, **kw)

    def listening(self):
        return self.lora() and self.mode() == MODE_RX_CONTINUOUS

    def air(self, payload, rssi_reg, snr_reg, crc_error=False, crc_on=True):
        if not self.listening():
            self.missed += 1
            return False
        r = self.regs
        p = r[REG_FIFO_RX_BYTE_ADDR]
        r[REG_FIFO_RX_CURRENT] = p
        for i in range(len(payload)):
            self.fifo[(p + i) & 0xFF] = payload[i]
        r[REG_FIFO_RX_BYTE_ADDR] = (p + len(payload)) & 0xFF
        r[REG_RX_NB_BYTES] = len(payload)
        r[REG_PKT_SNR] = snr_reg & 0xFF
        r[REG_PKT_RSSI] = rssi_reg & 0xFF
        r[REG_HOP_CHANNEL] = (r[REG_HOP_CHANNEL] & 0xBF) | (0x40 if crc_on else 0)
        flags = IRQ_VALID_HEADER | IRQ_RX_DONE
        if crc_error:
            flags |= IRQ_CRC_ERROR
        r[REG_IRQ_FLAGS] |= flags
        self.delivered += 1
        return True

    def _dio0(self):
        if (self.regs[REG_DIO_MAPPING1] >> 6) == 0 and self.regs[REG_IRQ_FLAGS] & IRQ_RX_DONE:
            return 1
        return super()._dio0()

    def _write_op_mode(self, v):
        was_rx = self.mode() == MODE_RX_CONTINUOUS
        super()._write_op_mode(v)
        if self.mode() == MODE_RX_CONTINUOUS and not was_rx:
            self.regs[REG_FIFO_RX_BYTE_ADDR] = self.regs[REG_FIFO_RX_BASE]
