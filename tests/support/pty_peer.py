"""A device on the far end of a pseudo-terminal that is not our firmware: the
silent port, the one that echoes, the one that answers garbage, which a team
plugs in by mistake. Tests point the host tools at `port` and check that
they name the fault."""

import os
import select
import threading
import tty
from contextlib import contextmanager


@contextmanager
def answering_port(answer=None):
    """Yield the path of a raw pseudo-terminal whose other end reads every
    write and sends back `answer(data)` (None, or an answer of b"": nothing).
    The reader stops and both ends close on leaving the block."""
    master, slave = os.openpty()
    tty.setraw(slave)
    stop = threading.Event()

    def run():
        while not stop.is_set():
            r, _, _ = select.select([master], [], [], 0.05)
            if r:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    return
                reply = answer(data) if answer else None
                if reply:
                    os.write(master, reply)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield os.ttyname(slave)
    finally:
        stop.set()
        t.join(2)
        os.close(slave)
        os.close(master)


def echo(data):
    """An answer for answering_port: what it was sent, as a port in loopback."""
    return data
