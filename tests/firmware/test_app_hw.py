"""The whole firmware boots and runs its loop on a real board's definition
(Pico, T-Beam), with a fake `machine` holding the datasheets' chips: the
board file, hw_real, drivers, sequencer, GNSS, log and beacon fit together."""

import json
import re
import shutil

import pytest
from drv_oracles import MS5611_EXAMPLE_PROM
from mpy import BOARDS, SUPPORT, run_mpy

from host_tools import config_file

SETUP = f"""
import sys, os, fake_bus, clock
fm = fake_bus.FakeMachine()

class UART(fm.UART):
    def readinto(self, buf):
        return None
    def write(self, buf):
        return len(buf)
    def any(self):
        return 0
fm.UART = UART
sys.modules["machine"] = fm
clk = clock.VirtualClock(0)
clock.TicksClock = lambda: clk
ms = fake_bus.FakeMS5611(clk, {MS5611_EXAMPLE_PROM!r}, 9085466, 8569150)
fm.i2c_chips[0] = {{0x77: ms, 0x53: fake_bus.FakeADXL375((0, 0, 21)), 0x18: fake_bus.FakeLIS3DH((0, 0, 83)), 0x34: fake_bus.FakeAXP192(3900)}}
fm.adc_values = {{26: 30000, 27: 30000, 28: 47000, 35: 47000}}

class Out:
    def __init__(self):
        self.lines = []
    def write(self, text):
        self.lines.append(text)

out = Out()
import app
a = app.App(out=out, inp=open("/dev/null", "rb"))
a.announce()
a.next_ms = clk.now_ms()


def run(ms):
    for _ in range(ms):
        clk.advance_ms(1)
        a.hw_pass()
"""
BOOT = f"""{SETUP}
run(3000)
a.cmd_status(a.console, [])
a.cmd_sensors(a.console, [])
print("".join(out.lines))
print("ITER", a.iterations, "FAULTS", a.loop_faults)
"""


@pytest.mark.parametrize("board", ["pico", "tbeam"])
def test_firmware_boots_and_samples_on_a_real_board_definition(board, tmp_path):
    shutil.copy(BOARDS / (board + ".py"), tmp_path / (f"board_{board}.py"))
    (tmp_path / "board.json").write_text(f'{{"board": "{board}"}}')
    out = run_mpy(BOOT, extra_path=[SUPPORT, tmp_path], cwd=tmp_path, heap="512K")
    assert "EVT 0 boot fw=" in out and f"board={board}" in out
    status = [line for line in out.splitlines() if line.startswith("OK ") and " status " in line]
    assert status, out
    assert "phase=SAFE" in status[0]
    iterations = int(out.split("ITER ")[1].split()[0])
    faults = int(out.split("FAULTS ")[1].split()[0])
    assert iterations >= 250  # 3 s at the default sample rate (100 Hz) or more
    assert faults == 0, out
    sensors = next(line for line in out.splitlines() if " sensors " in line)
    assert "press_pa=100009" in sensors  # the MS5611 datasheet's worked example
    assert "baro_ok=1" in sensors and "accel_ok=1" in sensors


ARM = f"""{SETUP}
run(3000)  # 3 s upright and still on the stand
if 13 in fm.pins:
    fm.pins[13].level = 0  # the Pico's arm switch (active low) closed
{{before_arm}}
a.cmd_selftest(a.console, [])
a.cmd_arm(a.console, [])
print("".join(line for line in out.lines if line.split()[2:3] in (["arm"], ["config"], ["selftest"])))
"""


def arm_on_pico(tmp_path, board_extra="", before_arm=""):
    """The `selftest` and `arm` replies of a Pico that stood 3 s on the
    stand, its arm switch closed; `board_extra` is appended to its board
    file, `before_arm` runs just before the commands."""
    (tmp_path / "board_pico.py").write_text((BOARDS / "pico.py").read_text() + board_extra)
    (tmp_path / "board.json").write_text('{"board": "pico"}')
    code = ARM.replace("{before_arm}", before_arm)
    return run_mpy(code, extra_path=[SUPPORT, tmp_path], cwd=tmp_path, heap="512K")


def replied(out, kind, name, pattern):
    """Whether `out` has a reply line `kind` (OK, ERR) to command `name`
    whose text matches `pattern`."""
    return re.search(rf"^{kind} \d+ {name} .*{pattern}", out, re.MULTILINE) is not None


def test_a_pico_on_its_stand_with_the_arm_switch_closed_arms(tmp_path):
    out = arm_on_pico(tmp_path)
    assert replied(out, "OK", "arm", r"phase=ARMED"), out


def test_an_arm_switch_that_could_not_be_set_up_refuses_to_arm(tmp_path):
    # the board file names a switch; a board without one is not what it built
    out = arm_on_pico(tmp_path, '\nBOARD["arm_switch"] = {"active_low": True}\n')
    assert replied(out, "ERR", "arm", r"arm switch.*arm_switch: "), out
    # and `selftest` (the preflight's go/no-go) says so before anyone tries
    assert replied(out, "OK", "selftest", r"go=0 .*arm switch not working"), out


@pytest.mark.parametrize(
    "before_arm, replies",
    [
        pytest.param(
            # the file cannot be written (here: a directory where its
            # temporary copy goes); the value was live in RAM, the sequencer
            # not told, and its stand window, judged on the old mounting,
            # armed a capsule now configured upside down
            'os.mkdir("config.json.tmp")\na.cmd_config(a.console, ["set", "accel_axes", "-x-y-z"])',
            [("ERR", "config", r"accel_axes.*not written"), ("ERR", "arm", r"config invalid")],
            id="config_change_not_written",
        ),
        pytest.param(
            # every iteration now fails before the sequencer's step (a driver
            # that raises): the stand window and the sample are a second old
            "def broken(s):\n    raise RuntimeError('driver')\na.hw.read = broken\nrun(1000)",
            [("ERR", "arm", r"no sensor sample for 10\d\d ms")],
            id="loop_stopped_reading",
        ),
        pytest.param(
            # the fake ADXL375 repeats one reading: after 5 s the screen
            # rejects it as stuck, and the refusal says so (|a| and z look fine)
            "run(5000)",
            [("ERR", "arm", r"not a steady stand.*accelerometer .*stuck")],
            id="accelerometer_stuck",
        ),
    ],
)
def test_a_pico_that_must_not_arm_refuses_and_says_why(tmp_path, before_arm, replies):
    out = arm_on_pico(tmp_path, before_arm=before_arm)
    for kind, name, pattern in replies:
        assert replied(out, kind, name, pattern), out


def test_the_gnss_profile_after_a_reset_past_landing_is_the_float_one():
    """A board reset while beaconing resumes in LANDED or BEACON: its receiver
    gets the sea model and power save (days on one battery), not the descent
    profile; a flight from the stand still starts with the descent one."""
    code = """
import json, app, flight_phase as F
class Ubx:
    def start(self, profile):
        self.log.append(profile)
class Fc:
    pass
class Board:
    pass
out = []
for resumed in (F.SAFE, F.MAIN, F.LANDED, F.BEACON):
    b = Board()
    b.ubx = Ubx()
    b.ubx.log = []
    b.fc = Fc()
    b.gnss_profile_phase = -1
    for ph in range(resumed, F.BEACON + 1):
        b.fc.phase = ph
        for _ in range(2):
            app.App.gnss_profile(b)
    out.append(b.ubx.log)
print(json.dumps(out))
"""
    out = run_mpy(code, extra_path=[SUPPORT]).strip().splitlines()[-1]
    assert json.loads(out) == [
        ["descent", "descent", "float"],  # from the stand: boot, arming, landing
        ["descent", "float"],
        ["float"],
        ["float"],
    ]


def test_a_pico_whose_config_file_cannot_fit_a_beacon_packet_in_its_duty_cycle_stays_no_go(
    tmp_path,
):
    """0.1 % of an hour is 3.6 s on air, less than one of the Pico's SX127x
    packets at SF12: the file loads with the error, so the self-test says
    go=0 with the numbers and the board refuses to arm."""
    data = {"duty_cycle_permille": 1, "callsign": "VK2ABC"}
    (tmp_path / "config.json").write_text(json.dumps(data))
    out = arm_on_pico(tmp_path)
    pattern = r"duty_cycle_permille: .*\d+ ms on air, more than the 3600 ms an hour"
    assert replied(out, "OK", "selftest", r"go=0 .*" + pattern), out
    assert replied(out, "ERR", "arm", r"config invalid.*" + pattern), out
    # `capsule config check` says the same of the file, to the millisecond
    (host_says,) = config_file.check(data)
    assert host_says in out, (host_says, out)


def test_config_set_refuses_a_duty_cycle_the_beacon_cannot_keep_and_takes_its_neighbour(tmp_path):
    """`config set duty_cycle_permille 1` on a Pico (SF12) is refused and
    writes nothing; 10 (1 %) is taken, and the board arms on it."""
    set_duty = 'a.cmd_config(a.console, ["set", "duty_cycle_permille", "{}"])\n'
    out = arm_on_pico(
        tmp_path,
        before_arm=set_duty.format(1)
        + 'import os\nprint("WRITTEN", "config.json" in os.listdir())\n'
        + set_duty.format(10)
        + "run(3000)",  # a config change starts a new stand window
    )
    refused = r"duty_cycle_permille: .* ms on air.* 3600 ms an hour"
    assert replied(out, "ERR", "config", refused), out
    assert "WRITTEN False" in out, out
    assert replied(out, "OK", "config", r"duty_cycle_permille=10"), out
    assert replied(out, "OK", "arm", r"phase=ARMED"), out
    assert json.loads((tmp_path / "config.json").read_text())["duty_cycle_permille"] == 10


def test_the_duty_cycle_check_follows_the_boards_radio(tmp_path):
    """The same 0.1 % on a Pico whose radio is set to SF7 (packets of about
    0.2 s): accepted, since the check takes each packet's time on air from
    the board's own radio, as the beacon does."""
    (tmp_path / "config.json").write_text('{"duty_cycle_permille": 1, "callsign": "VK2ABC"}')
    out = arm_on_pico(tmp_path, '\nBOARD["radio"]["sf"] = 7\n')
    assert replied(out, "OK", "arm", r"phase=ARMED"), out
