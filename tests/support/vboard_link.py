"""The end-to-end tests' board: a virtual board flashed with one board file,
reached through a Board on its pty, as `capsule` reaches a real one."""

from contextlib import contextmanager

from host_tools.board.board import Board
from host_tools.board.flash import flash
from host_tools.board.vboard import VirtualBoard


@contextmanager
def flashed_link(flash_dir, board):
    """A Board on a virtual board whose flash (in `flash_dir`) holds `board`'s image."""
    with VirtualBoard(flash_dir) as vb:
        flash(vb.port, board)
        with Board(vb.port) as link:
            yield link
