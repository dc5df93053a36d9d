"""The GNSS reader (firmware/gnss.py) on MicroPython: exact conversions against
CPython oracles (fractions, pyubx2-built frames), navigation cycles, last good
fix, stream hygiene counters, UART polling, value ranges below 2**30 and zero
allocation per sentence over the real-receiver corpus."""

import random
from fractions import Fraction

import pytest
from gnss_cases import COUNTERS, FIX_FIELDS, gpsd_corpus, nmea
from mpy import SCRIPTS, SHARED, SUPPORT, needs_corpus, run_mpy
from pyubx2 import GET, UBXMessage

from host_tools.protocol.gnss_log import decode_log

GPSD = SHARED / "data" / "gpsd"


# MicroPython side: a reader printing each published cycle (tests/support/gnss_reader_rig.py)
READER = "from gnss_reader_rig import clk, r\n"

FIELDS = [*FIX_FIELDS, "rx_ms"]  # as show() prints them


def replay(tmp_path, data):
    """Feed `data` to a fresh reader on MicroPython and flush; parse the output."""
    path = tmp_path / "stream.bin"
    path.write_bytes(data)
    out = run_mpy(file=SCRIPTS / "gnss_replay.py", args=[path], extra_path=[SUPPORT])
    fixes, counts, other = [], None, []
    for line in out.splitlines():
        if line.startswith("F "):
            fixes.append(dict(zip(FIELDS, map(int, line.split()[1:]))))
        elif line.startswith("C "):
            counts = dict(zip(COUNTERS, map(int, line.split()[1:])))
        else:
            other.append(line)
    return fixes, counts, other


# ---------------------------------------------------------------- oracles


def e7_oracle(text, hemi):
    """ddmm.mmmm -> (deg, e7r) via exact fractions: minute digits past the 7th are
    dropped (documented), then degrees rounded half up to 1e-7, sign on both parts."""
    whole, _, frac = text.partition(".")
    frac = frac[:7]
    minutes = Fraction(int(whole[-2:])) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    e7_total = int(whole[:-2] or 0) * 10**7 + (minutes * 10**7 / 60 + Fraction(1, 2)) // 1
    deg, rem = divmod(int(e7_total), 10**7)
    sign = -1 if hemi in "SW" else 1
    return sign * deg, sign * rem


def knots_oracle(text):
    kn = Fraction(text[: text.index(".") + 4] if "." in text else text)
    return int(kn * 1852 * 100 / 3600 + Fraction(1, 2))  # cm/s, half up


def test_lat_lon_keep_the_sentence_resolution_exactly(tmp_path):
    rng = random.Random(5)
    sentences = []
    expected = []
    for i in range(300):
        digits = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9])
        lat = f"{rng.randrange(0, 90):02d}{rng.randrange(0, 60):02d}." + "".join(
            rng.choice("0123456789") for _ in range(digits)
        )
        lon = f"{rng.randrange(0, 180):03d}{rng.randrange(0, 60):02d}." + "".join(
            rng.choice("0123456789") for _ in range(digits)
        )
        if i < 6:  # the rounding edges: 59.99999995' rounds up into the next degree
            lat = ["0059.9999999", "8959.99999995", "0000.00000005"][i % 3]
            lon = ["17959.9999999", "00059.99999995", "00000.0000001"][i % 3]
        ns, ew = rng.choice("NS"), rng.choice("EW")
        t = f"{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}.00"
        kind = i % 4
        if kind == 0:
            body = f"GPGGA,{t},{lat},{ns},{lon},{ew},1,08,0.9,12.3,M,1.0,M,,"
        elif kind == 1:
            body = f"GNRMC,{t},A,{lat},{ns},{lon},{ew},0.1,0.0,010125,,,A"
        elif kind == 2:
            body = f"GLGLL,{lat},{ns},{lon},{ew},{t},A,A"
        else:
            body = f"GNGNS,{t},{lat},{ns},{lon},{ew},AAN,10,0.8,12.3,1.0,,,V"
        sentences.append(nmea(body))
        expected.append(e7_oracle(lat, ns) + e7_oracle(lon, ew))
    fixes, counts, _ = replay(tmp_path, b"".join(sentences))
    assert counts["good"] == 300 and counts["bad_fields"] == 0
    got = [(f["lat_deg"], f["lat_e7r"], f["lon_deg"], f["lon_e7r"]) for f in fixes]
    assert got == expected
    for f in fixes:  # deg and remainder carry the same sign, remainder below 1e7
        assert abs(f["lat_e7r"]) < 10**7 and abs(f["lon_e7r"]) < 10**7
        assert f["lat_deg"] * f["lat_e7r"] >= 0 and f["lon_deg"] * f["lon_e7r"] >= 0


def test_speed_course_altitude_hdop_time_convert_exactly(tmp_path):
    rng = random.Random(7)
    stream = []
    want = []
    for i in range(200):
        kn = f"{rng.randrange(0, 2000)}.{rng.randrange(0, 1000):03d}"
        course = f"{rng.randrange(0, 360)}.{rng.randrange(0, 100):02d}"
        alt = f"{rng.choice(['', '-'])}{rng.randrange(0, 40000)}.{rng.randrange(0, 10)}"
        hdop = f"{rng.randrange(0, 50)}.{rng.randrange(0, 100):02d}"
        ms = rng.randrange(0, 1000)
        t = f"{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}.{ms:03d}"
        stream.append(nmea(f"GNRMC,{t},A,4807.038,N,01131.000,E,{kn},{course},230394,,,A"))
        stream.append(nmea(f"GNGGA,{t},4807.038,N,01131.000,E,1,{i % 40:02d},{hdop},{alt},M,,M,,"))
        alt_cm = Fraction(alt) * 100
        want.append(
            {
                "year": 1994,
                "month": 3,
                "day": 23,
                "ms": ms,
                "speed_cms": knots_oracle(kn),
                "course_cdeg": int(Fraction(course) * 100),
                "alt_cm": int(alt_cm),
                "hdop_c": int(Fraction(hdop) * 100),
                "sats": i % 40,
                "mode": 3,
            }
        )
    fixes, counts, _ = replay(tmp_path, b"".join(stream))
    assert counts["good"] == 400
    for f, w in zip(fixes, want, strict=True):
        assert {k: f[k] for k in w} == w


def test_vtg_speed_in_knots_or_kmh_and_mode_n_is_ignored(tmp_path):
    stream = (
        nmea("GPRMC,120000.00,A,4807.038,N,01131.000,E,,,230394,,,A")
        + nmea("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K,A")
        + nmea("GPRMC,120001.00,A,4807.038,N,01131.000,E,,,230394,,,A")
        + nmea("GPVTG,054.7,T,034.4,M,,N,010.2,K,A")  # km/h only
        + nmea("GPRMC,120002.00,A,4807.038,N,01131.000,E,,,230394,,,A")
        + nmea("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K,N")  # not valid
        + nmea("GPRMC,120003.00,A,4807.038,N,01131.000,E,,,230394,,,A")
        + nmea("GPVTG,054.7,034.4,005.5,010.2")  # NMEA 1.x layout
    )
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts["good"] == 8 and counts["bad_fields"] == 0
    assert [(f["speed_ok"], f["speed_cms"], f["course_cdeg"]) for f in fixes] == [
        (1, knots_oracle("5.5"), 5470),
        (1, int(Fraction("10.2") * 100000 / 3600 + Fraction(1, 2)), 5470),
        (0, 0, 0),
        (1, knots_oracle("5.5"), 5470),
    ]


def test_one_fix_per_cycle_merges_the_cycle_and_publishes_when_time_changes(tmp_path):
    cycle = (
        "GPRMC,{t},A,3747.0873,S,17518.8938,E,0.69,181.39,311214,,,A",
        "GPGGA,{t},3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,23.7,M,,0000",
        "GPGSA,A,2,17,28,06,01,30,20,26,13,,,,,1.8,1.1,1.5",
        "GPGSV,3,1,12,17,72,207,32,28,59,095,31,06,35,347,25,01,29,132,23",
    )
    stream = b"".join(nmea(s.format(t=t)) for t in ("030719.000", "030720.000") for s in cycle)
    out_before_flush = run_mpy(
        READER
        + f"""
data = {stream!r}
r.feed(data, len(data))
print('epochs', r.epochs)
""",
        extra_path=[SUPPORT],
    )
    assert "epochs 1" in out_before_flush  # the second cycle is still open
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts["epochs"] == 2 and len(fixes) == 2
    f = fixes[0]
    assert (f["hour"], f["minute"], f["second"], f["year"], f["month"], f["day"]) == (
        3,
        7,
        19,
        2014,
        12,
        31,
    )
    assert f["mode"] == 2  # the receiver's GSA says 2-D, although GGA has an altitude
    assert f["alt_cm"] == 5990 and f["sats"] == 8 and f["hdop_c"] == 110
    assert f["speed_ok"] and f["course_cdeg"] == 18139
    assert counts["good"] == 6 and counts["unknown"] == 2


def test_configured_last_sentence_closes_the_cycle_at_once_and_late_duplicates_are_ignored():
    s = (
        nmea("GNRMC,101010.00,A,4807.038,N,01131.000,E,1.0,10.0,230394,,,A")
        + nmea("GNGGA,101010.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
        + nmea("GNGLL,4807.038,N,01131.000,E,101010.00,A,A")
        + nmea("GNZDA,101010.00,23,03,1994,00,00")  # late sentence of the closed cycle
    )
    out = run_mpy(
        READER
        + f"""
r.set_epoch_end(b'GLL')
data = {s!r}
for i in range(len(data)):
    r.feed_byte(data[i])
    if data[i] == 10:
        print('E', r.epochs)
""",
        extra_path=[SUPPORT],
    )
    assert [line for line in out.splitlines() if line.startswith("E")] == [
        "E 0",
        "E 0",
        "E 1",
        "E 1",
    ]


def test_silence_after_a_burst_closes_the_cycle_when_polled():
    burst = nmea("GPRMC,000001.00,A,4807.038,N,01131.000,E,0.0,0.0,010120,,,A") + nmea(
        "GPGGA,000001.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,"
    )
    out = run_mpy(file=SCRIPTS / "gnss_silence_uart.py", stdin=burst.hex())
    assert out.split() == ["0", "0", "0", "1", "3", "1"]


def test_silence_also_closes_a_cycle_fed_from_the_sim_link_without_a_uart():
    burst = nmea("GPRMC,000001.00,A,4807.038,N,01131.000,E,0.0,0.0,010120,,,A")
    out = run_mpy(file=SCRIPTS / "gnss_silence_fed.py", stdin=burst.hex())
    assert out.split() == ["0", "1", "2"]


def test_last_good_fix_is_kept_with_its_age_when_the_fix_is_lost():
    good = nmea("GPRMC,120000.00,A,5155.55307,N,00434.65949,E,0.152,,210810,,,A") + nmea(
        "GPGGA,120000.00,5155.55307,N,00434.65949,E,1,06,2.50,-5.1,M,46.0,M,,"
    )
    lost = [
        nmea(f"GPRMC,12000{s}.00,V,,,,,,,210810,,,N")
        + nmea(f"GPGGA,12000{s}.00,,,,,0,00,99.99,,,,,,")
        for s in (1, 2, 3)
    ]
    out = run_mpy(
        file=SCRIPTS / "gnss_last_good.py",
        stdin="\n".join(chunk.hex() for chunk in [good, *lost]),
        extra_path=[SUPPORT],
    )
    x = next(line for line in out.splitlines() if line.startswith("X")).split()[1:]
    assert x == ["1", "True", "3", "51", "9258845", "-510", "5000", "4000"]


def test_last_good_age_is_minus_one_before_any_fix():
    out = run_mpy(
        READER + "print(r.last_good_age_ms(), r.fix.mode, r.fix.has_position)", extra_path=[SUPPORT]
    )
    assert out.split()[-3:] == ["-1", "0", "False"]


def test_date_is_carried_to_cycles_without_one_but_not_past_midnight(tmp_path):
    stream = (
        nmea("GPRMC,235958.00,A,4807.038,N,01131.000,E,0.0,0.0,311224,,,A")
        + nmea("GPGGA,235959.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
        + nmea("GPGGA,000000.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
        + nmea("GPZDA,000001.00,01,01,2025,00,00")
        + nmea("GPGGA,000001.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
    )
    fixes, _, _ = replay(tmp_path, stream)
    assert [(f["year"], f["month"], f["day"], f["second"]) for f in fixes] == [
        (2024, 12, 31, 58),
        (2024, 12, 31, 59),
        (0, 0, 0, 0),  # a new UTC day: date unknown until RMC/ZDA says it
        (2025, 1, 1, 1),
    ]


def test_two_digit_years_map_to_1980_2079(tmp_path):
    stream = nmea("GPRMC,000001.00,V,,,,,,,220899,,,N") + nmea("GPRMC,000002.00,V,,,,,,,070419,,,N")
    fixes, _, _ = replay(tmp_path, stream)
    assert [(f["year"], f["mode"]) for f in fixes] == [(1999, 1), (2019, 1)]


def test_every_kind_of_bad_input_is_counted_and_skipped(tmp_path):
    good = nmea("GPGGA,000001.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
    bad_ck = bytearray(good)
    bad_ck[-4:-2] = b"00" if bad_ck[-4:-2] != b"00" else b"11"
    stream = (
        b"\x00\xff garbage \x01"  # 12 non-line-end bytes outside any sentence
        + good
        + bytes(bad_ck)  # bad checksum
        + b"$GPGGA,000003.00,4807.038,N,01"
        + good  # cut short by a new '$'
        + nmea("GPGGA," + "1" * 150)  # longer than LINE_MAX
        + b"$GPRMC,000004.00,A,4808\x00\x00\x00   \r\n"  # no *HH
        + nmea("GPGSV,3,1,12,17,72,207,32")  # not decoded
        + nmea("PGRME,15.0,M,45.0,M,25.0,M")  # proprietary
        + nmea("GPGGA,000005.00,48x7.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")  # bad digit
        + nmea("GPRMC,000006.00,A,4807.038,N,01131.000,E,0.0,0.0,310299,,,A")  # bad date
        + b"\xb5\x62\x01\x07\x05\x00\x01\x02\x03\x04\x05\x00\x00"  # UBX frame, bad checksum
        + b"\xb5\x62\x06\x01\xff\xff"  # UBX sync with an impossible length
        + good.replace(b"000001", b"000007")  # the checksum no longer matches
    )
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts == {
        "good": 2,
        "bad_checksum": 2,
        "unknown": 2,
        "overlong": 1,
        "truncated": 2,
        "bad_fields": 2,
        "garbage": 12 + 6 + 1,  # + the second checksum byte of the bad UBX frame
        "ubx_frames": 0,
        "ubx_bad": 1,
        "epochs": 1,
    }
    assert len(fixes) == 1 and fixes[0]["second"] == 1


def test_fix_is_unchanged_by_a_bad_sentence_of_the_next_cycle(tmp_path):
    good = nmea("GPGGA,000001.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
    wrong = bytearray(nmea("GPGGA,000002.00,1111.111,S,02222.222,W,1,05,1.0,99.0,M,0.0,M,,"))
    wrong[-3] ^= 0x01  # last checksum digit off by one
    fixes, counts, _ = replay(tmp_path, good + bytes(wrong) * 5)
    assert counts["bad_checksum"] == 5 and counts["epochs"] == 1
    assert (fixes[0]["lat_deg"], fixes[0]["alt_cm"]) == (48, 1000)


def nav_pvt(**kw):
    fields = {
        "iTOW": 0,
        "year": 2024,
        "month": 3,
        "day": 1,
        "hour": 0,
        "min": 0,
        "second": 0,
        "validDate": 1,
        "validTime": 1,
        "fullyResolved": 1,
        "nano": 0,
        "fixType": 3,
        "gnssFixOk": 1,
        "numSV": 14,
        "lon": 0,
        "lat": 0,
        "height": 0,
        "hMSL": 0,
        "gSpeed": 0,
        "headMot": 0,
        "pDOP": 1.0,
    }
    fields.update(kw)
    return UBXMessage("NAV", "NAV-PVT", GET, **fields).serialize()


def test_nav_pvt_frames_built_by_pyubx2_decode_exactly(tmp_path):
    cases = [
        (
            {
                "lat": -34.9062263,
                "lon": 138.6081197,
                "hMSL": 28849,
                "gSpeed": 16,
                "headMot": 31.47178,
            },
            None,
        ),
        (
            {
                "lat": 44.068854,
                "lon": -121.3141349,
                "hMSL": -1139862,
                "gSpeed": 2_000_000,
                "second": 4,
            },
            None,
        ),
        ({"lat": 89.9999999, "lon": 179.9999999, "hMSL": 49_999_999, "second": 1}, None),
        ({"lat": -89.9999999, "lon": -180.0, "second": 2, "nano": -400_000}, None),
        # 00:00:00 less 0.6 ms is the previous day (and month, in a leap year)
        ({"lat": 1e-7, "lon": -1e-7, "nano": -600_000}, (2024, 2, 29, 23, 59, 59, 999)),
        ({"year": 2025, "month": 1, "day": 1, "nano": -999_999_000, "second": 0}, (2024, 12, 31)),
        ({"second": 3, "gnssFixOk": 0}, "nofix"),
    ]
    stream = b"".join(nav_pvt(**c) + b"garbage in between" for c, _ in cases)
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts["ubx_frames"] == len(cases) and counts["ubx_bad"] == 0
    for (c, special), f in zip(cases, fixes, strict=True):
        if special == "nofix":
            assert f["mode"] == 1
            continue
        lat = round(c.get("lat", 0) * 1e7)
        lon = round(c.get("lon", 0) * 1e7)
        assert f["lat_deg"] * 10**7 + f["lat_e7r"] == lat
        assert f["lon_deg"] * 10**7 + f["lon_e7r"] == lon
        assert abs(f["lat_e7r"]) < 10**7 and abs(f["lon_e7r"]) < 10**7
        assert f["alt_cm"] == (c.get("hMSL", 0) + 5) // 10
        assert f["speed_cms"] == (c.get("gSpeed", 0) + 5) // 10
        assert f["course_cdeg"] == round(c.get("headMot", 0) * 100)
        assert f["sats"] == 14 and f["mode"] == 3
        if isinstance(special, tuple):
            got = (f["year"], f["month"], f["day"], f["hour"], f["minute"], f["second"], f["ms"])
            assert got[: len(special)] == special
    assert fixes[3]["ms"] == 0 and fixes[3]["second"] == 2  # -0.4 ms rounds to the second


def test_nav_eoe_closes_the_cycle_without_waiting_for_the_next():
    frames = nav_pvt(lat=10.0, lon=20.0) + UBXMessage("NAV", "NAV-EOE", GET, iTOW=0).serialize()
    out = run_mpy(
        READER
        + f"""
data = {frames!r}
r.feed(data, len(data))
print('E', r.epochs, r.fix.lat_deg, r.fix.lon_deg)
""",
        extra_path=[SUPPORT],
    )
    assert "E 1 10 20" in out


def test_values_stay_below_2_30_for_extreme_inputs(tmp_path):
    stream = (
        nmea("GNRMC,235959.999,A,8959.9999999,N,17959.9999999,W,1999.999,359.99,311299,,,A")
        + nmea("GNGGA,235959.999,8959.9999999,S,17959.9999999,E,1,99,99.99,-99999.99,M,,M,,")
        + nmea("GNVTG,359.99,T,,M,,N,3699.999,K,A")
        + nav_pvt(lat=-90.0, lon=-180.0, hMSL=100_000_000, gSpeed=2_000_000, headMot=359.99999)
        + nav_pvt(lat=90.0, lon=180.0, hMSL=2**31 - 1, gSpeed=2**31 - 1, nano=10**9, second=5)
    )
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts["bad_fields"] == 0 and len(fixes) == 3
    for f in fixes:
        for name, value in f.items():
            assert abs(value) < 2**30, name
    assert fixes[0]["lat_deg"] == -90 and fixes[0]["lon_deg"] == 180
    assert fixes[2]["alt_ok"] == 0 and fixes[2]["speed_ok"] == 0  # implausible: dropped


def test_worst_case_intermediates_stay_below_2_30():
    out = run_mpy(file=SCRIPTS / "gnss_intermediates.py")
    for value in map(int, out.split()):
        assert abs(value) < 2**30


def test_poll_reads_a_uart_in_bounded_steps_with_or_without_any_and_nbytes():
    sentence = nmea("GPGGA,000001.00,4807.038,N,01131.000,E,1,05,1.0,10.0,M,0.0,M,,")
    out = run_mpy(file=SCRIPTS / "gnss_poll_budget.py", stdin=(sentence * 40).hex())
    # readinto(buf) cannot be limited: whole RX buffers (128 B) while they fit the budget
    assert out.split() == ["Plain", "128", "True", "40", "0", "WithAny", "200", "True", "40", "0"]


@needs_corpus
def test_no_allocation_per_sentence_after_warm_up_over_the_whole_corpus(tmp_path):
    path = tmp_path / "corpus.bin"
    path.write_bytes(gpsd_corpus(GPSD))
    out = run_mpy(
        file=SCRIPTS / "gnss_corpus_alloc.py", args=[path], heap="2M", extra_path=[SUPPORT]
    )
    used, sentences, cycles = map(int, out.split())
    assert sentences > 6000 and cycles > 1000
    assert used == 0, f"{used} bytes allocated over {sentences} sentences and frames"


@needs_corpus
@pytest.mark.parametrize(
    "name", ["gp-320fw-2019-04-07-coldboot", "ublox-zed-f9t-ubx_nmea_l5", "st-teseo-liv4f"]
)
def test_results_do_not_depend_on_how_the_stream_is_split(name):
    path = GPSD / f"{name}.log"
    whole = decode_log(path, chunk=65536)
    for chunk in (1, 7, 61):
        assert decode_log(path, chunk=chunk) == whole


def test_untimed_sentence_before_the_first_stamped_one_joins_that_cycle(tmp_path):
    stream = (
        nmea("GPGSA,A,2,17,28,06,,,,,,,,,,1.8,1.1,1.5")  # this cycle begins with GSA: 2-D
        + nmea("GPGGA,030719.000,3747.0873,S,17518.8938,E,1,03,1.1,59.9,M,23.7,M,,")
        + nmea("GPGGA,030720.000,3747.0873,S,17518.8938,E,1,04,1.1,59.9,M,23.7,M,,")
    )
    fixes, counts, _ = replay(tmp_path, stream)
    assert counts["epochs"] == 2
    assert [(f["second"], f["mode"]) for f in fixes] == [(19, 2), (20, 3)]


def test_a_receiver_without_time_still_yields_one_no_fix_cycle_per_burst(tmp_path):
    burst = (
        nmea("GPGGA,,,,,,0,00,99.99,,,,,,")
        + nmea("GPGSA,A,1,,,,,,,,,,,,,99.99,99.99,99.99")
        + nmea("GPRMC,,V,,,,,,,,,,N")
    )
    fixes, counts, _ = replay(tmp_path, burst * 3)
    assert counts["good"] == 9 and counts["epochs"] == 3
    assert all(f["mode"] == 1 and f["year"] == 0 for f in fixes)
