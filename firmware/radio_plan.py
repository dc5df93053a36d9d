"""LoRa channel plans the capsule beacons on and a ground station listens to.

One home for the modem settings both ends must share: a receiver on another
spreading factor, bandwidth or sync word hears nothing. The frequency itself
is the flight's `lora_freq_khz` config key (per region); a plan gives the
rest, as keyword arguments of drivers/sx127x.SX127x. Host tools read this
module (host_tools.paths.firmware_module("radio_plan")) for the link model's
time on air and receiver sensitivity.

- "lora_aprs": the LoRa APRS trackers and iGates (433.775 MHz, SF12,
  BW 125 kHz, CR 4/5, sync word 0x12, 8 preamble symbols), the beacon's
  default (sx127x.SX127x's defaults are the same values).
- "ukhas": the balloon community's LoRa gateway "mode 0" for telemetry:
  explicit header, CR 4/8, BW 20.8 kHz, SF11 (low data rate optimisation
  follows from SF and bandwidth in the driver).
"""

PLANS = {
    "lora_aprs": {
        "freq_khz": 433775,
        "sf": 12,
        "bw_hz": 125000,
        "cr": 5,
        "sync_word": 0x12,
        "preamble": 8,
        "crc": True,
    },
    "ukhas": {
        "freq_khz": 434225,
        "sf": 11,
        "bw_hz": 20800,
        "cr": 8,
        "sync_word": 0x12,
        "preamble": 8,
        "crc": True,
    },
}
DEFAULT_PLAN = "lora_aprs"

# The capsule's transmitter on the beacon (sx127x default on PA_BOOST).
BEACON_TX_DBM = 17
