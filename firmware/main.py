import sys

import boot_gate

_start = boot_gate.firmware_may_start()
del boot_gate
sys.modules.pop("boot_gate", None)
if _start:
    import app

    app.main()
