# The recovery team's ground station on a Raspberry Pi Pico + RFM95W
# (SX1276) + u-blox GNSS, wired as boards/pico.py: the same firmware in the
# ground-station role (firmware/ground.py). It listens continuously on the
# beacon's channel (radio plan "lora_aprs" at the flight's lora_freq_khz)
# and prints every packet as an RX line on USB serial, with its own GNSS
# position, for `capsule track --port`. Pin numbers are GPIO numbers.
BOARD = {
    "name": "pico_ground",
    "description": "ground station: Raspberry Pi Pico + RFM95W + u-blox",
    "mode": "hw",
    "role": "ground",
    "arch": "armv6m",
    "buses": {
        "spi0": {"kind": "spi", "id": 0, "sck": 18, "mosi": 19, "miso": 16, "baudrate": 5000000},
        "uart1": {"kind": "uart", "id": 1, "tx": 8, "rx": 9, "baudrate": 9600, "rxbuf": 1024},
    },
    "gnss": {"driver": "ublox", "uart": "uart1"},
    "radio": {
        "driver": "sx127x",
        "bus": "spi0",
        "cs": 17,
        "reset": 20,
        "dio0": 21,
        "plan": "lora_aprs",
    },
    "battery": None,
    "led": 25,
    "buzzer": None,
    "watchdog_ms": None,
}
