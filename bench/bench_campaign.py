"""Campaign throughput: the nominal LEO return flown as a Monte Carlo campaign
on a local dask cluster with 1 and then 2 workers, every flight by the
unmodified firmware on its own virtual board over its serial link.

Method: `capsule droptest nominal_leo --monte-carlo N --workers W --no-plots`
runs as a child process; its wall time is taken around it and its CPU time
is the CPU of everything it started and waited for (resource.getrusage
RUSAGE_CHILDREN before and after: the command, its dask scheduler and worker
processes, each virtual board's MicroPython interpreter, the firmware
flashing). So the per-flight figure carries the cluster's start, one
flashing (shared by the local workers) and, per worker, one virtual board
kept for all its flights (reset between flights by a power cut on a
restored flash: host_tools/droptest/board_pool.py), as a user's campaign of
N flights does.
The flights table (flights.csv) gives what the flights themselves cost on
the workers (host process + board interpreter per flight, its reset and
boot included).

Figures:
  campaign_flights                    N, per worker count
  campaign_cpu_s_per_flight           CPU of the whole 2-worker command / N
  campaign_cpu_s_per_flight_1w        the same with 1 worker
  campaign_cpu_s_per_flight_flying    mean over the 2-worker table's rows of
                                      host_cpu_s + board_cpu_s (the flight alone:
                                      no cluster, no flashing, no board start)
  campaign_host_cpu_s_per_flight      ... its host part (physics, sensors,
                                      frames, the board's relay thread)
  campaign_board_cpu_s_per_flight     ... its board part (the interpreter)
  campaign_setup_cpu_s_per_flight     cpu_s_per_flight - cpu_s_per_flight_flying:
                                      the cluster, flashing and board starts
  campaign_flights_per_min            N / wall of the 2-worker command x 60
  campaign_flights_per_min_1w         the same with 1 worker
  campaign_scaling_2w_over_1w         flights_per_min / flights_per_min_1w
  campaign_passed                     every flight of both runs passed
This machine has 2 cores shared with other work and its speed swings by up
to 2x: compare figures taken in one run.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_tools.droptest import campaign_table

FLIGHTS = 12
SCENARIO = "nominal_leo"


def _children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _campaign(n, workers, out):
    capsule = Path(sys.executable).with_name("capsule")
    cmd = [str(capsule), "droptest", SCENARIO, "--monte-carlo", str(n), "--workers",
           str(workers), "--no-plots", "--out", str(out)]  # fmt: skip
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    cpu = _children_cpu_s() - cpu0
    rows = campaign_table.read(out / campaign_table.TABLE_NAME)
    if len(rows) != n:
        raise RuntimeError(f"campaign of {n} wrote {len(rows)} rows: {proc.stderr[-2000:]}")
    return wall, cpu, rows, proc.returncode


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def run():
    n = int(os.environ.get("BENCH_CAMPAIGN_FLIGHTS", FLIGHTS))
    out = {"campaign_flights": n}
    passed = True
    per = {}
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        for workers in (1, 2):
            wall, cpu, rows, status = _campaign(n, workers, Path(tmp) / f"w{workers}")
            passed &= status == 0 and all(r["passed"] for r in rows)
            per[workers] = (wall, cpu, rows)
            print(
                f"  {workers} worker(s): {n} flights in {wall:.1f} s wall, {cpu:.1f} s CPU "
                f"({cpu / n:.2f} CPU-s and {wall / n:.2f} s wall per flight)"
            )
    wall1, cpu1, _ = per[1]
    wall2, cpu2, rows2 = per[2]
    host = _mean([r["host_cpu_s"] for r in rows2])
    board = _mean([r["board_cpu_s"] for r in rows2])
    out.update(
        campaign_cpu_s_per_flight=round(cpu2 / n, 3),
        campaign_cpu_s_per_flight_1w=round(cpu1 / n, 3),
        campaign_cpu_s_per_flight_flying=round(host + board, 3),
        campaign_host_cpu_s_per_flight=round(host, 3),
        campaign_board_cpu_s_per_flight=round(board, 3),
        campaign_setup_cpu_s_per_flight=round(cpu2 / n - host - board, 3),
        campaign_flights_per_min=round(60.0 * n / wall2, 1),
        campaign_flights_per_min_1w=round(60.0 * n / wall1, 1),
        campaign_scaling_2w_over_1w=round(wall1 / wall2, 2),
        campaign_samples_per_flight=round(_mean([r["samples"] for r in rows2])),
        campaign_passed=passed,
    )
    print(
        f"  the flight alone (flights.csv): {host:.2f} s host + {board:.2f} s board CPU; "
        "the rest of the per-flight CPU is the cluster, flashing and the workers' board starts"
    )
    return out


if __name__ == "__main__":
    print(run())
