"""An Iridium 9602/9603 as seen through its serial port, for MicroPython tests.

`FakeModem.uart` is the machine.UART-like object handed to the driver: write,
any, readinto(buf, nbytes) and read. The modem echoes commands (ATE1, the
factory default; echo=False models ATE0), answers after a per-command latency
measured on the shared virtual clock, and behaves as the ISU AT Command
Reference describes:
- AT, AT&K0, ATE0/ATE1 -> OK; unknown commands -> ERROR
- AT+CSQ -> +CSQ:<n> (values from `csq`, the last one repeats)
- AT+SBDWB=<n> -> 3 when n is outside 1..340 (or `size_error` is set), else
  READY, then n bytes plus a 2-byte big-endian sum: 0 (stored in the MO
  buffer), 2 when the sum is wrong (or while `corrupt` > 0), 1 when the bytes
  do not arrive within 60 s
- AT+SBDIX -> +SBDIX: <mo>, <momsn>, 0, 0, 0, 0 with MO statuses from
  `sbdix_mo` (the last one repeats); MO 0..4 delivers the MO buffer
- `error_next` = k: the next k commands answer ERROR
- `silent` = True: nothing at all comes back (a dead or unpowered modem)
Every command received is counted per kind (`counts`) and, when `log` is a
list, appended as (time, command text). With log=None and preallocated
responses the steady state allocates nothing.
"""

_LATENCY = {"AT": 20, "CSQ": 800, "SBDWB": 30, "SBDIX": 12000}


class _Uart:
    def __init__(self, m):
        self._m = m

    def write(self, buf):
        m = self._m
        for i in range(len(buf)):
            m._rx_byte(buf[i])
        return len(buf)

    def any(self):
        return self._m._visible()

    def readinto(self, buf, nbytes=None):
        m = self._m
        n = m._visible()
        if nbytes is None:
            nbytes = len(buf)
        n = min(n, nbytes)
        if n == 0:
            return None
        for i in range(n):
            buf[i] = m._out[m._head]
            m._head = (m._head + 1) % len(m._out)
        return n

    def read(self, nbytes=-1):
        n = self._m._visible()
        if nbytes >= 0 and n > nbytes:
            n = nbytes
        b = bytearray(n)
        self.readinto(b, n)
        return bytes(b)


class FakeModem:
    def __init__(self, clock, echo=True, log=None):
        self.clock = clock
        self.echo = echo
        self.log = log
        self.silent = False
        self.csq = [5]
        self.sbdix_mo = [0]
        self.corrupt = 0
        self.size_error = False
        self.error_next = 0  # this many next commands answer ERROR
        self.mt_fields = b"0, 0, 0, 0"  # <MT status>, <MTMSN>, <MT length>, <MT queued>
        self.sbdix_latency_ms = _LATENCY["SBDIX"]
        self.csq_latency_ms = _LATENCY["CSQ"]
        self.uart = _Uart(self)
        self.counts = {"AT": 0, "AT&K0": 0, "AT+CSQ": 0, "AT+SBDWB": 0, "AT+SBDIX": 0, "other": 0}
        self.mo = bytearray(342)
        self.mo_len = 0
        self.delivered = 0
        self.last_delivered = bytearray(340)
        self.last_delivered_len = 0
        self.momsn = 0
        self._out = bytearray(4096)
        self._head = 0
        self._tail = 0
        self._hold_at = -1  # ring index from which output waits for _hold_until
        self._hold_until = 0
        self._cmd = bytearray(64)
        self._cmd_n = 0
        self._bin_left = 0
        self._bin_n = 0
        self._bin_t0 = 0
        self._csq_i = 0
        self._mo_i = 0

    # -- output ring ---------------------------------------------------------
    def _put(self, data):
        if self.silent:
            return
        o = self._out
        for i in range(len(data)):
            o[self._tail] = data[i]
            self._tail = (self._tail + 1) % len(o)

    def _put_int(self, v):
        if self.silent:
            return
        if v >= 10:
            self._put_int(v // 10)
        o = self._out
        o[self._tail] = 48 + v % 10
        self._tail = (self._tail + 1) % len(o)

    def _reply_later(self, ms):
        """What is written next becomes visible `ms` from now."""
        self._hold_at = self._tail
        self._hold_until = self.clock.now_ms() + ms

    def _visible(self):
        self._check_binary_timeout()
        end = self._tail
        if self._hold_at >= 0:
            if self.clock.diff_ms(self.clock.now_ms(), self._hold_until) >= 0:
                self._hold_at = -1
            else:
                end = self._hold_at
        return (end - self._head) % len(self._out)

    # -- input ---------------------------------------------------------------
    def _rx_byte(self, b):
        if self._bin_left:
            self.mo[self._bin_n] = b
            self._bin_n += 1
            self._bin_left -= 1
            if not self._bin_left:
                self._binary_done()
            return
        if self.echo:
            self._put_byte(b)
        if b == 13:
            n = self._cmd_n
            self._cmd_n = 0
            if n:
                self._command(n)
        elif b != 10 and self._cmd_n < len(self._cmd):
            self._cmd[self._cmd_n] = b
            self._cmd_n += 1

    def _put_byte(self, b):
        if not self.silent:
            self._out[self._tail] = b
            self._tail = (self._tail + 1) % len(self._out)

    def _is(self, n, word):
        if n != len(word):
            return False
        for i in range(n):
            if self._cmd[i] != word[i]:
                return False
        return True

    def _starts(self, n, word):
        if n < len(word):
            return False
        for i in range(len(word)):
            if self._cmd[i] != word[i]:
                return False
        return True

    def _command(self, n):
        if self.log is not None:
            self.log.append((self.clock.now_ms(), bytes(self._cmd[:n]).decode()))
        if self.error_next > 0:
            self.error_next -= 1
            self.counts["other"] += 1
            self._reply_later(_LATENCY["AT"])
            self._put(b"\r\nERROR\r\n")
            return
        if self._is(n, b"AT") or self._is(n, b"ATE0") or self._is(n, b"ATE1"):
            self.counts["AT"] += 1
            if self._is(n, b"ATE0"):
                self.echo = False
            elif self._is(n, b"ATE1"):
                self.echo = True
            self._reply_later(_LATENCY["AT"])
            self._put(b"\r\nOK\r\n")
        elif self._is(n, b"AT&K0"):
            self.counts["AT&K0"] += 1
            self._reply_later(_LATENCY["AT"])
            self._put(b"\r\nOK\r\n")
        elif self._is(n, b"AT+CSQ"):
            self.counts["AT+CSQ"] += 1
            v = self.csq[self._csq_i] if self._csq_i < len(self.csq) else self.csq[-1]
            self._csq_i += 1
            self._reply_later(self.csq_latency_ms)
            self._put(b"\r\n+CSQ:")
            self._put_int(v)
            self._put(b"\r\n\r\nOK\r\n")
        elif self._starts(n, b"AT+SBDWB="):
            self.counts["AT+SBDWB"] += 1
            size = 0
            for i in range(9, n):
                size = size * 10 + self._cmd[i] - 48
            self._reply_later(_LATENCY["SBDWB"])
            if size < 1 or size > 340 or self.size_error:
                self._put(b"\r\n3\r\n\r\nOK\r\n")
                return
            self._put(b"\r\nREADY\r\n")
            self._bin_left = size + 2
            self._bin_n = 0
            self._bin_t0 = self.clock.now_ms()
        elif self._is(n, b"AT+SBDIX"):
            self.counts["AT+SBDIX"] += 1
            mo = self.sbdix_mo[self._mo_i] if self._mo_i < len(self.sbdix_mo) else self.sbdix_mo[-1]
            self._mo_i += 1
            if mo <= 4:
                self.momsn += 1
                self.delivered += 1
                for i in range(self.mo_len):
                    self.last_delivered[i] = self.mo[i]
                self.last_delivered_len = self.mo_len
            self._reply_later(self.sbdix_latency_ms)
            self._put(b"\r\n+SBDIX: ")
            self._put_int(mo)
            self._put(b", ")
            self._put_int(self.momsn)
            self._put(b", ")
            self._put(self.mt_fields)
            self._put(b"\r\n\r\nOK\r\n")
        else:
            self.counts["other"] += 1
            self._reply_later(_LATENCY["AT"])
            self._put(b"\r\nERROR\r\n")

    def _binary_done(self):
        size = self._bin_n - 2
        s = 0
        for i in range(size):
            s += self.mo[i]
        want = (self.mo[size] << 8) | self.mo[size + 1]
        self._reply_later(_LATENCY["SBDWB"])
        if self.corrupt > 0 or (s & 0xFFFF) != want:
            if self.corrupt > 0:
                self.corrupt -= 1
            self._put(b"\r\n2\r\n\r\nOK\r\n")
            return
        self.mo_len = size
        self._put(b"\r\n0\r\n\r\nOK\r\n")

    def _check_binary_timeout(self):
        if self._bin_left and self.clock.diff_ms(self.clock.now_ms(), self._bin_t0) > 60000:
            self._bin_left = 0
            self._put(b"\r\n1\r\n\r\nOK\r\n")
