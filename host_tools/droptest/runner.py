"""Bench drop test: fly the unmodified firmware through a simulated descent
over its serial link, and judge what it did.

The host *is* the world. For every sample period it integrates the physics
(sim/physics.py), turns the truth into what the board's sensors would read
(sim/sensors.py) and streams it as a `#S` frame (protocol/frames.py); GNSS sentences go as `#G` frames
at the receiver's rate. Every few samples a `#Y` sync makes the board say when
it has processed everything before it, so host and board stay in lock-step
while one batch is in flight (a pseudo-terminal then carries tens of thousands
of samples a second). What the board says back (EVT lines: phase changes,
pyro fires, radio packets, faults) is read as it comes; a fire adds that
chute's drag to the physics *at the board's reported time*, so the firmware's
decisions change the trajectory. That is exact as long as the host is never
further ahead than a chute's deploy delay; the batch size is chosen so.

A run goes: wait until the board answers a sync; a few seconds at rest on the
stand (or hanging under the drone), during which the scenario's `[config]`
is sent as `config set` commands and the board is armed (its self-test reads
the gravity vector from these samples); then the flight from the scenario's
start state to touchdown, then `after_landing_s` of rest on the ground for
landing detection and beacons (longer if an expectation needs it). For a
re-entry the stand is on the ground, as the board is checked and armed
before launch, and the next sample is at entry interface: the sensors jump
from the pad to near vacuum, as they would for a board that slept through
the cruise. Faults happen on the way: a power cut (`#R`)
drains the pipeline, waits for the board's `boot` event and goes on; serial
noise inserts junk and corrupts frames.

`DropTest(scenario, link).run()` returns a `Result`; the link is anything with
`write(bytes)`, `read_raw_line(deadline) -> bytes | None` and `power_cut()`
(a board.Board, or a test's in-process stand-in). `run_scenario()` adds a
virtual board, flashing, and the report files.
"""

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from host_tools.protocol import frames, packets
from host_tools.protocol.lines import parse_line
from host_tools.sim import physics, sensors

TICKS_PERIOD = 1 << 30
TICKS_HALF = TICKS_PERIOD >> 1
DEFAULT_AFTER_LANDING_S = 120.0
DEFAULT_MAX_FLIGHT_S = 7200.0
DEFAULT_STAND_S = 5.0
MAX_BATCH_SAMPLES = 25
# Once every chute has been fired nothing the board says can change the
# physics any more (a channel fires once), so the host may run further ahead:
# batches of this many seconds (under the main and on the ground: a third of
# a LEO return), with one sync and one wakeup of each side per batch.
FREE_BATCH_S = 2.0
REPLY_TIMEOUT_S = 20.0  # wall time without an answer to a sync = the board is gone
BOOT_TIMEOUT_S = 30.0  # wall time for the board to come back after a power cut
MAX_LOGGED_NOISE_ERRORS = 20
MD_BEACONS_LISTED = 5


# A capsule back above the entry interface (and above
# invariants.SKIPPED_OUT_ALT_M) is watched for the firmware's backup
# timers plus this margin, then the run ends: outcome "skipped_out"
SKIP_OUT_MARGIN_S = 60.0


def skip_out_watch_s(scenario):
    """How long a capsule that left the atmosphere is flown on: both backup
    timers (effective config, firmware defaults) run out, plus a margin."""
    from host_tools.droptest.invariants import effective_config

    cfg = effective_config(scenario)
    return float(cfg["drogue_backup_s"]) + float(cfg["main_backup_s"]) + SKIP_OUT_MARGIN_S


class DropTestError(Exception):
    """The run could not be carried out (board gone, no answer)."""


def diff_ticks(later, earlier):
    return ((later - earlier + TICKS_HALF) & (TICKS_PERIOD - 1)) - TICKS_HALF


@dataclass
class Event:
    t_s: float
    kind: str  # phase, fire, pyro, beacon, fault, boot, error, injected, console
    name: str
    fields: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # channel/altitude_m for fires, packet for beacons

    def to_json(self):
        out = {
            "t_s": round(self.t_s, 3),
            "kind": self.kind,
            "name": self.name,
            "fields": self.fields,
        }
        out.update(self.extra)
        return out


@dataclass
class Result:
    scenario: object
    seed: int
    events: list
    expectations: list
    landing: object  # physics.Landing or None
    sim_s: float
    wall_s: float
    samples: int
    trace: dict  # per-sample lists: t_s, agl_m, vz_m_s, ...
    arm_reply: object = None
    link_stats: dict = field(default_factory=dict)
    board_status: dict = field(default_factory=dict)
    aborted: str = ""
    invariants: list = field(default_factory=list)  # invariants.check()
    board_config: str = ""  # `--port`: how the board's own config was put back
    target: str = ""  # the virtual board's target (board/targets.py), "" for a real port
    interpreter: str = ""  # what that virtual board ran

    @property
    def passed(self):
        return (
            not self.aborted and all(e["passed"] for e in self.expectations) and not self.violations
        )

    @property
    def violations(self):
        """Names of the flight-envelope invariants this run violated."""
        from host_tools.droptest.invariants import violations

        return violations(self.invariants)

    @property
    def outcome(self):
        """landed, skipped_out, did_not_land or aborted."""
        from host_tools.droptest.invariants import outcome

        return outcome(self)

    def fires(self, channel=None):
        return [
            e
            for e in self.events
            if e.kind == "fire" and (channel is None or e.extra.get("channel") == channel)
        ]

    def report(self):
        """The report.json document."""
        s = self.scenario
        landing = None
        if self.landing is not None:
            lg = self.landing
            landing = {
                "t_s": round(lg.t_s, 3),
                "lat": round(lg.lat, 7),
                "lon": round(lg.lon, 7),
                "east_m": round(lg.east_m, 1),
                "north_m": round(lg.north_m, 1),
                "speed_m_s": round(lg.speed_m_s, 2),
                "vertical_speed_m_s": round(lg.vertical_speed_m_s, 2),
                "horizontal_speed_m_s": round(lg.horizontal_speed_m_s, 2),
            }
        tr = self.trace
        return {
            "scenario": s.name,
            "scenario_file": s.path,
            "description": s.description,
            "seed": self.seed,
            "passed": self.passed,
            "outcome": self.outcome,
            "aborted": self.aborted or None,
            "sim_s": round(self.sim_s, 3),
            "wall_s": round(self.wall_s, 3),
            "samples": self.samples,
            "sample_hz": s.sample_hz,
            "events": [e.to_json() for e in self.events],
            "expectations": self.expectations,
            "invariants": self.invariants,
            "violations": self.violations,
            "landing": landing,
            "max_accel_g": round(max(tr["aero_accel_m_s2"], default=0.0) / physics.G0_M_S2, 2),
            "max_mach": round(max(tr["mach"], default=0.0), 2),
            "link": self.link_stats,
            "board_status": self.board_status,
            **_receivers_report(self),
        }


def _receivers_report(result):
    """report.json's `receivers` (droptest/receivers.py) when the scenario lists any."""
    if not result.scenario.receivers:
        return {}
    from host_tools.droptest import receivers

    return {"receivers": receivers.assess(result), "radio_link": receivers.link_summary(result)}


class _Trace:
    """Per-sample record of truth (physics.Flight.TRACE_KEYS) and of what the
    board read (press_pa, ax/ay/az_mg): for fire altitudes, GNSS epochs, the
    CSV and the plots."""

    KEYS = physics.Flight.TRACE_KEYS + ("press_pa", "ax_mg", "ay_mg", "az_mg")
    CSV_KEYS = (
        "t_s",
        "alt_m",
        "agl_m",
        "vz_m_s",
        "air_speed_m_s",
        "mach",
        "aero_accel_m_s2",
        "press_pa",
        "az_mg",
        "east_m",
        "north_m",
    )

    def __init__(self):
        self.data = {k: [] for k in self.KEYS}

    def index_at(self, t_s):
        ts = self.data["t_s"]
        if not ts:
            return None
        import bisect

        i = bisect.bisect_left(ts, t_s)
        if i >= len(ts):
            return len(ts) - 1
        if i > 0 and abs(ts[i - 1] - t_s) <= abs(ts[i] - t_s):
            return i - 1
        return i

    def truth(self, i):
        """physics.Truth of sample i (for the GNSS model)."""
        d = self.data
        return physics.Truth(
            d["t_s"][i], d["alt_m"][i], d["agl_m"][i], d["east_m"][i], d["north_m"][i],
            d["ve_m_s"][i], d["vn_m_s"][i], d["vz_m_s"][i], d["air_speed_m_s"][i], d["mach"][i],
            d["pressure_pa"][i], 0.0, 0.0, d["aero_accel_m_s2"][i], 0.0, d["landed"][i],
        )  # fmt: skip


def _haversine_m(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * physics.EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# -- the run -----------------------------------------------------------------------
@dataclass(eq=False)
class DropTest:
    """One scenario flown against one board link; its run state is set up in
    __post_init__."""

    scenario: object
    link: object
    seed: int = 0
    realtime: bool = False
    progress: object = None  # callable(sim_t_s, agl_m, phase) or None
    reply_timeout_s: float = REPLY_TIMEOUT_S
    boot_timeout_s: float = BOOT_TIMEOUT_S
    flight: object = None  # default: the scenario's own flight model

    def __post_init__(self):
        scenario = self.scenario
        if self.flight is None:
            self.flight = scenario.make_flight()
        self.sensors = scenario.make_sensors(self.seed)
        self.rate_hz = scenario.sample_hz
        self.dt_s = 1.0 / self.rate_hz
        run = scenario.run
        self.stand_s = scenario.start.get("stand_s", DEFAULT_STAND_S)
        self.t_first_s = -self.stand_s
        self.tick0 = int(run.get("board_start_ms", 1000))
        # stay on the ground long enough to judge what must happen after touchdown
        after = run.get("after_landing_s", DEFAULT_AFTER_LANDING_S)
        for key in ("beacon_within_s", "landed_within_s"):
            if key in scenario.expect:
                after = max(after, scenario.expect[key] + 5.0)
        self.after_landing_s = after
        self.max_flight_s = run.get("max_flight_s", DEFAULT_MAX_FLIGHT_S)
        delays = [c.deploy_delay_s for c in self.flight.chutes] or [0.5]
        # one batch in flight plus the one being built must stay within the
        # shortest deploy delay, so a fire is always applied before it acts
        self.batch = max(1, min(MAX_BATCH_SAMPLES, int(min(delays) * self.rate_hz / 2.5)))
        self.free_batch = max(MAX_BATCH_SAMPLES, round(FREE_BATCH_S * self.rate_hz))
        self._all_fired = False
        self.events = []
        self.trace = _Trace()
        self.phase = ""
        self.seq = 0
        self.acked_seq = -1
        self.sent_seq = -1
        self.sample_index = 0
        self.last_tick = self.tick0
        self.last_t_s = self.t_first_s
        self.arm_reply = None
        self.command_replies = {}
        self.pending_commands = []
        self.link_stats = {
            "sample_frames": 0,
            "gnss_frames": 0,
            "syncs": 0,
            "garbage_bursts": 0,
            "corrupted_frames": 0,
            "noise_lines": 0,
            "unsolicited_errors": 0,
            "late_fires": 0,
        }
        self.power_losses = list(scenario.faults.get("power_loss_at_s", []))
        self.power_off_s = scenario.faults.get("power_off_s", 0.5)
        self.board_status = {}
        self._out = bytearray()
        self._log_command_errors = True
        self._waited_s = 0.0
        self._board_alive = True
        self._wall0 = None
        self._fired_channels = {}
        self._out_since_s = None
        self.skip_out_watch_s = skip_out_watch_s(scenario)

    # -- time ------------------------------------------------------------------
    def tick_of(self, index):
        return (self.tick0 + round(index * 1000.0 / self.rate_hz)) & (TICKS_PERIOD - 1)

    def t_of(self, index):
        return self.t_first_s + index * self.dt_s

    def board_time_s(self, t_ms):
        """Simulation time of a board tick, relative to the last sample sent."""
        t = self.last_t_s + diff_ticks(t_ms, self.last_tick) / 1000.0
        if t < self.t_first_s - 1.0 or t > self.last_t_s + 1.0:
            return self.last_t_s  # a tick from before the first frame (boot): "now"
        return t

    # -- link --------------------------------------------------------------------
    def _flush(self):
        if self._out:
            self.link.write(bytes(self._out))
            self._out.clear()

    def _send_sync(self):
        self.seq += 1
        self._out += frames.sync_frame(self.seq)
        self.sent_seq = self.seq
        self.link_stats["syncs"] += 1
        self._flush()

    def _wait_sync(self, seq):
        """Read lines until the board has acknowledged sync `seq`."""
        t0 = time.perf_counter()
        deadline = time.monotonic() + self.reply_timeout_s
        while self.acked_seq < seq:
            raw = self.link.read_raw_line(deadline)
            if raw is None:
                raise DropTestError(
                    f"the board stopped answering (no sync reply {seq} within "
                    f"{self.reply_timeout_s:.0f} s at t={self.last_t_s:.1f} s)"
                )
            self._on_raw_line(raw)
        self._waited_s += time.perf_counter() - t0

    def _drain(self):
        self._send_sync()
        self._wait_sync(self.seq)

    def command(self, text, log_error=True):
        """Send a command line and return its reply (Line), processing events;
        an ERR reply becomes an error event unless log_error is False."""
        from host_tools.protocol.lines import format_command

        name = text.split()[0].lower()
        self._log_command_errors = log_error
        self.pending_commands.append(name)
        self.command_replies.pop(name, None)
        self._out += format_command(text)
        self._drain()
        return self.command_replies.get(name)

    def _on_raw_line(self, raw):
        line = parse_line(raw)
        if line is None:
            text = bytes(raw).decode("utf-8", "replace").strip()
            if not text:
                return
            self.link_stats["noise_lines"] += 1
            if "Traceback" in text or "Error" in text:
                self._event(self.last_t_s, "error", "console", {"text": text[:200]})
            return
        if line.kind == "OK" and line.name == "sync":
            seq = line.number("seq", -1)
            if seq is not None and seq > self.acked_seq:
                self.acked_seq = seq
            return
        if line.kind in ("OK", "ERR"):
            if line.name in self.pending_commands or (
                line.name == "line" and self.pending_commands
            ):
                name = line.name if line.name in self.pending_commands else self.pending_commands[0]
                self.pending_commands.remove(name)
                self.command_replies[name] = line
                if line.kind == "ERR" and self._log_command_errors:
                    self._event(self.board_time_s(line.t_ms), "error", line.name, dict(line.fields))
            elif line.kind == "ERR":
                self.link_stats["unsolicited_errors"] += 1
                if self.link_stats["unsolicited_errors"] <= MAX_LOGGED_NOISE_ERRORS:
                    self._event(self.board_time_s(line.t_ms), "error", line.name, dict(line.fields))
            return
        if line.kind != "EVT":
            return
        t = self.board_time_s(line.t_ms)
        name = line.name
        fields = dict(line.fields)
        if name == "phase":
            self.phase = fields.get("to", self.phase)
            self._event(t, "phase", name, fields)
        elif name == "fire":
            self._on_fire(t, fields.get("channel", ""), fields, "fire")
        elif name == "pyro":
            if fields.get("on") == "1":
                self._on_fire(t, fields.get("channel", ""), fields, "pyro")
            else:
                self._event(t, "pyro", name, fields)
        elif name == "tx":
            extra = {}
            try:
                raw_packet = bytes.fromhex(fields.get("hex", ""))
            except ValueError:
                extra["packet"] = None
            else:
                try:
                    report = packets.decode_packet(raw_packet, via="evt")
                except packets.DecodeError:  # judged by its text alone
                    extra["packet"] = raw_packet.removeprefix(packets.LORA_APRS_PREFIX).decode(
                        "latin-1"
                    )
                else:
                    extra["packet"] = report.raw
                    if report.has_position:
                        extra["lat"], extra["lon"] = report.lat, report.lon
            self._event(t, "beacon", name, fields, extra)
        elif name == "fault":
            self._event(t, "fault", name, fields)
        elif name in ("boot", "ready"):
            self._event(t, "boot", name, fields)
        elif name in ("arm", "disarm"):
            self._event(t, "arm", name, fields)
        else:
            self._event(t, "other", name, fields)

    def _on_fire(self, t, channel, fields, source):
        """A pyro channel fired at simulation time t: physics and the report."""
        # The firmware may report a fire both as `fire` and as its pyro output
        # going on; one physical firing is counted once per source.
        count = self._fired_channels.setdefault(channel, {"fire": 0, "pyro": 0})
        count[source] += 1
        first_of_this_firing = count[source] > count["pyro" if source == "fire" else "fire"]
        if not first_of_this_firing:
            # the same firing from its other source: its fields join the
            # event (the sequencer's `fire` carries the `why` the invariants read)
            for e in reversed(self.events):
                if e.kind == "fire" and e.extra.get("channel") == channel:
                    for key, value in fields.items():
                        e.fields.setdefault(key, value)
                    break
            return
        extra = {"channel": channel}
        i = self.trace.index_at(t)
        if i is not None and t >= 0:
            d = self.trace.data
            extra["altitude_m"] = round(d["agl_m"][i], 1)
            extra["speed_m_s"] = round(d["air_speed_m_s"][i], 1)
            extra["mach"] = round(d["mach"][i], 3)
        elif t < 0:
            extra["altitude_m"] = round(
                self.scenario.stand_altitude_m - self.flight.ground_elevation_m, 1
            )
            extra["speed_m_s"] = 0.0
        self._event(t, "fire", "fire", fields, extra)
        applied = self.flight.fire(channel, max(0.0, t))
        chute = self.flight.chute(channel)
        if applied and chute is not None and self.flight.t_s > chute.open_from_s:
            self.link_stats["late_fires"] += 1

    def _event(self, t, kind, name, fields, extra=None):
        self.events.append(Event(t, kind, name, fields, extra or {}))

    # -- streaming ---------------------------------------------------------------
    def _fill_rest(self, times):
        """Truth for samples on the stand (before the flight): at rest."""
        alt = self.scenario.stand_altitude_m
        rest = sensors.rest_truth(0.0, alt, self.flight.ground_elevation_m)
        d = self.trace.data
        for t in times:
            for key, v in (
                ("t_s", t),
                ("alt_m", alt),
                ("agl_m", rest.agl_m),
                ("east_m", 0.0),
                ("north_m", 0.0),
                ("ve_m_s", 0.0),
                ("vn_m_s", 0.0),
                ("vz_m_s", 0.0),
                ("air_speed_m_s", 0.0),
                ("mach", 0.0),
                ("pressure_pa", rest.pressure_pa),
                ("aero_accel_m_s2", rest.aero_accel_m_s2),
                ("landed", True),
            ):
                d[key].append(v)

    def _emit_batch(self, t_end):
        """Physics, sensors and frames for up to one batch of samples before
        t_end; returns how many."""
        i0 = self.sample_index
        times = []
        # before a balloon's release nothing the board fires acts (a chute
        # fired on the line opens at the release), so batches may be long
        batch = self.batch
        release_s = getattr(self.flight, "release_s", None)
        if release_s is not None and self.t_of(i0 + MAX_BATCH_SAMPLES) < release_s:
            batch = MAX_BATCH_SAMPLES
        elif self._chutes_all_fired():
            batch = self.free_batch
        t_first, dt, last = self.t_first_s, self.dt_s, t_end - 1e-9
        for i in range(i0, i0 + batch):
            t = t_first + i * dt
            if t >= last:
                break
            times.append(t)
        n = len(times)
        if not n:
            return 0
        d = self.trace.data
        k0 = len(d["t_s"])
        stand = [t for t in times if t < 0.0]
        if stand:
            self._fill_rest(stand)
        if len(stand) < n:
            self.flight.fill(times[len(stand) :], d)
        suite = self.sensors
        rows = suite.sample_rows(
            times,
            d["pressure_pa"][k0:],
            d["mach"][k0:],
            d["aero_accel_m_s2"][k0:],
            d["landed"][k0:],
        )
        d["press_pa"].extend((rows[0] / 10.0).tolist())
        d["ax_mg"].extend(rows[1].tolist())
        d["ay_mg"].extend(rows[2].tolist())
        d["az_mg"].extend(rows[3].tolist())
        tick0 = self.tick0
        ms_per_sample = 1000.0 / self.rate_hz
        mask = TICKS_PERIOD - 1
        ticks = [(tick0 + round((i0 + j) * ms_per_sample)) & mask for j in range(n)]
        self.last_tick = ticks[-1]
        self.last_t_s = times[-1]
        self.sample_index = i0 + n
        if not self._board_alive:
            return n
        out = self._out
        serial = suite.serial
        gnss = suite.gnss
        gnss_due = gnss.due
        if serial.garbage_per_s > 0 or serial.corrupt_fraction > 0:
            # one `#S` frame a sample: line noise damages samples one by one
            batch = frames.sample_frames(ticks, rows)
            size = frames.SAMPLE_FRAME_BYTES
            for j, t in enumerate(times):
                frame = batch[j * size : (j + 1) * size]
                if t >= 0.0:
                    junk = serial.garbage(self.dt_s, suite.noise)
                    if junk:
                        self.link_stats["garbage_bursts"] += 1
                        out += junk
                    bad = serial.corrupt(frame, suite.noise)
                    if bad is not frame:
                        self.link_stats["corrupted_frames"] += 1
                        frame = bad
                out += frame
                if gnss_due(t):
                    self._emit_gnss(k0 + j)
        else:
            # `#B` frames of up to BATCH_MAX samples, cut where a GNSS epoch
            # falls (gnss.due is called only at or past its next epoch, where
            # it acts)
            records = frames.batch_records(ticks, rows)
            top = frames.BATCH_MAX
            sent = 0
            for j, t in enumerate(times):
                epoch = gnss.next_epoch_s
                if (epoch is None or t + 1e-9 >= epoch) and gnss_due(t):
                    for a in range(sent, j + 1, top):
                        out += frames.batch_frame(records[a : min(a + top, j + 1)])
                    sent = j + 1
                    self._emit_gnss(k0 + j)
            for a in range(sent, n, top):
                out += frames.batch_frame(records[a : min(a + top, n)])
        self.link_stats["sample_frames"] += n
        return n

    def _chutes_all_fired(self):
        """Every chute's channel has fired (or there is no chute): the
        board's fires can no longer change the trajectory."""
        if not self._all_fired:
            self._all_fired = all(c.fired_at_s is not None for c in self.flight.chutes)
        return self._all_fired

    def _emit_gnss(self, k):
        truth = self.trace.truth(k)
        lat, lon = physics.destination(
            self.flight.lat, self.flight.lon, truth.east_m, truth.north_m
        )
        utc = self.scenario.utc_start_s + truth.t_s
        sentences, _ = self.sensors.gnss.sentences(truth, utc, lat, lon, self.sensors.noise)
        for s in sentences:
            self._out += frames.gnss_frame(s)
            self.link_stats["gnss_frames"] += 1

    def _stream_until(self, t_end):
        """Stream samples up to (excluding) sim time t_end in synced batches."""
        while self.t_of(self.sample_index) < t_end - 1e-9:
            self._stream_batch(t_end)

    def _stream_batch(self, t_end=math.inf):
        self._emit_batch(t_end)
        if self.realtime:
            self._pace()
        if self._board_alive:
            prev = self.sent_seq
            self._send_sync()
            if prev >= 0:
                self._wait_sync(prev)  # keep one batch in flight
        if self.progress:
            self.progress(self.last_t_s, self.trace.data["agl_m"][-1], self.phase)

    def _pace(self):
        target = self._wall0 + (self.last_t_s - self.t_first_s)
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def _power_cut(self, t):
        """Cut the board's power at sim time t; it comes back power_off_s later."""
        self._drain()
        self._event(t, "injected", "power_loss", {"off_s": self.power_off_s})
        self.link.power_cut()
        self._board_alive = False
        self._stream_until(t + self.power_off_s)  # physics goes on, the board is dark
        self._board_alive = True
        # the board prints `boot` then `ready`; a firmware that only says
        # `boot` gets two seconds more before streaming goes on
        deadline = time.monotonic() + self.boot_timeout_s
        booted = False
        while True:
            raw = self.link.read_raw_line(deadline)
            if raw is None:
                if booted:
                    break
                raise DropTestError(
                    f"no boot event within {self.boot_timeout_s:.0f} s after the power cut at t={t:.1f} s"
                )
            line = parse_line(raw)
            self._on_raw_line(raw)
            if line is not None and line.kind == "EVT" and line.name == "ready":
                break
            if line is not None and line.kind == "EVT" and line.name == "boot":
                booted = True
                deadline = min(deadline, time.monotonic() + 2.0)
        self.acked_seq = self.sent_seq  # syncs sent to the dead board are lost

    # -- phases of the run ----------------------------------------------------------
    def _wait_ready(self):
        """The board answers syncs (it is running the firmware)."""
        deadline = time.monotonic() + self.boot_timeout_s
        while time.monotonic() < deadline:
            self._send_sync()
            wait = time.monotonic() + 1.0
            while self.acked_seq < self.seq:
                raw = self.link.read_raw_line(min(wait, deadline))
                if raw is None:
                    break
                self._on_raw_line(raw)
            if self.acked_seq >= self.seq:
                return
        raise DropTestError(
            "the board does not answer (no reply to #Y syncs); is the firmware running?"
        )

    def _stand(self):
        t0 = self.t_first_s
        config_at = t0 + min(0.5, self.stand_s / 4)
        arm_at = min(-0.5, t0 + self.stand_s * 0.6)
        self._stream_until(config_at)
        self._drain()
        # A value can be refused only because of the order of the lines (the
        # firmware keeps main_deploy_m below drogue_deploy_m at every step):
        # refused lines get one more try after the others.
        retry = []
        for cmd in self.scenario.config_commands():
            reply = self.command(cmd, log_error=False)
            if reply is None or reply.kind != "OK":
                retry.append(cmd)
        for cmd in retry:
            reply = self.command(cmd)
            if reply is None:
                self._event(self.last_t_s, "error", "config", {"msg": "no reply to " + cmd})
        self._stream_until(arm_at)
        self._drain()
        self.arm_reply = self.command("arm")
        if self.arm_reply is None:
            self._event(self.last_t_s, "error", "arm", {"msg": "no reply to arm"})
        self._stream_until(0.0)

    def _flight(self):
        flight = self.flight
        losses = list(self.power_losses)
        while True:
            t_next = self.t_of(self.sample_index)
            if losses and t_next >= losses[0]:
                self._power_cut(losses.pop(0))
                continue
            if flight.landing is not None and t_next > flight.landing.t_s + self.after_landing_s:
                break
            if t_next > self.max_flight_s:
                self._event(t_next, "error", "timeout", {"msg": "max_flight_s reached in flight"})
                break
            if self._skipped_out(t_next):
                self._event(
                    t_next, "physics", "skipped_out", {"watched_s": round(self.skip_out_watch_s)}
                )
                break
            end = losses[0] if losses else math.inf
            self._stream_batch(end)

    def _skipped_out(self, t_s):
        """True once the capsule has climbed back above the entry interface
        and stayed there skip_out_watch_s: the flight is over (it may come
        back hours later, or never), and every backup timer has had its
        chance to fire in near vacuum, where the invariants catch it."""
        from host_tools.droptest.invariants import SKIPPED_OUT_ALT_M

        f = self.flight
        ceiling = max(self.scenario.start["altitude_m"], SKIPPED_OUT_ALT_M)
        if f.landing is not None or f.h <= ceiling or t_s <= 0.0:
            self._out_since_s = None
            return False
        if self._out_since_s is None:
            self._out_since_s = t_s
        return t_s - self._out_since_s >= self.skip_out_watch_s

    def _finish(self):
        self._drain()
        try:
            reply = self.command("status")
        except DropTestError:
            reply = None
        if reply is not None:
            self.board_status = dict(reply.fields)

    def run(self):
        wall0 = time.perf_counter()
        cpu0 = time.process_time()
        self._wall0 = wall0
        aborted = ""
        try:
            self._wait_ready()
            self._stand()
            self._flight()
            self._finish()
        except DropTestError as exc:
            aborted = str(exc)
            self._event(self.last_t_s, "error", "aborted", {"msg": aborted})
        wall = time.perf_counter() - wall0
        # where the wall time went: this process (physics, sensors, frames,
        # and the virtual board's relay thread when it runs here) and waiting
        # for the board to answer syncs
        self.link_stats["host_cpu_s"] = round(time.process_time() - cpu0, 2)
        self.link_stats["waiting_for_board_s"] = round(self._waited_s, 2)
        for t, text in self.flight.events:
            self._event(t, "physics", "chute", {"what": text})
        self.events.sort(key=lambda e: e.t_s)
        result = Result(
            scenario=self.scenario,
            seed=self.seed,
            events=self.events,
            expectations=[],
            landing=self.flight.landing,
            sim_s=max(0.0, self.last_t_s),
            wall_s=wall,
            samples=self.sample_index,
            trace=self.trace.data,
            arm_reply=self.arm_reply,
            link_stats=self.link_stats,
            board_status=self.board_status,
            aborted=aborted,
        )
        result.expectations = judge(result, self.scenario, self.command_replies)
        from host_tools.droptest.invariants import check

        result.invariants = check(result)
        return result


# -- judging ---------------------------------------------------------------------------
def judge(result, scenario, replies=None):
    """Evaluate the scenario's [expect] table (and the implicit checks) on a run."""
    exp = scenario.expect
    out = []

    def check(name, passed, detail):
        out.append({"name": name, "passed": bool(passed), "detail": detail})

    if result.aborted:
        check("run completed", False, result.aborted)
    landing = result.landing
    fires = {c: result.fires(c) for c in ("drogue", "main")}
    arm = result.arm_reply
    if exp.get("refuses_arm"):
        refused = arm is not None and arm.kind == "ERR"
        check(
            "refuses_arm",
            refused,
            "arm -> {} {}".format(arm.kind, arm.get("msg", "")) if arm else "no reply to arm",
        )
    else:
        accepted = arm is not None and arm.kind == "OK"
        check(
            "arms",
            accepted,
            "arm -> {} {}".format(arm.kind, arm.get("msg", arm.fields))
            if arm
            else "no reply to arm",
        )
    if scenario.config:
        bad = [e for e in result.events if e.kind == "error" and e.name == "config"]
        check(
            "config accepted",
            not bad,
            f"{len(scenario.config)} config keys set"
            if not bad
            else "; ".join(str(e.fields.get("msg", e.fields)) for e in bad),
        )
    for channel in ("drogue", "main"):
        key = channel + "_fired"
        if key in exp:
            fired = bool(fires[channel])
            detail = (
                "fired at t={:.1f} s, {:.0f} m AGL".format(
                    fires[channel][0].t_s, fires[channel][0].extra.get("altitude_m", float("nan"))
                )
                if fired
                else "never fired"
            )
            check(key, fired == exp[key], detail)
        key = channel + "_fire_altitude_m"
        if key in exp:
            lo, hi = exp[key]
            if fires[channel]:
                alt = fires[channel][0].extra.get("altitude_m", float("nan"))
                check(key, lo <= alt <= hi, f"{alt:.0f} m AGL (want {lo:g}..{hi:g})")
            else:
                check(key, False, f"{channel} never fired (want {lo:g}..{hi:g} m)")
    if exp.get("no_fire"):
        all_fires = result.fires()
        check(
            "no_fire",
            not all_fires,
            "no pyro fired"
            if not all_fires
            else ", ".join(
                "{} at t={:.1f} s".format(e.extra.get("channel"), e.t_s) for e in all_fires
            ),
        )
    if exp.get("no_double_fire"):
        counts = {}
        for e in result.fires():
            counts[e.extra.get("channel")] = counts.get(e.extra.get("channel"), 0) + 1
        doubles = {c: n for c, n in counts.items() if n > 1}
        check(
            "no_double_fire",
            not doubles,
            "fires per channel: %s" % (counts or "none"),
        )
    if "max_landing_speed_m_s" in exp:
        # the descent rate is what breaks a capsule; wind drift adds a
        # horizontal speed the shell takes sideways
        limit = exp["max_landing_speed_m_s"]
        if landing is None:
            check("max_landing_speed_m_s", False, "did not land")
        else:
            check(
                "max_landing_speed_m_s",
                landing.vertical_speed_m_s <= limit,
                f"{landing.vertical_speed_m_s:.1f} m/s vertical, {landing.horizontal_speed_m_s:.1f} m/s drift (limit {limit:g} vertical)",
            )
    beacons = [e for e in result.events if e.kind == "beacon"]
    if "beacon_within_s" in exp:
        limit = exp["beacon_within_s"]
        if landing is None:
            check("beacon_within_s", False, "did not land")
        else:
            after = [e for e in beacons if e.t_s >= landing.t_s]
            if after:
                dt = after[0].t_s - landing.t_s
                check("beacon_within_s", dt <= limit, f"first beacon {dt:.1f} s after touchdown")
            else:
                check("beacon_within_s", False, "no beacon after touchdown")
    if "beacon_position_within_m" in exp:
        limit = exp["beacon_position_within_m"]
        located = [e for e in beacons if "lat" in e.extra]
        if landing is None or not located:
            check(
                "beacon_position_within_m",
                False,
                "did not land" if landing is None else "no beacon with a position",
            )
        else:
            last = located[-1]
            d = _haversine_m(last.extra["lat"], last.extra["lon"], landing.lat, landing.lon)
            check(
                "beacon_position_within_m",
                d <= limit,
                f"last beacon {d:.0f} m from the landing point (limit {limit:g})",
            )
    if "landed_within_s" in exp:
        limit = exp["landed_within_s"]
        landed = [
            e
            for e in result.events
            if e.kind == "phase" and "LAND" in str(e.fields.get("to", "")).upper()
        ]
        if landing is None:
            check("landed_within_s", False, "did not land")
        elif not landed:
            check("landed_within_s", False, "the board never reported a landed phase")
        else:
            dt = landed[0].t_s - landing.t_s
            check(
                "landed_within_s",
                -1.0 <= dt <= limit,
                f"landed phase {dt:.1f} s after touchdown",
            )
    if exp.get("quiet_until_release"):
        from host_tools.sim.balloon import quiet_until_release

        out.append(quiet_until_release(result, scenario))
    if "phases" in exp:
        seen = [str(e.fields.get("to", "")).upper() for e in result.events if e.kind == "phase"]
        want = [p.upper() for p in exp["phases"]]
        i = 0
        for p in seen:
            if i < len(want) and p == want[i]:
                i += 1
        check(
            "phases",
            i == len(want),
            "seen %s" % (" > ".join(seen) or "none"),
        )
    return out


# -- running a scenario with a board, writing the report ------------------------------
_FLASH_TEMPLATES = {}  # firmware digest -> a flashed board directory, per process
# A directory the worker processes of one local campaign share: the first to
# need a flashed image flashes it there, the others copy it (mc.fly_on_cluster
# sets it for the cluster's life and removes it after)
SHARED_FLASH_ENV = "CAPSULE_CAMPAIGN_FLASH_DIR"
_SHARED_TEMPLATES = {}  # firmware digest -> its flashed directory in the shared one


def _firmware_digest():
    """Hash of what `flash` would put on a sim board (sources and board file)."""
    from host_tools.firmware_files import image_sources

    h = hashlib.sha256()
    for p, name in image_sources("sim"):
        h.update(name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _flashed_template(log, target="unix64"):
    """A directory holding a virtual board's flash with the current firmware,
    flashed once per process and firmware version (Monte Carlo workers run
    many flights; flashing is most of a short flight's wall time)."""
    import tempfile

    from host_tools.board.flash import flash
    from host_tools.board.targets import flash_arch, make_board

    key = (_firmware_digest(), target)
    path = _FLASH_TEMPLATES.get(key) or _SHARED_TEMPLATES.get(key)
    if path is not None and path.exists():
        return path
    shared = os.environ.get(SHARED_FLASH_ENV)
    if shared and Path(shared).is_dir():
        path = _shared_template(Path(shared), key, log)
        _SHARED_TEMPLATES[key] = path
        return path
    path = Path(tempfile.mkdtemp(prefix="droptest-flash-"))
    with make_board(target, flash_dir=path) as board:
        flash(board.port, board="sim", log=log, arch=flash_arch(target))
    if not _FLASH_TEMPLATES:
        import atexit
        import shutil

        atexit.register(
            lambda: [shutil.rmtree(p, ignore_errors=True) for p in _FLASH_TEMPLATES.values()]
        )
    _FLASH_TEMPLATES[key] = path
    return path


def _shared_template(shared, key, log):
    """The flashed image in a campaign's shared directory, flashed here
    unless another worker has (one at a time, under a file lock)."""
    import fcntl

    from host_tools.board.flash import MANIFEST, flash
    from host_tools.board.targets import flash_arch, make_board

    digest, target = key
    name = f"{digest}-{target}"
    path = shared / name
    with open(shared / (name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path / MANIFEST).exists():
            with make_board(target, flash_dir=path) as board:
                flash(board.port, board="sim", log=log, arch=flash_arch(target))
    return path


def open_board(port=None, log=None, reuse_flash=False, target="unix64"):
    """A Board on `port`, or on a fresh virtual board of `target`
    (board/targets.py) with the current firmware flashed (reuse_flash: booted
    from a copy of a board flashed earlier in this process with the same
    firmware); closing the Board stops a virtual board started here."""
    import shutil
    import tempfile

    from host_tools.board.board import Board
    from host_tools.board.flash import flash
    from host_tools.board.targets import describe, flash_arch, make_board

    if port:
        return Board(port, timeout=REPLY_TIMEOUT_S)
    log = log or (lambda *a: None)
    template = _flashed_template(log, target) if reuse_flash else None
    tmp = tempfile.mkdtemp(prefix="droptest-board-")
    flash_dir = Path(tmp) / "flash"
    if template is not None:
        shutil.copytree(template, flash_dir)
    board = make_board(target, flash_dir=flash_dir).start()

    def stop():
        board.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        if template is None:
            flash(board.port, board="sim", log=log, arch=flash_arch(target))
        return describe(Board(board.port, timeout=REPLY_TIMEOUT_S, on_close=stop), board)
    except BaseException:
        stop()
        raise


def run_scenario(
    scenario,
    port=None,
    out_dir=None,
    seed=0,
    realtime=False,
    progress=None,
    link=None,
    plots=True,
    reuse_flash=False,
    board=None,
    target="unix64",
):
    """Run one scenario end to end; write report files if out_dir; return Result.
    The board flown: `link` (open, the caller closes it), else one `board()`
    opens (default: open_board(port, reuse_flash, target): a virtual board of
    `target`, board/targets.py, when there is no `port`), closed here."""
    wall0 = time.perf_counter()
    from host_tools.board.board_config import kept_for_test

    opened = None
    if link is None:
        opened = link = (
            board() if board else open_board(port, reuse_flash=reuse_flash, target=target)
        )
    try:
        # the caller's board (--port) gets its own config back afterwards
        with kept_for_test(opened if port and not board else None, out_dir) as kept:
            result = DropTest(scenario, link, seed=seed, realtime=realtime, progress=progress).run()
        result.board_config = kept.note
        result.target = getattr(link, "target", None) or ""
        result.interpreter = getattr(link, "interpreter", None) or ""
    finally:
        if opened is not None:
            opened.close()
    result.total_wall_s = time.perf_counter() - wall0
    if out_dir is not None:
        write_report(result, out_dir, plots=plots)
    return result


def write_report(result, out_dir, plots=True):
    """report.json, report.md, trajectory.csv and PNG plots in out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = result.report()
    (out / "report.json").write_text(json.dumps(doc, indent=2) + "\n")
    _write_trajectory_csv(result, out / "trajectory.csv")
    images = []
    if plots:
        from host_tools.droptest import plots as droptest_plots

        images = droptest_plots.flight_plots(result, out)
        if doc.get("receivers"):
            from host_tools.droptest import receivers

            landing_t_s = doc["landing"]["t_s"] if doc.get("landing") else None
            images += receivers.plot(doc["receivers"], landing_t_s, out)
    (out / "report.md").write_text(markdown_report(doc, images))
    return out


def _write_trajectory_csv(result, path, every_s=0.1):
    tr = result.trace
    keys = _Trace.CSV_KEYS
    step = max(1, round(every_s * result.scenario.sample_hz))
    with open(path, "w") as f:
        f.write(",".join(keys) + "\n")
        n = len(tr["t_s"])
        f.writelines(",".join(f"{tr[k][i]:.3f}" for k in keys) + "\n" for i in range(0, n, step))


def markdown_report(doc, images=()):
    lines = [
        "# Drop test: {} — {}".format(doc["scenario"], "PASSED" if doc["passed"] else "FAILED"),
        "",
        doc.get("description") or "",
        "",
        (
            f"- simulated: {doc['sim_s']:.1f} s of flight in {doc['wall_s']:.1f} s wall, "
            f"{doc['samples']} samples at {doc['sample_hz']:g} Hz (seed {doc['seed']})"
        ),
    ]
    if doc.get("aborted"):
        lines.append("- **aborted**: {}".format(doc["aborted"]))
    if doc.get("outcome"):
        lines.append("- outcome: {}".format(doc["outcome"]))
    lg = doc.get("landing")
    if lg:
        lines.append(
            "- touchdown at t={:.1f} s, {:.2f} m/s (vertical {:.2f}), {:.6f}, {:.6f}".format(
                lg["t_s"], lg["speed_m_s"], lg["vertical_speed_m_s"], lg["lat"], lg["lon"]
            )
        )
    else:
        lines.append("- no touchdown")
    lines.append(
        "- max deceleration {:.1f} g, max Mach {:.2f}".format(doc["max_accel_g"], doc["max_mach"])
    )
    lines += ["", "## Expectations", "", "| check | result | detail |", "|---|---|---|"]
    for e in doc["expectations"]:
        lines.append(
            "| {} | {} | {} |".format(e["name"], "pass" if e["passed"] else "**FAIL**", e["detail"])
        )
    if doc.get("invariants"):
        from host_tools.droptest.invariants import status_text

        lines += ["", "## Invariants", "", "| invariant | result | detail |", "|---|---|---|"]
        for e in doc["invariants"]:
            status = status_text(e)
            lines.append(
                "| {} | {} | {} |".format(
                    e["name"], "**VIOLATED**" if status == "VIOLATED" else status, e["detail"]
                )
            )
    if doc.get("receivers"):
        from host_tools.droptest import receivers

        lines += receivers.markdown(doc["receivers"])
    lines += ["", "## Events", "", "| t (s) | kind | what |", "|---:|---|---|"]
    # the table keeps what a reader follows (phases, fires, faults, errors,
    # the first beacons); periodic status events are counted under it
    beacons = 0
    left_out = {}
    for e in doc["events"]:
        kind = e["kind"]
        if kind == "pyro" and e["fields"].get("on") == "0":
            continue
        if kind == "other" or (kind == "beacon" and beacons >= MD_BEACONS_LISTED):
            left_out[e["name"]] = left_out.get(e["name"], 0) + 1
            continue
        what = " ".join("{}={}".format(*kv) for kv in e["fields"].items())
        if kind == "fire":
            what = "{} at {} m AGL, {} m/s — {}".format(
                e.get("channel"), e.get("altitude_m"), e.get("speed_m_s"), what
            )
        elif kind == "beacon":
            beacons += 1
            what = "`{}`".format(e.get("packet") or "")
        lines.append("| {:.2f} | {} | {} |".format(e["t_s"], kind, what.replace("|", "\\|")))
    if left_out:
        lines += [
            "",
            "Not listed (see report.json): "
            + ", ".join(f"{n} {name}" for name, n in sorted(left_out.items())),
        ]
    if images:
        lines += ["", "## Plots", ""]
        for img in images:
            lines.append(f"![{Path(img).stem}]({Path(img).name})")
    link = doc.get("link") or {}
    if link:
        lines += ["", "## Link", ""]
        lines += ["- {}: {}".format(*kv) for kv in link.items()]
    return "\n".join(lines) + "\n"


def default_workers():
    return max(1, (os.cpu_count() or 2))
