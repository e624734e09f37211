"""Stock phrases (常用语, cases/phrases.py): seeded for every step with a reason, offered above
the reason on the console's step forms (district-wide or within their area), never posted
themselves, and edited by superusers in the admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases import limits, phrases, services
from cases.models import CaseEvent, StockPhrase
from grid.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(demo):
    def make(username: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def at_community(file_case, user):
    """A case grid1 escalated to 黄埔花园社区, waiting there."""
    case = file_case("0101", title="占道经营")
    services.escalate_case(case, actor=user("grid1"), reason="需社区协调")
    return case


def picker(page: str, target: str) -> list[str]:
    """The phrases of the picker above the textarea with id `target`, in order."""
    match = re.search(
        rf'<select[^>]*data-phrases-for="{target}"[^>]*hidden>(.*?)</select>', page, re.S
    )
    assert match, f"no picker for {target}"
    return re.findall(r'<option value="([^"]+)">', match.group(1))


def test_every_step_with_a_reason_has_seeded_phrases(demo):
    # The migration's rows (put back by the demo fixture after a transactional test's flush).
    seeded = set(StockPhrase.objects.values_list("action", flat=True))

    assert seeded == {choice for choice, _label in StockPhrase.Action.choices}
    assert all(
        len(text) <= limits.REASON for text in StockPhrase.objects.values_list("text", flat=True)
    )


def test_the_case_page_offers_the_step_phrases_above_the_reason(signed_in, at_community):
    page = signed_in("community").get(f"/console/cases/{at_community.pk}/").content.decode()

    offered = picker(page, "escalate-reason")
    assert offered[0] == "超出本级处置权限，需上级协调处理。"
    assert offered == phrases.phrases_for("escalate")
    assert "经现场核实，反映的问题不存在。" in picker(page, "reject-reason")
    # The picker comes first, then the textarea it fills; it has no name, so it is never posted.
    assert page.index('data-phrases-for="escalate-reason"') < page.index('id="escalate-reason"')
    assert 'name="phrase' not in page


def test_an_area_phrase_is_offered_only_within_its_area(
    signed_in, at_community, home_community, other_community
):
    mine = "本社区专用：需街道城管科协调。"
    StockPhrase.objects.create(action="escalate", text=mine, area=home_community)
    StockPhrase.objects.create(action="escalate", text="别的社区的话", area=other_community)
    StockPhrase.objects.filter(text__startswith="问题反复出现").update(is_active=False)
    phrases.PHRASES.changed()  # update() bypasses the signals that reload the memo

    offered = picker(
        signed_in("community").get(f"/console/cases/{at_community.pk}/").content.decode(),
        "escalate-reason",
    )

    assert mine in offered
    assert "别的社区的话" not in offered
    assert not any(text.startswith("问题反复出现") for text in offered)


def test_the_step_records_the_edited_text_not_the_phrase(signed_in, at_community):
    edited = "超出本级处置权限，需上级协调处理。涉及三户商铺。"

    response = signed_in("community").post(
        f"/console/cases/{at_community.pk}/escalate/",
        {"version": at_community.version, "reason": edited},
    )

    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=at_community).latest("version")
    assert (event.action, event.reason) == ("escalate", edited)


def test_the_department_inbox_offers_refusal_phrases(signed_in, at_community, user):
    case = at_community
    services.escalate_case(case, actor=user("community"), reason="需街道协调")
    services.escalate_case(case, actor=user("street"), reason="涉及区直部门")
    services.accept_case(case, actor=user("district"))
    services.dispatch_case(
        case, actor=user("district"), lead=Department.objects.get(name="区交通运输局")
    )
    dispatch = case.dispatches.get()

    page = signed_in("transport").get("/console/dispatches/").content.decode()

    assert picker(page, f"d{dispatch.pk}-refuse-reason")[0] == "不属于本部门职责范围，请重新派遣。"


def test_a_superuser_adds_a_phrase_in_the_admin_and_it_is_offered(signed_in, at_community):
    admin = signed_in("admin")

    response = admin.post(
        "/admin/cases/stockphrase/add/",
        {"action": "escalate", "text": "需多部门联合执法。", "order": "1", "is_active": "on"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    page = admin.get(f"/console/cases/{at_community.pk}/").content.decode()
    assert picker(page, "escalate-reason")[0] == "需多部门联合执法。"


def test_a_phrase_longer_than_a_reason_is_refused_in_the_admin(signed_in):
    response = signed_in("admin").post(
        "/admin/cases/stockphrase/add/",
        {"action": "reject", "text": "长" * 501, "order": "0", "is_active": "on"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert not StockPhrase.objects.filter(text__startswith="长长").exists()


def test_staff_without_superuser_rights_see_no_phrases_in_the_admin(make_user, home_community):
    from grid.models import Post

    staff = make_user("office", role=Post.Role.COMMUNITY_STAFF, area=home_community)
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)

    response = client.get("/admin/cases/stockphrase/")

    # The admin answers (a list or a refusal), and no phrase is in it.
    assert "需上级协调" not in response.content.decode()


# The API (cases/api/phrases.py)


def test_the_api_lists_a_steps_phrases_in_order_with_cursor_pages(login):
    response = login("grid1").get("/api/stock-phrases/", {"action": "reject", "page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["text"] for row in body["results"]] == phrases.phrases_for("reject")[:2]
    assert body["results"][0]["area"] is None
    following = login("grid1").get(body["next"]).json()
    assert [row["text"] for row in following["results"]] == phrases.phrases_for("reject")[2:]


def test_the_api_offers_for_a_grid_the_phrases_of_its_areas_only(
    login, home_grids, home_community, other_community
):
    StockPhrase.objects.create(action="urge", text="本社区：请三日内办结。", area=home_community)
    StockPhrase.objects.create(action="urge", text="别的社区的话", area=other_community)

    rows = (
        login("community")
        .get("/api/stock-phrases/", {"action": "urge", "grid": home_grids[0].code})
        .json()["results"]
    )

    texts = [row["text"] for row in rows]
    assert "本社区：请三日内办结。" in texts
    assert "别的社区的话" not in texts
    assert "已超过办理时限，请尽快处置并反馈结果。" in texts  # district-wide
    mine = next(row for row in rows if row["area"])
    assert mine["area"]["code"] == home_community.code


def test_the_api_refuses_an_unknown_step_or_a_grid_outside_my_area(login, other_community):
    client = login("grid1")

    unknown = client.get("/api/stock-phrases/", {"action": "dance"})
    elsewhere = client.get("/api/stock-phrases/", {"grid": other_community.code})

    assert unknown.status_code == 400
    assert list(unknown.json()["errors"]) == ["action"]
    assert elsewhere.status_code == 400
    assert list(elsewhere.json()["errors"]) == ["grid"]


def test_the_api_wants_a_signed_in_caller(demo):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/stock-phrases/").status_code == 401
