"""The persisted flight record (firmware/persist.py), run on MicroPython:
alternating slots, CRC, torn writes."""

import json

from mpy import SCRIPTS, SUPPORT, run_mpy

PRELUDE = """
import json, persist
from flight_records import rec, fields
"""


def _run(code, path):
    return json.loads(
        run_mpy(PRELUDE + code.replace("$PATH", repr(str(path))), extra_path=[SUPPORT])
        .strip()
        .splitlines()[-1]
    )


def _script(name, path):
    """A scenario of tests/firmware/mpy on the store at `path`: its JSON line."""
    out = run_mpy(file=SCRIPTS / name, args=[path], extra_path=[SUPPORT])
    return json.loads(out.strip().splitlines()[-1])


def test_a_record_round_trips_through_the_store(tmp_path):
    got = _run(
        """
s = persist.Store($PATH)
s.save(rec(3, 250000, 1))
print(json.dumps(fields(persist.Store($PATH).load())))
""",
        tmp_path / "f.rec",
    )
    assert got == [3, 1, 250000, 1, 1234, -1, -7100, 987654, 3, 2, 1]


def test_writes_alternate_slots_and_the_newest_valid_record_wins(tmp_path):
    got = _run(
        """
import os
s = persist.Store($PATH)
for i in range(5):
    s.save(rec(2, i * 1000))
print(json.dumps([fields(persist.Store($PATH).load()), sorted(os.listdir(%r))]))
""".replace("%r", repr(str(tmp_path))),
        tmp_path / "f.rec",
    )
    newest, files = got
    assert newest[2] == 4000 and newest[-1] == 5
    assert files == ["f.rec.0", "f.rec.1"]


def test_a_torn_or_corrupted_newest_slot_leaves_the_previous_record(tmp_path):
    # every truncation length and a flipped byte anywhere in the newest slot
    out = run_mpy(
        file=SCRIPTS / "persist_torn_slot.py", args=[tmp_path / "f.rec"], extra_path=[SUPPORT]
    )
    size, *lines = out.strip().splitlines()
    got = [json.loads(x) for x in lines]
    assert int(size) > 48 and len(got) == 2 * int(size)  # the body, the position, the CRC
    for r in got:
        assert r is not None and r[0] == 3 and r[2] == 100000 and r[3] == 1  # the old record


def test_a_slot_left_short_or_long_by_a_cut_is_rewritten_whole(tmp_path):
    # slots are overwritten in place when they hold exactly one record; a slot
    # a power cut left short (or a stray longer file) must be written afresh
    got = _script("persist_short_slot.py", tmp_path / "f.rec")
    assert [r[2] for r in got] == [320000, 320010, 320200]


def test_no_valid_slot_means_no_record(tmp_path):
    got = _run(
        """
s = persist.Store($PATH)
a = s.load()
with open(s.slot_path(0), 'wb') as f:
    f.write(b'garbage' * 7)
print(json.dumps([a, persist.Store($PATH).load()]))
""",
        tmp_path / "f.rec",
    )
    assert got == [None, None]


def test_sequence_numbers_compare_across_their_wrap():
    got = json.loads(
        run_mpy(
            PRELUDE + "print(json.dumps([persist.seq_newer(0, persist.SEQ_MASK),"
            " persist.seq_newer(persist.SEQ_MASK, 0), persist.seq_newer(5, 4),"
            " persist.seq_newer(4, 5), persist.seq_newer(7, 7)]))",
            extra_path=[SUPPORT],
        )
    )
    assert got == [True, False, True, False, False]


def test_a_store_that_cannot_write_reports_it_and_keeps_going(tmp_path):
    got = _run(
        """
s = persist.Store($PATH)
ok = s.save(rec(2, 1))
print(json.dumps([ok, s.write_errors, s.load()]))
""",
        tmp_path / "missing-dir" / "f.rec",
    )
    assert got == [False, 1, None]
