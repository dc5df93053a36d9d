"""LoRa time on air in integer milliseconds (SX1276/77/78 datasheet, section 4.1.1.7).

The beacon scheduler needs each packet's air time to respect a region's duty
cycle (EU 868 MHz sub-bands: 1 % or 0.1 % per hour), and the radio driver
needs it for its TX-done timeout. The datasheet's formula is

    T_sym      = 2**SF / BW
    T_preamble = (n_preamble + 4.25) * T_sym
    n_payload  = 8 + max(ceil((8*PL - 4*SF + 28 + 16*CRC - 20*IH) / (4*(SF - 2*DE))) * (CR + 4), 0)
    T_packet   = T_preamble + n_payload * T_sym

computed here with integers only. Every LoRa bandwidth is 500 kHz / d
(d = 64, 48, 32, 24, 16, 12, 8, 4, 2, 1 for 7.8 ... 500 kHz), so
T_sym = 2**SF * d / 500 ms exactly, and with symbols counted in quarters
(the 4.25) T_packet = sym4 * d * 2**SF / 2000 = sym4 * d * 2**(SF-4) / 125 ms.
The largest product, sym4 * d * 2**(SF-4) (about 1e8), stays below 2**30 for
any payload up to 255 bytes and a preamble up to 1000 symbols (checked in
tests/test_beacon_int_ranges.py).
Nothing allocates.
"""

from micropython import const

# Bandwidths in Hz as named in the datasheet, their RegModemConfig1 Bw code
# (= index) and the divisor of 500 kHz each one really is.
BW_HZ = (7800, 10400, 15600, 20800, 31250, 41700, 62500, 125000, 250000, 500000)
_BW_DIV = bytes((64, 48, 32, 24, 16, 12, 8, 4, 2, 1))

# Low data rate optimisation is mandated when a symbol lasts longer than 16 ms:
# 2**SF * d / 500 > 16  <=>  2**SF * d > 8000.
_LDRO_SYM = const(8000)


def bw_index(bw_hz):
    """RegModemConfig1 bandwidth code for a bandwidth in Hz, or -1 if it is not one."""
    for i in range(len(BW_HZ)):
        if BW_HZ[i] == bw_hz:
            return i
    return -1


def needs_ldro(sf, bw_hz):
    i = bw_index(bw_hz)
    if i < 0:
        return False
    return (1 << sf) * _BW_DIV[i] > _LDRO_SYM


def airtime_ms(n_bytes, sf, bw_hz, cr, preamble=8, crc=True, explicit_header=True, ldro=None):
    """Time on air of an `n_bytes` payload, rounded up to the next millisecond.

    cr is the coding-rate denominator 5..8 (4/5 ... 4/8); ldro None = as the
    datasheet requires for this SF and bandwidth. Returns -1 for a bandwidth or
    spreading factor the chip does not have."""
    i = bw_index(bw_hz)
    if i < 0 or sf < 6 or sf > 12 or cr < 5 or cr > 8:
        return -1
    d = _BW_DIV[i]
    if ldro is None:
        ldro = (1 << sf) * d > _LDRO_SYM
    de = 1 if ldro else 0
    num = 8 * n_bytes - 4 * sf + 28 + (16 if crc else 0) - (0 if explicit_header else 20)
    den = 4 * (sf - 2 * de)
    blocks = (num + den - 1) // den if num > 0 else 0
    n_payload = 8 + blocks * cr
    sym4 = 4 * preamble + 17 + 4 * n_payload
    # ceil(sym4 * d * 2**SF / 2000) = ceil(sym4 * d * 2**(SF - 4) / 125)
    return ((sym4 * d << (sf - 4)) + 124) // 125
