"""Flying a campaign's flights into its table: skip the flights the table
already holds, fly the rest on a dask cluster, append each row as it lands,
show flights done, failures so far and the time left.

Used by the Monte Carlo (mc.py) and envelope (envelope.py) campaigns; each
gives a worker function fn(*args) -> row (flight_row.py) and the args of
flight i. Stopping a campaign (Ctrl-C, a lost machine) keeps every row
written; running the same command again flies only what is missing.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from host_tools.board.targets import DEFAULT_TARGET
from host_tools.droptest import flight_row


@dataclass(frozen=True)
class Fleet:
    """What a campaign's flights fly on: a dask cluster (the one whose
    scheduler is at `scheduler`, else a local one of `workers` processes, by
    default one per CPU) and, on its workers, `board` (runner.run_scenario's
    board factory; None: a virtual board of `target`, board/targets.py, kept
    per worker where the target allows it, board_pool.py)."""

    scheduler: str | None = None
    workers: int | None = None
    board: object = None
    target: str = DEFAULT_TARGET

    def describe(self) -> str:
        return self.scheduler or f"local ({self.workers or os.cpu_count() or 1} workers)"


def fly_into_table(fn, args_of, n, keys_of, table, fleet, progress, label):
    """Rows of flights 0..n-1 (sorted by index): those already in `table`
    (campaign_table.Table) and the ones flown now, on `fleet`'s cluster."""
    from host_tools.droptest.mc import fly_on_cluster

    done = table.open()
    have = {r["index"] for r in done}
    todo = [i for i in range(n) if i not in have]
    rows = list(done)  # flights beyond n stay in the table, out of this summary
    mine = [r for r in done if r["index"] < n]
    bar = (
        CampaignBar(label, n, len(mine), sum(1 for r in mine if not r.get("passed")))
        if progress
        else None
    )

    def on_row(row):
        table.append(row)
        rows.append(row)
        if bar:
            bar.advance(row)

    try:
        if todo:
            with bar or _Null():
                fly_on_cluster(
                    fn,
                    [args_of(i) for i in todo],
                    [keys_of(i) for i in todo],
                    fleet.scheduler,
                    fleet.workers,
                    lambda exc, i: flight_row.error_row(i, None, None, label, exc, None),
                    on_result=on_row,
                    indices=todo,
                )
    finally:
        table.close()
    rows.sort(key=lambda r: r["index"])
    table.close(rows)
    return [r for r in rows if r["index"] < n], len(todo)


class table_dir:
    """out_dir, or a temporary directory for the table when none is given."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.tmp = None

    def __enter__(self):
        if self.out_dir is not None:
            return Path(self.out_dir)
        import tempfile

        self.tmp = tempfile.TemporaryDirectory(prefix="campaign-")
        return Path(self.tmp.name)

    def __exit__(self, *exc):
        if self.tmp is not None:
            self.tmp.cleanup()
        return False


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class CampaignBar:
    """rich progress: flights done of all, failures so far, elapsed, ETA."""

    def __init__(self, label, total, done, failed):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        self.failed = failed
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("flights  [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task = self.progress.add_task(label, total=total, completed=done, failed=failed)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def advance(self, row):
        if not row.get("passed"):
            self.failed += 1
        self.progress.update(self.task, advance=1, failed=self.failed)
