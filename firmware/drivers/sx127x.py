"""SX1276/77/78 LoRa transmitter driver (RFM95W/96W/98W, LilyGO T-Beam), register level.

Expects an SPI bus (mode 0, <= 10 MHz, machine.SPI-like: write, write_readinto)
and three pin objects (machine.Pin-like: value()): chip select (output, idle
high), NRESET (output) and DIO0 (input, may be None; used by the receiver,
sx127x_rx.py: TX-done is always read from RegIrqFlags). Register numbers and bit fields follow the Semtech SX1276/77/78/79
datasheet rev. 7 (section 6.4, "LoRa mode register map").

Transmit only: the capsule beacons, it does not listen. Non-blocking:
`send(buf, n)` loads the FIFO and starts the transmission, `poll()` (called
every loop) finishes it on TX-done or after a timeout, then puts the chip to
sleep. Neither waits. The radio object contract used by beacon.py is
`send(buf, n) -> bool`, `busy() -> bool`, `poll()`, `airtime_ms(n)`.

Allocation: none per packet. Register access goes through two 2-byte
buffers; the FIFO is loaded with one burst of the caller's whole buffer
(at most 256 bytes, the FIFO size) and RegPayloadLength = n decides what is
sent, because slicing the buffer to n bytes would allocate a memoryview.
Integer math only: Frf = f * 2**19 / 32 MHz is computed from f in Hz split
by 15625 so no intermediate reaches 2**30.
"""

from micropython import const

import beacon_airtime

# Registers (LoRa mode)
REG_FIFO = const(0x00)
REG_OP_MODE = const(0x01)
REG_FRF_MSB = const(0x06)
REG_FRF_MID = const(0x07)
REG_FRF_LSB = const(0x08)
REG_PA_CONFIG = const(0x09)
REG_OCP = const(0x0B)
REG_FIFO_ADDR_PTR = const(0x0D)
REG_FIFO_TX_BASE_ADDR = const(0x0E)
REG_FIFO_RX_BASE_ADDR = const(0x0F)
REG_IRQ_FLAGS_MASK = const(0x11)
REG_IRQ_FLAGS = const(0x12)
REG_MODEM_CONFIG1 = const(0x1D)
REG_MODEM_CONFIG2 = const(0x1E)
REG_PREAMBLE_MSB = const(0x20)
REG_PREAMBLE_LSB = const(0x21)
REG_PAYLOAD_LENGTH = const(0x22)
REG_MODEM_CONFIG3 = const(0x26)
REG_SYNC_WORD = const(0x39)
REG_DIO_MAPPING1 = const(0x40)
REG_VERSION = const(0x42)
REG_PA_DAC = const(0x4D)

CHIP_VERSION = const(0x12)  # RegVersion of SX1276/77/78 (silicon V1b)

# RegOpMode
LONG_RANGE_MODE = const(0x80)
LOW_FREQUENCY_MODE = const(0x08)  # access the LF (< 525 MHz, SX1278 band 3) registers
MODE_SLEEP = const(0x00)
MODE_STDBY = const(0x01)
MODE_TX = const(0x03)
_LF_LIMIT_HZ = const(525_000_000)

IRQ_TX_DONE = const(0x08)
DIO0_TX_DONE = const(0x40)  # RegDioMapping1 Dio0Mapping = 01 in LoRa mode
PA_SELECT_BOOST = const(0x80)
PA_DAC_DEFAULT = const(0x84)
PA_DAC_20DBM = const(0x87)  # +20 dBm on PA_BOOST (datasheet 5.4.3), 1 % duty at most
OCP_100MA = const(0x2B)  # OcpOn, trim 11: 45 + 5 * 11 mA (reset value)
OCP_140MA = const(0x31)  # OcpOn, trim 17: -30 + 10 * 17 mA, for +18..+20 dBm
AGC_AUTO_ON = const(0x04)
LOW_DATA_RATE_OPTIMIZE = const(0x08)

FIFO_SIZE = const(256)
TX_TIMEOUT_MARGIN_MS = const(500)  # beyond the computed time on air

# poll() results
IDLE = const(0)
TX_BUSY = const(1)
TX_DONE = const(2)
TX_TIMEOUT = const(3)


class SX127x:
    kind = "lora"

    def __init__(
        self,
        spi,
        cs,
        reset,
        dio0,
        clock=None,
        freq_khz=433775,
        sf=12,
        bw_hz=125000,
        cr=5,
        sync_word=0x12,
        preamble=8,
        tx_dbm=17,
        pa_boost=True,
        crc=True,
    ):
        """Pins and bus only; the chip is touched by init(). Defaults are the LoRa
        APRS channel: 433.775 MHz, SF12, BW 125 kHz, CR 4/5, sync word 0x12."""
        self._spi = spi
        self._cs = cs
        self._reset = reset
        self._dio0 = dio0
        if clock is None:
            import clock as _clock

            clock = _clock.TicksClock()
        self._clock = clock
        self._w = bytearray(2)
        self._r = bytearray(2)
        self._addr = bytearray(1)
        self.freq_hz = freq_khz * 1000
        self.sf = sf
        self.bw_hz = bw_hz
        self.cr = cr
        self.sync_word = sync_word
        self.preamble = preamble
        self.tx_dbm = tx_dbm
        self.pa_boost = pa_boost
        self.crc = crc
        self.ok = False  # init() found the chip and configured it
        self.version = 0
        self.config_errors = 0  # set_* calls refused (value the chip does not have)
        self.sent = 0
        self.tx_timeouts = 0
        self.chip_resets = 0  # chip found out of LoRa mode before a packet: init() again
        self.refused = 0  # send() calls refused (not ready, busy, bad length)
        self._state = IDLE
        self._tx_start_ms = 0
        self._tx_limit_ms = 0
        self.last_airtime_ms = 0
        cs.value(1)

    # -- register access ---------------------------------------------------

    def write_reg(self, addr, value):
        w = self._w
        w[0] = addr | 0x80
        w[1] = value
        self._cs.value(0)
        self._spi.write(w)
        self._cs.value(1)

    def read_reg(self, addr):
        w = self._w
        w[0] = addr & 0x7F
        w[1] = 0
        self._cs.value(0)
        self._spi.write_readinto(w, self._r)
        self._cs.value(1)
        return self._r[1]

    def _write_fifo(self, buf):
        """Burst-write buf at RegFifoAddrPtr (the chip increments the pointer)."""
        a = self._addr
        a[0] = REG_FIFO | 0x80
        self._cs.value(0)
        self._spi.write(a)
        if len(buf) <= FIFO_SIZE:
            self._spi.write(buf)
        else:  # larger caller buffer: the first FIFO_SIZE bytes, one at a time
            for i in range(FIFO_SIZE):
                a[0] = buf[i]
                self._spi.write(a)
        self._cs.value(1)

    # -- life cycle ----------------------------------------------------------

    def init(self):
        """Reset, check RegVersion, configure for LoRa TX, leave the chip asleep.
        Returns True when the chip answered as an SX1276/77/78."""
        self.ok = False
        self._state = IDLE
        self._reset.value(0)
        self._clock.sleep_ms(1)  # NRESET low > 100 us (datasheet 7.2.2)
        self._reset.value(1)
        self._clock.sleep_ms(6)  # ready 5 ms after reset
        self.version = self.read_reg(REG_VERSION)
        if self.version != CHIP_VERSION:
            return False
        # LongRangeMode can only be changed in sleep mode.
        self.write_reg(REG_OP_MODE, MODE_SLEEP)
        self.write_reg(REG_OP_MODE, LONG_RANGE_MODE | MODE_SLEEP)
        ok = self.set_frequency_hz(self.freq_hz)
        ok = self.set_modem(self.sf, self.bw_hz, self.cr) and ok
        self.set_sync_word(self.sync_word)
        self.set_preamble(self.preamble)
        ok = self.set_tx_power(self.tx_dbm, self.pa_boost) and ok
        self.write_reg(REG_FIFO_TX_BASE_ADDR, 0)
        self.write_reg(REG_FIFO_RX_BASE_ADDR, 0)
        self.write_reg(REG_IRQ_FLAGS_MASK, 0)
        self.write_reg(REG_IRQ_FLAGS, 0xFF)
        self.sleep()
        self.ok = ok
        return ok

    def _op_mode(self, mode):
        lf = LOW_FREQUENCY_MODE if self.freq_hz < _LF_LIMIT_HZ else 0
        self.write_reg(REG_OP_MODE, LONG_RANGE_MODE | lf | mode)

    def sleep(self):
        self._op_mode(MODE_SLEEP)

    def standby(self):
        self._op_mode(MODE_STDBY)

    # -- configuration (call while not transmitting) -----------------------

    def set_frequency_hz(self, f_hz):
        """Frf = f * 2**19 / 32 MHz = f * 256 / 15625, rounded; f split by 15625
        so the products stay below 2**30 (f <= 1.02 GHz is itself a small int)."""
        if not 137_000_000 <= f_hz <= 1_020_000_000 or self._state == TX_BUSY:
            self.config_errors += 1
            return False
        self.freq_hz = f_hz
        q = f_hz // 15625
        r = f_hz % 15625
        frf = q * 256 + (r * 256 + 7812) // 15625
        self.write_reg(REG_FRF_MSB, (frf >> 16) & 0xFF)
        self.write_reg(REG_FRF_MID, (frf >> 8) & 0xFF)
        self.write_reg(REG_FRF_LSB, frf & 0xFF)
        return True

    def set_frequency_khz(self, f_khz):
        return self.set_frequency_hz(f_khz * 1000)

    def set_modem(self, sf, bw_hz, cr):
        """Spreading factor 7..12, bandwidth in Hz (beacon_airtime.BW_HZ), coding
        rate denominator 5..8. SF6 needs implicit header mode: not offered."""
        bw = beacon_airtime.bw_index(bw_hz)
        if bw < 0 or not 7 <= sf <= 12 or not 5 <= cr <= 8 or self._state == TX_BUSY:
            self.config_errors += 1
            return False
        self.sf = sf
        self.bw_hz = bw_hz
        self.cr = cr
        # RegModemConfig1: Bw[7:4] CodingRate[3:1] ImplicitHeaderModeOn[0] = 0 (explicit)
        self.write_reg(REG_MODEM_CONFIG1, (bw << 4) | ((cr - 4) << 1))
        # RegModemConfig2: SpreadingFactor[7:4] TxContinuousMode[3] RxPayloadCrcOn[2]
        self.write_reg(REG_MODEM_CONFIG2, (sf << 4) | (0x04 if self.crc else 0))
        c3 = AGC_AUTO_ON
        if beacon_airtime.needs_ldro(sf, bw_hz):
            c3 |= LOW_DATA_RATE_OPTIMIZE  # symbol > 16 ms: mandatory (datasheet 4.1.1.6)
        self.write_reg(REG_MODEM_CONFIG3, c3)
        return True

    def set_crc(self, on):
        self.crc = bool(on)
        return self.set_modem(self.sf, self.bw_hz, self.cr)

    def set_sync_word(self, sync_word):
        self.sync_word = sync_word & 0xFF
        self.write_reg(REG_SYNC_WORD, self.sync_word)

    def set_preamble(self, n_symbols):
        if n_symbols < 6:
            n_symbols = 6
        elif n_symbols > 1000:
            n_symbols = 1000
        self.preamble = n_symbols
        self.write_reg(REG_PREAMBLE_MSB, n_symbols >> 8)
        self.write_reg(REG_PREAMBLE_LSB, n_symbols & 0xFF)

    def set_tx_power(self, dbm, pa_boost=True):
        """PA_BOOST pin (RFM95W, T-Beam): +2..+17 dBm, +18..+20 dBm with the high
        power DAC; RFO pin: 0..+14 dBm. Out-of-range values are clamped."""
        if self._state == TX_BUSY:
            self.config_errors += 1
            return False
        self.pa_boost = pa_boost
        if pa_boost:
            dbm = 2 if dbm < 2 else (20 if dbm > 20 else dbm)
            if dbm > 17:
                self.write_reg(REG_PA_DAC, PA_DAC_20DBM)
                self.write_reg(REG_OCP, OCP_140MA)
                out = dbm - 5  # Pout = 17 - (15 - OutputPower) + 3 dB from the DAC
            else:
                self.write_reg(REG_PA_DAC, PA_DAC_DEFAULT)
                self.write_reg(REG_OCP, OCP_100MA)
                out = dbm - 2  # Pout = 17 - (15 - OutputPower)
            self.write_reg(REG_PA_CONFIG, PA_SELECT_BOOST | 0x70 | out)
        else:
            dbm = 0 if dbm < 0 else (14 if dbm > 14 else dbm)
            self.write_reg(REG_PA_DAC, PA_DAC_DEFAULT)
            self.write_reg(REG_OCP, OCP_100MA)
            # MaxPower = 7: Pmax = 10.8 + 0.6 * 7 = 15 dBm; Pout = Pmax - (15 - OutputPower)
            self.write_reg(REG_PA_CONFIG, 0x70 | dbm)
        self.tx_dbm = dbm
        return True

    # -- transmission ------------------------------------------------------

    def airtime_ms(self, n):
        return beacon_airtime.airtime_ms(n, self.sf, self.bw_hz, self.cr, self.preamble, self.crc)

    def busy(self):
        return self._state == TX_BUSY

    def send(self, buf, n):
        """Start sending buf[0:n]; False (and `refused` counted) when the chip is
        not initialised, a transmission is running or n is not 1..255."""
        if not self.ok or self._state == TX_BUSY or n < 1 or n > 255 or n > len(buf):
            self.refused += 1
            return False
        # Between packets the chip sleeps in LoRa mode; a reset of the chip
        # alone (its rail sagging under the PA's current) leaves it in FSK at
        # its power-on channel and SF7, heard by no LoRa receiver: configure
        # it again first (one register read per packet).
        if not self.read_reg(REG_OP_MODE) & LONG_RANGE_MODE:
            self.chip_resets += 1
            if not self.init():
                self.refused += 1
                return False
        self.standby()  # the FIFO is only accessible in standby (cleared in sleep)
        self.write_reg(REG_FIFO_TX_BASE_ADDR, 0)
        self.write_reg(REG_FIFO_ADDR_PTR, 0)
        self._write_fifo(buf)
        self.write_reg(REG_PAYLOAD_LENGTH, n)
        self.write_reg(REG_DIO_MAPPING1, DIO0_TX_DONE)
        self.write_reg(REG_IRQ_FLAGS, 0xFF)
        self.last_airtime_ms = self.airtime_ms(n)
        self._tx_limit_ms = self.last_airtime_ms + TX_TIMEOUT_MARGIN_MS
        self._tx_start_ms = self._clock.now_ms()
        self._op_mode(MODE_TX)
        self._state = TX_BUSY
        return True

    def poll(self):
        """Finish a transmission: TX_DONE once, TX_TIMEOUT once, else TX_BUSY / IDLE."""
        if self._state != TX_BUSY:
            return IDLE
        # the chip's TxDone flag decides, not DIO0 (mapped to it): a pin that
        # reads high regardless (a floating or wrong pin in the board file, a
        # short) would end every packet at its first poll
        done = self.read_reg(REG_IRQ_FLAGS) & IRQ_TX_DONE
        if done:
            self.write_reg(REG_IRQ_FLAGS, 0xFF)
            self.sleep()
            self._state = IDLE
            self.sent += 1
            return TX_DONE
        c = self._clock
        if c.diff_ms(c.now_ms(), self._tx_start_ms) > self._tx_limit_ms:
            self.tx_timeouts += 1
            self.write_reg(REG_IRQ_FLAGS, 0xFF)
            self.sleep()  # abandons the packet; the beacon sends a fresh one next slot
            self._state = IDLE
            return TX_TIMEOUT
        return TX_BUSY
