"""The same path with two boards: the packets the link model lets through to
one receiver go to a second virtual board running the ground-station role
(boards/sim_ground.py, firmware/ground.py), and what that board prints is
what `capsule track` reads.

After a drop test, each beacon packet the capsule's firmware sent that the
receiver hears (droptest/receivers.py, sim/radio_link.py) is handed to the
station as a `#P` frame holding what its SX127x would hold: the packet's
bytes and the RSSI/SNR registers for the received power (the inverse of
the datasheet formulas). The station's own GNSS position goes first as a
GGA sentence, so its RX lines carry it. The RX lines come back through the
station's serial port exactly as a real station prints them on USB;
`capture_text` is them as a capture file, which the `capsule droptest
--ground-station` command runs through `capsule track`'s tracker (the cli
layer: this one may not import it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from host_tools.droptest import receivers as receivers_mod
from host_tools.protocol import frames
from host_tools.sim import radio_link, sensors

STATION_BOARD = "sim_ground"
TICK0_MS = 1000  # the station's virtual clock at the flight's t = 0
REPLY_TIMEOUT_S = 20.0


class GroundStationError(ValueError):
    """A ground-station run that cannot start (named receiver missing, ...)."""


@dataclass
class GroundRun:
    receiver: str
    heard: int = 0
    lines: list = field(default_factory=list)  # raw RX lines as the station printed them
    status: dict = field(default_factory=dict)

    def capture_text(self) -> str:
        return "".join(line + "\r\n" for line in self.lines)


def capture_lines(result, run: GroundRun | None = None) -> list[str]:
    """What a ground receiver printed during the flight, as a capture `capsule
    track` reads: each line behind its reception time (ISO 8601 UTC, the
    scenario's clock). With a ground-station run, its RX lines (the packets
    the link model let through to that receiver); without one, the capsule's
    own `EVT tx` lines, every packet it sent (a receiver beside it)."""
    from datetime import datetime, timezone

    from host_tools.protocol.lines import checksum

    utc0 = result.scenario.utc_start_s

    def at(t_s):  # the stamp host_tools/track.py reads (split_stamp)
        when = datetime.fromtimestamp(utc0 + t_s, tz=timezone.utc)
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    out = []
    if run is not None:
        for line in run.lines:
            text = line.rstrip("\r\n")
            try:
                t_ms = int(text.split(" ", 2)[1])
            except (IndexError, ValueError):
                continue
            out.append(f"{at((t_ms - TICK0_MS) / 1000)} {text}")
        return out
    for e in result.events:
        if e.kind != "beacon" or not e.fields.get("hex"):
            continue
        body = "EVT {} tx radio={} n={} hex={}".format(
            round(e.t_s * 1000),
            e.fields.get("radio", "lora"),
            e.fields.get("n", len(e.fields["hex"]) // 2),
            e.fields["hex"],
        )
        out.append(f"{at(e.t_s)} {body}*{checksum(body):02X}")
    return out


def pick_receiver(scenario, name=None) -> radio_link.Receiver:
    rxs = receivers_mod.receivers_of(scenario)
    if not rxs:
        raise GroundStationError(
            f"{scenario.name}: --ground-station needs a [[receivers]] entry in the scenario"
        )
    if name is None:
        return rxs[0]
    for r in rxs:
        if r.name == name:
            return r
    raise GroundStationError(
        f"{scenario.name}: no receiver {name!r} (have {', '.join(r.name for r in rxs)})"
    )


def station_frames(result, rx: radio_link.Receiver):
    """(#G + #P frames for the station, packets heard) for one receiver."""
    beacon = receivers_mod.beacon_of(result.scenario)
    utc0 = result.scenario.utc_start_s
    out = [
        frames.gnss_frame(
            sensors.gga_sentence(utc0, rx.lat, rx.lon, alt_m=rx.antenna_height_m, sats=9, hdop=0.9)
        )
    ]
    heard = 0
    for p in receivers_mod.sent_packets(result, beacon):
        path = radio_link.path(beacon, rx, p["lat"], p["lon"], p["agl_m"])
        if not path.heard or not p["hex"]:
            continue
        snr = radio_link.snr_db(path.rx_dbm, beacon.bw_hz)
        rssi_reg, snr_reg = radio_link.packet_registers(path.rx_dbm, snr, beacon.freq_hz)
        t_ms = TICK0_MS + max(0, round(p["t_s"] * 1000))
        out.append(frames.rx_frame(t_ms, rssi_reg, snr_reg, bytes.fromhex(p["hex"])))
        heard += 1
    return out, heard


def relay(result, receiver=None, link=None, log=None) -> GroundRun:
    """Hand the heard packets to a ground-station board (a fresh virtual one,
    flashed with the ground role, unless `link` is given) and collect its lines."""
    rx = pick_receiver(result.scenario, receiver)
    to_send, heard = station_frames(result, rx)
    run = GroundRun(rx.name, heard)
    opened = None
    if link is None:
        opened = link = open_station(log)
    try:
        _wait_ready(link)
        seq = 1
        for frame in to_send:
            link.write(frame)
        link.write(frames.sync_frame(seq))
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            raw = link.read_raw_line(deadline)
            if raw is None:
                raise GroundStationError("the ground station did not answer the sync")
            if raw.startswith(b"RX "):
                run.lines.append(raw.decode("latin-1"))
            elif raw.startswith(b"OK ") and b" sync " in raw:
                break
        link.write(b"status\n")
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while (raw := link.read_raw_line(deadline)) is not None:
            if raw.startswith(b"OK ") and b" status " in raw:
                from host_tools.protocol.lines import parse_line

                line = parse_line(raw)
                run.status = dict(line.fields) if line else {}
                break
    finally:
        if opened is not None:
            opened.close()
    return run


def _wait_ready(link):
    """A sync answered means the station is running and reading frames."""
    for seq in range(1000, 1010):
        link.write(frames.sync_frame(seq))
        deadline = time.monotonic() + 3.0
        while (raw := link.read_raw_line(deadline)) is not None:
            if raw.startswith(b"OK ") and b" sync " in raw:
                return
    raise GroundStationError("the ground station never answered a sync")


def open_station(log=None):
    """A Board on a fresh virtual board flashed with the ground role (closing
    the Board stops the virtual board)."""
    from host_tools.board.board import Board
    from host_tools.board.flash import flash
    from host_tools.board.vboard import VirtualBoard

    board = VirtualBoard().start()
    try:
        flash(board.port, board=STATION_BOARD, log=log or (lambda *a: None))
        return Board(board.port, timeout=REPLY_TIMEOUT_S, on_close=board.stop)
    except BaseException:
        board.stop()
        raise
