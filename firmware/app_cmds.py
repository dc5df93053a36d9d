"""Console commands that need not stay in RAM: `app.App` imports this module
for the call and drops it afterwards. Each function takes the App and the
console. Everything here allocates; none of it runs per sample.
"""

import sys

import config
import flight


def version(app, con):
    """fw_hash: CRC-32 of the manifest the flasher wrote (the SHA-256 of
    every file on the board), so a host can tell which build this is."""
    import app as app_module  # loaded already: the App is running

    fields = [("fw", app_module.VERSION), ("board", app.board_name)]
    try:
        import binascii

        with open("manifest.json", "rb") as f:
            fields.append(("fw_hash", "%08x" % (binascii.crc32(f.read()) & 0xFFFFFFFF)))
    except (OSError, ImportError):
        fields.append(("fw_hash", "none"))
    con.reply_ok("version", fields)


def selftest(app, con):
    """The arming self-test without arming (read-only): go=1, or go=0 and
    each failure as `fail1=...`, `fail2=...`; each pyro channel's continuity
    as in `status`."""
    import selftest as st

    fc = app.fc
    bank = fc.pyro
    fired = bank.fired_bits
    if app.disarmed_in_safe():
        bank.fired_bits = 0  # as `arm` does: the next flight's igniters are checked
    try:
        failures = st.check(app.cfg, fc.last_sample, bank, fc)
        channels = bank.status_fields()
    finally:
        bank.fired_bits = fired
        sys.modules.pop("selftest", None)
    broken = _arm_switch_broken(app)
    if broken:
        failures.append(broken)
    fields = [("go", 0 if failures else 1), ("failures", len(failures))]
    fields.extend(channels)
    for i in range(len(failures)):
        fields.append(("fail%d" % (i + 1), failures[i]))
    con.reply_ok("selftest", fields)


def _arm_switch_broken(app):
    """Why arming is refused when the board file names an arm switch that
    could not be set up (None otherwise): that is not a board without a
    switch, on which `arm` alone arms."""
    if app.hw.arm_input is not None or not app.board.get("arm_switch"):
        return None
    return "arm switch not working (%s): fix the board file or the wiring" % "; ".join(
        e for e in app.errors if e.startswith("arm_switch")
    )


def arm(app, con):
    """Arm on the stand: the config, the arm switch, then the sequencer's
    self-test; from arming on the watchdog runs."""
    if app.config_errors:
        con.reply_error(
            "arm",
            "config invalid (%d): %s" % (len(app.config_errors), "; ".join(app.config_errors)),
        )
        return
    broken = _arm_switch_broken(app)
    if broken:
        con.reply_error("arm", broken)
        return
    arm_input = app.hw.arm_input
    arm_ok = True if arm_input is None else bool(arm_input.value())
    if app.sim:
        app.hw.read(app.sample)
    reason = app.fc.arm(arm_ok, app.sample)
    app.guard_console()  # before the reply: nothing after it may interrupt
    if reason:
        con.reply_error("arm", reason)
    else:
        app.hw.start_watchdog()  # from arming on, a stopped loop resets the board
        con.reply_ok("arm", [("phase", flight.PHASE_NAMES[app.fc.phase])])


def config_set(app, con, key, text):
    """`config set KEY VALUE`: only in SAFE and disarmed; the file and the
    sequencer take the new value, or the board refuses to arm until they do."""
    import app as app_module  # loaded already: the App is running

    if not app.disarmed_in_safe():
        con.reply_error("config", "disarm first: config changes only in SAFE, disarmed")
        return
    cfg = app.cfg
    radio = app.hw.radio  # the beacon's: settings must fit its duty cycle
    error = config.set_value(cfg, key, text, radio)
    if error:
        con.reply_error("config", error)
        return
    # the file gets this key; entries still rejected stay rejected
    path = app_module.CONFIG_FILE
    try:
        error = config._call("store", cfg, key, path, radio)
    except OSError as exc:
        # the value is live but the file does not hold it (a reset would lose
        # it): not flown; the next `config set` that is written reloads the
        # file, which clears this
        error = "config: %s not written to %s (%s): arming refused until it is" % (key, path, exc)
        cfg.errors.append(error)
    app.config_errors = cfg.errors
    # whether or not the file took it, the configuration in RAM may have
    # changed (store reloads the file after an error): the sequencer takes it
    # as it is, and starts a new stand window
    reason = app.fc.reconfigure(cfg)
    reason = error or reason
    if reason:
        con.reply_error("config", reason)
        return
    fields = [(key, dict(config.as_items(cfg))[key])]
    if app.config_errors:
        fields.append(("config", "invalid(%d)" % len(app.config_errors)))
    con.reply_ok("config", fields)
