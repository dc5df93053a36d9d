"""The flight log's block CRC, native and Python versions, over pseudo-random
buffers of several lengths: one line a length (length, buffer hex, both
versions' halves), then which version the recorder uses."""

from array import array

import flightlog

out = array("H", (0, 0))
x = 12345
for n in (0, 1, 7, 255, 256, 1000, 4092):
    buf = bytearray(n + 3)
    for i in range(n + 3):
        x = (x * 1103515245 + 12345) & 0x3FFFFFFF
        buf[i] = x >> 22
    flightlog.crc32_into_native(buf, n, out)
    nat = (out[0], out[1])
    flightlog.crc32_into_py(buf, n, out)
    print(n, bytes(buf).hex(), nat[0], nat[1], out[0], out[1])
print(flightlog.CRC_IMPL)
