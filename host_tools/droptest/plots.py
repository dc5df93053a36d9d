"""Plots of a drop test (PNG, headless): the flight profile with the
board's phases and fires marked, the acceleration the board felt, the ground
track and the drift under the chutes with the beacon positions, and for a
Monte Carlo campaign the spread of main-deploy altitudes and the landing
ellipse.

Per-flight plots are drawn with the shared flight plots of `plots.py` (the
same look as `capsule log plot`), from the run's truth and the board's
events. Each function writes one file and returns its path.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from host_tools import plots
from host_tools.sim import physics

MAX_POINTS = 4000
ZOOM_AGL_M = 3000.0  # the second profile panel: the last few km


def _figure(figsize):
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _thin(n, start=0):
    step = max(1, (n - start) // MAX_POINTS)
    return slice(start, n, step)


def _flight_start(tr):
    """Index of the first sample of the flight (after the stand)."""
    return int(np.searchsorted(np.asarray(tr["t_s"]), 0.0))


def _marks(result):
    phases = [(e.t_s, str(e.fields.get("to", "?"))) for e in result.events if e.kind == "phase"]
    fires = [(e.t_s, e.extra.get("channel", "?")) for e in result.events if e.kind == "fire"]
    return phases, fires


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
    """Altitude above the ground and vertical speed: the whole flight, and the
    last ZOOM_AGL_M metres where the main and the landing happen."""
    tr = result.trace
    phases, fires = _marks(result)
    start = _flight_start(tr)
    sl = _thin(len(tr["t_s"]), start)
    t = np.asarray(tr["t_s"])[sl]
    agl = np.asarray(tr["agl_m"])[sl]
    vz = np.asarray(tr["vz_m_s"])[sl]
    fig = _figure((11, 8))
    top, bottom = fig.subplots(2, 1)
    plots.plot_altitude(
        top,
        t,
        agl,
        vz,
        phases,
        fires,
        title=f"{result.scenario.name}: altitude above ground",
        ylabel="height above ground (m)",
    )
    low = np.nonzero(agl < ZOOM_AGL_M)[0]
    if len(low) > 1 and low[0] > 0:  # starting below it, the zoom repeats the top plot
        i = low[0]
        plots.plot_altitude(
            bottom,
            t[i:],
            agl[i:],
            vz[i:],
            phases,
            fires,
            title=f"below {ZOOM_AGL_M:.0f} m",
            ylabel="height above ground (m)",
        )
    else:
        bottom.set_visible(False)
    fig.savefig(path, dpi=90)
    return Path(path)


def accel_plot(result, path):
    """The true specific force along the capsule axis (m/s^2) and the board's
    accelerometer readings (g, board axes, as mounted)."""
    tr = result.trace
    phases, fires = _marks(result)
    sl = _thin(len(tr["t_s"]))
    t = np.asarray(tr["t_s"])[sl]
    axes_g = tuple(np.asarray(tr[k])[sl] / 1000.0 for k in ("ax_mg", "ay_mg", "az_mg"))
    fig = _figure((11, 7))
    top, bottom = fig.subplots(2, 1, sharex=True)
    plots.plot_acceleration(
        top,
        t,
        np.asarray(tr["aero_accel_m_s2"])[sl],
        axes_g,
        phases,
        fires,
        title=f"{result.scenario.name}: specific force (truth) and accelerometer (board axes)",
    )
    mach = np.asarray(tr["mach"])[sl]
    bottom.plot(t, mach, color="tab:purple")
    bottom.set_ylabel("Mach")
    bottom.set_xlabel("time (s)")
    if len(mach) and mach.max() > 2.0:
        bottom.set_yscale("symlog", linthresh=1)
    bottom.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
    return Path(path)


def _lat_lon(result, idx):
    tr = result.trace
    lat0, lon0 = result.scenario.start["lat"], result.scenario.start["lon"]
    pts = [physics.destination(lat0, lon0, tr["east_m"][i], tr["north_m"][i]) for i in idx]
    return [p[0] for p in pts], [p[1] for p in pts]


def track_plot(result, path):
    """Left: the whole ground track. Right: the last 5 km of descent (drift
    under the chutes) with the touchdown and the positions the beacon sent."""
    tr = result.trace
    start = _flight_start(tr)
    n = len(tr["t_s"])
    idx = list(range(start, n, max(1, (n - start) // MAX_POINTS)))
    fig = _figure((13, 6))
    left, right = fig.subplots(1, 2)
    lat, lon = _lat_lon(result, idx)
    plots.plot_ground_track(
        left, lat, lon, [tr["agl_m"][i] for i in idx], title="ground track (colour: height)"
    )
    agl = np.asarray(tr["agl_m"])
    low = [i for i in idx if agl[i] < 5000.0]
    if len(low) > 1:
        la, lo = _lat_lon(result, low)
        labels = []
        if result.landing is not None:
            labels.append((result.landing.lat, result.landing.lon, "touchdown"))
        for k, e in enumerate(e for e in result.events if e.kind == "beacon" and "lat" in e.extra):
            labels.append((e.extra["lat"], e.extra["lon"], "b" if k else "beacon"))
        plots.plot_ground_track(
            right, la, lo, [agl[i] for i in low], labels, title="last 5 km: drift and beacons"
        )
    else:
        right.set_visible(False)
    fig.savefig(path, dpi=90)
    return Path(path)


def histogram_plot(values, path, title, xlabel, limits=None):
    fig = _figure((7, 4))
    ax = fig.subplots()
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if vals:
        ax.hist(vals, bins=max(5, min(40, len(vals) // 2)), color="tab:blue", alpha=0.8)
    for x in limits or ():
        ax.axvline(x, color="tab:red", ls="--")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("runs")
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=90)
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

    fig = _figure((7, 6))
    ax = fig.subplots()
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
    fig.savefig(path, dpi=90)
    return Path(path)
