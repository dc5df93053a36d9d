"""Who hears the capsule: a link budget from the beacon to a ground receiver.

A packet is heard when the receiver is inside the radio horizon of both
antennas and the received power is at or above the SX1276's sensitivity for
the packet's spreading factor and bandwidth:

    P_rx = P_tx + G_tx - L_fs(d, f) - L_ground + G_rx - L_cable        [dBm]
    L_fs = 20 log10(4 pi d f / c)                                       (free space)
    d_horizon = sqrt(2 k R h_tx) + sqrt(2 k R h_rx),  k = 4/3           (spherical earth,
                                                                         standard refraction)

L_ground is a margin for the ground-to-ground case (the capsule's antenna
within GROUND_CASE_AGL_M of the ground): the first Fresnel zone is then
mostly obstructed by the ground and the waves, and measured LoRa links lose
far more than free space. The figure is an engineering margin, set per
receiver, not a datasheet number. Without line of sight (beyond the horizon)
nothing is heard, whatever the budget says: LoRa at these frequencies has no
useful ground wave.

Sensitivities are the SX1276/77/78 datasheet's (rev. 7, table "LoRa mode
receiver sensitivity", RFS_L*_HF for band 1, 862-1020 MHz, and RFS_L*_LF for
the LF port's bands 2, 410-525 MHz, and 3, 137-175 MHz), at 125, 250 and 500 kHz;
narrower bandwidths are scaled from 125 kHz (see sensitivity_dbm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from host_tools.paths import firmware_module

SPEED_OF_LIGHT_M_S = 299_792_458.0
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius (as sim/physics.py)
REFRACTION_K = 4.0 / 3.0  # standard atmosphere: radio rays bend with an earth 4/3 as large
HF_BAND_MIN_HZ = 525_000_000  # above: the SX1276's HF port (band 1), below: LF (bands 2, 3)
GROUND_CASE_AGL_M = 10.0  # capsule antenna below this: a ground-to-ground path
DEFAULT_GROUND_MARGIN_DB = 15.0
CAPSULE_ANTENNA_AGL_M = 0.3  # whip on a floating or landed capsule
DEFAULT_CAPSULE_GAIN_DBI = 0.0
THERMAL_NOISE_DBM_HZ = -174.0  # kT at 290 K
NOISE_FIGURE_DB = 6.0  # SX1276 receiver, as used in Semtech's LoRa sensitivity budgets
SNR_REG_MIN_Q4 = -128  # RegPktSnrValue is one signed byte of quarter dB
SNR_REG_MAX_Q4 = 127

# dBm by (bandwidth Hz, SF 6..12), SX1276/77/78/79 datasheet rev. 7, LoRa receiver
# specification (RFS_L125_HF ... RFS_L500_LF; highest LNA gain, LNA boost). The three
# HF rows are cross-checked against two published copies of the table. The LF rows
# are not yet: the 125 kHz row agrees with the datasheet's headline -148 dBm at
# 10.4 kHz (-137 + 10 log10(10.4/125)) and with the noise budget (-174 + 10 log10(BW)
# + NOISE_FIGURE_DB + the demodulator's SNR limit), the 250/500 kHz rows are to be
# checked line by line against the table before a 433 MHz margin is trusted to 1 dB.
_SF = (6, 7, 8, 9, 10, 11, 12)
_SENS_HF = {
    125000: (-118, -123, -126, -129, -132, -133, -136),
    250000: (-115, -120, -123, -125, -128, -130, -133),
    500000: (-111, -116, -119, -122, -125, -128, -130),
}
_SENS_LF = {
    125000: (-121, -124, -127, -130, -133, -135, -137),
    250000: (-118, -122, -125, -128, -130, -132, -135),
    500000: (-113, -119, -122, -125, -128, -130, -132),
}


class LinkError(ValueError):
    """A setting the link model has no figure for (named in the message)."""


def horizon_m(h1_m: float, h2_m: float) -> float:
    """Radio horizon between antennas h1_m and h2_m above a spherical earth (4/3 R)."""
    r = REFRACTION_K * EARTH_RADIUS_M
    return math.sqrt(2 * r * max(0.0, h1_m)) + math.sqrt(2 * r * max(0.0, h2_m))


def free_space_loss_db(distance_m: float, freq_hz: float) -> float:
    """Free-space path loss; distances under one wavelength count as one wavelength."""
    wavelength_m = SPEED_OF_LIGHT_M_S / freq_hz
    d = max(distance_m, wavelength_m)
    return 20 * math.log10(4 * math.pi * d / wavelength_m)


def sensitivity_dbm(sf: int, bw_hz: int, freq_hz: float) -> float:
    """The SX1276's LoRa sensitivity for this SF, bandwidth and band.

    The datasheet lists 125, 250 and 500 kHz; a narrower LoRa bandwidth (the
    UKHAS plan's 20.8 kHz) is the 125 kHz figure moved by 10 log10(BW / 125 kHz):
    the noise in the channel scales with its width and the demodulator needs
    the same SNR at a given SF (sensitivity = -174 + 10 log10 BW + NF + SNR_min)."""
    table = _SENS_HF if freq_hz >= HF_BAND_MIN_HZ else _SENS_LF
    lora_bw = firmware_module("beacon_airtime").BW_HZ
    if bw_hz not in lora_bw or sf not in _SF:
        raise LinkError(
            f"no SX1276 sensitivity for SF{sf} at {bw_hz} Hz (LoRa has SF6..12 and "
            f"{', '.join(str(b) for b in lora_bw)} Hz)"
        )
    if bw_hz in table:
        return float(table[bw_hz][_SF.index(sf)])
    return table[125000][_SF.index(sf)] + 10 * math.log10(bw_hz / 125000)


def haversine_m(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Receiver:
    """A ground station: where it stands and what its antenna and cable add."""

    name: str
    lat: float
    lon: float
    antenna_height_m: float = 2.0
    gain_dbi: float = 2.15  # a dipole
    cable_loss_db: float = 0.0
    ground_margin_db: float = DEFAULT_GROUND_MARGIN_DB


@dataclass
class Beacon:
    """The capsule's transmitter: channel plan, power and antenna."""

    freq_hz: float
    sf: int
    bw_hz: int
    cr: int
    preamble: int
    crc: bool
    tx_dbm: float
    gain_dbi: float = DEFAULT_CAPSULE_GAIN_DBI

    def airtime_ms(self, n_bytes: int) -> int:
        """Time on air by the firmware's own formula (beacon_airtime.py)."""
        return firmware_module("beacon_airtime").airtime_ms(
            n_bytes, self.sf, self.bw_hz, self.cr, self.preamble, self.crc
        )


def beacon_from_plan(freq_khz=None, plan=None, tx_dbm=None, gain_dbi=None) -> Beacon:
    """The beacon as the firmware sets it up: radio_plan.py's plan, the flight's
    frequency (config lora_freq_khz) when given."""
    rp = firmware_module("radio_plan")
    name = plan or rp.DEFAULT_PLAN
    if name not in rp.PLANS:
        raise LinkError(f"radio plan {name!r} unknown (have {', '.join(sorted(rp.PLANS))})")
    p = rp.PLANS[name]
    return Beacon(
        freq_hz=1000.0 * (freq_khz if freq_khz is not None else p["freq_khz"]),
        sf=p["sf"],
        bw_hz=p["bw_hz"],
        cr=p["cr"],
        preamble=p["preamble"],
        crc=p["crc"],
        tx_dbm=float(rp.BEACON_TX_DBM if tx_dbm is None else tx_dbm),
        gain_dbi=DEFAULT_CAPSULE_GAIN_DBI if gain_dbi is None else gain_dbi,
    )


@dataclass
class Path:
    """One packet's path from the capsule to one receiver."""

    ground_m: float  # along the surface
    slant_m: float
    horizon_m: float
    line_of_sight: bool
    ground_case: bool
    loss_db: float  # free space + ground margin
    rx_dbm: float  # received power (meaningless without line of sight)
    sensitivity_dbm: float
    heard: bool

    @property
    def margin_db(self) -> float:
        return self.rx_dbm - self.sensitivity_dbm


def path(beacon: Beacon, rx: Receiver, lat, lon, capsule_agl_m) -> Path:
    """The path of a packet sent from (lat, lon) at capsule_agl_m above the
    ground (the receiver stands on the same ground level)."""
    h_tx = max(0.0, capsule_agl_m) + CAPSULE_ANTENNA_AGL_M
    ground = haversine_m(rx.lat, rx.lon, lat, lon)
    slant = math.hypot(ground, h_tx - rx.antenna_height_m)
    hz = horizon_m(h_tx, rx.antenna_height_m)
    los = ground <= hz
    ground_case = capsule_agl_m < GROUND_CASE_AGL_M
    loss = free_space_loss_db(slant, beacon.freq_hz) + (rx.ground_margin_db if ground_case else 0.0)
    rx_dbm = beacon.tx_dbm + beacon.gain_dbi - loss + rx.gain_dbi - rx.cable_loss_db
    sens = sensitivity_dbm(beacon.sf, beacon.bw_hz, beacon.freq_hz)
    return Path(ground, slant, hz, los, ground_case, loss, rx_dbm, sens, los and rx_dbm >= sens)


def snr_db(rx_dbm: float, bw_hz: int) -> float:
    """Signal over the receiver's noise floor (-174 dBm/Hz + 10 log10 BW + NF)."""
    return rx_dbm - (THERMAL_NOISE_DBM_HZ + 10 * math.log10(bw_hz) + NOISE_FIGURE_DB)


def packet_registers(rx_dbm: float, snr: float, freq_hz: float) -> tuple[int, int]:
    """(RegPktRssiValue, RegPktSnrValue) a chip would hold for this packet: the
    inverse of the datasheet's formulas (firmware/lora_signal.py), clamped to
    what the registers can hold."""
    ls = firmware_module("lora_signal")
    offset = ls.RSSI_OFFSET_HF_DBM if freq_hz >= ls.HF_PORT_MIN_HZ else ls.RSSI_OFFSET_LF_DBM
    snr_q4 = max(SNR_REG_MIN_Q4, min(SNR_REG_MAX_Q4, round(snr * 4)))
    rssi = rx_dbm - offset - (snr_q4 / 4 if snr_q4 < 0 else 0.0)
    return max(0, min(255, round(rssi))), snr_q4 & 0xFF


# -- scenario table [[receivers]] ------------------------------------------------------
RECEIVER_KEYS = {
    "name": "text",
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "antenna_height_m": (0.0, 10_000.0),
    "gain_dbi": (-20.0, 40.0),
    "cable_loss_db": (0.0, 60.0),
    "ground_margin_db": (0.0, 80.0),
}
RECEIVER_REQUIRED = ("lat", "lon")
RADIO_KEYS = {"plan": "text", "tx_dbm": (-4.0, 30.0), "gain_dbi": (-20.0, 20.0)}


def _checked(table, keys, where, required=()):
    if not isinstance(table, dict):
        raise LinkError(f"{where}: must be a table")
    for key in required:
        if key not in table:
            raise ValueError(f"{where} {key}: missing (required)")
    out = {}
    for key, value in table.items():
        rule = keys.get(key)
        if rule is None:
            raise ValueError(f"{where} {key}: unknown key (allowed: {', '.join(sorted(keys))})")
        if rule == "text":
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{where} {key}: must be a non-empty string, got {value!r}")
        else:
            lo, hi = rule
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where} {key}: must be a number, got {value!r}")
            if not lo <= value <= hi or not math.isfinite(value):
                raise ValueError(f"{where} {key}: must be in [{lo:g}, {hi:g}], got {value!r}")
            value = float(value)
        out[key] = value
    return out


def receivers_from_table(tables, source="scenario"):
    """[[receivers]] of a scenario as checked dicts; ValueError names the entry and key."""
    if not isinstance(tables, list):
        raise LinkError(f"{source}: receivers must be an array of tables ([[receivers]])")
    out = []
    names = set()
    for i, t in enumerate(tables):
        r = _checked(t, RECEIVER_KEYS, f"{source}: [[receivers]] #{i + 1}", RECEIVER_REQUIRED)
        r.setdefault("name", f"rx{i + 1}")
        if r["name"] in names:
            raise ValueError(f"{source}: [[receivers]] #{i + 1} name: {r['name']!r} used twice")
        names.add(r["name"])
        out.append(r)
    return out


def radio_from_table(table, source="scenario"):
    """[radio] of a scenario (the capsule's transmitter), checked."""
    r = _checked(table, RADIO_KEYS, f"{source}: [radio]")
    if "plan" in r:
        plans = firmware_module("radio_plan").PLANS
        if r["plan"] not in plans:
            raise ValueError(
                f"{source}: [radio] plan: {r['plan']!r} unknown (have {', '.join(sorted(plans))})"
            )
    return r
