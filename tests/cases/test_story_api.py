"""The Huangpu bus-stop story of DOMAIN.md, every step through the HTTP API with the demo logins."""

import uuid

import pytest

from grid.models import Area, Department

pytestmark = pytest.mark.django_db

COOPERATING = {
    "区住房和城乡建设局": "construction",
    "区农业农村局（园林）": "parks",
    "黄埔交警大队": "police",
}


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_the_bus_stop_story_runs_end_to_end_through_the_api(
    login, home_grids, home_community, home_street, demo, photo
):
    grid1, community, street, district = (
        login(name) for name in ("grid1", "community", "street", "district")
    )
    grid = home_grids[0]

    # 王秀英 (grid1) files the badly placed bus stop from her phone, with a photo.
    case = ok(
        grid1.post(
            "/api/cases/",
            {
                "category": "0501",
                "title": "公交站点设置不合理",
                "description": "乘客上车需踩踏花坛，老人和残疾人无法上车。",
                "lng": grid.centroid_lng,
                "lat": grid.centroid_lat,
                "client_id": str(uuid.uuid4()),
                "photos": [photo()],
            },
            format="multipart",
        ),
        201,
    )
    url = f"/api/cases/{case['id']}"
    assert (case["grid"]["id"], case["level"]) == (grid.pk, Area.Level.COMMUNITY)
    assert case["holder"]["name"] == "黄埔花园社区" == home_community.name

    # The community escalates it to 黄埔街道, the street to the district.
    case = ok(community.post(f"{url}/escalate/", {"reason": "需街道协调", "version": 1}))
    assert (case["level"], case["holder"]["id"]) == (Area.Level.STREET, home_street.pk)
    case = ok(street.post(f"{url}/escalate/", {"reason": "涉及多个区直部门", "version": 2}))
    assert (case["level"], case["holder"]["id"]) == (Area.Level.DISTRICT, demo.pk)

    # The district triage centre accepts and dispatches: transport leads, three cooperate.
    assert ok(district.get(f"{url}/"))["allowed_actions"] == [
        "accept",
        "reject",
        "return_down",
        "suspend",
        "urge",
    ]
    case = ok(district.post(f"{url}/accept/", {"version": 3}))
    lead = Department.objects.get(name="区交通运输局")
    cooperating = [Department.objects.get(name=name).pk for name in COOPERATING]
    case = ok(
        district.post(
            f"{url}/dispatch/",
            {"lead": lead.pk, "cooperating": cooperating, "instructions": "调整站点位置"},
        )
    )
    assert case["status"] == "dispatched"
    assert [(d["department"]["name"], d["role"]) for d in case["dispatches"]] == [
        ("区交通运输局", "lead"),
        *[(name, "cooperating") for name in COOPERATING],
    ]

    # Each department finds its own dispatch in its list and signs for it.
    departments = {"transport": login("transport")}
    departments.update({login_name: login(login_name) for login_name in COOPERATING.values()})
    own = {}
    for name, client in departments.items():
        listed = ok(client.get("/api/dispatches/"))["results"]
        assert len(listed) == 1
        assert listed[0]["case"]["id"] == case["id"]
        assert listed[0]["allowed_actions"] == ["sign", "refuse", "request_extension"]
        own[name] = listed[0]["id"]
        signed = ok(client.post(f"/api/dispatches/{own[name]}/sign/", {}))
        assert signed["status"] == "signed"

    # The cooperating departments report their part, then the lead reports done.
    for name in COOPERATING.values():
        done = ok(departments[name].post(f"/api/dispatches/{own[name]}/report_done/", {
            "result": "已配合完成"
        }))  # fmt: skip
        assert done["status"] == "done"
    ok(
        departments["transport"].post(
            f"/api/dispatches/{own['transport']}/report_done/",
            {"result": "站台已迁移至人行道外侧", "photos": [photo("after.jpg")]},
            format="multipart",
        )
    )
    case = ok(grid1.get(f"{url}/"))
    assert case["status"] == "resolved"
    assert case["allowed_actions"] == ["verify"]

    # 王秀英 checks on site with a photo: the case is closed; a callback records satisfaction.
    case = ok(
        grid1.post(
            f"{url}/verify/",
            {"passed": "true", "note": "现场已整改", "photos": [photo("check.jpg")]},
            format="multipart",
        )
    )
    assert (case["status"], case["closed_level"]) == ("closed", Area.Level.DISTRICT)
    case = ok(grid1.post(f"{url}/callback/", {"satisfaction": 5, "comment": "居民很满意"}))

    assert (case["status"], case["satisfaction"]) == ("closed", 5)
    assert [(c["satisfaction"], c["comment"]) for c in case["callbacks"]] == [(5, "居民很满意")]
    assert [e["action"] for e in case["events"]] == [
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
    assert [e["version"] for e in case["events"]] == list(range(1, 17))
    assert [e["actor"]["name"] for e in case["events"][:5]] == [
        "王秀英",
        "刘芳",
        "黄伟",
        "张敏",
        "张敏",
    ]
    assert [(e["from_level"], e["to_level"]) for e in case["events"][:3]] == [
        (None, Area.Level.COMMUNITY),
        (Area.Level.COMMUNITY, Area.Level.STREET),
        (Area.Level.STREET, Area.Level.DISTRICT),
    ]
    # Photos of the report, the lead's result and the on-site check, each on its own step.
    by_event = {e["id"]: e["action"] for e in case["events"]}
    assert [by_event[p["event"]] for p in case["photos"]] == ["report", "resolve", "verify_pass"]
    thumbnails = [grid1.get(p["thumbnail"]) for p in case["photos"]]
    assert {(t.status_code, t["Content-Type"]) for t in thumbnails} == {(200, "image/jpeg")}
