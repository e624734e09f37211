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


def _dispatched_bus_stop(login, home_grids, photo) -> tuple[str, dict[str, int]]:
    """The story up to the dispatch, every department signed: the case's URL and each
    department's dispatch id by login."""
    grid = home_grids[0]
    case = ok(
        login("grid1").post(
            "/api/cases/",
            {
                "category": "0501",
                "title": "公交站点设置不合理",
                "lng": grid.centroid_lng,
                "lat": grid.centroid_lat,
                "photos": [photo()],
            },
            format="multipart",
        ),
        201,
    )
    url = f"/api/cases/{case['id']}"
    ok(login("community").post(f"{url}/escalate/", {"reason": "需街道协调", "version": 1}))
    ok(login("street").post(f"{url}/escalate/", {"reason": "涉及多个区直部门", "version": 2}))
    district = login("district")
    ok(district.post(f"{url}/accept/", {"version": 3}))
    ok(
        district.post(
            f"{url}/dispatch/",
            {
                "lead": Department.objects.get(name="区交通运输局").pk,
                "cooperating": [Department.objects.get(name=name).pk for name in COOPERATING],
                "instructions": "调整站点位置",
            },
        )
    )
    own = {}
    for name in ["transport", *COOPERATING.values()]:
        client = login(name)
        own[name] = ok(client.get("/api/dispatches/"))["results"][0]["id"]
        ok(client.post(f"/api/dispatches/{own[name]}/sign/", {}))
    return url, own


def test_when_the_lead_reports_first_no_dispatch_stays_open_and_no_department_is_scored_for_it(
    login, home_grids, demo, photo
):
    url, own = _dispatched_bus_stop(login, home_grids, photo)
    transport = login("transport")
    # The traffic police report their part while the case is open.
    ok(login("police").post(f"/api/dispatches/{own['police']}/report_done/", {"result": "已配合"}))

    # The lead reports done before construction and parks: refused, naming them.
    refused = transport.post(
        f"/api/dispatches/{own['transport']}/report_done/",
        {"result": "站台已迁移至人行道外侧"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Cooperating departments have not reported yet: 区住房和城乡建设局, "
        "区农业农村局（园林）. Give a reason to go ahead without them; their dispatches are "
        "then closed with the case.",
        "code": "cooperating_dispatches_open",
        "errors": {},
        "open_dispatches": [
            {
                "id": own[name],
                "department": department,
                "status": "signed",
                "status_label": "Signed",
            }
            for department, name in list(COOPERATING.items())[:2]
        ],
    }
    assert ok(login("grid1").get(f"{url}/"))["status"] == "dispatched"

    # With a reason to go ahead, the case resolves and the two close with it.
    reason = "站台迁移已完成，花坛由交通局一并修复，无需配合部门到场"
    ok(
        transport.post(
            f"/api/dispatches/{own['transport']}/report_done/",
            {"result": "站台已迁移至人行道外侧", "go_ahead_reason": reason},
        )
    )
    case = ok(login("grid1").get(f"{url}/"))
    assert case["status"] == "resolved"
    assert [
        (d["department"]["name"], d["status"], d["closure_reason"]) for d in case["dispatches"]
    ] == [
        ("区交通运输局", "done", ""),
        ("区住房和城乡建设局", "closed_with_case", reason),
        ("区农业农村局（园林）", "closed_with_case", reason),
        ("黄埔交警大队", "done", ""),
    ]
    assert [e["action"] for e in case["events"][-6:]] == [
        "dispatch_sign",
        "dispatch_report_done",
        "dispatch_report_done",
        "dispatch_close_with_case",
        "dispatch_close_with_case",
        "resolve",
    ]
    # Nothing is left open: no department has a step, or anything in its to-do list.
    for login_name in COOPERATING.values():
        client = login(login_name)
        mine = ok(client.get(f"/api/dispatches/{own[login_name]}/"))
        assert mine["allowed_actions"] == []
        assert (
            ok(client.get("/api/dispatches/", {"status": ["pending", "signed"]}))["results"] == []
        )
        late = client.post(f"/api/dispatches/{own[login_name]}/report_done/", {"result": "已完成"})
        assert (late.status_code, late.json()["status"]) == (409, mine["status"])
    ok(
        login("grid1").post(
            f"{url}/verify/",
            {"passed": "true", "photos": [photo("check.jpg")]},
            format="multipart",
        )
    )

    # Each department is scored only on what it could still do: the two closed with the case
    # before their deadline have no on-time rate (not 0 %, not red); the others are on time.
    ranking = ok(login("district").get("/api/metrics/ranking/", {"level": "department"}))
    rows = {row["name"]: row for row in ranking["rows"]}
    assert {name: rows[name]["done_on_time_rate"] for name in ["区交通运输局", *COOPERATING]} == {
        "区交通运输局": 100.0,
        "区住房和城乡建设局": None,
        "区农业农村局（园林）": None,
        "黄埔交警大队": 100.0,
    }
    assert {
        name: rows[name]["overdue"] for name in ["区交通运输局", *COOPERATING]
    } == dict.fromkeys(["区交通运输局", *COOPERATING], 0)
    assert all(rows[name]["grade"] != "red" for name in ["区交通运输局", *COOPERATING])
