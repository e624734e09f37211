"""The Huangpu bus-stop story of DOMAIN.md, through the services."""

import pytest

from cases import services
from cases.models import Case, Dispatch
from grid.models import Area, Department

pytestmark = pytest.mark.django_db

STAFF = {
    "区交通运输局": "transport",
    "区住房和城乡建设局": "construction",
    "区农业农村局（园林）": "parks",
    "黄埔交警大队": "police",
}


def test_the_bus_stop_story_runs_end_to_end(file_case, user, photo, home_community):
    case = file_case("0501", title="公交站点设置不合理")
    assert (case.level, case.holder) == (Area.Level.COMMUNITY, home_community)

    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及多个区直部门")
    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case,
        actor=user("district"),
        lead=Department.objects.get(name="区交通运输局"),
        cooperating=list(Department.objects.filter(name__in=list(STAFF)[1:])),
    )
    for dispatch in case.dispatches.order_by("role", "id"):
        services.sign_dispatch(dispatch, actor=user(STAFF[dispatch.department.name]))
    for dispatch in case.dispatches.filter(role=Dispatch.Role.COOPERATING):
        services.report_dispatch_done(
            dispatch, actor=user(STAFF[dispatch.department.name]), result="已配合"
        )
    lead = case.dispatches.get(role=Dispatch.Role.LEAD)
    services.report_dispatch_done(
        lead, actor=user("transport"), result="站台已迁移", photos=[photo()]
    )
    case.refresh_from_db()
    services.verify_case(case, actor=user("grid1"), passed=True, photos=[photo()])
    services.callback_case(case, actor=user("grid1"), satisfaction=5, comment="很满意")

    case.refresh_from_db()
    assert (case.status, case.level, case.satisfaction) == (Case.Status.CLOSED, 1, 5)
    assert [e.action for e in case.events.all()] == [
        "report",
        "escalate",
        "escalate",
        "accept",
        "dispatch",
        *["dispatch_sign"] * 4,
        *["dispatch_report_done"] * 4,
        "resolve",
        "verify_pass",
        "callback",
    ]
    assert [e.version for e in case.events.all()] == list(range(1, 17))
