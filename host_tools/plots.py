"""Flight plots shared by `capsule log plot` and the drop-test report.

Every function takes `ax_or_path`: a matplotlib Axes to draw into (the caller
owns the figure, e.g. one panel of a report page) or a file path, in which
case the function makes its own figure, saves it (PNG, SVG, PDF by suffix)
and returns the path. No pyplot and no global backend: figures are drawn
with the Agg canvas, so this works headless and from worker threads.

Marks are given as plain lists so any source can feed them:
    phases: [(t_s, "DROGUE"), ...]   the time each phase begins
    fires:  [(t_s, "drogue"), ...]   pyro fire times and labels
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PHASE_COLOURS = {
    "SAFE": "#dddddd",
    "ARMED": "#fce8b2",
    "DESCENT": "#f4c7c3",
    "DROGUE": "#c6dafc",
    "MAIN": "#b7e1cd",
    "LANDED": "#e1bee7",
    "BEACON": "#f5f5f5",
}
FIRE_COLOUR = "#d93025"
EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG): local east/north offsets for the track


def _target(ax_or_path, figsize=(10, 5)):
    """(axes, path or None): draw on the caller's axes or on a new figure."""
    if hasattr(ax_or_path, "plot"):
        return ax_or_path, None
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot(), Path(ax_or_path)


def _save(ax, path):
    if path is None:
        return ax
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(path, dpi=120)
    return path


def _time_axes(ax, ylabel, **ylabel_style):
    """Time along x, `ylabel` along y, a light grid: how every time plot starts."""
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel, **ylabel_style)
    ax.grid(True, alpha=0.3)


def _finish_time_plot(ax, path, t_s, title, phases=(), fires=(), label_phases=True):
    """x fitted to t_s, the phases shaded and the fires marked, the title; saved."""
    if len(t_s):
        ax.set_xlim(min(t_s), max(t_s))
    mark_phases(ax, phases, label=label_phases)
    mark_fires(ax, fires)
    ax.set_title(title, loc="left")  # the phase legend is on the right, above the axes
    return _save(ax, path)


GAP_FACTOR = 4.0  # a step this many times the usual sample interval is a gap ...
GAP_MIN_S = 2.0  # ... if it is also at least this long


def with_gaps(t_s, *ys):
    """(t, *ys) with a NaN between two samples further apart than the log's
    rate allows, so a line is not drawn across the once-a-minute samples of
    a beaconing board as if they were measured in between."""
    t = [float(x) for x in t_s]
    if len(t) < 3:
        return (t, *[list(y) for y in ys])
    steps = sorted(b - a for a, b in itertools.pairwise(t))
    usual = steps[len(steps) // 2]
    limit = max(GAP_MIN_S, GAP_FACTOR * usual)
    out_t, out_ys = [t[0]], [[y[0]] for y in ys]
    for i in range(1, len(t)):
        if t[i] - t[i - 1] > limit:
            out_t.append(math.nan)
            for o in out_ys:
                o.append(math.nan)
        out_t.append(t[i])
        for o, y in zip(out_ys, ys, strict=True):
            o.append(y[i])
    return (out_t, *out_ys)


def _line(ax, t_s, y, **style):
    """y against t as a line broken at the log's gaps; samples with no
    neighbour on either side (the sparse ones) drawn as dots."""
    t, yy = with_gaps(t_s, y)
    (line,) = ax.plot(t, yy, **style)
    lone = [
        i
        for i in range(len(t))
        if not math.isnan(t[i])
        and (i == 0 or math.isnan(t[i - 1]))
        and (i == len(t) - 1 or math.isnan(t[i + 1]))
    ]
    if lone and len(lone) < len(t):
        ax.plot([t[i] for i in lone], [yy[i] for i in lone], ".", color=line.get_color(), ms=4)
    return line


def phase_spans(phases, t_end):
    """[(t0, t1, name)]: one band per run of the same phase (a phase entered
    again right after itself, e.g. over a reboot, does not start a new band)."""
    phases = sorted(phases, key=lambda p: p[0])
    spans = []
    for i, (t0, name) in enumerate(phases):
        t1 = phases[i + 1][0] if i + 1 < len(phases) else t_end
        if t1 <= t0:
            continue
        if spans and spans[-1][2] == name and spans[-1][1] >= t0:
            spans[-1] = (spans[-1][0], t1, name)
        else:
            spans.append((t0, t1, name))
    return spans


def mark_phases(ax, phases, t_end=None, label=True):
    """Shade each phase's time span; name each phase once, in a legend of
    the phases seen (labels at every change pile up where phases are short)."""
    if not phases:
        return
    from matplotlib.legend import Legend
    from matplotlib.patches import Patch

    lo, hi = ax.get_xlim()
    end = t_end if t_end is not None else hi
    seen = []
    for t0, t1, name in phase_spans(phases, end):
        if t1 < lo or t0 > hi:
            continue
        colour = PHASE_COLOURS.get(name, "#eeeeee")
        ax.axvspan(t0, t1, color=colour, alpha=0.5, lw=0, zorder=0)
        if name not in seen:
            seen.append(name)
    if label and seen:
        handles = [
            Patch(color=PHASE_COLOURS.get(n, "#eeeeee"), alpha=0.5, label=str(n)) for n in seen
        ]
        # a legend of its own, so a caller's ax.legend() does not replace it
        legend = Legend(
            ax,
            handles,
            [h.get_label() for h in handles],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=len(handles),
            fontsize=7,
            frameon=False,
            borderaxespad=0.2,
        )
        ax.add_artist(legend)
    ax.set_xlim(lo, hi)


def mark_fires(ax, fires):
    for t, label in fires:
        ax.axvline(t, color=FIRE_COLOUR, lw=1.2, ls="--", zorder=3)
        ax.text(
            t,
            0.02,
            " fire " + str(label),
            transform=ax.get_xaxis_transform(),
            color=FIRE_COLOUR,
            fontsize=8,
            rotation=90,
            va="bottom",
            ha="right",
        )


def plot_altitude(
    ax_or_path,
    t_s,
    alt_m,
    speed_m_s=None,
    phases=(),
    fires=(),
    title=None,
    ylabel="altitude (m)",
):
    """Altitude (left axis) and vertical speed (right axis) against time;
    `ylabel` says what the altitude is measured from."""
    ax, path = _target(ax_or_path)
    _line(ax, t_s, alt_m, color="#1a73e8", lw=1.4, label="altitude")
    _time_axes(ax, ylabel, color="#1a73e8")
    if speed_m_s is not None and len(speed_m_s):
        ax2 = ax.twinx()
        _line(ax2, t_s, speed_m_s, color="#e37400", lw=1.0, label="vertical speed")
        ax2.set_ylabel("vertical speed (m/s)", color="#e37400")
        ax2.axhline(0, color="#e37400", lw=0.5, alpha=0.5)
    return _finish_time_plot(ax, path, t_s, title or "altitude and vertical speed", phases, fires)


def plot_acceleration(ax_or_path, t_s, accel_m_s2, axes_g=None, phases=(), fires=(), title=None):
    """Acceleration along the capsule axis (m/s^2) and, if given, the three
    board axes in g (`axes_g` = (ax, ay, az) sequences) on a second axis."""
    ax, path = _target(ax_or_path)
    _line(ax, t_s, accel_m_s2, color="#188038", lw=1.2, label="axial (m/s²)")
    _time_axes(ax, "acceleration (m/s²)")
    if axes_g is not None:
        ax2 = ax.twinx()
        for values, name, colour in zip(axes_g, "xyz", ("#9334e6", "#f29900", "#12b5cb")):
            _line(ax2, t_s, values, lw=0.7, alpha=0.8, color=colour, label=name)
        ax2.set_ylabel("board axes (g)")
        ax2.legend(loc="upper right", fontsize=8)
    return _finish_time_plot(ax, path, t_s, title or "acceleration", phases, fires)


def local_east_north_m(lat, lon):
    """East/north offsets (m) from the first point: an equirectangular
    projection, exact enough over the few km of a recovery area."""
    if not len(lat):
        return [], []
    lat0 = lat[0]
    lon0 = lon[0]
    k = math.cos(math.radians(lat0))
    east = [math.radians(x - lon0) * k * EARTH_RADIUS_M for x in lon]
    north = [math.radians(y - lat0) * EARTH_RADIUS_M for y in lat]
    return east, north


def plot_ground_track(
    ax_or_path, lat, lon, alt_m=None, labels=(), title=None, alt_label="altitude (m)"
):
    """Ground track as east/north metres from the first fix, coloured by
    altitude when given (`alt_label` says measured from what); `labels` =
    [(lat, lon, text)] marks points."""
    ax, path = _target(ax_or_path, figsize=(7, 7))
    east, north = local_east_north_m(list(lat), list(lon))
    if alt_m is not None and len(alt_m) == len(east) and len(east):
        sc = ax.scatter(east, north, c=list(alt_m), s=8, cmap="viridis", zorder=2)
        ax.figure.colorbar(sc, ax=ax, label=alt_label)
    ax.plot(east, north, color="#5f6368", lw=0.8, zorder=1)
    if east:
        ax.plot(east[0], north[0], "o", color="#188038", label="first fix")
        ax.plot(east[-1], north[-1], "X", color=FIRE_COLOUR, ms=10, label="last fix")
        ax.legend(loc="best", fontsize=8)
        lat0, lon0 = lat[0], lon[0]
        for la, lo, text in labels:
            e, n = local_east_north_m([lat0, la], [lon0, lo])
            ax.annotate(text, (e[1], n[1]), fontsize=8)
        ax.text(
            0.01,
            0.01,
            f"origin {lat0:.6f}, {lon0:.6f}\nlast {lat[-1]:.6f}, {lon[-1]:.6f}",
            transform=ax.transAxes,
            fontsize=8,
            va="bottom",
        )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("east (m)")
    ax.set_ylabel("north (m)")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "ground track")
    return _save(ax, path)


def plot_battery(ax_or_path, t_s, vbatt_v, phases=(), title=None):
    ax, path = _target(ax_or_path, figsize=(10, 3.5))
    _line(ax, t_s, vbatt_v, color="#5f6368", lw=1.0)
    _time_axes(ax, "battery (V)")
    return _finish_time_plot(ax, path, t_s, title or "battery", phases, label_phases=False)


# ------------------------------------------------------- a decoded log
def log_series(log):
    """Plain lists from a host_tools.protocol.flightlog.DecodedLog, in SI units."""
    from host_tools.protocol.flightlog import FIRE_CHANNELS, phase_name

    r = log.records
    fixes = [f for f in log.fixes if f.has_position]
    return {
        "t_s": [x.t_s for x in r],
        "alt_m": [x.alt_cm / 100 for x in r],
        "speed_m_s": [x.speed_cms / 100 for x in r],
        "accel_m_s2": [x.accel_cms2 / 100 for x in r],
        "axes_g": tuple([getattr(x, k) / 1000 for x in r] for k in ("ax_mg", "ay_mg", "az_mg")),
        "vbatt_v": [x.vbatt_mv / 1000 for x in r],
        "phases": [(t, phase_name(p)) for t, p in log.phase_changes()],
        "fires": [(e.t_s, FIRE_CHANNELS.get(e.a, str(e.a))) for e in log.fires()],
        "lat": [f.lat for f in fixes],
        "lon": [f.lon for f in fixes],
        "fix_alt_m": [f.alt_cm / 100 for f in fixes],
    }


def descent_window(log, before_s=30.0, after_s=120.0):
    """(t0, t1) around DESCENT..LANDED, or None when the log has no descent."""
    t = [x.t_s for x in log.records if 2 <= x.phase <= 5]
    if not t:
        return None
    return min(t) - before_s, max(t) + after_s


def _window(series, t0, t1):
    keep = [i for i, t in enumerate(series["t_s"]) if t0 <= t <= t1]
    out = dict(series)
    for k in ("t_s", "alt_m", "speed_m_s", "accel_m_s2", "vbatt_v"):
        out[k] = [series[k][i] for i in keep]
    out["axes_g"] = tuple([a[i] for i in keep] for a in series["axes_g"])
    out["phases"] = [p for p in series["phases"] if p[0] <= t1]
    out["fires"] = [f for f in series["fires"] if t0 <= f[0] <= t1]
    return out


# what the flight log's heights are measured from (firmware/flight.py: the
# filter's height is above the configured ground_elevation_m; a GNSS fix's
# altitude is the receiver's, above mean sea level)
LOG_ALT_LABEL = "height above the landing ground (m, baro)"
FIX_ALT_LABEL = "GNSS altitude above sea level (m)"
WHOLE_LOG_MIN_EXTRA = 0.25  # the whole-log plot only when it shows this much more


def plot_flight_log(log, out_dir) -> list:
    """One plot per question about a decoded log: how the descent went
    (height and speed; acceleration), the whole log when it is much longer
    than the descent, the battery, the ground track. Returns the files written."""
    out_dir = Path(out_dir)
    s = log_series(log)
    written = []
    if not s["t_s"]:
        return written
    whole = s
    window = descent_window(log)
    focus = _window(s, *window) if window else s
    written.append(
        plot_altitude(
            out_dir / "altitude.png",
            focus["t_s"],
            focus["alt_m"],
            focus["speed_m_s"],
            focus["phases"],
            focus["fires"],
            title="height and vertical speed" + (" (descent)" if window else ""),
            ylabel=LOG_ALT_LABEL,
        )
    )
    written.append(
        plot_acceleration(
            out_dir / "acceleration.png",
            focus["t_s"],
            focus["accel_m_s2"],
            focus["axes_g"],
            focus["phases"],
            focus["fires"],
        )
    )
    span = whole["t_s"][-1] - whole["t_s"][0]
    shown = focus["t_s"][-1] - focus["t_s"][0] if focus["t_s"] else 0.0
    if window and span > (1 + WHOLE_LOG_MIN_EXTRA) * shown:
        written.append(
            plot_altitude(
                out_dir / "altitude_whole_log.png",
                whole["t_s"],
                whole["alt_m"],
                None,
                whole["phases"],
                whole["fires"],
                title="height, whole log",
                ylabel=LOG_ALT_LABEL,
            )
        )
    written.append(
        plot_battery(out_dir / "battery.png", whole["t_s"], whole["vbatt_v"], whole["phases"])
    )
    if s["lat"]:
        written.append(
            plot_ground_track(
                out_dir / "ground_track.png",
                s["lat"],
                s["lon"],
                s["fix_alt_m"],
                alt_label=FIX_ALT_LABEL,
            )
        )
    return written
