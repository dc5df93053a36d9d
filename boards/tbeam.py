# LilyGO T-Beam v1.0 / v1.1 (AXP192) or v1.2 (AXP2101): ESP32, SX1276 LoRa,
# u-blox NEO-6M/M8N GNSS, AXP power chip, plus an MS5611 barometer, an
# ADXL375 (+-200 g) and a LIS3DH (+-16 g) on the I2C header. Pin numbers are
# ESP32 GPIO numbers.
#
# On-board wiring (LilyGO's LilyGo-LoRa-Series utilities.h, T_BEAM_SX1276):
#   LoRa  SCK 5, MISO 19, MOSI 27, NSS 18, RST 23, DIO0 26 (DIO1 33, DIO2 32)
#   GNSS  ESP32 RX 34 <- GNSS TX, ESP32 TX 12 -> GNSS RX, 9600 baud
#   I2C   SDA 21, SCL 22: AXP192/AXP2101 at 0x34 (and the optional OLED 0x3C)
#   LED   GPIO 4, lit when low; user button GPIO 38; PMU IRQ GPIO 35
# The AXP chip powers the radio (AXP192 LDO2 / AXP2101 ALDO2) and the GNSS
# (LDO3 / ALDO3): "rails" below switches them on at 3.3 V at boot, and the
# battery voltage is read from the chip. hw_real tells the two chips apart.
#
# Added parts, on free header pins chosen to stay quiet at boot:
#   pyro drogue gate GPIO 25, main gate GPIO 13 (neither is a strapping pin
#     nor toggles during boot); fit 10 k gate pull-downs anyway;
#   continuity sense GPIO 36 (VP) and 39 (VN): input-only ADC1 channels,
#     read with 11 dB attenuation (full scale about 3.1 V);
#   arm key switch GPIO 2 to ground (internal pull-up; GPIO 2 low at reset
#     does not change the boot mode while GPIO 0 is high);
#   active buzzer GPIO 14 (it may chirp at reset: GPIO 14 toggles at boot).
# I2C addresses on the header: MS5611 0x77, ADXL375 0x53, LIS3DH 0x18.
# A BMP388 (0x76) can replace the MS5611 ({"driver": "bmp388", ...}), but it
# reads only down to 300 hPa (about 9 km): no drogue-altitude pressure.
BOARD = {
    "name": "tbeam",
    "description": "LilyGO T-Beam v1.x (ESP32, SX1276, u-blox, AXP) + MS5611 + ADXL375 + LIS3DH",
    "mode": "hw",
    "arch": "xtensawin",  # mpy-cross -march: native code (viper) in the firmware
    "buses": {
        "i2c0": {"kind": "i2c", "id": 0, "sda": 21, "scl": 22, "freq": 400000},
        "spi0": {"kind": "spi", "id": 2, "sck": 5, "mosi": 27, "miso": 19, "baudrate": 5000000},
        "uart1": {"kind": "uart", "id": 1, "tx": 12, "rx": 34, "baudrate": 9600, "rxbuf": 1024},
    },
    "baro": {"driver": "ms5611", "bus": "i2c0", "addr": 0x77, "osr": 4096, "temp_every": 4},
    # ADXL375: +-200 g is its only range; 200 Hz output rate (the driver's default)
    "accel": {"driver": "adxl375", "bus": "i2c0", "addr": 0x53, "axes": "+x+y+z"},
    "accel2": {
        "driver": "lis3dh",
        "bus": "i2c0",
        "addr": 0x18,
        "axes": "+x+y+z",
        "range_g": 16,
        "rate_hz": 200,
    },
    "gnss": {"driver": "ublox", "uart": "uart1"},
    "radio": {"driver": "sx127x", "bus": "spi0", "cs": 18, "reset": 23, "dio0": 26},
    "pyro": {
        "drogue": {"pin": 25, "sense_adc": 36},
        "main": {"pin": 13, "sense_adc": 39},
    },
    "adc_atten": "ATTN_11DB",
    "arm_switch": {"pin": 2, "active_low": True},
    "battery": {"driver": "axp", "bus": "i2c0", "addr": 0x34, "rails": ["lora", "gnss"]},
    "led": {"pin": 4, "active_low": True},
    "buzzer": 14,
    "watchdog_ms": 2000,
}
