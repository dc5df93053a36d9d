"""SX127x driver on MicroPython against a register-level model of the chip
(tests/support/beacon_fakes/fake_sx127x.py): what lands in the registers and the FIFO is
checked against the datasheet's formulas computed independently here."""

import json
from pathlib import Path

import pytest
from mpy import SCRIPTS, SUPPORT, run_mpy

FAKES = Path(__file__).resolve().parents[1] / "support" / "beacon_fakes"

SETUP = """
import json, gc, clock, sx127x
from sx127x_rig import start
clk, chip, radio = start({t0}, {tx_ms}, {version}, {dio0}, {kwargs})
ok = radio.init()
"""


def mpy(body, t0=1000, tx_ms=100, version=0x12, dio0=True, kwargs=""):
    code = SETUP.format(t0=t0, tx_ms=tx_ms, version=version, dio0=dio0, kwargs=kwargs) + body
    return run_mpy(code, extra_path=[FAKES, SUPPORT])


def script(name):
    """A scenario of tests/firmware/mpy on the chip model."""
    return run_mpy(file=SCRIPTS / name, extra_path=[FAKES, SUPPORT])


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def frf_oracle(f_hz):
    # Datasheet: Frf = Fxosc * ... ; f_RF = F_STEP * Frf, F_STEP = 32 MHz / 2**19
    return round(f_hz * 2**19 / 32_000_000)


def test_init_finds_the_chip_by_version_and_leaves_it_asleep_in_lora_mode():
    out = mpy(
        "print(json.dumps([ok, radio.version, chip.lora(), chip.mode(), chip.violations,"
        " chip.last_violation]))"
    )
    ok, version, lora, mode, violations, what = last_json(out)
    assert ok is True and version == 0x12
    assert lora is True and mode == 0  # LoRa, sleep
    assert violations == 0, what


def test_preamble_and_sync_word_registers():
    out = mpy(
        "print(json.dumps([chip.regs[0x20], chip.regs[0x21], chip.regs[0x39]]))",
        kwargs="preamble=300, sync_word=0x2B",
    )
    assert last_json(out) == [300 >> 8, 300 & 0xFF, 0x2B]


def test_the_beacon_tunes_the_radio_to_the_configured_channel():
    out = mpy(
        """
import beacon, fix
class Cfg:
    callsign = "N0CALL"
    ssid = 11
    lora_freq_khz = 869525
b = beacon.Beacon(Cfg(), clk, fix.Fix(), None, radio)
print(json.dumps([chip.frf(), b.cfg_fault, type(b.formats[0]).__name__]))
"""
    )
    frf, fault, fmt = last_json(out)
    assert frf == frf_oracle(869_525_000) and fault is False and fmt == "AprsFormat"


def test_a_missing_chip_is_reported_and_never_transmits():
    out = mpy(
        'sent = radio.send(b"hello", 5)\nprint(json.dumps([ok, sent, radio.refused, chip.mode()]))',
        t0=0,
        version=0x00,
    )
    ok, sent, refused, mode = last_json(out)
    assert ok is False and sent is False and refused == 1
    assert mode != 3


@pytest.mark.parametrize("f_khz", [433775, 868100, 915000, 869525, 144800])
def test_frequency_registers_hold_frf_of_the_datasheet(f_khz):
    out = mpy("print(json.dumps([ok, chip.frf(), chip.regs[1]]))", kwargs=f"freq_khz={f_khz}")
    ok, frf, op_mode = last_json(out)
    assert ok is True
    assert frf == frf_oracle(f_khz * 1000)
    # LowFrequencyModeOn selects the LF registers below 525 MHz (433 MHz band)
    assert bool(op_mode & 0x08) == (f_khz < 525000)


def test_868_1_mhz_is_the_well_known_0xd90666():
    out = mpy("print(json.dumps(chip.frf()))", kwargs="freq_khz=868100")
    assert last_json(out) == 0xD90666


BW_CODES = {7800: 0, 10400: 1, 15600: 2, 20800: 3, 31250: 4, 41700: 5, 62500: 6}
BW_CODES.update({125000: 7, 250000: 8, 500000: 9})


@pytest.mark.parametrize(
    "sf,bw,cr",
    [
        (12, 125000, 5),
        (7, 125000, 5),
        (9, 250000, 8),
        (11, 125000, 6),
        (10, 62500, 7),
        (8, 500000, 5),
    ],
)
def test_modem_config_bits_follow_the_datasheet_tables(sf, bw, cr):
    out = mpy(
        "print(json.dumps([chip.regs[0x1D], chip.regs[0x1E], chip.regs[0x26], chip.regs[0x39]]))",
        kwargs=f"sf={sf}, bw_hz={bw}, cr={cr}, sync_word=0x34",
    )
    mc1, mc2, mc3, sync = last_json(out)
    assert mc1 >> 4 == BW_CODES[bw]
    assert (mc1 >> 1) & 7 == cr - 4  # 4/5 = 1 ... 4/8 = 4
    assert mc1 & 1 == 0  # explicit header
    assert mc2 >> 4 == sf
    assert mc2 & 0x04  # payload CRC on
    symbol_ms = 2**sf / bw * 1000
    assert bool(mc3 & 0x08) == (symbol_ms > 16)  # LowDataRateOptimize
    assert sync == 0x34


def test_transmit_puts_the_packet_in_the_fifo_and_completes_on_dio0():
    packet = b"<\xff\x01N0CALL-11>APZCAP,WIDE1-1:!4903.50N/07201.75WO/A=001234"
    out = run_mpy(
        file=SCRIPTS / "sx127x_transmit.py", stdin=packet.hex(), extra_path=[FAKES, SUPPORT]
    )
    started, busy, r1, r2, busy_end, n, data, dio0map, mode, violations, what, sent = last_json(out)
    assert started and busy
    assert r1 == 1 and r2 == 2  # TX_BUSY, then TX_DONE
    assert not busy_end
    assert n == len(packet) and bytes(data) == packet
    assert dio0map == 1  # DIO0 = TxDone
    assert mode == 0  # back to sleep
    assert violations == 0, what
    assert sent == 1


def test_tx_done_is_found_by_polling_irq_flags_without_dio0():
    out = mpy(
        """
n = radio.send(b"abc", 3)
clk.advance_ms(150)
print(json.dumps([radio.poll(), chip.mode(), chip.regs[0x12], list(chip.tx_packet[:3])]))
""",
        dio0=False,
    )
    r, mode, irq, data = last_json(out)
    assert r == 2 and mode == 0 and irq == 0 and bytes(data) == b"abc"


def test_a_chip_that_never_finishes_times_out_after_the_air_time_and_sleeps():
    out = script("sx127x_tx_timeout.py")
    air, res, busy, timeouts, mode = last_json(out)
    assert air > 1000  # SF12 / 125 kHz: 40 bytes take about 2 s
    assert res == [1, 3, 0]  # busy, timeout, then idle
    assert not busy and timeouts == 1 and mode == 0


def test_a_chip_reset_on_its_own_is_configured_again_before_the_next_packet():
    """A chip that loses power alone (its rail sagging under the PA's current)
    wakes in FSK standby at its power-on frequency and spreading factor: the
    next packet still goes out in LoRa mode on the configured channel."""
    out = mpy(
        """
radio.send(b"abc", 3)
clk.advance_ms(150)
radio.poll()
configured = bytes(chip.regs)
chip.power_on_reset()
res = []
for k in range(2):
    started = radio.send(b"abcd", 4)
    lora = chip.lora()
    clk.advance_ms(150)
    done = radio.poll()
    same = [a for a in (0x06, 0x07, 0x08, 0x09, 0x1D, 0x1E, 0x26, 0x39, 0x4D)
            if chip.tx_regs[a] != configured[a]]
    res.append([started, lora, done, same, bytes(chip.tx_packet[:4]) == b"abcd"])
print(json.dumps([res, radio.chip_resets, chip.violations, chip.last_violation]))
""",
        kwargs="freq_khz=433775, sf=12",
    )
    res, resets, violations, what = last_json(out)
    assert res == [[True, True, 2, [], True]] * 2  # TX_DONE, every register as configured
    assert resets == 1
    assert violations == 0, what


def test_a_dio0_line_stuck_high_does_not_cut_packets_short():
    """A DIO0 pin that reads high whatever the chip does (a wrong pin in the
    board file left floating, a short) must not end each transmission at its
    first poll: TX-done is the chip's flag."""
    out = mpy(
        """
class StuckHigh:
    def value(self, v=None):
        return 1
radio = sx127x.SX127x(chip.spi, chip.cs, chip.reset, StuckHigh(), clock=clk)
radio.init()
chip.tx_ms = 1500
radio.send(b"x" * 40, 40)
res = []
for i in range(30):
    clk.advance_ms(100)
    r = radio.poll()
    res.append(r)
    if r != 1:
        break
print(json.dumps([res, chip.tx_count, radio.sent]))
"""
    )
    res, chip_sent, sent = last_json(out)
    assert res == [1] * 14 + [2]  # busy until the chip says TxDone (1.5 s), then done
    assert chip_sent == 1 and sent == 1


def test_send_is_refused_while_busy_and_for_bad_lengths():
    out = mpy(
        """
buf = bytearray(300)
a = radio.send(buf, 0)
b = radio.send(buf, 256)
c = radio.send(buf, 10)
d = radio.send(buf, 10)
print(json.dumps([a, b, c, d, radio.refused]))
"""
    )
    assert last_json(out) == [False, False, True, False, 3]


@pytest.mark.parametrize(
    "dbm,boost,pa_config,pa_dac",
    [
        (17, True, 0x80 | 0x70 | 15, 0x84),  # Pout = 17 - (15 - OutputPower)
        (20, True, 0x80 | 0x70 | 15, 0x87),  # high-power DAC adds 3 dB
        (10, True, 0x80 | 0x70 | 8, 0x84),
        (14, False, 0x70 | 14, 0x84),  # RFO, Pmax 15 dBm: Pout = OutputPower
        (30, True, 0x80 | 0x70 | 15, 0x87),  # clamped to +20
    ],
)
def test_tx_power_selects_pa_boost_and_output_power(dbm, boost, pa_config, pa_dac):
    out = mpy(
        "print(json.dumps([chip.regs[0x09], chip.regs[0x4D], chip.regs[0x0B]]))",
        kwargs=f"tx_dbm={dbm}, pa_boost={boost}",
    )
    cfg, dac, ocp = last_json(out)
    assert cfg == pa_config and dac == pa_dac
    assert ocp & 0x20  # over-current protection stays on
    if dac == 0x87:
        assert -30 + 10 * (ocp & 0x1F) >= 120  # +20 dBm needs >= 120 mA


def test_a_packet_costs_no_allocation_after_warm_up():
    out = script("sx127x_alloc.py")
    alloc, sent, tx_count, violations = last_json(out)
    assert alloc == 0
    assert sent == 102 and tx_count == 102 and violations == 0


def test_reconfiguring_during_a_transmission_is_refused():
    out = mpy(
        """
radio.send(b"abc", 3)
a = radio.set_frequency_khz(868100)
b = radio.set_modem(7, 125000, 5)
print(json.dumps([a, b, radio.config_errors, chip.violations]))
"""
    )
    assert last_json(out) == [False, False, 2, 0]
