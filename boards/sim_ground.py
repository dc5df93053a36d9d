# The virtual ground station: the MicroPython unix port behind a pseudo-
# terminal, running the ground-station role (firmware/ground.py). Received
# packets arrive from the host in `#P` frames (what a drop test's link model
# lets through), its own GNSS in `#G` frames; it prints one RX line per packet.
BOARD = {
    "name": "sim_ground",
    "description": "virtual ground station (MicroPython unix port over a pseudo-terminal)",
    "mode": "sim",
    "role": "ground",
    "gnss": {"driver": "sim"},
    "radio": {"driver": "sim", "kind": "lora", "plan": "lora_aprs"},
    "pyro": {},
    "arm_switch": None,
    "battery": None,
    "led": None,
    "buzzer": None,
    "watchdog_ms": None,
}
