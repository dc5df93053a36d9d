"""`#B` batch frames: what the host's numpy encoder writes the firmware
decodes to the same samples as their `#S` frames, on MicroPython, through
the console whether it reads byte by byte or in bulk; damage is rejected and
decoding allocates nothing."""

import json

import numpy as np
import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

from host_tools.protocol import frames

# (tick, press_dpa, ax, ay, az, vbatt_mv, flags): the fields' extremes and a few
# ordinary samples
SAMPLES = [
    (0, 0, 0, 0, 0, 0, 0),
    ((1 << 30) - 1, 0xFFFFFF, -0x800000, 0x7FFFFF, -1, 65535, 7),
    (123456, 1013250, 12, -40, 1000, 4012, 3),
    (1000, 1100000, -200000, 200000, 981, 3700, 2),
    (1010, 5000, 7, -7, -981, 4100, 1),
    (1020, 21, 0, 5, 10, 4200, 3),
    (1030, 999999, 1, 2, 3, 4, 3),
    (1040, 42, -3, -2, -1, 1, 0),
    (1050, 77, 70, 700, 7000, 3333, 3),
]


def batch(samples):
    ticks = [s[0] for s in samples]
    readings = np.array([s[1:] for s in samples], dtype=np.int64).T
    return frames.batch_records(ticks, readings)


def decode(frame_list):
    out = run_mpy(
        file=SCRIPTS / "simlink_batch_decode.py", stdin=json.dumps([f.hex() for f in frame_list])
    ).splitlines()
    return out[:-1], int(out[-1].split()[1])


def test_a_batch_decodes_on_micropython_to_its_samples_and_allocates_nothing():
    records = batch(SAMPLES)
    sent = [frames.batch_frame(records[:8]), frames.batch_frame(records[8:])]
    assert len(sent[0]) == 3 + 8 * 25 + 3
    lines, alloc = decode(sent)
    assert [tuple(int(x) for x in line.split()) for line in lines] == SAMPLES
    assert alloc == 0


def test_any_single_damaged_byte_is_rejected():
    good = frames.batch_frame(batch(SAMPLES[2:5]))
    bad = []
    for i in range(3, len(good)):
        for replacement in (b"/", b"p", b"0", b"o", b"\n"):
            if good[i : i + 1] != replacement:
                bad.append(good[:i] + replacement + good[i + 1 :])
    lines, _ = decode([good, *bad])
    assert lines[0].split()[0] == str(SAMPLES[2][0])
    assert lines[3:] == ["bad"] * len(bad)


def test_batch_frames_are_printable_and_never_start_a_power_cut():
    assert frames.batch_frames([], np.zeros((6, 0), dtype=np.int64)) == b""
    ticks = [s[0] for s in SAMPLES]
    readings = np.array([s[1:] for s in SAMPLES], dtype=np.int64).T
    data = frames.batch_frames(ticks, readings)
    assert data == b"".join(frames.batch_frame(r) for r in (batch(SAMPLES)[:8], batch(SAMPLES)[8:]))
    assert all(32 <= b < 127 for b in data.replace(b"\n", b""))
    assert b"#R" not in data and b"\x03" not in data


def test_a_frame_holds_one_to_eight_samples():
    with pytest.raises(ValueError):
        frames.batch_frame(batch(SAMPLES))  # 9


@pytest.mark.parametrize("bulk", [False, True])
def test_the_console_takes_whole_batches_read_byte_by_byte_or_in_bulk(tmp_path, bulk):
    records = batch(SAMPLES)
    stream = b"".join(
        [frames.batch_frame(records[:8]), frames.sync_frame(1), frames.batch_frame(records[8:])] * 3
    )
    path = tmp_path / "stream.bin"
    path.write_bytes(stream)
    lines = run_mpy(
        file=SCRIPTS / "simlink_batch_console.py", args=[path, int(bulk)], extra_path=[SUPPORT]
    ).splitlines()
    want = [f"{s[0]} {s[4]}" for s in SAMPLES[:8]] + ["Y 1"] + [f"{SAMPLES[8][0]} {SAMPLES[8][4]}"]
    assert lines == want * 3
