"""`capsule log`: pull (board side run on the MicroPython unix port, and end to
end through the virtual board), decode to CSV, plot, and clear only when the
board says it is disarmed."""

import csv
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from log_flights import write_flight
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mpy import BOARDS, FIRMWARE, micropython_path, run_mpy

from host_tools import plots
from host_tools.board import logfiles
from host_tools.board.board import BoardError
from host_tools.cli import main
from host_tools.protocol.flightlog import decode_path
from host_tools.protocol.lines import parse_line

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def flight_dir(tmp_path_factory, mpy_port):
    flash = tmp_path_factory.mktemp("flash")
    write_flight(flash / "log")
    return flash


@pytest.fixture(scope="module")
def pulled_file(flight_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pulled") / "flight"
    logfiles.pull_log(UnixPortBoard(flight_dir), out)
    return out


class UnixPortBoard:
    """A Board's raw-REPL `exec` contract (mpremote's), served by the MicroPython unix port running
    in the board's flash directory (each exec a fresh interpreter)."""

    def __init__(self, flash_dir, mangle=None):
        self.flash_dir = Path(flash_dir)
        self.mangle = mangle  # bytes -> bytes applied to what the board prints

    def exec(self, code, data_consumer=None):
        proc = subprocess.run(
            [micropython_path(), "-c", code],
            cwd=self.flash_dir,
            capture_output=True,
            check=False,
            timeout=60,
            env={"MICROPYPATH": f"{FIRMWARE}:{BOARDS}"},
        )
        if proc.returncode:
            raise RuntimeError(proc.stderr.decode() or proc.stdout.decode())
        out = self.mangle(proc.stdout) if self.mangle else proc.stdout
        if data_consumer:
            for i in range(0, len(out), 300):
                data_consumer(out[i : i + 300])
        return out


# ------------------------------------------------------------------ pull
def test_pull_copies_every_segment_byte_for_byte(flight_dir, pulled_file):
    segments = sorted((flight_dir / "log").glob("*.fl"))
    assert len(segments) >= 3
    assert {p.name: p.read_bytes() for p in pulled_file.iterdir()} == {
        p.name: p.read_bytes() for p in segments
    }
    log = decode_path(pulled_file)
    assert log.ok and log.records


def test_pull_lists_sizes_and_crcs_computed_on_the_board(flight_dir):
    listing = logfiles.list_segments(UnixPortBoard(flight_dir))
    for name, size, crc in listing:
        data = (flight_dir / "log" / name).read_bytes()
        assert (size, crc) == (len(data), zlib.crc32(data))


def test_pull_rejects_a_transfer_that_does_not_match_the_boards_crc(flight_dir, tmp_path):
    def flip_one_base64_char(out):
        if out.startswith(b"["):
            return out  # the listing is left intact
        i = out.index(b"A") if b"A" in out else 0
        return out[:i] + b"B" + out[i + 1 :]

    board = UnixPortBoard(flight_dir, mangle=flip_one_base64_char)
    with pytest.raises(BoardError, match="CRC"):
        logfiles.pull_log(board, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_pull_from_a_board_without_a_log_directory_is_a_user_error(tmp_path):
    with pytest.raises(BoardError, match="no log directory"):
        logfiles.pull_log(UnixPortBoard(tmp_path), tmp_path / "x")


def test_pull_fills_an_existing_empty_directory_and_refuses_a_previous_flight(flight_dir, tmp_path):
    out = tmp_path / "flight"
    out.mkdir()
    logfiles.pull_log(UnixPortBoard(flight_dir), out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first and all(n.endswith(".fl") for n in first)
    (out / "seg999.fl").write_bytes(b"an older flight")
    with pytest.raises(FileExistsError, match="--force"):
        logfiles.pull_log(UnixPortBoard(flight_dir), out)
    assert (out / "seg999.fl").exists()  # untouched
    logfiles.pull_log(UnixPortBoard(flight_dir), out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_pull_out_is_checked_before_the_board_is_touched(tmp_path, capsys):
    a_file = tmp_path / "flight"
    a_file.write_text("not a directory")
    status = main(["log", "pull", "--port", str(tmp_path / "no-port"), "--out", str(a_file)])
    err = capsys.readouterr().err
    assert status == 2 and "is a file; --out takes a directory" in err
    old = tmp_path / "old"
    old.mkdir()
    (old / "seg000.fl").write_bytes(b"x")
    status = main(["log", "pull", "--port", str(tmp_path / "no-port"), "--out", str(old)])
    err = capsys.readouterr().err
    assert status == 2 and "already holds a flight log" in err and "--force" in err


def test_clear_without_a_terminal_needs_yes(tmp_path):
    r = subprocess.run(
        [str(BIN / "capsule"), "log", "clear", "--port", str(tmp_path / "no-port")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 2, r.stderr
    assert "--yes" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------- decode
def test_decode_summary_and_csv_match_the_log(pulled_file, tmp_path, capsys):
    out = tmp_path / "csv" / "flight.csv"
    assert main(["log", "decode", str(pulled_file), "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sim" in text and "0.1.0" in text and "fire drogue" in text and "fire main" in text
    log = decode_path(pulled_file)
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(log.records)
    for row, r in zip(rows, log.records):
        assert int(row["press_dpa"]) == r.press_dpa and int(row["alt_cm"]) == r.alt_cm
        assert row["phase"] == r.phase_name
    with (tmp_path / "csv" / "flight_events.csv").open() as f:
        events = list(csv.DictReader(f))
    assert [e["text"] for e in events if e["event"] == "fire"] == [
        "fire drogue (50)",
        "fire main (50)",
    ]
    with (tmp_path / "csv" / "flight_fixes.csv").open() as f:
        fixes = list(csv.DictReader(f))
    assert fixes[0]["mode"] == "none" and fixes[0]["lat"] == ""  # before the first fix
    assert float(fixes[1]["lat"]) == pytest.approx(-31.1, abs=0.01)
    assert float(fixes[1]["lon"]) == pytest.approx(136.5, abs=0.01)


def test_decode_of_a_cut_file_decodes_up_to_the_cut_says_where_and_exits_1(
    pulled_file, tmp_path, capsys
):
    data = b"".join(p.read_bytes() for p in sorted(pulled_file.iterdir()))
    cut = tmp_path / "cut.fl"
    cut.write_bytes(data[: len(data) - 700])
    assert main(["log", "decode", str(cut)]) == 1
    text = capsys.readouterr().out
    assert "stopped at" in text and "truncated" in text
    assert len(decode_path(cut).records) > 0.9 * len(decode_path(pulled_file).records)


@pytest.mark.parametrize("content", [None, b"", b"not a flight log at all" * 10])
def test_decode_of_a_missing_or_foreign_file_is_a_one_line_user_error(tmp_path, capsys, content):
    path = tmp_path / "x.fl"
    if content is not None:
        path.write_bytes(content)
    assert main(["log", "decode", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err


# ------------------------------------------------------------------ plot
def test_plot_writes_altitude_acceleration_battery_and_ground_track(pulled_file, tmp_path):
    out = tmp_path / "plots"
    assert main(["log", "plot", str(pulled_file), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == [
        "acceleration.png",
        "altitude.png",
        "altitude_whole_log.png",
        "battery.png",
        "ground_track.png",
    ]
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10000


def test_plot_functions_draw_into_the_callers_axes_with_phases_and_fires_marked():
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    t = [0.0, 10.0, 20.0, 30.0]
    got = plots.plot_altitude(
        ax, t, [300, 200, 100, 0], [-10, -10, -10, 0], [(0, "DROGUE"), (15, "MAIN")], [(15, "main")]
    )
    assert got is ax
    assert list(ax.lines[0].get_ydata()) == [300, 200, 100, 0]
    assert len(ax.patches) == 2  # one shaded span per phase
    assert any("fire main" in t.get_text() for t in ax.texts)


def test_ground_track_offsets_are_metres_east_and_north_of_the_first_fix():
    east, north = plots.local_east_north_m([0.0, 0.0, 0.001], [10.0, 10.001, 10.0])
    assert east[1] == pytest.approx(111.195, rel=1e-3) and north[1] == pytest.approx(0)
    assert north[2] == pytest.approx(111.195, rel=1e-3) and east[2] == pytest.approx(0)


# ----------------------------------------------------------------- clear
def status_line(fields):
    """A status reply as the firmware's wire.format_line writes it."""
    args = ", ".join(f"({k!r}, {v!r})" for k, v in fields)
    return run_mpy(f"import wire\nprint(wire.format_line('OK', 1234, 'status', [{args}]), end='')")


@pytest.mark.parametrize(
    "fields, disarmed",
    [
        ([("phase", "SAFE"), ("armed", 0)], True),
        ([("phase", "LANDED"), ("armed", 0)], True),
        ([("phase", "BEACON"), ("armed", 0)], True),
        ([("phase", "ARMED"), ("armed", 1)], False),
        ([("phase", "SAFE"), ("armed", 1)], False),
        ([("phase", "DROGUE"), ("armed", 0)], False),
        ([("phase", "MAIN")], False),
        ([("fw", "0.1.0")], False),
    ],
)
def test_clear_goes_ahead_only_when_the_status_reply_says_disarmed(fields, disarmed):
    line = parse_line(status_line(fields))
    assert line is not None and line.name == "status"
    assert (logfiles.disarmed_reason(line.fields) is None) == disarmed


def test_no_status_reply_blocks_clear():
    assert logfiles.disarmed_reason(None) is not None


def test_clear_removes_the_segments_on_the_board(tmp_path):
    flash = tmp_path / "flash"
    write_flight(flash / "log")
    (flash / "log" / "notes.txt").write_text("keep me")
    assert logfiles.clear_log(UnixPortBoard(flash)) >= 3
    assert sorted(p.name for p in (flash / "log").iterdir()) == ["notes.txt"]


def test_log_without_an_action_prints_help_and_exits_2(capsys):
    assert main(["log"]) == 2
    assert "pull" in capsys.readouterr().out


def test_decode_capture_gives_track_the_logged_fixes_as_beacon_packets(
    pulled_file, tmp_path, capsys
):
    import gpxpy

    cap = tmp_path / "capture.txt"
    assert main(["log", "decode", str(pulled_file), "--capture", str(cap)]) == 0
    log = decode_path(pulled_file)
    fixes = [f for f in log.fixes if f.has_position]
    lines = cap.read_text().splitlines()
    assert fixes and 0 < len(lines) <= len(fixes)
    gpx = tmp_path / "t.gpx"
    capsys.readouterr()
    assert main(["track", str(cap), "--gpx", str(gpx)]) == 0
    out = capsys.readouterr().out
    assert f"{len(lines)} packets from N0CALL-11" in out and "0 bad lines" in out
    pts = gpxpy.parse(gpx.read_text()).tracks[0].segments[0].points
    first = fixes[0]
    assert pts[0].latitude == pytest.approx(first.lat, abs=0.01 / 60 + 1e-9)
    assert pts[0].longitude == pytest.approx(first.lon, abs=0.01 / 60 + 1e-9)
    if log.utc_at(0.0) is not None:
        assert all(p.time is not None for p in pts)
