"""The workbench (工作台, the home page of every post): after a scripted day each post shows the
right numbers, each tile's link lands on a list of exactly that many rows, what lies outside a
post's area is not counted, htmx's poll gets the workbench alone, and the queries are bounded."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from cases.models import Notification
from community.models import VisitSchedule
from grid.models import Post
from tests.cases.workbench_steps import EXPECTED, EXPECTED_WEEK, elsewhere_grid_of, play
from tests.community.conftest import catalogue, elderly, record  # noqa: F401 (fixtures)
from tests.grid.conftest import admin_user, family  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

ROLE_USERS = {
    "grid_worker": "grid1",
    "community_staff": "community",
    "street_staff": "street",
    "district_dispatcher": "district",
    "department_staff": "transport",
    "supervisor": "supervisor",
}
TILE = re.compile(r'(?:href="([^"]*)" )?data-tile="(\w+)" data-count="([^"]*)"')
# What marks one row on each list a tile links to.
ROW_MARKS = {
    "/console/cases/": r'data-case-number="',
    "/console/dispatches/": r'data-dispatch="',
    "/console/community/requests/": r'data-request="',
    "/console/community/visits/": r'data-overdue-visit="',
    "/field/care/": r'data-person="',
}


def signed_in(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(get_user_model().objects.get(username=username))
    return client


def sections(body: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Section ("personal" or the post's role) → tile key → (link, count)."""
    found = {}
    personal = re.search(r'data-section="personal">(.*?)</div>\s*</div>\s*</div>', body, re.S)
    if personal:
        found["personal"] = {k: (html.unescape(u), c) for u, k, c in TILE.findall(body)[:1]}
    for role, block in re.findall(r'<section [^>]*data-post="(\w+)"(.*?)</section>', body, re.S):
        found[role] = {key: (html.unescape(url), count) for url, key, count in TILE.findall(block)}
    return found


def rows_behind(client: Client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    body = page.content.decode()
    if url.startswith("/console/inbox/"):
        return sum(int(n) for n in re.findall(r'data-group-unread="(\d+)"', body))
    path = url.split("?")[0]
    return len(re.findall(ROW_MARKS[path], body))


@pytest.fixture
def day(home_grids, other_street):
    return play(home_grids, elsewhere_grid_of(other_street))


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_each_post_shows_its_numbers_after_a_scripted_day(day, role):
    tiles = sections(signed_in(ROLE_USERS[role]).get("/").content.decode())[role]

    shown = {key: int(count) for key, (url, count) in tiles.items() if url}
    expected = {key: EXPECTED[role].get(key, 0) for key in shown}
    assert shown == expected
    assert set(EXPECTED[role]) <= set(shown)


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_every_tile_links_to_a_list_of_exactly_its_count(day, role):
    client = signed_in(ROLE_USERS[role])
    found = sections(client.get("/").content.decode())

    linked = [(u, c) for tiles in found.values() for u, c in tiles.values() if u]
    assert linked
    assert [rows_behind(client, url) for url, _count in linked] == [int(c) for _u, c in linked]


def test_the_unread_tile_counts_my_unread_messages(day):
    client = signed_in("grid1")

    url, count = sections(client.get("/").content.decode())["personal"]["unread"]

    unread = Notification.objects.filter(user__username="grid1", read_at__isnull=True).count()
    assert unread > 0
    assert (url, int(count)) == ("/console/inbox/?unread=true", unread)


def test_the_week_figures_come_from_the_rollups(day):
    for username, figures in EXPECTED_WEEK.items():
        body = signed_in(username).get("/").content.decode()
        week = re.search(r'data-tiles="week">(.*?)</div>\s*</div>\s*</section>', body, re.S)
        shown = {k: c for _u, k, c in TILE.findall(week.group(1))}
        for key, value in figures.items():
            assert shown[key] == str(value), (username, key)


def test_cases_outside_a_posts_area_are_not_counted(day, home_grids, other_street):
    elsewhere = day["elsewhere"]
    grid_worker = sections(signed_in("grid1").get("/").content.decode())["grid_worker"]
    supervisor = sections(signed_in("supervisor").get("/").content.decode())["supervisor"]
    queue = signed_in("supervisor").get(supervisor["area_to_accept"][0]).content.decode()
    own_queue = signed_in("grid1").get(grid_worker["to_accept"][0]).content.decode()

    assert grid_worker["to_accept"][1] == "1"
    assert elsewhere.number in queue
    assert elsewhere.number not in own_queue


def test_a_user_with_two_posts_sees_a_section_for_each(day, home_community):
    Post.objects.create(
        user=get_user_model().objects.get(username="grid1"),
        role=Post.Role.COMMUNITY_STAFF,
        area=home_community,
    )

    found = sections(signed_in("grid1").get("/").content.decode())

    assert found["grid_worker"]["to_accept"][1] == "1"
    assert found["community_staff"]["to_accept"][1] == "1"


def test_the_community_tiles_count_requests_and_visits_due(
    elderly,  # noqa: F811
    record,  # noqa: F811
):
    record()
    record(service="social_insurance")
    VisitSchedule.objects.update(next_visit_on=timezone.localdate() - timedelta(days=2))

    for username, role, keys in [
        ("grid1", "grid_worker", {"service_requests": 2, "visits_due": 1}),
        ("community", "community_staff", {"service_requests": 2, "visits_overdue": 1}),
        ("street", "street_staff", {"service_requests": 2, "visits_overdue": 1}),
    ]:
        client = signed_in(username)
        tiles = sections(client.get("/").content.decode())[role]
        assert {k: int(tiles[k][1]) for k in keys} == keys, username
        for key in keys:
            assert rows_behind(client, tiles[key][0]) == keys[key], (username, key)


def test_htmx_polls_the_workbench_alone(day):
    client = signed_in("grid1")

    page = client.get("/").content.decode()
    fragment = client.get("/", headers={"hx-request": "true", "hx-target": "workbench"})

    assert 'hx-trigger="every 30s"' in page
    assert 'hx-get="/"' in page
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="workbench"')
    assert "<nav" not in body
    assert sections(body)["grid_worker"]["to_accept"][1] == "1"


# One query per tile source at most, besides the session, the user and the posts.
@pytest.mark.parametrize(
    ("username", "queries"),
    [
        # unread 1, held 1, verify 1, week 2 (counters, handling hours), requests 1, visits 1
        ("grid1", 3 + 8),
        ("community", 3 + 7),
        ("district", 3 + 5),
        ("transport", 3 + 3),
        ("supervisor", 3 + 4),
    ],
)
def test_the_polled_workbench_reads_one_query_per_tile(
    day, username, queries, django_assert_max_num_queries
):
    client = signed_in(username)
    client.get("/")  # the session and the memos settle

    with django_assert_max_num_queries(queries):
        response = client.get("/", headers={"hx-request": "true", "hx-target": "workbench"})

    assert response.status_code == 200


@pytest.mark.parametrize("username", [*ROLE_USERS.values(), "admin"])
def test_the_workbench_is_all_in_chinese(day, username):
    from tests.test_chinese_pages import leftovers

    body = signed_in(username).get("/").content.decode()

    assert sorted(set(leftovers(body))) == []


def test_a_poll_after_the_session_ended_reloads_the_page(demo):
    response = Client().get("/", headers={"hx-request": "true", "hx-target": "workbench"})

    assert (response.status_code, response["HX-Refresh"]) == (204, "true")


def test_a_tile_source_names_a_known_section():
    from grid import extensions

    with pytest.raises(ValueError, match="unknown workbench section"):
        extensions.register_tiles("grid_worker", "x", lambda request, post: None, section="x")
