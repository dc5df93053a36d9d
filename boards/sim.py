# The virtual board: MicroPython unix port behind a pseudo-terminal
# (`capsule vboard`). Sensors, pyro outputs, GNSS bytes and radio packets
# travel over the serial link as frames, so a drop test can feed and observe
# everything the firmware touches.
BOARD = {
    "name": "sim",
    "description": "virtual board (MicroPython unix port over a pseudo-terminal)",
    "mode": "sim",
    "baro": {"driver": "sim"},
    "accel": {"driver": "sim", "axes": "+x+y+z", "range_g": 200},
    "gnss": {"driver": "sim"},
    "radio": {"driver": "sim", "kind": "lora"},
    "pyro": {"drogue": {"sense": True}, "main": {"sense": True}},
    "arm_switch": None,
    "battery": {"driver": "sim"},
    "led": None,
    "buzzer": None,
    "watchdog_ms": None,
}
