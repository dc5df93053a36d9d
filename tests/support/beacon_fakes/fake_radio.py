"""A radio for beacon scheduling tests: the beacon's radio contract and a log.

send(buf, n) copies the packet and stays busy for `tx_ms` of clock time;
`airtime_ms(n)` exists only on FakeRadio (FakeRadioNoAirtime makes the beacon
use its own LoRa time-on-air formula). With record=True every packet is kept
as (harness time, bytes) in `log` (allocates); with record=False only counters
and the last packet are kept, so allocation can be measured.
"""


class FakeRadioNoAirtime:
    def __init__(self, clock, tx_ms=200, record=True, accept=True):
        self.clock = clock
        self.tx_ms = tx_ms
        self.record = record
        self.accept = accept
        self.log = []
        self.t = 0  # harness time, set by the test loop
        self.count = 0
        self.polls = 0
        self.last = bytearray(400)
        self.last_n = 0
        self.raise_on_send = False
        self._busy = False
        self._start = 0

    def send(self, buf, n):
        if self.raise_on_send:
            raise OSError(5)
        if self._busy or not self.accept:
            return False
        for i in range(n):
            self.last[i] = buf[i]
        self.last_n = n
        if self.record:
            self.log.append((self.t, bytes(self.last[:n])))
        self.count += 1
        self._busy = True
        self._start = self.clock.now_ms()
        return True

    def busy(self):
        if self._busy and self.clock.diff_ms(self.clock.now_ms(), self._start) >= self.tx_ms:
            self._busy = False
        return self._busy

    def poll(self):
        self.polls += 1


class FakeRadio(FakeRadioNoAirtime):
    def __init__(self, clock, tx_ms=200, airtime=None, record=True, accept=True):
        super().__init__(clock, tx_ms, record, accept)
        self.airtime = airtime

    def airtime_ms(self, n):
        return self.tx_ms if self.airtime is None else self.airtime
