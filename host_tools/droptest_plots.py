"""Plots of a drop test (PNG, matplotlib without a display): the flight
profile with the board's phases and fires marked, the acceleration the board
felt, the ground track, and for a Monte Carlo campaign the spread of
main-deploy altitudes and the landing ellipse.

Each function writes one file and returns its path; they take plain data
(a droptest.Result, or lists of numbers) so they also serve replays.
"""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

MAX_POINTS = 4000
FIRE_COLOURS = {"drogue": "tab:orange", "main": "tab:red"}


def _thin(n, start=0):
    step = max(1, (n - start) // MAX_POINTS)
    return slice(start, n, step)


def _flight_start(tr):
    """Index of the first sample of the flight (after the stand)."""
    return int(np.searchsorted(np.asarray(tr["t_s"]), 0.0))


def _mark_events(ax, events, label=True):
    for e in events:
        if e.kind == "fire":
            c = FIRE_COLOURS.get(e.extra.get("channel"), "tab:purple")
            ax.axvline(e.t_s, color=c, lw=1.5)
            if label:
                ax.annotate(
                    "{} fire".format(e.extra.get("channel")),
                    (e.t_s, 1.0),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    va="top",
                    ha="right",
                    fontsize=8,
                    color=c,
                )
        elif e.kind == "phase":
            ax.axvline(e.t_s, color="0.6", lw=0.8, ls="--")
            if label:
                ax.annotate(
                    str(e.fields.get("to", "")),
                    (e.t_s, 0.02),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    va="bottom",
                    ha="left",
                    fontsize=7,
                    color="0.35",
                )
        elif e.kind == "injected":
            ax.axvline(e.t_s, color="k", lw=1.0, ls=":")


def flight_plots(result, out_dir):
    """All per-flight plots; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        profile_plot(result, out / "profile.png"),
        accel_plot(result, out / "accel.png"),
        track_plot(result, out / "track.png"),
    ]


def profile_plot(result, path):
    tr = result.trace
    sl = _thin(len(tr["t_s"]), _flight_start(tr))
    t = np.asarray(tr["t_s"])[sl]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    a1.plot(t, np.asarray(tr["agl_m"])[sl] / 1000.0, color="tab:blue", label="true altitude AGL")
    a1.set_ylabel("altitude AGL (km)")
    a1.grid(alpha=0.3)
    _mark_events(a1, result.events)
    a1.set_title(f"{result.scenario.name}: altitude and vertical speed")
    a2.plot(t, -np.asarray(tr["vz_m_s"])[sl], color="tab:green", label="descent rate")
    a2.set_yscale("symlog", linthresh=20)
    a2.set_ylabel("descent rate (m/s)")
    a2.set_xlabel("flight time (s)")
    a2.grid(alpha=0.3)
    _mark_events(a2, result.events, label=False)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def accel_plot(result, path):
    tr = result.trace
    sl = _thin(len(tr["t_s"]))
    t = np.asarray(tr["t_s"])[sl]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    a1.plot(
        t,
        np.asarray(tr["aero_accel_m_s2"])[sl] / 9.80665,
        color="tab:red",
        lw=1,
        label="true specific force",
    )
    a1.plot(
        t,
        np.asarray(tr["az_mg"])[sl] / 1000.0,
        color="0.4",
        lw=0.5,
        alpha=0.7,
        label="board z reading",
    )
    a1.set_ylabel("g")
    a1.legend(loc="upper right", fontsize=8)
    a1.grid(alpha=0.3)
    a1.set_title(f"{result.scenario.name}: acceleration and Mach")
    _mark_events(a1, result.events)
    mach = np.asarray(tr["mach"])[sl]
    a2.plot(t, mach, color="tab:purple")
    a2.set_ylabel("Mach")
    if len(mach) and mach.max() > 2.0:
        a2.set_yscale("symlog", linthresh=1)
    a2.set_xlabel("flight time (s)")
    a2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def track_plot(result, path):
    tr = result.trace
    sl = _thin(len(tr["t_s"]), _flight_start(tr))
    east = np.asarray(tr["east_m"])[sl] / 1000.0
    north = np.asarray(tr["north_m"])[sl] / 1000.0
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5))
    a1.plot(east, north, color="tab:blue")
    a1.plot(east[:1], north[:1], "go", label="start")
    if result.landing is not None:
        a1.plot(
            [result.landing.east_m / 1000],
            [result.landing.north_m / 1000],
            "rx",
            ms=10,
            label="touchdown",
        )
    a1.set_xlabel("east (km)")
    a1.set_ylabel("north (km)")
    a1.set_title("ground track")
    a1.axis("equal")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    # the last few kilometres of altitude: drift under the chutes, beacon fixes
    agl = np.asarray(tr["agl_m"])
    low = np.nonzero((agl < 5000) & (np.asarray(tr["t_s"]) >= 0.0))[0]
    if len(low):
        i0 = low[0]
        e0 = np.asarray(tr["east_m"])[i0:]
        n0 = np.asarray(tr["north_m"])[i0:]
        ref_e, ref_n = e0[-1], n0[-1]
        a2.plot(e0 - ref_e, n0 - ref_n, color="tab:blue", label="last 5 km of descent")
        a2.plot([0], [0], "rx", ms=10, label="touchdown")
        beacons = [e for e in result.events if e.kind == "beacon" and "lat" in e.extra]
        if beacons and result.landing is not None:
            from .physics import local_offset_m

            pts = [
                local_offset_m(
                    result.landing.lat, result.landing.lon, e.extra["lat"], e.extra["lon"]
                )
                for e in beacons
            ]
            a2.plot([p[0] for p in pts], [p[1] for p in pts], "k.", label="beacon positions")
        a2.set_xlabel("east of touchdown (m)")
        a2.set_ylabel("north of touchdown (m)")
        a2.axis("equal")
        a2.grid(alpha=0.3)
        a2.legend(fontsize=8)
    a2.set_title("drift under the chutes")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def histogram_plot(values, path, title, xlabel, limits=None):
    fig, ax = plt.subplots(figsize=(7, 4))
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if vals:
        ax.hist(vals, bins=max(5, min(40, len(vals) // 2)), color="tab:blue", alpha=0.8)
    for x in limits or ():
        ax.axvline(x, color="tab:red", ls="--")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("runs")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)


def ellipse_axes(east, north, sigma=2.0):
    """(centre, semi-axis a, semi-axis b, angle deg) of the sigma-ellipse of points."""
    pts = np.column_stack([east, north])
    centre = pts.mean(axis=0)
    if len(pts) < 3:
        return centre, 0.0, 0.0, 0.0
    cov = np.cov(pts, rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    order = vals.argsort()[::-1]
    vals, vecs = vals[order], vecs[:, order]
    angle = math.degrees(math.atan2(vecs[1, 0], vecs[0, 0]))
    return centre, sigma * math.sqrt(max(vals[0], 0)), sigma * math.sqrt(max(vals[1], 0)), angle


def landing_ellipse_plot(east, north, passed, path, title):
    from matplotlib.patches import Ellipse

    fig, ax = plt.subplots(figsize=(7, 6))
    east = np.asarray(east, dtype=float)
    north = np.asarray(north, dtype=float)
    ok = np.asarray(passed, dtype=bool)
    ax.plot(east[ok] / 1000, north[ok] / 1000, "o", color="tab:green", ms=4, label="passed")
    ax.plot(east[~ok] / 1000, north[~ok] / 1000, "x", color="tab:red", ms=6, label="failed")
    if len(east) >= 3:
        for sigma, style in ((1.0, "-"), (2.0, "--"), (3.0, ":")):
            c, a, b, ang = ellipse_axes(east, north, sigma)
            ax.add_patch(
                Ellipse(
                    (c[0] / 1000, c[1] / 1000),
                    2 * a / 1000,
                    2 * b / 1000,
                    angle=ang,
                    fill=False,
                    ls=style,
                    color="tab:blue",
                    label=f"{sigma:g}-sigma",
                )
            )
    ax.set_xlabel("east of the start (km)")
    ax.set_ylabel("north of the start (km)")
    ax.set_title(title)
    ax.axis("equal")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)
