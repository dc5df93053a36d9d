"""What a campaign's table says: each expectation's and invariant's failure
count with the 95 % upper bound on its failure probability, the main
deploy-height distribution and the landing ellipse (campaign_table rows).

Why an upper bound: 0 failures in 50 flights does not mean the failure rate
is 0, only (one-sided 95 %, Clopper-Pearson) that it is below 5.8 %; the
bound tells a reviewer how many more flights a claim needs.
"""

import math

import numpy as np

CONFIDENCE = 0.95
MAIN_PERCENTILES = (0, 5, 50, 95, 100)


def clopper_pearson_upper(failures, n, confidence=CONFIDENCE):
    """One-sided upper confidence bound on a failure probability after
    `failures` in `n` trials (exact binomial, Clopper-Pearson)."""
    if n <= 0:
        return 1.0
    if failures >= n:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(confidence, failures + 1, n - failures))


def flown(rows):
    """Rows of flights that were flown (a board that could not be set up says
    nothing about the firmware)."""
    return [r for r in rows if not r.get("error")]


def failure_table(rows):
    """[{name, kind, flights, failed, upper_95}] for every expectation and
    invariant that applied to at least one flown flight."""
    counts = {}  # (kind, name) -> [flights judged, failed]
    lists = (
        ("expectation", "checks_passed", False),
        ("expectation", "failed_checks", True),
        ("invariant", "invariants_held", False),
        ("invariant", "violations", True),
    )
    for r in flown(rows):
        for kind, column, failed in lists:
            for name in r.get(column) or ():
                entry = counts.setdefault((kind, name), [0, 0])
                entry[0] += 1
                entry[1] += failed
    return [
        {
            "kind": kind,
            "name": name,
            "flights": n,
            "failed": k,
            "upper_95": round(clopper_pearson_upper(k, n), 4),
        }
        for (kind, name), (n, k) in sorted(counts.items())
    ]


def main_deploy(rows):
    """Distribution of the true height above ground at the main's fire."""
    vals = np.asarray(
        [r["main_fire_agl_m"] for r in flown(rows) if r.get("main_fire_agl_m") is not None],
        dtype=float,
    )
    if not len(vals):
        return None
    out = {
        "n": len(vals),
        "mean": round(float(vals.mean()), 1),
        "std": round(float(vals.std()), 1),
    }
    for p, v in zip(MAIN_PERCENTILES, np.percentile(vals, MAIN_PERCENTILES)):
        out[f"p{p}"] = round(float(v), 1)
    return out


def landing_points(rows):
    return [
        r
        for r in flown(rows)
        if r.get("landing_lat") is not None and math.isfinite(r["landing_lat"])
    ]


def landing_ellipse(rows, sigma=2.0):
    """The sigma-ellipse of the landing points, in a local east/north frame
    around their mean position (the campaigns' flights may start from
    different places, so their own east/north offsets do not share an
    origin): centre lat/lon, semi-axes (m), major-axis angle (deg, from east
    counter-clockwise). None below 3 landings."""
    from host_tools.droptest.plots import ellipse_axes
    from host_tools.sim.physics import local_offset_m

    pts = landing_points(rows)
    if len(pts) < 3:
        return None
    lat0 = float(np.mean([r["landing_lat"] for r in pts]))
    lon0 = float(np.mean([r["landing_lon"] for r in pts]))
    en = np.array([local_offset_m(lat0, lon0, r["landing_lat"], r["landing_lon"]) for r in pts])
    centre, a, b, angle = ellipse_axes(en[:, 0], en[:, 1], sigma)
    from host_tools.sim.physics import destination

    lat, lon = destination(lat0, lon0, float(centre[0]), float(centre[1]))
    return {
        "sigma": sigma,
        "n": len(pts),
        "centre_lat": round(lat, 7),
        "centre_lon": round(lon, 7),
        "semi_major_m": round(a, 1),
        "semi_minor_m": round(b, 1),
        "angle_deg": round(angle, 1),
    }


def ellipse_outline(ellipse, points=72):
    """[(lon, lat), ...] around the ellipse, closed."""
    from host_tools.sim.physics import destination

    th = math.radians(ellipse["angle_deg"])
    out = []
    for k in range(points + 1):
        u = 2 * math.pi * k / points
        x = ellipse["semi_major_m"] * math.cos(u)
        y = ellipse["semi_minor_m"] * math.sin(u)
        east = x * math.cos(th) - y * math.sin(th)
        north = x * math.sin(th) + y * math.cos(th)
        lat, lon = destination(ellipse["centre_lat"], ellipse["centre_lon"], east, north)
        out.append((lon, lat))
    return out


def summary(rows):
    """The campaign's figures from its table."""
    done = flown(rows)
    passed = sum(1 for r in done if r.get("passed"))
    outcomes = {}
    for r in done:
        outcomes[r.get("outcome") or "?"] = outcomes.get(r.get("outcome") or "?", 0) + 1
    cpu = [
        (r.get("host_cpu_s") or 0.0) + (r.get("board_cpu_s") or 0.0)
        for r in done
        if r.get("host_cpu_s") is not None
    ]
    return {
        "flights": len(rows),
        "flown": len(done),
        "errors": len(rows) - len(done),
        "passed": passed,
        "failed": len(done) - passed,
        "pass_upper_fail_95": round(clopper_pearson_upper(len(done) - passed, len(done)), 4),
        "outcomes": outcomes,
        "failures": failure_table(rows),
        "main_deploy_agl_m": main_deploy(rows),
        "landing_ellipse": landing_ellipse(rows),
        "cpu_s_per_flight": round(float(np.mean(cpu)), 3) if cpu else None,
    }


def markdown(stats):
    """The campaign table's section of the Markdown summary."""
    lines = [
        "## From the flights table",
        "",
        (
            f"- {stats['flown']} flights flown, {stats['passed']} passed, {stats['failed']} failed "
            f"(failure probability below {100 * stats['pass_upper_fail_95']:.1f} %, "
            "one-sided 95 % Clopper-Pearson)"
            + (f"; {stats['errors']} could not be flown" if stats["errors"] else "")
        ),
        "- outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["outcomes"].items())),
    ]
    if stats.get("cpu_s_per_flight") is not None:
        lines.append(
            f"- CPU per flight (host process + board interpreter, on the workers): "
            f"{stats['cpu_s_per_flight']:.2f} s"
        )
    lines += [
        "",
        "| kind | check | flights | failed | failure rate 95 % upper bound |",
        "|---|---|---:|---:|---:|",
    ]
    for f in stats["failures"]:
        lines.append(
            "| {} | {} | {} | {} | {:.1f} % |".format(
                f["kind"], f["name"], f["flights"], f["failed"], 100 * f["upper_95"]
            )
        )
    m = stats.get("main_deploy_agl_m")
    if m:
        lines += [
            "",
            (
                f"Main deploy height above ground ({m['n']} fires): mean {m['mean']:.0f} m, "
                f"sd {m['std']:.0f} m"
            ),
            "",
            "| " + " | ".join(f"p{p}" for p in MAIN_PERCENTILES) + " |",
            "|" + "---:|" * len(MAIN_PERCENTILES),
            "| " + " | ".join(f"{m[f'p{p}']:.0f} m" for p in MAIN_PERCENTILES) + " |",
        ]
    e = stats.get("landing_ellipse")
    if e:
        lines += [
            "",
            (
                f"Landing ellipse ({e['sigma']:g} sigma, {e['n']} landings): centre "
                f"{e['centre_lat']:.5f}, {e['centre_lon']:.5f}; semi-axes "
                f"{e['semi_major_m']:.0f} x {e['semi_minor_m']:.0f} m, major axis at "
                f"{e['angle_deg']:.0f} deg from east (map: landing.kml)"
            ),
        ]
    return "\n".join(lines) + "\n"
