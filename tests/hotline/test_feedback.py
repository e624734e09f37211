"""The answers that go by themselves: the result (办结反馈) once a hotline case closes, and the
resident's satisfaction once its callback is recorded; each once, when the step's
notifications are written (cases/extensions.py), after the step and its photos committed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import notifications, services
from cases.models import Case
from hotline import services as hotline_services
from hotline.models import Reply, WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def work_order(post, order):
    body = order()
    assert post(body).status_code == 201
    return WorkOrder.objects.get(number=body["number"])


def hotline_case(work_order) -> Case:
    return Case.objects.select_related("category", "grid", "holder").get(pk=work_order.case_id)


def answers(sent, event_type):
    return [payload for kind, payload, _case, _key in sent if kind == event_type]


def test_a_case_resolved_on_the_spot_sends_its_result_with_photo_links(
    work_order, user, photo, sent, settings
):
    settings.SANHUA_PUBLIC_URL = "https://sanhua.example.gov.cn/"
    event = services.self_resolve_case(
        hotline_case(work_order), actor=user("grid1"), result="已清运垃圾", photos=[photo()]
    )
    assert sent == []  # not before the step has committed and is notified

    notifications.notify_many([event.pk])

    (payload,) = answers(sent, "hotline.feedback")
    photo_id = work_order.case.photos.get().pk
    assert payload == {
        "work_order": work_order.number,
        "case": work_order.case.number,
        "at": event.at.isoformat(),
        "outcome": "closed",
        "result": "已清运垃圾",
        "photos": [
            "https://sanhua.example.gov.cn/api/hotline/work-orders/"
            f"{work_order.number}/photos/{photo_id}/"
        ],
    }
    assert Reply.objects.get(work_order=work_order).kind == "feedback"


def test_a_step_notified_twice_answers_once(work_order, user, photo, sent):
    event = services.self_resolve_case(
        hotline_case(work_order), actor=user("grid1"), result="已清运", photos=[photo()]
    )

    notifications.notify_many([event.pk])
    notifications.notify_many([event.pk])

    assert len(answers(sent, "hotline.feedback")) == 1


def test_the_callback_sends_the_residents_satisfaction(work_order, user, photo, sent):
    case = hotline_case(work_order)
    services.self_resolve_case(case, actor=user("grid1"), result="已清运", photos=[photo()])
    event = services.callback_case(case, actor=user("grid1"), satisfaction=4, comment="基本满意")

    notifications.notify_many([event.pk])

    (payload,) = answers(sent, "hotline.satisfaction")
    assert (payload["satisfaction"], payload["comment"]) == (4, "基本满意")


def test_a_hotline_case_we_do_not_register_tells_the_hotline_why(work_order, user, sent):
    event = services.reject_case(hotline_case(work_order), actor=user("grid1"), reason="重复工单")

    notifications.notify_many([event.pk])

    (payload,) = answers(sent, "hotline.feedback")
    assert (payload["outcome"], payload["result"], payload["photos"]) == (
        "not_registered",
        "重复工单",
        [],
    )


def test_a_returned_work_order_sends_no_result(work_order, user, sent):
    hotline_services.return_work_order(work_order, actor=user("district"), reason="属开发区管辖")
    reject = Case.objects.get(pk=work_order.case_id).events.last()

    notifications.notify_many([reject.pk])

    assert [kind for kind, *_rest in sent] == ["hotline.returned"]


def test_cases_of_no_work_order_send_nothing(file_case, user, photo, sent):
    case = file_case()
    event = services.self_resolve_case(case, actor=user("grid1"), result="已清运", photos=[photo()])

    notifications.notify_many([event.pk])

    assert sent == []


def test_closing_steps_of_other_cases_cost_the_hotline_no_query(file_case, user, photo, sent):
    """The step carries its case's source, so a batch of patrol cases closing never asks the
    hotline's table whether one of them is a work order's."""
    case = file_case()
    event = services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[photo()])
    (step,) = [
        notifications.Step(*row)
        for row in type(event).objects.filter(pk=event.pk).values_list(*notifications.STEP_FIELDS)
    ]
    assert step.action in hotline_services.CLOSING
    assert step.source == Case.Source.PATROL

    with CaptureQueriesContext(connection) as queries:
        hotline_services.steps_recorded([step])
    assert len(queries) == 0
    assert sent == []
