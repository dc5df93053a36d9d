"""A console handler for `#B` batch frames, for tests on MicroPython that drive
console.Console without the application.

It reads a frame as firmware/app.py's batch handler does (count digit, then
the records and checksum, decoded by simlink) but steps no sequencer: each
sample is decoded into one Sample and handed to the test.
"""

import simlink


def batch_handler(s, took):
    """frame_b(con) for a Console frame table: each record of a whole batch is
    decoded into Sample `s`, then took(t_ms) is called; a frame that does not
    decode counts in con.bad_frames."""

    def frame_b(con):
        at = con.take(1, 50)
        n = con.rx[at] - 48
        at = con.take(n * simlink.BATCH_RECORD_LEN + 3, 50)
        if at < 0 or not simlink.decode_batch(con.rx, at, n):
            con.bad_frames += 1
            return
        for k in range(n):
            took(simlink.batch_sample(k, s))

    return frame_b
