"""Go/no-go on the stand: one pass over what a board says about itself
(`version`, `status`, `config list`, `selftest`, `sensors`, `log`, `gnss`),
each item GO, NO-GO (with what to do) or INFO.

Read-only: nothing here stops, restarts or changes the board; every command
it sends is one a person may type without a checksum. Thresholds that are
flight settings come from the board's own config; the packet air time from
the firmware's own formula (`beacon_airtime`, `radio_plan`), and whether the
beacon's longest packet fits the duty cycle from the firmware's own check
(`beacon_duty`, through config_file).
"""

import json
import zlib
from dataclasses import dataclass

from host_tools import config_file
from host_tools.board.board_config import read_config
from host_tools.paths import firmware_module

GO, NO_GO, INFO = "GO", "NO-GO", "INFO"

APRS_PACKET_BYTES = 92  # a position report with the capsule's comment, as the beacon sends it
DESCENT_LOG_HZ = 25  # flight-log records a second in DESCENT (firmware/flightlog.py)
LOG_RECORD_BYTES = 32
MIN_SATS = 5

# what to do about a self-test failure, by the start of its text
SELFTEST_FIXES = (
    ("config", "put the config right: `capsule config check FILE`, then `capsule config push`"),
    ("no sensor sample", "the board has not read its sensors: is its loop running (sim: frames)?"),
    ("sensors", "stand the capsule upright and still for 2 s; check the sensor wiring"),
    ("baro", "check the barometer (bus wiring, part) and that it reads the room's pressure"),
    ("accel", "check the accelerometer's mounting against accel_axes; stand the capsule up"),
    ("pyro", "check the igniter and its wiring on that channel"),
    ("battery", "charge or replace the battery"),
)


@dataclass
class Item:
    status: str  # GO, NO-GO or INFO
    name: str
    detail: str
    todo: str = ""


def _fix_for(failure):
    for prefix, todo in SELFTEST_FIXES:
        if failure.startswith(prefix):
            return todo
    return "see the message; the board refuses to arm until it is fixed"


def _manifest_crc(board_name, config_path):
    """CRC-32s of the manifests `capsule flash` would write for this board
    from this checkout (without a config, and with `config_path`)."""
    from host_tools.board.flash import build_image, sha256

    out = set()
    for cfg in (None, config_path) if config_path else (None,):
        image = build_image(board_name, cfg)
        manifest = json.dumps({n: sha256(d) for n, d in image.items()}, sort_keys=True)
        out.add(f"{zlib.crc32(manifest.encode()) & 0xFFFFFFFF:08x}")
    return out


def run(board, config_path=None, check_build=True):
    """[Item] for the board (a Board running the firmware)."""
    items = []
    port = board.port
    version = dict(board.command_starting("version").fields)
    status = dict(board.command("status").fields)
    name = version.get("board", "?")
    fw_hash = version.get("fw_hash", "none")
    detail = f"fw {version.get('fw', '?')} build {fw_hash}, board {name}"
    if check_build and fw_hash != "none":
        try:
            same = fw_hash in _manifest_crc(name, config_path)
        except Exception as exc:  # noqa: BLE001 (no local build to compare: say so)
            detail += f" (not compared with this checkout: {exc})"
        else:
            detail += " = this checkout" if same else " (not this checkout's build)"
    items.append(Item(INFO, "firmware", detail))

    phase, armed = status.get("phase", "?"), status.get("armed", "?")
    if phase == "SAFE" and armed == "0":
        items.append(Item(GO, "phase", "SAFE, disarmed"))
    else:
        items.append(
            Item(
                NO_GO,
                "phase",
                f"{phase}, armed={armed}",
                f"disarm for the stand checks: `capsule console --port {port} --cmd disarm`",
            )
        )

    loaded = read_config(board)
    cfg = loaded.values
    summary = ", ".join(
        f"{k}={cfg.get(k)}"
        for k in ("start_mode", "drogue_deploy_m", "main_deploy_m", "ground_elevation_m")
    )
    if loaded.errors:
        items.append(
            Item(
                NO_GO,
                "config",
                "rejected by the board: " + "; ".join(loaded.errors),
                f"fix the file (`capsule config check FILE`), then `capsule config push "
                f"--port {port} FILE`",
            )
        )
    elif config_path:
        want = config_file.effective(config_file.read(config_path))
        changes = config_file.diff(cfg, want)
        if changes:
            items.append(
                Item(
                    NO_GO,
                    "config",
                    f"differs from {config_path}: "
                    + ", ".join(f"{k} board={a} file={b}" for k, a, b in changes),
                    f"`capsule config push --port {port} {config_path}` (or fix the file)",
                )
            )
        else:
            items.append(Item(GO, "config", f"= {config_path}: {summary}"))
    else:
        items.append(Item(INFO, "config", f"{summary} (no --config file to compare)"))

    st = dict(board.command("selftest").fields)
    channels = ", ".join(f"{k[5:]} {v}" for k, v in st.items() if k.startswith("pyro_"))
    failures = [v for k, v in st.items() if k.startswith("fail") and k[4:].isdigit()]
    if st.get("go") == "1":
        items.append(Item(GO, "self-test", f"sensors, mounting, pyro continuity ({channels})"))
    for f in failures:
        if f.startswith("config"):
            continue  # the config line says it, with what to do
        items.append(Item(NO_GO, "self-test", f, _fix_for(f)))
    for k, v in st.items():
        if k.startswith("pyro_") and v == "open":
            items.append(
                Item(
                    NO_GO,
                    f"pyro {k[5:]}",
                    "continuity open",
                    "check the igniter and its wiring on that channel",
                )
            )

    sensors = dict(board.command("sensors").fields)
    mv = int(sensors.get("vbatt_mv", "0") or 0)
    low = int(cfg.get("batt_low_mv", 0) or 0)
    if mv == 0:
        items.append(Item(INFO, "battery", "not measured on this board"))
    elif mv < low:
        items.append(
            Item(NO_GO, "battery", f"{mv} mV, below batt_low_mv {low}", "charge or replace it")
        )
    else:
        items.append(Item(GO, "battery", f"{mv} mV (batt_low_mv {low})"))

    items.append(_log_item(board, cfg, port))
    items.append(_gnss_item(board))
    items.extend(_radio_items(cfg))
    return items


def _log_item(board, cfg, port):
    reply = board.command("log")
    if reply.kind != "OK":
        return Item(NO_GO, "flight log", reply.get("msg", "?"), "check the board's flash")
    log = dict(reply.fields)
    n = int(log.get("segments", 0))
    protected = int(log.get("segments_protected", 0))
    blocks = int(log.get("segment_blocks", 0))
    block = int(log.get("block_bytes", 0))
    free = max(0, n - protected) * blocks * block
    minutes = free / (DESCENT_LOG_HZ * LOG_RECORD_BYTES) / 60
    need = (int(cfg.get("drogue_backup_s", 0)) + int(cfg.get("main_backup_s", 0))) / 60
    detail = (
        f"{free // 1024} KB free of {n * blocks * block // 1024} KB: "
        f"{minutes:.0f} min of descent at {DESCENT_LOG_HZ} Hz"
    )
    if log.get("full", "0") not in ("0", "False") or minutes < need:
        return Item(
            NO_GO,
            "flight log",
            detail + f" (the backup timers span {need:.0f} min)",
            f"`capsule log pull --port {port} --out DIR`, then `capsule log clear --port {port}`",
        )
    return Item(GO, "flight log", detail)


def _gnss_item(board):
    g = dict(board.command("gnss").fields)
    mode, sats = int(g.get("mode", 0)), int(g.get("sats", 0))
    where = f"{g.get('lat')}, {g.get('lon')}" if g.get("lat") else "no position"
    detail = f"mode {mode} ({'3D' if mode == 3 else '2D' if mode == 2 else 'no fix'}), "
    detail += f"{sats} satellites, {where}"
    if mode < 3 or sats < MIN_SATS:
        return Item(
            NO_GO,
            "GNSS",
            detail,
            "give the antenna open sky and wait for a 3D fix "
            f"with at least {MIN_SATS} satellites; check the antenna cable",
        )
    return Item(GO, "GNSS", detail)


def _radio_items(cfg):
    plan = firmware_module("radio_plan").PLANS[firmware_module("radio_plan").DEFAULT_PLAN]
    air_ms = firmware_module("beacon_airtime").airtime_ms(
        APRS_PACKET_BYTES, plan["sf"], plan["bw_hz"], plan["cr"], plan["preamble"], plan["crc"]
    )
    permille = int(cfg.get("duty_cycle_permille", 1000))
    spacing_s = air_ms * 1000 / permille / 1000
    budget_s = 3600 * permille / 1000
    call = f"{cfg.get('callsign')}-{cfg.get('ssid')}"
    freq = int(cfg.get("lora_freq_khz", 0)) / 1000
    periods = [
        (k, max(float(cfg.get(k, 0)), spacing_s))
        for k in ("beacon_descent_s", "beacon_landed_s", "beacon_slow_s")
    ]
    detail = (
        f"{call} on {freq:.3f} MHz, SF{plan['sf']}/{plan['bw_hz'] // 1000} kHz, "
        f"{air_ms / 1000:.1f} s a packet; duty cycle {permille / 10:g} % "
        f"({budget_s:.0f} s an hour, at most one packet every {spacing_s:.0f} s)"
    )
    items = []
    if cfg.get("callsign") == "N0CALL":
        items.append(
            Item(NO_GO, "radio", detail, "set the team's callsign: `config set callsign CALL`")
        )
    else:
        items.append(Item(GO, "radio", detail))
    every = ", ".join(f"{k[7:-2]} every {p:.0f} s" for k, p in periods)
    duty_error = config_file.beacon_duty_error(cfg)
    if duty_error:
        items.append(
            Item(
                NO_GO,
                "beacon",
                duty_error,
                "raise duty_cycle_permille to what the band allows",
            )
        )
    else:
        items.append(
            Item(
                GO,
                "beacon",
                f"first packet at once when the main opens, {air_ms / 1000:.1f} s on air; "
                f"then {every}",
            )
        )
    return items


def verdict(items):
    """GO when no item is NO-GO."""
    return NO_GO if any(i.status == NO_GO for i in items) else GO
