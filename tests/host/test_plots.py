"""Flight-log plots a person can read: one band and one label per phase,
the altitude's reference on the axis, gaps where the log thins out, and one
plot per question."""

import math
from types import SimpleNamespace

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from host_tools import plots


def axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def legend_labels(ax):
    out = []
    for artist in ax.artists + ([ax.get_legend()] if ax.get_legend() else []):
        out += [t.get_text() for t in artist.get_texts()]
    return out


def test_each_phase_is_one_band_with_one_label_even_when_phases_are_short():
    ax = axes()
    t = [i * 0.1 for i in range(200)]
    # DESCENT entered twice in a row (a reboot), DROGUE and MAIN a fraction of a second apart
    phases = [(0, "SAFE"), (5, "DESCENT"), (6, "DESCENT"), (10, "DROGUE"), (10.2, "MAIN")]
    plots.plot_altitude(ax, t, [100 - x for x in t], None, phases)
    assert len(ax.patches) == 4  # SAFE, DESCENT (one band), DROGUE, MAIN
    assert legend_labels(ax) == ["SAFE", "DESCENT", "DROGUE", "MAIN"]
    assert not [x for x in ax.texts if x.get_rotation() == 90 and "fire" not in x.get_text()]


def test_lines_break_where_the_log_thins_out_and_lone_samples_are_dots():
    ax = axes()
    t = [i * 0.1 for i in range(50)] + [65.0, 125.0, 185.0]  # 10 Hz, then once a minute
    y = list(range(len(t)))
    plots.plot_altitude(ax, t, y)
    xs = list(ax.lines[0].get_xdata())
    nan_at = [i for i, x in enumerate(xs) if isinstance(x, float) and math.isnan(x)]
    assert len(nan_at) == 3  # no line from 4.9 s to 65 s, 65 to 125, 125 to 185
    dots = [ln for ln in ax.lines if ln.get_linestyle() == "None"]
    assert len(dots) == 1 and list(dots[0].get_xdata()) == [65.0, 125.0, 185.0]


def test_a_steady_log_has_no_gaps():
    t, y = plots.with_gaps([0.0, 1.0, 2.0, 3.0], [1, 2, 3, 4])
    assert t == [0.0, 1.0, 2.0, 3.0] and y == [1, 2, 3, 4]


def _log(t_end, descent=(10.0, 60.0)):
    """A stand-in for a decoded log: 1 Hz records, DESCENT..MAIN inside `descent`."""
    steady = {"speed_cms": -2_000, "accel_cms2": 981, "vbatt_mv": 4000}  # all along
    upright = {"ax_mg": 0, "ay_mg": 0, "az_mg": 1000}  # 1 g along z
    records = []
    for i in range(int(t_end) + 1):
        phase = 2 if descent[0] <= i < descent[1] else (6 if i >= descent[1] else 0)
        alt_cm = max(0, 100_000 - 2_000 * i)
        records.append(
            SimpleNamespace(t_s=float(i), alt_cm=alt_cm, phase=phase, **steady, **upright)
        )
    fix = SimpleNamespace(has_position=True, lat=-30.0, lon=136.0, alt_cm=12_000)
    return SimpleNamespace(
        records=records,
        fixes=[fix, SimpleNamespace(has_position=True, lat=-30.001, lon=136.001, alt_cm=1000)],
        phase_changes=lambda: [(0.0, 0), (descent[0], 2), (descent[1], 6)],
        fires=list,
    )


def test_one_plot_per_question_and_heights_say_their_reference(tmp_path, monkeypatch):
    seen = {}
    real = plots.plot_altitude

    def spy(path, *a, **kw):
        seen[path.name] = kw.get("ylabel")
        return real(path, *a, **kw)

    monkeypatch.setattr(plots, "plot_altitude", spy)
    # the descent window covers the whole log: no second, identical altitude plot
    names = sorted(p.name for p in plots.plot_flight_log(_log(200), tmp_path / "a"))
    assert "altitude_whole_log.png" not in names
    assert "above the landing ground" in seen["altitude.png"]
    # days of beacon after the descent: the whole log is a question of its own
    names = sorted(p.name for p in plots.plot_flight_log(_log(3000), tmp_path / "b"))
    assert "altitude_whole_log.png" in names


def test_the_ground_track_says_gnss_altitude_is_above_sea_level():
    ax = axes()
    plots.plot_ground_track(
        ax, [-30.0, -30.001], [136.0, 136.001], [120.0, 10.0], alt_label=plots.FIX_ALT_LABEL
    )
    cbar_labels = [a.get_ylabel() for a in ax.figure.axes if a is not ax]
    assert any("above sea level" in c for c in cbar_labels)
