"""The filter predicting only (no measurement), from rest at 1 km under
+981 cm/s2 for 6.4 s in uneven steps; prints the time, height and speed."""

import kalman

kf = kalman.Kalman(100)
kf.reset(100000, 0, 981)  # 1 km, at rest, +981 cm/s2
t = 0
for dt in [7, 13, 10, 3, 20, 1, 250, 9] * 20 + [100]:
    kf.update(dt, 0, 0, kalman.NONE)
    t += dt
print(t, kf.h_mm, kf.v_mms)
