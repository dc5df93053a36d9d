"""The flight recorder: written on MicroPython (firmware/flightlog.py), read on
CPython by the host decoder (host_tools/protocol/flightlog.py) and checked against the
inputs, which both sides generate from the same small formula (GEN)."""

import itertools
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import run_mpy

from host_tools.protocol.flightlog import decode_bytes, decode_path, scan_blocks

TICKS_PERIOD = 1 << 30
SMALL_INT_MAX = (1 << 30) - 1

# Sample and fix inputs as a function of the sample index: signs, extremes
# (|v| up to 2**30 - 1, the largest small int on a 32-bit port) and axis
# values beyond the logged range. Executed on both interpreters.
GEN = """
BIG = (1 << 30) - 1

def sample_args(i):
    s = -1 if i % 2 else 1
    press = BIG if i % 11 == 3 else (-BIG if i % 11 == 4 else 1013250 - 37 * i)
    alt = s * (i * 12345 % BIG)
    speed = -BIG if i % 13 == 5 else s * i * 7
    accel = BIG if i % 13 == 6 else -i * 3
    ax = s * (i * 997 % 400000)
    ay = -5 if i % 3 == 0 else 1234 + i
    az = 15 * s
    vbatt = 70000 if i % 17 == 1 else (-1 if i % 17 == 2 else 3000 + i)
    pyro = i & 0x0F
    return (press, alt, speed, accel, ax, ay, az, vbatt, pyro)

def fix_fields(i):
    s = -1 if i % 2 else 1
    return {
        "mode": 3 if i % 4 else 2,
        "sats": i % 40,
        "lat_deg": s * (i % 91),
        "lat_e7r": s * (i * 7919 % 10000000),
        "lon_deg": -s * (i % 181),
        "lon_e7r": -s * (i * 104729 % 10000000),
        "alt_cm": -BIG if i % 5 == 1 else i * 1000,
        "alt_ok": i % 3 != 2,
        "speed_cms": 99999 if i % 7 == 0 else i,
        "speed_ok": True,
        "course_cdeg": i * 100 % 36000,
        "course_ok": i % 2 == 0,
        "hdop_c": 80 + i % 50,
        "year": 2026 if i >= 6 else 0,
        "month": 3, "day": 14, "hour": 23, "minute": 59, "second": 58, "ms": 250,
        "time_ok": i >= 6,
    }
"""
_ns = {}
exec(GEN, _ns)  # noqa: S102 -- the same input formula runs on both interpreters
sample_args = _ns["sample_args"]
fix_fields = _ns["fix_fields"]


def expected_axis(v_mg):
    """What the log keeps of an axis: nearest 10 mg, clipped to int16 steps."""
    steps = (v_mg + 5) // 10
    return max(-32768, min(32767, steps)) * 10, not -32768 <= steps <= 32767


def concat_segments(directory):
    return b"".join(p.read_bytes() for p in sorted(Path(directory).glob("*.fl")))


# ---------------------------------------------------------------- CRC
def test_block_crc_is_zlib_crc32_in_native_and_python_versions():
    out = run_mpy(
        """
import flightlog
from array import array
out = array('H', (0, 0))
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
"""
    )
    lines = out.split("\n")
    assert lines[-2] == "native"
    for line in lines[:-2]:
        n, hexbuf, nlo, nhi, plo, phi = line.split()
        want = zlib.crc32(bytes.fromhex(hexbuf)[: int(n)])
        assert (int(nlo) | int(nhi) << 16) == want
        assert (int(plo) | int(phi) << 16) == want


# ---------------------------------------------------------- round trip
def write_round_trip_log(directory, n, step_ms=61000):
    run_mpy(
        GEN
        + f"""
import clock, flightlog, fix
c = clock.VirtualClock(clock.TICKS_PERIOD - 30 * 60000)  # wraps during the run
log = flightlog.FlightLog({str(directory)!r}, c, board_name="capsule-7",
                          fw_version="1.2.3-rc1", config_hash=123456789,
                          block_bytes=1024, segment_blocks=64, segments=3)
assert log.open()
fx = fix.Fix()
for i in range({n}):
    c.advance_ms({step_ms})
    if i % 3 == 0:
        for k, v in fix_fields(i).items():
            setattr(fx, k, v)
        fx.rx_ms = c.now_ms()
    assert log.record(i % 7, *sample_args(i), fx), i
    if i % 10 == 0:
        log.event(flightlog.EV_FIRE, i % 2, -i)
log.close()
print(log.stats())
"""
    )


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, mpy_port):
    directory = tmp_path_factory.mktemp("roundtrip")
    n = 400
    write_round_trip_log(directory, n)
    return decode_path(directory), n


def test_round_trip_keeps_every_sample_field_by_field(round_trip):
    log, n = round_trip
    assert log.ok, log.damage
    assert [r.press_dpa for r in log.records] == [sample_args(i)[0] for i in range(n)]
    for i, r in enumerate(log.records):
        press, alt, speed, accel, ax, ay, az, vbatt, pyro = sample_args(i)
        assert r.phase == i % 7
        assert (r.press_dpa, r.alt_cm, r.speed_cms, r.accel_cms2) == (press, alt, speed, accel)
        axes = [expected_axis(v) for v in (ax, ay, az)]
        assert (r.ax_mg, r.ay_mg, r.az_mg) == tuple(a for a, _ in axes)
        assert r.axis_clipped == any(c for _, c in axes)
        assert r.vbatt_mv == max(0, min(65535, vbatt))
        assert r.pyro_bits == pyro
        assert r.session == 0


def test_round_trip_keeps_the_fix_with_degree_and_remainder_split(round_trip):
    log, n = round_trip
    indices = [i for i in range(n) if i % 3 == 0]
    assert len(log.fixes) == len(indices)
    for i, f in zip(indices, log.fixes):
        want = fix_fields(i)
        for k in ("mode", "sats", "lat_deg", "lat_e7r", "lon_deg", "lon_e7r", "alt_cm"):
            assert getattr(f, k) == want[k], (i, k)
        assert f.alt_ok == want["alt_ok"] and f.course_ok == want["course_ok"]
        assert f.speed_cms == min(65535, want["speed_cms"])
        assert f.course_cdeg == want["course_cdeg"] and f.hdop_c == want["hdop_c"]
        assert f.lat == pytest.approx(want["lat_deg"] + want["lat_e7r"] / 1e7, abs=1e-9)


def test_round_trip_header_names_the_board_firmware_config_and_start(round_trip):
    log, _ = round_trip
    h = log.header
    assert (h.board_name, h.fw_version, h.config_hash) == ("capsule-7", "1.2.3-rc1", 123456789)
    assert h.start_ms == TICKS_PERIOD - 30 * 60000 and h.session == 0


def test_flight_time_is_continuous_across_the_tick_wrap(round_trip):
    log, n = round_trip
    ticks = [r.t_ms for r in log.records]
    assert any(b < a for a, b in itertools.pairwise(ticks)), "the run must cross the wrap"
    times = [r.t_s for r in log.records]
    assert times == pytest.approx([61.0 * (i + 1) for i in range(n)])


def test_events_and_the_utc_time_tie_are_logged(round_trip):
    log, n = round_trip
    fires = log.fires()
    assert [(e.a, e.b) for e in fires] == [(i % 2, -i) for i in range(0, n, 10)]
    utc = [e for e in log.events if e.name == "utc"]
    assert len(utc) == 1  # once per session, from the first fix that knows the date
    assert (utc[0].a, utc[0].b) == (20260314, 235958250)
    # the first fix with a date is sample 6, whose fix tick is that sample's tick
    assert utc[0].t_s == pytest.approx(log.records[6].t_s)
    assert log.utc_at(log.records[6].t_s).isoformat() == "2026-03-14T23:59:58.250000"


# --------------------------------------------------- tolerant decoding
@pytest.fixture(scope="module")
def one_file_log(tmp_path_factory, mpy_port):
    directory = tmp_path_factory.mktemp("onefile")
    run_mpy(
        GEN
        + f"""
import clock, flightlog
c = clock.VirtualClock(0)
log = flightlog.FlightLog({str(directory)!r}, c, block_bytes=512, segment_blocks=64, segments=3)
log.open()
for i in range(120):
    c.advance_ms(40)
    log.record(2, *sample_args(i), None)
log.close()
"""
    )
    (seg,) = sorted(directory.glob("*.fl"))
    return seg.read_bytes()


def test_cutting_the_file_at_any_byte_of_the_last_blocks_keeps_every_earlier_record(one_file_log):
    data = one_file_log
    bb = 512
    full = decode_bytes(data)
    assert full.ok and len(data) % bb == 0 and len(data) // bb >= 6
    per_block = {}
    for r in full.records:
        per_block.setdefault(r.seq, []).append(r.press_dpa)
    for cut in range(len(data) - 3 * bb, len(data) + 1):
        log = decode_bytes(data[:cut])
        whole = cut // bb
        want = [p for seq in range(whole) for p in per_block.get(seq, [])]
        assert [r.press_dpa for r in log.records] == want, cut
        if cut % bb:
            assert log.stopped_at is not None and log.stopped_at.offset == whole * bb
            assert "truncated" in log.stopped_at.reason
        else:
            assert log.stopped_at is None


def test_a_damaged_block_is_skipped_and_reported_and_the_rest_decodes(one_file_log):
    data = one_file_log
    bb = 512
    full = decode_bytes(data)
    for pos in (3 * bb, 3 * bb + 5, 3 * bb + 100, 4 * bb - 1):
        bad = bytearray(data)
        bad[pos] ^= 0x40
        log = decode_bytes(bytes(bad))
        assert [r.press_dpa for r in log.records] == [
            r.press_dpa for r in full.records if r.seq != 3
        ]
        assert [(d.offset, d.length) for d in log.damage] == [(3 * bb, bb)]
        assert log.seq_gaps == [(2, 4)]
    # garbage inserted between blocks: the decoder resynchronises after it
    spliced = data[: 2 * bb] + b"FL\x01\x09junk" * 7 + data[2 * bb :]
    log = decode_bytes(spliced)
    assert [r.press_dpa for r in log.records] == [r.press_dpa for r in full.records]
    assert [(d.offset, d.length) for d in log.damage] == [(2 * bb, 56)]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash_the_decoder_nor_decode_as_records(blob):
    log = decode_bytes(blob)
    assert not log.records and not log.events and not log.fixes
    assert sum(d.length for d in log.damage) == len(blob)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=700), st.integers(0, 8))
def test_junk_spliced_into_a_log_loses_no_whole_block(one_file_log, junk, where):
    bb = 512
    at = min(where, len(one_file_log) // bb) * bb
    log = decode_bytes(one_file_log[:at] + junk + one_file_log[at:])
    full = decode_bytes(one_file_log)
    assert [r.press_dpa for r in log.records] == [r.press_dpa for r in full.records]


# --------------------------------------------- power cut on LittleFS
POWER_CUT = """
import vfs, os, clock, flightlog, fix

BS = 512
NBLK = 160
SEG = dict(block_bytes=512, segment_blocks=4, segments=6)


class PowerCut(Exception):
    pass


class Flash:
    # LittleFS block device over a bytearray; flash operation number cut_at
    # (a program or an erase) is the last: torn leaves half of it done.
    def __init__(self, data, cut_at=-1, torn=False):
        self.data = data
        self.cut_at = cut_at
        self.torn = torn
        self.ops = 0
        self.dead = False

    def _op(self, at, n, src):
        if self.dead:
            raise PowerCut()
        if self.ops == self.cut_at:
            self.dead = True
            n = n // 2 if self.torn else 0
        for i in range(n) if src is None else ():
            self.data[at + i] = 0xFF
        if src is not None and n:
            self.data[at:at + n] = src[:n]
        if self.dead:
            raise PowerCut()
        self.ops += 1

    def readblocks(self, blk, buf, off=0):
        a = blk * BS + off
        buf[:] = self.data[a:a + len(buf)]

    def writeblocks(self, blk, buf, off=None):
        self._op(blk * BS + (off or 0), len(buf), buf)

    def ioctl(self, op, arg):
        if op == 4:
            return NBLK
        if op == 5:
            return BS
        if op == 6:
            self._op(arg * BS, BS, None)
        return 0


graveyard = []  # dead mounts stay referenced: no finaliser runs on them
n_mount = 0


def mount(dev):
    global n_mount
    n_mount += 1
    path = "/m%d" % n_mount
    fs = vfs.VfsLfs2(dev)
    vfs.mount(fs, path)
    graveyard.append(fs)
    return path


def phase_of(i):
    return 1 if i < 20 else 2 if i < 45 else 3 if i < 70 else 4 if i < 95 else 5 if i < 130 else 6


def fly(log, clk, fx, logged):
    for i in range(N_CALLS):
        ph = phase_of(i)
        clk.advance_ms(30000 if ph == 6 else 200)
        if i % 4 == 0:
            fx.mode = 3
            fx.rx_ms = clk.now_ms()
            fx.lat_e7r = i
        if log.record(ph, *sample_args(i), fx):
            logged.append(i)
        if i in (45, 70):
            log.event(flightlog.EV_FIRE, 0 if i == 45 else 1, i)


def dump(path, out):
    with open(out, "wb") as o:
        for name in sorted(os.listdir(path + "/log")):
            with open(path + "/log/" + name, "rb") as f:
                o.write(f.read())


N_CALLS = 420
blank = Flash(bytearray(b"\\xff" * (BS * NBLK)))
vfs.VfsLfs2.mkfs(blank)
formatted = blank.data

dev = Flash(bytearray(formatted))
p = mount(dev)
log = flightlog.FlightLog(p + "/log", clock.VirtualClock(1000), **SEG)
log.open()
logged = []
fly(log, log._clock, fix.Fix(), logged)
REF_OPS = dev.ops
print("REF", dev.ops, ",".join(str(i) for i in logged))
st = log.stats()
print("REFSTATS", st["segments_recycled"], st["blocks_written"])
dump(p, OUT + "/ref.bin")

for cut in range(REF_OPS):
    for torn in (False, True):
        dev = Flash(bytearray(formatted), cut, torn)
        p = mount(dev)
        log = flightlog.FlightLog(p + "/log", clock.VirtualClock(1000), **SEG)
        graveyard.append(log)
        saved = -1
        try:
            log.open()
            fly(log, log._clock, fix.Fix(), [])
        except PowerCut:
            saved = log._samples_saved
        assert saved >= 0  # every operation of the reference flight is cut once
        # reboot from the bytes that reached the flash
        dev2 = Flash(bytearray(dev.data))
        p = mount(dev2)
        log = flightlog.FlightLog(p + "/log", clock.VirtualClock(777), **SEG)
        graveyard.append(log)
        ok = log.open()
        for k in range(20):
            log._clock.advance_ms(1000)
            log.record(0, 2000000 + k, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
        log.close()
        out = OUT + "/cut%d_%d.bin" % (cut, torn)
        dump(p, out)
        print("CUT", cut, int(torn), saved, int(ok), out)
        # The mounts stay referenced (no finaliser may touch a dead flash);
        # only the flash images are released.
        dev.data = dev2.data = None
        dev.dead = dev2.dead = True
"""


def test_power_cut_at_every_flash_write_loses_no_saved_record_and_the_log_continues(
    tmp_path,
):
    out = run_mpy(
        GEN + f"OUT = {str(tmp_path)!r}\n" + POWER_CUT,
        heap="16M",
        timeout=300,
    )
    lines = out.splitlines()
    ref_line = next(x for x in lines if x.startswith("REF "))
    _, total_ops, logged_text = ref_line.split(" ", 2)
    logged = [int(x) for x in logged_text.split(",")]
    recycled, blocks = map(int, next(x for x in lines if x.startswith("REFSTATS")).split()[1:])
    assert recycled >= 1 and blocks >= 20, "the flight must fill and recycle segments"
    phase_of = _phase_of_power_cut_flight
    cuts = [x.split() for x in lines if x.startswith("CUT ")]
    assert len(cuts) == 2 * int(total_ops)  # every operation of the flight, both ways

    for _, cut, torn, saved, ok, path in cuts:
        where = f"cut at flash operation {cut} (torn={torn})"
        assert ok == "1", where
        log = decode_bytes(Path(path).read_bytes())
        assert log.ok, (where, log.damage)
        marker = range(2000000, 2000020)  # the samples written after the reboot
        after = [r for r in log.records if r.press_dpa in marker]
        first = [r for r in log.records if r.press_dpa not in marker]
        # no garbage: every record is exactly one of the flight's samples, in order
        idx = [_index_of(r) for r in first]
        assert idx == sorted(set(idx)), where
        for i, r in zip(idx, first):
            assert (r.press_dpa, r.alt_cm, r.speed_cms) == sample_args(i)[:3], where
            assert r.phase == phase_of(i), where
        # nothing saved before the cut is lost, except beacon records of the
        # oldest recycled segments: one run of consecutive records
        durable = logged[: int(saved)]
        missing = sorted(set(durable) - set(idx))
        assert all(phase_of(i) == 6 for i in missing), (where, missing)
        at = [durable.index(i) for i in missing]
        assert at == list(range(at[0], at[0] + len(at))) if at else True, (where, missing)
        # the recorder continued: a new session, later sequence numbers
        assert [r.press_dpa for r in after] == [2000000 + k for k in range(20)], where
        assert min(r.seq for r in after) > max((r.seq for r in first), default=-1), where
        assert all(r.session == 0 for r in first), where
        assert {r.session for r in after} == {1 if first else after[0].session}, where


def _phase_of_power_cut_flight(i):
    return 1 if i < 20 else 2 if i < 45 else 3 if i < 70 else 4 if i < 95 else 5 if i < 130 else 6


_PRESS_TO_INDEX = {}


def _index_of(r):
    if not _PRESS_TO_INDEX:
        for i in range(420):
            _PRESS_TO_INDEX.setdefault(sample_args(i)[:3], i)
    return _PRESS_TO_INDEX[(r.press_dpa, r.alt_cm, r.speed_cms)]


# ------------------------------------- torn tail on a plain file system
def test_a_torn_last_block_on_a_plain_file_system_is_skipped_and_logging_continues(tmp_path):
    log_dir = tmp_path / "log"
    script = (
        GEN
        + f"""
import clock, flightlog
log = flightlog.FlightLog({str(log_dir)!r}, clock.VirtualClock(0), block_bytes=512,
                          segment_blocks=8, segments=4)
log.open()
for i in range(START, START + 40):
    log._clock.advance_ms(40)
    log.record(2, *sample_args(i), None)
log.close()
print(log.stats()["session"], log.stats()["segment"])
"""
    )
    run_mpy("START = 0\n" + script)
    (seg,) = sorted(log_dir.glob("*.fl"))
    data = seg.read_bytes()
    assert len(data) % 512 == 0 and len(data) >= 3 * 512
    seg.write_bytes(data[: len(data) - 300])  # the last write reached flash only in part
    session, segment = run_mpy("START = 100\n" + script).split()
    assert session == "1" and segment != "0"  # never appends after a torn block
    log = decode_path(log_dir)
    kept = [r.press_dpa for r in log.records if r.session == 0]
    want = [sample_args(i)[0] for i in range(40)]
    assert kept == want[: len(kept)] and len(kept) >= 40 - 15
    assert [r.press_dpa for r in log.records if r.session == 1] == [
        sample_args(i)[0] for i in range(100, 140)
    ]
    assert len(log.damage) == 1 and "truncated" in log.damage[0].reason


def test_reopening_after_a_clean_shutdown_appends_to_the_same_segment(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(
        f"""
import clock, flightlog
for boot in range(3):
    log = flightlog.FlightLog({str(log_dir)!r}, clock.VirtualClock(5000 * boot),
                              block_bytes=512, segment_blocks=16, segments=4)
    log.open(reset_cause=boot + 10)
    for i in range(20):
        log._clock.advance_ms(1000)
        log.record(0, boot * 100 + i, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
    log.close()
    print(log.stats()["session"], log.stats()["segment"])
"""
    )
    assert out.split() == ["0", "0", "1", "0", "2", "0"]
    log = decode_path(log_dir)
    assert log.ok
    assert [r.press_dpa for r in log.records] == [b * 100 + i for b in range(3) for i in range(20)]
    boots = [(e.a, e.b) for e in log.events if e.name == "boot"]
    assert boots == [(0, 10), (1, 11), (2, 12)]
    assert sorted(log.headers) == [0, 1, 2]
    # without UTC the gap between boots is unknown: sessions follow each other
    assert log.session_gap_known == {0: True, 1: False, 2: False}
    times = [r.t_s for r in log.records]
    assert times == sorted(times)


# ------------------------------------------------ decimation and days
def test_decimation_keeps_a_week_of_beacon_without_losing_the_descent(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(
        f"""
import clock, flightlog, fix
c = clock.VirtualClock(0)
log = flightlog.FlightLog({str(log_dir)!r}, c, block_bytes=1024, segment_blocks=8,
                          segments=24)
log.open()
fx = fix.Fix()
n = 0
def run(phase, seconds, step_ms):
    global n
    for _ in range(seconds * 1000 // step_ms):
        c.advance_ms(step_ms)
        if c.now_ms() % 1000 < step_ms:
            fx.mode = 3
            fx.rx_ms = c.now_ms()
        log.record(phase, n, 0, 0, 0, 0, 0, 1000, 3700, 0, fx)
        n += 1
run(1, 3600, 100)     # an hour armed on the stand, 10 Hz loop
d0 = n
run(2, 60, 100)       # entry
run(3, 180, 100)      # drogue
run(4, 120, 100)      # main
run(5, 300, 100)      # landed
d1 = n
run(6, 7 * 86400, 10000)  # a week of beacon, one loop every 10 s
st = log.stats()
log.close()
print(d0, d1, n, st["full"], st["records_dropped"], st["segments_protected"],
      st["segments_recycled"])
"""
    )
    d0, d1, n, full, dropped, protected, recycled = out.split()
    d0, d1, n = int(d0), int(d1), int(n)
    assert full == "False" and dropped == "0"
    assert int(protected) >= 3  # the descent's segments
    assert int(recycled) > 50  # the beacon week went round the ring many times
    log = decode_path(log_dir)
    assert log.ok
    descent = [r.press_dpa for r in log.records if d0 <= r.press_dpa < d1]
    # every 100 ms sample from entry to one minute after landing, then 1/min
    detail_end = d0 + (60 + 180 + 120 + 60) * 10
    assert descent[: detail_end - d0] == list(range(d0, detail_end))
    assert len(descent) == detail_end - d0 + 4  # LANDED 60..300 s at one a minute
    beacon = [r for r in log.records if r.phase == 6]
    assert beacon and beacon[-1].press_dpa >= n - 6  # the latest beacon minute is there
    # flight time stays right across recycled segments: 10 s per beacon call
    for r in beacon:
        assert r.t_s == pytest.approx(d1 * 0.1 + (r.press_dpa - d1 + 1) * 10.0), r
    assert (beacon[-1].t_s - beacon[0].t_s) / 3600 > 12  # half a day of beacon history kept
    # the stand went round the ring too: only the minutes just before entry
    # (sharing a segment with the descent) are left
    stand = [r.press_dpa for r in log.records if r.phase == 1]
    assert stand and min(stand) > d0 - 10 * 600


def test_when_every_segment_holds_descent_the_recorder_stops_rather_than_overwrite(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(
        f"""
import clock, flightlog
c = clock.VirtualClock(0)
log = flightlog.FlightLog({str(log_dir)!r}, c, block_bytes=512, segment_blocks=2,
                          segments=3)
log.open()
for i in range(400):
    c.advance_ms(100)
    log.record(3, i, 0, 0, 0, 0, 0, 1000, 3700, 0, None)
st = log.stats()
print(st["full"], st["records_dropped"], st["segments_protected"])
"""
    )
    full, dropped, protected = out.split()
    assert full == "True" and int(dropped) > 0 and protected == "3"
    log = decode_path(log_dir)
    kept = [r.press_dpa for r in log.records]
    # 3 segments x 2 blocks x 15 slots, less a header pair per segment and the boot event
    assert kept == list(range(3 * 2 * 15 - 3 * 2 - 1))


# ---------------------------------------------------------- allocation
ALLOC = """
import gc, os, vfs, clock, flightlog, fix


class FileFlash:
    # LittleFS block device over a host file: reads and writes without allocating
    def __init__(self, path, bs, n):
        self.bs = bs
        self.n = n
        self.ff = bytearray(b"\\xff" * bs)
        self.f = open(path, "w+b")
        for _ in range(n):
            self.f.write(self.ff)

    def readblocks(self, blk, buf, off=0):
        self.f.seek(blk * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, blk, buf, off=None):
        self.f.seek(blk * self.bs + (off or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:
            self.f.seek(arg * self.bs)
            self.f.write(self.ff)
        return 0


dev = FileFlash(TMP + "/flash.img", 512, 1024)
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/lfs")

c = clock.VirtualClock(0)
fx = fix.Fix()


def step(log, i):
    c.advance_ms(100)
    if i % 25 == 0:
        fx.mode = 3
        fx.rx_ms = c.now_ms()
        fx.lat_e7r = i
        fx.year = 2026
        fx.time_ok = True
    log.record(2 + (i // 500) % 4, 1013250 - i, i * 3, -i, 981, i, -i, 1000, 3700, 3, fx)
    if i % 100 == 0:
        log.event(flightlog.EV_FAULT, 7, i)


for crc in ("native", "python"):
    if crc == "python":
        flightlog.crc32_into = flightlog.crc32_into_py
    for where in (TMP + "/posix_" + crc, "/lfs/log_" + crc):
        log = flightlog.FlightLog(where, c, block_bytes=512, segment_blocks=4000, segments=3)
        log.open()
        for i in range(300):
            step(log, i)
        b0 = log.stats()["blocks_written"]
        gc.collect()
        a = gc.mem_alloc()
        for i in range(300, 2300):
            step(log, i)
        used = gc.mem_alloc() - a
        print(crc, where[:5], used, log.stats()["blocks_written"] - b0)
        log.close()
"""


def test_record_allocates_nothing_per_sample_even_when_blocks_are_written(tmp_path):
    out = run_mpy(f"TMP = {str(tmp_path)!r}\n" + ALLOC, timeout=120)
    rows = [line.split() for line in out.splitlines()]
    assert len(rows) == 4
    for crc, where, used, blocks in rows:
        assert int(blocks) >= 100, (crc, where)  # the window includes many block writes
        assert int(used) == 0, f"{used} bytes allocated over 2000 samples ({crc} CRC, {where})"


# ------------------------------------------------------ bad input, clear
def test_bad_input_is_counted_never_raised_and_never_logged_as_garbage(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(
        f"""
import clock, flightlog
c = clock.VirtualClock(0)
log = flightlog.FlightLog({str(log_dir)!r}, c, block_bytes=512, segment_blocks=8, segments=3)
log.open()
c.advance_ms(50)
log.record(2, 1, 2, 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, None, 2, 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, 1.5, "x", 3, 4, 5, 6, 7, 8, 0, None)
c.advance_ms(50)
log.record(2, 9, 2, 3, 4, 5, 6, 7, 8, 0, object())
c.advance_ms(50)
log.event("fire", 1, 2)
log.event(2, None, 2)
c.advance_ms(2000)
log.record(99, 10, 2, 3, 4, 5, 6, 7, 8, 0, None)
log.close()
print(log.stats()["bad_input"])
"""
    )
    assert int(out) >= 5
    log = decode_path(log_dir)
    assert log.ok
    assert [r.press_dpa for r in log.records] == [1, 9, 10]
    assert [e.name for e in log.events] == ["boot"]


def test_clear_is_refused_in_flight_and_empties_the_log_when_disarmed(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(
        f"""
import clock, flightlog
c = clock.VirtualClock(0)
log = flightlog.FlightLog({str(log_dir)!r}, c, block_bytes=512, segment_blocks=2, segments=4)
log.open()
for i in range(100):
    c.advance_ms(1000)
    log.record(2 if i < 60 else 5, i, 0, 0, 0, 0, 0, 0, 0, 0, None)
    if i == 30:
        print(log.clear())
print(log.clear())
for i in range(5):
    c.advance_ms(1000)
    log.record(0, 1000 + i, 0, 0, 0, 0, 0, 0, 0, 0, None)
log.close()
print(log.stats()["segments_used"])
"""
    )
    assert out.split() == ["False", "True", "1"]
    log = decode_path(log_dir)
    assert [r.press_dpa for r in log.records] == [1000 + i for i in range(5)]
    assert [e.describe() for e in log.events] == ["log: cleared 0"]


def test_a_flash_write_error_is_counted_and_logging_moves_to_another_segment(tmp_path):
    out = run_mpy(
        """
import vfs, clock, flightlog

class Flash:
    def __init__(self):
        self.data = bytearray(b"\\xff" * (512 * 128))
        self.fail = False
    def readblocks(self, blk, buf, off=0):
        a = blk * 512 + off
        buf[:] = self.data[a:a + len(buf)]
    def writeblocks(self, blk, buf, off=None):
        if self.fail:
            return -5  # EIO, as a flash driver reports it
        a = blk * 512 + (off or 0)
        self.data[a:a + len(buf)] = buf
    def ioctl(self, op, arg):
        return 128 if op == 4 else 512 if op == 5 else 0

dev = Flash()
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/f")
c = clock.VirtualClock(0)
log = flightlog.FlightLog("/f/log", c, block_bytes=512, segment_blocks=8, segments=4)
log.open()
for i in range(200):
    c.advance_ms(100)
    dev.fail = 40 <= i < 42
    log.record(3, i, 0, 0, 0, 0, 0, 0, 0, 0, None)
st = log.stats()
print(st["write_errors"], st["writing"])
"""
    )
    errors, writing = out.split()
    assert int(errors) >= 1 and writing == "True"


# --------------------------------------------------------------- ranges
def test_every_int_the_recorder_keeps_stays_a_small_int_after_weeks_and_extreme_input(tmp_path):
    """Run a month of 1/min beacon with the latest possible date and extreme
    sample values, then check every int attribute of the recorder (sequence,
    uptime, UTC packing, tick anchors) is below 2**30 in magnitude."""
    out = run_mpy(
        GEN
        + f"""
import clock, flightlog, fix
c = clock.VirtualClock(clock.TICKS_PERIOD - 1)
log = flightlog.FlightLog({str(tmp_path / "log")!r}, c, block_bytes=512, segment_blocks=8,
                          segments=6, config_hash=(1 << 30) - 1)
log.open()
fx = fix.Fix()
fx.mode = 3
fx.year, fx.month, fx.day = 9999, 12, 31
fx.hour, fx.minute, fx.second, fx.ms = 23, 59, 60, 999
fx.time_ok = True
fx.lat_deg, fx.lat_e7r, fx.lon_deg, fx.lon_e7r = -90, -9999999, -180, -9999999
worst = 0
for i in range(31 * 24 * 60):
    c.advance_ms(60000)
    fx.rx_ms = c.now_ms()
    log.record(6, *sample_args(i), fx)
    if i % 1000 == 0 or i < 10:
        for k, v in log.__dict__.items():
            if isinstance(v, int) and not isinstance(v, bool):
                worst = max(worst, abs(v))
print(worst, log._up_s, log._utc_date, log._utc_time)
"""
    )
    worst, up_s, date, time_ms = map(int, out.split())
    assert worst <= SMALL_INT_MAX
    assert up_s == 31 * 24 * 3600 and date == 99991231 and time_ms == 235960999


def test_block_and_record_layout_matches_the_documented_sizes():
    assert struct.calcsize("<BBBBIiiiihhhH") == 32
    blocks, damage = scan_blocks(b"")
    assert blocks == [] and damage == []
