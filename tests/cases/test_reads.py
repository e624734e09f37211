"""What the case list and the case page cost: the same number of queries whatever the number of
cases on a page, or of events, photos, dispatches, supervisions and callbacks of one case; in
the API and in the office console alike. (The figures at a million cases are bench/cases.py's.)
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from grid.models import Department

pytestmark = pytest.mark.django_db

DEPARTMENTS = ["区交通运输局", "区住房和城乡建设局", "区农业农村局（园林）", "黄埔交警大队"]


def queries(client, url: str, params=None) -> int:
    """How many queries answering `url` costs (after one warm-up call, so the count is that of
    a page like any other, not of the first one a session makes)."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.fixture
def console(demo):
    def make(username: str) -> Client:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def rich_case(file_case, user, photo):
    """rich_case(n) → a bus-stop case with n photos, escalated to the district, dispatched to n
    departments (the first one the lead, which signed), urged n times; so n of everything the
    case page shows (plus the steps between)."""

    def make(n: int) -> Case:
        case = file_case("0501", title="公交站点", photos=[photo(f"p{i}.jpg") for i in range(n)])
        services.escalate_case(case, actor=user("community"), reason="需街道协调")
        services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
        services.accept_case(case, actor=user("district"))
        departments = [Department.objects.get(name=name) for name in DEPARTMENTS[:n]]
        services.dispatch_case(
            case, actor=user("district"), lead=departments[0], cooperating=departments[1:]
        )
        lead = case.dispatches.get(role="lead")
        services.sign_dispatch(lead, actor=user("transport"))
        case.refresh_from_db()
        for i in range(n):
            services.urge_case(case, actor=user("supervisor"), reason=f"第{i + 1}次督办")
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def cases_on_a_page(file_case, rich_case, home_grids):
    """cases_on_a_page(n) → n grid cases in grid1's grid, n at the community (its holder) and
    one dispatched case: the list shows each kind."""

    def make(n: int) -> None:
        for i in range(n):
            file_case("0101", title=f"暴露垃圾{i}")
            file_case(
                "0501", title=f"公交站点{i}", grid=home_grids[i % 2], by=("grid1", "grid2")[i % 2]
            )
        rich_case(1)

    return make


# The list


LIST_READERS = ["grid1", "community", "street", "district", "supervisor", "transport"]


@pytest.mark.parametrize("username", LIST_READERS)
def test_the_api_case_list_costs_the_same_whatever_the_cases_on_the_page(
    login, cases_on_a_page, username
):
    client = login(username)
    cases_on_a_page(1)
    few = queries(client, "/api/cases/")
    cases_on_a_page(4)
    many = queries(client, "/api/cases/")

    assert many == few
    assert len(client.get("/api/cases/").json()["results"]) > 0


@pytest.mark.parametrize("username", LIST_READERS)
@pytest.mark.parametrize("view", ["held", "area"])
def test_the_console_queue_costs_the_same_whatever_the_cases_on_the_page(
    console, cases_on_a_page, username, view
):
    client = console(username)
    cases_on_a_page(1)
    few = queries(client, "/console/cases/", {"view": view})
    cases_on_a_page(4)
    many = queries(client, "/console/cases/", {"view": view})

    assert many == few


# The case


@pytest.mark.parametrize("username", ["community", "district", "transport", "supervisor"])
def test_the_api_case_detail_costs_the_same_whatever_the_history(login, rich_case, username):
    client = login(username)
    small, large = rich_case(1), rich_case(4)

    few = queries(client, f"/api/cases/{small.pk}/")
    many = queries(client, f"/api/cases/{large.pk}/")

    assert many == few
    body = client.get(f"/api/cases/{large.pk}/").json()
    assert (len(body["photos"]), len(body["dispatches"]), len(body["supervisions"])) == (4, 4, 4)


@pytest.mark.parametrize("username", ["community", "district", "transport", "supervisor"])
def test_the_console_case_page_costs_the_same_whatever_the_history(console, rich_case, username):
    client = console(username)
    small, large = rich_case(1), rich_case(4)

    few = queries(client, f"/console/cases/{small.pk}/")
    many = queries(client, f"/console/cases/{large.pk}/")

    assert many == few
    assert client.get(f"/console/cases/{large.pk}/").content.decode().count("data-dispatch=") == 4
