"""The office console's pages through Django's test client: scoping (out of scope is 404),
login, the queue's filters and traffic lights, bulk accept, each step's form with its errors
beside the fields, refusals that change nothing, the department inbox and the notifications."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from cases import notifications, policies, services
from cases.calendar import WorkCalendar
from cases.console_views import Light, deadline_colour
from cases.models import Case, Dispatch, Notification, Urgency
from grid.models import Area, Department, Post
from tests.grid import conftest as registry_fixtures

pytestmark = pytest.mark.django_db

# The registry rows linked to cases come from the fixtures of tests/grid/.
admin_user = registry_fixtures.admin_user
family = registry_fixtures.family
neighbour = registry_fixtures.neighbour

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def signed_in(demo):
    """signed_in("community") → a Django test client signed in as that demo user."""

    def make(username: str, language: str = "zh-hans") -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def at_district(file_case, user):
    """at_district(title) → a bus-stop case escalated to the district and accepted there."""

    def make(title: str = "公交站点设置不合理", **more):
        case = file_case("0501", title=title, **more)
        services.escalate_case(case, actor=user("community"), reason="需街道协调")
        services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
        services.accept_case(case, actor=user("district"))
        return case

    return make


@pytest.fixture
def dispatched(at_district, user):
    """dispatched() → a district case dispatched to 区交通运输局 (lead) and 区住房和城乡建设局."""

    def make(**more):
        case = at_district(**more)
        services.dispatch_case(
            case,
            actor=user("district"),
            lead=Department.objects.get(name="区交通运输局"),
            cooperating=[Department.objects.get(name="区住房和城乡建设局")],
        )
        return case

    return make


def numbers_in(response) -> list[str]:
    return re.findall(r'data-case-number="(\d+)"', response.content.decode())


def steps_on(response) -> list[str]:
    return re.findall(r'<button[^>]*data-step="(\w+)"', response.content.decode())


def error_beside(response, field: str) -> list[str]:
    return re.findall(
        rf'data-error-for="{field}">([^<]*)<', response.content.decode(), flags=re.UNICODE
    )


# Login and scope


@pytest.mark.parametrize(
    "url",
    [
        "/console/cases/",
        "/console/cases/1/",
        "/console/dispatches/",
        "/console/inbox/",
        "/console/inbox/unread/",
        "/console/photos/1/",
    ],
)
def test_every_console_page_sends_anonymous_visitors_to_the_login_form(demo, url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_case_of_another_grid_is_404_on_its_page_its_steps_and_its_photos(
    signed_in, file_case, photo, home_grids
):
    case = file_case("0101", by="grid2", grid=home_grids[1], photos=[photo()])
    grid1 = signed_in("grid1")

    assert grid1.get(f"/console/cases/{case.pk}/").status_code == 404
    assert grid1.post(f"/console/cases/{case.pk}/accept/", {"version": 1}).status_code == 404
    assert grid1.get(f"/console/photos/{case.photos.get().pk}/").status_code == 404
    assert signed_in("grid2").get(f"/console/cases/{case.pk}/").status_code == 200


def test_a_department_sees_a_case_dispatched_to_it_and_another_department_does_not(
    signed_in, dispatched
):
    case = dispatched()

    assert signed_in("transport").get(f"/console/cases/{case.pk}/").status_code == 200
    assert signed_in("parks").get(f"/console/cases/{case.pk}/").status_code == 404


def test_a_dispatch_step_on_another_departments_dispatch_is_404(signed_in, dispatched):
    lead = dispatched().dispatches.get(role=Dispatch.Role.LEAD)

    response = signed_in("parks").post(f"/console/dispatches/{lead.pk}/sign/", {"version": 1})

    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status == Dispatch.Status.PENDING


def test_photos_are_served_to_those_who_see_the_case(signed_in, file_case, photo):
    case = file_case("0501", photos=[photo()])
    picture = case.photos.get()

    full = signed_in("community").get(f"/console/photos/{picture.pk}/")
    thumbnail = signed_in("community").get(f"/console/photos/{picture.pk}/thumbnail/")

    assert (full.status_code, thumbnail.status_code) == (200, 200)
    assert b"".join(full.streaming_content)[:2] == b"\xff\xd8"  # a JPEG
    assert signed_in("grid2").get(f"/console/photos/{picture.pk}/").status_code == 404


# The queue


def test_the_queue_lists_the_open_cases_my_level_holds(signed_in, file_case):
    at_community = file_case("0501", title="公交站点")
    at_grid = file_case("0101", title="暴露垃圾")

    held = signed_in("community").get("/console/cases/")
    area = signed_in("community").get("/console/cases/", {"view": "area"})

    assert held.status_code == 200
    assert numbers_in(held) == [at_community.number]
    assert sorted(numbers_in(area)) == sorted([at_community.number, at_grid.number])
    assert numbers_in(signed_in("grid1").get("/console/cases/")) == [at_grid.number]


def test_the_queue_of_another_community_does_not_list_them(
    signed_in, file_case, make_user, other_community
):
    file_case("0501")
    make_user("other", role=Post.Role.COMMUNITY_STAFF, area=other_community)

    held = signed_in("other").get("/console/cases/")
    area = signed_in("other").get("/console/cases/", {"view": "area"})

    assert (numbers_in(held), numbers_in(area)) == ([], [])


def test_a_supervisor_sees_every_case_of_the_district_any_holder(signed_in, file_case):
    case = file_case("0501")

    response = signed_in("supervisor").get("/console/cases/")

    assert numbers_in(response) == [case.number]
    assert 'data-view="area"' in response.content.decode()


def test_the_queue_filters_by_status_category_urgency_area_and_date(
    signed_in, file_case, user, home_grids
):
    bus_stop = file_case("0501", title="公交站点")
    road = file_case(
        "0502", by="grid2", title="道路破损", urgency=Urgency.URGENT, grid=home_grids[1]
    )
    services.accept_case(road, actor=user("community"))
    community = signed_in("community")

    def shown(**query):
        return numbers_in(community.get("/console/cases/", {"view": "area", **query}))

    today = timezone.localdate().isoformat()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert shown(status="in_progress") == [road.number]
    assert shown(category="0501") == [bus_stop.number]
    assert sorted(shown(category="05")) == sorted([bus_stop.number, road.number])
    assert shown(urgency="urgent") == [road.number]
    assert shown(within=home_grids[1].pk) == [road.number]
    assert sorted(shown(reported_from=today, reported_to=today)) == sorted(
        [bus_stop.number, road.number]
    )
    assert shown(reported_from=tomorrow) == []
    assert shown(q="道路") == [road.number]


def test_the_overdue_filter_finds_cases_whose_deadline_passed(signed_in, file_case):
    late = file_case("0501", title="逾期")
    on_time = file_case("0501", title="未逾期")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    community = signed_in("community")

    assert numbers_in(community.get("/console/cases/", {"overdue": "true"})) == [late.number]
    assert numbers_in(community.get("/console/cases/", {"overdue": "false"})) == [on_time.number]


def test_the_queue_puts_the_most_urgent_first_when_asked(signed_in, file_case):
    normal = file_case("0501", title="一般")
    emergency = file_case("0501", title="紧急", urgency=Urgency.EMERGENCY)
    urgent = file_case("0501", title="较急", urgency=Urgency.URGENT)
    community = signed_in("community")

    newest = numbers_in(community.get("/console/cases/"))
    most_urgent = numbers_in(community.get("/console/cases/", {"sort": "urgent"}))

    assert newest == [urgent.number, emergency.number, normal.number]
    assert most_urgent == [emergency.number, urgent.number, normal.number]


def test_the_queue_shows_a_light_per_case_and_red_once_the_deadline_passed(signed_in, file_case):
    fresh = file_case("0501", title="新")
    late = file_case("0501", title="逾期")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    body = signed_in("community").get("/console/cases/").content.decode()

    rows = dict(re.findall(r'data-case-number="(\d+)">.*?data-light="(\w+)"', body, flags=re.S))
    assert rows == {fresh.number: "green", late.number: "red"}


def test_the_htmx_poll_gets_only_the_table(signed_in, file_case):
    case = file_case("0501")

    response = signed_in("community").get(
        "/console/cases/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-rows"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="queue-rows"')
    assert "<html" not in body
    assert numbers_in(response) == [case.number]
    assert "HX-Request" in response["Vary"]


def _next_page(response) -> str | None:
    found = re.search(r'href="\?([^"]*)" data-next-page', response.content.decode())
    return html.unescape(found.group(1)) if found else None


@pytest.mark.parametrize("sort", ["newest", "urgent", "due"])
def test_the_queue_pages_by_cursor_through_every_case_once(signed_in, file_case, monkeypatch, sort):
    monkeypatch.setattr("cases.console_views.PAGE_SIZE", 2)
    for n, urgency in enumerate([Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY] * 2):
        file_case("0501", title=f"公交站点{n}", urgency=urgency)
    Case.objects.filter(title__in=["公交站点0", "公交站点4"]).update(due_at=None)
    community = signed_in("community")

    first = community.get("/console/cases/", {"sort": sort})
    seen, query = numbers_in(first), _next_page(first)
    while query:
        page = community.get(f"/console/cases/?{query}")
        assert len(numbers_in(page)) <= 2
        assert "First page" in page.content.decode() or "首页" in page.content.decode()
        seen += numbers_in(page)
        query = _next_page(page)
    monkeypatch.setattr("cases.console_views.PAGE_SIZE", 50)
    whole = numbers_in(community.get("/console/cases/", {"sort": sort}))

    assert len(seen) == 6
    assert seen == whole


def test_a_queue_cursor_that_is_not_one_shows_the_first_page(signed_in, file_case):
    case = file_case("0501")

    response = signed_in("community").get("/console/cases/", {"after": "%%%"})

    assert response.status_code == 200
    assert numbers_in(response) == [case.number]


def test_the_queue_reads_a_page_in_a_bounded_number_of_queries(
    signed_in, file_case, django_assert_max_num_queries
):
    for n in range(12):
        file_case("0501", title=f"公交站点{n}")
    community = signed_in("community")

    with django_assert_max_num_queries(14):
        response = community.get("/console/cases/", {"sort": "urgent"})

    assert len(numbers_in(response)) == 12


def test_a_bad_filter_value_is_shown_beside_its_field_and_lists_nothing(signed_in, file_case):
    file_case("0501")

    response = signed_in("community", "en").get("/console/cases/", {"reported_from": "yesterday"})

    assert response.status_code == 200
    assert numbers_in(response) == []
    assert error_beside(response, "reported_from") == ["Enter a valid date."]


# Deadline lights (pure)


@pytest.mark.parametrize("due", [None, datetime(2026, 6, 1, 2, 5, tzinfo=ZoneInfo("UTC"))])
def test_a_light_writes_the_markup_the_light_template_wrote(due):
    # console/_light.html as it was before the light wrote itself (the queue shows fifty).
    template = Template(
        '{% if light %}<span class="text-nowrap" data-light="{{ light.colour }}"><span class="light'
        ' light-{{ light.colour }}" aria-hidden="true"></span> <span class="small">{{ light.label'
        ' }}</span>{% if light.due %} <span class="small text-secondary">{{ light.due|date:"m-d'
        ' H:i" }}</span>{% endif %}</span>{% endif %}'
    )
    light = Light("red", "逾期 <b>", due)

    assert str(light.__html__()) == template.render(Context({"light": light}))
    assert (due is None) or "06-01 10:05" in light.__html__()  # in Beijing time


def test_a_light_is_green_up_to_80_percent_of_the_time_yellow_to_100_and_red_after():
    calendar = WorkCalendar()
    start = datetime(2026, 6, 1, 0, 0, tzinfo=SHANGHAI)
    due = start + timedelta(hours=10)

    def colour(hours: float) -> str:
        return deadline_colour(
            start, due, start + timedelta(hours=hours), calendar=calendar, natural=True
        )

    assert [colour(h) for h in (0, 8, 8.1, 9.9, 10, 11)] == [
        "green",
        "green",
        "yellow",
        "yellow",
        "red",
        "red",
    ]


def test_a_light_counts_working_time_for_a_working_time_deadline():
    calendar = WorkCalendar()
    # Friday 2026-06-05 17:00 to Monday 2026-06-08 10:30 is 2 working hours (30 min + 1.5 h).
    start = datetime(2026, 6, 5, 17, 0, tzinfo=SHANGHAI)
    due = datetime(2026, 6, 8, 10, 30, tzinfo=SHANGHAI)

    saturday = deadline_colour(
        start, due, datetime(2026, 6, 6, 12, tzinfo=SHANGHAI), calendar=calendar
    )
    monday = deadline_colour(
        start, due, datetime(2026, 6, 8, 10, 15, tzinfo=SHANGHAI), calendar=calendar
    )

    assert (saturday, monday) == ("green", "yellow")


# Bulk accept


def test_bulk_accept_accepts_each_case_and_reports_what_happened_to_each(
    signed_in, file_case, home_grids
):
    first = file_case("0501", title="一")
    second = file_case("0501", title="二")
    stale = file_case("0501", title="三")
    at_grid = file_case("0101", title="网格")
    elsewhere = file_case("0101", by="grid2", grid=home_grids[1])
    community = signed_in("community", "en")
    values = [
        f"{first.pk}:{first.version}",
        f"{second.pk}:{second.version}",
        f"{stale.pk}:{stale.version - 0 + 5}",
        f"{at_grid.pk}:{at_grid.version}",
    ]

    response = community.post("/console/cases/accept/", {"cases": values})
    report = community.get(response["Location"])

    assert response.status_code == 302
    statuses = dict(
        Case.objects.filter(pk__in=[first.pk, second.pk, stale.pk, at_grid.pk]).values_list(
            "title", "status"
        )
    )
    assert statuses == {
        "一": "in_progress",
        "二": "in_progress",
        "三": "reported",
        "网格": "reported",
    }
    body = report.content.decode()
    results = re.findall(r'data-bulk-result="(\w+)" data-case-number="(\d+)"', body)
    assert {number: result for result, number in results} == {
        first.number: "ok",
        second.number: "ok",
        stale.number: "failed",
        at_grid.number: "failed",
    }
    assert "Someone else has already handled this case" in body
    assert "You do not hold this case, so you cannot accept it." in body
    assert elsewhere.status == Case.Status.REPORTED
    # The report is shown once.
    assert "data-bulk-result" not in community.get("/console/cases/").content.decode()


def test_bulk_accept_of_a_case_outside_my_area_says_it_does_not_exist(
    signed_in, file_case, home_grids
):
    elsewhere = file_case("0501", by="grid2", grid=home_grids[1])
    grid1 = signed_in("grid1", "en")

    response = grid1.post(
        "/console/cases/accept/", {"cases": [f"{elsewhere.pk}:{elsewhere.version}"]}, follow=True
    )

    assert "No such case in your area." in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.status == Case.Status.REPORTED


# The case page and its steps


def test_the_case_page_offers_exactly_the_steps_the_policy_allows(
    signed_in, file_case, user, at_district
):
    at_community = file_case("0501")
    district_case = at_district(title="区级")

    for username, case in [
        ("community", at_community),
        ("street", at_community),
        ("district", district_case),
        ("supervisor", district_case),
        ("grid1", district_case),
    ]:
        response = signed_in(username).get(f"/console/cases/{case.pk}/")
        expected = policies.step_names(policies.case_actions_for(user(username), case))
        assert steps_on(response) == expected, username
    assert steps_on(signed_in("community").get(f"/console/cases/{at_community.pk}/")) == [
        "accept",
        "reject",
        "escalate",
        "return_down",
        "suspend",
    ]
    assert "dispatch" in steps_on(signed_in("district").get(f"/console/cases/{district_case.pk}/"))


def test_the_case_page_shows_details_map_history_and_photos(signed_in, file_case, user, photo):
    case = file_case("0501", title="公交站点", photos=[photo()], address="黄埔东路1号")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")

    body = signed_in("street").get(f"/console/cases/{case.pk}/").content.decode()

    assert "黄埔东路1号" in body
    assert 'id="case-map-data"' in body
    assert '"Polygon"' in body
    assert re.findall(r'data-event="(\w+)"', body) == ["report", "escalate"]
    assert "需街道协调" in body
    assert f"/console/photos/{case.photos.get().pk}/thumbnail/" in body


def test_the_case_page_links_the_registry_rows_the_user_may_open(
    signed_in, file_case, family, neighbour
):
    case = file_case("0501", buildings=[family["building"]], persons=[family["head"]])

    body = signed_in("community").get(f"/console/cases/{case.pk}/").content.decode()

    assert f"/registry/buildings/{family['building'].pk}/" in body
    assert f"/registry/persons/{family['head'].pk}/" in body


def test_escalating_through_the_page_hands_the_case_to_the_street(
    signed_in, file_case, home_street
):
    case = file_case("0501")

    response = signed_in("community").post(
        f"/console/cases/{case.pk}/escalate/", {"version": case.version, "reason": "需街道协调"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/console/cases/{case.pk}/"
    case.refresh_from_db()
    assert (case.level, case.holder, case.status) == (
        Area.Level.STREET,
        home_street,
        Case.Status.REPORTED,
    )


def test_a_step_without_its_reason_shows_the_error_beside_the_field_and_changes_nothing(
    signed_in, file_case
):
    case = file_case("0501")

    response = signed_in("community", "en").post(
        f"/console/cases/{case.pk}/escalate/", {"version": case.version, "reason": " "}
    )

    assert response.status_code == 400
    assert error_beside(response, "reason") == ["Give a reason."]
    assert 'id="step-escalate"' in response.content.decode()
    assert 'class="collapse show" id="step-escalate"' in response.content.decode()
    case.refresh_from_db()
    assert (case.level, case.version) == (Area.Level.COMMUNITY, 1)


def test_field_errors_are_in_chinese_by_default_and_in_english_when_asked(signed_in, at_district):
    case = at_district()
    url = f"/console/cases/{case.pk}/dispatch/"

    chinese = signed_in("district").post(url, {"version": case.version})
    english = signed_in("district", "en").post(url, {"version": case.version})

    assert error_beside(chinese, "lead") == ["该字段是必填项。"]
    assert error_beside(english, "lead") == ["This field is required."]
    assert case.dispatches.count() == 0


def test_a_stale_version_is_refused_as_handled_by_someone_else_and_changes_nothing(
    signed_in, file_case, user
):
    case = file_case("0501")
    seen = case.version
    services.accept_case(case, actor=user("community"))

    response = signed_in("community", "en").post(
        f"/console/cases/{case.pk}/escalate/", {"version": seen, "reason": "需街道协调"}
    )

    assert response.status_code == 409
    assert "Someone else has already handled this case" in response.content.decode()
    case.refresh_from_db()
    assert (case.level, case.status) == (Area.Level.COMMUNITY, Case.Status.IN_PROGRESS)


def test_a_step_the_case_has_moved_past_is_refused_with_a_clear_message(signed_in, file_case, user):
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))

    response = signed_in("community", "en").post(
        f"/console/cases/{case.pk}/accept/", {"version": case.version}
    )

    assert response.status_code == 409
    assert "This step is no longer possible" in response.content.decode()
    assert case.events.count() == 2


def test_a_step_the_policy_does_not_allow_is_refused(signed_in, file_case):
    case = file_case("0501")

    response = signed_in("street", "en").post(
        f"/console/cases/{case.pk}/accept/", {"version": case.version}
    )

    assert response.status_code == 403
    assert "You may not take this step on this case." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.REPORTED


def test_a_lost_race_is_a_409_even_when_the_losers_form_is_bad(signed_in, file_case, user):
    case = file_case("0301")  # starts at the street
    seen = case.version
    services.return_case(case, actor=user("street"), reason="社区可处理")

    # A second return from the page the street saw before, with no level chosen.
    response = signed_in("street", "en").post(
        f"/console/cases/{case.pk}/return_down/", {"version": seen, "reason": "社区可处理"}
    )

    assert response.status_code == 409
    assert "Someone else has already handled this case" in response.content.decode()
    assert list(case.events.values_list("action", flat=True)) == ["report", "return_down"]


def test_a_dispatch_step_the_policy_refuses_is_a_403_before_the_form_is_read(signed_in, dispatched):
    lead = dispatched().dispatches.get(role=Dispatch.Role.LEAD)

    response = signed_in("district", "en").post(
        f"/console/dispatches/{lead.pk}/request_extension/", {"until": "soon"}
    )

    assert response.status_code == 403
    assert "You may not take this step on this case." in response.content.decode()


def test_an_unknown_step_is_404(signed_in, file_case):
    case = file_case("0501")

    response = signed_in("community").post(f"/console/cases/{case.pk}/explode/", {"version": 1})

    assert response.status_code == 404


def test_dispatching_through_the_page_sends_the_case_to_a_lead_and_cooperating_departments(
    signed_in, at_district
):
    case = at_district()
    lead = Department.objects.get(name="区交通运输局")
    helpers = list(Department.objects.filter(name__in=["区住房和城乡建设局", "黄埔交警大队"]))

    response = signed_in("district").post(
        f"/console/cases/{case.pk}/dispatch/",
        {
            "version": case.version,
            "lead": lead.pk,
            "cooperating": [d.pk for d in helpers],
            "instructions": "请交通局牵头迁移站台",
            "due_at": "2099-03-02T17:00",
        },
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.DISPATCHED
    rows = {d.department.name: (d.role, d.due_at) for d in case.dispatches.all()}
    due = datetime(2099, 3, 2, 17, 0, tzinfo=SHANGHAI)
    assert rows == {
        "区交通运输局": ("lead", due),
        "区住房和城乡建设局": ("cooperating", due),
        "黄埔交警大队": ("cooperating", due),
    }


def test_the_dispatch_form_offers_the_categorys_departments_ticked(signed_in, at_district):
    case = at_district()

    body = signed_in("district").get(f"/console/cases/{case.pk}/").content.decode()

    lead = re.search(
        r'id="dispatch-lead">.*?<option value="\d+" selected>([^<]+)</option>', body, re.S
    )
    ticked = re.findall(
        r'value="\d+" class="form-check-input" id="dispatch-cooperating_\d+" checked>'
        r"<label[^>]*>([^<]+)",
        body,
    )
    assert lead.group(1) == "区交通运输局"
    assert sorted(name.strip() for name in ticked) == sorted(
        ["区住房和城乡建设局", "区农业农村局（园林）", "黄埔交警大队"]
    )


def test_a_deadline_in_the_past_is_refused_beside_the_deadline(signed_in, at_district):
    case = at_district()

    response = signed_in("district", "en").post(
        f"/console/cases/{case.pk}/dispatch/",
        {
            "version": case.version,
            "lead": Department.objects.get(name="区交通运输局").pk,
            "due_at": "2020-01-01T09:00",
        },
    )

    assert response.status_code == 400
    assert error_beside(response, "due_at") == ["The deadline must be in the future."]
    assert case.dispatches.count() == 0


def test_rejecting_as_a_duplicate_links_the_original_offered_by_the_report(signed_in, file_case):
    original = file_case("0501", title="公交站点")
    repeat = file_case("0501", title="公交站点（重复）")
    services.route_filed_case(repeat.pk)
    community = signed_in("community")

    page = community.get(f"/console/cases/{repeat.pk}/").content.decode()
    response = community.post(
        f"/console/cases/{repeat.pk}/reject/",
        {"version": repeat.version, "reason": "重复上报", "duplicate_of": original.number},
    )

    assert f'data-fill-duplicate="{original.number}"' in page
    assert response.status_code == 302
    repeat.refresh_from_db()
    assert (repeat.status, repeat.duplicate_of) == (Case.Status.REJECTED, original)


def test_rejecting_as_a_duplicate_of_an_unknown_number_shows_the_error_beside_it(
    signed_in, file_case, home_grids
):
    case = file_case("0501")
    hidden = file_case("0501", by="grid2", grid=home_grids[1])

    response = signed_in("grid1", "en").post(
        f"/console/cases/{case.pk}/reject/",
        {"version": case.version, "reason": "重复", "duplicate_of": hidden.number},
    )

    # grid1 does not hold a community case: the policy refuses before the form is read.
    assert response.status_code == 403
    response = signed_in("community", "en").post(
        f"/console/cases/{case.pk}/reject/",
        {"version": case.version, "reason": "重复", "duplicate_of": "000"},
    )
    assert response.status_code == 400
    assert error_beside(response, "duplicate_of") == ["No case with this number in your area."]
    case.refresh_from_db()
    assert case.status == Case.Status.REPORTED


def test_returning_down_sends_the_case_to_the_chosen_level(signed_in, file_case, user, home_grids):
    case = file_case("0501")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")

    response = signed_in("street").post(
        f"/console/cases/{case.pk}/return_down/",
        {"version": case.version, "reason": "社区可处理", "to_level": Area.Level.GRID},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.level, case.holder) == (Area.Level.GRID, home_grids[0])


def test_suspend_and_resume_through_the_page(signed_in, file_case):
    case = file_case("0501")
    community = signed_in("community")

    community.post(
        f"/console/cases/{case.pk}/suspend/", {"version": case.version, "reason": "等待施工"}
    )
    case.refresh_from_db()
    suspended = case.status
    community.post(f"/console/cases/{case.pk}/resume/", {"version": case.version})
    case.refresh_from_db()

    assert (suspended, case.status) == (Case.Status.SUSPENDED, Case.Status.REPORTED)


def test_a_suspended_cases_dispatches_show_their_clock_paused_not_a_light(
    signed_in, dispatched, user
):
    case = dispatched()
    district = signed_in("district", "en")
    before = district.get(f"/console/cases/{case.pk}/").content.decode()
    services.suspend_case(case, actor=user("district"), reason="等待规划许可")

    after = district.get(f"/console/cases/{case.pk}/").content.decode()

    # The case's light and its two dispatches' before; none once the clocks stop.
    assert ("data-clock-paused" in before, before.count("data-light")) == (False, 3)
    assert (after.count("data-clock-paused"), after.count("data-light")) == (2, 0)
    assert after.count("Clock paused while the case is suspended") == 2


def test_urging_through_the_page_counts_and_keeps_the_status(signed_in, at_district):
    case = at_district()

    response = signed_in("supervisor").post(
        f"/console/cases/{case.pk}/urge/", {"version": case.version, "reason": "请加快办理"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.urge_count, case.status) == (1, Case.Status.IN_PROGRESS)


def test_verification_needs_a_photo_and_a_pass_closes_the_case(signed_in, file_case, user, photo):
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))
    services.resolve_case(case, actor=user("community"), result="已处理")
    grid1 = signed_in("grid1", "en")

    refused = grid1.post(
        f"/console/cases/{case.pk}/verify/", {"version": case.version, "passed": "1"}
    )
    passed = grid1.post(
        f"/console/cases/{case.pk}/verify/",
        {"version": case.version, "passed": "1", "photos": [photo()]},
    )

    assert refused.status_code == 400
    assert error_beside(refused, "photos") == ["Attach a photo taken on site."]
    assert passed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.photos.count()) == (Case.Status.CLOSED, 1)


def test_a_callback_records_the_residents_rating(signed_in, file_case, user, photo):
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))
    services.resolve_case(case, actor=user("community"), result="已处理")
    services.verify_case(case, actor=user("grid1"), passed=True, photos=[photo()])

    response = signed_in("community").post(
        f"/console/cases/{case.pk}/callback/",
        {"version": case.version, "satisfaction": "4", "comment": "满意"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction == 4


# The department inbox


def test_the_department_inbox_lists_my_departments_open_dispatches(signed_in, dispatched):
    case = dispatched()

    transport = signed_in("transport").get("/console/dispatches/").content.decode()
    construction = signed_in("construction").get("/console/dispatches/").content.decode()
    parks = signed_in("parks").get("/console/dispatches/").content.decode()

    assert re.findall(r'data-department="([^"]+)"', transport) == ["区交通运输局"]
    assert re.findall(r'data-department="([^"]+)"', construction) == ["区住房和城乡建设局"]
    assert "data-dispatch=" not in parks
    assert case.title in transport


def test_signing_refusing_and_reporting_done_from_the_inbox(signed_in, dispatched, photo):
    case = dispatched()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    helper = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    transport = signed_in("transport")

    signed = transport.post(f"/console/dispatches/{lead.pk}/sign/", {"version": lead.version})
    lead.refresh_from_db()
    done = transport.post(
        f"/console/dispatches/{lead.pk}/report_done/",
        {
            "version": lead.version,
            "result": "站台已迁移",
            "photos": [photo()],
            "go_ahead_reason": "建设局配合事项已由交通局一并完成",
        },
    )
    refused = signed_in("construction").post(
        f"/console/dispatches/{helper.pk}/refuse/",
        {"version": helper.version, "reason": "非本局职责"},
    )

    assert (signed.status_code, done.status_code) == (302, 302)
    case.refresh_from_db()
    assert (case.status, case.resolution, case.photos.count()) == (
        Case.Status.RESOLVED,
        "站台已迁移",
        1,
    )
    # Once the case is resolved its dispatches are closed: the helper's with the case.
    assert refused.status_code == 409
    helper.refresh_from_db()
    assert (helper.status, helper.closure_reason) == (
        Dispatch.Status.CLOSED_WITH_CASE,
        "建设局配合事项已由交通局一并完成",
    )


def test_the_leads_report_waits_for_a_reason_while_a_cooperating_department_has_not_reported(
    signed_in, dispatched, photo
):
    case = dispatched()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    transport = signed_in("transport", "en")
    transport.post(f"/console/dispatches/{lead.pk}/sign/", {"version": lead.version})
    lead.refresh_from_db()
    page = transport.get("/console/dispatches/").content.decode()

    response = transport.post(
        f"/console/dispatches/{lead.pk}/report_done/",
        {"version": lead.version, "result": "站台已迁移", "photos": [photo()]},
    )

    assert 'name="go_ahead_reason"' in page
    assert "Not reported yet: 区住房和城乡建设局." in page
    assert response.status_code == 409
    assert error_beside(response, "go_ahead_reason") == [
        "Cooperating departments have not reported yet: 区住房和城乡建设局. Give a reason to "
        "go ahead without them; their dispatches are then closed with the case."
    ]
    case.refresh_from_db()
    assert case.status == Case.Status.DISPATCHED
    assert sorted(case.dispatches.values_list("role", "status")) == [
        ("cooperating", "pending"),
        ("lead", "signed"),
    ]


def test_a_dispatch_closed_with_its_case_leaves_the_to_do_list_and_says_why(
    signed_in, dispatched, user
):
    case = dispatched()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    services.sign_dispatch(lead, actor=user("transport"))
    services.report_dispatch_done(
        Dispatch.objects.get(pk=lead.pk),
        actor=user("transport"),
        result="站台已迁移",
        go_ahead_reason="交通局已一并完成",
    )
    construction = signed_in("construction", "en")

    to_do = construction.get("/console/dispatches/").content.decode()
    pages = [
        construction.get(f"/console/dispatches/?show={s}").content.decode() for s in ("done", "all")
    ]

    assert "data-dispatch=" not in to_do
    for page in pages:
        assert re.findall(r'data-dispatch-status="([^"]+)"', page) == ["closed_with_case"]
        assert "Closed with the case: 交通局已一并完成" in page
        assert "data-dispatch-step=" not in page


def test_refusing_without_a_reason_shows_the_error_beside_it_in_the_inbox(signed_in, dispatched):
    lead = dispatched().dispatches.get(role=Dispatch.Role.LEAD)

    response = signed_in("transport", "en").post(
        f"/console/dispatches/{lead.pk}/refuse/", {"version": lead.version, "reason": ""}
    )

    assert response.status_code == 400
    assert error_beside(response, "reason") == ["Give a reason."]
    assert f'class="collapse show" id="d{lead.pk}-refuse"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Dispatch.Status.PENDING


def test_an_extension_request_reaches_the_district_who_approves_it(signed_in, dispatched):
    lead = dispatched().dispatches.get(role=Dispatch.Role.LEAD)
    until = timezone.localtime(lead.due_at + timedelta(days=3)).replace(second=0, microsecond=0)

    asked = signed_in("transport").post(
        f"/console/dispatches/{lead.pk}/request_extension/",
        {
            "version": lead.version,
            "until": until.strftime("%Y-%m-%dT%H:%M"),
            "reason": "需采购材料",
        },
    )
    inbox = signed_in("district").get("/console/dispatches/").content.decode()
    lead.refresh_from_db()
    decided = signed_in("district").post(
        f"/console/dispatches/{lead.pk}/approve_extension/",
        {"version": lead.version, "approve": "1"},
    )

    assert asked.status_code == 302
    assert 'id="extension-requests"' in inbox
    assert "需采购材料" in inbox
    assert decided.status_code == 302
    lead.refresh_from_db()
    assert (lead.due_at, lead.extension_until) == (until, None)


def test_dispatch_steps_from_the_case_page_return_to_the_case_page(signed_in, dispatched):
    case = dispatched()
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)

    response = signed_in("transport").post(
        f"/console/dispatches/{lead.pk}/sign/", {"version": lead.version, "origin": "case"}
    )
    page = signed_in("transport").get(f"/console/cases/{case.pk}/").content.decode()

    assert response["Location"] == f"/console/cases/{case.pk}/"
    assert 'data-dispatch-step="report_done"' in page


def test_the_inbox_reads_in_a_bounded_number_of_queries(
    signed_in, dispatched, django_assert_max_num_queries
):
    for n in range(5):
        dispatched(title=f"站点{n}")
    transport = signed_in("transport")

    with django_assert_max_num_queries(30):
        response = transport.get("/console/dispatches/")

    assert response.content.decode().count("data-dispatch=") == 5


# Notifications


def _notify_all(case):
    for event in case.events.all():
        notifications.notify(event.pk)


def test_the_message_inbox_lists_my_notifications_and_marks_them_read(signed_in, file_case, user):
    case = file_case("0501", title="公交站点")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    _notify_all(case)
    street = signed_in("street")
    mine = list(Notification.objects.filter(user=user("street")))

    page = street.get("/console/inbox/").content.decode()
    badge = street.get("/console/inbox/unread/").content.decode()
    street.post("/console/inbox/read/", {"ids": [mine[0].pk]})

    assert len(mine) == 1
    assert re.findall(r'data-notification="(\d+)" data-read="(\d)"', page) == [
        (str(mine[0].pk), "0")
    ]
    assert 'data-unread="1"' in badge
    assert notifications.unread_count(user("street")) == 0
    assert street.get("/console/inbox/unread/").content.decode().strip() == ""


def test_marking_all_read_leaves_other_peoples_notifications_alone(signed_in, file_case, user):
    case = file_case("0501")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    _notify_all(case)
    others = Notification.objects.exclude(user=user("street")).filter(read_at__isnull=True).count()

    signed_in("street").post("/console/inbox/read/", {"all": "1"})
    signed_in("street").post(
        "/console/inbox/read/", {"ids": [n.pk for n in Notification.objects.all()]}
    )

    assert notifications.unread_count(user("street")) == 0
    assert (
        Notification.objects.exclude(user=user("street")).filter(read_at__isnull=True).count()
        == others
    )


def test_an_id_that_is_no_number_marks_nothing_read(signed_in):
    response = signed_in("street").post("/console/inbox/read/", {"ids": ["²", "x"]})

    assert (response.status_code, response["Location"]) == (302, "/console/inbox/")


def test_the_navigation_links_every_console_page_and_the_registry(signed_in):
    body = signed_in("community").get("/console/cases/").content.decode()

    for url in ("/console/cases/", "/console/dispatches/", "/console/inbox/", "/registry/"):
        assert f'href="{url}"' in body
    assert 'hx-get="/console/inbox/unread/"' in body
    assert '"x-csrftoken"' in body


def test_the_home_page_links_each_role_to_where_it_starts(signed_in):
    def links(username):
        body = signed_in(username).get("/").content.decode()
        block = re.search(r'data-start-links="\w+">(.*?)</span>', body, re.S).group(1)
        return re.findall(r'href="([^"]+)"', block)

    assert links("community") == ["/console/cases/", "/registry/"]
    assert links("district") == ["/console/cases/", "/console/dispatches/"]
    assert links("transport") == ["/console/dispatches/"]
    assert links("supervisor")[1:] == ["/console/cases/?view=area"]
    assert links("supervisor")[0].startswith("/dashboard/?unit=")
    assert links("grid1")[-1] == "/console/cases/"


def test_the_message_inbox_reads_in_a_bounded_number_of_queries(
    signed_in, file_case, user, django_assert_max_num_queries
):
    for n in range(6):
        case = file_case("0501", title=f"公交站点{n}")
        services.escalate_case(case, actor=user("community"), reason="需街道协调")
        _notify_all(case)
    street = signed_in("street")

    with django_assert_max_num_queries(8):
        response = street.get("/console/inbox/")

    assert response.content.decode().count("data-notification=") == 6
