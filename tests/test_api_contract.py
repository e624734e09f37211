"""The contract: a client that knows only /api/schema/ runs the bus-stop story of DOMAIN.md.

It finds every operation by its operationId, fills the path from the operation's own template,
builds each body from the operation's request schema (every required property given, nothing
the schema does not name), and validates every answer, errors included, against the schema of
that operation's answer for the status it got. What it knows beyond the schema is what a person
would: the demo logins and password, the category's and the departments' names, and that the
story is a GPS point at the centre of grid1's grid.
"""

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
from rest_framework.test import APIClient

from tests.cases import conftest as case_fixtures
from tests.cases.conftest import make_photo
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

file_case, user, category = case_fixtures.file_case, case_fixtures.user, case_fixtures.category

LOGINS = ["grid1", "community", "street", "district", "transport", "construction", "parks"]
LOGINS += ["police"]
COOPERATING = ["区住房和城乡建设局", "区农业农村局（园林）", "黄埔交警大队"]


def json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type, recursively."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


class SchemaClient:
    """Calls operations by operationId, as the schema describes them, and nothing else."""

    def __init__(self, schema: dict, token: str | None = None, language: str = "zh-hans"):
        self.schema, self.client = schema, APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if token:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        self.operations = {
            operation["operationId"]: (path, method, operation)
            for path, methods in schema["paths"].items()
            for method, operation in methods.items()
        }
        self.components = {"components": json_schema(schema["components"])}

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.schema["components"]["schemas"][node["$ref"].split("/")[-1]]
        return node

    def body(self, operation_id: str, media_type: str, values: dict) -> dict:
        """`values` as the operation's request body in `media_type`, checked against its schema:
        the media type offered, every required property present, no property it does not name."""
        _path, _method, operation = self.operations[operation_id]
        content = operation["requestBody"]["content"]
        assert media_type in content, f"{operation_id} takes {list(content)}"
        schema = self.resolve(content[media_type]["schema"])
        missing = set(schema.get("required", [])) - set(values)
        assert not missing, f"{operation_id} requires {missing}"
        unknown = set(values) - set(schema["properties"])
        assert not unknown, f"{operation_id} does not take {unknown}"
        return values

    def call(self, operation_id: str, *, path=None, query=None, body=None, files=False, bad=False):
        """(status, JSON body) of the operation; the body validated against the schema of the
        operation's answer for that status. A `bad` body is sent as it is, unchecked."""
        template, method, operation = self.operations[operation_id]
        url = re.sub(r"\{(\w+)\}", lambda m: str((path or {})[m.group(1)]), template)
        media_type = "multipart/form-data" if files else "application/json"
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body if bad else self.body(operation_id, media_type, body)}
            kwargs["format"] = "multipart" if files else "json"
        elif query:
            kwargs = {"data": query}
        response = getattr(self.client, method)(url, **kwargs)
        answers = operation["responses"]
        status = str(response.status_code)
        assert status in answers, f"{operation_id} answered {status}, not in {list(answers)}"
        content = answers[status].get("content", {})
        if "application/json" not in content:
            return response.status_code, None
        data = response.json()
        jsonschema.validate(
            data, {**json_schema(content["application/json"]["schema"]), **self.components}
        )
        return response.status_code, data

    def ok(self, operation_id: str, expect: int = 200, **kwargs):
        status, data = self.call(operation_id, **kwargs)
        assert status == expect, (operation_id, status, data)
        return data

    def enum(self, name: str) -> list:
        return self.schema["components"]["schemas"][name]["enum"]


@pytest.fixture(scope="module")
def schema() -> dict:
    """The schema as a client fetches it (generating it takes seconds: once per module)."""
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def as_login(schema, demo):
    """as_login("grid1") → a SchemaClient signed in through the schema's sign-in operation."""
    anonymous = SchemaClient(schema)

    def sign_in(username: str, language: str = "zh-hans") -> SchemaClient:
        token = anonymous.ok(
            "auth_token_create", body={"username": username, "password": DEMO_PASSWORD}
        )["token"]
        return SchemaClient(schema, token, language)

    return sign_in


def test_a_client_knowing_only_the_schema_runs_the_bus_stop_story(schema, as_login):
    people = {login: as_login(login) for login in LOGINS}
    grid1, community, street, district = (people[n] for n in LOGINS[:4])

    # 王秀英 (grid1) finds her grid's centre and the category, and files with a photo.
    me = grid1.ok("me_retrieve")
    grid = grid1.ok("areas_retrieve", path={"id": me["posts"][0]["area"]["id"]})
    lng, lat = grid["centroid"]
    found = grid1.ok("categories_list", query={"search": "公交站点设置不合理"})
    category = next(c for c in found if c["parent"] is not None)
    filed = grid1.ok(
        "cases_create",
        201,
        body={
            "category": category["code"],
            "title": "公交站点设置不合理",
            "description": "乘客上车需踩踏花坛，老人和残疾人无法上车。",
            "lng": lng,
            "lat": lat,
            "photos": [make_photo("site.jpg")],
        },
        files=True,
    )
    case = {"id": filed["id"]}
    assert filed["grid"]["code"] == grid["code"]
    assert filed["status"] in grid1.enum("CaseStatusEnum")

    # The community and the street escalate it, each saying which version they read.
    for person, reason in ((community, "需街道协调"), (street, "涉及多个区直部门")):
        read = person.ok("cases_retrieve", path=case)
        assert "escalate" in read["allowed_actions"]
        person.ok(
            "cases_escalate_create", path=case, body={"reason": reason, "version": read["version"]}
        )

    # The district accepts; a second accept is a 409 that says what may be done now.
    read = district.ok("cases_retrieve", path=case)
    district.ok("cases_accept_create", path=case, body={"version": read["version"]})
    status, conflict = district.call("cases_accept_create", path=case, body={})
    assert status == 409
    assert conflict["code"] == "invalid_transition"
    assert conflict["status"] == "in_progress"
    assert "dispatch" in conflict["allowed_actions"]

    # It dispatches by the departments' codes, found by their names.
    def code_of(name: str) -> str:
        (department,) = [
            d for d in district.ok("departments_list", query={"q": name})["results"]
            if d["name"] == name
        ]  # fmt: skip
        return department["code"]

    status, refused = district.call("cases_dispatch_create", path=case, body={"lead": "nope"})
    assert (status, list(refused["errors"])) == (400, ["lead"])
    case_now = district.ok(
        "cases_dispatch_create",
        path=case,
        body={
            "lead": code_of("区交通运输局"),
            "cooperating": [code_of(name) for name in COOPERATING],
            "instructions": "调整站点位置",
        },
    )
    assert case_now["status"] == "dispatched"
    assert [d["role"] for d in case_now["dispatches"]] == ["lead", *["cooperating"] * 3]

    # Each department finds its dispatch in its list and signs; the cooperating ones report,
    # then the lead (with a photo); a report without its result is a 400 naming `result`.
    own = {}
    for login in ["transport", "construction", "parks", "police"]:
        (listed,) = people[login].ok("dispatches_list")["results"]
        assert listed["allowed_actions"] == ["sign", "refuse", "request_extension"]
        own[login] = {"id": listed["id"]}
        people[login].ok("dispatches_sign_create", path=own[login], body={})
    status, error = people["police"].call(
        "dispatches_report_done_create", path=own["police"], body={"result": "  "}
    )
    assert (status, list(error["errors"])) == (400, ["result"])
    for login in ["construction", "parks", "police"]:
        people[login].ok(
            "dispatches_report_done_create", path=own[login], body={"result": "已配合完成"}
        )
    people["transport"].ok(
        "dispatches_report_done_create",
        path=own["transport"],
        body={"result": "站台已迁移至人行道外侧", "photos": [make_photo("after.jpg")]},
        files=True,
    )

    # 王秀英 verifies on site with a photo; the resident's callback is recorded.
    assert grid1.ok("cases_retrieve", path=case)["allowed_actions"] == ["verify"]
    grid1.ok(
        "cases_verify_create",
        path=case,
        body={"passed": "true", "note": "现场已整改", "photos": [make_photo("check.jpg")]},
        files=True,
    )
    closed = grid1.ok("cases_callback_create", path=case, body={"satisfaction": 5})
    assert (closed["status"], closed["satisfaction"]) == ("closed", 5)
    actions = [event["action"] for event in closed["events"]]
    assert actions == [
        "report", "escalate", "escalate", "accept", "dispatch",
        *["dispatch_sign"] * 4, *["dispatch_report_done"] * 4,
        "resolve", "verify_pass", "callback",
    ]  # fmt: skip
    assert set(actions) <= set(grid1.enum("CaseEventActionEnum"))
    assert closed["events"][0]["actor"]["name"] == "王秀英"

    # A list is a page like every list: follow `next` until it is null.
    seen, query = [], {"page_size": 2}
    while True:
        page = district.ok("departments_list", query=query)
        seen += [department["id"] for department in page["results"]]
        if page["next"] is None:
            break
        query = dict(parse_qsl(urlsplit(page["next"]).query))
    everything = district.ok("departments_list", query={"page_size": 500})["results"]
    assert seen == [department["id"] for department in everything]
    assert len(seen) > 2


@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", "请填写原因。"), ("en", "Give a reason.")]
)
def test_every_error_has_one_shape_in_the_requests_language(
    schema, as_login, file_case, language, message
):
    case = {"id": file_case("0501").pk}  # held by the community
    community = as_login("community", language)
    status, refused = community.call(
        "cases_escalate_create", path=case, body={"version": 1}, bad=True
    )
    assert (status, refused) == (400, {"detail": message, "code": "invalid", "errors": {
        "reason": [message]
    }})  # fmt: skip

    status, stale = community.call(
        "cases_escalate_create", path=case, body={"reason": "x", "version": 99}
    )
    assert status == 409
    assert (stale["code"], stale["errors"], stale["your_version"]) == ("stale_version", {}, 99)

    outsider = as_login("grid2", language)
    status, missing = outsider.call("cases_retrieve", path=case)
    assert (status, missing["code"], missing["errors"]) == (404, "not_found", {})

    anonymous = SchemaClient(schema, language=language)
    status, unsigned = anonymous.call("cases_list")
    assert (status, unsigned["code"], unsigned["errors"]) == (401, "not_authenticated", {})
    assert (unsigned["detail"] == "Authentication credentials were not provided.") == (
        language == "en"
    )


def test_a_nested_fields_errors_are_named_by_its_path(as_login):
    grid1 = as_login("grid1", "en")
    status, refused = grid1.call(
        "cases_create", body={"category": "0501", "title": "t", "photos": ["not a file"]}
    )
    assert status == 400
    assert refused["code"] == "invalid"
    assert list(refused["errors"]) == ["photos.0"]


def test_the_schema_names_each_shared_shape_and_enum_once(schema):
    from cases.models import Case, Dispatch
    from cases.workflow import ACTION_LABELS
    from grid.models import Person, Post

    components = schema["components"]["schemas"]
    enums = {
        "CaseStatusEnum": Case.Status.values,
        "DispatchStatusEnum": Dispatch.Status.values,
        "DispatchRoleEnum": Dispatch.Role.values,
        "PostRoleEnum": Post.Role.values,
        "PersonStatusEnum": Person.Status.values,
        "CaseEventActionEnum": list(ACTION_LABELS),
    }
    assert {name: components[name]["enum"] for name in enums} == enums
    assert "StatusEnum" not in components
    for name in ["PersonReference", "AreaReference", "DepartmentReference", "Error", "Conflict"]:
        assert components[name]["type"] == "object"
    case_list = components["PaginatedCaseList"]
    assert set(case_list["properties"]) == {"next", "previous", "results"}


def test_every_error_answer_of_every_operation_is_the_one_error_shape(schema):
    shapes = set()
    for methods in schema["paths"].values():
        for operation in methods.values():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    shapes.add(
                        (status == "409", answer["content"]["application/json"]["schema"]["$ref"])
                    )
    assert shapes == {
        (False, "#/components/schemas/Error"),
        (True, "#/components/schemas/Conflict"),
    }


@pytest.mark.parametrize(
    ("operation_id", "required"),
    [
        ("cases_escalate_create", {"reason"}),
        ("cases_reject_create", {"reason"}),
        ("cases_resolve_create", {"result"}),
        ("cases_verify_create", {"passed", "photos"}),
        ("cases_self_resolve_create", {"photos"}),
        ("cases_dispatch_create", {"lead"}),
        ("cases_callback_create", {"satisfaction"}),
        ("dispatches_refuse_create", {"reason"}),
        ("dispatches_report_done_create", {"result"}),
        ("dispatches_approve_extension_create", {"approve"}),
        ("cases_create", {"category", "title"}),
    ],
)
def test_what_a_step_cannot_do_without_is_required_in_the_schema(schema, operation_id, required):
    client = SchemaClient(schema)
    _path, _method, operation = client.operations[operation_id]
    for media_type in operation["requestBody"]["content"].values():
        body = client.resolve(media_type["schema"])
        assert set(body.get("required", [])) == required
        for name in required & {"reason", "result", "title"}:
            assert body["properties"][name].get("minLength") == 1
            assert "default" not in body["properties"][name]


def test_the_areas_geojson_is_the_feature_collection_the_schema_describes(as_login):
    """The map's boundaries (areas/geojson) validated against their schema, a feature per
    area with a boundary."""
    collection = as_login("district").ok("areas_geojson_retrieve")
    assert collection["type"] == "FeatureCollection"
    assert collection["features"]
    assert {feature["geometry"]["type"] for feature in collection["features"]} <= {
        "Polygon",
        "MultiPolygon",
    }
