"""Sensor models of the drop test: what the board reads, checked against the
firmware's own decoders (on MicroPython), the frame encoder, textbook gas dynamics
and the mounting convention of boards/README.md."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpy import run_mpy

from host_tools.protocol import frames
from host_tools.sim import atmosphere1976 as atm
from host_tools.sim import sensors
from host_tools.sim.physics import G0_M_S2, Truth
from host_tools.sim.sensors import Accel, Baro, Gnss, Noise, SerialNoise


def truth(t=0.0, alt=1000.0, mach=0.0, accel=G0_M_S2, landed=False, v=(0.0, 0.0, 0.0)):
    _, p, rho, a = atm.properties(alt)
    return Truth(
        t, alt, alt, 0.0, 0.0, v[0], v[1], v[2], mach * a, mach, p, rho, 288.0, accel, 0.0, landed
    )


def quiet_noise(seed=0):
    return Noise(np.random.default_rng(seed))


# -- frames ----------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    t=st.integers(0, 2**32 - 1),
    p=st.integers(-10, 0x1000010),
    a=st.tuples(*[st.integers(-0x900000, 0x900000)] * 3),
    v=st.integers(-5, 70000),
    f=st.integers(0, 7),
)
def test_clamping_frame_encoder_matches_the_in_range_one(t, p, a, v, f):
    def clamp(x, lo, hi):
        return max(lo, min(hi, x))

    s24 = (-0x800000, 0x7FFFFF)
    mine = frames.sample_frame(t, p, a, v, bool(f & 1), bool(f & 2), bool(f & 4))
    ref = frames.sample_frame_in_range(
        t, clamp(p, 0, 0xFFFFFF), *(clamp(x, *s24) for x in a), clamp(v, 0, 0xFFFF), f
    )
    assert mine == ref
    assert len(mine) == frames.SAMPLE_FRAME_BYTES == 45


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_batch_frame_encoder_matches_the_per_sample_encoder(n, seed):
    rng = np.random.default_rng(seed)
    ticks = rng.integers(0, 2**32, n)
    rows = np.vstack(
        [
            rng.integers(0, 0x1000000, n),
            rng.integers(-0x800000, 0x800000, (3, n)),
            rng.integers(0, 0x10000, n),
            rng.integers(0, 8, n),
        ]
    )
    # the extremes of every field too
    rows[:, 0] = (0xFFFFFF, -0x800000, 0x7FFFFF, -1, 0xFFFF, 7)
    one_by_one = b"".join(
        frames.sample_frame_in_range(int(ticks[j]), *(int(x) for x in rows[:, j])) for j in range(n)
    )
    assert frames.sample_frames(ticks, rows) == one_by_one


def _suite_pair(**faults):
    """Two identical sensor suites: one for the fused batch path, one for
    the per-sensor models it must reproduce."""

    def make():
        suite = sensors.SensorSuite(
            baro=Baro(bias_pa=-3.5, **faults.get("baro", {})),
            accel=Accel(mounting="-y+z-x", bias_mg=(20.0, -35.0, 7.0), **faults.get("accel", {})),
            battery=sensors.Battery(**faults.get("battery", {})),
            seed=11,
        )
        return suite

    return make(), make()


def _flight_batches(n_batches=60, batch=20, t0=-2.0):
    """Batches of (t, p, mach, accel, landed) lists through transonic flight,
    high deceleration and a landing."""
    rng = np.random.default_rng(5)
    out = []
    for b in range(n_batches):
        t = [t0 + (b * batch + j) * 0.01 for j in range(batch)]
        mach = [max(0.0, 2.5 - 0.05 * b + 0.01 * rng.standard_normal()) for _ in t]
        accel = [G0_M_S2 * (0.5 + 3000.0 * rng.random()) for _ in t]  # up to past the range
        p = [101325.0 * math.exp(-(30000.0 - 400.0 * b) / 8000.0) for _ in t]
        landed = [ti < 0.0 or b > 50 for ti in t]
        out.append((t, p, mach, accel, landed))
    return out


@pytest.mark.parametrize(
    "faults",
    [
        {},
        {"baro": {"extra_noise_pa": 40.0}},
        {"baro": {"stuck_at_s": 3.0}},
        {"baro": {"dead_at_s": 4.005}, "accel": {"dead_at_s": 6.0}},
        {"baro": {"lag_s": 0.0, "supersonic": "static"}},
        {"baro": {"resolution_pa": 0.0}},
        {"accel": {"oscillation_deg": 0.0}},
        {"baro": {"spike_per_h": 20000.0}},
        {"battery": {"cold_mv_per_c": 5.0, "thermal_tau_s": 3.0}},
    ],
    ids=[
        "healthy",
        "noisy",
        "stuck",
        "dead",
        "ideal-port",
        "unquantised",
        "no-swing",
        "spikes",
        "cold-battery",
    ],
)
def test_sensor_rows_for_a_batch_equal_the_per_sensor_models(faults):
    fused, reference = _suite_pair(**faults)
    for i, (t, p, mach, accel, landed) in enumerate(_flight_batches()):
        arm = i % 7 == 3
        rows = fused.sample_rows(t, p, mach, accel, landed, arm)
        values = reference.sample_batch(
            np.array(t), np.array(p), np.array(mach), np.array(accel), np.array(landed), arm
        )
        assert rows.dtype == np.int64 and rows.shape == (6, len(t))
        assert [tuple(col) for col in rows.T.tolist()] == values, f"batch {i}"
    # both leave the models in the same state for the next batch
    assert fused.baro._filtered == reference.baro._filtered
    assert fused.baro._last_dpa == reference.baro._last_dpa


def test_frames_decode_on_the_firmware_unchanged():
    sent = [
        frames.sample_frame(123456, 1013250, (10, -20, 1000), 4100),
        frames.sample_frame(2**30 - 5, 5000, (-200000, 0, 199999), 3700, baro_ok=False),
    ]
    code = f"""
import simlink, sample
s = sample.Sample()
for f in {sent!r}:
    t = simlink.decode_sample(f[2:], s)
    print(t, s.press_dpa, s.ax_mg, s.ay_mg, s.az_mg, s.vbatt_mv, s.baro_ok, s.accel_ok)
"""
    out = run_mpy(code).split("\n")
    assert out[0].split() == ["123456", "1013250", "10", "-20", "1000", "4100", "True", "True"]
    assert out[1].split() == [
        str(2**30 - 5),
        "5000",
        "-200000",
        "0",
        "199999",
        "3700",
        "False",
        "True",
    ]


# -- barometer -------------------------------------------------------------------------
def test_pitot_pressure_matches_the_normal_shock_tables():
    # NACA 1135 / any gas-dynamics table, gamma = 1.4: p02/p1
    assert sensors.pitot_pressure_pa(1.0, 1.0) == pytest.approx(1.8929, rel=1e-4)
    assert sensors.pitot_pressure_pa(1.0, 2.0) == pytest.approx(5.6404, rel=1e-4)
    assert sensors.pitot_pressure_pa(1.0, 3.0) == pytest.approx(12.061, rel=1e-4)
    assert sensors.pitot_pressure_pa(1.0, 0.5) == pytest.approx(1.1862, rel=1e-4)


def test_baro_reads_static_pressure_subsonic_and_far_more_supersonic():
    b = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=0.0)
    n = quiet_noise()
    p_static = atm.pressure_pa(20000.0)
    dpa, ok = b.read(truth(alt=20000.0, mach=0.3), n)
    assert ok and dpa == round(p_static * 10)
    dpa, ok = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=0.0).read(truth(alt=20000.0, mach=2.0), n)
    assert ok and dpa / 10.0 == pytest.approx(5.6404 * p_static, rel=1e-3)
    ideal = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=0.0, supersonic="static")
    assert ideal.read(truth(alt=20000.0, mach=2.0), n)[0] == round(p_static * 10)


def test_baro_clips_to_its_range_and_quantises():
    b = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=4.0, min_pa=1000.0)
    assert b.read(truth(alt=60000.0), quiet_noise())[0] == 10000  # a part that floors at 10 mbar
    b = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=0.0)
    assert b.read(truth(alt=60000.0), quiet_noise())[0] == round(atm.pressure_pa(60000.0) * 10)
    b = Baro(noise_pa=0.0, lag_s=0.0, resolution_pa=4.0)
    dpa, _ = b.read(truth(alt=123.0), quiet_noise())
    assert (dpa / 10.0) % 4.0 == pytest.approx(0.0, abs=1e-6)


def test_baro_lag_is_first_order():
    b = Baro(noise_pa=0.0, lag_s=0.5, resolution_pa=0.0)
    n = quiet_noise()
    p0, p1 = atm.pressure_pa(1000.0), atm.pressure_pa(0.0)
    b.read(truth(t=0.0, alt=1000.0), n)
    dpa = None
    for i in range(1, 51):  # a step to the ground, 0.5 s later
        dpa, _ = b.read(truth(t=i * 0.01, alt=0.0), n)
    assert dpa / 10.0 == pytest.approx(p0 + (p1 - p0) * (1 - math.exp(-1)), rel=1e-5)


def test_baro_noise_has_the_configured_spread():
    b = Baro(noise_pa=20.0, lag_s=0.0, resolution_pa=0.0)
    n = quiet_noise(3)
    vals = [b.read(truth(t=i * 0.01), n)[0] / 10.0 for i in range(4000)]
    assert np.std(vals) == pytest.approx(20.0, rel=0.06)
    assert np.mean(vals) == pytest.approx(atm.pressure_pa(1000.0), abs=1.5)


def test_baro_faults_stuck_and_dead():
    b = Baro(noise_pa=5.0, stuck_at_s=1.0)
    n = quiet_noise()
    before = [b.read(truth(t=t, alt=1000.0 - 50 * t), n)[0] for t in (0.0, 0.5, 0.99)]
    after = [b.read(truth(t=t, alt=1000.0 - 50 * t), n) for t in (1.0, 5.0, 9.0)]
    assert all(a == (before[-1], True) for a in after)
    dead = Baro(dead_at_s=2.0)
    assert dead.read(truth(t=1.0), n)[1]
    assert dead.read(truth(t=2.0), n) == (0, False)


# -- accelerometer ---------------------------------------------------------------------
def test_mounting_follows_the_board_readme_convention():
    # "-z+y+x": board -z along capsule x, board +y along capsule y, board +x along capsule z
    axes = sensors.parse_axes("-z+y+x")
    assert sensors.capsule_to_board((1.0, 2.0, 3.0), axes) == [3.0, 2.0, -1.0]
    assert sensors.capsule_to_board((1.0, 2.0, 3.0), sensors.parse_axes("+x+y+z")) == [
        1.0,
        2.0,
        3.0,
    ]
    for bad in ("+x+y", "+x+x+z", "*x+y+z", "+a+b+c", None):
        with pytest.raises(ValueError):
            sensors.parse_axes(bad)


def test_on_the_stand_gravity_reads_plus_one_g_on_z_and_minus_one_g_when_inverted():
    rest = sensors.rest_truth(-3.0, 0.0, 0.0)
    upright = Accel(noise_mg=0.0, resolution_mg=0.0)
    assert upright.read(rest, quiet_noise()) == ([0, 0, 1000], True)
    inverted = Accel(noise_mg=0.0, resolution_mg=0.0, mounting="+x-y-z")
    assert inverted.read(rest, quiet_noise()) == ([0, 0, -1000], True)
    sideways = Accel(noise_mg=0.0, resolution_mg=0.0, mounting="-z+y+x")
    assert sideways.read(rest, quiet_noise()) == ([1000, 0, 0], True)


def test_deceleration_reads_positive_on_z_and_clips_at_the_range():
    a = Accel(noise_mg=0.0, resolution_mg=0.0, oscillation_deg=0.0, range_g=16.0)
    reading, ok = a.read(truth(accel=7.5 * G0_M_S2), quiet_noise())
    assert ok and reading == [0, 0, 7500]
    reading, _ = a.read(truth(accel=40 * G0_M_S2), quiet_noise())
    assert reading[2] == 16000
    free_fall, _ = a.read(truth(accel=0.0), quiet_noise())
    assert free_fall == [0, 0, 0]


def test_pendulum_swing_keeps_the_magnitude_and_dead_accel_fails():
    a = Accel(noise_mg=0.0, resolution_mg=0.0, oscillation_deg=10.0)
    for t in np.linspace(0.1, 3.0, 7):
        x, _y, z = a.specific_force_mg(truth(t=float(t), accel=G0_M_S2))
        assert z > 980.0
        assert abs(x) <= 1000 * math.sin(math.radians(10.0)) + 1e-6
    dead = Accel(dead_at_s=5.0)
    assert dead.read(truth(t=5.0), quiet_noise()) == ((0, 0, 0), False)


# -- GNSS ----------------------------------------------------------------------------------
def test_nmea_checksums_are_the_xor_between_dollar_and_star():
    s = sensors.gga_sentence(1767225600.0, -29.5, 128.25, 12.3, 9, 0.9)
    text = s.decode()
    assert text.startswith("$GNGGA,000000.00,2930.00000,S,12815.00000,E,1,09,0.90,12.3,M")
    assert text.endswith("\r\n")
    body, cs = text[1:-2].split("*")
    x = 0
    for ch in body.encode():
        x ^= ch
    assert int(cs, 16) == x


def test_firmware_gnss_parser_reads_the_generated_sentences():
    utc = 1772330400.0  # 2026-03-01 02:00:00
    stream = b""
    for i, (lat, lon, alt) in enumerate([(-29.5123456, 128.0654321, 15.2), (51.25, -0.125, 80.0)]):
        stream += sensors.gga_sentence(utc + i, lat, lon, alt, 8, 1.1)
        stream += sensors.rmc_sentence(utc + i, lat, lon, 6.0, 270.0)
    stream += sensors.gga_sentence(utc + 2)  # no fix
    stream += sensors.rmc_sentence(utc + 2)
    code = f"""
import gnss, clock, json
r = gnss.GnssReader(None, clock.VirtualClock())
out = []
def on_epoch(rd):
    f = rd.fix
    out.append([f.mode, f.lat(), f.lon(), f.alt_cm, f.speed_cms, f.course_cdeg, f.year, f.month,
                f.day, f.hour, f.minute, f.second, rd.bad_checksum])
r.on_epoch = on_epoch
buf = {stream!r}
r.feed(buf, len(buf))
r.flush()
print(json.dumps(out))
"""
    epochs = json.loads(run_mpy(code).strip().splitlines()[-1])
    assert len(epochs) == 3
    first, second, nofix = epochs
    assert first[0] >= 2 and first[1] == pytest.approx(-29.5123456, abs=2e-7)
    assert first[2] == pytest.approx(128.0654321, abs=2e-7)
    assert first[3] == 1520
    assert first[4] == pytest.approx(600, abs=1)
    assert first[5] == 27000
    assert first[6:12] == [2026, 3, 1, 2, 0, 0]
    assert second[1] == pytest.approx(51.25, abs=2e-7) and second[2] == pytest.approx(
        -0.125, abs=2e-7
    )
    assert nofix[0] <= 1
    assert all(e[12] == 0 for e in epochs)


def test_gnss_has_no_fix_above_its_limits_and_reacquires_after():
    g = Gnss(first_fix_s=5.0, reacquire_s=10.0)
    fast_high = truth(t=0.0, alt=60000.0, v=(0.0, 0.0, -300.0))
    assert not g.update(fast_high)
    assert not g.update(truth(t=1.0, alt=45000.0, v=(0.0, 0.0, -600.0)))  # too fast
    assert not g.update(truth(t=2.0, alt=40000.0, v=(0.0, 0.0, -100.0)))
    assert g.update(truth(t=7.0, alt=39000.0, v=(0.0, 0.0, -100.0)))  # 5 s after good
    assert not g.update(truth(t=8.0, alt=55000.0, v=(0.0, 0.0, 0.0)))  # lost
    assert not g.update(truth(t=9.0, alt=30000.0, v=(0.0, 0.0, 0.0)))
    assert not g.update(truth(t=18.5, alt=30000.0, v=(0.0, 0.0, 0.0)))
    assert g.update(truth(t=19.0, alt=30000.0, v=(0.0, 0.0, 0.0)))  # reacquired after 10 s


def test_gnss_limit_logic_both_only_stops_when_both_limits_are_passed():
    g = Gnss(first_fix_s=0.0, limit_logic="both", blackout_speed_m_s=1e9)
    assert g.update(truth(t=0.0, alt=60000.0, v=(0.0, 0.0, -100.0)))
    assert not g.update(truth(t=1.0, alt=60000.0, v=(0.0, 0.0, -600.0)))


def test_gnss_that_never_fixes_still_talks_and_epochs_come_at_the_rate():
    g = Gnss(first_fix_s=0.0, never_fix=True, rate_hz=2.0)
    n = quiet_noise()
    due = [t / 100 for t in range(300) if g.due(t / 100)]
    assert due == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    sentences, pos = g.sentences(truth(t=1.0), 1.7e9, 10.0, 20.0, n)
    assert pos is None
    assert sentences[0].startswith(b"$GNGGA,") and b",0,00," in sentences[0]
    assert sentences[1].split(b",")[2] == b"V"


def test_gnss_position_noise_has_the_configured_spread():
    g = Gnss(first_fix_s=0.0, horizontal_noise_m=3.0)
    n = quiet_noise(5)
    norths = []
    for i in range(800):
        _, pos = g.sentences(truth(t=float(i)), 1.7e9 + i, 10.0, 20.0, n)
        norths.append((pos[0] - 10.0) * math.pi / 180.0 * 6371008.8)
    assert np.std(norths) == pytest.approx(3.0, rel=0.1)


# -- battery and link --------------------------------------------------------------------
def test_battery_drains_slowly():
    b = sensors.Battery(start_mv=4100.0, drain_mv_per_h=60.0, noise_mv=0.0)
    assert b.read(0.0, quiet_noise()) == 4100
    assert b.read(3600.0, quiet_noise()) == 4040


def test_serial_garbage_never_holds_a_frame_start_or_control_bytes():
    s = SerialNoise(garbage_per_s=1000.0, corrupt_fraction=1.0)
    n = quiet_noise(9)
    junk = b"".join(s.garbage(0.01, n) for _ in range(2000))
    assert len(junk) > 5000
    assert b"#" not in junk
    assert all(b >= 0x20 or b == 10 for b in junk)
    frame = frames.sample_frame(1, 2, (3, 4, 5), 6)
    bad = s.corrupt(frame, n)
    assert bad != frame and len(bad) == len(frame) and bad[:2] == b"#S"
    assert sum(a != b for a, b in zip(bad, frame)) == 1


def test_ticks_stay_below_the_boards_tick_period():
    frame = frames.sample_frame(2**30 + 7, 1, (0, 0, 0), 0)
    assert frame == frames.sample_frame(7, 1, (0, 0, 0), 0)
