# Raspberry Pi Pico / Pico W (RP2040) on a recovery carrier board:
# MS5611 barometer and ADXL375 high-g accelerometer on I2C0, u-blox GNSS on
# UART1, RFM95W (SX1276) on SPI0, two pyro channels switched by logic-level
# MOSFETs with continuity sense through a divider on ADC0/ADC1, an arm key
# switch, an active buzzer and the on-board LED. Pin numbers are GPIO numbers.
#
# Wiring notes the firmware relies on:
# - RP2040 pads reset as inputs with pull-downs, and hw_real drives the pyro
#   gates low before anything else; still fit a 10 k pull-down on each MOSFET
#   gate so the channel stays off while the chip is in reset or unflashed.
# - Continuity sense: battery -> igniter -> sense divider -> ADC; above
#   sense_min_u16 (10 % of full scale by default) the igniter is present.
# - Battery: an external 1:3 divider (200 k / 100 k) on GP28; GP29 (VSYS/3)
#   is taken by the radio module on a Pico W.
# - I2C0 addresses: MS5611 0x77 (CSB low), ADXL375 0x53 (ALT low). A LIS3DH
#   (0x18) can be added as "accel2" for finer readings under the chutes.
BOARD = {
    "name": "pico",
    "description": "Raspberry Pi Pico + MS5611 + ADXL375 + u-blox + RFM95W",
    "mode": "hw",
    "arch": "armv6m",  # mpy-cross -march: native code (viper) in the firmware
    "buses": {
        "i2c0": {"kind": "i2c", "id": 0, "sda": 4, "scl": 5, "freq": 400000},
        "spi0": {"kind": "spi", "id": 0, "sck": 18, "mosi": 19, "miso": 16, "baudrate": 5000000},
        "uart1": {"kind": "uart", "id": 1, "tx": 8, "rx": 9, "baudrate": 9600, "rxbuf": 1024},
    },
    "baro": {"driver": "ms5611", "bus": "i2c0", "addr": 0x77, "osr": 4096, "temp_every": 4},
    # ADXL375: +-200 g is its only range; 200 Hz output rate (the driver's default)
    "accel": {"driver": "adxl375", "bus": "i2c0", "addr": 0x53, "axes": "+x+y+z"},
    "gnss": {"driver": "ublox", "uart": "uart1"},
    "radio": {"driver": "sx127x", "bus": "spi0", "cs": 17, "reset": 20, "dio0": 21},
    "pyro": {
        "drogue": {"pin": 14, "sense_adc": 26},
        "main": {"pin": 15, "sense_adc": 27},
    },
    "arm_switch": {"pin": 13, "active_low": True},
    "battery": {"driver": "adc", "pin": 28, "divider": 3.0, "vref_mv": 3300},
    "led": 25,
    "buzzer": 22,
    "watchdog_ms": 2000,
}
