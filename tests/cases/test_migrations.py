"""Data migrations of the cases app, run on rows in the state earlier versions left them in."""

import importlib

import pytest
from django.apps import apps

from cases import metrics, rollups, services, workflow
from cases.metrics import Period
from cases.models import Dispatch
from grid.models import Department

pytestmark = pytest.mark.django_db

close_with_case = importlib.import_module("cases.migrations.0006_dispatch_closed_with_case")


def test_cooperating_dispatches_left_open_by_a_resolved_case_are_closed_with_it(file_case, user):
    case = file_case("0802")  # starts at the district
    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case,
        actor=user("district"),
        lead=Department.objects.get(name="区交通运输局"),
        cooperating=[Department.objects.get(name="区住房和城乡建设局")],
    )
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    helper = case.dispatches.get(role=Dispatch.Role.COOPERATING)
    # What earlier versions did on the lead's report: the lead done, the case resolved, the
    # cooperating dispatch left waiting.
    Dispatch.objects.filter(pk=lead.pk).update(status="done", result="已处置")
    case.refresh_from_db()
    resolved = workflow.apply(case, "resolve", reason="已处置", due_at=None)

    close_with_case.close_left_open(apps, None)

    helper.refresh_from_db()
    case.refresh_from_db()
    assert (helper.status, helper.closed_at) == ("closed_with_case", resolved.at)
    assert helper.closure_reason == close_with_case.REASON
    closing = case.events.order_by("-version").first()
    assert (closing.action, closing.version, closing.to_status) == (
        "dispatch_close_with_case",
        case.version,
        "resolved",
    )
    assert closing.data == {
        "dispatch": helper.pk,
        "department": helper.department_id,
        "role": "cooperating",
        "late": False,
    }
    # Counted by a rebuild as the workflow counts it now: not scored, not late.
    rollups.rebuild()
    construction = Department.objects.get(name="区住房和城乡建设局")
    day = rollups.local_day(helper.dispatched_at)
    counters = metrics.department_counters(construction, Period(day, day))
    assert counters == metrics.department_counters_from_cases(construction, Period(day, day))
    assert (counters["dispatched"], counters["closed_with_case"]) == (1, 1)
    close_with_case.close_left_open(apps, None)  # twice: nothing more to do
    assert case.events.count() == closing.version
