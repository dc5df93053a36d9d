"""The native filter over runs of updates read from stdin as JSON, a list of
[Hz, starting height cm, [[dt, alt, acc, mode], ...]]: prints, as JSON, the
whole state after every update (mm units, remainders, rejoins, then the cm
values the flight reads)."""

import json
import sys

import kalman

res = []
for hz, h0, steps in json.loads(sys.stdin.read()):
    kf = kalman.Kalman(hz)
    kf.reset(h0, 0, 0)
    for dt, alt, acc, mode in steps:
        kf.update(dt, alt, acc, mode)
        res.append(
            [
                kf.h_mm,
                kf.v_mms,
                kf.a_mms2,
                kf._h_rem,
                kf._v_rem,
                kf.rejoins,
                kf.alt_cm,
                kf.speed_cms,
                kf.accel_cms2,
            ]
        )
print(json.dumps(res))
