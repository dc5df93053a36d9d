"""Boot and run the recovery board: one object wires the board's hardware, the
configuration, the flight computer, GNSS, flight log and beacon to the console,
and runs the loop.

The loop never dies quietly: an exception inside an iteration is reported as
a `fault` event, counted, and the loop goes on (a capsule sitting at a REPL
prompt fires nothing and beacons nothing). On a real board the hardware
watchdog resets a loop that stops turning; persisted state brings the
sequencer back in the right phase.

Board modes:
- "sim": the virtual board. Time is virtual and each `#S` frame from the host
  is one loop iteration at the frame's time; GNSS bytes arrive in `#G` frames.
- "hw": real parts, paced by the board's millisecond clock at `sample_hz`.
"""

import gc
import json
import sys

import clock as clock_mod
import config
import console as console_mod
import flight
import flight_phase
import gnss
import persist
import sample as sample_mod
import simlink
import wire as wire_mod

VERSION = "0.1.0"
BOARD_FILE = "board.json"
CONFIG_FILE = "config.json"
LOG_DIR = "log"


def read_board_name():
    try:
        with open(BOARD_FILE) as f:
            return json.load(f)["board"]
    except (OSError, ValueError, KeyError):
        return None


def load_board(name):
    module = __import__("board_" + name)
    return module.BOARD


class EventSink:
    """Every event goes to the serial link and, coded, into the flight log."""

    def __init__(self, wire, log):
        self.wire = wire
        self.log = log

    def event(self, name, fields):
        self.wire.event(name, fields)
        log = self.log
        if log is None:
            return
        try:
            import flightlog

            if name == "phase":
                d = dict(fields)
                to = PHASE_CODE.get(d.get("to"), -1)
                log.event(flightlog.EV_PHASE, to, PHASE_CODE.get(d.get("from"), -1))
                if to >= PHASE_CODE["LANDED"]:
                    log.flush()  # the capsule is down: what it knows is on flash now
            elif name == "fire":
                d = dict(fields)
                log.event(flightlog.EV_FIRE, CHANNEL_CODE.get(d.get("channel"), 9), 0)
                log.flush()
            elif name == "fault":
                log.event(flightlog.EV_FAULT, 0, 0)
        except Exception:
            pass  # the log never stops an event from reaching the link


PHASE_CODE = {name: i for i, name in enumerate(flight.PHASE_NAMES)}
CHANNEL_CODE = {"drogue": 0, "main": 1}


class App:
    def __init__(self, out=None, inp=None):
        self.out = out or sys.stdout
        self.inp = inp or sys.stdin.buffer
        self.errors = []
        self.board_name = read_board_name() or "sim"
        try:
            self.board = load_board(self.board_name)
        except ImportError:
            self.errors.append("no board file for " + self.board_name)
            self.board = {"name": self.board_name, "mode": "sim", "pyro": {}}
        self.sim = self.board.get("mode") == "sim"
        self.clock = clock_mod.VirtualClock() if self.sim else clock_mod.TicksClock()
        self.wire = wire_mod.Wire(self.out, self.clock)
        self._intern_names()  # first, before the heap fragments
        self.hw = self._build_hw()
        self.errors.extend(getattr(self.hw, "errors", ()))
        self.cfg, cfg_errors = config.load(CONFIG_FILE)
        self.config_errors = cfg_errors
        if self.sim:
            # frames decode straight into the loop's sample: no copy a sample
            self.sample = self.hw.latest
        else:
            self.sample = sample_mod.Sample()
        self.log = self._optional_log()
        self.events = EventSink(self.wire, self.log)
        self.fc = flight.build(
            self.cfg, self.clock, self.hw.pyro_outputs, self.events, persist.STATE_FILE
        )
        self.gnss = gnss.GnssReader(self.hw.gnss_uart, self.clock)
        self.fc.gnss_fix = self.gnss.fix  # the altitude rules' fallback without a baro
        if self.fc.armed or self.fc.phase != flight_phase.SAFE:
            self.hw.start_watchdog()  # resumed mid-flight: as from arming
        self.ubx = self._optional_ubx()
        self.gnss_profile_phase = -1
        self.beacon = self._optional_beacon()
        # the settings must fit the beacon's duty cycle on this radio; checked
        # last, with the beacon's modules loaded: at load, the check's garbage
        # left the emulated Cortex-M3's heap without 4 KB in one piece for the
        # flight log
        config._call("reject_beacon_duty", self.cfg, self.hw.radio)
        if self.beacon is not None:
            # boot-only sequencer code, loaded for the call as flight.py does
            import flight_cmds

            flight_cmds.keep_position(self.fc, self.beacon)
            sys.modules.pop("flight_cmds", None)
        self.loop_faults = 0
        self.iterations = 0
        self.sim_sample_ok = False
        self._gnss_feed = self.gnss.feed  # bound once: each binding allocates
        bulk = False
        if self.sim and inp is None:
            bulk = self.hw.console_bulk_reads()
        self.console = console_mod.Console(
            self.inp, self.out, self._commands(), self._frames(), bulk
        )
        self.console.wire = self.wire
        if self.sim:
            self.console.frame_timeout_ms = console_mod.SIM_FRAME_TIMEOUT_MS
        # set once now (a flight resumed after a reset: off at once), then
        # only when the answer changes
        self.interrupts_on = None
        self.guard_console()  # a flight resumed after a reset: off at once

    def _intern_names(self):
        """Load once, and drop, the modules that commands load per call
        (arm, disarm, selftest, version): their names go into MicroPython's
        string pool now, while the heap is fresh. Later, a new name can need
        a larger block of the pool than a fragmented heap still has (seen on
        the virtual board as a MemoryError on the first `selftest` or `arm`,
        and on the emulated Cortex-M3's 192 KB heap at boot when this ran
        after the hardware, log and beacon were built)."""
        for name in ("app_cmds", "selftest", "flight_arm"):
            if name not in sys.modules:
                __import__(name)
                sys.modules.pop(name, None)

    # -- construction -------------------------------------------------------
    def _build_hw(self):
        if self.sim:
            import hw_sim

            return hw_sim.SimHardware(self.board, self.clock, self.wire)
        import hw_real

        return hw_real.build(self.board, self.clock)

    def _optional_ubx(self):
        """u-blox receivers are configured per phase (airborne model for the
        descent, sea model and power save after splashdown)."""
        if self.hw.gnss_uart is None or self.board.get("gnss", {}).get("driver") != "ublox":
            return None
        import ubx

        return ubx.UbxConfigurator(self.hw.gnss_uart, self.clock, self.gnss)

    def gnss_profile(self):
        phase = self.fc.phase
        if self.ubx is None or phase == self.gnss_profile_phase:
            return
        # descent at boot and on arming; float on landing and at a boot that
        # resumed the board down (a reset while beaconing)
        if phase == flight_phase.ARMED or self.gnss_profile_phase < 0:
            self.ubx.start("float" if phase >= flight_phase.LANDED else "descent")
        elif phase == flight_phase.LANDED:
            self.ubx.start("float")
        self.gnss_profile_phase = phase

    def show_state(self):
        """LED/buzzer: the state a person on the stand or at the capsule needs."""
        ind = getattr(self.hw, "indicator", None)
        if ind is None:
            return
        import indicator

        if self.iterations & 255 == 0:  # continuity changes slowly: sample it now and then
            bank = self.fc.pyro
            for ch in range(len(bank.names)):
                ind.set_continuity(ch, bank.continuity(ch))
        fault = bool(self.config_errors) or self.loop_faults > 0
        ind.poll(indicator.mode_for(self.fc.phase, fault))

    def _optional_log(self):
        try:
            import flightlog

            log = flightlog.FlightLog(
                LOG_DIR,
                self.clock,
                board_name=self.board_name,
                fw_version=VERSION,
                config_hash=config.config_hash(self.cfg),
            )
            log.open()
            return log
        except Exception as exc:  # a broken log must not stop a flight
            self.errors.append("flight log: " + repr(exc))
            return None

    def _optional_beacon(self):
        try:
            import beacon

            return beacon.Beacon(
                self.cfg, self.clock, self.gnss.fix, self.gnss.last_good, self.hw.radio
            )
        except Exception as exc:
            self.errors.append("beacon: " + repr(exc))
            return None

    # -- one loop iteration ---------------------------------------------------
    def step(self):
        """Read sensors, filter, decide, log, beacon. No allocation in steady state."""
        s = self.sample
        self.hw.read(s)
        s.t_ms = self.clock.now_ms()
        fc = self.fc
        fc.step(s)
        log = self.log
        if log is not None:
            log.record(
                fc.phase,
                s.press_dpa,
                fc.alt_cm,
                fc.speed_cms,
                fc.accel_cms2,
                s.ax_mg,
                s.ay_mg,
                s.az_mg,
                s.vbatt_mv,
                fc.pyro_bits,
                self.gnss.fix,
            )
        beacon = self.beacon
        if beacon is not None:
            beacon.poll(fc.phase, s.vbatt_mv)
        self.iterations += 1

    def safe_step(self):
        try:
            self.step()
        except Exception as exc:
            self.fault("step", exc)
        self.guard_console()

    def fault(self, where, exc):
        """Count and report an exception; the loop goes on (rate-limited report)."""
        self.loop_faults += 1
        if self.loop_faults < 20 or self.loop_faults % 1000 == 0:
            try:
                self.wire.event(
                    "fault", [("where", where), ("n", self.loop_faults), ("error", repr(exc))]
                )
            except Exception:
                pass

    # -- frames (sim / bench) -------------------------------------------------
    def _frames(self):
        return {
            ord("S"): self._frame_sample,
            ord("B"): self._frame_batch,
            ord("G"): self._frame_gnss,
            ord("Y"): simlink.frame_sync,
        }

    def _frame_sample(self, con):
        at = con.take(simlink.SAMPLE_BODY_LEN, con.frame_timeout_ms)
        if at < 0:
            con.bad_frames += 1
            return
        t = simlink.decode_sample(con.rx, self.hw.latest, at)
        if t < 0:
            con.bad_frames += 1
            return
        if self.sim:
            self.clock.set_ms(t)
        self.safe_step()

    def _frame_batch(self, con):
        at = con.take(1, con.frame_timeout_ms)
        n = -1 if at < 0 else con.rx[at] - 48
        if n < 1 or n > simlink.BATCH_MAX:
            con.bad_frames += 1
            return
        at = con.take(n * simlink.BATCH_RECORD_LEN + 3, con.frame_timeout_ms)
        if at < 0 or not simlink.decode_batch(con.rx, at, n):
            con.bad_frames += 1
            return
        latest = self.hw.latest
        batch_sample = simlink.batch_sample
        clock = self.clock if self.sim else None
        for k in range(n):
            t = batch_sample(k, latest)
            if clock is not None:
                clock.set_ms(t)
            self.safe_step()

    def _frame_gnss(self, con):
        simlink.take_gnss(con, self._gnss_feed)

    # -- commands -------------------------------------------------------------
    def _commands(self):
        """name -> (handler, read_only). Read-only commands (or read-only
        first arguments: "" = none) may come without a checksum, as a person
        types them; everything that changes the board's state needs a valid
        `*HH`, so noise that spells `arm` arms nothing (console.py)."""
        return {
            "status": (self.cmd_status, True),
            "version": (self.cmd_version, True),
            "sensors": (self.cmd_sensors, True),
            "selftest": (self.cmd_selftest, True),
            "gnss": (self.cmd_gnss, True),
            "config": (self.cmd_config, ("", "list", "get")),
            "log": (self.cmd_log, ("",)),
            "arm": (self.cmd_arm, False),
            "disarm": (self.cmd_disarm, False),
            "repl": (self.cmd_repl, False),
        }

    def cmd_repl(self, con, args):
        """Stop the firmware and leave the board at its REPL, Ctrl-C working
        again: the one way to the REPL while the firmware runs (flash and log
        pull send it first). Only in SAFE and disarmed."""
        if not self.disarmed_in_safe():
            con.reply_error(
                "repl",
                "armed or in flight (phase %s): the REPL only in SAFE, disarmed"
                % flight.PHASE_NAMES[self.fc.phase],
            )
            return
        if getattr(self.hw, "watchdog", None) is not None:
            # started at an earlier arming; no port can stop it, and the REPL
            # does not feed it: the board would reset in the middle of a flash
            con.reply_error(
                "repl",
                "the watchdog runs since this board was armed: power-cycle it, then "
                "Ctrl-C within the boot window (or hold the safe-mode pin)",
            )
            return
        con.stop_requested = True
        con.reply_ok("repl", [("msg", "firmware stopped; the MicroPython REPL follows")])

    def cmd_version(self, con, args):
        self._loaded_cmd("version", con)

    def cmd_status(self, con, args):
        fields = [("fw", VERSION), ("board", self.board_name)]
        fields.extend(self.fc.status_fields())
        if self.config_errors:  # every rejected entry (`config` above counts them)
            fields.append(("config_errors", "; ".join(self.config_errors)))
        fields.append(("loop_faults", self.loop_faults))
        con.reply_status(fields, self.errors)

    def cmd_arm(self, con, args):
        self._loaded_cmd("arm", con)

    def cmd_disarm(self, con, args):
        reason = self.fc.disarm(force=bool(args) and args[0] == "force")
        self.guard_console()
        if reason:
            con.reply_error("disarm", reason)
        else:
            con.reply_ok("disarm", [("phase", flight.PHASE_NAMES[self.fc.phase])])

    def cmd_config(self, con, args):
        sub = args[0] if args else "list"
        if sub == "list":
            con.reply_ok("config", [(k, v) for k, v in config.as_items(self.cfg)])
        elif sub == "get" and len(args) == 2:
            items = dict(config.as_items(self.cfg))
            if args[1] not in items:
                con.reply_error("config", "unknown key " + args[1])
            else:
                con.reply_ok("config", [(args[1], items[args[1]])])
        elif sub == "set" and len(args) >= 3:
            self._loaded_cmd("config_set", con, args[1], " ".join(args[2:]))
        else:
            con.reply_error("config", "usage: config list | config get KEY | config set KEY VALUE")

    def cmd_selftest(self, con, args):
        self._loaded_cmd("selftest", con)

    def _loaded_cmd(self, name, con, *args):
        """A command whose code lives in app_cmds, imported for the call and
        dropped after it (RAM is the board's scarcest resource)."""
        import app_cmds

        try:
            getattr(app_cmds, name)(self, con, *args)
        finally:
            sys.modules.pop("app_cmds", None)

    def cmd_sensors(self, con, args):
        s = self.sample
        self.hw.read(s)
        con.reply_ok(
            "sensors",
            [
                ("press_pa", s.press_dpa // 10),
                ("baro_ok", int(s.baro_ok)),
                ("ax_mg", s.ax_mg),
                ("ay_mg", s.ay_mg),
                ("az_mg", s.az_mg),
                ("accel_ok", int(s.accel_ok)),
                ("vbatt_mv", s.vbatt_mv),
            ],
        )

    def cmd_gnss(self, con, args):
        con.reply_ok("gnss", self.gnss.status_fields(self.clock))

    def cmd_log(self, con, args):
        if self.log is None:
            con.reply_error("log", "no flight log on this board")
            return
        if args and args[0] == "clear":
            if not self.disarmed_in_safe():
                con.reply_error("log", "disarm first: the log is cleared only in SAFE, disarmed")
                return
            self.log.clear()
            con.reply_ok("log", [("cleared", 1)])
            return
        if args and args[0] == "flush":
            self.log.flush()
        con.reply_ok("log", list(self.log.stats().items()))

    # -- Ctrl-C on the console -------------------------------------------------
    def disarmed_in_safe(self):
        """On the stand: the only state in which the console may stop the
        firmware, change the configuration or clear the log (after landing
        the board is not armed, but its log and config are the flight's)."""
        return not self.fc.armed and self.fc.phase == flight_phase.SAFE

    def guard_console(self):
        """Ctrl-C (0x03) from the console stops the firmware only on the
        virtual board in SAFE and disarmed (development); armed or in flight,
        and on a real board always (boot_gate.py), it is a byte like any
        other: line noise, a terminal program or mpremote's opening Ctrl-C
        must not halt a capsule. Called after every sample and command; does
        nothing (and allocates nothing) unless the answer changes."""
        allow = self.sim and self.disarmed_in_safe()
        if allow != self.interrupts_on:
            self.interrupts_on = allow
            self._set_interrupts(allow)

    def _set_interrupts(self, on):
        if self.sim:
            self.hw.console_interrupts(on)
        else:
            import micropython

            micropython.kbd_intr(3 if on else -1)

    # -- main loop ------------------------------------------------------------
    def announce(self):
        fields = [
            ("fw", VERSION),
            ("board", self.board_name),
            ("phase", flight.PHASE_NAMES[self.fc.phase]),
        ]
        if self.config_errors:
            fields.append(("config_error", "; ".join(self.config_errors)))
        for e in self.errors:
            fields.append(("error", e))
        self.wire.event("boot", fields)
        self.wire.event("ready", [("phase", flight.PHASE_NAMES[self.fc.phase])])

    def run(self):
        try:
            self._run()
        except KeyboardInterrupt:
            # Ctrl-C on the virtual board in SAFE: close the log cleanly
            if self.log is not None:
                self.log.close()
            raise
        finally:
            if self.console.bulk:
                self.hw.console_restore()  # the REPL that follows reads byte by byte
            if not self.interrupts_on:
                self._set_interrupts(True)  # the REPL follows: Ctrl-C works there
        if self.log is not None:
            self.log.close()  # left for the REPL (`repl`): the log is complete

    def _run(self):
        self.announce()
        gc.collect()
        con = self.console
        if self.sim:
            while not con.stop_requested:
                try:
                    con.poll(1000)
                    self.guard_console()
                except Exception as exc:
                    self.fault("console", exc)
            return
        self.next_ms = self.clock.now_ms()
        while not con.stop_requested:
            self.hw_pass()

    def hw_pass(self):
        """One pass of a real board's loop: sample when due, then the slow work."""
        period_ms = 1000 // self.cfg.sample_hz
        now = self.clock.now_ms()
        if self.clock.diff_ms(now, self.next_ms) >= 0:
            self.next_ms = clock_mod.add_ms(self.next_ms, period_ms)
            if self.clock.diff_ms(now, self.next_ms) > 10 * period_ms:
                self.next_ms = clock_mod.add_ms(now, period_ms)  # fell behind: do not burst
            self.safe_step()
            self.hw.feed_watchdog()
        try:
            self.gnss.poll()
            self.show_state()
            if self.ubx is not None:
                self.gnss_profile()
                self.ubx.poll()
            self.console.poll(0, 64)
            self.guard_console()
        except Exception as exc:
            self.fault("io", exc)


def main():
    name = read_board_name() or "sim"
    try:
        board = load_board(name)
    except ImportError:
        board = {}
    if board.get("role") == "ground":  # a receiver for the recovery team (ground.py)
        import ground

        ground.main(name, board)
        return
    app = App()
    app.run()
