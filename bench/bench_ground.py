"""The ground station's receive path on the real MicroPython unix port.

One packet = the chip model (tests/support/beacon_fakes/fake_sx127x_rx.py)
receiving a 92-byte LoRa APRS packet, drivers/sx127x_rx.Receiver reading it
(IRQ flags, FIFO, RSSI/SNR registers) and rx_line.RxLine building its RX line
with the station's fix; the line goes to a sink that copies nothing. The
model's SPI is Python code too, so the rate is a floor for the driver.

Figures:
  ground_rx_alloc_bytes_per_packet  heap bytes per packet after warm-up
  ground_rx_packets_per_s           packets received and printed per second
  ground_rx_line_us                 building one RX line alone (no chip)
  ground_rx_packets_per_s_pico_estimate  unix figure / 75 (as bench_beacon)
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))

PICO_FACTOR = 75
PACKETS = 2000
APRS = b"<\xff\x01N0CALL-11>APLRT1,WIDE1-1:!2913.55S/15109.43EO/A=000262 LANDED sat=9 age=1s bat=3900mV #12"

PROGRAM = """
import gc, json, time, clock, fix, sx127x, sx127x_rx, rx_line
from fake_sx127x_rx import FakeSX127xRx
clk = clock.VirtualClock(1000)
chip = FakeSX127xRx(clk)
radio = sx127x.SX127x(chip.spi, chip.cs, chip.reset, chip.dio0, clock=clk)
radio.init()
rx = sx127x_rx.Receiver(radio)
rx.start()
buf = bytearray(256)
line = rx_line.RxLine()
f = fix.Fix()
f.has_position = True
f.lat_deg = -29; f.lat_e7r = -1809240; f.lon_deg = 151; f.lon_e7r = 1572524
PKT = %(pkt)r
class Sink:
    def write(self, b, n):
        return n
sink = Sink()
def one():
    chip.air(PKT, 60, 34)
    n = rx.receive(buf)
    m = line.build(clk.now_ms(), rx.rssi_q4, rx.snr_q4, rx_line.CRC_OK, buf, n, f)
    sink.write(line.buf, m)
def many(k):
    gc.collect()
    a = gc.mem_alloc()
    t0 = time.ticks_us()
    for _ in range(k):
        one()
    return gc.mem_alloc() - a, time.ticks_diff(time.ticks_us(), t0)
def lines(k):
    t0 = time.ticks_us()
    for _ in range(k):
        line.build(123456, -400, 34, rx_line.CRC_OK, buf, 92, f)
    return time.ticks_diff(time.ticks_us(), t0)
one()
alloc, t_us = many(%(n)d)
line_us = lines(%(n)d)
print(json.dumps(dict(alloc=alloc, t_us=t_us, line_us=line_us, n=%(n)d, received=rx.received)))
"""


def run():
    from mpy import run_mpy

    fakes = ROOT / "tests" / "support" / "beacon_fakes"
    out = run_mpy(PROGRAM % {"n": PACKETS, "pkt": APRS}, timeout=300, extra_path=[fakes])
    r = json.loads(out.strip().splitlines()[-1])
    per_s = r["n"] * 1_000_000 // max(1, r["t_us"])
    print(f"  ({r['n']} packets of {len(APRS)} bytes, {r['received']} received by the driver)")
    return {
        "ground_rx_alloc_bytes_per_packet": r["alloc"] / r["n"],
        "ground_rx_packets_per_s": per_s,
        "ground_rx_line_us": round(r["line_us"] / r["n"], 1),
        "ground_rx_packets_per_s_pico_estimate": per_s // PICO_FACTOR,
    }
