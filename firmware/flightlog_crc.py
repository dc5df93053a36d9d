"""CRC-32 of a flight-log block in native code, without a heap allocation.

`binascii.crc32` returns the CRC as an int; on a 32-bit port three values in
four are at or above 2**30, i.e. a heap-allocated big integer, once per block.
This viper version writes the CRC into a preallocated array('H', 2) as two
16-bit halves instead (low half first), so a block write allocates nothing.

Same polynomial, initial value and final XOR as zlib/binascii (reflected
0xEDB88320), so the host checks a block with `zlib.crc32`.

Cost: ~20 us per 4 KB on the unix port (x86-64), a few hundred us on an RP2040.
Needs a port with the native code emitter (rp2, esp32, unix); `flightlog.py`
falls back to a pure-Python loop when this module does not import. When the
firmware is precompiled, this file needs `mpy-cross -march=...` (armv6m on
rp2, xtensawin on esp32) or must be copied as source.
"""

import micropython
from array import array

_TABLE = array("I", bytes(1024))


@micropython.viper
def _fill_table(t: ptr32):
    for i in range(256):
        c = uint(i)
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ uint(0xEDB88320)
            else:
                c = c >> 1
        t[i] = c


@micropython.viper
def _crc32(buf: ptr8, n: int, t: ptr32, out: ptr16):
    # The register may be 64 bits wide (unix port); masking after the shift
    # keeps only the 32 bits a CRC-32 has.
    c = uint(0) - uint(1)
    for i in range(n):
        c = uint(t[(c ^ uint(buf[i])) & 0xFF]) ^ ((c >> 8) & 0xFFFFFF)
    out[0] = (c & 0xFFFF) ^ 0xFFFF
    out[1] = ((c >> 16) & 0xFFFF) ^ 0xFFFF


_fill_table(_TABLE)


def crc32_into(buf, n, out):
    """CRC-32 of buf[0:n] into out[0] (low 16 bits) and out[1] (high 16 bits)."""
    _crc32(buf, n, _TABLE, out)
