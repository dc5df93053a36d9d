"""Iridium SBD sender on MicroPython against a simulated 9602/9603
(tests/support/beacon_fakes/fake_iridium.py) that answers as the ISU AT Command
Reference describes, including its error codes, no signal and silence."""

import json
from pathlib import Path

from mpy import SCRIPTS, SUPPORT, run_mpy

FAKES = Path(__file__).resolve().parents[1] / "support" / "beacon_fakes"

# the rig's names as the test bodies use them
SETUP = """
from iridium_rig import MSG, Rig
rig = Rig(echo={echo})
clk, log, modem, ird, run, report = rig.clk, rig.log, rig.modem, rig.ird, rig.run, rig.report
"""


def mpy(body, echo=True):
    out = run_mpy(SETUP.format(echo=echo) + body, extra_path=[FAKES, SUPPORT])
    return json.loads(out.strip().splitlines()[-1])


def script(name):
    """A scenario of tests/firmware/mpy on the rig: its report."""
    out = run_mpy(file=SCRIPTS / name, extra_path=[FAKES, SUPPORT])
    return json.loads(out.strip().splitlines()[-1])


def send(setup="", ms=600000, echo=True):
    """`setup` on the fake modem, then MSG sent and `ms` of polling: the report."""
    return mpy(f"{setup}\nird.send(MSG, len(MSG))\nrun({ms})\nreport()\n", echo=echo)


MSG = bytes(range(100, 131))
HAPPY = ["AT", "AT&K0", "AT+SBDWB=31", "AT+CSQ", "AT+SBDIX"]


def test_a_message_goes_through_the_documented_command_sequence():
    r = mpy(
        """
ok = ird.send(MSG, len(MSG))
polls = run(120000)
report(ok=ok, polls=polls)
"""
    )
    assert r["ok"] is True
    assert r["commands"] == HAPPY
    assert bytes(r["last"]) == MSG  # the modem verified our 2-byte checksum
    assert r["sent"] == 1 and r["failed"] == 0 and r["result"] == 1 and not r["busy"]
    assert r["sbdix"][:2] == [0, 1]  # MO status, MOMSN


def test_the_sender_never_blocks_a_flight_loop():
    r = mpy(
        """
ird.send(MSG, len(MSG))
after_send = len(log)
for i in range(5):
    ird.poll()   # no time passes: no reply is visible yet, nothing may wait for it
no_time = len(log)
polls = run(120000)
report(after_send=after_send, no_time=no_time, polls=polls)
"""
    )
    assert r["after_send"] == 1  # only AT was written by send()
    assert r["no_time"] == 1  # polls without replies return at once
    # SBDIX takes 12 s in the simulated modem: the loop kept running at 10 Hz
    assert r["polls"] > 120
    assert r["sent"] == 1


def test_the_modem_without_echo_is_understood_too():
    r = send(ms=120000, echo=False)
    assert r["sent"] == 1 and r["commands"] == HAPPY


def test_sbdix_fields_are_all_parsed():
    r = send('modem.mt_fields = b"1, 5, 12, 2"', ms=120000)
    assert r["sbdix"] == [0, 1, 1, 5, 12, 2]


def test_no_signal_backs_off_with_growing_waits_then_sends():
    r = send("modem.csq = [0, 0, 3]")
    csq_times = [t for t, c in zip(r["times"], r["commands"]) if c == "AT+CSQ"]
    assert len(csq_times) == 3
    gap1 = csq_times[1] - csq_times[0]
    gap2 = csq_times[2] - csq_times[1]
    assert gap1 >= 10000 and gap2 >= 2 * 10000 and gap2 > gap1
    assert r["commands"].count("AT+SBDIX") == 1
    assert r["sent"] == 1 and r["no_signal"] == 2


def test_sbdix_mo_status_32_retries_without_rewriting_the_message():
    r = send("modem.sbdix_mo = [32, 18, 2]")
    assert r["commands"].count("AT+SBDIX") == 3
    assert r["commands"].count("AT+SBDWB=31") == 1  # MO buffer kept between tries
    assert r["sent"] == 1 and r["no_signal"] == 2
    assert bytes(r["last"]) == MSG and r["sbdix"][0] == 2  # 0..4 all mean sent


def test_bad_checksum_reply_rewrites_the_message():
    r = send("modem.corrupt = 1")
    assert r["commands"].count("AT+SBDWB=31") == 2
    assert r["bad_checksum"] == 1 and r["sent"] == 1 and bytes(r["last"]) == MSG


def test_wrong_size_reply_gives_the_message_up_at_once():
    r = send("modem.size_error = True")
    assert r["failed"] == 1 and r["sent"] == 0 and r["result"] == 2 and not r["busy"]
    assert r["commands"].count("AT+SBDWB=31") == 1
    assert "AT+SBDIX" not in r["commands"]


def test_lengths_the_modem_cannot_take_are_refused():
    r = mpy(
        """
a = ird.send(bytes(400), 341)
b = ird.send(MSG, 0)
report(a=a, b=b, refused=ird.refused)
"""
    )
    assert r["a"] is False and r["b"] is False and r["refused"] == 2
    assert r["commands"] == []


def test_error_reply_relinks_and_retries():
    r = send("modem.error_next = 1")
    assert r["errors"] == 1 and r["sent"] == 1
    assert r["commands"][0] == "AT" and r["commands"][1] == "AT"


def test_a_silent_modem_times_out_gives_up_and_later_recovers():
    r = script("iridium_silent_recovery.py")
    failed, timeouts, busy, result = r["gave_up"]
    assert failed == 1 and timeouts == 6 and not busy and result == 2
    # 6 tries with waits of 10, 20, 40, 80, 160 s: over 5 minutes, polled all along
    assert r["polls"] > 3000
    assert r["sent"] == 1 and bytes(r["last"]) == MSG


def test_permanent_no_signal_gives_up_after_max_attempts():
    r = send("modem.csq = [0]", ms=3600000)
    assert r["failed"] == 1 and r["sent"] == 0
    assert r["commands"].count("AT+CSQ") == 6
    assert "AT+SBDIX" not in r["commands"]


def test_unsolicited_ring_lines_are_ignored():
    r = mpy(
        """
ird.send(MSG, len(MSG))
for i in range(30):
    ird.poll(); clk.advance_ms(100)
modem._put(b"\\r\\nSBDRING\\r\\n")
run(600000)
report()
"""
    )
    assert r["sent"] == 1 and r["commands"] == HAPPY


def test_a_message_costs_no_allocation_after_warm_up():
    r = script("iridium_alloc.py")
    assert r["alloc"] == 0
    assert r["sent"] == 12 and r["no_signal"] == 6
