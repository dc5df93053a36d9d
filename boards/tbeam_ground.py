# The recovery team's ground station on a LilyGO T-Beam v1.x (ESP32, SX1276,
# u-blox, AXP192/AXP2101), wired as boards/tbeam.py (its "base": the entries
# named in "take" come from there, the AXP chip powering the radio and the
# GNSS included): the same firmware in the ground-station role
# (firmware/ground.py). It listens continuously on the beacon's channel
# (radio plan "lora_aprs" at the flight's lora_freq_khz) and prints every
# packet as an RX line on USB serial, with its own GNSS position, for
# `capsule track --port`. What it does not take it has not (no sensors, pyro,
# buzzer or watchdog). The flasher writes the resolved dictionary.
BOARD = {
    "base": "tbeam",
    "take": ["mode", "arch", "buses", "gnss", "radio", "battery", "led"],
    "name": "tbeam_ground",
    "description": "ground station: LilyGO T-Beam v1.x (ESP32, SX1276, u-blox, AXP)",
    "role": "ground",
    "radio": {"plan": "lora_aprs"},
}
