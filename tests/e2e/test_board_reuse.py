"""A campaign worker's kept virtual board (host_tools/droptest/board_pool.py)
flies every shipped scenario exactly as a freshly flashed board does: the
same events at the same times, fields and packets alike.

Each scenario flies twice in one test: on a fresh board booted from the
flashed image, then on this process's kept board, which by then has flown
other flights (a warm-up with a power cut and serial noise comes first), so
whatever a flight leaves on a board (config, flight record, log, RAM) would
show up as a difference.
"""

import pytest

from host_tools.droptest import board_pool
from host_tools.droptest import runner as droptest
from host_tools.sim import scenario

pytestmark = [pytest.mark.hardware, pytest.mark.slow, pytest.mark.timeout(600)]

SEED = 11


def events(result):
    return [e.to_json() for e in result.events]


def fly_kept(sc, seed):
    """(result, flights the kept board had flown before this one)."""
    before = []

    def kept_board():
        lease = board_pool.reused_board()
        before.append(lease._kept.flights)
        return lease

    result = droptest.run_scenario(sc, seed=seed, board=kept_board, plots=False)
    return result, before[0]


@pytest.fixture(scope="module")
def kept_board_has_flown():
    """The kept board after flights that leave the most behind: a power cut
    mid-descent (a flight record resumed), line noise (console counters), a
    changed config."""
    for name in ("power_loss", "serial_noise"):
        result, _ = fly_kept(scenario.load(name), 1)
        assert not result.aborted, result.aborted
    return True


@pytest.mark.parametrize("name", scenario.library_names())
def test_a_kept_board_flies_every_shipped_scenario_as_a_fresh_one(name, kept_board_has_flown):
    sc = scenario.load(name)
    fresh = droptest.run_scenario(sc, seed=SEED, plots=False, reuse_flash=True)
    kept, flown_before = fly_kept(scenario.load(name), SEED)
    assert flown_before >= 2  # the same board as the warm-up's: reset, never replaced
    assert not fresh.aborted, fresh.aborted
    assert events(kept) == events(fresh)
    assert kept.passed == fresh.passed
    assert kept.samples == fresh.samples


def test_a_kept_board_comes_back_flashed_and_in_safe(kept_board_has_flown):
    lease = board_pool.reused_board()
    try:
        kept = lease._kept
        assert kept.flights >= 2
        assert board_pool.manifest_mismatches(kept.flash_dir) == []
        status = lease.command("status")
        assert (status.get("phase"), status.get("armed")) == ("SAFE", "0")
    finally:
        lease.close()


def test_a_board_that_does_not_come_back_is_replaced(kept_board_has_flown, monkeypatch):
    first = board_pool.reused_board()
    kept = first._kept

    def broken_reset():
        raise board_pool.ResetError("no `ready` after the power cut")

    monkeypatch.setattr(kept, "reset", broken_reset)
    first.close()
    assert not kept.vboard.running
    second = board_pool.reused_board()
    try:
        assert second._kept is not kept
        assert second.command("status").get("phase") == "SAFE"
    finally:
        second.close()
