"""Who would have heard the capsule: every beacon packet of a drop test through
the link model (sim/radio_link.py) to each of the scenario's [[receivers]].

A recovery team cares about two packets per receiver: the last one heard
before touchdown (under the main the capsule is high and heard far away; it
says where to drive) and the first one after (on the ground the horizon
shrinks to a few km: only a receiver close to the landing point hears it).
`assess(result)` gives, per receiver, the packets heard and missed, those
two packets with the position each carried and where the capsule really
was, the distance to the landing point, and each packet's received power
for the plot. `campaign_summary` turns many flights' assessments into the
fraction of flights whose landing each receiver hears.
"""

from __future__ import annotations

from pathlib import Path

from host_tools.paths import firmware_module
from host_tools.sim import physics, radio_link

_NEVER = None


def beacon_of(scenario) -> radio_link.Beacon:
    """The capsule's transmitter as the flight sets it up (plan, config frequency)."""
    radio = scenario.raw.get("radio", {})
    freq_khz = scenario.effective_config().get("lora_freq_khz")
    if freq_khz is None:  # the firmware's default channel
        schema = firmware_module("config_schema").SCHEMA
        freq_khz = next(row[2] for row in schema if row[0] == "lora_freq_khz")
    return radio_link.beacon_from_plan(
        freq_khz=int(freq_khz),
        plan=radio.get("plan"),
        tx_dbm=radio.get("tx_dbm"),
        gain_dbi=radio.get("gain_dbi"),
    )


def receivers_of(scenario) -> list[radio_link.Receiver]:
    return [radio_link.Receiver(**r) for r in scenario.receivers]


def sent_packets(result, beacon):
    """Each packet the board sent: time, true position and height, size, time on air."""
    trace = result.trace
    ts = trace["t_s"]
    start = result.scenario.start
    out = []
    if not ts or "east_m" not in trace:  # no simulated trajectory (a hand-made result)
        return out
    import bisect

    for e in result.events:
        if e.kind != "beacon":
            continue
        i = min(len(ts) - 1, bisect.bisect_left(ts, e.t_s))
        lat, lon = physics.destination(
            start["lat"], start["lon"], trace["east_m"][i], trace["north_m"][i]
        )
        hexed = e.fields.get("hex", "")
        try:
            n = int(e.fields.get("n", len(hexed) // 2))
        except ValueError:
            n = len(hexed) // 2
        out.append(
            {
                "t_s": round(e.t_s, 3),
                "lat": lat,
                "lon": lon,
                "agl_m": max(0.0, trace["agl_m"][i]),
                "n_bytes": n,
                "airtime_ms": beacon.airtime_ms(n) if n > 0 else 0,
                "packet": e.extra.get("packet"),
                "hex": hexed,
                "fix": [e.extra["lat"], e.extra["lon"]] if "lat" in e.extra else None,
            }
        )
    return out


def _packet_summary(p, path):
    if p is None:
        return None
    return {
        "t_s": p["t_s"],
        "fix": p["fix"],  # what the packet told the team (None: it carried no position)
        "true_lat": round(p["lat"], 7),
        "true_lon": round(p["lon"], 7),
        "agl_m": round(p["agl_m"], 1),
        "distance_m": round(path.ground_m, 1),
        "rx_dbm": round(path.rx_dbm, 1),
    }


def assess(result) -> list[dict]:
    """Per receiver of the scenario: what it heard of this flight (report.json's
    `receivers`); [] when the scenario lists no receivers."""
    receivers = receivers_of(result.scenario)
    if not receivers:
        return []
    beacon = beacon_of(result.scenario)
    packets = sent_packets(result, beacon)
    landing = result.landing
    t_down = landing.t_s if landing is not None else float("inf")
    out = []
    for rx in receivers:
        heard = missed = 0
        last_before = first_after = None
        series = []
        for p in packets:
            path = radio_link.path(beacon, rx, p["lat"], p["lon"], p["agl_m"])
            series.append(
                [
                    p["t_s"],
                    round(path.rx_dbm, 2),
                    int(path.heard),
                    int(path.line_of_sight),
                ]
            )
            if not path.heard:
                missed += 1
                continue
            heard += 1
            if p["t_s"] < t_down:
                last_before = (p, path)
            elif first_after is None:
                first_after = (p, path)
        doc = {
            "name": rx.name,
            "lat": rx.lat,
            "lon": rx.lon,
            "antenna_height_m": rx.antenna_height_m,
            "heard": heard,
            "missed": missed,
            "last_heard_before_touchdown": _packet_summary(*(last_before or (None, None))),
            "first_heard_after_touchdown": _packet_summary(*(first_after or (None, None))),
            "hears_landing": first_after is not None,
            "distance_to_landing_m": (
                round(radio_link.haversine_m(rx.lat, rx.lon, landing.lat, landing.lon), 1)
                if landing is not None
                else None
            ),
            "sensitivity_dbm": radio_link.sensitivity_dbm(beacon.sf, beacon.bw_hz, beacon.freq_hz),
            "series": series,  # [t_s, rx_dbm, heard, line_of_sight] per packet sent
        }
        out.append(doc)
    return out


def link_summary(result) -> dict:
    """The beacon's settings the assessment used (report.json `radio_link`)."""
    b = beacon_of(result.scenario)
    return {
        "freq_hz": b.freq_hz,
        "sf": b.sf,
        "bw_hz": b.bw_hz,
        "cr": b.cr,
        "tx_dbm": b.tx_dbm,
        "gain_dbi": b.gain_dbi,
    }


# -- report -------------------------------------------------------------------------------
def _where(summary):
    if summary is None:
        return "never"
    fix = summary["fix"]
    pos = f"{fix[0]:.5f}, {fix[1]:.5f}" if fix else "no position in the packet"
    return (
        f"t={summary['t_s']:.0f} s at {summary['agl_m']:.0f} m AGL, "
        f"{summary['distance_m'] / 1000:.1f} km away, {summary['rx_dbm']:.0f} dBm: {pos}"
    )


def markdown(receivers: list[dict]) -> list[str]:
    """The report.md section (a list of lines; empty without receivers)."""
    if not receivers:
        return []
    lines = [
        "",
        "## Receivers",
        "",
        (
            "| receiver | to landing | heard | missed | last heard before touchdown "
            "| first heard after touchdown |"
        ),
        "|---|---:|---:|---:|---|---|",
    ]
    for r in receivers:
        d = r["distance_to_landing_m"]
        lines.append(
            "| {} | {} | {} | {} | {} | {} |".format(
                r["name"],
                "-" if d is None else f"{d / 1000:.1f} km",
                r["heard"],
                r["missed"],
                _where(r["last_heard_before_touchdown"]),
                _where(r["first_heard_after_touchdown"]),
            )
        )
    return lines


def plot(receivers: list[dict], landing_t_s, out_dir) -> list[Path]:
    """receivers.png: received power of each packet vs time, the sensitivity line,
    touchdown; a packet without line of sight is drawn hollow (not heard)."""
    if not receivers or not any(r["series"] for r in receivers):
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for r in receivers:
        s = r["series"]
        t = [p[0] for p in s]
        dbm = [p[1] for p in s]
        (line,) = ax.plot(t, dbm, "-", lw=0.8, label=r["name"])
        los = [(p[0], p[1]) for p in s if p[3]]
        beyond = [(p[0], p[1]) for p in s if not p[3]]
        if los:
            ax.plot(*zip(*los), "o", ms=3, color=line.get_color())
        if beyond:
            ax.plot(*zip(*beyond), "o", ms=4, mfc="none", color=line.get_color())
    sens = receivers[0]["sensitivity_dbm"]
    ax.axhline(sens, color="k", ls="--", lw=1, label=f"sensitivity {sens:.0f} dBm")
    if landing_t_s is not None:
        ax.axvline(landing_t_s, color="grey", ls=":", lw=1, label="touchdown")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("received power (dBm)")
    ax.set_title("Beacon packets at each receiver (hollow: beyond the radio horizon)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = Path(out_dir) / "receivers.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


# -- campaigns ------------------------------------------------------------------------------
def flight_summary(result) -> list[dict]:
    """What a campaign keeps of one flight per receiver (small, JSON-able)."""
    return [
        {
            "name": r["name"],
            "heard": r["heard"],
            "missed": r["missed"],
            "hears_landing": r["hears_landing"],
            "distance_to_landing_m": r["distance_to_landing_m"],
        }
        for r in assess(result)
    ]


def campaign_summary(flights: list[list[dict]]) -> list[dict]:
    """Per receiver over many flights' assess() results: flights, flights whose
    landing it heard, and that fraction."""
    by_name = {}
    for receivers in flights:
        for r in receivers:
            s = by_name.setdefault(r["name"], {"name": r["name"], "flights": 0, "hears_landing": 0})
            s["flights"] += 1
            s["hears_landing"] += int(r["hears_landing"])
    for s in by_name.values():
        s["fraction_hears_landing"] = round(s["hears_landing"] / s["flights"], 3)
    return list(by_name.values())


def overlapping(packets_a: list[dict], packets_b: list[dict]) -> int:
    """Packets of capsule A on air while one of capsule B's is (same channel):
    neither is decoded unless one is far stronger, so both count as lost."""
    spans_b = sorted((p["t_s"], p["t_s"] + p["airtime_ms"] / 1000.0) for p in packets_b)
    n = 0
    for p in packets_a:
        a0, a1 = p["t_s"], p["t_s"] + p["airtime_ms"] / 1000.0
        if any(b0 < a1 and a0 < b1 for b0, b1 in spans_b):
            n += 1
    return n
