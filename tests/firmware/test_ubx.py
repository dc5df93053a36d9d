"""Receiver configuration (firmware/ubx.py) on MicroPython against a simulated
u-blox that ACKs, NAKs or stays silent, and every frame the firmware builds
decoded by pyubx2 (an independent UBX implementation)."""

import json

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy
from pyubx2 import SET, UBXReader
from pyubx2.exceptions import UBXParseError

CFG_VALSET = (0x06, 0x8A)
CFG_NAV5 = (0x06, 0x24)
CFG_RXM = (0x06, 0x11)


def configure(
    policy=None, default="ack", interface="auto", profile="descent", lose=0, tx_bytes_max=None
):
    """Run a profile against the simulated receiver; return its summary line and TX bytes.

    `policy` maps (class, id) to "ack", "nak" or "silent"; tx_bytes_max=N makes the
    receiver's UART take at most N bytes a write."""
    case = {
        "policy": [[*key, what] for key, what in (policy or {}).items()],
        "default": default,
        "lose": lose,
        "interface": interface,
        "profile": profile,
        "tx_bytes_max": tx_bytes_max,
    }
    out = run_mpy(file=SCRIPTS / "ubx_configure.py", stdin=json.dumps(case), extra_path=[SUPPORT])
    lines = out.strip().splitlines()
    state, used, sent, acks, naks, timeouts, skipped, t_ms = lines[0].split()
    return {
        "state": state,
        "used": used,
        "sent": int(sent),
        "acks": int(acks),
        "naks": int(naks),
        "timeouts": int(timeouts),
        "skipped": int(skipped),
        "t_ms": int(t_ms),
        "error": eval(lines[1]),  # repr of a str or None from MicroPython
        "tx": bytes.fromhex(lines[2]),
        "frames": [tuple(f) for f in json.loads(lines[3])],
    }


def decode_all(tx):
    """Every frame the board wrote, decoded by pyubx2 with checksum validation."""
    msgs = []
    for _raw, msg in UBXReader(iter_stream(tx), msgmode=SET, protfilter=2, quitonerror=2):
        msgs.append(msg)
    return msgs


class iter_stream:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def read(self, n=1):
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def test_descent_profile_on_an_m9_sets_airborne_4g_rate_and_nmea_output_in_one_valset():
    r = configure()
    assert r["state"] == "done" and r["used"] == "valset"
    msgs = decode_all(r["tx"])
    assert [m.identity for m in msgs] == ["CFG-VALSET", "CFG-VALSET"]
    main, pm = msgs
    assert main.ram == 1 and main.bbr == 0 and main.flash == 0
    assert main.CFG_NAVSPG_DYNMODEL == 8  # airborne < 4 g
    assert main.CFG_RATE_MEAS == 1000 and main.CFG_RATE_NAV == 1
    for name in ("GGA", "RMC", "GSA"):
        assert getattr(main, f"CFG_MSGOUT_NMEA_ID_{name}_UART1") == 1
    for name in ("GSV", "GLL", "VTG", "ZDA", "GST", "GBS", "GRS", "GNS"):
        assert getattr(main, f"CFG_MSGOUT_NMEA_ID_{name}_UART1") == 0
    assert pm.CFG_PM_OPERATEMODE == 0  # full power during descent


def test_float_profile_on_an_m10_selects_sea_model_and_power_save():
    r = configure(profile="float")
    assert r["state"] == "done"
    main, pm = decode_all(r["tx"])
    assert main.CFG_NAVSPG_DYNMODEL == 5  # sea
    assert main.CFG_RATE_MEAS == 1000
    assert pm.CFG_PM_OPERATEMODE == 1  # on/off power save
    assert pm.CFG_PM_POSUPDATEPERIOD == 60


@pytest.mark.parametrize("profile,model,lp_mode", [("descent", 8, 0), ("float", 5, 1)])
def test_legacy_receiver_gets_nav5_rate_msg_and_rxm_frames(profile, model, lp_mode):
    r = configure(interface="legacy", profile=profile)
    assert r["state"] == "done" and r["used"] == "legacy"
    msgs = decode_all(r["tx"])
    ids = [m.identity for m in msgs]
    assert ids == ["CFG-NAV5", "CFG-RATE"] + ["CFG-MSG"] * 11 + ["CFG-RXM"]
    nav5, rate = msgs[0], msgs[1]
    assert nav5.dyn == 1 and nav5.dynModel == model  # mask applies dynModel only
    assert nav5.posMask == 0 and nav5.fixMode == 0
    assert rate.measRate == 1000 and rate.navRate == 1 and rate.timeRef == 1
    rates = {m.msgID: m.rateUART1 for m in msgs[2:13]}
    assert all(m.msgClass == 0xF0 for m in msgs[2:13])
    assert rates == {
        0x00: 1,  # GGA
        0x04: 1,  # RMC
        0x02: 1,  # GSA
        0x03: 0,  # GSV
        0x01: 0,  # GLL
        0x05: 0,  # VTG
        0x08: 0,  # ZDA
        0x07: 0,  # GST
        0x09: 0,  # GBS
        0x06: 0,  # GRS
        0x0D: 0,  # GNS
    }
    for m in msgs[2:13]:  # the same rate on every port
        assert m.rateDDC == m.rateUART1 == m.rateUART2 == m.rateUSB == m.rateSPI
    assert msgs[13].lpMode == lp_mode


def test_u_blox_8_naks_valset_so_auto_falls_back_to_legacy_messages():
    r = configure(policy={CFG_VALSET: "nak"})
    assert r["state"] == "done" and r["used"] == "legacy"
    ids = [m.identity for m in decode_all(r["tx"])]
    assert ids[0] == "CFG-VALSET" and ids[1:3] == ["CFG-NAV5", "CFG-RATE"]
    assert r["naks"] == 1 and len(ids) == 1 + 14


def test_receiver_ignoring_valset_falls_back_after_the_retries():
    r = configure(policy={CFG_VALSET: "silent"})
    assert r["state"] == "done" and r["used"] == "legacy"
    ids = [m.identity for m in decode_all(r["tx"])]
    assert ids[:4] == ["CFG-VALSET"] * 4  # first try + 3 retries
    assert r["timeouts"] == 4


def test_silent_receiver_is_retried_then_the_profile_fails_naming_the_message():
    r = configure(default="silent", interface="legacy")
    assert r["state"] == "failed"
    assert r["error"] == "no answer for CFG-NAV5"
    assert [m.identity for m in decode_all(r["tx"])] == ["CFG-NAV5"] * 4
    assert r["timeouts"] == 4
    # 4 waits of ACK_TIMEOUT_MS (1 s) on the virtual clock, polled every 10 ms.
    assert 4000 <= r["t_ms"] <= 4020


def test_nak_of_a_required_step_is_retried_once_then_fails():
    r = configure(policy={CFG_NAV5: "nak"}, interface="legacy")
    assert r["state"] == "failed" and r["error"] == "NAK for CFG-NAV5"
    assert [m.identity for m in decode_all(r["tx"])] == ["CFG-NAV5", "CFG-NAV5"]
    assert r["naks"] == 2


def test_power_save_refused_by_the_receiver_is_skipped_not_fatal():
    r = configure(policy={CFG_RXM: "nak"}, interface="legacy", profile="float")
    assert r["state"] == "done" and r["skipped"] == 1
    r = configure(policy={CFG_VALSET: "ack"}, profile="float")
    assert r["skipped"] == 0


def test_lost_frames_are_resent_after_the_ack_timeout():
    r = configure(lose=1, interface="legacy")
    assert r["state"] == "done"
    ids = [m.identity for m in decode_all(r["tx"])]
    assert ids.count("CFG-NAV5") == 2 and ids.count("CFG-RATE") == 2
    # CFG-MSG frames differ only in payload: each is lost once (by class/id) -> 12 sent.
    assert ids.count("CFG-MSG") == 12
    assert r["timeouts"] == 4


def test_poll_never_waits_and_an_ack_for_another_message_is_not_taken():
    out = run_mpy(file=SCRIPTS / "ubx_poll_no_wait.py", extra_path=[SUPPORT])
    assert out.split() == ["busy", "0", "0", "0", "True"]


def test_unknown_profile_fails_with_a_reason():
    out = run_mpy(
        """
import ubx, gnss, clock
from ubx_receiver_sim import SimReceiver, run
cfg = ubx.UbxConfigurator(SimReceiver(), clock.VirtualClock(), None)
print(cfg.start('orbit'), cfg.state, cfg.error)
""",
        extra_path=[SUPPORT],
    )
    assert out.split() == ["False", "failed", "unknown", "profile"]


def test_every_built_frame_has_a_valid_fletcher_checksum_per_pyubx2():
    out = run_mpy(file=SCRIPTS / "ubx_frames.py")
    frames = [bytes.fromhex(h) for h in out.split()]
    assert len(frames) == 2 * (14 + 2)
    for f in frames:
        msg = UBXReader.parse(f, msgmode=SET)  # raises on a bad checksum or length
        assert msg.identity.startswith("CFG-")
        bad = bytearray(f)
        bad[-1] ^= 1
        with pytest.raises(UBXParseError):
            UBXReader.parse(bytes(bad), msgmode=SET)


def test_frame_into_matches_the_fletcher_definition_for_a_known_frame():
    # UBX-CFG-RATE 1 Hz, GPS time: B5 62 06 08 06 00 E8 03 01 00 01 00 01 39 (the
    # checksum computed by hand from the definition: ck_a += byte, ck_b += ck_a).
    out = run_mpy(
        """
import ubx
b = bytearray(14)
b[6] = 0xE8; b[7] = 0x03; b[8] = 1; b[10] = 1
n = ubx.frame_into(b, 0x06, 0x08, 6)
print(n, bytes(b).hex())
"""
    )
    assert out.split() == ["14", "b56206080600e803010001000139"]


def test_a_uart_that_takes_a_few_bytes_per_write_still_gets_whole_frames():
    r = configure(interface="valset", tx_bytes_max=16)
    assert (r["state"], r["sent"], r["timeouts"]) == ("done", 2, 0)
    assert r["frames"] == [(6, 138), (6, 138)]
