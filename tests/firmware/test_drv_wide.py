"""drv_wide.Acc: exact wide integers from small ints, checked against Python's
unbounded ints (CPython, every intermediate asserted below 2**30) and run on
MicroPython (same answers, no allocation)."""

import random

from cpython_firmware import import_firmware
from drv_oracles import Small
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mpy import DRIVERS, SUPPORT, run_mpy

RANGE = 1 << 83
SMALL = st.integers(-(1 << 30) + 1, (1 << 30) - 1)


def value(acc):
    return sum(int(limb) << (14 * i) for i, limb in enumerate(acc.d))


def c_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


@settings(max_examples=300, deadline=None)
@given(
    SMALL,
    SMALL,
    SMALL,
    st.integers(0, 60),
    st.integers(0, 40),
    st.integers(1, (1 << 30) - 1),
)
def test_operations_are_exact_and_every_intermediate_is_a_small_int(x, y, z, sr, sl, den):
    drv_wide = import_firmware("drv_wide", DRIVERS)
    a = drv_wide.Acc()
    b = drv_wide.Acc()
    a.set_int(Small(x))
    assert value(a) == x
    a.mul(Small(y))
    v = x * y
    assert value(a) == v
    assume(abs(v * z) < RANGE and abs(v * z) << sl < RANGE)
    a.mul(Small(z))
    v *= z
    assert value(a) == v
    a.shr(Small(sr))
    v >>= sr
    assert value(a) == v
    a.shl(Small(sl))
    v <<= sl
    assert value(a) == v
    b.set_int(Small(z))
    a.add(b).sub(b).sub(b)
    v -= z
    assert value(a) == v
    a.add_int(Small(x))
    v += x
    assert value(a) == v
    a.neg()
    v = -v
    assert value(a) == v
    a.div(Small(den))
    assert value(a) == c_div(v, den) and a.rem == abs(v) % den
    v = c_div(v, den)
    a.overflow = False
    got = a.to_int()
    if -(1 << 30) < v < (1 << 30):
        assert got == v and not a.overflow
    else:
        assert got == 0 and a.overflow


def test_division_by_small_and_large_divisors_truncates_toward_zero_like_c():
    drv_wide = import_firmware("drv_wide", DRIVERS)
    a = drv_wide.Acc()
    rnd = random.Random(9)
    for _ in range(3000):
        hi = rnd.randrange(-(1 << 29), 1 << 29)
        lo = rnd.randrange(0, 1 << 30)
        den = rnd.choice([1, 2, 3, 65535, 65536, 65537, rnd.randrange(1, 1 << 30)])
        v = hi * (1 << 30) + lo
        a.set_int(Small(hi)).shl(30).add(drv_wide.Acc().set_int(Small(lo)))
        assert value(a) == v
        a.div(Small(den))
        assert value(a) == c_div(v, den)


def test_micropython_gives_the_same_answers_without_allocating():
    rnd = random.Random(4)
    cases = [
        (rnd.randrange(-(1 << 29), 1 << 29), rnd.randrange(-(1 << 29), 1 << 29), rnd.randrange(50))
        for _ in range(200)
    ]
    expected = [c_div(((x * y) >> s) * 3 + x, 1000003) for x, y, s in cases]
    expected = [v if abs(v) < (1 << 30) else 0 for v in expected]
    out = run_mpy(
        f"""
import drv_wide, heap_probe
a = drv_wide.Acc()
def f(x, y, s):
    return a.set_int(x).mul(y).shr(s).mul(3).add_int(x).div(1000003).to_int()
for x, y, s in {cases!r}:
    print(f(x, y, s))
def many():
    for i in range(500):
        f(123456789, -98765432, 11)
many()
print("alloc", heap_probe.alloc_of(many))
""",
        extra_path=[SUPPORT],
    )
    lines = out.strip().split("\n")
    assert [int(v) for v in lines[:-1]] == expected
    assert lines[-1] == "alloc 0"
