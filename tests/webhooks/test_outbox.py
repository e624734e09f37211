"""Producing deliveries: every case step a subscription wants is written to the outbox once, in
the transaction that marks it notified, with a constant number of statements per batch; the
filters (event types, area, department) and the personal data rule; other apps' events through
enqueue()."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import notifications, services
from cases.models import CaseEvent
from grid.models import Department
from webhooks import events, outbox, subscriptions
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db
URL = "http://receiver.example/hook"


def notify_all() -> None:
    """What the worker's rounds do: notify every event not yet notified, as one batch."""
    ids = CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True)
    notifications.notify_many(list(ids))


def dispatched(file_case, user, **more):
    """A case of the bus-stop kind, dispatched by the street to transport (lead) with the
    traffic police cooperating."""
    case = file_case("0501", **more)
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.accept_case(case, actor=user("street"))
    services.dispatch_case(
        case,
        actor=user("street"),
        lead=Department.objects.get(name="区交通运输局"),
        cooperating=[Department.objects.get(name="黄埔交警大队")],
    )
    return case


def test_each_step_is_written_once_for_each_subscription_that_wants_it(file_case, user, subscribe):
    every = subscribe(URL)
    accepted_only = subscribe(URL, event_types=["case.accepted"])
    case = file_case("0501")
    notify_all()
    services.accept_case(case, actor=user("community"))
    notify_all()
    steps = [
        notifications.Step(*row)
        for row in CaseEvent.objects.order_by("pk").values_list(*notifications.STEP_FIELDS)
    ]
    outbox.write_step_deliveries(steps)  # a second run, as a retried batch would be

    rows = Delivery.objects.order_by("pk").values_list("subscription", "event_type", "case")
    assert list(rows) == [
        (every.pk, "case.reported", case.pk),
        (every.pk, "case.accepted", case.pk),
        (accepted_only.pk, "case.accepted", case.pk),
    ]
    report, accept = case.events.order_by("version")
    assert Delivery.objects.get(subscription=every, event_type="case.accepted").position == (
        2 * accept.pk
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_an_area_subscription_hears_only_of_cases_whose_grid_lies_in_it(
    file_case, subscribe, home_grids, home_community, other_community
):
    home = subscribe(URL, area=home_community)
    grid = subscribe(URL, area=home_grids[1])
    other = subscribe(URL, area=other_community)
    case = file_case("0101", by="grid2", grid=home_grids[1])
    file_case("0101", grid=home_grids[0])
    notify_all()

    assert Delivery.objects.filter(subscription=home).count() == 2
    assert list(Delivery.objects.filter(subscription=grid).values_list("case", flat=True)) == [
        case.pk
    ]
    assert not Delivery.objects.filter(subscription=other).exists()


def test_a_department_subscription_hears_of_its_dispatches_and_of_the_case_from_then_on(
    file_case, user, subscribe
):
    police = Department.objects.get(name="黄埔交警大队")
    parks = Department.objects.get(name="区农业农村局（园林）")
    subscription = subscribe(URL, department=police)
    subscribe(URL, department=parks, name="parks")
    case = dispatched(file_case, user)
    notify_all()
    dispatch = case.dispatches.get(department=police)
    services.sign_dispatch(dispatch, actor=user("police"))
    notify_all()

    heard = Delivery.objects.filter(subscription=subscription).order_by("position")
    # Reported, escalated and accepted before the police were involved: not theirs to hear.
    assert list(heard.values_list("event_type", flat=True)) == [
        "case.dispatched", "dispatch.signed",
    ]  # fmt: skip
    dispatched_body, signed_body = (d.payload for d in heard)
    assert {(d["code"], d["role"]) for d in dispatched_body["departments"]} == {
        (police.code, "cooperating"),
        (Department.objects.get(name="区交通运输局").code, "lead"),
    }
    assert signed_body["dispatch"] == {
        "id": dispatch.pk,
        "role": "cooperating",
        "department": {"id": police.pk, "code": police.code},
    }
    assert not Delivery.objects.filter(subscription__name="parks").exists()


def test_a_plain_subscription_gets_no_personal_data_at_all(file_case, user, subscribe):
    plain = subscribe(URL)
    police = Department.objects.get(name="黄埔交警大队")
    personal = subscribe(URL, department=police, include_personal_data=True)
    case = dispatched(
        file_case,
        user,
        title="张三家门口公交站",
        description="联系人李四 13812345678",
        address="黄埔花园12号",
    )
    notify_all()

    plain_text = json.dumps(
        list(Delivery.objects.filter(subscription=plain).values_list("payload", flat=True)),
        ensure_ascii=False,
    )
    names = [user(n).get_full_name() for n in ("grid1", "community", "street")]
    for personal_datum in ["张三", "李四", "13812345678", "黄埔花园12号", "需街道协调", *names,
                           "grid1", "community", "street", '"lng"', '"lat"']:  # fmt: skip
        assert personal_datum not in plain_text
    dispatched_body = Delivery.objects.get(subscription=plain, event_type="case.dispatched").payload
    assert dispatched_body["case"]["number"] == case.number
    assert dispatched_body["case"]["category"]["code"] == "0501"
    full = Delivery.objects.get(subscription=personal, event_type="case.dispatched").payload
    assert full["case"]["title"] == "张三家门口公交站"
    assert full["case"]["reporter"]["name"] == user("grid1").get_full_name()
    assert full["step"]["actor"]["name"] == user("street").get_full_name()


def test_personal_data_only_for_a_department_subscription(user):
    subscription = Subscription(
        name="x", url=URL, owner=user("admin"), event_types=["case.closed"],
        include_personal_data=True,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert "include_personal_data" in error.value.message_dict


@pytest.mark.parametrize(
    "types", [[], ["case.nothing"], ["case.closed", "case.closed"], "case.closed", [1]]
)
def test_event_types_must_be_a_list_of_known_types(user, types):
    subscription = Subscription(name="x", url=URL, owner=user("admin"), event_types=types)
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert "event_types" in error.value.message_dict


def test_a_url_must_be_http_or_https(user):
    subscription = Subscription(
        name="x", url="file:///etc/passwd", owner=user("admin"), event_types=["case.closed"]
    )
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert "url" in error.value.message_dict


def test_a_subscription_saved_is_heard_by_the_next_batch(file_case, subscribe):
    file_case("0101")
    notify_all()  # the process's memo now holds: no subscription
    subscription = subscribe(URL)
    file_case("0101")
    notify_all()

    assert Delivery.objects.filter(subscription=subscription).count() == 1


def _notify_batch(file_case, n: int) -> list[str]:
    """File n cases and notify their reports as one batch; the statements of the batch."""
    for _ in range(n):
        file_case("0501")
    ids = list(CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as batch:
        notifications.notify_many(ids)
    return [query["sql"] for query in batch.captured_queries]


def _subscribed_before(user, event_types, each=({},)) -> None:
    """Subscriptions (one per dict of fields in `each`) saved and committed earlier, as a worker
    finds them: the transaction this test runs in, having saved none through the ORM's signals,
    keeps what it reads in the process's memo."""
    Subscription.objects.bulk_create(
        Subscription(name=str(n), url=URL, owner=user("admin"), event_types=event_types, **more)
        for n, more in enumerate(each)
    )
    subscriptions.SUBSCRIPTIONS.forget()


def test_the_deliveries_of_a_batch_are_written_in_a_constant_number_of_statements(
    file_case, user, home_community
):
    police = Department.objects.get(name="黄埔交警大队")
    _subscribed_before(
        user, ["case.reported"], each=[{}, {"area": home_community}, {"department": police}]
    )
    _notify_batch(file_case, 1)  # the process's memos are filled

    few = _notify_batch(file_case, 3)
    many = _notify_batch(file_case, 30)

    assert len(few) == len(many)
    # The events with their cases, the dispatches of their cases (for the department's
    # subscription), one insert.
    webhooks = [sql for sql in many if "webhooks_" in sql]  # the subscriptions from memory
    assert len(webhooks) == 1
    assert webhooks[0].startswith("INSERT")
    assert Delivery.objects.count() == 2 * (1 + 3 + 30)


def test_a_batch_no_subscription_wants_costs_no_statement(file_case, user):
    _notify_batch(file_case, 1)  # the process's memos are filled
    without = _notify_batch(file_case, 5)
    _subscribed_before(user, ["dispatch.refused"])
    _notify_batch(file_case, 1)
    unwanted = _notify_batch(file_case, 5)

    assert len(unwanted) == len(without)
    assert not [sql for sql in unwanted + without if "webhooks_" in sql]
    assert not Delivery.objects.exists()


# Other apps' events


@pytest.fixture
def hotline_types():
    events.register_event_types({"test.signed": "test signed"})
    yield
    events.EVENT_TYPES.pop("test.signed")


def test_enqueue_writes_an_event_once_per_key_with_personal_data_only_where_allowed(
    hotline_types, file_case, subscribe
):
    police = Department.objects.get(name="黄埔交警大队")
    plain = subscribe(URL, event_types=["test.signed"])
    personal = subscribe(
        URL, event_types=["test.signed"], department=police, include_personal_data=True
    )
    case = file_case("0101")
    latest = case.events.get()

    for _ in range(2):
        outbox.enqueue(
            "test.signed", {"order": "A1"}, case_id=case.pk, department_id=police.pk,
            personal={"caller": "王五"}, key="A1",
        )  # fmt: skip

    assert Delivery.objects.get(subscription=plain).payload == {"order": "A1"}
    row = Delivery.objects.get(subscription=personal)
    assert row.payload == {"order": "A1", "caller": "王五"}
    assert (row.case_id, row.position, row.event_key) == (
        case.pk, 2 * latest.pk + 1, "test.signed:A1"
    )  # fmt: skip


def test_enqueue_matches_the_area_and_the_department(
    hotline_types, subscribe, home_grids, other_community
):
    police = Department.objects.get(name="黄埔交警大队")
    subscribe(URL, event_types=["test.signed"], area=other_community, name="elsewhere")
    subscribe(URL, event_types=["test.signed"], department=police, name="police")
    here = subscribe(URL, event_types=["test.signed"], area=home_grids[0], name="here")

    assert outbox.enqueue("test.signed", {}, area_id=home_grids[0].pk) == 1
    assert list(Delivery.objects.values_list("subscription", flat=True)) == [here.pk]


def test_enqueue_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="unknown event type"):
        outbox.enqueue("hotline.nothing", {})
