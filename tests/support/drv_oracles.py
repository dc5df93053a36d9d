"""Independent references for the driver tests, in CPython integers.

Each function is a direct transcription of the datasheet's formula (Python
ints are unbounded, `>>` floors like C's `>>` on a signed int64), written
without looking at the firmware's restructured arithmetic. The firmware must
agree with these exactly (or within a stated tolerance for the BMP388, whose
datasheet formula is floating point).
"""

import random

LIMIT = 1 << 30


def ms5611_crc4(prom):
    """CRC-4 of the MS5611 PROM as polynomial division: AN520's register
    algorithm equals (message * x**11) mod (x**4 + x + 1), where the message
    is the 8 PROM words big-endian with the low byte of word 7 cleared (the
    bytes enter 8 bits below the 4-bit remainder, so x**(4-8) = x**11 modulo
    a polynomial of order 15)."""
    m = 0
    for i, w in enumerate(prom):
        m = (m << 16) | ((w & 0xFF00) if i == 7 else w)
    m <<= 11
    poly = 0x13
    while m.bit_length() >= 5:
        m ^= poly << (m.bit_length() - 5)
    return m


def ms5611_prom(c1, c2, c3, c4, c5, c6, c0=0x0000, serial=0x123):
    """Eight PROM words with a correct CRC in word 7."""
    prom = [c0, c1, c2, c3, c4, c5, c6, serial << 4]
    prom[7] |= ms5611_crc4(prom)
    return prom


MS5611_EXAMPLE_PROM = ms5611_prom(40127, 36924, 23317, 23282, 33464, 28312)
MS5611_EXAMPLE_D1 = 9085466
MS5611_EXAMPLE_D2 = 8569150


def ms5611_compensate(prom, d1, d2):
    """MS5611-01BA03 datasheet, 'Calculate temperature' / 'temperature
    compensated pressure' and 'second order temperature compensation'."""
    c = prom
    dT = d2 - c[5] * 2**8
    TEMP = 2000 + ((dT * c[6]) >> 23)
    OFF = c[2] * 2**16 + ((c[4] * dT) >> 7)
    SENS = c[1] * 2**15 + ((c[3] * dT) >> 8)
    if TEMP < 2000:
        T2 = (dT * dT) >> 31
        OFF2 = (5 * (TEMP - 2000) ** 2) >> 1
        SENS2 = (5 * (TEMP - 2000) ** 2) >> 2
        if TEMP < -1500:
            OFF2 = OFF2 + 7 * (TEMP + 1500) ** 2
            SENS2 = SENS2 + ((11 * (TEMP + 1500) ** 2) >> 1)
    else:
        T2 = OFF2 = SENS2 = 0
    TEMP = TEMP - T2
    OFF = OFF - OFF2
    SENS = SENS - SENS2
    P = (((d1 * SENS) >> 21) - OFF) >> 15
    return TEMP, P


def ms5611_plausible(temp, p):
    return -6000 <= temp <= 10500 and 1 <= p <= 130000


def ms5611_d2_for_temp(prom, temp_c100):
    """A D2 that gives (first-order) temp_c100 with this PROM."""
    return prom[5] * 256 + ((temp_c100 - 2000) * 2**23) // prom[6]


def ms5611_cases(seed, n):
    """Random PROMs and ADC values: realistic parts across the whole
    temperature and pressure range (both second-order branches), and
    anything-goes values including the extremes."""
    rnd = random.Random(seed)
    cases = []
    for i in range(n):
        if i % 3 == 2:
            prom = ms5611_prom(*[rnd.randrange(0, 65536) for _ in range(6)])
            d1 = rnd.choice([0, 1, (1 << 24) - 1, rnd.randrange(1 << 24)])
            d2 = rnd.choice([0, 1, (1 << 24) - 1, rnd.randrange(1 << 24)])
        else:
            base = (40127, 36924, 23317, 23282, 33464, 28312)
            prom = ms5611_prom(*[int(b * rnd.uniform(0.8, 1.2)) for b in base])
            d2 = ms5611_d2_for_temp(prom, rnd.randrange(-4500, 9000))
            d1 = rnd.randrange(5_500_000, 9_800_000) if i % 3 else rnd.randrange(1 << 24)
        cases.append((prom, d1, d2))
    return cases


# ---------------------------------------------------------------- BMP280

BMP280_EXAMPLE_TRIM = {
    "T1": 27504,
    "T2": 26435,
    "T3": -1000,
    "P1": 36477,
    "P2": -10685,
    "P3": 3024,
    "P4": 2855,
    "P5": 140,
    "P6": -7,
    "P7": 15500,
    "P8": -14600,
    "P9": 6000,
}
BMP280_TRIM_NAMES = ("T1", "T2", "T3", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9")
BMP280_EXAMPLE_ADC_T = 519888
BMP280_EXAMPLE_ADC_P = 415148


def _c_div(a, b):
    """C's / on signed integers: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def bmp280_compensate_t(trim, adc_t):
    """BMP280 datasheet 8.2, bmp280_compensate_T_int32: (T in 0.01 degC, t_fine)."""
    T1, T2, T3 = trim["T1"], trim["T2"], trim["T3"]
    var1 = (((adc_t >> 3) - (T1 << 1)) * T2) >> 11
    var2 = (((((adc_t >> 4) - T1) * ((adc_t >> 4) - T1)) >> 12) * T3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine


def bmp280_compensate_p64(trim, t_fine, adc_p):
    """BMP280 datasheet 8.2, bmp280_compensate_P_int64: Pa in Q24.8 (0 when
    the datasheet's guard against division by zero trips)."""
    P = [trim[f"P{i}"] for i in range(1, 10)]
    var1 = t_fine - 128000
    var2 = var1 * var1 * P[5]
    var2 = var2 + ((var1 * P[4]) << 17)
    var2 = var2 + (P[3] << 35)
    var1 = ((var1 * var1 * P[2]) >> 8) + ((var1 * P[1]) << 12)
    var1 = (((1 << 47) + var1) * P[0]) >> 33
    if var1 == 0:
        return 0
    p = 1048576 - adc_p
    p = _c_div(((p << 31) - var2) * 3125, var1)
    var1 = (P[8] * (p >> 13) * (p >> 13)) >> 25
    var2 = (P[7] * p) >> 19
    return ((p + var1 + var2) >> 8) + (P[6] << 4)


def bmp280_compensate_p32(trim, t_fine, adc_p):
    """BMP280 datasheet 8.2, bmp280_compensate_P_int32, with its 32-bit
    wrap-around emulated: Pa as an integer."""

    def s32(x):
        x &= 0xFFFFFFFF
        return x - (1 << 32) if x & 0x80000000 else x

    P = [trim[f"P{i}"] for i in range(1, 10)]
    var1 = (t_fine >> 1) - 64000
    var2 = s32(s32(s32((var1 >> 2) * (var1 >> 2)) >> 11) * P[5])
    var2 = s32(var2 + s32(s32(var1 * P[4]) << 1))
    var2 = s32((var2 >> 2) + s32(P[3] << 16))
    var1 = s32(
        (s32(s32(P[2] * (s32((var1 >> 2) * (var1 >> 2)) >> 13)) >> 3) + (s32(P[1] * var1) >> 1))
        >> 18
    )
    var1 = s32(s32((32768 + var1) * P[0]) >> 15)
    if var1 == 0:
        return 0
    p = ((s32(1048576 - adc_p) - (var2 >> 12)) * 3125) & 0xFFFFFFFF
    if p < 0x80000000:
        p = ((p << 1) & 0xFFFFFFFF) // (var1 & 0xFFFFFFFF)
    else:
        p = (p // (var1 & 0xFFFFFFFF)) * 2
    p &= 0xFFFFFFFF
    var1 = s32(s32(P[8] * s32((((p >> 3) * (p >> 3)) & 0xFFFFFFFF) >> 13)) >> 12)
    var2 = s32(s32(s32(p >> 2) * P[7]) >> 13)
    return (s32(p) + (s32(var1 + var2 + P[6]) >> 4)) & 0xFFFFFFFF


def bmp280_compensate_double(trim, adc_t, adc_p):
    """BMP280 datasheet 8.1 floating-point formulas: (T degC, P Pa)."""
    T1, T2, T3 = trim["T1"], trim["T2"], trim["T3"]
    P = [trim[f"P{i}"] for i in range(1, 10)]
    var1 = (adc_t / 16384.0 - T1 / 1024.0) * T2
    var2 = ((adc_t / 131072.0 - T1 / 8192.0) * (adc_t / 131072.0 - T1 / 8192.0)) * T3
    t_fine = int(var1 + var2)
    T = (var1 + var2) / 5120.0
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * P[5] / 32768.0
    var2 = var2 + var1 * P[4] * 2.0
    var2 = var2 / 4.0 + P[3] * 65536.0
    var1 = (P[2] * var1 * var1 / 524288.0 + P[1] * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * P[0]
    if var1 == 0.0:
        return T, 0.0
    p = 1048576.0 - adc_p
    p = (p - var2 / 4096.0) * 6250.0 / var1
    var1 = P[8] * p * p / 2147483648.0
    var2 = p * P[7] / 32768.0
    return T, p + (var1 + var2 + P[6]) / 16.0


# ---------------------------------------------------------------- BMP388/390

BMP3_TRIM_NAMES = (
    "T1",
    "T2",
    "T3",
    "P1",
    "P2",
    "P3",
    "P4",
    "P5",
    "P6",
    "P7",
    "P8",
    "P9",
    "P10",
    "P11",
)

# A plausible BMP388 part and raw pair (the datasheet gives no worked
# example): what the bench drivers' figures and RAM runs read.
BMP3_BENCH_TRIM = {
    "T1": 27000, "T2": 19000, "T3": -7, "P1": -1500, "P2": -2000, "P3": 30, "P4": 0,
    "P5": 25000, "P6": 30000, "P7": 3, "P8": -6, "P9": 16000, "P10": 5, "P11": -60,
}  # fmt: skip
BMP3_BENCH_UT = 8300000
BMP3_BENCH_UP = 6400000


def bmp3_compensate_float(trim, uncomp_t, uncomp_p):
    """BMP388 datasheet 9.2/9.3 (floating point) with the NVM_PAR scaling of
    section 9.1: (t_lin degC, pressure Pa)."""
    t1 = trim["T1"] / 2.0**-8
    t2 = trim["T2"] / 2.0**30
    t3 = trim["T3"] / 2.0**48
    p1 = (trim["P1"] - 2**14) / 2.0**20
    p2 = (trim["P2"] - 2**14) / 2.0**29
    p3 = trim["P3"] / 2.0**32
    p4 = trim["P4"] / 2.0**37
    p5 = trim["P5"] / 2.0**-3
    p6 = trim["P6"] / 2.0**6
    p7 = trim["P7"] / 2.0**8
    p8 = trim["P8"] / 2.0**15
    p9 = trim["P9"] / 2.0**48
    p10 = trim["P10"] / 2.0**48
    p11 = trim["P11"] / 2.0**65
    pd1 = uncomp_t - t1
    pd2 = pd1 * t2
    t_lin = pd2 + (pd1 * pd1) * t3
    pd1 = p6 * t_lin
    pd2 = p7 * t_lin**2
    pd3 = p8 * t_lin**3
    out1 = p5 + pd1 + pd2 + pd3
    pd1 = p2 * t_lin
    pd2 = p3 * t_lin**2
    pd3 = p4 * t_lin**3
    out2 = uncomp_p * (p1 + pd1 + pd2 + pd3)
    pd1 = float(uncomp_p) ** 2
    pd2 = p9 + p10 * t_lin
    pd3 = pd1 * pd2
    pd4 = pd3 + float(uncomp_p) ** 3 * p11
    return t_lin, out1 + out2 + pd4


def check_small(v):
    if isinstance(v, int) and not isinstance(v, bool) and not -LIMIT < v < LIMIT:
        raise AssertionError(f"intermediate {v} is not a small int on a 32-bit port")
    return v


class Small(int):
    """An int whose every arithmetic result must stay strictly inside
    (-2**30, 2**30): feed it to firmware arithmetic on CPython and any
    intermediate a 32-bit MicroPython port would box raises."""


def _wrap(name):
    op = getattr(int, name)
    if name == "__neg__":
        return lambda a: Small(check_small(op(a)))

    def f(a, b):
        r = op(a, b)
        if r is NotImplemented:
            return r
        return Small(check_small(r))

    return f


_OPS = (
    "add radd sub rsub mul rmul lshift rlshift rshift rrshift and rand or ror xor rxor",
    "floordiv rfloordiv mod rmod neg",
)
for _n in " ".join(_OPS).split():
    setattr(Small, f"__{_n}__", _wrap(f"__{_n}__"))
