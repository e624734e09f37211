"""The case queue's active filters (cases/console/queue_filters.py) through Django's test client:
a workbench tile's filters (due, urged, level, holder_within — none of them a field of the
queue's form) show as chips with Chinese labels, each chip's × removes just its own value, the
form carries them as hidden inputs so re-filtering keeps them, and the export buttons too."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.models import Category
from tests.cases.test_workbench import sections
from tests.cases.workbench_steps import elsewhere_grid_of, play

pytestmark = pytest.mark.django_db

CHIP = re.compile(
    r'<a [^>]*href="\?([^"]*)" data-filter-chip="(\w+)" data-filter-value="([^"]*)"[^>]*>(.*?)'
    r' <span aria-hidden="true">×</span>',
    re.S,
)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)" data-hidden-filter>')


def signed_in(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(get_user_model().objects.get(username=username))
    return client


def chips(body: str) -> dict[tuple[str, str], tuple[str, dict]]:
    """(filter, value) → (the chip's text, the query string its × link leads to)."""
    return {
        (name, html.unescape(value)): (html.unescape(text), parse_qs(html.unescape(query)))
        for query, name, value, text in CHIP.findall(body)
    }


def numbers_in(body: str) -> list[str]:
    return re.findall(r'data-case-number="(\d+)"', body)


@pytest.fixture
def day(home_grids, other_street):
    return play(home_grids, elsewhere_grid_of(other_street))


@pytest.fixture
def due_today_link(day):
    """The link of grid1's 今日到期 tile on the workbench."""
    return sections(signed_in("grid1").get("/").content.decode())["grid_worker"]["due_today"][0]


def test_a_tiles_filters_show_as_chips_with_chinese_labels(due_today_link, home_grids):
    body = signed_in("grid1").get(due_today_link).content.decode()

    shown = {key: text for key, (text, _query) in chips(body).items()}
    grid = home_grids[0]
    assert shown == {
        ("level", "4"): "层级：网格",
        ("holder_within", str(grid.pk)): f"办理单位：{grid.name}",
        ("due", "today"): "截止时间：今日到期",
    }
    assert "已筛选：" in body


def test_a_chips_link_removes_its_filter_alone(due_today_link, day, home_grids):
    client = signed_in("grid1")
    body = client.get(due_today_link).content.decode()

    _text, query = chips(body)[("due", "today")]

    assert query == {"view": ["held"], "level": ["4"], "holder_within": [str(home_grids[0].pk)]}
    without_due = client.get("/console/cases/", query).content.decode()
    # Every open case grid1's level holds, not only the one due today: to accept, overdue,
    # due today, urged and the resolved one to verify.
    assert day["due_today"].number in without_due
    assert len(numbers_in(without_due)) == 5
    assert ("due", "today") not in chips(without_due)


def test_the_filter_form_carries_the_filters_it_has_no_field_for(due_today_link, home_grids):
    body = signed_in("grid1").get(due_today_link).content.decode()

    form = re.search(r'<form method="get"[^>]*id="queue-filters">(.*?)</form>', body, re.S)
    hidden = set(HIDDEN.findall(form.group(1)))
    assert hidden == {("level", "4"), ("holder_within", str(home_grids[0].pk)), ("due", "today")}


def test_refiltering_with_the_forms_fields_keeps_the_tiles_filter(due_today_link, day):
    client = signed_in("grid1")
    body = client.get(due_today_link).content.decode()
    form = re.search(r'<form method="get"[^>]*id="queue-filters">(.*?)</form>', body, re.S)

    # What the browser sends: the hidden inputs and the fields, one of them changed.
    sent = dict(HIDDEN.findall(form.group(1)))
    refiltered = client.get("/console/cases/", {**sent, "view": "held", "category": "0101"})

    assert numbers_in(refiltered.content.decode()) == [day["due_today"].number]


def test_the_export_buttons_carry_the_tiles_filters(due_today_link, home_grids):
    body = signed_in("grid1").get(due_today_link).content.decode()

    for link in re.findall(r'href="([^"]*)" data-export="\w+"', body):
        query = parse_qs(urlsplit(html.unescape(link)).query)
        assert (query["due"], query["level"]) == (["today"], ["4"])
        assert query["holder_within"] == [str(home_grids[0].pk)]


def test_each_status_of_several_is_a_chip_of_its_own(day):
    supervisor = signed_in("supervisor")
    link = sections(supervisor.get("/").content.decode())["supervisor"]["area_urged"][0]

    found = chips(supervisor.get(link).content.decode())

    statuses = [value for name, value in found if name == "status"]
    assert len(statuses) > 1
    assert found[("urged", "true")][0] == "已督办：是"
    _text, query = found[("status", statuses[0])]
    assert query["status"] == statuses[1:]
    assert query["urged"] == ["true"]


def test_filters_set_in_the_form_are_chips_too_but_not_hidden_inputs(day):
    body = signed_in("grid1").get("/console/cases/", {"category": "0101", "q": "垃圾"})
    body = body.content.decode()

    found = chips(body)
    category = Category.objects.get(code="0101")
    assert found[("q", "垃圾")][0] == "编号或标题：垃圾"
    assert found[("category", "0101")][0] == f"类别：0101 {category.name}"
    assert HIDDEN.findall(body) == []


def test_an_unfiltered_queue_shows_no_chips(day):
    body = signed_in("grid1").get("/console/cases/").content.decode()

    assert "data-active-filters" not in body


def test_chips_cost_no_query(due_today_link, django_assert_max_num_queries):
    client = signed_in("grid1")
    client.get(due_today_link)  # the memos (categories, calendar) are filled

    with django_assert_max_num_queries(14):
        client.get(due_today_link)


# The department inbox's ?state=


@pytest.mark.parametrize(
    ("state", "label"),
    [
        ("to_sign", "待签收"),
        ("due_today", "今日到期"),
        ("overdue", "超期"),
        ("extension", "已申请延期"),
    ],
)
def test_the_inbox_says_which_state_it_shows_with_a_link_back_to_all(day, state, label):
    body = signed_in("transport").get("/console/dispatches/", {"state": state}).content.decode()

    shown = re.search(
        r'data-dispatch-state="(\w+)">.*?data-state-label>(.*?)</span>.*?'
        r'<a href="\?([^"]*)" data-show-all>(.*?)</a>',
        body,
        re.S,
    )
    assert shown.group(1, 2, 3, 4) == (state, label, "", "显示全部")


def test_the_inbox_link_back_to_all_keeps_the_other_choices(day):
    body = signed_in("transport").get("/console/dispatches/", {"state": "to_sign", "show": "all"})

    link = re.search(r'<a href="\?([^"]*)" data-show-all>', body.content.decode()).group(1)
    assert parse_qs(html.unescape(link)) == {"show": ["all"]}


@pytest.mark.parametrize("query", [{}, {"state": "nonsense"}])
def test_the_inbox_without_a_known_state_names_none(day, query):
    body = signed_in("transport").get("/console/dispatches/", query).content.decode()

    assert "data-dispatch-state" not in body


def test_a_wrong_value_is_a_chip_as_given_that_removes_it(day):
    client = signed_in("grid1")

    response = client.get("/console/cases/", {"view": "held", "level": "<b>9</b>", "due": "today"})

    body = response.content.decode()
    assert response.status_code == 200
    assert numbers_in(body) == []  # a wrong filter lists nothing, as before
    text, query = chips(body)[("level", "<b>9</b>")]
    assert text == "层级：<b>9</b>"  # escaped on the page, unescaped by chips()
    assert "<b>9</b>" not in body
    assert query == {"view": ["held"], "due": ["today"]}
