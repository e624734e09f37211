"""In-app notifications: who hears of which step, once per event and recipient, never the actor."""

import pytest

from cases import notifications, services
from cases.models import Case, CaseEvent, Dispatch, Notification
from grid.models import Department

pytestmark = pytest.mark.django_db

LEAD, *COOPERATING = "区交通运输局", "区住房和城乡建设局", "黄埔交警大队"


def notified(event: CaseEvent) -> set[str]:
    """Write the event's notifications and return who got one."""
    notifications.notify(event.pk)
    return set(Notification.objects.filter(event=event).values_list("user__username", flat=True))


def last_event(case: Case) -> CaseEvent:
    return case.events.order_by("-version").first()


@pytest.fixture
def at_district(file_case, user):
    """A bus-stop case escalated by its community and its street, accepted at the district."""
    case = file_case("0501", title="公交站点设置不合理")
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
    services.accept_case(case, actor=user("district"))
    return case


def dispatch(case, user, lead=LEAD, cooperating=COOPERATING):
    return services.dispatch_case(
        case,
        actor=user("district"),
        lead=Department.objects.get(name=lead),
        cooperating=list(Department.objects.filter(name__in=cooperating)),
    )


def test_a_report_reaches_the_staff_of_the_level_it_starts_at(file_case):
    case = file_case("0501")  # starts at the community

    assert notified(case.events.get()) == {"community"}


def test_a_report_never_notifies_its_reporter(file_case):
    case = file_case("0101")  # starts in grid1's own grid

    assert notified(case.events.get()) == set()


def test_an_emergency_report_alerts_every_level_up_to_the_district_at_once(file_case):
    case = file_case("0701", by="community", urgency="emergency")

    assert notified(case.events.get()) == {"grid1", "street", "district"}


def test_an_emergency_without_a_rule_still_alerts_every_level(file_case):
    case = file_case("0101", by="street", urgency="emergency")  # a hotline call, say

    assert notified(case.events.get()) == {"grid1", "community", "district"}


def test_an_escalation_reaches_the_new_holder_and_not_the_one_who_escalated(file_case, user):
    case = file_case("0501")

    event = services.escalate_case(case, actor=user("community"), reason="需街道协调")

    assert notified(event) == {"street"}


def test_a_dispatch_reaches_the_staff_of_every_department_it_names(at_district, user):
    event = dispatch(at_district, user)

    assert notified(event) == {"transport", "construction", "police"}


def test_a_new_dispatch_after_a_refusal_reaches_only_the_new_departments(at_district, user):
    dispatch(at_district, user, cooperating=["黄埔交警大队"])
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.refuse_dispatch(lead, actor=user("transport"), reason="不属于本局职责")
    at_district.refresh_from_db()

    event = dispatch(at_district, user, lead="区住房和城乡建设局", cooperating=[])

    assert notified(event) == {"construction"}


def test_a_departments_refusal_reaches_the_dispatcher(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)

    services.refuse_dispatch(lead, actor=user("transport"), reason="不属于本局职责")

    refusal = at_district.events.get(action="dispatch_refuse")
    assert notified(refusal) == {"district"}


def test_a_decided_extension_reaches_only_the_department_that_asked(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.request_extension(
        lead, actor=user("transport"), until=lead.due_at.replace(year=2099), reason="需招标"
    )
    lead.refresh_from_db()

    services.approve_extension(lead, actor=user("district"))

    assert notified(at_district.events.get(action="dispatch_approve_extension")) == {"transport"}


def test_a_resolved_case_reaches_the_grid_workers_of_its_grid(file_case, user):
    case = file_case("0501")
    services.accept_case(case, actor=user("community"))
    case.refresh_from_db()

    event = services.resolve_case(case, actor=user("community"), result="已处理")

    assert notified(event) == {"grid1"}


def test_a_verified_case_reaches_its_reporter(file_case, user, photo):
    case = file_case("0501", by="street")
    services.accept_case(case, actor=user("community"))
    case.refresh_from_db()
    services.resolve_case(case, actor=user("community"), result="已处理")
    case.refresh_from_db()

    event = services.verify_case(case, actor=user("grid1"), passed=True, photos=[photo()])

    assert notified(event) == {"street"}


def test_an_overdue_case_at_the_district_reaches_the_dispatcher_and_the_supervisors(
    at_district,
):
    at_district.refresh_from_db()

    services.escalate_if_overdue(at_district.pk, now=at_district.due_at)

    assert notified(last_event(at_district)) == {"district", "supervisor"}


def test_notifying_twice_writes_each_notification_once(file_case):
    event = file_case("0701", by="community", urgency="emergency").events.get()

    first = notifications.notify(event.pk)
    second = notifications.notify(event.pk)

    assert (first, second) == (3, 0)
    assert Notification.objects.filter(event=event).count() == 3
    event.refresh_from_db()
    assert event.notified_at is not None


def test_notifying_an_event_that_no_longer_exists_does_nothing():
    assert notifications.notify(987654321) == 0


def test_the_text_names_the_case_number_and_its_title(file_case):
    case = file_case("0501", title="公交站点设置不合理")
    notifications.notify(case.events.get().pk)

    text = Notification.objects.get(case=case).text
    assert text.startswith(f"{case.number} ")
    assert text.endswith("公交站点设置不合理")


def test_unread_notifications_are_counted_and_marked_read(file_case, user):
    community = user("community")
    first, second = file_case("0501"), file_case("0201")
    for case in (first, second):
        notifications.notify(case.events.get().pk)
    one = Notification.objects.get(case=first)

    assert notifications.unread_count(community) == 2
    assert notifications.mark_read(community, ids=[one.pk]) == 1
    assert notifications.unread_count(community) == 1
    assert notifications.mark_read(community) == 1
    assert notifications.unread_count(community) == 0


def test_a_dispatch_closed_with_its_case_reaches_only_its_own_department(at_district, user):
    dispatch(at_district, user)
    lead = at_district.dispatches.get(role=Dispatch.Role.LEAD)
    services.sign_dispatch(lead, actor=user("transport"))
    services.report_dispatch_done(
        Dispatch.objects.get(pk=lead.pk),
        actor=user("transport"),
        result="已迁移",
        go_ahead_reason="无需配合",
    )

    closings = at_district.events.filter(action="dispatch_close_with_case").order_by("version")

    assert sorted(tuple(notified(event)) for event in closings) == [("construction",), ("police",)]
