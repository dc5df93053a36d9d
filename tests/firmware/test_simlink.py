"""Sample frames decode exactly on MicroPython, reject damage, and allocate nothing."""

from mpy import run_mpy

from host_tools.protocol.frames import sample_frame


def decode(frames):
    code = f"""
import simlink, sample, gc
s = sample.Sample()
for raw in {[f[2:] for f in frames]!r}:
    t = simlink.decode_sample(bytearray(raw), s)
    print(t, s.press_dpa, s.ax_mg, s.ay_mg, s.az_mg, s.vbatt_mv, int(s.baro_ok), int(s.accel_ok), int(s.arm_input))
body = bytearray({frames[0][2:]!r})
n = 0
a = 0  # every global exists before measuring: a new one can grow the dict
gc.collect(); a = gc.mem_alloc()
while n < 500:
    simlink.decode_sample(body, s)
    n += 1
print("alloc", gc.mem_alloc() - a)
"""
    lines = run_mpy(code).splitlines()
    return [line.split() for line in lines[:-1]], int(lines[-1].split()[1])


def test_fields_round_trip_including_negative_and_extreme_values():
    frames = [
        sample_frame(0, 0, (0, 0, 0), 0, baro_ok=False, accel_ok=False),
        sample_frame((1 << 30) - 1, 1100000, (-200000, 200000, -1), 65535, arm_input=True),
        sample_frame(123456, 1013250, (12, -40, 1000), 4012),
    ]
    rows, alloc = decode(frames)
    assert rows[0] == ["0", "0", "0", "0", "0", "0", "0", "0", "0"]
    assert rows[1] == [
        str((1 << 30) - 1),
        "1100000",
        "-200000",
        "200000",
        "-1",
        "65535",
        "1",
        "1",
        "1",
    ]
    assert rows[2] == ["123456", "1013250", "12", "-40", "1000", "4012", "1", "1", "0"]
    assert alloc == 0


def test_any_single_corrupted_byte_is_rejected():
    good = sample_frame(5000, 1013250, (1, 2, 1000))
    bad = []
    for i in range(2, len(good)):
        for replacement in (b"0", b"F", b"g", b"\n"):
            if good[i : i + 1] != replacement:
                bad.append(good[:i] + replacement + good[i + 1 :])
    rows, _ = decode([good] + bad)
    assert rows[0][0] == "5000"
    accepted = [bad[k] for k, row in enumerate(rows[1:]) if row[0] != "-1"]
    assert accepted == []
