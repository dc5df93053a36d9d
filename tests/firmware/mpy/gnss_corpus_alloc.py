"""Heap growth of the GNSS reader (with a UBX configurator listening to every
frame) over the corpus at argv[1] read twice through a memory UART, plus the
silence path and 200 bytes fed one by one, after a warm-up pass. Prints the
bytes, the sentences and frames parsed in the measured passes and the cycles
published in all.
"""

import gc
import sys

import clock
import gnss
import mem_uart
import ubx

with open(sys.argv[1], "rb") as fh:
    data = fh.read()
uart = mem_uart.CopyUart(data)
clk = clock.VirtualClock()
r = gnss.GnssReader(uart, clk)
cfg = ubx.UbxConfigurator(uart, clk, r)  # listens to every UBX frame
seen = [0]


def on_epoch(rd):
    seen[0] += 1


r.on_epoch = on_epoch
r.epoch_gap_ms = 50


def run():
    uart.p = 0
    while r.poll():
        clk.advance_ms(1)
    clk.advance_ms(100)
    r.poll()  # the silence path
    for i in range(200):
        r.feed_byte(data[i])  # the byte path


def measure():
    # Locals only: a new global name would grow the globals dict inside the window.
    run()  # warm-up
    good0 = r.good + r.ubx_frames
    gc.collect()
    a = gc.mem_alloc()
    run()
    run()
    used = gc.mem_alloc() - a
    print(used, r.good + r.ubx_frames - good0, seen[0])


measure()
