"""A barometer driver's compensation of each case on stdin, one line a case.

argv: the driver module, its class, the attribute holding its calibration
words, then the attributes to print after the verdict (1 when the driver
accepts the reading). stdin: a JSON list of [calibration words, raw, raw],
the two raw ADC values in the order `compensate` takes them.
"""

import json
import sys

module, cls, calibration, *outputs = sys.argv[1:]
drv = getattr(__import__(module), cls)(None, None)
words = getattr(drv, calibration)
for values, raw_a, raw_b in json.loads(sys.stdin.read()):
    for i, v in enumerate(values):
        words[i] = v
    ok = drv.compensate(raw_a, raw_b)
    print(int(ok), *[getattr(drv, name) for name in outputs])
