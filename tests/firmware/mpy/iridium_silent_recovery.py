"""A dead Iridium modem (no answer at all) given an hour of polling, then
brought back and given ten minutes more. Prints the rig's report with
`gave_up` (failed, timeouts, busy, result after the silent hour) and `polls`
(flight-loop iterations during that hour).
"""

from iridium_rig import MSG, Rig

rig = Rig()
rig.modem.silent = True
rig.ird.send(MSG, len(MSG))
polls = rig.run(3600000)
ird = rig.ird
gave_up = (ird.failed, ird.timeouts, ird.busy(), ird.result)
rig.modem.silent = False
ird.send(MSG, len(MSG))
rig.run(600000)
rig.report(gave_up=gave_up, polls=polls)
