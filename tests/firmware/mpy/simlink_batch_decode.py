"""`#B` batch frames decoded by the firmware (simlink.decode_batch and
batch_sample). stdin: a JSON list of frames, each in hex. Prints each sample
of each frame as "tick press_dpa ax ay az vbatt_mv flags" ("bad" for a frame
that does not decode), then "alloc N": the heap growth of decoding the first
frame and its first sample 300 more times.
"""

import gc
import json
import sys
from binascii import unhexlify

import sample
import simlink

s = sample.Sample()
frames = [unhexlify(h) for h in json.loads(sys.stdin.read())]
for raw in frames:
    buf = bytearray(raw)
    n = buf[2] - 48
    if not simlink.decode_batch(buf, 3, n):
        print("bad")
        continue
    for k in range(n):
        t = simlink.batch_sample(k, s)
        flags = int(s.baro_ok) | 2 * int(s.accel_ok) | 4 * int(s.arm_input)
        print(t, s.press_dpa, s.ax_mg, s.ay_mg, s.az_mg, s.vbatt_mv, flags)
buf = bytearray(frames[0])
n = buf[2] - 48
i = 0
a = 0  # every global exists before measuring
gc.collect()
a = gc.mem_alloc()
while i < 300:
    simlink.decode_batch(buf, 3, n)
    simlink.batch_sample(0, s)
    i += 1
print("alloc", gc.mem_alloc() - a)
