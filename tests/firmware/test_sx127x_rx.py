"""The receive side (drivers/sx127x_rx.py, rx_line.py) on MicroPython against the
register-level chip model with its receive side (beacon_fakes/fake_sx127x_rx.py):
registers as the datasheet sets them, RSSI/SNR by its formulas computed here
independently, a bad CRC counted and never printed as a packet, no allocation."""

import json
from pathlib import Path

import aprslib
import pytest
from mpy import SUPPORT, run_mpy
from rx_cases import APRS, station_fix_mpy

from host_tools.protocol.lines import parse_line

FAKES = Path(__file__).resolve().parents[1] / "support" / "beacon_fakes"

SETUP = """
import json, gc, sys, rx_line, heap_probe
from sx127x_rx_rig import start
clk, chip, radio, rx, buf = start({dio0}, {kwargs})
"""


def mpy(body, dio0=True, kwargs=""):
    return run_mpy(SETUP.format(dio0=dio0, kwargs=kwargs) + body, extra_path=[FAKES, SUPPORT])


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def rssi_oracle_dbm(pkt_rssi, pkt_snr_reg, hf):
    """Datasheet 5.5.5, in floats: -157 (HF) / -164 (LF) + PacketRssi, + SNR when SNR < 0."""
    snr = (pkt_snr_reg - 256 if pkt_snr_reg > 127 else pkt_snr_reg) / 4.0
    rssi = (-157 if hf else -164) + pkt_rssi
    return rssi + (snr if snr < 0 else 0.0), snr


def test_start_listens_continuously_with_dio0_on_rx_done():
    out = mpy(
        "ok = rx.start()\n"
        "print(json.dumps([ok, chip.mode(), chip.lora(), chip.regs[0x40] >> 6, chip.regs[0x0F],"
        " chip.violations, chip.last_violation]))"
    )
    ok, mode, lora, dio0_map, rx_base, violations, what = last_json(out)
    assert ok and mode == 5 and lora and dio0_map == 0 and rx_base == 0
    assert violations == 0, what


def test_nothing_arrived_is_nothing_and_a_packet_before_start_is_missed():
    out = mpy(
        "chip.air(b'early', 100, 20)\n"
        "a = rx.receive(buf)\n"
        "rx.start()\n"
        "b = rx.receive(buf)\n"
        "print(json.dumps([a, b, chip.missed]))"
    )
    assert last_json(out) == [0, 0, 1]


@pytest.mark.parametrize(
    ("kwargs", "hf", "pkt_rssi", "pkt_snr"),
    [
        ("freq_khz=433775", False, 60, 34),  # LF port, SNR +8.5 dB
        ("freq_khz=433775", False, 30, 0xE4),  # SNR -7 dB: below the noise
        ("freq_khz=868100", True, 45, 0xFF),  # HF port, SNR -0.25 dB
        ("freq_khz=868100", True, 120, 40),
    ],
)
def test_packet_bytes_rssi_and_snr_follow_the_datasheet(kwargs, hf, pkt_rssi, pkt_snr):
    out = mpy(
        f"""
rx.start()
chip.air({APRS!r}, {pkt_rssi}, {pkt_snr})
n = rx.receive(buf)
again = rx.receive(buf)
print(json.dumps([n, bytes(buf[:n]).hex(), rx.rssi_q4, rx.snr_q4, again, chip.regs[0x12],
                  chip.violations]))
""",
        kwargs=kwargs,
    )
    n, hexed, rssi_q4, snr_q4, again, flags, violations = last_json(out)
    rssi, snr = rssi_oracle_dbm(pkt_rssi, pkt_snr, hf)
    assert n == len(APRS) and bytes.fromhex(hexed) == APRS
    assert rssi_q4 / 4 == rssi and snr_q4 / 4 == snr
    assert again == 0 and flags == 0 and violations == 0  # IRQs cleared, read once


def test_packets_back_to_back_are_read_from_where_each_starts_and_without_dio0():
    out = mpy(
        """
rx.start()
chip.air(b'first packet', 80, 20)
a = rx.receive(buf); first = bytes(buf[:a])
chip.air(b'second', 81, 24)
b = rx.receive(buf); second = bytes(buf[:b])
print(json.dumps([first.decode(), second.decode(), rx.received]))
""",
        dio0=False,
    )
    assert last_json(out) == ["first packet", "second", 2]


def test_a_bad_crc_is_counted_and_its_line_carries_no_packet():
    out = mpy(
        f"""
import fix
rx.start()
chip.air({APRS!r}, 50, 0xF0, crc_error=True)
r = rx.receive(buf)
line = rx_line.RxLine()
m = line.build(clk.now_ms(), rx.rssi_q4, rx.snr_q4, rx_line.CRC_BAD, buf, rx.length, fix.Fix())
print(json.dumps([r, rx.crc_bad, rx.received, bytes(line.buf[:m]).decode()]))
"""
    )
    r, crc_bad, received, text = last_json(out)
    assert r == -1 and crc_bad == 1 and received == 0
    line = parse_line(text)
    assert line is not None and line.kind == "RX"
    assert line.fields["crc"] == "bad" and "hex" not in line.fields
    assert line.fields["n"] == str(len(APRS))


def test_a_packet_sent_without_crc_is_reported_as_unchecked():
    out = mpy(
        "rx.start()\nchip.air(b'abc', 50, 10, crc_on=False)\n"
        "print(json.dumps([rx.receive(buf), rx.no_crc]))"
    )
    assert last_json(out) == [-2, 1]


def test_the_rx_line_is_checksummed_and_carries_the_packet_and_the_station_fix():
    out = mpy(
        station_fix_mpy()
        + f"""
rx.start()
chip.air({APRS!r}, 60, 0xE4)
n = rx.receive(buf)
line = rx_line.RxLine()
m = line.build(123456, rx.rssi_q4, rx.snr_q4, rx_line.CRC_OK, buf, n, f)
sys.stdout.write(line.buf, m)
"""
    )
    text = out.strip().splitlines()[-1]
    line = parse_line(text)
    assert line is not None, text  # the checksum holds
    assert (line.kind, line.t_ms) == ("RX", 123456)
    assert line.fields["rssi"] == "-111.00"  # -164 + 60 - 7
    assert line.fields["snr"] == "-7.00"
    assert line.fields["crc"] == "ok"
    assert line.fields["gs"] == "-29.1809240,151.1572524"
    packet = bytes.fromhex(line.fields["hex"])
    assert packet == APRS
    parsed = aprslib.parse(packet[3:])
    assert parsed["from"] == "N0CALL-11"
    assert parsed["latitude"] == pytest.approx(-(29 + 13.55 / 60), abs=1e-6)


def test_receiving_and_printing_a_packet_costs_no_allocation():
    out = mpy(
        f"""
import fix
f = fix.Fix()
f.has_position = True
f.lat_deg = 48; f.lat_e7r = 1234567
line = rx_line.RxLine()
rx.start()
class Sink:
    def write(self, b, n):
        return n
sink = Sink()
def one():
    chip.air({APRS!r}, 60, 30)
    n = rx.receive(buf)
    m = line.build(clk.now_ms(), rx.rssi_q4, rx.snr_q4, rx_line.CRC_OK, buf, n, f)
    sink.write(line.buf, m)
def twenty():
    for _ in range(20):
        one()
one()
alloc = 0
alloc = heap_probe.alloc_of(twenty)
print(json.dumps([alloc, rx.received]))
"""
    )
    alloc, received = last_json(out)
    assert received == 21
    assert alloc == 0


@pytest.mark.parametrize(
    ("plan", "freq_khz", "modem1", "modem2"),
    [
        # BW 125 kHz = code 7, CR 4/5 = 1, explicit header; SF12, CRC on
        ("lora_aprs", 433775, (7 << 4) | (1 << 1), (12 << 4) | 0x04),
        # BW 20.8 kHz = code 3, CR 4/8 = 4; SF11, CRC on
        ("ukhas", 434225, (3 << 4) | (4 << 1), (11 << 4) | 0x04),
    ],
)
def test_a_ground_board_tunes_to_the_plan_and_the_flight_channel(plan, freq_khz, modem1, modem2):
    out = mpy(
        f"""
import ground
class Hw:
    pass
class Cfg:
    lora_freq_khz = {freq_khz}
hw = Hw()
hw.radio = radio
errors = []
r = ground._hw_receiver(hw, {{"radio": {{"plan": "{plan}"}}}}, Cfg(), errors)
chip.air(b'hello', 90, 20)
n = r.receive(buf)
print(json.dumps([errors, chip.regs[0x1D], chip.regs[0x1E], chip.frf(), chip.mode(), n,
                  chip.violations]))
""",
        kwargs="freq_khz=869525, sf=7",
    )
    errors, m1, m2, frf, mode, n, violations = last_json(out)
    assert errors == [] and violations == 0
    assert (m1, m2) == (modem1, modem2)
    assert frf == round(freq_khz * 1000 * 2**19 / 32_000_000)
    assert mode == 5 and n == 5


def test_the_virtual_station_decodes_a_frame_and_prints_its_line_without_allocating():
    from host_tools.protocol.frames import rx_frame

    frame = rx_frame(777, 60, 34, APRS)[2:]  # after b"#P", as the console hands it over
    out = run_mpy(
        f"""
import gc, json, ground, sim_ground, heap_probe
class Con:
    frame_timeout_ms = 0
    bad_frames = 0
    def __init__(self, data):
        self.rx = bytearray(data)
        self.pos = 0
    def take(self, n, timeout_ms):
        at = self.pos
        self.pos = at + n
        return at
class Sink:
    def __init__(self):
        self.last = bytearray(700)
        self.n = 0
    def write(self, b, n):
        for i in range(n):
            self.last[i] = b[i]
        self.n = n
        return n
sink = Sink()
gs = ground.GroundStation("sim_ground", sim_ground.BOARD, out=sink)
con = Con({frame!r})
gs._frame_packet(con)
first = bytes(sink.last[:sink.n]).decode()
def ten():
    for _ in range(10):
        con.pos = 0
        gs._frame_packet(con)
alloc = 0  # a new module global would grow the globals dict while measured
alloc = heap_probe.alloc_of(ten)
print(json.dumps([first, alloc, gs.radio.received, con.bad_frames]))
""",
        extra_path=[FAKES, SUPPORT],
        stdin="",
    )
    first, alloc, received, bad = last_json(out)
    line = parse_line(first)
    assert line is not None and line.t_ms == 777 and bytes.fromhex(line.fields["hex"]) == APRS
    assert received == 11 and bad == 0
    assert alloc == 0
