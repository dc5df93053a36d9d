"""The largest products the altitude kernels form: the table step times the
step's cm, the mantissa table step times its fraction, the geopotential
correction's, and the largest log2 value. One line, to check against 2**30."""

import atmosphere as A

step = max(A._LOG2P[i] - A._LOG2P[i + 1] for i in range(A.N_NODES - 1))
mant = max(A._LOG2_MANT[i + 1] - A._LOG2_MANT[i] for i in range(256))
geo = 0
for h_cm in (A.TABLE_BASE_M * 100, A.TABLE_TOP_M * 100):
    h_m = h_cm // 100
    t = (h_m << 12) // ((A.EARTH_R0_M - h_m) >> 10)
    geo = max(geo, abs((h_cm >> 10) * t), abs(h_m << 12))
print(step * A.STEP_CM, mant * 0x3FFF, geo, max(A._LOG2P[0], 30 << 16))  # log2(x < 2**30) < 30
