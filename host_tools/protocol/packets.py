"""Decode the capsule's beacon packets as a recovery team receives them.

Inputs, as they come out of ground receivers and captures:
- LoRa APRS: TNC2 text behind the `<\\xff\\x01` prefix (aprslib does the APRS);
- KISS frames (FEND ... FEND) carrying AX.25 UI frames, as a TNC or a LoRa
  KISS modem emits them: the AX.25 addresses are decoded here into TNC2;
- UKHAS sentences `$$CALL,...*CRC` (CRC16-CCITT checked);
- Iridium SBD payloads as hex (the 31-byte binary of firmware/sbd.py);
- the virtual board's event lines `EVT <t> tx radio=<r> hex=<packet>*HH`;
- a ground station's lines `RX <t> lora rssi=.. snr=.. crc=ok n=.. [gs=LAT,LON] hex=..*HH`
  (firmware/rx_line.py): RSSI, SNR and the station's position go in
  `Report.extra` (rssi_dbm, snr_db, station); a packet whose CRC failed or
  that came without one is a DecodeError, never a position.

Everything decodes to one `Report`. Bad input raises `DecodeError` (a
ValueError with a message naming what was wrong); lines that are not beacon
traffic at all (other board events, telemetry) decode to None.
"""

from __future__ import annotations

import binascii
import re
import struct
from dataclasses import dataclass, field

import aprslib

from host_tools.paths import firmware_module
from host_tools.protocol.lines import parse_line as parse_wire_line

LORA_APRS_PREFIX = b"<\xff\x01"

# Phase numbers as the firmware numbers them (firmware/beacon_params.py;
# tests/host/test_track.py checks both tables agree).
PHASE_NAMES = firmware_module("flight_phase").PHASE_NAMES  # the firmware's own table

# firmware/sbd.py, version 1
SBD_VERSION = 1
SBD_LENGTH = 31
SBD_BODY = struct.Struct(">BHBBBBBBiiiIHBB")
SBD_FLAG_FRESH = 1
SBD_FLAG_3D = 2
SBD_FLAG_ALT_OK = 4
SBD_FLAG_BATT_LOW = 8
SBD_FLAG_NO_POSITION = 16

FEND = 0xC0
FESC = 0xDB
TFEND = 0xDC
TFESC = 0xDD

_FRESH_S = 5  # beacon_params.FRESH_FIX_MS
_COMMENT = re.compile(
    r"(?P<phase>[A-Z]+)\s+(?:nofix|sat=(?P<sats>\d+)\s+age=(?P<age>\d+)s)"
    r"\s+bat=(?P<batt>\d+)mV\s+#(?P<seq>\d+)"
)
_TNC2_HEAD = re.compile(rb"^[A-Za-z0-9]{1,6}(-\d{1,2})?>")
_HEX = re.compile(rb"^[0-9A-Fa-f]+$")
_BOARD_KINDS = (b"EVT", b"TLM", b"OK", b"ERR", b"RX")  # firmware/wire.py, rx_line.py line kinds


class DecodeError(ValueError):
    """A line or packet that claims to be beacon traffic but cannot be trusted."""


@dataclass
class Report:
    kind: str  # "aprs", "ukhas", "sbd"
    source: str  # callsign, or "SBD"
    lat: float | None = None  # degrees, None when the capsule never had a position
    lon: float | None = None
    alt_m: float | None = None
    fix_age_s: int | None = None
    phase: str | None = None
    batt_mv: int | None = None
    sats: int | None = None
    seq: int | None = None
    fix_time: str | None = None  # UTC hh:mm:ss of the fix, when the format carries it
    fresh: bool | None = None
    via: str = ""  # how it arrived: "text", "kiss", "evt:lora", ...
    raw: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


# -- CRC --------------------------------------------------------------------


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC16-CCITT (poly 0x1021, MSB first); same as binascii.crc_hqx(data, 0xFFFF)."""
    return binascii.crc_hqx(data, crc)


# -- APRS ---------------------------------------------------------------------


def decode_aprs(packet: bytes | str, via: str = "text") -> Report:
    """A TNC2 APRS packet (the LoRa prefix is accepted and stripped)."""
    if isinstance(packet, str):
        packet = packet.encode("latin-1")
    packet = packet.removeprefix(LORA_APRS_PREFIX).rstrip(b"\r\n\x00")
    try:
        p = aprslib.parse(packet)
    except (aprslib.ParseError, aprslib.UnknownFormat) as exc:
        raise DecodeError(f"APRS packet not understood: {exc}") from None
    rep = Report(kind="aprs", source=p["from"], via=via, raw=packet.decode("latin-1"))
    text = p.get("comment") if p.get("format") != "status" else p.get("status")
    m = _COMMENT.search(text or "")
    if m:
        rep.phase = m.group("phase")
        rep.batt_mv = int(m.group("batt"))
        rep.seq = int(m.group("seq"))
        if m.group("sats") is not None:
            rep.sats = int(m.group("sats"))
            rep.fix_age_s = int(m.group("age"))
    if "latitude" in p:
        rep.lat = float(p["latitude"])
        rep.lon = float(p["longitude"])
        rep.alt_m = p.get("altitude")
        rep.extra["symbol"] = p.get("symbol_table", "") + p.get("symbol", "")
        rep.extra["format"] = p.get("format")
        if "gpsfixstatus" in p:
            rep.fresh = bool(p["gpsfixstatus"])
        elif rep.fix_age_s is not None:
            rep.fresh = rep.fix_age_s < _FRESH_S
    return rep


# -- UKHAS ----------------------------------------------------------------------


def decode_ukhas(sentence: bytes | str, via: str = "text") -> Report:
    """`$$CALL,seq,hh:mm:ss,lat,lon,alt,sats,age,phase,batt*CRC`; the CRC must match."""
    if isinstance(sentence, bytes):
        sentence = sentence.decode("latin-1")
    s = sentence.strip().rstrip("\x00")
    start = s.find("$$")
    if start < 0:
        raise DecodeError("UKHAS sentence has no $$")
    s = s[start + 2 :]
    if "*" not in s:
        raise DecodeError("UKHAS sentence has no *CRC")
    body, crc_text = s.rsplit("*", 1)
    try:
        crc = int(crc_text.strip(), 16)
    except ValueError:
        raise DecodeError(f"UKHAS CRC {crc_text!r} is not hex") from None
    want = crc16_ccitt(body.encode("latin-1"))
    if crc != want:
        raise DecodeError(f"UKHAS CRC mismatch: sent {crc:04X}, computed {want:04X}")
    f = body.split(",")
    if len(f) < 6:
        raise DecodeError(f"UKHAS sentence has {len(f)} fields, expected at least 6")
    try:
        rep = Report(
            kind="ukhas",
            source=f[0],
            seq=int(f[1]),
            fix_time=f[2],
            lat=float(f[3]),
            lon=float(f[4]),
            alt_m=float(f[5]),
            via=via,
            raw="$$" + s,
        )
        if len(f) >= 10:
            rep.sats = int(f[6])
            rep.fix_age_s = int(f[7])
            rep.phase = f[8]
            rep.batt_mv = int(f[9])
    except ValueError as exc:
        raise DecodeError(f"UKHAS field not a number: {exc}") from None
    if rep.fix_age_s is not None and rep.fix_age_s < 0:  # firmware: no position ever
        rep.lat = rep.lon = rep.alt_m = None
        rep.fix_age_s = None
        rep.fix_time = None
    elif rep.fix_age_s is not None:
        rep.fresh = rep.fix_age_s < _FRESH_S
    return rep


# -- SBD --------------------------------------------------------------------------


def decode_sbd(payload: bytes, via: str = "sbd") -> Report:
    """The 31-byte binary beacon (firmware/sbd.py, version 1)."""
    if len(payload) != SBD_LENGTH:
        raise DecodeError(f"SBD payload is {len(payload)} bytes, expected {SBD_LENGTH}")
    if payload[0] != SBD_VERSION:
        raise DecodeError(f"SBD payload version {payload[0]}, this decoder knows {SBD_VERSION}")
    crc = (payload[29] << 8) | payload[30]
    want = crc16_ccitt(payload[:29])
    if crc != want:
        raise DecodeError(f"SBD CRC mismatch: sent {crc:04X}, computed {want:04X}")
    (_, seq, phase, flags, day, hour, minute, second, lat_e5, lon_e5, alt_m, age_s, batt, sats, hdop_d) = (
        SBD_BODY.unpack_from(payload, 0)
    )  # fmt: skip
    rep = Report(
        kind="sbd",
        source="SBD",
        seq=seq,
        phase=PHASE_NAMES[phase] if phase < len(PHASE_NAMES) else f"PHASE{phase}",
        batt_mv=batt,
        via=via,
        raw=payload.hex(),
    )
    rep.extra["flags"] = flags
    rep.extra["batt_low"] = bool(flags & SBD_FLAG_BATT_LOW)
    if not flags & SBD_FLAG_NO_POSITION:
        rep.lat = lat_e5 / 1e5
        rep.lon = lon_e5 / 1e5
        rep.alt_m = float(alt_m) if flags & SBD_FLAG_ALT_OK else None
        rep.fix_age_s = age_s
        rep.sats = sats
        rep.fresh = bool(flags & SBD_FLAG_FRESH)
        rep.fix_time = f"{hour:02d}:{minute:02d}:{second:02d}"
        rep.extra["day"] = day
        rep.extra["fix3d"] = bool(flags & SBD_FLAG_3D)
        rep.extra["hdop"] = None if hdop_d == 255 else hdop_d / 10
    return rep


# -- KISS / AX.25 -------------------------------------------------------------------


def kiss_unescape(frame: bytes) -> bytes:
    out = bytearray()
    it = iter(frame)
    for b in it:
        if b == FESC:
            nxt = next(it, None)
            if nxt == TFEND:
                out.append(FEND)
            elif nxt == TFESC:
                out.append(FESC)
            else:
                raise DecodeError("KISS frame has a bad escape sequence")
        else:
            out.append(b)
    return bytes(out)


def _ax25_address(raw: bytes) -> tuple[str, int, bool]:
    call = "".join(chr(b >> 1) for b in raw[:6]).rstrip()
    if not call or not all(c.isalnum() for c in call):
        raise DecodeError(f"AX.25 address {raw[:6]!r} is not a callsign")
    ssid = (raw[6] >> 1) & 0x0F
    return call, ssid, bool(raw[6] & 0x80)


def ax25_to_tnc2(frame: bytes) -> bytes:
    """An AX.25 UI frame (no FCS) as TNC2 text `SRC>DEST,DIGI*:info`."""
    addrs = []
    i = 0
    while True:
        if i + 7 > len(frame):
            raise DecodeError("AX.25 address field is truncated")
        addrs.append(_ax25_address(frame[i : i + 7]))
        last = frame[i + 6] & 0x01
        i += 7
        if last:
            break
        if len(addrs) > 10:
            raise DecodeError("AX.25 frame has more than 8 digipeaters")
    if len(addrs) < 2:
        raise DecodeError("AX.25 frame needs a source and a destination")
    if i + 2 > len(frame) or frame[i] != 0x03 or frame[i + 1] != 0xF0:
        raise DecodeError("not an AX.25 UI frame with PID 0xF0")
    info = frame[i + 2 :]

    def name(a, digi=False):
        call, ssid, h = a
        text = call + (f"-{ssid}" if ssid else "")
        return text + ("*" if digi and h else "")

    head = name(addrs[1]) + ">" + name(addrs[0])
    for a in addrs[2:]:
        head += "," + name(a, digi=True)
    return head.encode() + b":" + info


def decode_kiss_frame(frame: bytes) -> Report:
    """One KISS frame's content (between FENDs, still escaped)."""
    data = kiss_unescape(frame)
    if not data:
        raise DecodeError("empty KISS frame")
    if data[0] & 0x0F != 0:
        raise DecodeError(f"KISS command {data[0] & 0x0F} is not a data frame")
    return decode_packet(ax25_to_tnc2(data[1:]), via="kiss")


# -- raw payloads and lines -------------------------------------------------------------


def decode_packet(data: bytes, via: str = "radio") -> Report:
    """A radio payload as transmitted: LoRa APRS, UKHAS or SBD binary."""
    if data.startswith(LORA_APRS_PREFIX):
        return decode_aprs(data, via=via)
    if data.startswith(b"$$"):
        return decode_ukhas(data, via=via)
    if len(data) == SBD_LENGTH and data[0] == SBD_VERSION:
        return decode_sbd(data, via=via)
    if _TNC2_HEAD.match(data):
        return decode_aprs(data, via=via)
    raise DecodeError(f"payload of {len(data)} bytes is none of APRS, UKHAS or SBD")


def decode_event(line: bytes) -> Report | None:
    """`EVT <t> tx radio=<r> hex=<payload>*HH` from the (virtual) board; None for
    the board's other events."""
    ev = parse_wire_line(line)
    if ev is None:
        raise DecodeError("board line with a bad checksum or shape")
    if ev.kind == "RX":
        return _decode_rx(ev)
    if ev.kind != "EVT" or ev.name != "tx":
        return None
    text = ev.get("hex")
    if not text:
        raise DecodeError("tx event without hex=")
    try:
        payload = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise DecodeError("tx event hex= is not hex") from None
    return decode_packet(payload, via="evt:" + ev.get("radio", "?"))


def _decode_rx(ev) -> Report:
    """A ground station's RX line (firmware/rx_line.py)."""
    crc = ev.get("crc")
    if crc != "ok":
        raise DecodeError(f"received packet with CRC {crc or 'missing'}: not trusted")
    try:
        payload = binascii.unhexlify(ev.get("hex", ""))
        rssi, snr = float(ev.get("rssi")), float(ev.get("snr"))
    except (binascii.Error, ValueError, TypeError):
        raise DecodeError("RX line with bad hex=, rssi= or snr=") from None
    if not payload:
        raise DecodeError("RX line without a packet")
    rep = decode_packet(payload, via="rx:" + ev.name)
    rep.extra["rssi_dbm"] = rssi
    rep.extra["snr_db"] = snr
    gs = ev.get("gs")
    if gs:
        try:
            lat, lon = (float(v) for v in gs.split(","))
        except ValueError:
            raise DecodeError(f"RX line gs={gs!r} is not LAT,LON") from None
        rep.extra["station"] = (lat, lon)
    return rep


def decode_line(line: bytes | str) -> Report | None:
    """One text line from a receiver or a capture file; None for lines that are
    not beacon traffic (blank, other board events); DecodeError for bad ones."""
    if isinstance(line, str):
        line = line.encode("latin-1")
    line = line.strip(b"\r\n\x00 \t")
    if not line:
        return None
    kind = line.split(b" ", 1)[0]
    if kind in _BOARD_KINDS:
        return decode_event(line)
    if b"$$" in line:
        return decode_ukhas(line[line.index(b"$$") :])
    if LORA_APRS_PREFIX in line:
        return decode_aprs(line[line.index(LORA_APRS_PREFIX) :])
    if _TNC2_HEAD.match(line):
        return decode_aprs(line)
    if _HEX.match(line) and len(line) % 2 == 0:
        return decode_packet(binascii.unhexlify(line), via="hex")
    raise DecodeError("line is not APRS, UKHAS, SBD hex or a board event")


class StreamSplitter:
    """Cuts a receiver's byte stream into text lines and KISS frames.

    Bytes between two FENDs are a KISS frame (they may hold newlines);
    anything else is cut at newlines. `feed()` returns the complete items as
    ("line", bytes) or ("kiss", bytes); `flush()` returns a last unterminated line."""

    MAX_ITEM = 4096

    def __init__(self):
        self._buf = bytearray()
        self._in_kiss = False

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        out = []
        for b in data:
            if self._in_kiss:
                if b == FEND:
                    if self._buf:  # end of a frame (FEND FEND is an empty one: keep going)
                        out.append(("kiss", bytes(self._buf)))
                        self._buf.clear()
                        self._in_kiss = False
                else:
                    self._buf.append(b)
            elif b == FEND:
                if self._buf.strip():
                    out.append(("line", bytes(self._buf)))
                self._buf.clear()
                self._in_kiss = True
            elif b == 0x0A:
                out.append(("line", bytes(self._buf)))
                self._buf.clear()
            else:
                self._buf.append(b)
            if len(self._buf) > self.MAX_ITEM:
                out.append(("line" if not self._in_kiss else "kiss", bytes(self._buf)))
                self._buf.clear()
        return out

    def flush(self) -> list[tuple[str, bytes]]:
        out = []
        if self._buf and not self._in_kiss:
            out.append(("line", bytes(self._buf)))
        elif self._buf:
            out.append(("kiss", bytes(self._buf)))
        self._buf.clear()
        self._in_kiss = False
        return out


def decode_item(kind: str, data: bytes) -> Report | None:
    """Decode one StreamSplitter item."""
    if kind == "kiss":
        return decode_kiss_frame(data)
    return decode_line(data)
