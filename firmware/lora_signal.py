"""Packet RSSI and SNR from the SX1276/77/78's packet registers, in quarter dB.

Semtech SX1276/77/78/79 datasheet rev. 7, section 5.5.5 ("RSSI and SNR in
LoRa mode"):

    SNR (dB)             = PacketSnr / 4, PacketSnr = RegPktSnrValue (0x19),
                           two's complement
    Packet RSSI (dBm)    = -157 + PacketRssi (HF port, band 1)
                         = -164 + PacketRssi (LF port, bands 2 and 3)
                           PacketRssi = RegPktRssiValue (0x1A), unsigned
    when SNR < 0:        + PacketSnr / 4 (the packet was below the noise: the
                           register holds signal plus noise)

Both results are kept in quarter dB (ints), so the ground station prints
them exactly without floats. The receive driver (drivers/sx127x_rx.py) and
the virtual ground station (ground.py, packets from `#P` frames carrying the
same register values) share this one copy of the formulas. No allocation.
"""

from micropython import const

RSSI_OFFSET_HF_DBM = const(-157)
RSSI_OFFSET_LF_DBM = const(-164)
HF_PORT_MIN_HZ = const(525_000_000)  # band 1 above, bands 2/3 below (RegOpMode LowFrequencyModeOn)


def snr_q4(reg):
    """RegPktSnrValue (0..255, two's complement) as SNR in quarter dB."""
    return reg - 256 if reg > 127 else reg


def rssi_q4(rssi_reg, snr_reg, freq_hz):
    """Packet RSSI in quarter dBm from RegPktRssiValue and RegPktSnrValue."""
    offset = RSSI_OFFSET_HF_DBM if freq_hz >= HF_PORT_MIN_HZ else RSSI_OFFSET_LF_DBM
    q = 4 * (offset + rssi_reg)
    s = snr_q4(snr_reg)
    if s < 0:
        q += s
    return q
