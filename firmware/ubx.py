"""u-blox receiver configuration over UBX, driven by the flight loop without
ever blocking it.

Why: a u-blox receiver leaves the factory in the "portable" dynamic model,
which rejects fixes above 12 km or under high vertical speed, sends sentences
we never read (GSV alone is half the traffic) and never sleeps. Before entry we
want the airborne < 4 g model; after splashdown the sea model and power save
for days of beaconing. (Dynamic model numbers: u-blox M8 interface description,
UBX-CFG-NAV5 dynModel; M9/M10: key CFG-NAVSPG-DYNMODEL.)

What it promises
- Every frame is built on the board into one preallocated bytearray, with the
  8-bit Fletcher checksum over class, id, length and payload.
- `start(profile)` ("descent" or "float") queues the profile's steps;
  `poll()` (call it every loop) sends a step, waits for its UBX-ACK-ACK /
  ACK-NAK (the GnssReader hands every UBX frame to `on_ubx`), re-sends after
  `ack_timeout_ms` up to `retries` times, and moves on. Nothing waits: poll()
  returns at once and `state` says "idle", "busy", "done" or "failed".
- Two interfaces: "legacy" (CFG-NAV5, CFG-RATE, CFG-MSG, CFG-RXM; u-blox 6/7/8)
  and "valset" (CFG-VALSET key/value, RAM layer; M9/M10). "auto" (default)
  tries CFG-VALSET first and falls back to the legacy messages when the
  receiver NAKs it or never answers it.
- Optional steps (power save: not every receiver or GNSS set supports it) may
  be NAKed without failing the profile; they are counted in `skipped`.

What allocates: the constructor; then each frame sent allocates one small
memoryview (the frame's length of the TX buffer), a few dozen times per
flight, never per loop. Frames are built in place. uart.write must not block:
give machine.UART a txbuf larger than the longest frame (FRAME_MAX bytes);
an incomplete write is finished by the next polls.
"""

from micropython import const

FRAME_MAX = const(96)  # longest frame built here: CFG-VALSET main, 8 + 4 + 72 = 84 bytes
ACK_TIMEOUT_MS = const(1000)  # u-blox answers CFG messages within a few 100 ms
RETRIES = const(3)  # re-sends after a timeout before giving up
NAK_RETRIES = const(1)  # re-sends after a NAK (one, in case the receiver was busy)

DESCENT_RATE_MS = const(1000)  # 1 Hz: GGA+RMC+GSA fit 9600 baud with margin
FLOAT_RATE_MS = const(1000)
FLOAT_UPDATE_S = const(60)  # power-save on/off period on M10 (beacon rate is slower)

# Dynamic models (CFG-NAV5 dynModel = CFG-NAVSPG-DYNMODEL values).
DYN_PORTABLE = const(0)
DYN_SEA = const(5)
DYN_AIRBORNE_4G = const(8)

CLS_NAV = const(0x01)
CLS_ACK = const(0x05)
CLS_CFG = const(0x06)
CLS_NMEA = const(0xF0)
ID_ACK_NAK = const(0x00)
ID_ACK_ACK = const(0x01)
ID_CFG_MSG = const(0x01)
ID_CFG_RATE = const(0x08)
ID_CFG_RXM = const(0x11)
ID_CFG_NAV5 = const(0x24)
ID_CFG_VALSET = const(0x8A)

# Configuration keys (u-blox M9/M10 interface descriptions, "Configuration
# interface"). The size of a key's value is in bits 28..30 of the key.
KEY_NAVSPG_DYNMODEL = const(0x20110021)  # E1
KEY_RATE_MEAS = const(0x30210001)  # U2, ms
KEY_RATE_NAV = const(0x30210002)  # U2, measurements per solution
KEY_PM_OPERATEMODE = const(0x20D00001)  # E1: 0 full power, 1 PSMOO (on/off), 2 PSMCT
# CFG-PM-POSUPDATEPERIOD (U4, s) is 0x40D00002: above 2**30, so kept as two halves.
KEY_PM_POSUPDATEPERIOD_HI = const(0x40D0)
KEY_PM_POSUPDATEPERIOD_LO = const(0x0002)

# NMEA sentences: (UBX message id in class 0xF0, CFG-MSGOUT-NMEA_ID_*_UART1 key, rate).
# The parser needs GGA (altitude, satellites, HDOP), RMC (date, speed, course)
# and GSA (2-D/3-D); every other sentence is switched off (CFG-MSG: on every
# port; CFG-VALSET: on UART1, the host port of M9/M10 modules).
NMEA_OUTPUT = (
    (0x00, 0x209100BB, 1),  # GGA
    (0x04, 0x209100AC, 1),  # RMC
    (0x02, 0x209100C0, 1),  # GSA
    (0x03, 0x209100C5, 0),  # GSV
    (0x01, 0x209100CA, 0),  # GLL
    (0x05, 0x209100B1, 0),  # VTG
    (0x08, 0x209100D9, 0),  # ZDA
    (0x07, 0x209100D4, 0),  # GST
    (0x09, 0x209100DE, 0),  # GBS
    (0x06, 0x209100CF, 0),  # GRS
    (0x0D, 0x209100B6, 0),  # GNS
)

# Steps (one frame each).
_ST_NAV5 = const(1)
_ST_RATE = const(2)
_ST_RXM = const(3)  # optional
_ST_VALSET_MAIN = const(4)
_ST_VALSET_PM = const(5)  # optional
_ST_MSG = const(16)  # + index into NMEA_OUTPUT

_LEGACY = const(0)
_VALSET = const(1)

_WAITING = const(0)
_GOT_ACK = const(1)
_GOT_NAK = const(2)


def checksum(buf, start, end):
    """8-bit Fletcher checksum over buf[start:end] -> (ck_a << 8) | ck_b."""
    a = 0
    b = 0
    for i in range(start, end):
        a = (a + buf[i]) & 255
        b = (b + a) & 255
    return (a << 8) | b


def frame_into(buf, cls, msg_id, payload_len):
    """Complete a frame whose payload is already at buf[6:6+payload_len].

    Writes sync, class, id, length and checksum in place; returns the frame length."""
    buf[0] = 0xB5
    buf[1] = 0x62
    buf[2] = cls
    buf[3] = msg_id
    buf[4] = payload_len & 255
    buf[5] = payload_len >> 8
    ck = checksum(buf, 2, 6 + payload_len)
    buf[6 + payload_len] = ck >> 8
    buf[7 + payload_len] = ck & 255
    return payload_len + 8


def _put_u16(buf, o, v):
    buf[o] = v & 255
    buf[o + 1] = (v >> 8) & 255


def _put_u32(buf, o, v):
    """Little-endian u32 of a value below 2**30."""
    buf[o] = v & 255
    buf[o + 1] = (v >> 8) & 255
    buf[o + 2] = (v >> 16) & 255
    buf[o + 3] = (v >> 24) & 255


class UbxConfigurator:
    """Apply a receiver profile step by step from the flight loop."""

    def __init__(self, uart, clock, reader, interface="auto"):
        self.uart = uart
        self.clock = clock
        self.interface = interface  # "auto", "legacy" or "valset"
        self.descent_rate_ms = DESCENT_RATE_MS
        self.float_rate_ms = FLOAT_RATE_MS
        self.float_update_s = FLOAT_UPDATE_S
        self.ack_timeout_ms = ACK_TIMEOUT_MS
        self.retries = RETRIES
        self.nak_retries = NAK_RETRIES
        self.state = "idle"
        self.profile = None
        self.error = None  # why "failed", for the log
        self.used = None  # interface that worked: "legacy" or "valset"
        # Counters over the life of the configurator.
        self.sent = 0
        self.acks = 0
        self.naks = 0
        self.timeouts = 0
        self.skipped = 0
        self._tx = bytearray(FRAME_MAX)
        self._tx_len = 0
        self._tx_off = 0
        self._steps = bytearray(24)
        self._n_steps = 0
        self._step = 0
        self._iface = _VALSET
        self._auto = False
        self._float = False
        self._want_cls = 0
        self._want_id = 0
        self._reply = _WAITING
        self._sent_ms = 0
        self._tries = 0
        self._nak_tries = 0
        if reader is not None:
            reader.on_ubx = self.on_ubx

    # ------------------------------------------------------------ public API

    def start(self, profile):
        """Begin applying "descent" or "float"; returns False for an unknown profile."""
        if profile == "descent":
            self._float = False
        elif profile == "float":
            self._float = True
        else:
            self.state = "failed"
            self.error = "unknown profile"
            return False
        self.profile = profile
        self.error = None
        self.used = None
        self._auto = self.interface == "auto"
        self._plan(_LEGACY if self.interface == "legacy" else _VALSET)
        self.state = "busy"
        self._send_step()
        return True

    def poll(self):
        """Advance the exchange; returns `state`. Never waits."""
        if self.state != "busy":
            return self.state
        if self._tx_off < self._tx_len:
            self._write_rest()
            return self.state
        reply = self._reply
        if reply == _GOT_ACK:
            self.acks += 1
            self._advance()
        elif reply == _GOT_NAK:
            self.naks += 1
            self._on_nak()
        else:
            clock = self.clock
            if clock.diff_ms(clock.now_ms(), self._sent_ms) >= self.ack_timeout_ms:
                self.timeouts += 1
                if self._tries < self.retries:
                    self._tries += 1
                    self._send()
                elif self._auto and self._iface == _VALSET and self._step == 0:
                    self._fallback()  # a receiver that ignores CFG-VALSET entirely
                elif self._optional():
                    self.skipped += 1
                    self._advance()
                else:
                    self._fail("no answer")
        return self.state

    def on_ubx(self, cls, msg_id, payload, length):
        """GnssReader hook: every good UBX frame. Picks out the ACK for our step."""
        if cls != CLS_ACK or length < 2 or self.state != "busy":
            return
        if payload[0] != self._want_cls or payload[1] != self._want_id:
            return
        self._reply = _GOT_ACK if msg_id == ID_ACK_ACK else _GOT_NAK

    def step_frame(self, profile, interface, index):
        """Build step `index` of a profile into the TX buffer without sending it.

        Returns the frame length, or 0 past the last step. For tests and tools:
        the frames are exactly those start()/poll() send."""
        if self.state == "busy":
            return 0
        self._float = profile == "float"
        self._plan(_LEGACY if interface == "legacy" else _VALSET)
        if index >= self._n_steps:
            return 0
        return self._build(self._steps[index])

    def frame(self):
        """The TX buffer (valid for the length the last build returned)."""
        return self._tx

    # ------------------------------------------------------------ sequencing

    def _plan(self, iface):
        steps = self._steps
        n = 0
        if iface == _LEGACY:
            steps[n] = _ST_NAV5
            n += 1
            steps[n] = _ST_RATE
            n += 1
            for k in range(len(NMEA_OUTPUT)):
                steps[n] = _ST_MSG + k
                n += 1
            steps[n] = _ST_RXM
            n += 1
        else:
            steps[n] = _ST_VALSET_MAIN
            n += 1
            steps[n] = _ST_VALSET_PM
            n += 1
        self._iface = iface
        self._n_steps = n
        self._step = 0

    def _optional(self):
        code = self._steps[self._step]
        return code == _ST_RXM or code == _ST_VALSET_PM

    def _send_step(self):
        self._tries = 0
        self._nak_tries = 0
        self._build(self._steps[self._step])
        self._send()

    def _advance(self):
        self._step += 1
        if self._step >= self._n_steps:
            self.state = "done"
            self.used = "legacy" if self._iface == _LEGACY else "valset"
            return
        self._send_step()

    def _on_nak(self):
        if self._auto and self._iface == _VALSET and self._step == 0:
            self._fallback()  # the receiver does not know CFG-VALSET: u-blox 8 or older
        elif self._nak_tries < self.nak_retries:
            self._nak_tries += 1
            self._send()
        elif self._optional():
            self.skipped += 1
            self._advance()
        else:
            self._fail("NAK")

    def _fallback(self):
        self._plan(_LEGACY)
        self._send_step()

    def _fail(self, why):
        self.state = "failed"
        code = self._steps[self._step]
        # Names a person can act on in the event log (allocates once, on failure).
        self.error = why + " for " + _step_name(code)

    def _send(self):
        self._reply = _WAITING
        self._sent_ms = self.clock.now_ms()
        self._tx_off = 0
        self.sent += 1
        n = self.uart.write(self._tx_len_view())
        self._tx_off = self._tx_len if n is None else n

    def _tx_len_view(self):
        return memoryview(self._tx)[: self._tx_len]

    def _write_rest(self):
        n = self.uart.write(memoryview(self._tx)[self._tx_off : self._tx_len])
        if n:
            self._tx_off += n

    # ------------------------------------------------------------ frames

    def _build(self, code):
        """Build one step's frame into _tx; sets and returns its length."""
        tx = self._tx
        p = 6  # payload offset
        fl = self._float
        if code == _ST_NAV5:
            for i in range(36):
                tx[p + i] = 0
            _put_u16(tx, p, 0x0001)  # mask: apply dynModel only
            tx[p + 2] = DYN_SEA if fl else DYN_AIRBORNE_4G
            self._want(CLS_CFG, ID_CFG_NAV5)
            n = frame_into(tx, CLS_CFG, ID_CFG_NAV5, 36)
        elif code == _ST_RATE:
            _put_u16(tx, p, self.float_rate_ms if fl else self.descent_rate_ms)
            _put_u16(tx, p + 2, 1)  # navRate: one solution per measurement
            _put_u16(tx, p + 4, 1)  # timeRef: GPS time
            self._want(CLS_CFG, ID_CFG_RATE)
            n = frame_into(tx, CLS_CFG, ID_CFG_RATE, 6)
        elif code == _ST_RXM:
            tx[p] = 8  # reserved, "set to 8" (u-blox 8 interface description)
            tx[p + 1] = 1 if fl else 0  # lpMode: 1 power save, 0 continuous
            self._want(CLS_CFG, ID_CFG_RXM)
            n = frame_into(tx, CLS_CFG, ID_CFG_RXM, 2)
        elif code >= _ST_MSG:
            entry = NMEA_OUTPUT[code - _ST_MSG]
            tx[p] = CLS_NMEA
            tx[p + 1] = entry[0]
            # Rates for DDC (I2C), UART1, UART2, USB, SPI, reserved: the same on every
            # port, so the sentence is on (or off) whichever port the board is wired to.
            for k in range(5):
                tx[p + 2 + k] = entry[2]
            tx[p + 7] = 0
            self._want(CLS_CFG, ID_CFG_MSG)
            n = frame_into(tx, CLS_CFG, ID_CFG_MSG, 8)
        else:
            # CFG-VALSET: version 0, layers = RAM, 2 reserved, then key/value pairs.
            tx[p] = 0
            tx[p + 1] = 0x01
            tx[p + 2] = 0
            tx[p + 3] = 0
            q = p + 4
            if code == _ST_VALSET_MAIN:
                q = _kv1(tx, q, KEY_NAVSPG_DYNMODEL, DYN_SEA if fl else DYN_AIRBORNE_4G)
                q = _kv2(tx, q, KEY_RATE_MEAS, self.float_rate_ms if fl else self.descent_rate_ms)
                q = _kv2(tx, q, KEY_RATE_NAV, 1)
                for entry in NMEA_OUTPUT:
                    q = _kv1(tx, q, entry[1], entry[2])
            else:
                q = _kv1(tx, q, KEY_PM_OPERATEMODE, 1 if fl else 0)
                if fl:
                    _put_u16(tx, q, KEY_PM_POSUPDATEPERIOD_LO)
                    _put_u16(tx, q + 2, KEY_PM_POSUPDATEPERIOD_HI)
                    _put_u32(tx, q + 4, self.float_update_s)
                    q += 8
            self._want(CLS_CFG, ID_CFG_VALSET)
            n = frame_into(tx, CLS_CFG, ID_CFG_VALSET, q - p)
        self._tx_len = n
        return n

    def _want(self, cls, msg_id):
        self._want_cls = cls
        self._want_id = msg_id


def _kv1(buf, q, key, v):
    _put_u32(buf, q, key)
    buf[q + 4] = v & 255
    return q + 5


def _kv2(buf, q, key, v):
    _put_u32(buf, q, key)
    _put_u16(buf, q + 4, v)
    return q + 6


def _step_name(code):
    if code == _ST_NAV5:
        return "CFG-NAV5"
    if code == _ST_RATE:
        return "CFG-RATE"
    if code == _ST_RXM:
        return "CFG-RXM"
    if code == _ST_VALSET_MAIN:
        return "CFG-VALSET (model, rate, NMEA output)"
    if code == _ST_VALSET_PM:
        return "CFG-VALSET (power mode)"
    return "CFG-MSG"
