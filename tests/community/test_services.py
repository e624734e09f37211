"""Community services' use cases: recording a request (idempotent, validated per field), its
workflow with compare-and-set and history, conversion into a case, the overdue sweep, visit
schedules and recording a visit."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.calendar import WORKDAY_SECONDS, WorkCalendar
from cases.exceptions import ConcurrentCaseUpdate, InvalidTransition
from cases.models import Case
from community import services, tasks
from community.models import CareVisit, ServiceRequest, VisitSchedule
from grid.models import CareTag

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status


def test_a_request_for_a_person_lands_in_their_grid_with_the_services_deadline(
    record, family, home_grids
):
    request = record()

    assert request.grid == home_grids[0]
    assert request.household == family["household"]
    assert request.status == S.PENDING
    assert request.number.startswith(f"FW{timezone.localtime(request.received_at):%Y}440112")
    expected = WorkCalendar.load().add(
        request.received_at, request.service.time_limit_days * WORKDAY_SECONDS
    )
    assert request.due_at == expected
    assert [e.action for e in request.events.all()] == ["record"]


def test_the_same_client_id_records_one_request(record):
    client_id = uuid.uuid4()

    first = record(client_id=client_id)
    second = record(client_id=client_id)

    assert first.pk == second.pk
    assert ServiceRequest.objects.filter(client_id=client_id).count() == 1


def test_a_walk_in_needs_a_name_and_a_grid(catalogue, user):
    with pytest.raises(ValidationError) as error:
        services.record_request(actor=user("community"), service=catalogue("legal_advice"))

    assert set(error.value.message_dict) == {"walk_in_name", "grid"}
    assert not ServiceRequest.objects.exists()


def test_a_walk_in_is_recorded_in_the_chosen_grid(catalogue, user, home_grids):
    request, created = services.record_request(
        actor=user("community"),
        service=catalogue("legal_advice"),
        walk_in_name="李先生",
        walk_in_phone="13911112222",
        grid=home_grids[2],
        channel=ServiceRequest.Channel.OFFICE,
    )

    assert created
    assert (request.grid, request.person, request.walk_in_name) == (home_grids[2], None, "李先生")


def test_a_grid_worker_cannot_record_in_another_grid(record, neighbour, user):
    with pytest.raises(PermissionDenied):
        record(by="grid1", person=neighbour["person"])
    assert not ServiceRequest.objects.exists()


def test_the_community_accepts_and_completes_a_request_with_satisfaction(record, user, photo):
    request = record()
    staff = user("community")

    services.accept_request(request, actor=staff)
    services.complete_request(
        request, actor=staff, result="已代办社保卡补办", satisfaction=5, photos=[photo()]
    )

    request.refresh_from_db()
    assert (request.status, request.assignee, request.satisfaction) == (S.DONE, staff, 5)
    assert request.closed_at is not None
    assert request.on_time
    assert [e.action for e in request.events.order_by("version")] == [
        "record",
        "accept",
        "complete",
    ]
    assert request.photos.count() == 1
    assert request.photos.get().event.action == "complete"


def test_completing_a_pending_request_is_refused(record, user):
    request = record()

    with pytest.raises(InvalidTransition):
        services.complete_request(request, actor=user("community"), result="x")


def test_two_people_completing_the_same_request_one_wins(record, user):
    request = record()
    services.accept_request(request, actor=user("community"))
    first = ServiceRequest.objects.get(pk=request.pk)
    second = ServiceRequest.objects.get(pk=request.pk)

    services.complete_request(first, actor=user("community"), result="办好了")
    with pytest.raises(ConcurrentCaseUpdate):
        services.complete_request(second, actor=user("street"), result="我也办好了")

    request.refresh_from_db()
    assert request.result == "办好了"
    assert request.events.filter(action="complete").count() == 1


def test_a_grid_worker_may_not_complete_a_request_not_assigned_to_them(record, user):
    request = record()
    services.accept_request(request, actor=user("community"))

    with pytest.raises(PermissionDenied):
        services.complete_request(request, actor=user("grid1"), result="x")


def test_the_assignee_may_complete_it(record, user):
    request = record()
    services.accept_request(request, actor=user("community"), assignee=user("grid1"))

    services.complete_request(request, actor=user("grid1"), result="上门办好")

    assert request.status == S.DONE


def test_an_assignee_from_another_area_is_refused(record, user):
    request = record()

    with pytest.raises(ValidationError) as error:
        services.accept_request(request, actor=user("community"), assignee=user("grid2"))
    assert "assignee" in error.value.message_dict


def test_declining_needs_a_reason(record, user):
    request = record()
    with pytest.raises(ValidationError):
        services.decline_request(request, actor=user("community"), reason=" ")

    services.decline_request(request, actor=user("community"), reason="不符合条件")

    assert (request.status, request.decline_reason) == (S.DECLINED, "不符合条件")


def test_satisfaction_is_asked_once_from_1_to_5(record, user):
    request = record()
    services.accept_request(request, actor=user("community"))
    services.complete_request(request, actor=user("community"), result="ok")
    with pytest.raises(ValidationError):
        services.rate_request(request, actor=user("grid1"), satisfaction=6)

    services.rate_request(request, actor=user("grid1"), satisfaction=4)
    with pytest.raises(ValidationError):
        services.rate_request(request, actor=user("grid1"), satisfaction=5)

    assert ServiceRequest.objects.get(pk=request.pk).satisfaction == 4


def test_a_request_that_is_a_problem_converts_into_a_linked_case(record, user, category):
    request = record(description="楼道堆放杂物，有消防隐患")

    case = services.convert_request(
        request, actor=user("grid1"), category=category("0101"), title="楼道杂物"
    )

    request.refresh_from_db()
    assert request.status == S.CONVERTED
    assert request.case == case
    assert list(case.service_requests.all()) == [request]
    assert (case.grid, case.source) == (request.grid, Case.Source.RESIDENT)
    assert list(case.persons.all()) == [request.person]
    assert request.number in case.description


def test_a_refused_conversion_files_no_case(record, user, category):
    request = record()
    services.decline_request(request, actor=user("community"), reason="重复")

    with pytest.raises(InvalidTransition):
        services.convert_request(request, actor=user("grid1"), category=category("0101"), title="x")
    assert not Case.objects.exists()


def test_the_sweeper_flags_overdue_open_requests_once(record):
    request = record()
    later = request.due_at + timedelta(minutes=1)

    assert tasks.sweep_requests(later) == 1
    assert tasks.sweep_requests(later) == 0

    request.refresh_from_db()
    assert (request.is_overdue, request.status) == (True, S.PENDING)
    assert request.events.filter(action="mark_overdue").count() == 1


def test_the_sweeper_leaves_requests_before_their_deadline(record):
    request = record()

    assert tasks.sweep_requests(request.due_at - timedelta(minutes=1)) == 0


# Care visits


def test_a_tagged_person_gets_a_schedule_at_the_tags_interval(elderly):
    schedule = VisitSchedule.objects.get(person=elderly)

    assert (schedule.every_days, schedule.next_visit_on) == (7, timezone.localdate())


def test_the_most_frequent_tag_sets_the_interval_and_untagging_drops_it(elderly):
    elderly.care_tags.add(CareTag.objects.get(code="disabled"))  # monthly
    services.refresh_schedules()
    assert VisitSchedule.objects.get(person=elderly).every_days == 7

    elderly.care_tags.clear()
    services.refresh_schedules()
    assert not VisitSchedule.objects.filter(person=elderly).exists()


def test_a_visit_moves_the_next_date_on_and_checks_in_at_the_building(elderly, user, family):
    building = family["building"]

    visit, created = services.record_visit(
        actor=user("grid1"),
        person=elderly,
        findings="身体良好",
        lng=building.lng + 0.0003,
        lat=building.lat,
    )

    schedule = VisitSchedule.objects.get(person=elderly)
    assert (created, visit.checked_in) == (True, True)
    assert 0 < visit.distance_m < services.CHECK_IN_RADIUS_M
    assert schedule.next_visit_on == timezone.localdate() + timedelta(days=7)
    assert visit.due_on == timezone.localdate()


def test_a_visit_far_from_the_building_is_recorded_without_check_in(elderly, user, family):
    building = family["building"]

    visit, _created = services.record_visit(
        actor=user("grid1"), person=elderly, findings="电话回访", lng=building.lng + 0.02,
        lat=building.lat,
    )  # fmt: skip

    assert not visit.checked_in
    assert visit.distance_m > 1000


def test_a_visit_that_raises_a_need_records_a_service_request(elderly, user, catalogue):
    visit, _created = services.record_visit(
        actor=user("grid1"),
        person=elderly,
        findings="老人腿脚不便",
        need_service=catalogue("pension_certification"),
        need_description="需要上门养老资格认证",
    )

    request = ServiceRequest.objects.get()
    assert (request.visit, request.person, request.channel) == (visit, elderly, "visit")
    assert request.description == "需要上门养老资格认证"


def test_two_workers_recording_the_same_visit_one_wins(elderly, user):
    seen = VisitSchedule.objects.get(person=elderly).version
    services.record_visit(actor=user("grid1"), person=elderly, findings="a", schedule_version=seen)

    with pytest.raises(ConcurrentCaseUpdate):
        services.record_visit(
            actor=user("community"), person=elderly, findings="b", schedule_version=seen
        )
    assert CareVisit.objects.count() == 1


def test_a_visit_with_the_same_client_id_is_recorded_once(elderly, user):
    client_id = uuid.uuid4()
    first, _ = services.record_visit(
        actor=user("grid1"), person=elderly, findings="a", client_id=client_id
    )
    again, created = services.record_visit(
        actor=user("grid1"), person=elderly, findings="a", client_id=client_id
    )

    assert (again.pk, created) == (first.pk, False)


def test_a_visit_without_findings_writes_nothing(elderly, user):
    with pytest.raises(ValidationError) as error:
        services.record_visit(actor=user("grid1"), person=elderly, findings=" ")

    assert "findings" in error.value.message_dict
    assert VisitSchedule.objects.get(person=elderly).version == 1


def test_another_grids_worker_may_not_visit(elderly, user):
    with pytest.raises(PermissionDenied):
        services.record_visit(actor=user("grid2"), person=elderly, findings="x")


def test_the_owning_department_handles_and_sees_its_services_requests(record, make_user, login):
    from community.filtersets import requests_visible_to
    from grid.models import Department

    civil_affairs = Department.objects.get(name="区民政局")
    clerk = make_user("mz_clerk", role="department_staff", department=civil_affairs)
    theirs = record(service="elderly_allowance")
    other = record(service="social_insurance")

    services.accept_request(theirs, actor=clerk)
    with pytest.raises(PermissionDenied):
        services.accept_request(other, actor=clerk)

    assert list(requests_visible_to(clerk)) == [theirs]
