"""firmware/boot_gate.py on MicroPython, with a fake `machine` and a board
file in a scratch directory standing in for a real board's flash: the ways
back to the REPL that a board whose firmware cannot answer still has (the
safe-mode pin held at reset, the boot window) and the one case where the
window is skipped (a flight under way must resume at once)."""

from mpy import SCRIPTS, SUPPORT, run_mpy

BOARD_FILE = """BOARD = {
    "name": "bench",
    "mode": "hw",
    "safe_mode_pin": {"pin": 22, "active_low": True},
}
"""


def gate(tmp_path, held=False, flying=False):
    (tmp_path / "board.json").write_text('{"board": "bench"}')
    (tmp_path / "board_bench.py").write_text(BOARD_FILE)
    out = run_mpy(
        file=SCRIPTS / "boot_gate_start.py",
        args=[int(held), int(flying)],
        extra_path=[SUPPORT, tmp_path],
        cwd=tmp_path,
    )
    lines = out.strip().splitlines()
    return lines[:-1], lines[-1]


def test_safe_mode_pin_held_at_reset_keeps_the_firmware_from_starting(tmp_path):
    said, result = gate(tmp_path, held=True)
    assert result == "START False []"  # Ctrl-C never turned off: the REPL works
    assert any("safe mode" in line for line in said)


def test_boot_window_lets_ctrl_c_through_then_turns_it_off(tmp_path):
    said, result = gate(tmp_path)
    assert result == "START True [3, -1]"
    assert any("Ctrl-C within 1500 ms" in line for line in said)


def test_a_flight_under_way_resumes_at_once_without_the_window(tmp_path):
    said, result = gate(tmp_path, flying=True)
    assert result == "START True [-1]"
    assert not any("Ctrl-C within" in line for line in said)
