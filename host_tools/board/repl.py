"""The raw REPL of a board, for the tools that handle its files (`capsule flash`,
`capsule log pull/clear`): one way to reach it, over mpremote's serial
transport, on a real port or the virtual board's pty.

A running firmware owns the console, so it is first asked to hand the port
over (`repl`, which the firmware refuses in flight); only then is the raw REPL
entered. Every failure is a `ReplError` whose text a person can act on.
"""

import contextlib

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from host_tools.board.link import LinkError, hand_over

TRANSPORT_ERRORS = (TransportError,)  # what a transport raises once it is open
RAW_REPL_TIMEOUT_S = 8


class ReplError(Exception):
    """The board's raw REPL cannot be reached (message for the user)."""


def open_raw_repl(port, purpose, baudrate=115200, read_timeout_s=None):
    """An mpremote SerialTransport on `port`, in the raw REPL after a soft
    reset. `purpose` completes "not ...: <why>" when the firmware refuses to
    hand over (e.g. "flashing"). read_timeout_s bounds each serial read: on a
    pseudo-terminal mpremote reads without checking what is waiting, so a
    silent port would otherwise block forever."""
    try:
        hand_over(port)
    except LinkError as exc:
        raise ReplError(f"not {purpose}: {exc}") from None
    try:
        transport = SerialTransport(port, baudrate=baudrate, timeout=read_timeout_s)
    except (TransportError, OSError) as exc:
        raise ReplError(f"cannot open {port}: {exc}") from None
    try:
        transport.enter_raw_repl(soft_reset=True, timeout_overall=RAW_REPL_TIMEOUT_S)
    except TransportError:
        close(transport)
        raise ReplError(
            f"{port} does not answer like a MicroPython board (no raw REPL); "
            "is MicroPython installed, and is this the right port?"
        ) from None
    except Exception as exc:  # noqa: BLE001 (mpremote raises anything from a bad port: one line for the user)
        close(transport)
        raise ReplError(f"{port}: {exc}") from None
    return transport


def close(transport):
    with contextlib.suppress(Exception):  # closing a port that has gone away
        transport.close()
