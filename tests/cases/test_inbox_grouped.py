"""The message inbox grouped by case: the case with the newest message first, each group with
its latest message, its count and its unread count; a message, a case's group or all of them
marked read; filtered by kind; paged by a cursor; in a bounded number of queries."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases import notifications, services
from cases.console.inbox import Kind
from cases.models import CaseEvent, Notification, UnreadCount

pytestmark = pytest.mark.django_db


@pytest.fixture
def street(demo):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(get_user_model().objects.get(username="street"))
    return client


def notify_all():
    notifications.notify_many(
        CaseEvent.objects.filter(notified_at__isnull=True).values_list("pk", flat=True)
    )


@pytest.fixture
def at_street(file_case, user):
    """at_street(title) → a bus-stop case escalated by the community to the street."""

    def make(title: str):
        case = file_case("0501", title=title)
        services.escalate_case(case, actor=user("community"), reason="需街道协调")
        case.refresh_from_db()
        return case

    return make


def groups_in(body: str) -> list[tuple[str, str, str]]:
    """(case id or "none", messages, unread) of each group, in page order."""
    return re.findall(r'data-group="(\w+)" data-total="(\d+)" data-group-unread="(\d+)"', body)


def messages_in(body: str) -> list[str]:
    return re.findall(r'data-notification="(\d+)"', body)


def test_messages_are_grouped_by_case_with_the_newest_first(street, at_street, user):
    first = at_street("公交站点甲")
    second = at_street("公交站点乙")
    notify_all()
    services.urge_case(first, actor=user("supervisor"), reason="群众反映强烈")
    notify_all()

    body = street.get("/console/inbox/").content.decode()

    assert groups_in(body) == [(str(first.pk), "2", "2"), (str(second.pk), "1", "1")]
    newest = Notification.objects.filter(user=user("street"), case=first).latest("id")
    # The group's latest message comes first in it, the earlier one behind it.
    assert messages_in(body)[0] == str(newest.pk)
    assert f"{first.number} 公交站点甲" in body
    assert re.findall(r'data-kind="(\w+)"', body)[:2] == [Kind.URGED, Kind.ESCALATED]


def test_one_message_a_cases_group_and_all_are_marked_read(street, at_street, user):
    first, second, third = (at_street(f"公交站点{n}") for n in "甲乙丙")
    services.urge_case(first, actor=user("supervisor"), reason="群众反映强烈")
    notify_all()
    me = user("street")
    one = Notification.objects.filter(user=me, case=second).get()

    street.post("/console/inbox/read/", {"ids": [one.pk]})
    after_one = notifications.unread_count(me)
    street.post("/console/inbox/read/", {"case": first.pk})
    after_group = notifications.unread_count(me)
    body = street.get("/console/inbox/").content.decode()
    others_unread = Notification.objects.exclude(user=me).filter(read_at__isnull=True).count()
    street.post("/console/inbox/read/", {"all": "1"})

    assert (after_one, after_group) == (3, 1)
    # The urging is the newest message: its case leads, read; then the others, newest first.
    assert groups_in(body) == [
        (str(first.pk), "2", "0"),
        (str(third.pk), "1", "1"),
        (str(second.pk), "1", "0"),
    ]
    assert notifications.unread_count(me) == 0
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    assert Notification.objects.exclude(user=me).filter(read_at__isnull=True).count() == (
        others_unread
    )


def test_marking_all_read_is_one_update_of_the_messages(
    street, at_street, user, django_assert_num_queries
):
    for n in range(5):
        at_street(f"公交站点{n}")
    notify_all()

    with django_assert_num_queries(2 + 4) as captured:  # session, user; savepoint, 2 updates, …
        street.post("/console/inbox/read/", {"all": "1"})

    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # the messages, then the user's unread counter
    assert UnreadCount.objects.get(user=user("street")).unread == 0


def test_the_inbox_filters_by_kind_and_to_unread(street, at_street, user):
    urged = at_street("被督办的站点")
    at_street("只是上报的站点")
    services.urge_case(urged, actor=user("supervisor"), reason="群众反映强烈")
    notify_all()
    street.post("/console/inbox/read/", {"case": urged.pk})

    only_urged = street.get("/console/inbox/?kind=urged").content.decode()
    escalated = street.get("/console/inbox/?kind=escalated").content.decode()
    unread = street.get("/console/inbox/?unread=true").content.decode()
    unread_urged = street.get("/console/inbox/?unread=true&kind=urged").content.decode()

    assert groups_in(only_urged) == [(str(urged.pk), "1", "0")]
    assert set(re.findall(r'data-kind="(\w+)"', only_urged)) == {Kind.URGED}
    assert len(groups_in(escalated)) == 2
    assert [g[2] for g in groups_in(unread)] == ["1"]
    assert groups_in(unread_urged) == []
    assert "data-empty" in unread_urged


def test_notices_about_no_case_are_one_group_of_their_own(street, at_street, user):
    at_street("公交站点")
    notify_all()
    notifications.notify_users([user("street").pk], "网络钩子已暂停")

    body = street.get("/console/inbox/").content.decode()
    notices = street.get("/console/inbox/?kind=notice").content.decode()

    assert groups_in(body)[0] == ("none", "1", "1")
    assert "网络钩子已暂停" in notices
    assert groups_in(notices) == [("none", "1", "1")]
    street.post("/console/inbox/read/", {"case": "none"})
    assert notifications.unread_count(user("street")) == 1


def test_groups_page_by_a_cursor_without_repeats(street, at_street, monkeypatch):
    monkeypatch.setattr("cases.console.inbox.GROUPS_PER_PAGE", 3)
    cases = [at_street(f"公交站点{n}") for n in range(7)]
    notify_all()

    seen, url = [], "/console/inbox/"
    while url:
        body = street.get(url).content.decode()
        seen.append([g[0] for g in groups_in(body)])
        following = re.search(r'href="\?([^"]*)" data-next-page', body)
        url = f"/console/inbox/?{following.group(1).replace('&amp;', '&')}" if following else None

    assert [len(page) for page in seen] == [3, 3, 1]
    assert [int(pk) for page in seen for pk in page] == [c.pk for c in reversed(cases)]
    # An edited cursor is the first page, not an error.
    assert street.get("/console/inbox/?after=xyz").status_code == 200


def test_a_bad_kind_or_id_is_no_error(street):
    assert street.get("/console/inbox/?kind=%00").status_code in (200, 400)
    response = street.post("/console/inbox/read/", {"case": "9" * 40, "ids": ["²"]})
    assert (response.status_code, response["Location"]) == (302, "/console/inbox/")


def test_the_grouped_inbox_reads_in_a_bounded_number_of_queries(
    street, at_street, user, django_assert_max_num_queries
):
    for n in range(8):
        case = at_street(f"公交站点{n}")
        services.urge_case(case, actor=user("supervisor"), reason="督办")
    notify_all()
    street.get("/console/inbox/")

    # session, user, the header's areas; groups, their messages, visible cases, unread count
    with django_assert_max_num_queries(8):
        response = street.get("/console/inbox/")

    assert len(groups_in(response.content.decode())) == 8
    assert len(messages_in(response.content.decode())) == 16


def test_every_page_has_the_polled_unread_badge_in_its_header(street, at_street):
    at_street("公交站点")
    notify_all()

    for url in ("/", "/console/cases/", "/console/inbox/", "/registry/", "/dashboard/"):
        body = street.get(url).content.decode()
        assert 'hx-get="/console/inbox/unread/"' in body, url
        assert 'hx-trigger="load, every 60s"' in body, url
    field = street.get("/field/tasks/").content.decode()
    assert 'data-unread-url="/api/notifications/unread-count/"' in field
    assert re.search(r'class="[^"]*js-unread"[^>]*>1<', field)


def test_the_grouped_inbox_is_all_in_chinese(street, at_street, user):
    from tests.test_chinese_pages import leftovers

    case = at_street("公交站点")
    services.urge_case(case, actor=user("supervisor"), reason="督办")
    notify_all()
    notifications.notify_users([user("street").pk], "网络钩子已暂停")

    for url in ("/console/inbox/", "/console/inbox/?kind=urged&unread=true"):
        assert sorted(set(leftovers(street.get(url).content.decode()))) == [], url
