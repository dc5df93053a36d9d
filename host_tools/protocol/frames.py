"""Host side of firmware/simlink.py: encode the frames a drop test streams to a board."""

FLAG_BARO_OK = 1
FLAG_ACCEL_OK = 2
FLAG_ARM_INPUT = 4


def _xor(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
    return c


def _s24(v: float) -> int:
    v = round(v)
    v = max(-0x800000, min(0x7FFFFF, v))
    return v & 0xFFFFFF


def sample_frame(
    t_ms: int,
    press_dpa: float,
    accel_mg: tuple,
    vbatt_mv: int = 4000,
    baro_ok: bool = True,
    accel_ok: bool = True,
    arm_input: bool = False,
) -> bytes:
    """One 45-byte `#S` frame."""
    flags = (
        (FLAG_BARO_OK if baro_ok else 0)
        | (FLAG_ACCEL_OK if accel_ok else 0)
        | (FLAG_ARM_INPUT if arm_input else 0)
    )
    p = max(0, min(0xFFFFFF, round(press_dpa)))
    payload = b"%08X%06X%06X%06X%06X%04X%02X00" % (
        int(t_ms) & 0x3FFFFFFF,  # the board's tick period
        p,
        _s24(accel_mg[0]),
        _s24(accel_mg[1]),
        _s24(accel_mg[2]),
        max(0, min(0xFFFF, int(vbatt_mv))),
        flags,
    )
    assert len(payload) == 40
    return b"#S" + payload + b"%02X\n" % _xor(payload)


def gnss_frame(text: bytes) -> bytes:
    """Bytes for the board's GNSS UART (one NMEA sentence with its CR LF)."""
    if not text.endswith(b"\n"):
        text += b"\r\n"
    return b"#G" + text


def sync_frame(seq: int) -> bytes:
    return b"#Y%08X\n" % (seq & 0x3FFFFFFF)


def reset_frame() -> bytes:
    return b"#R\n"
