"""The emulated board's relay (host_tools/board/qemu_board.py) as a state
machine, without qemu: what the board prints and what the client sends,
byte sequences that a loaded machine splits and joins in any way, must never
leave a reset waiting for a prompt that has already gone by."""

import time

import pytest

from host_tools.board.qemu_board import (
    PROMPT,
    RAW_PROMPT,
    REPL_POKE,
    ROM_END,
    SCRIPT_END,
    SCRIPT_START,
    SOFT_REBOOT,
    QemuBoard,
)

BANNER = b'MicroPython v1.29 on mps2-an385\r\nType "help()" for more information.\r\n>>> '
MPREMOTE_ENTER_RAW = b"\r\x03\r\x01"


@pytest.fixture
def relay(tmp_path):
    board = QemuBoard(tmp_path / "flash", firmware=tmp_path / "firmware.elf")  # never started
    board._enter_boot()
    yield board
    board.stop()


def sent_to_board(relay):
    out = bytes(relay._to_board)
    relay._to_board.clear()
    return out


def boot_to_rom(relay):
    """Power-on: banner, the relay enters the raw REPL, types the ROM, the ROM runs."""
    relay._board_output(BANNER)
    assert sent_to_board(relay) == b"\x01"
    relay._board_output(b"\r\n" + RAW_PROMPT)
    assert sent_to_board(relay).endswith(b"\x04")  # the ROM and its run
    relay._board_output(b"OK")
    assert relay._state == "rom"


def test_input_while_the_rom_boots_waits_for_the_repl_the_client_gets(relay):
    relay._client_input(b"\r\x03")
    boot_to_rom(relay)
    relay._client_input(b"\r\x01")  # mpremote's second write, while LittleFS mounts
    assert sent_to_board(relay) == b""
    relay._board_output(ROM_END + b"\x04\x04>")
    assert relay._state == "run"
    assert sent_to_board(relay) == b"\x02" + MPREMOTE_ENTER_RAW  # in order, at the friendly REPL


def test_a_script_that_runs_reads_what_was_sent_and_nothing_after_it(relay):
    relay._client_input(b"early")
    boot_to_rom(relay)
    relay._board_output(SCRIPT_START + b"main says hi\r\n")
    assert sent_to_board(relay) == b"early"  # buffered through boot, main.py reads it
    relay._client_input(b"during")
    assert sent_to_board(relay) == b"during"
    relay._board_output(b"bye" + SCRIPT_END[:4])
    relay._board_output(SCRIPT_END[4:] + ROM_END[:3])
    relay._client_input(b"after")
    assert sent_to_board(relay) == b""
    assert bytes(relay._to_client) == b"main says hi\r\nbye"  # markers hidden, split or not
    relay._board_output(ROM_END[3:] + b"\x04\x04>")
    assert sent_to_board(relay) == b"\x02after"


def test_the_raw_repl_answering_leftovers_after_the_rom_is_hidden_and_the_repl_handed_over(relay):
    boot_to_rom(relay)
    relay._board_output(ROM_END + b"\x04\x04>\r\nraw REPL; CTRL-B to exit\r\n>")  # one read
    assert relay._state == "run"
    assert bytes(relay._to_client) == b""
    assert sent_to_board(relay) == b"\x02"


def test_a_prompt_with_more_behind_it_after_a_reset_asks_for_a_fresh_raw_prompt(relay):
    relay._board_output(BANNER + b"1+2\r\n3\r\n" + PROMPT + b"x")  # answers to bytes sent before
    assert sent_to_board(relay) == b"\x01"
    relay._board_output(b"\r\n" + RAW_PROMPT)
    assert relay._rom_sent


def test_bytes_not_yet_sent_at_a_soft_reset_wait_for_the_repl_after_it(relay):
    boot_to_rom(relay)
    relay._board_output(ROM_END + b"\x04\x04>")
    sent_to_board(relay)
    relay._client_input(b"\x04")
    relay._client_input(b"1+2\r")
    relay._board_output(b"\r\n" + SOFT_REBOOT)
    assert relay._state == "boot"
    assert sent_to_board(relay) == b""
    assert bytes(relay._held) == b"\x041+2\r"


def test_a_reset_whose_prompt_never_comes_asks_for_it_again_until_the_rom_is_typed(relay):
    relay._poke_stalled_boot()
    assert sent_to_board(relay) == b""  # not yet
    relay._boot_poke_at = time.monotonic() - 1
    relay._poke_stalled_boot()
    assert sent_to_board(relay) == REPL_POKE
    relay._board_output(b"\r\n" + RAW_PROMPT)
    sent_to_board(relay)
    relay._boot_poke_at = time.monotonic() - 1
    relay._poke_stalled_boot()
    assert sent_to_board(relay) == b""  # the ROM is being typed: nothing may go in
