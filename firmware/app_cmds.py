"""Console commands that need not stay in RAM: `app.App` imports this module
for the call and drops it afterwards. Each function takes the App and the
console. Everything here allocates; none of it runs per sample.
"""

import sys


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
    fields = [("go", 0 if failures else 1), ("failures", len(failures))]
    fields.extend(channels)
    for i in range(len(failures)):
        fields.append(("fail%d" % (i + 1), failures[i]))
    con.reply_ok("selftest", fields)
