"""How much a stretch of firmware code allocates, measured on MicroPython.

Runs inside the MicroPython unix port (tests put tests/support on its path):
"no allocation per read" is a claim about the firmware's steady state, so the
caller warms the code up first and this measures one more run of it.
"""

import gc


def alloc_of(fn):
    """Bytes the heap grows by while `fn()` runs."""
    gc.collect()
    before = gc.mem_alloc()
    fn()
    return gc.mem_alloc() - before
