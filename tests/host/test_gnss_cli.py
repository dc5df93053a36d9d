"""`capsule gnss decode`: the firmware parser on MicroPython behind a CLI."""

import datetime
import json

from mpy import SHARED, needs_corpus

from host_tools.cli import main

pytestmark = needs_corpus
LOG = SHARED / "data" / "gpsd" / "bu353s4.log"


def test_json_lines_one_fix_per_cycle_then_counts(capsys):
    assert main(["gnss", "decode", "--json", str(LOG)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    fixes, counts = lines[:-1], lines[-1]["counts"]
    assert len(fixes) == counts["epochs"] == 25
    keys = {"time", "lat", "lon", "alt_m", "mode", "sats", "hdop", "speed_m_s", "course_deg"}
    assert all(set(f) == keys for f in fixes)
    first = fixes[0]
    stamp = datetime.datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert stamp == datetime.datetime(2014, 12, 31, 3, 7, 19, tzinfo=datetime.UTC)
    # $GPGGA,030719.000,3747.0873,S,17518.8938,E,1,08,1.1,59.9,M,...
    # $GPRMC,...,0.69,181.39,311214,...   (0.69 kn = 0.355 m/s)
    assert first["lat"] == round(-(37 + 47.0873 / 60), 7)
    assert first["lon"] == round(175 + 18.8938 / 60, 7)
    assert (first["alt_m"], first["sats"], first["hdop"], first["mode"]) == (59.9, 8, 1.1, 3)
    assert first["speed_m_s"] == 0.35 and first["course_deg"] == 181.39
    assert counts["good"] == 75 and counts["bad_checksum"] == 0 and counts["unknown"] == 15


def test_text_output_ends_with_the_sentence_counts(capsys):
    assert main(["gnss", "decode", "--fix-only", str(LOG)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2014-12-31T03:07:19.000Z  3D  -37.7847883 175.3148967")
    assert out[-1].startswith("cycles 25, good 75, bad checksum 0, unknown 15")


def test_missing_log_is_a_one_line_user_error(capsys, tmp_path):
    missing = tmp_path / "nope.log"
    assert main(["gnss", "decode", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"capsule gnss: log file not found: {missing}"


def test_comment_lines_at_the_top_are_skipped_and_garbage_is_counted(tmp_path, capsys):
    log = tmp_path / "bench.log"
    log.write_bytes(
        b"# receiver on the bench\n# second comment\n"
        b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
        b"#not a comment any more\n"
    )
    assert main(["gnss", "decode", "--json", str(log)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["time"] == "1994-03-23T12:35:19.000Z" and lines[0]["mode"] == 2
    assert lines[-1]["counts"]["garbage"] == len("#not a comment any more")


def test_bad_options_are_refused(capsys):
    for argv in (
        ["gnss", "decode", "--chunk", "0", str(LOG)],
        ["gnss", "decode", "--epoch-end", "gll", str(LOG)],
    ):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse refuses --chunk itself
            status = exc.code
        assert status == 2
    assert "--epoch-end must be a 3-letter sentence type" in capsys.readouterr().err
