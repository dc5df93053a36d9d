"""The flight recorder: written on MicroPython (firmware/flightlog.py), read on
CPython by the host decoder (host_tools/protocol/flightlog.py) and checked against the
inputs, which both sides generate from the same small formula
(tests/support/flightlog_gen.py)."""

import itertools
import struct
import zlib
from pathlib import Path

import pytest
from flightlog_gen import fix_fields, sample_args
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import SCRIPTS, SUPPORT, run_mpy

from host_tools.protocol.flightlog import decode_bytes, decode_path, scan_blocks

TICKS_PERIOD = 1 << 30
SMALL_INT_MAX = (1 << 30) - 1


def expected_axis(v_mg):
    """What the log keeps of an axis: nearest 10 mg, clipped to int16 steps."""
    steps = (v_mg + 5) // 10
    return max(-32768, min(32767, steps)) * 10, not -32768 <= steps <= 32767


def concat_segments(directory):
    return b"".join(p.read_bytes() for p in sorted(Path(directory).glob("*.fl")))


# ---------------------------------------------------------------- CRC
def test_block_crc_is_zlib_crc32_in_native_and_python_versions():
    out = run_mpy(file=SCRIPTS / "flightlog_crc.py")
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
        file=SCRIPTS / "flightlog_round_trip.py",
        args=[directory, n, step_ms],
        extra_path=[SUPPORT],
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
    run_mpy(file=SCRIPTS / "flightlog_one_file.py", args=[directory], extra_path=[SUPPORT])
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


def test_power_cut_at_every_flash_write_loses_no_saved_record_and_the_log_continues(
    tmp_path,
):
    out = run_mpy(
        file=SCRIPTS / "flightlog_power_cut.py",
        args=[tmp_path],
        extra_path=[SUPPORT],
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
    run_mpy(file=SCRIPTS / "flightlog_torn.py", args=[log_dir, 0], extra_path=[SUPPORT])
    (seg,) = sorted(log_dir.glob("*.fl"))
    data = seg.read_bytes()
    assert len(data) % 512 == 0 and len(data) >= 3 * 512
    seg.write_bytes(data[: len(data) - 300])  # the last write reached flash only in part
    session, segment = run_mpy(
        file=SCRIPTS / "flightlog_torn.py", args=[log_dir, 100], extra_path=[SUPPORT]
    ).split()
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
    out = run_mpy(file=SCRIPTS / "flightlog_reopen.py", args=[log_dir])
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
    out = run_mpy(file=SCRIPTS / "flightlog_week.py", args=[log_dir])
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
    out = run_mpy(file=SCRIPTS / "flightlog_full.py", args=[log_dir])
    full, dropped, protected = out.split()
    assert full == "True" and int(dropped) > 0 and protected == "3"
    log = decode_path(log_dir)
    kept = [r.press_dpa for r in log.records]
    # 3 segments x 2 blocks x 15 slots, less a header pair per segment and the boot event
    assert kept == list(range(3 * 2 * 15 - 3 * 2 - 1))


# ---------------------------------------------------------- allocation


def test_record_allocates_nothing_per_sample_even_when_blocks_are_written(tmp_path):
    out = run_mpy(file=SCRIPTS / "flightlog_alloc.py", args=[tmp_path], timeout=120)
    rows = [line.split() for line in out.splitlines()]
    assert len(rows) == 4
    for crc, where, used, blocks in rows:
        assert int(blocks) >= 100, (crc, where)  # the window includes many block writes
        assert int(used) == 0, f"{used} bytes allocated over 2000 samples ({crc} CRC, {where})"


# ------------------------------------------------------ bad input, clear
def test_bad_input_is_counted_never_raised_and_never_logged_as_garbage(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(file=SCRIPTS / "flightlog_bad_input.py", args=[log_dir])
    assert int(out) >= 5
    log = decode_path(log_dir)
    assert log.ok
    assert [r.press_dpa for r in log.records] == [1, 9, 10]
    assert [e.name for e in log.events] == ["boot"]


def test_clear_is_refused_in_flight_and_empties_the_log_when_disarmed(tmp_path):
    log_dir = tmp_path / "log"
    out = run_mpy(file=SCRIPTS / "flightlog_clear.py", args=[log_dir])
    assert out.split() == ["False", "True", "1"]
    log = decode_path(log_dir)
    assert [r.press_dpa for r in log.records] == [1000 + i for i in range(5)]
    assert [e.describe() for e in log.events] == ["log: cleared 0"]


def test_a_flash_write_error_is_counted_and_logging_moves_to_another_segment(tmp_path):
    out = run_mpy(file=SCRIPTS / "flightlog_write_error.py")
    errors, writing = out.split()
    assert int(errors) >= 1 and writing == "True"


# --------------------------------------------------------------- ranges
def test_every_int_the_recorder_keeps_stays_a_small_int_after_weeks_and_extreme_input(tmp_path):
    """Run a month of 1/min beacon with the latest possible date and extreme
    sample values, then check every int attribute of the recorder (sequence,
    uptime, UTC packing, tick anchors) is below 2**30 in magnitude."""
    out = run_mpy(
        file=SCRIPTS / "flightlog_ranges.py", args=[tmp_path / "log"], extra_path=[SUPPORT]
    )
    worst, up_s, date, time_ms = map(int, out.split())
    assert worst <= SMALL_INT_MAX
    assert up_s == 31 * 24 * 3600 and date == 99991231 and time_ms == 235960999


def test_block_and_record_layout_matches_the_documented_sizes():
    assert struct.calcsize("<BBBBIiiiihhhH") == 32
    blocks, damage = scan_blocks(b"")
    assert blocks == [] and damage == []
