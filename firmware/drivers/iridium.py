"""Iridium 9602/9603 (RockBLOCK) short-burst-data sender over a UART, never blocking.

Hardware: the modem's serial port at 19200 8N1 with only TX/RX wired (hence
AT&K0, no RTS/CTS flow control). The UART object is machine.UART-like and must
not block: write(buf), any(), readinto(buf, nbytes) (construct it with
timeout=0 and a txbuf of at least 400 bytes on a real board).

One message at a time, the AT sequence of the Iridium ISU AT Command
Reference:

    AT            -> OK               link check (echo lines are ignored)
    AT&K0         -> OK               flow control off
    AT+SBDWB=<n>  -> READY            then n bytes + 2-byte big-endian sum
                  -> 0 OK             0 ok, 1 timeout, 2 bad checksum, 3 wrong size
    AT+CSQ        -> +CSQ:<0..5> OK   0 = no signal: wait and ask again
    AT+SBDIX      -> +SBDIX: <MO status>, <MOMSN>, <MT status>, <MTMSN>, <MT length>, <MT queued> OK
                                      MO status 0..4 = sent; anything else: retry later

driven by `poll()` (called every loop) and the clock: each step writes one
command and returns; replies are read as they arrive (at most RX_CHUNK bytes
per call); every step has a timeout; failures back off exponentially
(BACKOFF_FIRST_MS doubling up to BACKOFF_MAX_MS) and a message is given up
after `max_attempts` tries, so the beacon can hand over a fresher one.
Radio contract (beacon.py): send(buf, n) -> bool, busy(), poll(), airtime_ms(n).

Allocation: none per message once the message length has been seen (the
`AT+SBDWB=<n>` command and the memoryview of n + 2 bytes are cached per n;
SBD beacons have a fixed length).
"""

from array import array
from micropython import const

MAX_MO_BYTES = const(340)
RX_CHUNK = const(32)

AT_TIMEOUT_MS = const(2000)
CSQ_TIMEOUT_MS = const(15000)  # +CSQ may take ~10 s while the modem measures
WB_READY_TIMEOUT_MS = const(3000)
WB_RESULT_TIMEOUT_MS = const(5000)
SBDIX_TIMEOUT_MS = const(90000)  # a session takes ~10-60 s
BACKOFF_FIRST_MS = const(10000)
BACKOFF_MAX_MS = const(300000)
MAX_ATTEMPTS = const(6)
MIN_CSQ = const(1)

# states
IDLE = const(0)
S_AT = const(1)
S_K0 = const(2)
S_WB = const(3)
S_WB_DATA = const(4)
S_CSQ = const(5)
S_IX = const(6)
S_BACKOFF = const(7)

# last outcome
RESULT_NONE = const(0)
RESULT_SENT = const(1)
RESULT_FAILED = const(2)

_CMD_AT = b"AT\r"
_CMD_K0 = b"AT&K0\r"
_CMD_CSQ = b"AT+CSQ\r"
_CMD_IX = b"AT+SBDIX\r"
_OK = b"OK"
_ERROR = b"ERROR"
_READY = b"READY"
_CSQ = b"+CSQ:"
_SBDIX = b"+SBDIX:"


class Iridium:
    kind = "iridium"

    def __init__(
        self,
        uart,
        clock,
        max_attempts=MAX_ATTEMPTS,
        backoff_first_ms=BACKOFF_FIRST_MS,
        backoff_max_ms=BACKOFF_MAX_MS,
    ):
        self._uart = uart
        self._clock = clock
        self.max_attempts = max_attempts
        self.backoff_first_ms = backoff_first_ms
        self.backoff_max_ms = backoff_max_ms
        self._msg = bytearray(MAX_MO_BYTES + 2)
        self._n = 0
        self._mv = None
        self._mv_n = -1
        self._wb_cmd = b""
        self._rx = bytearray(RX_CHUNK)
        self._line = bytearray(64)
        self._line_n = 0
        self._state = IDLE
        self._t0 = 0
        self._wait_ms = 0
        self._resume = S_AT
        self._linked = False
        self._wb_result = -1
        self._got_info = False
        self.sbdix = array("i", [0, 0, 0, 0, 0, 0])  # last +SBDIX fields
        self.csq = -1
        self.attempts = 0
        self.result = RESULT_NONE
        # counters
        self.sent = 0
        self.failed = 0
        self.timeouts = 0
        self.errors = 0  # ERROR replies
        self.no_signal = 0  # +CSQ:0 or SBDIX MO status >= 5
        self.bad_checksum = 0
        self.refused = 0

    # -- radio contract ----------------------------------------------------

    def airtime_ms(self, n):
        return 0  # no duty-cycle rule; the beacon's interval bounds the cost

    def busy(self):
        return self._state != IDLE

    def send(self, buf, n):
        """Queue buf[0:n] (copied) as the next SBD message; False when busy or n
        is not 1..340."""
        if self._state != IDLE or n < 1 or n > MAX_MO_BYTES or n > len(buf):
            self.refused += 1
            return False
        m = self._msg
        s = 0
        for i in range(n):
            v = buf[i]
            m[i] = v
            s += v
        m[n] = (s >> 8) & 0xFF
        m[n + 1] = s & 0xFF
        self._n = n
        if n != self._mv_n:  # allocates only when the message length changes
            self._mv = memoryview(self._msg)[: n + 2]
            self._wb_cmd = b"AT+SBDWB=" + str(n).encode() + b"\r"
            self._mv_n = n
        self.attempts = 0
        self.result = RESULT_NONE
        self._start(S_WB if self._linked else S_AT)
        return True

    def poll(self):
        """Advance the session by at most one step; returns the state."""
        st = self._state
        if st == IDLE:
            return IDLE
        c = self._clock
        if st == S_BACKOFF:
            if c.diff_ms(c.now_ms(), self._t0) >= self._wait_ms:
                self._start(self._resume)
            return self._state
        self._read_replies()
        if self._state == st and c.diff_ms(c.now_ms(), self._t0) > self._wait_ms:
            self._on_timeout()
        return self._state

    # -- steps -------------------------------------------------------------

    def _start(self, st):
        u = self._uart
        self._wb_result = -1
        self._got_info = False
        self._line_n = 0
        if st == S_AT:
            u.write(_CMD_AT)
            self._arm(st, AT_TIMEOUT_MS)
        elif st == S_K0:
            u.write(_CMD_K0)
            self._arm(st, AT_TIMEOUT_MS)
        elif st == S_WB:
            u.write(self._wb_cmd)
            self._arm(st, WB_READY_TIMEOUT_MS)
        elif st == S_CSQ:
            self.csq = -1
            u.write(_CMD_CSQ)
            self._arm(st, CSQ_TIMEOUT_MS)
        elif st == S_IX:
            u.write(_CMD_IX)
            self._arm(st, SBDIX_TIMEOUT_MS)

    def _arm(self, st, wait_ms):
        self._state = st
        self._t0 = self._clock.now_ms()
        self._wait_ms = wait_ms

    def _retry(self, resume):
        """One more attempt after a back-off, or give the message up."""
        self.attempts += 1
        if self.attempts >= self.max_attempts:
            self.failed += 1
            self.result = RESULT_FAILED
            self._state = IDLE
            return
        wait = self.backoff_first_ms
        for _ in range(self.attempts - 1):
            wait *= 2
            if wait >= self.backoff_max_ms:
                wait = self.backoff_max_ms
                break
        self._resume = resume
        self._arm(S_BACKOFF, wait)

    def _done(self):
        self.sent += 1
        self.result = RESULT_SENT
        self._state = IDLE

    def _abort(self):
        self.failed += 1
        self.result = RESULT_FAILED
        self._state = IDLE

    def _on_timeout(self):
        if self._state == S_WB_DATA and self._wb_result >= 0:
            self._final(True)  # a modem that sends the digit without OK
            return
        self.timeouts += 1
        self._linked = False
        self._retry(S_AT)

    def _final(self, ok):
        """OK or ERROR ended the current command."""
        st = self._state
        if not ok:
            self.errors += 1
            self._linked = False
            self._retry(S_AT)
        elif st == S_AT:
            self._start(S_K0)
        elif st == S_K0:
            self._linked = True
            self._start(S_WB)
        elif st == S_WB:  # OK without READY: the modem refused the length
            if self._wb_result == 3:
                self._abort()
            else:
                self._retry(S_WB)
        elif st == S_WB_DATA:
            r = self._wb_result
            if r == 0:
                self._start(S_CSQ)
            elif r == 3:
                self._abort()  # size wrong: retrying cannot help
            else:
                if r == 2:
                    self.bad_checksum += 1
                self._retry(S_WB)
        elif st == S_CSQ:
            if self.csq >= MIN_CSQ:
                self._start(S_IX)
            else:
                self.no_signal += 1
                self._retry(S_CSQ)
        elif st == S_IX:
            if self._got_info and self.sbdix[0] <= 4:
                self._done()
            else:
                self.no_signal += 1
                self._retry(S_CSQ)  # the message stays in the MO buffer

    # -- reply parsing -------------------------------------------------------

    def _read_replies(self):
        u = self._uart
        k = u.any()
        if not k:
            return
        rx = self._rx
        n = u.readinto(rx, k if k < RX_CHUNK else RX_CHUNK)
        if not n:
            return
        line = self._line
        for i in range(n):
            b = rx[i]
            if b == 13 or b == 10:
                if self._line_n:
                    self._on_line(self._line_n)
                    self._line_n = 0
            elif self._line_n < len(line):
                line[self._line_n] = b
                self._line_n += 1

    def _on_line(self, n):
        line = self._line
        st = self._state
        if _is(line, n, _OK):
            self._final(True)
        elif _is(line, n, _ERROR):
            self._final(False)
        elif n == 1 and 48 <= line[0] <= 51 and (st == S_WB or st == S_WB_DATA):
            self._wb_result = line[0] - 48
        elif st == S_WB and _is(line, n, _READY):
            self._uart.write(self._mv)
            self._arm(S_WB_DATA, WB_RESULT_TIMEOUT_MS)
        elif st == S_CSQ and _starts(line, n, _CSQ):
            self.csq = _parse_ints(line, len(_CSQ), n, None)
        elif st == S_IX and _starts(line, n, _SBDIX):
            self._got_info = _parse_ints(line, len(_SBDIX), n, self.sbdix) == 6
        # anything else (command echo, SBDRING, blank) is ignored


def _is(line, n, word):
    return n == len(word) and _starts(line, n, word)


def _starts(line, n, word):
    if n < len(word):
        return False
    for i in range(len(word)):
        if line[i] != word[i]:
            return False
    return True


def _parse_ints(line, start, end, out):
    """Comma-separated unsigned integers in line[start:end]. With `out` (an
    array) fills it and returns how many were read; without, returns the first
    value (-1 if none)."""
    count = 0
    v = 0
    digits = 0
    for i in range(start, end + 1):
        c = line[i] if i < end else 44
        if 48 <= c <= 57:
            if digits < 9:
                v = v * 10 + c - 48
            digits += 1
        elif c == 44:
            if digits:
                if out is None:
                    return v
                if count < len(out):
                    out[count] = v
                count += 1
            v = 0
            digits = 0
    if out is None:
        return -1
    return count
