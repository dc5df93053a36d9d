"""A campaign's landing points and landing ellipse as KML, for the recovery
team's map (Google Earth, a phone's map app): one placemark per landing,
green when the flight passed and red when it failed, and the ellipse as a
polygon around them."""

import simplekml

from host_tools.droptest import campaign_stats

STYLE_COLOURS = {True: simplekml.Color.green, False: simplekml.Color.red}


def landing_kml(rows, title):
    kml = simplekml.Kml(name=title)
    points = kml.newfolder(name="landings")
    for r in campaign_stats.landing_points(rows):
        p = points.newpoint(
            name=f"flight {r['index']}",
            coords=[(r["landing_lon"], r["landing_lat"])],
            description=(
                f"{'passed' if r.get('passed') else 'FAILED'}; touchdown "
                f"{r.get('landing_speed_m_s')} m/s; main fired at {r.get('main_fire_agl_m')} m AGL"
            ),
        )
        p.style.iconstyle.color = STYLE_COLOURS[bool(r.get("passed"))]
        p.style.iconstyle.scale = 0.6
    ellipse = campaign_stats.landing_ellipse(rows)
    if ellipse is not None:
        poly = kml.newpolygon(
            name=f"landing ellipse {ellipse['sigma']:g} sigma",
            outerboundaryis=campaign_stats.ellipse_outline(ellipse),
            description=(
                f"{ellipse['semi_major_m']:.0f} x {ellipse['semi_minor_m']:.0f} m semi-axes, "
                f"{ellipse['n']} landings"
            ),
        )
        poly.style.linestyle.color = simplekml.Color.orange
        poly.style.linestyle.width = 2
        poly.style.polystyle.color = simplekml.Color.changealphaint(60, simplekml.Color.orange)
        kml.newpoint(name="ellipse centre", coords=[(ellipse["centre_lon"], ellipse["centre_lat"])])
    return kml


def write_landing_kml(rows, path, title):
    landing_kml(rows, title).save(str(path))
    return path
