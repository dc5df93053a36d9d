"""What each board is given: the flat image a board file derives from the
grouped source tree (host_tools/firmware_files.py)."""

import ast

from host_tools.board.flash import build_image
from host_tools.firmware_files import board_dict, image_sources


def names(board):
    return {name for _, name in image_sources(board)}


def test_a_real_board_gets_neither_the_simulator_nor_the_gain_design():
    for board in ("pico", "tbeam"):
        image = names(board)
        assert "hw_real.py" in image and "main.py" in image
        assert not image & {"hw_sim.py", "flight_gains.py"}


def test_a_real_board_gets_only_the_drivers_its_board_file_names():
    pico = names("pico")
    assert {"ms5611.py", "adxl375.py", "sx127x.py", "battery.py", "indicator.py"} <= pico
    assert not pico & {"bmp280.py", "bmp3xx.py", "drv_wide.py", "lis3dh.py", "iridium.py"}
    assert "lis3dh.py" in names("tbeam")  # its accel2


def test_the_virtual_board_gets_its_hardware_layer_and_no_drivers():
    sim = names("sim")
    assert "hw_sim.py" in sim
    assert not sim & {"hw_real.py", "ms5611.py", "sx127x.py", "flight_gains.py"}


def test_the_board_image_is_flat():
    image = build_image("pico", compile_mpy=False)
    assert "ms5611.py" in image and "board_pico.py" in image
    assert all("/" not in name for name in image)


def test_a_ground_board_is_wired_as_its_base_board_and_flashes_resolved():
    for ground, base in (("pico_ground", "pico"), ("tbeam_ground", "tbeam")):
        g, b = board_dict(ground), board_dict(base)
        assert g["radio"] == {**b["radio"], "plan": "lora_aprs"}
        assert g["gnss"] == b["gnss"] and g["led"] == b["led"] and g["arch"] == b["arch"]
        assert g["buses"]["spi0"] == b["buses"]["spi0"]
        assert g["role"] == "ground" and g["name"] == ground and g["mode"] == "hw"
        assert not g.keys() & {"base", "take", "baro", "accel", "pyro", "arm_switch"}
        flashed = build_image(ground, compile_mpy=False)[f"board_{ground}.py"].decode()
        assert ast.literal_eval(flashed.split("BOARD = ", 1)[1]) == g
    assert "i2c0" not in board_dict("pico_ground")["buses"]  # no sensors on its I2C pins
    assert board_dict("tbeam_ground")["battery"] == board_dict("tbeam")["battery"]  # the AXP


def test_a_board_file_without_its_board_dict_is_a_flash_error_not_a_traceback(
    tmp_path, monkeypatch
):
    import pytest

    from host_tools import firmware_files
    from host_tools.board import flash

    (tmp_path / "broken.py").write_text("NAME = 'no BOARD here'\n")
    monkeypatch.setattr(flash, "BOARDS_DIR", tmp_path)
    monkeypatch.setattr(firmware_files, "BOARDS_DIR", tmp_path)
    with pytest.raises(flash.FlashError, match="broken.*no BOARD dict"):
        build_image("broken", compile_mpy=False)
