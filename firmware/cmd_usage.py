"""Usage of each console command, for `help CMD` (firmware/app.py) and the
host's console (host_tools/cli/cmd_console.py reads it with firmware_module).

Loaded only when `help CMD` is asked for and dropped from sys.modules
afterwards, as flight_cmds.py is, so none of it stays resident. The command
table itself (which command exists, which is read-only) is app.py's
`_commands`; a test checks the two name the same commands.
"""

USAGE = {
    "help": ("help [CMD]", "the commands; with CMD, its usage"),
    "status": ("status", "phase, armed, battery, fix, log and config state"),
    "version": ("version", "firmware version, board and fw_hash (CRC-32 of the flashed manifest)"),
    "sensors": ("sensors", "one reading of every sensor"),
    "selftest": (
        "selftest",
        "the arming self-test without arming: sensors, mounting, pyro continuity",
    ),
    "gnss": ("gnss", "the receiver's last fix and its age"),
    "config": (
        "config list | config get KEY | config set KEY VALUE",
        "the flight configuration; set only in SAFE, disarmed (checksummed)",
    ),
    "log": ("log [flush | clear]", "flight-log statistics; clear only in SAFE, disarmed"),
    "arm": ("arm", "arm the pyro bank after 2 s of clean stand readings (checksummed)"),
    "disarm": ("disarm", "disarm the pyro bank (checksummed)"),
    "repl": ("repl", "stop the firmware, leave the board at its REPL; SAFE, disarmed only"),
}
