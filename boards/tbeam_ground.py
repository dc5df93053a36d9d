# The recovery team's ground station on a LilyGO T-Beam v1.x (ESP32, SX1276,
# u-blox, AXP192/AXP2101): the same firmware in the ground-station role
# (firmware/ground.py). It listens continuously on the beacon's channel
# (radio plan "lora_aprs" at the flight's lora_freq_khz) and prints every
# packet as an RX line on USB serial, with its own GNSS position, for
# `capsule track --port`. Wiring as boards/tbeam.py (LilyGO's utilities.h,
# T_BEAM_SX1276): LoRa SCK 5, MISO 19, MOSI 27, NSS 18, RST 23, DIO0 26;
# GNSS RX 34 / TX 12 at 9600 baud; AXP at 0x34 on I2C SDA 21 / SCL 22
# powers the radio (LDO2/ALDO2) and the GNSS (LDO3/ALDO3).
BOARD = {
    "name": "tbeam_ground",
    "description": "ground station: LilyGO T-Beam v1.x (ESP32, SX1276, u-blox, AXP)",
    "mode": "hw",
    "role": "ground",
    "arch": "xtensawin",
    "buses": {
        "i2c0": {"kind": "i2c", "id": 0, "sda": 21, "scl": 22, "freq": 400000},
        "spi0": {"kind": "spi", "id": 2, "sck": 5, "mosi": 27, "miso": 19, "baudrate": 5000000},
        "uart1": {"kind": "uart", "id": 1, "tx": 12, "rx": 34, "baudrate": 9600, "rxbuf": 1024},
    },
    "gnss": {"driver": "ublox", "uart": "uart1"},
    "radio": {
        "driver": "sx127x",
        "bus": "spi0",
        "cs": 18,
        "reset": 23,
        "dio0": 26,
        "plan": "lora_aprs",
    },
    "battery": {"driver": "axp", "bus": "i2c0", "addr": 0x34, "rails": ["lora", "gnss"]},
    "led": {"pin": 4, "active_low": True},
    "buzzer": None,
    "watchdog_ms": None,
}
