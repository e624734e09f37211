"""The free text of a case and of its steps is bounded (cases/limits.py): longer text is a 400
with a message beside its field, in Chinese by default and English when asked, and writes
nothing, through the API, the office console, the field app and the services alike."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from cases import limits, services
from cases.models import Case, CaseEvent, Dispatch
from grid.models import Department

pytestmark = pytest.mark.django_db


def too_long(field: str) -> str:
    return "字" * (limits.LIMITS[field] + 1)


def at_most(field: str) -> str:
    return "字" * limits.LIMITS[field]


def report(client, grid, **fields):
    body = {
        "category": "0101",
        "title": "暴露垃圾",
        "lng": grid.centroid_lng,
        "lat": grid.centroid_lat,
        **fields,
    }
    return client.post("/api/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_description_of_megabytes_is_refused_and_nothing_is_filed(login, home_grids):
    response = report(login("grid1"), home_grids[0], description="x" * 2_400_000)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["description"]
    assert "2000" in response.json()["errors"]["description"][0]
    assert not Case.objects.exists()


def test_a_description_at_the_limit_is_filed_whole(login, home_grids):
    response = report(login("grid1"), home_grids[0], description=at_most("description"))

    assert response.status_code == 201
    assert Case.objects.get().description == at_most("description")


@pytest.mark.parametrize("field", ["title", "description", "address"])
def test_each_text_of_a_report_is_bounded_on_the_api(login, home_grids, field):
    response = report(login("grid1"), home_grids[0], **{field: too_long(field)})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Case.objects.exists()


def test_the_api_says_it_in_chinese_by_default(login, home_grids):
    grid = home_grids[0]
    response = login("grid1").post(
        "/api/cases/",
        {"category": "0101", "title": "暴露垃圾", "lng": grid.centroid_lng,
         "lat": grid.centroid_lat, "description": too_long("description")},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "2000" in response.json()["errors"]["description"][0]
    assert "字符" in response.json()["errors"]["description"][0]


@pytest.mark.parametrize("field", ["title", "description", "address"])
def test_the_filing_service_refuses_each_text_too_long_per_field(user, category, home_grids, field):
    grid = home_grids[0]
    fields = {"title": "巡查发现", field: too_long(field)}

    with pytest.raises(ValidationError) as refused:
        services.report_case(
            reporter=user("grid1"),
            category=category("0101"),
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
            **fields,
        )

    assert list(refused.value.message_dict) == [field]
    assert str(limits.LIMITS[field]) in refused.value.message_dict[field][0]
    assert not Case.objects.exists()


def test_the_services_message_is_in_english_when_asked(user, category, home_grids):
    from django.utils.translation import override

    grid = home_grids[0]
    with override("en"), pytest.raises(ValidationError) as refused:
        services.report_case(
            reporter=user("grid1"),
            category=category("0101"),
            title="巡查发现",
            description="x" * 2001,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
        )

    assert refused.value.message_dict == {
        "description": ["Use at most 2000 characters (this has 2001)."]
    }


def test_the_services_message_is_in_chinese_by_default(user, category, home_grids):
    grid = home_grids[0]
    with pytest.raises(ValidationError) as refused:
        services.report_case(
            reporter=user("grid1"),
            category=category("0101"),
            title="巡查发现",
            description="x" * 2001,
            lng=grid.centroid_lng,
            lat=grid.centroid_lat,
        )

    assert refused.value.message_dict == {"description": ["最多 2000 个字符（现有 2001 个）。"]}


# The steps


def _district_case(file_case, user):
    case = file_case("0501")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
    services.accept_case(case, actor=user("district"))
    case.refresh_from_db()
    return case


def _dispatched(file_case, user):
    case = _district_case(file_case, user)
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    return Dispatch.objects.get(case=case)


@pytest.mark.parametrize(
    ("service", "field", "arguments", "status"),
    [
        (services.escalate_case, "reason", {}, Case.Status.REPORTED),
        (services.reject_case, "reason", {}, Case.Status.REPORTED),
        (services.suspend_case, "reason", {}, Case.Status.REPORTED),
        (services.urge_case, "reason", {}, Case.Status.REPORTED),
        (services.resolve_case, "result", {}, Case.Status.IN_PROGRESS),
        (services.self_resolve_case, "result", {}, Case.Status.REPORTED),
        (services.verify_case, "note", {"passed": False}, Case.Status.RESOLVED),
        (services.callback_case, "comment", {"satisfaction": 5}, Case.Status.CLOSED),
    ],
)
def test_each_step_of_a_case_refuses_its_text_too_long(
    user, file_case, service, field, arguments, status
):
    case = file_case("0101")
    # Straight to a status the step is taken from: policy and status are checked before input.
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError) as refused:
        service(case, actor=user("admin"), **{field: too_long(field)}, **arguments)

    assert list(refused.value.message_dict) == [field]
    assert CaseEvent.objects.filter(case=case).count() == events


def test_the_dispatchers_instructions_are_bounded(user, file_case):
    case = _district_case(file_case, user)

    with pytest.raises(ValidationError) as refused:
        services.dispatch_case(
            case,
            actor=user("district"),
            lead=Department.objects.get(name="区交通运输局"),
            instructions=too_long("instructions"),
        )

    assert list(refused.value.message_dict) == ["instructions"]
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize(
    ("service", "field"),
    [
        (services.refuse_dispatch, "reason"),
        (services.report_dispatch_done, "result"),
    ],
)
def test_a_departments_step_refuses_its_text_too_long(user, file_case, service, field):
    dispatch = _dispatched(file_case, user)
    if service is services.report_dispatch_done:
        dispatch = services.sign_dispatch(dispatch, actor=user("transport"))

    with pytest.raises(ValidationError) as refused:
        service(dispatch, actor=user("transport"), **{field: too_long(field)})

    assert list(refused.value.message_dict) == [field]
    assert Dispatch.objects.get(pk=dispatch.pk).version == dispatch.version


@pytest.mark.parametrize(
    ("action", "field"),
    [("escalate", "reason"), ("suspend", "reason"), ("resolve", "result"), ("urge", "reason")],
)
def test_the_api_refuses_a_steps_text_too_long_beside_its_field(login, file_case, action, field):
    case = file_case("0101")
    if action == "resolve":  # taken in progress; the status is checked before the text
        Case.objects.filter(pk=case.pk).update(status=Case.Status.IN_PROGRESS)
    who = "supervisor" if action == "urge" else "grid1"

    response = login(who).post(
        f"/api/cases/{case.pk}/{action}/",
        {field: too_long(field)},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Case.objects.get(pk=case.pk).version == case.version


def test_the_console_shows_a_reason_too_long_beside_it_and_changes_nothing(demo, file_case):
    case = file_case("0501")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username="community"))

    response = client.post(
        f"/console/cases/{case.pk}/escalate/",
        {"version": case.version, "reason": too_long("reason")},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-error-for="reason">Ensure this value has at most 500 characters' in html
    assert f'maxlength="{limits.REASON}"' in html
    assert Case.objects.get(pk=case.pk).version == case.version


def test_the_field_app_shows_a_reason_too_long_beside_it_and_changes_nothing(
    demo, file_case, photo
):
    case = file_case("0101")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username="grid1"))

    response = client.post(
        f"/field/tasks/{case.pk}/escalate/", {"escalate-reason": too_long("reason")}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value has at most 500 characters" in html
    assert Case.objects.get(pk=case.pk).version == case.version


def test_the_field_report_form_carries_the_limits(demo):
    client = Client()
    client.force_login(get_user_model().objects.get(username="grid1"))

    html = client.get("/field/report/").content.decode()

    assert f'name="description" rows="3" maxlength="{limits.DESCRIPTION}"' in html
    assert f'name="title" maxlength="{limits.TITLE}"' in html


def test_the_admin_refuses_a_corrected_description_too_long(demo, file_case):
    case = file_case("0101")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username="admin"))

    response = client.post(
        f"/admin/cases/case/{case.pk}/change/",
        {
            "title": case.title,
            "description": too_long("description"),
            "address": "",
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "Ensure this value has at most 2000 characters" in response.content.decode()
    assert Case.objects.get(pk=case.pk).description == case.description
