"""The recovery team's ground station: the same firmware on a receiver board.

A board file with `"role": "ground"` (boards/tbeam_ground.py,
boards/pico_ground.py, boards/sim_ground.py) runs this loop instead of the
flight computer (app.main picks it). It listens continuously on the
beacon's channel (radio_plan.py's plan named by the board's radio entry,
at the flight's `lora_freq_khz`, as the beacon sets its own radio), and
prints every packet as one checksummed `RX` line (rx_line.py) with its
RSSI and SNR and, when the station's GNSS has a fix, the station's own
position, for `capsule track --port` to read. A packet whose CRC failed
is counted and printed as `crc=bad` without its bytes: never a position.

Radios, by board mode:
- "hw": drivers/sx127x_rx.Receiver over the SX127x hw_real builds;
- "sim" (the virtual board): SimReceiver, fed by `#P` frames from the host
  that carry what the chip would hold after a packet (its bytes and the
  RegPktRssiValue/RegPktSnrValue/IRQ bits): the line is built by the same
  code and the RSSI/SNR by the same formulas (lora_signal.py) as on a board.

    #P TTTTTTTT RR SS FF LL <2*LL hex digits> CC \\n   (no spaces)
        T  tick, ms (the virtual clock is set to it), below 2**30
        RR RegPktRssiValue, SS RegPktSnrValue (two's complement)
        FF 1 = PayloadCrcError, 2 = sent without a CRC
        LL packet length in bytes, 1..255
        CC XOR of every character between 'P' and CC

Commands: status (packets, CRC errors, the station's fix), gnss, version,
help, repl. Allocation: none per packet (frame decoding, receive, line).
"""

import gc
import sys
from micropython import const

import clock as clock_mod
import config
import console as console_mod
import gnss
import lora_signal
import radio_plan
import rx_line
import simlink
import wire as wire_mod

VERSION = "0.1.0"
CONFIG_FILE = "config.json"
PACKET_MAX = const(255)
RX_HEADER_LEN = const(16)  # T(8) RR SS FF LL
HEX_CHUNK = const(32)  # payload digits taken per console.take (< 64)
FLAG_CRC_ERROR = const(1)
FLAG_NO_CRC = const(2)
RX_NONE = const(0)
RX_CRC_BAD = const(-1)
RX_NO_CRC = const(-2)
GNSS_EPOCH_GAP_MS = const(100)


class SimReceiver:
    """The virtual station's radio: `deliver` (from a #P frame) leaves one
    packet, `receive` hands it over once, as drivers/sx127x_rx.Receiver does."""

    def __init__(self, freq_hz):
        self.freq_hz = freq_hz
        self.packet = bytearray(PACKET_MAX)
        self.pending = False
        self.flags = 0
        self.rssi_reg = 0
        self.snr_reg = 0
        self.rssi_q4 = 0
        self.snr_q4 = 0
        self.length = 0
        self.received = 0
        self.crc_bad = 0
        self.no_crc = 0
        self.listening = True

    def start(self):
        return True

    def receive(self, buf):
        if not self.pending:
            return RX_NONE
        self.pending = False
        n = self.length
        console_mod.copy_bytes(buf, 0, self.packet, 0, n)
        self.snr_q4 = lora_signal.snr_q4(self.snr_reg)
        self.rssi_q4 = lora_signal.rssi_q4(self.rssi_reg, self.snr_reg, self.freq_hz)
        if self.flags & FLAG_CRC_ERROR:
            self.crc_bad += 1
            return RX_CRC_BAD
        if self.flags & FLAG_NO_CRC:
            self.no_crc += 1
            return RX_NO_CRC
        self.received += 1
        return n


def _hw_receiver(hw, board, cfg, errors):
    """The SX127x hw_real built, tuned to the plan and the flight's channel, listening."""
    if hw.radio is None:
        errors.append("ground: no radio")
        return None
    import sx127x_rx

    r = hw.radio
    plan = radio_plan.PLANS.get(board.get("radio", {}).get("plan", radio_plan.DEFAULT_PLAN))
    if plan is None:
        errors.append("ground: radio plan unknown (have %s)" % ", ".join(radio_plan.PLANS))
        plan = radio_plan.PLANS[radio_plan.DEFAULT_PLAN]
    r.crc = plan["crc"]
    ok = r.set_modem(plan["sf"], plan["bw_hz"], plan["cr"])
    r.set_sync_word(plan["sync_word"])
    r.set_preamble(plan["preamble"])
    ok = r.set_frequency_khz(cfg.lora_freq_khz) and ok
    if not ok:
        errors.append("ground: radio settings refused")
    rx = sx127x_rx.Receiver(r)
    if not rx.start():
        errors.append("ground: radio not listening")
    return rx


class GroundStation:
    def __init__(self, board_name, board, out=None, inp=None):
        self.board_name = board_name
        self.board = board
        self.out = out or sys.stdout
        self.inp = inp or sys.stdin.buffer
        self.sim = board.get("mode") == "sim"
        self.clock = clock_mod.VirtualClock() if self.sim else clock_mod.TicksClock()
        self.wire = wire_mod.Wire(self.out, self.clock)
        self.cfg, cfg_errors = config.load(CONFIG_FILE)
        self.errors = list(cfg_errors)
        if self.sim:
            import hw_sim

            self.hw = hw_sim.SimHardware(board, self.clock, self.wire)
            self.radio = SimReceiver(self.cfg.lora_freq_khz * 1000)
        else:
            import hw_real

            self.hw = hw_real.build(board, self.clock)
            self.errors.extend(self.hw.errors)
            self.radio = _hw_receiver(self.hw, board, self.cfg, self.errors)
        self.gnss = gnss.GnssReader(self.hw.gnss_uart, self.clock)
        # a receiver sends each cycle's sentences in one burst: a quiet line ends it
        self.gnss.epoch_gap_ms = GNSS_EPOCH_GAP_MS
        self._gnss_feed = self.gnss.feed
        self.line = rx_line.RxLine()
        self.packet = bytearray(PACKET_MAX + 1)
        self.frame_x = 0
        self.faults = 0
        bulk = False
        if self.sim and inp is None:
            bulk = self.hw.console_bulk_reads()
        self.console = console_mod.Console(
            self.inp,
            self.out,
            self._commands(),
            {
                ord("P"): self._frame_packet,
                ord("G"): self._frame_gnss,
                ord("Y"): simlink.frame_sync,
            },
            bulk,
        )
        self.console.wire = self.wire
        if self.sim:
            self.console.frame_timeout_ms = console_mod.SIM_FRAME_TIMEOUT_MS

    # -- packets ----------------------------------------------------------------
    def poll_radio(self):
        """Print the packet the radio has, if any. No allocation."""
        r = self.radio
        if r is None:
            return
        n = r.receive(self.packet)
        if n == RX_NONE:
            return
        if n > 0:
            crc = rx_line.CRC_OK
        else:
            crc = rx_line.CRC_BAD if n == RX_CRC_BAD else rx_line.CRC_NONE
            n = r.length
        m = self.line.build(
            self.clock.now_ms(), r.rssi_q4, r.snr_q4, crc, self.packet, n, self.gnss.last_good
        )
        self.out.write(self.line.buf, m)

    # -- frames (virtual station) ------------------------------------------------
    def _hex_x(self, buf, at, n):
        """Value of n hex digits at buf[at] (-1 if bad), folding them into frame_x."""
        x = self.frame_x
        for i in range(at, at + n):
            x ^= buf[i]
        self.frame_x = x
        return simlink.hex_field(buf, at, n)

    def _frame_packet(self, con):
        at = con.take(RX_HEADER_LEN, con.frame_timeout_ms)
        if at < 0:
            con.bad_frames += 1
            return
        rx = con.rx
        self.frame_x = 0
        t = self._hex_x(rx, at, 8)
        rssi = self._hex_x(rx, at + 8, 2)
        snr = self._hex_x(rx, at + 10, 2)
        flags = self._hex_x(rx, at + 12, 2)
        n = self._hex_x(rx, at + 14, 2)
        if t < 0 or rssi < 0 or snr < 0 or flags < 0 or n < 1:
            con.bad_frames += 1  # the rest of the line is junk: a bad command line
            return
        bad = False
        r = self.radio
        k = 0
        while k < n:
            digits = 2 * (n - k)
            if digits > HEX_CHUNK:
                digits = HEX_CHUNK
            at = con.take(digits, con.frame_timeout_ms)
            if at < 0:
                con.bad_frames += 1
                return
            for j in range(0, digits, 2):
                v = self._hex_x(rx, at + j, 2)
                if v < 0:
                    bad = True
                r.packet[k] = v & 0xFF
                k += 1
        at = con.take(3, con.frame_timeout_ms)
        if at < 0 or bad or rx[at + 2] != 10 or simlink.hex_field(rx, at, 2) != self.frame_x:
            con.bad_frames += 1
            return
        self.clock.set_ms(t)
        r.rssi_reg = rssi
        r.snr_reg = snr
        r.flags = flags
        r.length = n
        r.pending = True
        self.gnss.poll()  # a GNSS cycle that went quiet by this packet's time is complete
        self.poll_radio()

    def _frame_gnss(self, con):
        simlink.take_gnss(con, self._gnss_feed)

    # -- commands ----------------------------------------------------------------
    def _commands(self):
        return {
            "status": (self.cmd_status, True),
            "version": (self.cmd_version, True),
            "gnss": (self.cmd_gnss, True),
            "repl": (self.cmd_repl, False),
        }

    def cmd_version(self, con, args):
        con.reply_ok("version", [("fw", VERSION), ("board", self.board_name), ("role", "ground")])

    def cmd_status(self, con, args):
        r = self.radio
        fields = [("fw", VERSION), ("board", self.board_name), ("role", "ground")]
        if r is not None:
            fields += [
                ("listening", int(r.listening)),
                ("received", r.received),
                ("crc_bad", r.crc_bad),
                ("no_crc", r.no_crc),
            ]
        fields.append(("faults", self.faults))
        g = self.gnss.last_good
        fields.append(("fix", 1 if g.has_position else 0))
        con.reply_status(fields, self.errors)

    def cmd_gnss(self, con, args):
        con.reply_ok("gnss", self.gnss.status_fields(self.clock))

    def cmd_repl(self, con, args):
        con.stop_requested = True
        con.reply_ok("repl", [("msg", "ground station stopped; the MicroPython REPL follows")])

    def fault(self, exc):
        """Count and report an exception; listening goes on (rate-limited report)."""
        self.faults += 1
        if self.faults < 20 or self.faults % 1000 == 0:
            try:
                self.wire.event("fault", [("n", self.faults), ("error", repr(exc))])
            except Exception:
                pass

    # -- loop ----------------------------------------------------------------------
    def run(self):
        fields = [("fw", VERSION), ("board", self.board_name), ("role", "ground")]
        for e in self.errors:
            fields.append(("error", e))
        self.wire.event("boot", fields)
        self.wire.event("ready", [("role", "ground")])
        gc.collect()
        con = self.console
        try:
            while not con.stop_requested:
                try:
                    if self.sim:
                        con.poll(1000)
                        continue
                    self.poll_radio()
                    self.gnss.poll()
                    con.poll(0, 64)
                except Exception as exc:
                    self.fault(exc)
        finally:
            if con.bulk:
                self.hw.console_restore()


def main(board_name, board):
    GroundStation(board_name, board).run()
