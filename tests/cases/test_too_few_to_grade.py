"""A unit with too few cases in the period to grade (cases/periods.py, MIN_CASES_TO_GRADE) is
grey everywhere a light is shown, not only on the dashboard: the metrics API's ranking rows say
`too_few` (what the wall screen colours by), the wall screen has its Chinese mark, and the
monthly report greys the unit itself and the rows of its rankings, with a footnote saying why.
On the fixed history of tests/cases/histories.py: 黄埔花园社区 received nine cases in March,
grid1's grid six, grid2's three, the other two grids none."""

import json
import re
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases import periods
from cases.calendar import SHANGHAI
from tests.cases import histories

pytestmark = pytest.mark.django_db

clock = histories.clock
history = histories.history
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
GRID_1, GRID_2 = "黄埔花园社区第1网格", "黄埔花园社区第2网格"


@pytest.fixture
def april(history, clock):
    """The fixed history, read on 2 April 2026: March is the last complete month."""
    clock.set(datetime(2026, 4, 2, 10, tzinfo=SHANGHAI))
    return history


def signed_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def ranking(demo, home_community) -> dict[str, dict]:
    response = signed_in("community").get(
        "/api/metrics/ranking/", {"unit": home_community.pk, "level": "grid", **MARCH}
    )
    assert response.status_code == 200
    return {row["name"]: row for row in response.json()["rows"]}


def report(home_community) -> str:
    response = signed_in("community").get(
        "/dashboard/report/", {"unit": home_community.pk, "month": "2026-03"}
    )
    assert response.status_code == 200
    return response.content.decode()


def ranking_rows(body: str, marker: str = "data-ranking") -> list[str]:
    table = re.search(rf"<table [^>]*{marker}>(.*?)</table>", body, re.S).group(1)
    return re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)


# The metrics API (the wall screen's ranking)


def test_the_rankings_rows_say_too_few_and_keep_their_grade(history, demo, home_community):
    rows = ranking(demo, home_community)

    assert {name: row["too_few"] for name, row in rows.items()} == dict.fromkeys(rows, True)
    # The figures and the API's grade are unchanged: only the light is withheld.
    assert (rows[GRID_1]["received"], rows[GRID_1]["grade"]) == (6, "red")


def test_a_unit_with_enough_cases_is_graded(history, demo, home_community, monkeypatch):
    monkeypatch.setattr(periods, "MIN_CASES_TO_GRADE", 4)

    rows = ranking(demo, home_community)

    assert (rows[GRID_1]["too_few"], rows[GRID_2]["too_few"]) == (False, True)
    assert [row["too_few"] for row in rows.values() if not row["received"]] == [True, True]


def test_the_wall_screen_has_the_too_few_mark_in_chinese(history, demo):
    body = signed_in("district").get("/dashboard/wall/").content.decode()

    config = json.loads(
        body.split('id="wall-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["texts"]["too_few"] == "案件太少"
    assert config["texts"]["too_few_note"] == "这段时间的案件太少（%(n)s 件），不足以评分"


# The monthly report


def test_the_report_greys_a_unit_with_too_few_cases_and_notes_why(april, home_community):
    body = report(home_community)

    score = body.split("data-score>")[1].split("</div>\n    </div>")[0]
    assert "这段时间的案件太少（9 件），不足以评分" in score
    assert "text-bg-" not in score
    rows = ranking_rows(body)
    assert len(rows) == 4
    assert all("data-too-few" in row and "text-bg-" not in row for row in rows)
    assert 'title="这段时间的案件太少（6 件），不足以评分">案件太少' in "".join(rows)
    assert "本期案件少于 20 件的单位不评分。" in body


def test_the_report_grades_the_units_with_enough_cases(april, home_community, monkeypatch):
    monkeypatch.setattr(periods, "MIN_CASES_TO_GRADE", 4)

    body = report(home_community)

    score = body.split("data-score>")[1].split("</div>\n    </div>")[0]
    assert "text-bg-danger" in score
    assert "data-too-few" not in score
    rows = {re.search(r">(黄埔花园社区第\d网格)<", row).group(1): row for row in ranking_rows(body)}
    assert "text-bg-danger" in rows[GRID_1]
    assert "data-too-few" not in rows[GRID_1]
    assert "data-too-few" in rows[GRID_2]
    assert "text-bg-" not in rows[GRID_2]
    assert "本期案件少于 4 件的单位不评分。" in body


def test_the_reports_departments_with_too_few_dispatches_are_grey(april, demo):
    body = signed_in("district").get("/dashboard/report/", {"month": "2026-03"}).content.decode()

    rows = ranking_rows(body, "data-department-ranking")
    assert rows
    assert all("data-too-few" in row and "text-bg-" not in row for row in rows)
