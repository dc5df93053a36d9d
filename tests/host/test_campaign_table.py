"""Campaigns as data (fake board): one table row per flight, a campaign
stopped half-way resumes without flying a flight twice and ends with the
same table, failure bounds are exact Clopper-Pearson, the landing KML
parses, and `--seed S --index I` flies a campaign's flight again."""

import json
import math
import xml.etree.ElementTree as ET

import pytest
from fake_board import FakeBoard, fly_cli_on_fake_boards

from host_tools.cli import main as cli_main
from host_tools.droptest import campaign_kml, campaign_stats, campaign_table
from host_tools.droptest import mc as droptest_mc
from host_tools.droptest.campaign import Fleet
from host_tools.droptest.flight_row import ROW_EVENT_KINDS
from host_tools.sim import scenario

SEED = 2
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}


def drone():
    return scenario.load("drone_drop")


def campaign(out, n, workers=2):
    return droptest_mc.run_campaign(
        drone(),
        n,
        seed=SEED,
        out_dir=out,
        fleet=Fleet(workers=workers, board=FakeBoard),
        plots=False,
    )


def flight_part(row):
    """A row without what differs from one flying of a flight to the next."""
    return {k: v for k, v in row.items() if k not in campaign_table.TIMING_COLUMNS}


# -- Clopper-Pearson --------------------------------------------------------------------
def binomial_upper_by_bisection(k, n, confidence=0.95):
    """The p at which P(X <= k | n, p) = 1 - confidence, from the binomial sum
    itself (no beta function): the definition of the exact upper bound."""
    lo, hi = 0.0, 1.0
    for _ in range(100):
        p = (lo + hi) / 2
        cdf = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))
        lo, hi = (p, hi) if cdf > 1 - confidence else (lo, p)
    return (lo + hi) / 2


@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (5, 10), (0, 50), (3, 200), (9, 10)])
def test_clopper_pearson_upper_bound_matches_the_binomial_definition(k, n):
    assert campaign_stats.clopper_pearson_upper(k, n) == pytest.approx(
        binomial_upper_by_bisection(k, n), abs=1e-9
    )


def test_clopper_pearson_known_values():
    # no failure in n: 1 - 0.05**(1/n) (the "rule of three" is its large-n form)
    assert campaign_stats.clopper_pearson_upper(0, 10) == pytest.approx(0.2589, abs=1e-4)
    assert campaign_stats.clopper_pearson_upper(0, 50) == pytest.approx(0.0582, abs=1e-4)
    assert campaign_stats.clopper_pearson_upper(1, 10) == pytest.approx(0.3942, abs=1e-4)
    assert campaign_stats.clopper_pearson_upper(10, 10) == 1.0
    assert campaign_stats.clopper_pearson_upper(0, 0) == 1.0


def test_failure_table_counts_each_check_over_the_flights_it_judged():
    rows = [
        {"checks_passed": ["arms"], "failed_checks": ["main_fired"], "violations": []},
        {"checks_passed": ["arms", "main_fired"], "failed_checks": [], "violations": []},
        {"error": "board gone", "failed_checks": ["arms"], "violations": []},  # not flown
    ]
    table = {f["name"]: f for f in campaign_stats.failure_table(rows)}
    assert table["arms"]["flights"] == 2 and table["arms"]["failed"] == 0
    assert table["main_fired"]["flights"] == 2 and table["main_fired"]["failed"] == 1
    assert table["main_fired"]["upper_95"] == pytest.approx(
        binomial_upper_by_bisection(1, 2), abs=1e-4
    )


# -- the table, resuming ------------------------------------------------------------------
def test_a_stopped_campaign_resumes_without_flying_a_flight_twice(tmp_path, monkeypatch):
    whole = campaign(tmp_path / "whole", 5)
    assert whole["flown_now"] == 5
    reference = campaign_table.read(tmp_path / "whole" / campaign_table.TABLE_NAME)
    assert [r["index"] for r in reference] == list(range(5))

    # stop the campaign (as Ctrl-C would) once two flights are in its table
    appended = []
    real_append = campaign_table.Table.append

    def append_then_stop(self, row):
        if len(appended) == 2:
            raise KeyboardInterrupt
        appended.append(row["index"])
        real_append(self, row)

    monkeypatch.setattr(campaign_table.Table, "append", append_then_stop)
    with pytest.raises(KeyboardInterrupt):
        campaign(tmp_path / "cut", 5)
    monkeypatch.setattr(campaign_table.Table, "append", real_append)
    path = tmp_path / "cut" / campaign_table.TABLE_NAME
    assert sorted(r["index"] for r in campaign_table.read(path)) == sorted(appended)
    with open(path, "a") as f:  # and a row torn by the interrupt
        f.write("4,2,123,drone_drop,torn")

    # every flight flown from here on leaves its index in a file (the
    # workers are other processes)
    log = tmp_path / "flown.txt"
    log.write_text("")
    real_run = droptest_mc.run_dispersed

    def counting(raw, name, path_, seed, index, *board_and_target):
        with open(log, "a") as f:
            f.write(f"{index}\n")
        return real_run(raw, name, path_, seed, index, *board_and_target)

    def flown():
        return sorted(int(x) for x in log.read_text().split())

    monkeypatch.setattr(droptest_mc, "run_dispersed", counting)
    resumed = campaign(tmp_path / "cut", 5)
    assert flown() == sorted(set(range(5)) - set(appended))
    assert resumed["flown_now"] == 3 and resumed["runs"] == 5
    rows = campaign_table.read(path)
    assert [r["index"] for r in rows] == list(range(5))
    assert [flight_part(r) for r in rows] == [flight_part(r) for r in reference]

    # run again: nothing left to fly
    log.write_text("")
    again = campaign(tmp_path / "cut", 5)
    assert flown() == [] and again["flown_now"] == 0 and again["runs"] == 5


def test_a_table_of_another_campaign_is_not_mixed_in(tmp_path, capsys, monkeypatch):
    fly_cli_on_fake_boards(monkeypatch)
    campaign(tmp_path, 1, workers=1)
    status = cli_main(
        ["droptest", "drone_drop", "--monte-carlo", "1", "--seed", "3", 
         "--no-plots", "--out", str(tmp_path)]
    )  # fmt: skip
    assert status == 2
    assert "belongs to another campaign" in capsys.readouterr().err


def test_a_row_holds_inputs_events_verdict_landing_and_timings(tmp_path):
    campaign(tmp_path, 2, workers=1)
    rows = campaign_table.read(tmp_path / campaign_table.TABLE_NAME)
    r = rows[0]
    assert r["inputs"]["capsule"]["mass_kg"] > 0 and r["run_seed"] >= 0
    assert any(e[1] == "fire" and e[3] == "main" for e in r["events"])
    assert r["main_fire_agl_m"] == pytest.approx(400.0, abs=30.0)
    assert r["passed"] is True and r["outcome"] == "landed" and not r["violations"]
    assert -90 <= r["landing_lat"] <= 90 and r["landing_speed_m_s"] > 0
    assert r["samples"] > 0 and r["wall_s"] > 0 and r["host_cpu_s"] >= 0
    md = (tmp_path / "monte_carlo.md").read_text()
    assert "Clopper-Pearson" in md and "| expectation | main_fired | 2 | 0 |" in md


# -- KML ----------------------------------------------------------------------------------
def test_the_landing_kml_parses_with_a_point_per_landing_and_the_ellipse(tmp_path):
    rows = [
        {"index": i, "passed": i != 3, "landing_lat": -30.0 + 0.01 * i,
         "landing_lon": 136.0 + 0.02 * (i % 3), "landing_speed_m_s": 6.0, "main_fire_agl_m": 400.0}
        for i in range(6)
    ]  # fmt: skip
    path = campaign_kml.write_landing_kml(rows, tmp_path / "landing.kml", "test")
    root = ET.parse(path).getroot()
    marks = root.findall(".//k:Placemark", KML_NS)
    names = [m.findtext("k:name", namespaces=KML_NS) for m in marks]
    assert sum(n.startswith("flight ") for n in names) == 6
    ring = root.find(".//k:Polygon//k:coordinates", KML_NS).text.split()
    lonlat = [tuple(map(float, c.split(",")[:2])) for c in ring]
    assert lonlat[0] == pytest.approx(lonlat[-1]) and len(lonlat) > 20
    e = campaign_stats.landing_ellipse(rows)
    assert all(
        abs(lat - e["centre_lat"]) < 0.2 and abs(lon - e["centre_lon"]) < 0.2 for lon, lat in lonlat
    )


# -- re-flying one flight ---------------------------------------------------------------
def test_seed_and_index_fly_a_campaign_flight_again_with_the_same_events(tmp_path, monkeypatch):
    fly_cli_on_fake_boards(monkeypatch)
    campaign(tmp_path / "mc", 3)
    row = campaign_table.read(tmp_path / "mc" / campaign_table.TABLE_NAME)[2]
    out = tmp_path / "again"
    status = cli_main(
        ["droptest", "drone_drop", "--seed", str(SEED), "--index", "2", 
         "--no-plots", "--out", str(out)]
    )  # fmt: skip
    assert status == (0 if row["passed"] else 1)
    doc = json.loads((out / "report.json").read_text())
    events = [
        [e["t_s"], e["kind"], e["name"], str(e.get("channel") if e["kind"] == "fire"
                                             else e["fields"].get("to", "") or "")]
        for e in doc["events"]
        if e["kind"] in ROW_EVENT_KINDS
    ]  # fmt: skip
    assert events == row["events"]
    assert doc["seed"] == row["run_seed"]
    assert doc["landing"]["lat"] == pytest.approx(row["landing_lat"], abs=1e-7)


def test_index_needs_no_other_mode(capsys):
    assert cli_main(["droptest", "drone_drop", "--index", "1", "--monte-carlo", "2"]) == 2
    assert "--index" in capsys.readouterr().err
