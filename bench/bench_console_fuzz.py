"""Console fuzzing in flight, the long run: `console_fuzz_inputs` random
console inputs (host_tools/droptest/console_fuzz.py: Ctrl-C, raw-REPL bytes, garbled
checksums, malformed frames, commands the board must refuse in flight) sent
between the frames of drone drops on an armed virtual board, and
`console_fuzz_anomalies`, the flights in which anything differed from the
clean flight (fires or their altitudes, an unanswered `status` probe, a REPL
prompt or traceback, a state-changing command taken). Target: 0.

`make test` runs one flight at 25 inputs/s (tests/host/test_console_fuzz.py);
this runs three fuzz seeds at 80 inputs/s, ~45 000 inputs.
"""

import sys
from pathlib import Path

FUZZ_SEEDS = (11, 12, 13)
INPUTS_PER_S = 80.0


def run():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
    from scenario_variants import drone

    from host_tools.droptest import console_fuzz
    from host_tools.droptest import runner as droptest

    link = droptest.open_board(reuse_flash=True)
    try:
        clean = droptest.DropTest(drone(), link, seed=3).run()
    finally:
        link.close()
    inputs = 0
    anomalies = 0
    for fuzz_seed in FUZZ_SEEDS:
        link = droptest.open_board(reuse_flash=True)
        try:
            result, fuzz, test = console_fuzz.run(
                link, drone(), seed=3, inputs_per_s=INPUTS_PER_S, fuzz_seed=fuzz_seed
            )
        finally:
            link.close()
        inputs += fuzz.inputs
        found = console_fuzz.anomalies(clean, result, fuzz, test)
        if found:
            anomalies += 1
            print(f"  fuzz seed {fuzz_seed}: {'; '.join(found)}")
    print(
        f"  {len(FUZZ_SEEDS)} drone drops, {inputs} console inputs between their frames, "
        "fires compared with the clean flight"
    )
    return {"console_fuzz_inputs": inputs, "console_fuzz_anomalies": anomalies}
