"""The maps in a real browser (static/maps/sanhua-map.js on Leaflet): a configured tile server
(a real HTTP server on loopback serving PNG tiles) is asked for tiles and they are shown; with
none configured the offline basemap draws the grids' names, the registry's buildings and the
roads file's roads; the case page pins its case; the dashboards cluster the open cases and
colour the grids by load; the wall screen at 1920×1080 has names one reads from across a room;
the field report form shows the worker's position in their grid on a phone. The WGS-84 →
GCJ-02 shift is checked against published points.
Screenshots: test-artifacts/screenshots/case-map.png and wall-screen.png.
"""

import copy
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import expect

from cases import services
from cases.models import Case, Category
from grid.models import Area, Building, Post
from tests.browser.conftest import SCREENSHOTS, fits_the_screen, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WALL = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def user(username: str):
    return get_user_model().objects.get(username=username)


def grid_of(username: str) -> Area:
    return Post.objects.get(user__username=username).area


def label_of(grid: Area) -> str:
    """A grid's name on the map: what tells it from its neighbours ("第1网格"), without the
    community's name they share."""
    return grid.name.removeprefix(grid.parent.name)


def file(title: str, *, by: str = "grid1", at=None) -> Case:
    grid = grid_of(by)
    lng, lat = at or (grid.centroid_lng, grid.centroid_lat)
    case, _created = services.report_case(
        reporter=user(by), category=Category.objects.get(code="0501"), title=title, lng=lng,
        lat=lat,
    )  # fmt: skip
    return case


def buildings_in(grid: Area, count: int = 4) -> list[Building]:
    """`count` located buildings across the middle of the grid, west to east."""
    width = grid.max_lng - grid.min_lng
    return [
        Building.objects.create(
            grid=grid,
            number=f"M{i}",
            name=f"测试楼{i}",
            address=f"测试路{i}号",
            floors=6,
            lng=grid.min_lng + width * (i + 1) / (count + 1),
            lat=grid.centroid_lat,
        )  # fmt: skip
        for i in range(count)
    ]


@pytest.fixture
def as_user(browser, browser_context_args, sign_in):
    """as_user("grid1") → a page signed in as that demo user; a script error on it fails the
    test."""
    contexts, errors = [], []

    def open_page(username: str, viewport=None):
        context = browser.new_context(
            **{**browser_context_args, "viewport": viewport or browser_context_args["viewport"]}
        )
        contexts.append(context)
        sign_in(context, username)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == []


class TileServer:
    """A tile server on 127.0.0.1: every /tiles/z/x/y.png is a 256 px PNG; paths are recorded."""

    def __init__(self):
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), (120, 170, 220)).save(buffer, "PNG")
        tile, requested = buffer.getvalue(), []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requested.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.requested = requested
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tile_server(settings):
    """A loopback tile server configured as the basemap, its origin allowed in img-src as the
    settings module does for SANHUA_TILE_URL."""
    server = TileServer()
    settings.SANHUA_TILE_URL = server.origin + "/tiles/{z}/{x}/{y}.png"
    settings.SANHUA_TILE_ATTRIBUTION = "测试底图"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"].append(server.origin)
    settings.CONTENT_SECURITY_POLICY = policy
    yield server
    server.close()


def violations_of(page) -> list[str]:
    found = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else 0)
    return found


# The basemap


def test_a_configured_tile_server_is_asked_for_tiles_and_they_are_shown(
    as_user, live_server, demo, tile_server
):
    case = file("井盖缺失")
    page = as_user("grid1")
    refused = violations_of(page)

    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    expect(page.locator("#case-map[data-ready='1']")).to_be_visible()
    tiles = "#case-map img.leaflet-tile-loaded"
    assert wait_until(page, f"document.querySelectorAll('{tiles}').length > 0")
    assert any(p.startswith("/tiles/") and p.endswith(".png") for p in tile_server.requested)
    # Shown: a loaded tile image of the server's 256 px, inside the visible map.
    size = page.evaluate(
        "(() => { const t = document.querySelector('#case-map img.leaflet-tile-loaded');"
        " return [t.naturalWidth, t.src, getComputedStyle(t).visibility]; })()"
    )
    assert size[0] == 256
    assert size[1].startswith(tile_server.origin)
    assert size[2] == "visible"
    expect(page.locator("#case-map .leaflet-control-attribution")).to_contain_text("测试底图")
    # The grid's name is still written on top of the tiles, the buildings left to them.
    expect(
        page.locator("#case-map .sanhua-map-label", has_text=label_of(grid_of("grid1")))
    ).to_be_visible()
    assert refused == []


def test_with_no_tile_server_the_offline_basemap_draws_grid_names_and_buildings(
    as_user, live_server, demo, settings, tmp_path
):
    grid = grid_of("grid1")
    buildings_in(grid, 4)
    roads = tmp_path / "roads.geojson"
    road = [[grid.min_lng, grid.centroid_lat], [grid.max_lng, grid.centroid_lat]]
    roads.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": road},
            "properties": {"name": "黄埔东路"}}]}),
        encoding="utf-8",
    )  # fmt: skip
    settings.SANHUA_MAP_ROADS = str(roads)
    case = file("公交站点设置不合理")
    page = as_user("grid1")
    refused = violations_of(page)

    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    expect(page.locator("#case-map[data-ready='1']")).to_be_visible()
    # The case's grid and its neighbours of the community, each named on the map.
    neighbours = Area.objects.filter(parent=grid.parent, level=Area.Level.GRID)
    labels = page.locator("#case-map .sanhua-map-label")
    expect(labels).to_have_text([label_of(g) for g in neighbours.order_by("code")])
    expect(labels.filter(has_text=label_of(grid))).to_be_visible()
    # The registry's buildings of the grid, drawn as points; no tile is asked for.
    assert wait_until(page, "document.getElementById('case-map').dataset.buildings === '4'")
    drawn = page.evaluate(
        "(() => { let n = 0; document.getElementById('case-map').sanhuaMap.layers.buildings"
        ".eachLayer(g => g.eachLayer(() => n++)); return n; })()"
    )
    assert drawn == 4
    assert page.locator("#case-map img.leaflet-tile").count() == 0
    # The road from the roads file: a casing and a line over it.
    assert wait_until(
        page, "document.getElementById('case-map').sanhuaMap.layers.roads.getLayers().length == 2"
    )
    # The case's pin, at the reported point.
    expect(page.locator("#case-map .sanhua-pin")).to_be_visible()
    assert refused == []
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#case-map").screenshot(path=str(SCREENSHOTS / "case-map.png"))


def test_labels_are_white_with_a_dark_halo_on_every_fill(as_user, live_server, demo):
    case = file("路灯不亮")
    page = as_user("grid1")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    label = page.locator("#case-map .sanhua-map-label").first
    expect(label).to_be_visible()

    colour, halo = label.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).textShadow]"
    )

    assert colour == "rgb(255, 255, 255)"
    assert halo.count("rgb(29, 33, 37)") >= 4  # dark on all four sides


# Case markers, heat and the wall screen


def test_the_supervisor_dashboard_clusters_open_cases_and_colours_grids_by_load(
    as_user, live_server, demo
):
    grid = grid_of("grid1")
    for i in range(12):  # a dozen open cases close together: one cluster at the district's zoom
        file(f"占道经营{i}", at=(grid.centroid_lng + i * 1e-5, grid.centroid_lat))
    page = as_user("supervisor")

    page.goto(f"{live_server.url}/dashboard/")

    expect(page.locator("#area-map[data-ready='1']")).to_be_visible()
    expect(page.locator("#area-map .marker-cluster").first).to_be_visible()
    expect(page.locator("#area-map .sanhua-map-legend")).to_be_visible()
    # The heat: the area holding the cases is drawn in a warmer colour than an empty one.
    fills = page.evaluate(
        "(() => { const f = []; document.getElementById('area-map').sanhuaMap.layers.areas"
        ".eachLayer(l => f.push(l.options.fillColor)); return f; })()"
    )
    assert "#d8efd9" in fills
    assert "#c9302c" in fills


def test_the_wall_screen_map_reads_from_across_the_room(as_user, live_server, demo, screenshot):
    for i in range(5):
        file(f"垃圾堆放{i}")
    page = as_user("supervisor", WALL)

    page.goto(f"{live_server.url}/dashboard/wall/")

    expect(page.locator("#wall-map[data-ready='1']")).to_be_visible()
    # The streets' names over the grids' heat: big, bold, white on a dark halo.
    major = page.locator("#wall-map .sanhua-map-label--major")
    expect(major.first).to_be_visible()
    assert major.count() == Area.objects.filter(level=Area.Level.STREET).count()
    size, weight, colour = major.first.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [parseFloat(s.fontSize), s.fontWeight, s.color]; }"
    )
    assert size >= 22
    assert int(weight) >= 700
    assert colour == "rgb(255, 255, 255)"
    legend_size = page.locator("#wall-map .sanhua-map-legend").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert legend_size >= 20
    # Each legend row names exactly the counts drawn in its colour: no count in two rows.
    rows = page.locator("#wall-map .sanhua-map-legend-row").evaluate_all(
        "rows => rows.map(r => [r.children[0].style.background, r.children[1].textContent])"
    )
    ranges = []
    for colour, label in rows[1:]:
        if label != "–":
            low, _dash, high = label.partition("–")
            ranges.append((int(low), int(high or low), colour))
    counts = [n for low, high, _c in ranges for n in range(low, high + 1)]
    assert counts == list(range(1, counts[-1] + 1))  # every count once, in order
    for low, high, colour in ranges:
        for n in range(low, high + 1):
            drawn = page.evaluate(
                "([n, max]) => { const s = document.createElement('span');"
                " s.style.background = SanhuaMap.heatColour(n, max); return s.style.background; }",
                [n, counts[-1]],
            )
            assert drawn == colour, (n, colour, drawn)
    expect(page.locator("#wall-map .marker-cluster, #wall-map .sanhua-case").first).to_be_visible()
    assert fits_the_screen(page)
    page.wait_for_timeout(500)
    screenshot(page, "wall-screen")


# The field app


def test_the_report_form_shows_the_worker_and_their_grid_on_a_small_map(
    browser, browser_context_args, sign_in, live_server, demo, screenshot
):
    grid = grid_of("grid1")
    buildings_in(grid, 3)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE},
        geolocation={"longitude": grid.centroid_lng, "latitude": grid.centroid_lat, "accuracy": 15},
        permissions=["geolocation"],
    )
    sign_in(context, "grid1")
    page = context.new_page()

    page.goto(f"{live_server.url}/field/report/")

    expect(page.locator("#field-map[data-ready='1']")).to_be_visible()
    expect(page.locator("#field-map .sanhua-map-label", has_text=grid.name)).to_be_visible()
    assert wait_until(page, "!!document.getElementById('field-map').dataset.position")
    lng, lat = map(float, page.locator("#field-map").get_attribute("data-position").split(","))
    assert abs(lng - grid.centroid_lng) < 1e-4
    assert abs(lat - grid.centroid_lat) < 1e-4
    expect(page.locator("#field-map path.sanhua-position")).to_be_visible()  # above the names
    assert page.locator("#field-map").get_attribute("data-buildings") == "3"
    box = page.locator("#field-map").bounding_box()
    assert box["width"] <= PHONE["width"]
    assert 150 <= box["height"] <= 300
    assert fits_the_screen(page)
    page.locator("#field-map").scroll_into_view_if_needed()
    screenshot(page, "field-report-map")
    context.close()


def test_a_position_found_before_the_map_is_drawn_still_shows_on_it(
    browser, browser_context_args, sign_in, live_server, demo
):
    """The form may locate the worker before the map's script has run (a slow phone, a
    position kept from the last visit): the map picks up what was announced before it."""
    grid = grid_of("grid1")
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE},
        geolocation={"longitude": grid.centroid_lng, "latitude": grid.centroid_lat, "accuracy": 15},
        permissions=["geolocation"],
    )
    sign_in(context, "grid1")
    page = context.new_page()

    def late(route):
        page.wait_for_timeout(1500)  # the position is found meanwhile
        route.continue_()

    page.route("**/maps/sanhua-map*.js", late)
    page.goto(f"{live_server.url}/field/report/")

    expect(page.locator("#field-map[data-ready='1']")).to_be_visible()
    assert wait_until(page, "!!document.getElementById('field-map').dataset.position")
    context.close()


# The datum shift


def test_wgs84_to_gcj02_matches_published_points(as_user, live_server, demo):
    case = file("测试坐标")
    page = as_user("grid1")
    page.goto(f"{live_server.url}/console/cases/{case.pk}/")
    expect(page.locator("#case-map[data-ready='1']")).to_be_visible()

    shift = "([lng, lat]) => window.SanhuaMap.wgs84ToGcj02(lng, lat)"
    # Beijing, the example of wandergis/coordtransform's README.
    beijing = page.evaluate(shift, [116.404, 39.915])
    assert beijing == pytest.approx([116.41024449916938, 39.91640428150164], abs=1e-9)
    # In Huangpu the shift is some 500 m east-south-east; outside China there is none.
    huangpu = page.evaluate(shift, [113.45, 23.10])
    assert huangpu == pytest.approx([113.4554614601837, 23.09744354957643], abs=1e-9)
    assert page.evaluate(shift, [-0.1278, 51.5074]) == [-0.1278, 51.5074]


def test_over_gcj02_tiles_the_case_is_pinned_where_the_tiles_draw_it(
    as_user, live_server, demo, tile_server, settings
):
    settings.SANHUA_TILE_CRS = "gcj02"
    case = file("偏移测试")
    page = as_user("grid1")

    page.goto(f"{live_server.url}/console/cases/{case.pk}/")

    expect(page.locator("#case-map[data-ready='1']")).to_be_visible()
    pinned = page.evaluate(
        "(() => { let p; document.getElementById('case-map').sanhuaMap.map.eachLayer(l => {"
        " const icon = l.options && l.options.icon;"
        " if (icon && icon.options.className.startsWith('sanhua-pin')) p = l.getLatLng(); });"
        " return [p.lng, p.lat]; })()"
    )
    expected = page.evaluate(
        "([lng, lat]) => window.SanhuaMap.wgs84ToGcj02(lng, lat)", [case.lng, case.lat]
    )
    assert pinned == pytest.approx(expected, abs=1e-9)
    assert pinned != pytest.approx([case.lng, case.lat], abs=1e-4)
