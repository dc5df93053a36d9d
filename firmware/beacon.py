"""Recovery beacon scheduler: when to transmit which packet, on any radio.

After splashdown the capsule may drift for hours or days; the team finds it by
these packets. `Beacon.poll(phase, vbatt_mv)` is called every loop iteration
and promises:

- never to block and to do a bounded amount of work per call: tracking the
  clock and the fix is a few comparisons; building a packet and handing it to
  the radio happen in two different calls; a transmission in progress is
  only polled. In the phases before the main chute (beacon_params.RATE_BY_PHASE)
  nothing is ever sent, so a deploy decision never shares a loop iteration
  with packet work.
- rates by phase: every cfg.beacon_descent_s under the main; after landing
  every cfg.beacon_landed_s for the first cfg.beacon_slow_after_s, then every
  cfg.beacon_slow_s; all intervals x4 while 0 < vbatt_mv < cfg.batt_low_mv.
  Entering a beaconing phase (main out, landed) sends at once.
- the regional duty cycle (cfg.duty_cycle_permille, e.g. 10 = 1 % in EU
  868 MHz sub-bands), as ETSI EN 300 220 defines it: time on air within any
  one hour at most 3600 s * permille / 1000. Each packet's time on air comes
  from radio.airtime_ms(n), else from the SX127x formula for the LoRa APRS
  settings (SF12/125 kHz/4:5). Three rules, so the budget is neither
  overrun nor spent in one burst under the chute with nothing left for the
  landing:
  * spacing: after a packet of air time T the next starts no earlier than
    T * 1000 / permille after it (the budget spread evenly; at 1 % and SF12
    that is one packet every ~6 min, whatever the configured interval);
  * window: the last DUTY_LOG transmissions are kept and a packet that would
    overrun the hour's budget is not sent; the slot is retried (with fresh
    data) when enough old transmissions have left the window. A full log
    still inside the hour also waits, so the check is never optimistic;
  * count: at most _BURST_N packets in any _BURST_MS (3.75 min), so the
    log never fills inside an hour (rates above ~112 per hour are spread,
    not sent as one burst followed by silence; a radio without air time,
    Iridium, meets this rule alone);
  * priority: the first packet of a beaconing phase (main open, landed) skips
    the spacing rule and may use the whole hour's budget; every other packet
    leaves one packet's air time of it unused for that moment.
  A packet longer than a whole hour's budget (a config error, `cfg_fault`)
  is sent only when nothing else was sent in the last hour. The board's
  configuration check refuses such settings before a flight
  (beacon_duty.py, with packet_airtime_ms below).
- the most recent known position is sent with its age: the own copy of
  the last fresh fix (a GNSS position younger than FRESH_FIX_MS when it
  arrived) or the `last_good` record, whichever is newer, both aged by
  uptime (a fix's tick is compared with the clock only when it arrives); with none ever,
  formats send a "no position" packet so the beacon stays audible for
  direction finding. The position is kept in the flight record
  (`record_position`), so after a reset in flight or down the beacon sends
  it, with its age, until the receiver gives a newer one
  (`restore_position`).
- formats (default: see default_formats; aprs.AprsFormat, ukhas.UkhasFormat, sbd.SbdFormat, or anything with
  `build(pos, age_s, phase, vbatt_mv, seq) -> n` and `buf`) take turns, one
  packet per slot.
- the radio is any object with send(buf, n) (False = refused; True or None =
  started), busy() and poll(); optional airtime_ms(n), `kind`, and
  set_frequency_khz(f), called once with cfg.lora_freq_khz.
- an exception inside never escapes: it is counted in `faults` and the
  scheduler returns to idle.

Time is kept as an uptime of whole seconds plus milliseconds advanced from
clock.diff_ms each call, so ages and intervals stay right for years although
board ticks wrap every 12.4 days (diff_ms alone only reaches 6.2 days).
Allocation: none per call or per packet after construction.
"""

import struct
from array import array
from micropython import const

import beacon_airtime
from beacon_params import (
    BATT_LOW_RATE_FACTOR,
    FRESH_FIX_MS,
    RATE_BY_PHASE,
    RATE_DESCENT,
    RATE_LANDED,
    RATE_OFF,
    rate_class,
)
from fix import MODE_2D, Fix

# Used when the radio cannot say how long a packet is on air: the LoRa APRS
# channel settings (the slowest common ones, so the duty cycle is safe).
DEFAULT_SF = const(12)
DEFAULT_BW_HZ = const(125000)
DEFAULT_CR = const(5)

# Config fallbacks (used, and cfg_fault set, when a key is missing or out of range).
_MIN_INTERVAL_S = const(1)
_MAX_INTERVAL_S = const(86400)
DEFAULT_DESCENT_S = const(10)
DEFAULT_LANDED_S = const(30)
DEFAULT_SLOW_S = const(300)
DEFAULT_SLOW_AFTER_S = const(3600)
DEFAULT_BATT_LOW_MV = const(3400)
DEFAULT_DUTY_PERMILLE = const(10)

DUTY_WINDOW_S = const(3600)  # ETSI EN 300 220: duty cycle over one hour
DUTY_LOG = const(128)  # transmissions remembered (see _BURST_N)
_LONG_AGO_MS = const(1 << 29)
# At most _BURST_N packets in any _BURST_MS (DUTY_WINDOW_S / 16) besides the
# first of each phase: an hour then holds at most 16 * 7 + those < DUTY_LOG,
# so the log is never full inside the hour (which waits for its oldest entry
# to leave: a burst of DUTY_LOG packets, then silence for the rest of the hour).
_BURST_N = const(7)
_BURST_MS = const(225000)

# The last known position in the flight record (persist.POS_SIZE bytes, all
# zero = none): mode, flags (1 altitude, 2 time), sats, day, hour, minute,
# second, hdop_c, lat_deg, lon_deg, lat_e7r, lon_e7r, alt_cm, age_s.
_POS_FMT = "<BBBBBBBxHhhiiii"
_POS_AGE_MAX_S = const(1 << 28)  # 8.5 years: uptime minus it stays a small int

_N_PHASES = len(RATE_BY_PHASE)
_ST_IDLE = const(0)
_ST_BUILT = const(1)
_ST_TX = const(2)


class Beacon:
    def __init__(self, cfg, clock, fix, last_good, radio, formats=None):
        """formats None: the radio's usual packet, by `radio.kind` ("iridium" ->
        SBD binary, anything else -> LoRa APRS, uncompressed)."""
        if formats is None:
            formats = default_formats(cfg, radio)
        self.cfg_fault = False
        self.cfg = cfg
        self.clock = clock
        self.fix = fix
        self.last_good = last_good
        self.radio = radio
        self.formats = tuple(formats)
        self._radio_airtime = getattr(radio, "airtime_ms", None)
        # the flight's channel (cfg, per region) over the board file's default
        set_freq = getattr(radio, "set_frequency_khz", None)
        f_khz = getattr(cfg, "lora_freq_khz", None)
        if set_freq is not None and isinstance(f_khz, int) and not set_freq(f_khz):
            self.cfg_fault = True
        self._last_tick = clock.now_ms()
        self.up_s = 0  # uptime seen by the beacon: whole seconds ...
        self._up_ms = 0  # ... plus milliseconds
        self._mark_s = 0  # result of _mark()
        self._mark_ms = 0
        # own copy of the last fresh fix
        self._held = Fix()
        self._held_ok = False
        self._held_at_s = 0
        self._held_at_ms = 0
        self._fix_rx_seen = -1
        # the caller's last_good record: when its position was taken
        self._lg_rx_seen = -1
        self._lg_ok = False
        self._lg_at_s = 0
        self._lg_at_ms = 0
        # schedule
        self._rate_class = RATE_OFF
        self._sent_in_class = False
        self._slot_s = 0  # uptime of the last slot (packet sent or refused)
        self._slot_ms = 0
        self._build_s = 0
        self._build_ms = 0
        self._landed = False
        self._landed_at_s = 0
        # interval_s() of the current phase, worked out at most once a second
        # of uptime (it reads four config values): a config or battery change
        # takes effect within a second
        self._iv_ms = 0
        self._iv_phase = -1
        self._iv_up_s = -1
        self._fmt_i = 0
        self._state = _ST_IDLE
        self._buf = None
        self._n = 0
        self._pos = None
        self._age_s = -1
        # duty-cycle log: start (uptime s, ms) and time on air of recent packets
        self._dc_s = array("i", [0] * DUTY_LOG)
        self._dc_ms = array("H", [0] * DUTY_LOG)
        self._dc_air = array("i", [0] * DUTY_LOG)
        self._dc_head = 0
        self._dc_count = 0
        self._wait_s = 0  # no packet before this uptime (duty-cycle window)
        self._wait_ms = 0
        self._tx_s = 0  # start of the last transmission (duty-cycle spacing)
        self._tx_ms = 0
        self._gap_ms = 0
        self._priority = False  # the packet built is the first of its phase
        self._duty_waiting = False
        # counters and last values, for status reports and tests
        self.seq = 0
        self.sent = 0
        self.refused = 0  # radio.send() said no
        self.faults = 0  # exceptions caught
        self.duty_deferred = 0  # packets held back by the duty cycle
        self.last_airtime_ms = 0
        self.last_age_s = -1
        # a first position since boot that no flight record holds yet: the
        # sequencer writes one at its next step (before the packet with it)
        self.position_unsaved = False

    # -- public ------------------------------------------------------------

    def poll(self, phase, vbatt_mv):
        """The loop step: called every sample, it usually finds nothing to do,
        so the checks are written out here rather than called (one call per
        sample, not three) and it returns as soon as nothing is due."""
        try:
            c = self.clock
            now = c.now_ms()
            d = c.diff_ms(now, self._last_tick)
            self._last_tick = now
            if d > 0:
                ms = self._up_ms + d
                if ms >= 1000:
                    self.up_s += ms // 1000
                    ms %= 1000
                self._up_ms = ms
            # _track_fix's own conditions: a new epoch, or a new last good
            # position (before the first fix every sample would call it)
            lg = self.last_good
            if self.fix.rx_ms != self._fix_rx_seen or (
                lg is not None and lg.rx_ms != self._lg_rx_seen and lg.mode >= MODE_2D
            ):
                self._track_fix(now)
            rc = RATE_BY_PHASE[phase] if 0 <= phase < _N_PHASES else RATE_OFF
            if rc != self._rate_class:
                self._rate_class = rc
                self._sent_in_class = False
                if rc == RATE_LANDED and not self._landed:
                    self._landed = True
                    self._landed_at_s = self.up_s
            if rc != RATE_LANDED:
                self._landed = False

            st = self._state
            if st == _ST_TX:
                r = self.radio
                r.poll()
                if not r.busy():
                    self._state = _ST_IDLE
                return
            if st == _ST_BUILT:
                self._transmit()
                return
            if rc == RATE_OFF:
                return
            if self._sent_in_class:
                up_s = self.up_s
                if phase != self._iv_phase or up_s != self._iv_up_s:
                    self._iv_ms = self.interval_s(phase, vbatt_mv) * 1000
                    self._iv_phase = phase
                    self._iv_up_s = up_s
                # _since_ms(slot), written out: the common case stops here
                ds = up_s - self._slot_s
                if ds > 500000:
                    since = _LONG_AGO_MS
                elif ds < -500000:
                    since = -_LONG_AGO_MS
                else:
                    since = ds * 1000 + self._up_ms - self._slot_ms
                if since < self._iv_ms:
                    return
                if self._since_ms(self._tx_s, self._tx_ms) < self._gap_ms:
                    if not self._duty_waiting:
                        self._duty_waiting = True
                        self.duty_deferred += 1
                    return
                if self._since_ms(self._wait_s, self._wait_ms) < 0:
                    return
            r = self.radio
            if r.busy():
                r.poll()
                return
            self._build(phase, vbatt_mv)
        except Exception:  # a beacon fault must never stop the flight loop
            self.faults += 1
            self._state = _ST_IDLE

    def interval_s(self, phase, vbatt_mv):
        """Current beacon period for this phase and battery (0 = silent)."""
        rc = rate_class(phase)
        if rc == RATE_OFF:
            return 0
        if rc == RATE_DESCENT:
            s = self._cfg_int(
                "beacon_descent_s", DEFAULT_DESCENT_S, _MIN_INTERVAL_S, _MAX_INTERVAL_S
            )
        else:
            after = self._cfg_int("beacon_slow_after_s", DEFAULT_SLOW_AFTER_S, 0, 1 << 29)
            if self._landed and self.up_s - self._landed_at_s >= after:
                s = self._cfg_int("beacon_slow_s", DEFAULT_SLOW_S, _MIN_INTERVAL_S, _MAX_INTERVAL_S)
            else:
                s = self._cfg_int(
                    "beacon_landed_s", DEFAULT_LANDED_S, _MIN_INTERVAL_S, _MAX_INTERVAL_S
                )
        low = self._cfg_int("batt_low_mv", DEFAULT_BATT_LOW_MV, 0, 100000)
        if 0 < vbatt_mv < low:
            s *= BATT_LOW_RATE_FACTOR
        return s

    # -- sending -------------------------------------------------------------

    def _build(self, phase, vbatt_mv):
        self._choose_position()
        f = self.formats[self._fmt_i]
        self._n = f.build(self._pos, self._age_s, phase, vbatt_mv, self.seq)
        self._buf = f.buf
        self.last_age_s = self._age_s
        self._build_s = self.up_s
        self._build_ms = self._up_ms
        self._priority = not self._sent_in_class
        self._duty_waiting = False
        self._state = _ST_BUILT

    def _transmit(self):
        n = self._n
        self._state = _ST_IDLE
        air = packet_airtime_ms(self._radio_airtime, n)
        permille = self._cfg_int("duty_cycle_permille", DEFAULT_DUTY_PERMILLE, 1, 1000)
        if permille < 1000:
            budget = DUTY_WINDOW_S * permille  # ms of air time per hour
            if air > budget:
                self.cfg_fault = True  # can never fit: at most one per hour
            if not self._priority:
                budget -= air  # keep one packet's worth for the next phase change
            if not self._duty_allows(air, budget):
                self.duty_deferred += 1
                return
        self._slot_s = self._build_s
        self._slot_ms = self._build_ms
        self._sent_in_class = True
        if self.radio.send(self._buf, n) is False:  # None counts as started (sim radios)
            self.refused += 1
            return
        self.last_airtime_ms = air
        self._tx_s = self.up_s
        self._tx_ms = self._up_ms
        self._gap_ms = air * 1000 // permille if permille < 1000 else 0
        i = self._dc_head
        self._dc_s[i] = self.up_s
        self._dc_ms[i] = self._up_ms
        self._dc_air[i] = air
        self._dc_head = (i + 1) % DUTY_LOG
        if self._dc_count < DUTY_LOG:
            self._dc_count += 1
        self.sent += 1
        self.seq += 1
        self._fmt_i += 1
        if self._fmt_i >= len(self.formats):
            self._fmt_i = 0
        self._state = _ST_TX

    def _duty_allows(self, air_ms, budget):
        """True when a packet of air_ms fits `budget` ms of air time in the last
        hour; else sets the uptime (_wait_s, _wait_ms) before which it cannot
        fit. Bounded: one pass over DUTY_LOG entries."""
        window_ms = DUTY_WINDOW_S * 1000
        used = 0
        inside = 0
        i = self._dc_head
        for _ in range(self._dc_count):  # newest first
            i = i - 1 if i > 0 else DUTY_LOG - 1
            since = self._since_ms(self._dc_s[i], self._dc_ms[i])
            if since >= window_ms:
                break
            used += self._dc_air[i]
            inside += 1
            if inside == _BURST_N and since < _BURST_MS and not self._priority:
                self._wait_s = self._dc_s[i] + _BURST_MS // 1000
                self._wait_ms = self._dc_ms[i]
                return False
        if inside == 0:
            return True
        if inside < DUTY_LOG and used + air_ms <= budget:
            return True
        # oldest first, drop entries until the packet fits (or the log has room)
        i = (self._dc_head - inside) % DUTY_LOG
        for _ in range(inside):
            used -= self._dc_air[i]
            if used + air_ms <= budget or used == 0:
                break
            i = (i + 1) % DUTY_LOG
        self._wait_s = self._dc_s[i] + DUTY_WINDOW_S
        self._wait_ms = self._dc_ms[i]
        return False

    # -- time and position bookkeeping ---------------------------------------

    def _since_ms(self, at_s, at_ms):
        """Milliseconds of uptime since (at_s, at_ms); capped at 2**29 (6 days)."""
        ds = self.up_s - at_s
        if ds > 500000:
            return _LONG_AGO_MS
        if ds < -500000:
            return -_LONG_AGO_MS
        return ds * 1000 + self._up_ms - at_ms

    def _since_s(self, at_s, at_ms):
        """Whole seconds of uptime since (at_s, at_ms), uncapped."""
        return self.up_s - at_s - (1 if self._up_ms < at_ms else 0)

    def _mark(self, age_ms):
        """Uptime `age_ms` ago, returned in _mark_s / _mark_ms."""
        if age_ms < 0:
            age_ms = 0
        s = self.up_s - age_ms // 1000
        ms = self._up_ms - age_ms % 1000
        if ms < 0:
            ms += 1000
            s -= 1
        self._mark_s = s
        self._mark_ms = ms

    def _track_fix(self, now):
        f = self.fix
        if f.rx_ms != self._fix_rx_seen:
            age = self.clock.diff_ms(now, f.rx_ms)
            if age >= 0:
                self._fix_rx_seen = f.rx_ms  # this epoch has been looked at
            if f.mode >= MODE_2D and 0 <= age < FRESH_FIX_MS:
                if not (self._held_ok or self._lg_ok):
                    self.position_unsaved = True
                self._held.copy_from(f)
                self._held_ok = True
                self._mark(age)
                self._held_at_s = self._mark_s
                self._held_at_ms = self._mark_ms
        lg = self.last_good
        if lg is not None and lg.rx_ms != self._lg_rx_seen and lg.mode >= MODE_2D:
            if not (self._held_ok or self._lg_ok):
                self.position_unsaved = True
            self._lg_rx_seen = lg.rx_ms
            self._lg_ok = True
            self._mark(self.clock.diff_ms(now, lg.rx_ms))
            self._lg_at_s = self._mark_s
            self._lg_at_ms = self._mark_ms

    def _choose_position(self):
        """The newer of the held copy and last_good, aged by uptime. A fresh
        fix is the held copy taken this very poll (_track_fix); its tick is
        never compared again, since a receiver silent for 12.4 days leaves a
        fix whose tick difference wraps back to "fresh"."""
        use_held = self._held_ok
        if use_held and self._lg_ok:  # both known: the newer one
            hs = self._held_at_s
            ls = self._lg_at_s
            use_held = hs > ls or (hs == ls and self._held_at_ms >= self._lg_at_ms)
        if use_held:
            self._pos = self._held
            self._age_s = self._since_s(self._held_at_s, self._held_at_ms)
        elif self._lg_ok:
            self._pos = self.last_good
            self._age_s = self._since_s(self._lg_at_s, self._lg_at_ms)
        else:
            self._pos = None
            self._age_s = -1

    # -- the position across a reset (the flight record's `pos` bytes) -----

    def record_position(self, rec, lag_s):
        """Put the position the next packet would carry into the flight record,
        aged lag_s more: the age it will have when the next record replaces
        this one, so after a reset it is never younger than the truth while
        the board had power (time unpowered is not counted; the fix's own UTC
        time travels with it). Never raises: the record is written next,
        before a fire too."""
        self.position_unsaved = False  # first: a failure must not ask again each step
        p = rec.pos
        try:
            self._choose_position()
            f = self._pos
            if f is not None:
                age = self._age_s + lag_s
                struct.pack_into(
                    _POS_FMT, p, 0, f.mode, (1 if f.alt_ok else 0) | (2 if f.time_ok else 0),
                    f.sats, f.day, f.hour, f.minute, f.second, f.hdop_c, f.lat_deg, f.lon_deg,
                    f.lat_e7r, f.lon_e7r, f.alt_cm, age if age < _POS_AGE_MAX_S else _POS_AGE_MAX_S,
                )  # fmt: skip
                return
        except Exception:
            self.faults += 1
        for i in range(len(p)):  # none (mode 0)
            p[i] = 0

    def restore_position(self, rec, lag_s):
        """After a reset: hold the record's position as the last known one,
        aged by its stored age plus lag_s (the boot). Its age in s, or -1
        (none kept). A fix from the receiver replaces it as any newer one does."""
        f = self._held
        (f.mode, flags, f.sats, f.day, f.hour, f.minute, f.second, f.hdop_c, f.lat_deg,
         f.lon_deg, f.lat_e7r, f.lon_e7r, f.alt_cm, age) = struct.unpack_from(_POS_FMT, rec.pos, 0)  # fmt: skip
        if f.mode < MODE_2D or not (-90 <= f.lat_deg <= 90 and -180 <= f.lon_deg <= 180):
            f.clear()
            return -1
        f.alt_ok = bool(flags & 1)
        f.time_ok = bool(flags & 2)
        f.has_position = True
        age += lag_s
        self._held_ok = True
        self._held_at_s = self.up_s - age
        self._held_at_ms = self._up_ms
        return age

    def _cfg_int(self, name, default, lo, hi):
        v = getattr(self.cfg, name, None)
        if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
            return v
        self.cfg_fault = True
        return default


def packet_airtime_ms(radio_airtime, n):
    """Time on air of an n-byte packet: radio_airtime(n) (the radio's
    airtime_ms, bound once), else the LoRa APRS channel's. The duty-cycle
    check of a configuration (beacon_duty.py) calls it too."""
    if radio_airtime is not None:
        return radio_airtime(n)
    return beacon_airtime.airtime_ms(n, DEFAULT_SF, DEFAULT_BW_HZ, DEFAULT_CR)


def default_formats(cfg, radio):
    if getattr(radio, "kind", "lora") == "iridium":
        import sbd

        return (sbd.SbdFormat(cfg),)
    import aprs

    return (aprs.AprsFormat(cfg),)
