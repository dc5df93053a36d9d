"""The console's receive buffer on MicroPython: frames, GNSS lines and command
lines come out the same whether the stream is read a byte at a time (real
boards) or in bulk (the virtual board), wherever the reads cut the frames, and
the frame path allocates nothing."""

import random

from mpy import SCRIPTS, SUPPORT, run_mpy

from host_tools.protocol.frames import gnss_frame, sample_frame, sync_frame
from host_tools.protocol.lines import format_command


def _run(stream: bytes, tmp_path, bulk: bool, budget=512):
    path = tmp_path / "in.bin"
    path.write_bytes(stream)
    out = run_mpy(
        file=SCRIPTS / "console_poll.py", args=[path, int(bulk), budget], extra_path=[SUPPORT]
    )
    return out.splitlines()


def _mixed_stream(seed):
    rnd = random.Random(seed)
    parts = []
    for i in range(60):
        k = rnd.random()
        if k < 0.6:
            parts.append(sample_frame(1000 + 10 * i, 1013250 - i, (0, 0, 1000 + i)))
        elif k < 0.75:
            parts.append(gnss_frame(b"$GPGGA,%06d.00,,,,,0,00,99.99,,,,,,*00\r\n" % i))
        elif k < 0.85:
            parts.append(sync_frame(i))
        elif k < 0.95:
            parts.append(format_command("status a b"))
        else:
            parts.append(b"junk without a newline " * rnd.randint(1, 3) + b"\n")
    return b"".join(parts)


def test_bulk_and_bytewise_reads_see_the_same_frames_and_lines(tmp_path):
    for seed in range(3):
        stream = _mixed_stream(seed)
        # shift the stream so bulk reads cut the frames at other places
        for pad in (0, 1, 17, 45):
            data = b"\n" * pad + stream
            bulk = _run(data, tmp_path, bulk=True)
            bytewise = _run(data, tmp_path, bulk=False, budget=64)
            assert bulk == bytewise
            assert bulk[-1] == "END 0 0"
            assert sum(1 for line in bulk if line.startswith("S ")) == stream.count(b"#S")
            assert all(not line.startswith("S -") for line in bulk)


def test_a_frame_cut_short_at_the_end_of_input_is_counted_not_decoded(tmp_path):
    frame = sample_frame(5000, 1013250, (0, 0, 1000))
    for cut in (3, 20, len(frame) - 1):
        out = _run(frame + frame[:cut], tmp_path, bulk=True)
        assert out[0] == "S 5000 1013250 1000"
        assert out[1] == "S -2 1013250 1000"  # the rest never came: nothing decoded


def test_gnss_frame_longer_than_its_limit_is_cut(tmp_path):
    long = gnss_frame(b"$" + b"A" * 300 + b"\r\n")
    out = _run(long + sample_frame(7000, 1000000, (0, 0, 990)), tmp_path, bulk=True)
    assert out[0].startswith("G False")
    assert "S 7000 1000000 990" in out


def test_frame_path_allocates_nothing(tmp_path):
    frames = b"".join(sample_frame(1000 + 10 * i, 1013250 - i, (i, -i, 1000)) for i in range(3000))
    gnss = gnss_frame(b"$GPGGA,000000.00,,,,,0,00,99.99,,,,,,*00\r\n")
    stream = b"".join(
        frames[i * 4500 : (i + 1) * 4500] + gnss for i in range(30)
    )  # 100 frames of 45 bytes, then a GNSS line
    path = tmp_path / "in.bin"
    path.write_bytes(stream)
    for bulk in (True, False):
        out = run_mpy(
            file=SCRIPTS / "console_frame_alloc.py", args=[path, int(bulk)], extra_path=[SUPPORT]
        )
        alloc, samples = map(int, out.split())
        assert samples == 3000
        assert alloc == 0, (bulk, alloc)


def test_reply_to_a_noisy_command_name_carries_a_valid_checksum():
    # garbage that decodes as UTF-8 above 0x7F is echoed in the error reply;
    # the checksum covers the bytes sent, so the host still accepts the line
    from host_tools.protocol.lines import parse_line

    out = run_mpy(
        "import wire, sys\n"
        "line = wire.format_line('ERR', 5, '\\u00e9\\u20ac\\u00ff', [('msg', 'unknown command')])\n"
        "sys.stdout.write(line)\n"
    )
    raw = out.encode().rstrip(b"\r\n")
    parsed = parse_line(raw)
    assert parsed is not None and parsed.kind == "ERR" and parsed.t_ms == 5


def test_replies_and_checked_lines_intern_no_qstr_at_run_time(tmp_path):
    """A reply's checksum digits once came from chr(), which interns a
    one-character qstr the first time a digit shows up. On the emulated
    Cortex-M3 (192 KB heap) the firmware's modules had filled the qstr pool,
    so that asked for a new pool in one piece (1280 entries, ~9 KB) that the
    fragmented heap did not have: `MemoryError ... allocating 1280 bytes` in
    every reply with a new digit, a lost `OK sync` and a stalled drop test.
    A flying board must not depend on the heap's shape to answer, so nothing
    in the frame, reply or command path interns a qstr: here the console
    reads byte by byte (a board's path) `#B` batches, `#Y` syncs whose
    replies carry every checksum value, and checked command lines."""
    import numpy as np

    from host_tools.protocol import frames

    parts = []
    for i in range(256):
        ticks = [1000 + 40 * (8 * i + k) for k in range(8)]
        readings = np.array([[1013250 - i, 3, -4, 1000, 4000, 3]] * 8, dtype=np.int64).T
        parts.append(frames.batch_frames(ticks, readings))
        parts.append(frames.sync_frame(i))
        if i % 8 == 0:
            parts.append(format_command(f"set k{i}"))
    path = tmp_path / "in.bin"
    path.write_bytes(b"".join(parts))
    out = run_mpy(file=SCRIPTS / "console_qstr.py", args=[path], extra_path=[SUPPORT]).splitlines()
    counts = [line.split("n_qstr=")[1].split(",")[0] for line in out if "n_qstr=" in line]
    assert out[-1] == f"END {256 + 32} 0 0", out[-1]
    assert len(counts) == 2 and counts[0] == counts[1], counts
