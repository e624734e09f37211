"""POST /api/hotline/work-orders/: a work order becomes one case, however often and however
concurrently it is sent; bad input is a 400 per field in the caller's language; only the
hotline's key gets in, at its own rate."""

import logging
import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Category
from governance.clients import register
from governance.models import ApiClient
from grid.models import Building
from hotline.models import CategoryMap, WorkOrder
from tests.hotline.conftest import CALLER, URL

pytestmark = pytest.mark.django_db


def test_a_work_order_becomes_a_case_of_the_hotline(post, order, hotline, home_grids):
    body = order()

    answer = post(body)

    assert answer.status_code == 201, answer.json()
    case = Case.objects.get(hotline_number=body["number"])
    assert answer.json() == {
        "number": body["number"],
        "case": case.number,
        "status": "reported",
        "status_label": "待签收",
        "grid": home_grids[0].name,
        "due_at": answer.json()["due_at"],
        "received_at": answer.json()["received_at"],
        "signed_at": None,
        "returned_at": None,
        "created": True,
    }
    assert (case.source, case.category.code, case.grid) == ("hotline", "0101", home_grids[0])
    assert case.reporter == hotline[0].user
    assert case.hotline_due_at == datetime.fromisoformat(body["due_at"])
    assert case.description == body["content"]
    assert case.title == body["content"]
    work_order = WorkOrder.objects.get(number=body["number"])
    assert (work_order.case, work_order.client) == (case, hotline[0])
    assert (work_order.caller_name, work_order.caller_phone) == (CALLER["name"], CALLER["phone"])


def test_the_caller_is_nowhere_but_in_the_work_order(post, order, caplog):
    caplog.set_level(logging.DEBUG)
    body = order()

    answer = post(body)

    case = Case.objects.get(hotline_number=body["number"])
    for text in (answer.content.decode(), caplog.text, repr(list(case.events.values()))):
        assert CALLER["phone"] not in text
        assert CALLER["name"] not in text
    assert CALLER["phone"] not in f"{case.title} {case.description} {case.address}"


def test_a_repeat_answers_with_the_same_case(post, order):
    body = order()
    first = post(body)

    again = post({**body, "content": "再次推送"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case"] == first.json()["case"]
    assert again.json()["created"] is False
    assert Case.objects.filter(hotline_number=body["number"]).count() == 1
    assert Case.objects.get(hotline_number=body["number"]).description == body["content"]


def test_a_repeat_is_answered_even_once_its_deadline_has_passed(post, order):
    body = order()
    post(body)

    again = post({**body, "due_at": (timezone.now() - timedelta(days=1)).isoformat()})

    assert again.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_same_work_order_twice_at_once_makes_one_case(order, hotline):
    body, start, answers = order(), threading.Barrier(2), {}

    def send(name):
        try:
            start.wait()
            answers[name] = APIClient().post(URL, body, format="json", HTTP_X_API_KEY=hotline[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    case = Case.objects.get(hotline_number=body["number"])
    assert sorted(a.status_code for a in answers.values()) == [200, 201]
    assert {a.json()["case"] for a in answers.values()} == {case.number}
    assert WorkOrder.objects.filter(number=body["number"]).count() == 1
    assert CaseEvent.objects.filter(case=case).count() == 1


# Bad input: (changes to a valid body, the field refused, a word of its Chinese message, a word of
# its English one).
BAD = [
    ({"number": None}, "number", "必填", "required"),
    ({"number": "12345/../x"}, "number", "字母", "letters"),
    ({"number": "x" * 41}, "number", "40", "40"),
    ({"category": None}, "category", "必填", "required"),
    ({"content": "   "}, "content", "不能为空", "blank"),
    ({"content": "长" * 2001}, "content", "2000", "2000"),
    ({"due_at": "tomorrow"}, "due_at", "日期", "Datetime"),
    ({"due_at": "2020-01-01T00:00:00+08:00"}, "due_at", "已过", "passed"),
    ({"return_by": "2099-01-01T00:00:00+08:00"}, "return_by", "截止", "deadline"),
    ({"lat": None}, "lat", "经度", "longitude"),
    ({"lat": 123.0}, "lat", "90", "90"),
    ({"lng": "东经113度"}, "lng", "数", "number"),
    ({"urgency": "very"}, "urgency", "选项", "choice"),
    ({"caller": "李秀兰 13812345678"}, "caller", "字典", "dictionary"),
    ({"caller": {"phone": "1" * 31}}, "caller", "30", "30"),
    ({"lng": None, "lat": None, "address": ""}, "address", "地址", "address"),
    ({"lng": None, "lat": None, "address": "火星路1号"}, "address", "楼栋", "building"),
    ({"lng": 114.2, "lat": 22.3}, "lng", "网格", "district"),
]


def messages_of(answer, field: str) -> str:
    """The messages on `field` and its parts (a nested field's are under dotted paths)."""
    errors = answer.json()["errors"]
    return " ".join(
        str(messages)
        for name, messages in errors.items()
        if name == field or name.startswith(f"{field}.")
    )


@pytest.mark.parametrize(("changes", "field", "zh", "en"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_refused_per_field_in_the_callers_language(
    post, order, changes, field, zh, en
):
    body = order(**changes)

    chinese, english = post(body), post(body, lang="en")

    assert (chinese.status_code, english.status_code) == (400, 400)
    assert zh in messages_of(chinese, field), chinese.json()
    assert en in messages_of(english, field), english.json()
    assert not Case.objects.filter(hotline_number=body.get("number", "")).exists()
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("body", [[], "text", 7, None, {"number": {"$gt": ""}}])
def test_a_body_that_is_no_work_order_is_a_400(post, body):
    assert post(body).status_code == 400


def test_an_unmapped_category_is_a_400_naming_the_code(post, order, mapping):
    answer = post(order(category="HL-9999"))

    assert answer.status_code == 400
    assert "HL-9999" in answer.json()["errors"]["category"][0]
    CategoryMap.objects.filter(pk=mapping.pk).update(is_active=False)
    assert "category" in post(order()).json()["errors"]
    assert not Case.objects.filter(source="hotline").exists()


def test_a_mapping_edited_files_under_the_new_category(post, order, mapping):
    CategoryMap.objects.filter(pk=mapping.pk).update(category=Category.objects.get(code="0103"))
    body = order()

    post(body)

    assert Case.objects.get(hotline_number=body["number"]).category.code == "0103"


def test_an_address_of_a_registry_building_places_the_case_in_its_grid(post, order, home_grids):
    grid = home_grids[2]
    building = Building.objects.create(
        grid=grid, number="8", address="大沙东路8号", lng=grid.centroid_lng, lat=grid.centroid_lat
    )
    body = order(lng=None, lat=None, address="广州市黄埔区大沙东路8号3楼")

    answer = post(body)

    assert answer.status_code == 201, answer.json()
    case = Case.objects.get(hotline_number=body["number"])
    assert (case.grid, case.lng, list(case.buildings.all())) == (
        grid,
        grid.centroid_lng,
        [building],
    )


def test_an_address_matching_buildings_of_two_grids_is_refused(post, order, home_grids):
    for grid in home_grids[:2]:
        Building.objects.create(grid=grid, number="1", address="黄埔东路1号")

    answer = post(order(lng=None, lat=None, address="黄埔东路1号"))

    assert answer.status_code == 400
    assert "address" in answer.json()["errors"]


@pytest.mark.parametrize("key", [None, "", "abcdefgh.wrong"])
def test_without_the_hotlines_key_nothing_gets_in(post, order, key):
    answer = post(order(), key=key)

    assert answer.status_code == 401
    assert not Case.objects.filter(source="hotline").exists()


def test_another_kind_of_client_may_not_send_work_orders(post, order):
    key = register(ApiClient(name="随手拍", kind=ApiClient.Kind.OPEN311))

    answer = post(order(), key=key)

    assert answer.status_code == 403
    assert not Case.objects.filter(source="hotline").exists()


def test_the_hotline_is_held_to_its_rate(post, order, hotline):
    ApiClient.objects.filter(pk=hotline[0].pk).update(rate_per_minute=2)

    codes = [post(order()).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    assert Case.objects.filter(source="hotline").count() == 2


def test_the_hotline_reads_its_own_work_order_and_no_one_elses(post, order, hotline):
    body = order()
    post(body)
    other_key = register(ApiClient(name="另一条热线", kind=ApiClient.Kind.HOTLINE))
    url = f"{URL}{body['number']}/"

    mine = APIClient().get(url, HTTP_X_API_KEY=hotline[1])
    theirs = APIClient().get(url, HTTP_X_API_KEY=other_key)

    assert mine.status_code == 200
    assert mine.json()["number"] == body["number"]
    assert theirs.status_code == 404


ODD = ["\x00", "a\x00b", "%s%(x)s{0}", "x" * 5000, "𠀀", "../..", "1e400", "NaN", "'\""]
ODD_FIELDS = ["number", "category", "content", "address", "lng", "due_at", "return_by"]


@pytest.mark.parametrize("field", ODD_FIELDS)
@pytest.mark.parametrize("value", ODD, ids=range(len(ODD)))
def test_odd_values_are_a_clean_answer_never_a_server_error(post, order, field, value):
    answer = post(order(**{field: value, **({"lat": 23.1} if field == "lng" else {})}))

    assert answer.status_code in (201, 400), (field, value, answer.content[:200])
    if "\x00" in value or len(value) > 2000:
        assert answer.status_code == 400


def test_odd_caller_details_are_refused_or_kept_as_sent(post, order):
    for caller in [{"name": "a\x00b"}, {"phone": ["138"]}, {"name": {"x": 1}}]:
        assert post(order(caller=caller)).status_code == 400
    body = order(caller={"name": "𠀀'\"", "phone": "+86 (20) 8888-1234"})
    assert post(body).status_code == 201
    assert WorkOrder.objects.get(number=body["number"]).caller_name == "𠀀'\""


def test_a_work_order_is_filed_in_a_bounded_number_of_statements(
    post, order, django_assert_max_num_queries
):
    post(order())  # the memos (rules, calendar, grids) are read once per process

    # The key, the number seen before?, the mapping, report_case's own (the number again, the
    # posts, the id, the case, its event, the ledger), the work order, and the savepoints.
    with django_assert_max_num_queries(14):
        assert post(order()).status_code == 201
