"""An in-process stand-in for the firmware, for testing the drop-test runner
and its campaigns without MicroPython: it speaks the same link as a Board
(frames in, protocol lines out) and decides with a handful of plain rules.
Tests hand it to the runner as the link (`DropTest(sc, FakeBoard())`,
`run_scenario(..., link=FakeBoard())`) or as the board factory of a campaign
(`run_campaign(..., fleet=Fleet(board=FakeBoard))`).

It is deliberately simple and is not the flight software: it arms when the
accelerometer reads +1 g on the capsule's z axis, treats a deceleration above
`entry_g` (re-entry) or a falling altitude (drop) as the start of the descent,
fires the drogue below `drogue_deploy_m` once the deceleration has passed its
peak, the main below `main_deploy_m`, calls the landing when the altitude
stays within 5 m for `landed_s`, and then beacons the last GNSS position as a
LoRa APRS packet every `beacon_s`. A `#R` power cut forgets everything except
what a board would persist (phase, armed, which channels fired).
"""

import binascii
import time
from typing import ClassVar

from host_tools.paths import firmware_module
from host_tools.protocol.frames import RESET_FRAME
from host_tools.protocol.lines import checksum
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim.sensors import parse_axes


def _line(kind, t_ms, name, fields=()):
    parts = [kind, str(t_ms), name]
    for k, v in fields:
        v = str(v)
        parts.append("{}={}".format(k, f'"{v}"' if (" " in v or not v) else v))
    body = " ".join(parts)
    return (f"{body}*{checksum(body):02X}").encode()


class FakeBoard:
    # the firmware's defaults (config_schema), plus the fake's beacon period
    DEFAULTS: ClassVar[dict] = {
        **{row[0]: row[2] for row in firmware_module("config_schema").SCHEMA},
        "beacon_s": 10.0,
    }

    def __init__(self, **config):
        self.config = dict(self.DEFAULTS)
        self.config.update(config)
        self._in = bytearray()
        self._out = []
        self.persist = {"phase": "SAFE", "fired": []}
        self.bad_frames = 0
        self.frames = 0
        self.resets = 0
        self._boot()

    # -- the link interface -----------------------------------------------------
    def write(self, data):
        self._in += data
        self._process()

    def read_raw_line(self, deadline):
        if self._out:
            return self._out.pop(0)
        if deadline is not None:
            time.sleep(0)  # nothing will come: a real link would wait for the deadline
        return None

    def power_cut(self):
        self.write(RESET_FRAME)

    def close(self):
        pass

    # -- board life -----------------------------------------------------------------
    def _boot(self):
        self.t_ms = 0
        self.last = None  # (press_dpa, ax, ay, az, vbatt, flags)
        self.alt_hist = []
        self.entry_ms = None
        self.peak_g = 0.0
        self.lat = None
        self.lon = None
        self.next_beacon_ms = None
        self.landed_ref = None
        self.max_alt = None
        self._emit("EVT", "boot", [("fw", "fake"), ("phase", self.persist["phase"])])
        self._emit("EVT", "ready", [("phase", self.persist["phase"])])

    def _emit(self, kind, name, fields=()):
        self._out.append(_line(kind, self.t_ms, name, fields))

    @property
    def phase(self):
        return self.persist["phase"]

    def _set_phase(self, to):
        frm = self.persist["phase"]
        if to != frm:
            self.persist["phase"] = to
            self._emit("EVT", "phase", [("from", frm), ("to", to)])

    def _fire(self, channel):
        if channel in self.persist["fired"]:
            return
        self.persist["fired"].append(channel)
        self._emit("EVT", "fire", [("channel", channel)])

    # -- input ---------------------------------------------------------------------------
    def _process(self):
        buf = self._in
        while buf:
            if buf[0] == ord("#"):
                if len(buf) < 2:
                    return
                kind = buf[1]
                if kind == ord("S"):
                    if len(buf) < 45:
                        return
                    self._frame_sample(bytes(buf[2:45]))
                    del buf[:45]
                elif kind == ord("B"):
                    if len(buf) < 3:
                        return
                    size = 3 + 25 * (buf[2] - 48) + 3
                    if len(buf) < size:
                        return
                    self._frame_batch(bytes(buf[2:size]))
                    del buf[:size]
                elif kind == ord("Y"):
                    if len(buf) < 11:
                        return
                    body = bytes(buf[2:11])
                    del buf[:11]
                    try:
                        seq = int(body[:8], 16)
                    except ValueError:
                        self.bad_frames += 1
                        continue
                    self._emit("OK", "sync", [("seq", seq)])
                elif kind in (ord("G"), ord("R")):
                    nl = buf.find(b"\n")
                    if nl < 0:
                        return
                    body = bytes(buf[2:nl])
                    del buf[: nl + 1]
                    if kind == ord("R"):
                        self.resets += 1
                        self._boot()
                    else:
                        self._gnss(body)
                else:
                    self.bad_frames += 1
                    del buf[:2]
                continue
            nl = buf.find(b"\n")
            if nl < 0:
                return
            text = bytes(buf[:nl]).decode("latin-1").strip()
            del buf[: nl + 1]
            if text:
                self._command(text)

    # a `#B` record's fields: (first character, characters), 6 bits each
    _BATCH_FIELDS = ((0, 5), (5, 4), (9, 4), (13, 4), (17, 4), (21, 3), (24, 1))

    def _frame_batch(self, body):
        """`#B`: count character, 25 characters a sample, XOR in hex, newline."""
        n = body[0] - 48
        c = 0
        for b in body[: 1 + 25 * n]:
            c ^= b
        try:
            if not 1 <= n <= 8 or int(body[-3:-1], 16) != c or body[-1] != 10:
                raise ValueError
        except ValueError:
            self.bad_frames += 1
            return
        for r in range(n):
            rec = body[1 + 25 * r : 26 + 25 * r]
            t, p, ax, ay, az, v, f = (self._b64(rec[a : a + k]) for a, k in self._BATCH_FIELDS)
            self._sample(t, p, ax, ay, az, v, f)

    @staticmethod
    def _b64(chars):
        v = 0
        for ch in chars:
            v = (v << 6) | (ch - 48)
        return v

    def _frame_sample(self, body):
        c = 0
        for b in body[:40]:
            c ^= b
        try:
            if int(body[40:42], 16) != c or body[42] != 10:
                raise ValueError
            t = int(body[0:8], 16)
            p = int(body[8:14], 16)
            ax, ay, az = (int(body[i : i + 6], 16) for i in (14, 20, 26))
            v = int(body[32:36], 16)
            f = int(body[36:38], 16)
        except ValueError:
            self.bad_frames += 1
            return

        self._sample(t, p, ax, ay, az, v, f)

    def _sample(self, t, p, ax, ay, az, v, f):
        def s24(x):
            return x - 0x1000000 if x & 0x800000 else x

        self.frames += 1
        self.t_ms = t & ((1 << 30) - 1)
        self.last = (p, s24(ax), s24(ay), s24(az), v, f)
        self._step()

    def _gnss(self, body):
        text = body.decode("latin-1", "replace").strip()
        parts = text.split(",")
        if len(parts) > 6 and parts[0].endswith("GGA") and parts[6] not in ("", "0"):
            try:
                lat = int(parts[2][:2]) + float(parts[2][2:]) / 60.0
                lon = int(parts[4][:3]) + float(parts[4][3:]) / 60.0
            except ValueError:
                return
            self.lat = -lat if parts[3] == "S" else lat
            self.lon = -lon if parts[5] == "W" else lon

    def _command(self, text):
        if "*" in text:
            text = text[: text.rfind("*")]
        words = text.split()
        if not words:
            return
        name = words[0].lower()
        if name == "config" and len(words) >= 4 and words[1] == "set":
            key = words[2]
            if key not in self.DEFAULTS and not key.startswith("beacon_"):
                self._emit("ERR", "config", [("msg", "unknown key " + key)])
                return
            value = " ".join(words[3:])
            default = self.DEFAULTS.get(key, "")
            try:
                self.config[key] = type(default)(value) if not isinstance(default, str) else value
            except ValueError:
                self._emit("ERR", "config", [("msg", "bad value for " + key)])
                return
            self._emit("OK", "config", [(key, value)])
        elif name == "arm":
            self._arm()
        elif name == "status":
            self._emit(
                "OK",
                "status",
                [("phase", self.phase), ("bad_frames", self.bad_frames), ("fw", "fake")],
            )
        elif name == "disarm":
            self._set_phase("SAFE")
            self._emit("OK", "disarm", [("phase", "SAFE")])
        else:
            self._emit("ERR", name[:20] or "line", [("msg", "unknown command")])

    def _capsule_accel(self):
        """Capsule-frame (x, y, z) mg from the last sample, per accel_axes."""
        _, ax, ay, az, _, _ = self.last
        board = (ax, ay, az)
        axes = parse_axes(self.config["accel_axes"])
        return tuple(sign * board[j] for sign, j in axes)

    def _arm(self):
        if self.last is None or not self.last[5] & 2:
            self._emit("ERR", "arm", [("msg", "no accelerometer")])
            return
        z = self._capsule_accel()[2]
        if not 700 <= z <= 1300:
            self._emit("ERR", "arm", [("msg", f"gravity reads {z} mg on z: check mounting")])
            return
        self._set_phase("ARMED")
        self._emit("OK", "arm", [("phase", "ARMED")])

    # -- the rules ------------------------------------------------------------------------
    def _step(self):
        p, ax, ay, az, _v, flags = self.last
        cfg = self.config
        alt = None
        if flags & 1 and p > 0:
            alt = atm.altitude_from_pressure_m(p / 10.0) - float(cfg["ground_elevation_m"])
        accel_g = (ax * ax + ay * ay + az * az) ** 0.5 / 1000.0 if flags & 2 else 0.0
        phase = self.phase
        if phase == "ARMED":
            if alt is not None:
                self.max_alt = alt if self.max_alt is None else max(self.max_alt, alt)
            if cfg["start_mode"] == "drop":
                if alt is not None and self.max_alt is not None and alt < self.max_alt - 30:
                    self.entry_ms = self.t_ms
                    self._set_phase("DESCENT")
            elif accel_g > float(cfg["entry_g"]):
                self.entry_ms = self.t_ms
                self._set_phase("DESCENT")
        elif phase == "DESCENT":
            self.peak_g = max(self.peak_g, accel_g)
            # the entry pulse is over: the barometer means something again
            past_peak = self.peak_g > 3.0 and accel_g < 1.5 or cfg["start_mode"] == "drop"
            if alt is not None and alt < float(cfg["drogue_deploy_m"]) and past_peak:
                self._fire("drogue")
                self._set_phase("DROGUE")
            elif alt is not None and alt < float(cfg["main_deploy_m"]):
                self._fire("main")
                self._set_phase("MAIN")
        elif phase == "DROGUE":
            if alt is not None and alt < float(cfg["main_deploy_m"]):
                self._fire("main")
                self._set_phase("MAIN")
        elif phase == "MAIN" and alt is not None:
            if self.landed_ref is None or abs(alt - self.landed_ref[1]) > 5.0:
                self.landed_ref = (self.t_ms, alt)
            elif self.t_ms - self.landed_ref[0] >= float(cfg["landed_s"]) * 1000:
                self._set_phase("LANDED")
                self.next_beacon_ms = self.t_ms
        if (
            self.phase == "LANDED"
            and self.next_beacon_ms is not None
            and self.t_ms >= self.next_beacon_ms
        ):
            self.next_beacon_ms = self.t_ms + int(float(cfg["beacon_s"]) * 1000)
            self._beacon()

    def _beacon(self):
        if self.lat is None:
            text = "{}>APLRT1:>no fix".format(self.config["callsign"])
        else:
            lat, lon = abs(self.lat), abs(self.lon)
            ns = "N" if self.lat >= 0 else "S"
            ew = "E" if self.lon >= 0 else "W"
            text = (
                f"{self.config['callsign']}>APLRT1:!{int(lat):02d}{(lat - int(lat)) * 60:05.2f}{ns}"
                f"/{int(lon):03d}{(lon - int(lon)) * 60:05.2f}{ew}>capsule"
            )
        packet = b"<\xff\x01" + text.encode()
        self._emit("EVT", "tx", [("radio", "lora"), ("hex", binascii.hexlify(packet).decode())])


def fly_cli_on_fake_boards(monkeypatch):
    """Every drop test the `capsule` CLI starts in this process flies on a
    FakeBoard (the CLI itself only knows real and virtual boards)."""
    from host_tools.droptest import runner

    monkeypatch.setattr(runner, "open_board", lambda *args, **kwargs: FakeBoard())
