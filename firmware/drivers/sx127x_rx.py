"""Continuous LoRa receive on an SX1276/77/78, for the recovery team's ground station.

Wraps an initialised drivers/sx127x.SX127x (same bus, pins, channel plan and
register access; the transmitter's driver stays as it is) and adds the
receive side, per the Semtech SX1276/77/78/79 datasheet rev. 7, section
4.1.6 ("Continuous Reception Operating Mode") and 6.4 (register map):

- `start()`: standby, RX FIFO base 0, DIO0 mapped to RxDone, IRQs cleared,
  then RXCONTINUOUS. The chip keeps listening from then on; each packet
  raises RxDone (and PayloadCrcError if its CRC failed).
- `receive(buf)` (called every loop, never waits): on RxDone it reads the
  packet from RegFifoRxCurrentAddr, RegRxNbBytes bytes long, into buf and
  the packet's RSSI and SNR (lora_signal.py), and clears the IRQs. Returns
  the length of a packet whose CRC checked; RX_CRC_BAD for a packet whose
  CRC failed, RX_NO_CRC for one sent without a CRC (both counted, buf
  holds the bytes for inspection only: never decode them as a position);
  0 when nothing arrived.

Allocation: none per packet. The FIFO is read one byte per SPI transfer
into a 1-byte buffer within one chip-select window (the burst read of
datasheet 4.1.2.1 without slicing buf to n bytes).
"""

from micropython import const

import lora_signal

REG_FIFO = const(0x00)
REG_LNA = const(0x0C)
REG_FIFO_ADDR_PTR = const(0x0D)
REG_FIFO_RX_BASE_ADDR = const(0x0F)
REG_FIFO_RX_CURRENT_ADDR = const(0x10)
REG_IRQ_FLAGS = const(0x12)
REG_RX_NB_BYTES = const(0x13)
REG_PKT_SNR_VALUE = const(0x19)
REG_PKT_RSSI_VALUE = const(0x1A)
REG_HOP_CHANNEL = const(0x1C)
REG_DIO_MAPPING1 = const(0x40)

MODE_RX_CONTINUOUS = const(0x05)
IRQ_RX_DONE = const(0x40)
IRQ_PAYLOAD_CRC_ERROR = const(0x20)
IRQ_VALID_HEADER = const(0x10)
CRC_ON_PAYLOAD = const(0x40)  # RegHopChannel bit 6: the received header announced a CRC
DIO0_RX_DONE = const(0x00)  # RegDioMapping1 Dio0Mapping = 00 in LoRa mode
LNA_MAX_GAIN_BOOST_HF = const(0x23)  # G1, LnaBoostHf = 11 (150 % LNA current)

# receive() results besides a length
RX_NONE = const(0)
RX_CRC_BAD = const(-1)
RX_NO_CRC = const(-2)


class Receiver:
    def __init__(self, radio):
        self.radio = radio
        self._one = bytearray(1)
        self._addr = bytearray(1)
        self.listening = False
        self.rssi_q4 = 0  # last packet's RSSI, quarter dBm
        self.snr_q4 = 0  # last packet's SNR, quarter dB
        self.length = 0  # last packet's length in bytes (good or not)
        self.received = 0
        self.crc_bad = 0
        self.no_crc = 0

    def start(self):
        """Listen continuously on the radio's channel; False if the chip was not found."""
        r = self.radio
        if not r.ok:
            return False
        r.standby()
        r.write_reg(REG_FIFO_RX_BASE_ADDR, 0)
        r.write_reg(REG_FIFO_ADDR_PTR, 0)
        if r.freq_hz >= lora_signal.HF_PORT_MIN_HZ:
            r.write_reg(REG_LNA, LNA_MAX_GAIN_BOOST_HF)
        r.write_reg(REG_DIO_MAPPING1, DIO0_RX_DONE)
        r.write_reg(REG_IRQ_FLAGS, 0xFF)
        r._op_mode(MODE_RX_CONTINUOUS)
        self.listening = True
        return True

    def _read_fifo(self, buf, n):
        r = self.radio
        a = self._addr
        one = self._one
        a[0] = REG_FIFO
        r._cs.value(0)
        r._spi.write(a)
        for i in range(n):
            r._spi.readinto(one, 0)
            buf[i] = one[0]
        r._cs.value(1)

    def receive(self, buf):
        """A packet into buf: its length, RX_CRC_BAD, RX_NO_CRC, or RX_NONE."""
        if not self.listening:
            return RX_NONE
        r = self.radio
        dio0 = r._dio0
        if dio0 is not None and not dio0.value():
            return RX_NONE
        flags = r.read_reg(REG_IRQ_FLAGS)
        if not flags & IRQ_RX_DONE:
            return RX_NONE
        n = r.read_reg(REG_RX_NB_BYTES)
        if n > len(buf):
            n = len(buf)
        r.write_reg(REG_FIFO_ADDR_PTR, r.read_reg(REG_FIFO_RX_CURRENT_ADDR))
        self._read_fifo(buf, n)
        snr = r.read_reg(REG_PKT_SNR_VALUE)
        self.snr_q4 = lora_signal.snr_q4(snr)
        self.rssi_q4 = lora_signal.rssi_q4(r.read_reg(REG_PKT_RSSI_VALUE), snr, r.freq_hz)
        self.length = n
        crc_announced = r.read_reg(REG_HOP_CHANNEL) & CRC_ON_PAYLOAD
        r.write_reg(REG_IRQ_FLAGS, flags)  # write 1 to clear what was set
        if flags & IRQ_PAYLOAD_CRC_ERROR:
            self.crc_bad += 1
            return RX_CRC_BAD
        if not crc_announced:
            self.no_crc += 1
            return RX_NO_CRC
        self.received += 1
        return n
