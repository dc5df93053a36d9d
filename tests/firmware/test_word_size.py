"""The port a firmware test runs on is the one it says: the 32-bit runs
really meet a board's word size (small ints end at 2**30, viper wraps at 32
bits), so a test that passes there proves the code stays inside them."""

from mpy import current_port, run_mpy

CODE = """
import gc, sys, micropython
@micropython.viper
def wrap(x: int) -> int:
    return x + x
def grows(n):
    gc.collect()
    a = gc.mem_alloc()
    n = n + n          # 2**30 + 2: past a 32-bit port's small ints
    return gc.mem_alloc() - a > 0
grows(1)
print(sys.maxsize, grows((1 << 29) + 1), wrap(0x40000000))
"""


def test_the_interpreter_has_the_word_size_of_its_port():
    maxsize, allocated, wrapped = run_mpy(CODE).split()
    if current_port() == "unix32":
        assert int(maxsize) == 2**31 - 1
        assert allocated == "True"
        assert int(wrapped) == -(2**31)
    else:
        assert int(maxsize) == 2**63 - 1
        assert allocated == "False"
        assert int(wrapped) == 2**31
