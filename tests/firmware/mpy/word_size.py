"""The interpreter's word size, as the firmware meets it: prints sys.maxsize,
whether an int past 2**30 takes heap (it does on a 32-bit port, whose small
ints end there) and what viper makes of 2**30 + 2**30 (a 32-bit machine word
wraps to -2**31)."""

import gc
import micropython
import sys


@micropython.viper
def wrap(x: int) -> int:
    return x + x


def grows(n):
    gc.collect()
    a = gc.mem_alloc()
    n = n + n  # 2**30 + 2: past a 32-bit port's small ints
    return gc.mem_alloc() - a > 0


grows(1)
print(sys.maxsize, grows((1 << 29) + 1), wrap(0x40000000))
