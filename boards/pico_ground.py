# The recovery team's ground station on a Raspberry Pi Pico + RFM95W
# (SX1276) + u-blox GNSS, wired as boards/pico.py (its "base": the entries
# named in "take" come from there): the same firmware in the ground-station
# role (firmware/ground.py). It listens continuously on the beacon's channel
# (radio plan "lora_aprs" at the flight's lora_freq_khz) and prints every
# packet as an RX line on USB serial, with its own GNSS position, for
# `capsule track --port`. What it does not take it has not (no sensors, pyro,
# buzzer or watchdog). The flasher writes the resolved dictionary.
BOARD = {
    "base": "pico",
    "take": ["mode", "arch", "buses.spi0", "buses.uart1", "gnss", "radio", "led"],
    "name": "pico_ground",
    "description": "ground station: Raspberry Pi Pico + RFM95W + u-blox",
    "role": "ground",
    "radio": {"plan": "lora_aprs"},
}
