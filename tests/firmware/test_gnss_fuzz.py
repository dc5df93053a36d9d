"""Hostile input for the GNSS reader.

1. hypothesis on CPython (gnss.py imports there with a tiny `micropython.const`
   shim installed only while this module loads it): arbitrary byte soups split
   at arbitrary points never raise, never depend on the split, keep every
   value below 2**30 and in range, and sentences with a bad checksum never
   change a published fix.
2. A corpus of nasty inputs replayed on the real MicroPython binary: garbage,
   truncated and overlong sentences, wrong checksums, NUL bytes, UBX
   fragments, bad digits, '$' inside fields. No exception escapes, the fix is
   never replaced by them, and the reader recovers for the next good cycle.
"""

import importlib
import random
import re
import sys
from functools import reduce

from gnss_cases import COUNTERS, FIX_FIELDS, nmea
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mpy import FIRMWARE, run_mpy


def load_gnss_on_cpython():
    """Import firmware/gnss.py (with fix.py, gnss_nmea.py, gnss_nav.py) under CPython
    without leaving traces in sys.modules."""
    names = ("fix", "gnss_nmea", "gnss_nav", "gnss")
    saved = {name: sys.modules.pop(name, None) for name in names}
    sys.path.insert(0, str(FIRMWARE))
    try:
        return importlib.import_module("gnss")
    finally:
        sys.path.remove(str(FIRMWARE))
        for name in names:
            sys.modules.pop(name, None)
            if saved[name] is not None:
                sys.modules[name] = saved[name]


gnss = load_gnss_on_cpython()

CPY_FIELDS = [*FIX_FIELDS, "has_position"]  # checked for range and compared


class VClock:
    def now_ms(self):
        return 0

    def diff_ms(self, a, b):
        return a - b


def run_reader(data, cuts):
    """Feed data split at `cuts`; return (published fixes, counters)."""
    r = gnss.GnssReader(None, VClock())
    published = []
    r.on_epoch = lambda rd: published.append(tuple(getattr(rd.fix, f) for f in CPY_FIELDS))
    pos = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        if cut > pos:
            chunk = bytearray(data[pos:cut])
            r.feed(chunk, len(chunk))
            pos = cut
    r.flush()
    for fx in (r.fix, r.last_good):
        check_ranges(fx)
    return published, tuple(getattr(r, c) for c in COUNTERS)


def check_ranges(fx):
    for name in CPY_FIELDS:
        assert abs(int(getattr(fx, name))) < 2**30, name
    assert -90 <= fx.lat_deg <= 90 and -180 <= fx.lon_deg <= 180
    assert abs(fx.lat_e7r) < 10**7 and abs(fx.lon_e7r) < 10**7
    assert fx.lat_deg * fx.lat_e7r >= 0 and fx.lon_deg * fx.lon_e7r >= 0
    assert 0 <= fx.hour <= 23 and 0 <= fx.minute <= 59 and 0 <= fx.second <= 60
    assert 0 <= fx.ms <= 999 and 0 <= fx.course_cdeg < 36000 and fx.speed_cms >= 0


# ---------------------------------------------------------------- strategies

digits = st.text("0123456789", min_size=0, max_size=12)
number = st.builds(
    lambda sign, a, b: sign + a + ("." + b if b else ""),
    st.sampled_from(["", "-", "+"]),
    digits,
    digits,
)
field = st.one_of(
    number,
    st.sampled_from(["", "A", "V", "N", "S", "E", "W", "M", "T", "K", "AAN", "D"]),
    st.text("0123456789.-+ABCDENSWZ\x00\xff", max_size=14),
)


@st.composite
def sentence(draw):
    """A sentence with a correct checksum and arbitrary field contents."""
    talker = draw(st.sampled_from(["GP", "GN", "GL", "GA", "GB", "BD", "GQ", "QZ", "P", "Gx"]))
    kind = draw(st.sampled_from(["GGA", "RMC", "GNS", "GSA", "VTG", "GLL", "ZDA", "GSV", "TXT"]))
    fields = draw(st.lists(field, max_size=22))
    return nmea(talker + kind + "," + ",".join(fields))


token = st.one_of(
    sentence(),
    st.binary(max_size=12),
    st.sampled_from(
        [b"$", b"*", b",", b"\r\n", b"\n", b"\x00", b"\xb5", b"\xb5\x62", b"\xb5\x62\x05\x01"]
    ),
    st.builds(lambda s, n: s[: max(1, len(s) - n)], sentence(), st.integers(1, 40)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(token, max_size=40), st.lists(st.integers(0, 4000), max_size=12))
def test_any_byte_soup_split_anywhere_never_raises_and_keeps_ranges(tokens, cuts):
    data = b"".join(tokens)
    published, counters = run_reader(data, [c for c in cuts if c < len(data)])
    assert all(c >= 0 for c in counters)
    assert counters[-1] == len(published)


@settings(max_examples=120, deadline=None)
@given(st.lists(token, max_size=30), st.lists(st.integers(0, 3000), max_size=20))
@example(  # a 122-byte sentence with no LF, ended by the next '$': overlong either way
    tokens=[
        b"$GPGGA,,,,,,,0000.000000000000,,,00000.0000000,,.0,,,,,,,,000000000.00000000000*66\r\n",
        (
            b"$GPGGA,,000000000.000000000000,,,,A,-.0000,0000,,,,.00000000,.000000000,"
            b"0.000000000,0.000000000000,00000.000000000,-.0*3B\r"
        ),
        b"$GPGGA,*7A\r\n",
    ],
    cuts=[206],
)
def test_results_do_not_depend_on_where_the_stream_is_split(tokens, cuts):
    data = b"".join(tokens)
    assert run_reader(data, cuts) == run_reader(data, [])


@st.composite
def cycle(draw, second):
    lat = f"{draw(st.integers(0, 89)):02d}{draw(st.integers(0, 59)):02d}.{draw(digits)}"
    lon = f"{draw(st.integers(0, 179)):03d}{draw(st.integers(0, 59)):02d}.{draw(digits)}"
    t = f"1200{second:02d}.00"
    ns, ew = draw(st.sampled_from("NS")), draw(st.sampled_from("EW"))
    return [
        nmea(f"GNRMC,{t},A,{lat},{ns},{lon},{ew},{draw(number)},{draw(number)},010125,,,A"),
        nmea(f"GNGGA,{t},{lat},{ns},{lon},{ew},1,{draw(digits)},{draw(number)},{draw(number)},M"),
        nmea(f"GNGSA,A,3,01,02,03,,,,,,,,,,1.0,{draw(number)},1.0"),
    ]


def corrupt(sentence_bytes, rng):
    """Change one body byte to a different printable one: the checksum cannot match."""
    body_end = sentence_bytes.rindex(b"*")
    i = rng.randrange(1, body_end)
    choices = [c for c in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ,.-" if c != sentence_bytes[i]]
    out = bytearray(sentence_bytes)
    out[i] = rng.choice(choices)
    return bytes(out)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_sentence_with_a_bad_checksum_never_changes_a_published_fix(data):
    clean = []
    dirty = []
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    for second in range(data.draw(st.integers(1, 5))):
        for s in data.draw(cycle(second)):
            clean.append(s)
            dirty.append(s)
            if rng.random() < 0.5:
                dirty.append(corrupt(s, rng))  # a noisy copy of the same sentence
            if rng.random() < 0.3:
                dirty.append(corrupt(nmea(f"GPGGA,1200{second + 1:02d}.00,0000.0,N"), rng))
    fixes_clean, counters_clean = run_reader(b"".join(clean), [])
    fixes_dirty, counters_dirty = run_reader(b"".join(dirty), [])
    assert fixes_dirty == fixes_clean
    assert counters_dirty[0] == counters_clean[0]  # same good sentences
    assert counters_dirty[1] == len(dirty) - len(clean)  # every corrupt one counted


# ---------------------------------------------------------------- MicroPython replay


def nasty_inputs():
    """Inputs with no complete sentence or frame that passes its checksum."""
    rng = random.Random(11)
    gga = nmea("GPGGA,120000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
    wrong = bytearray(gga)
    wrong[-4:-2] = b"%02X" % (int(gga[-4:-2], 16) ^ 0x21)
    out = [
        b"",
        bytes(rng.randrange(256) for _ in range(300)),
        b"\x00" * 200,
        b"$",
        b"$$$$$$$$",
        b"*",
        b"\r\n\r\n\n\r",
        gga[:30],
        gga[:-4] + b"\r\n",  # no checksum
        b"$GPGGA," + b"9" * 300 + b"*00\r\n",  # overlong
        b"$GPGGA," + b"9" * 300,  # overlong, never ended
        bytes(wrong),
        gga.replace(b"*", b"*Z"),
        gga[:-4] + b"*4\r\n",
        gga[:-4] + b"*1234\r\n",
        gga.lower(),  # lower-case talker and digits: checksum of the original no longer fits
        gga.replace(b"4807.038", b"48$7.038"),  # '$' inside a field
        gga.replace(b"545.4", b"5\x00\x004"),  # NUL bytes, stale checksum
        b"$GPGGA,\xff\xfe\xfd,,,*00\r\n",
        b"A" * 5000,
        b"\xb5",
        b"\xb5\x62",
        b"\xb5\x62\x01\x07",
        b"\xb5\x62\x01\x07\x5c\x00" + bytes(10),  # NAV-PVT header, payload cut
        b"\xb5\x62\x05\x01\x02\x00\x06\x24\x00\x00",  # ACK with a wrong checksum
        b"\xb5\xb5\x62\x62\xb5",
        b"\xb5\x62\xff\xff\xff\xff",  # impossible length
        b"$GP\r\n",
        b"$*\r\n",
        b"$GPGGA*00\r\n",
        b"$GPRMC,,,,,,,,,,,,*00\r\n",
    ]
    # Prove the claim independently: no complete sentence in them has a good checksum.
    for item in out:
        for m in re.finditer(rb"\$([^$*\r\n]*)\*([0-9A-Fa-f]{2})\r?\n", item):
            assert reduce(lambda a, b: a ^ b, m.group(1), 0) != int(m.group(2), 16), item
    return out


def test_nasty_inputs_never_raise_never_replace_the_fix_and_the_reader_recovers(tmp_path):
    cycles = [
        nmea(f"GNRMC,1200{s:02d}.00,A,4807.0{s:02d},N,01131.000,E,1.5,45.0,010125,,,A")
        + nmea(f"GNGGA,1200{s:02d}.00,4807.0{s:02d},N,01131.000,E,1,08,0.9,{s}.0,M,0,M,,")
        for s in range(60)
    ]
    nasty = nasty_inputs()
    stream_file = tmp_path / "cases.bin"
    index = []
    blob = bytearray()
    for item in nasty:
        index.append((len(blob), len(item)))
        blob += item
    stream_file.write_bytes(bytes(blob))
    out = run_mpy(
        f"""
import gnss, clock
CYCLES = {cycles!r}
INDEX = {index!r}
with open({str(stream_file)!r}, 'rb') as fh:
    BLOB = fh.read()
FIELDS = ('mode', 'second', 'lat_deg', 'lat_e7r', 'lon_e7r', 'alt_cm', 'speed_cms')
def snap(f):
    return tuple(getattr(f, k) for k in FIELDS)
failures = 0
for k in range(len(INDEX)):
    r = gnss.GnssReader(None, clock.VirtualClock())
    c = CYCLES[k % 30]
    r.feed(c, len(c))
    r.flush()
    before = snap(r.fix)
    epochs = r.epochs
    start, n = INDEX[k]
    item = bytearray(BLOB[start:start + n])
    try:
        r.feed(item, n)
        r.flush()
    except Exception as e:
        print('RAISED', k, repr(e))
        failures += 1
        continue
    if snap(r.fix) != before or r.epochs != epochs or r.good != 2:
        print('CHANGED', k, before, snap(r.fix))
        failures += 1
    # Recovery: good cycles after the garbage are decoded again (a false UBX
    # header may swallow up to its length first).
    for j in range(30, 60):
        c = CYCLES[j]
        r.feed(c, len(c))
    r.flush()
    if r.fix.second != 59 or r.fix.mode != 3 or r.fix.alt_cm != 5900:
        print('NOT RECOVERED', k, snap(r.fix))
        failures += 1
print('failures', failures, 'cases', len(INDEX))
"""
    )
    assert out.strip().splitlines()[-1] == f"failures 0 cases {len(nasty)}", out
