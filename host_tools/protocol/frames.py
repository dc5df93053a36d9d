"""The `#S/#Y/#G/#R` frames a host streams to a board running firmware/simlink.py:
the only encoder of each frame type.

A drop test sends 100+ sample frames per simulated second, so `#S` has three
entry points over one format: `sample_frame` (clamps and rounds, for people
and tests), `sample_frame_in_range` (the per-sample hot path) and
`sample_frames` (numpy, a batch at once). Tests check all three agree and
that the firmware decodes them unchanged.
"""

import numpy as np

FLAG_BARO_OK = 1
FLAG_ACCEL_OK = 2
FLAG_ARM_INPUT = 4
TICK_PERIOD_MASK = 0x3FFFFFFF  # the board's tick counter wraps at 2**30 (firmware/simlink.py)
RESET_FRAME = b"#R\n"  # a power cut on the virtual board (only at the start of a line)


def sync_frame(seq: int) -> bytes:
    """`#Y`: the board answers with its clock, so the host can map board time."""
    return b"#Y%08X\n" % (seq & TICK_PERIOD_MASK)


def gnss_frame(text: bytes) -> bytes:
    """`#G`: bytes for the board's GNSS UART (one NMEA sentence with its CR LF)."""
    if not text.endswith(b"\n"):
        text += b"\r\n"
    return b"#G" + text


def _rounded(v) -> int:
    """Nearest int of a Python or numpy number (numpy scalars may round to floats)."""
    return int(round(v))  # noqa: RUF046


def _s24(v) -> int:
    return max(-0x800000, min(0x7FFFFF, _rounded(v)))


def sample_frame(
    t_ms: int,
    press_dpa: float,
    accel_mg: tuple,
    vbatt_mv: int = 4000,
    baro_ok: bool = True,
    accel_ok: bool = True,
    arm_input: bool = False,
) -> bytes:
    """One 45-byte `#S` frame; values rounded and clamped to their fields."""
    flags = (
        (FLAG_BARO_OK if baro_ok else 0)
        | (FLAG_ACCEL_OK if accel_ok else 0)
        | (FLAG_ARM_INPUT if arm_input else 0)
    )
    return sample_frame_in_range(
        int(t_ms),
        max(0, min(0xFFFFFF, _rounded(press_dpa))),
        _s24(accel_mg[0]),
        _s24(accel_mg[1]),
        _s24(accel_mg[2]),
        max(0, min(0xFFFF, int(vbatt_mv))),
        flags,
    )


_FOLD_MASKS = tuple((1 << (8 * n)) - 1 for n in (32, 16, 8, 4, 2, 1))


def _xor_bytes(data):
    """XOR of up to 64 bytes, by folding one big integer (no per-byte loop)."""
    x = int.from_bytes(data, "little")
    for bits, mask in ((256, _FOLD_MASKS[0]), (128, _FOLD_MASKS[1]), (64, _FOLD_MASKS[2])):
        x = (x >> bits) ^ (x & mask)
    x = (x >> 32) ^ (x & 0xFFFFFFFF)
    x = (x >> 16) ^ (x & 0xFFFF)
    return (x >> 8) ^ (x & 0xFF)


def sample_frame_in_range(t_ms, press_dpa, ax_mg, ay_mg, az_mg, vbatt_mv, flags):
    """`sample_frame` for values already within their fields (the simulator's
    batch models clip them): the per-sample path of a drop test, no clamping
    and no rounding (100+ frames per simulated second)."""
    payload = b"%08X%06X%06X%06X%06X%04X%02X00" % (
        t_ms & TICK_PERIOD_MASK,
        press_dpa,
        ax_mg & 0xFFFFFF,
        ay_mg & 0xFFFFFF,
        az_mg & 0xFFFFFF,
        vbatt_mv,
        flags,
    )
    return b"#S" + payload + b"%02X\n" % _xor_bytes(payload)


# The batch encoder: each of the frame's 38 field digits is taken from its
# field by a shift, then looked up in a hex table, for a whole batch at once.
# Measured on a 20-sample batch: about a fifth of the cost of 20 calls of
# sample_frame_in_range.
SAMPLE_FRAME_BYTES = 45


def _digit_layout(digits, bits, masks):
    """The tables a vectorised encoder takes its digits by, for fields of
    `digits` characters of `bits` bits each: each field's mask (a column),
    and per digit the field it comes from and its shift in that field."""
    return (
        np.array([[m] for m in masks], dtype=np.int64),
        np.array([f for f, n in enumerate(digits) for _ in range(n)]),
        np.array([[bits * (n - 1 - k)] for n in digits for k in range(n)], dtype=np.int64),
    )


_FIELD_DIGITS = (8, 6, 6, 6, 6, 4, 2)  # t_ms, press_dpa, ax, ay, az, vbatt_mv, flags
_FIELD_MASKS, _DIGIT_FIELD, _DIGIT_SHIFT = _digit_layout(
    _FIELD_DIGITS, 4, (TICK_PERIOD_MASK, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)
)
_HEX_DIGITS = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_HEX_PAIRS = np.frombuffer(b"".join(b"%02X" % i for i in range(256)), dtype=np.uint8).reshape(
    256, 2
)
_PAYLOAD_DIGITS = len(_DIGIT_FIELD)  # 38, then the reserved "00"
_FRAME_TEMPLATE = np.frombuffer(
    b"#S" + b"_" * _PAYLOAD_DIGITS + b"00__\n", dtype=np.uint8
)  # '_' = filled in per sample


def sample_frames(ticks, readings):
    """The `#S` frames of a batch, concatenated: `ticks` the board ticks (n,),
    `readings` the (6, n) int array of SensorSuite.sample_rows (press_dpa,
    ax/ay/az_mg, vbatt_mv, flags, already within their fields). Byte for byte
    what sample_frame_in_range gives sample by sample."""
    n = len(ticks)
    fields = np.empty((7, n), dtype=np.int64)
    fields[0] = ticks
    fields[1:] = readings
    fields &= _FIELD_MASKS
    digits = _HEX_DIGITS[(fields[_DIGIT_FIELD] >> _DIGIT_SHIFT) & 0xF]  # (38, n)
    out = np.empty((n, SAMPLE_FRAME_BYTES), dtype=np.uint8)
    out[:] = _FRAME_TEMPLATE
    out[:, 2 : 2 + _PAYLOAD_DIGITS] = digits.T
    # the checksum: XOR of the payload, whose "00" adds nothing
    out[:, 42:44] = _HEX_PAIRS[np.bitwise_xor.reduce(digits, axis=0)]
    return out.tobytes()


# `#P` flags (firmware/ground.py)
RX_FLAG_CRC_ERROR = 1
RX_FLAG_NO_CRC = 2


def rx_frame(t_ms: int, rssi_reg: int, snr_reg: int, payload: bytes, flags: int = 0) -> bytes:
    """`#P`: a packet the virtual ground station's radio received, as the chip
    would hold it (RegPktRssiValue, RegPktSnrValue two's complement, IRQ bits)."""
    if not 1 <= len(payload) <= 255:
        raise ValueError(f"a LoRa packet is 1..255 bytes, got {len(payload)}")
    body = (
        b"%08X%02X%02X%02X%02X"
        % (
            t_ms & TICK_PERIOD_MASK,
            rssi_reg & 0xFF,
            snr_reg & 0xFF,
            flags & 0xFF,
            len(payload),
        )
        + payload.hex().upper().encode()
    )
    x = 0
    for b in body:
        x ^= b
    return b"#P" + body + b"%02X\n" % x


# -- `#B`: a batch of samples in one frame ----------------------------------------------
# Up to BATCH_MAX samples of 25 characters each, every character carrying 6
# bits as chr(48 + v) ('0'..'o': no control byte, no '#', no newline), and
# one checksum for the frame: 25 bytes a sample instead of 45, and one frame
# for the board's console to find, dispatch and check per 8 samples instead
# of one per sample. The board's 256-byte receive buffer holds a whole frame.
BATCH_MAX = 8
BATCH_RECORD_BYTES = 25
_B_DIGITS = (5, 4, 4, 4, 4, 3, 1)  # t_ms, press_dpa, ax, ay, az, vbatt_mv, flags
_B_MASKS, _B_FIELD, _B_SHIFT = _digit_layout(
    _B_DIGITS, 6, (TICK_PERIOD_MASK, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0x3FFFF, 0x3F)
)


def batch_records(ticks, readings):
    """The (n, 25) uint8 sample records of a batch (as sample_frames takes
    them); batch_frame() wraps up to BATCH_MAX consecutive ones into a frame."""
    n = len(ticks)
    fields = np.empty((7, n), dtype=np.int64)
    fields[0] = ticks
    fields[1:] = readings
    fields &= _B_MASKS
    digits = ((fields[_B_FIELD] >> _B_SHIFT) & 63) + 48  # (25, n)
    return np.ascontiguousarray(digits.T.astype(np.uint8))


def batch_frame(records):
    """`#B` C RECORDS HH \\n: C = chr(48 + count), HH the XOR of C and the
    records in hex."""
    count = len(records)
    if not 1 <= count <= BATCH_MAX:
        raise ValueError(f"a batch frame holds 1..{BATCH_MAX} samples, not {count}")
    c = 48 + count
    x = c ^ int(np.bitwise_xor.reduce(records, axis=None))
    return b"#B%c" % c + records.tobytes() + b"%02X\n" % x


def batch_frames(ticks, readings):
    """All samples of a batch as consecutive `#B` frames of BATCH_MAX."""
    records = batch_records(ticks, readings)
    return b"".join(
        batch_frame(records[i : i + BATCH_MAX]) for i in range(0, len(records), BATCH_MAX)
    )
