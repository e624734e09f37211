"""Open311 GeoReport v2 (open311/): every resource in JSON and XML, requests filed as cases of
source open311 through the filing service, the specification's errors (4xx, never 5xx, nothing
half-written), the per-key rate, and the contact kept out of every answer."""

import http.server
import threading
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases import services as case_services
from cases.models import Case, CasePhoto
from governance.clients import register
from governance.models import ApiClient
from grid import registry
from open311.models import Open311Request
from tests.cases.test_photos import png_declaring
from tests.open311.conftest import BASE, form_post, jpeg

pytestmark = pytest.mark.django_db


def xml_of(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


def json_errors(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body, list)
    assert body
    assert all(set(error) == {"code", "description"} for error in body)
    assert all(error["code"] == status for error in body)
    return [error["description"] for error in body]


def xml_errors(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    root = xml_of(response)
    assert root.tag == "errors"
    assert all(error.findtext("code") == str(status) for error in root.findall("error"))
    return [error.findtext("description") for error in root.findall("error")]


def point_of(grid) -> dict:
    return {"lat": grid.centroid_lat, "long": grid.centroid_lng}


def file(web, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "0101", "description": "路口有一堆垃圾", **fields}
    return form_post(web, f"{BASE}/requests.{fmt}", data)


# Discovery and services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_v2_endpoint_and_both_formats(web, demo, fmt):
    response = web.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        endpoint = response.json()["endpoints"][0]
        formats = endpoint["formats"]
    else:
        root = xml_of(response)
        assert root.tag == "discovery"
        endpoint = {child.tag: child.text for child in root.find("endpoints/endpoint")}
        formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert formats == ["text/xml", "application/json"]


def test_services_are_the_active_subcategories_grouped_by_their_main_class(web, road_questions):
    services = web.get(f"{BASE}/services.json").json()
    by_code = {service["service_code"]: service for service in services}
    assert "05" not in by_code  # a main class is a group, not a service
    assert by_code["0502"] == {
        "service_code": "0502",
        "service_name": "道路破损",
        "description": "道路破损",
        "metadata": True,
        "type": "realtime",
        "keywords": "道路破损, Damaged road",
        "group": "市政设施",
    }
    assert by_code["0101"]["metadata"] is False


def test_services_in_xml_and_in_english(web, road_questions):
    root = xml_of(web.get(f"{BASE}/services.xml", HTTP_ACCEPT_LANGUAGE="en"))
    assert root.tag == "services"
    road = next(s for s in root.findall("service") if s.findtext("service_code") == "0502")
    assert road.findtext("service_name") == "Damaged road"
    assert road.findtext("group") == "Municipal facilities"
    assert road.findtext("metadata") == "true"


def test_a_service_definition_lists_its_attributes_in_order(web, road_questions):
    body = web.get(f"{BASE}/services/0502.json").json()
    assert body["service_code"] == "0502"
    assert [a["code"] for a in body["attributes"]] == ["depth", "affects"]
    depth = body["attributes"][0]
    assert depth == {
        "variable": True,
        "code": "depth",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "坑有多深？",
        "values": [{"key": "shallow", "name": "浅于5厘米"}, {"key": "deep", "name": "深于5厘米"}],
    }
    root = xml_of(web.get(f"{BASE}/services/0502.xml"))
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert keys == ["shallow", "deep", "cars", "walkers"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_a_404_in_the_specifications_shape(web, demo, fmt):
    response = web.get(f"{BASE}/services/9999.{fmt}")
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "9999" in errors[0]


def test_an_unknown_format_or_resource_is_a_404_in_xml(web, demo):
    xml_errors(web.get(f"{BASE}/services.html"), 404)
    xml_errors(web.get(f"{BASE}/whatever"), 404)


def test_jurisdiction_id_is_our_district_code_and_another_is_a_404(web, demo):
    assert web.get(f"{BASE}/services.json?jurisdiction_id=440112").status_code == 200
    errors = json_errors(web.get(f"{BASE}/services.json?jurisdiction_id=sfgov.org"), 404)
    assert "sfgov.org" in errors[0]


# Filing


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_at_a_point_becomes_a_case_of_source_open311_by_the_clients_user(
    web, app, home_grids, fmt
):
    client, key = app
    grid = home_grids[1]
    response = file(web, key, fmt, **point_of(grid), email="resident@example.com")
    assert response.status_code == 201, response.content
    if fmt == "json":
        (answer,) = response.json()
        number = answer["service_request_id"]
        assert answer["account_id"] is None
        assert answer["service_notice"]
    else:
        root = xml_of(response)
        assert root.tag == "service_requests"
        number = root.findtext("request/service_request_id")
    case = Case.objects.get(number=number)
    assert case.source == Case.Source.OPEN311
    assert case.reporter == client.user
    assert case.grid == grid
    assert case.title == "路口有一堆垃圾"
    filed = Open311Request.objects.get(case=case)
    assert filed.client == client
    assert filed.email == "resident@example.com"
    assert case.events.get().actor == client.user


def test_a_client_app_holds_no_post_and_files_in_any_grid_of_the_district(
    web, key, home_grids, other_street
):
    far_grid = other_street.children.first().children.first()
    response = file(web, key, **point_of(far_grid))
    assert response.status_code == 201, response.content
    assert Case.objects.get(number=response.json()[0]["service_request_id"]).grid == far_grid


def test_a_request_with_an_uploaded_photo_keeps_it_on_the_case(web, key, home_grids):
    data = {
        "api_key": key,
        "service_code": "0101",
        "description": "垃圾",
        **point_of(home_grids[0]),
        "media": jpeg(),
    }
    response = web.post(f"{BASE}/requests.json", data)  # multipart/form-data
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert CasePhoto.objects.filter(case=case).count() == 1


def test_an_image_bomb_is_refused_with_a_400_and_nothing_is_written(web, key, home_grids):
    bomb = SimpleUploadedFile("bomb.png", png_declaring(30000, 30000), content_type="image/png")
    data = {"api_key": key, "service_code": "0101", **point_of(home_grids[0]), "media": bomb}
    errors = json_errors(web.post(f"{BASE}/requests.json", data), 400)
    assert errors[0].startswith("media: ")
    assert not Case.objects.exists()
    assert not Open311Request.objects.exists()


def test_a_media_url_is_stored_as_given_and_answered_back(web, key, home_grids):
    url = "http://photos.example.org/p/1.jpg"
    number = file(web, key, **point_of(home_grids[0]), media_url=url).json()[0][
        "service_request_id"
    ]
    assert Open311Request.objects.get().media_url == url
    assert web.get(f"{BASE}/requests/{number}.json").json()[0]["media_url"] == url


def test_a_media_url_is_never_fetched(web, key, home_grids):
    """The server calling a URL a client chose would let any client reach the intranet (SSRF)."""
    hits = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/internal/admin.jpg"
        number = file(web, key, **point_of(home_grids[0]), media_url=url).json()[0][
            "service_request_id"
        ]
        web.get(f"{BASE}/requests/{number}.xml")
        web.get(f"{BASE}/requests.json")
    finally:
        server.shutdown()
        thread.join()
    assert hits == []
    assert Open311Request.objects.get().media_url == url


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x", "javascript:alert(1)"])
def test_a_media_url_that_is_not_http_is_a_400(web, key, home_grids, url):
    errors = json_errors(file(web, key, **point_of(home_grids[0]), media_url=url), 400)
    assert errors[0].startswith("media_url: ")


def test_an_address_string_is_matched_to_a_registry_building(web, key, home_grids, user):
    grid = home_grids[2]
    building = registry.create_building(
        actor=user("admin"),
        grid=grid,
        number="3",
        address="黄埔东路 88号 B座",
        lng=grid.centroid_lng,
        lat=grid.centroid_lat,
    )
    response = file(web, key, address_string="  黄埔东路 88号   b座 ")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert case.grid == home_grids[2]
    assert list(case.buildings.all()) == [building]
    by_id = file(web, key, address_id=str(building.pk))
    assert Case.objects.get(number=by_id.json()[0]["service_request_id"]).grid == home_grids[2]


def test_an_address_of_buildings_in_two_grids_asks_for_a_point(web, key, home_grids, user):
    for number, grid in enumerate(home_grids[:2]):
        registry.create_building(
            actor=user("admin"), grid=grid, number=str(number), address="黄埔东路1号"
        )
    errors = json_errors(file(web, key, address_string="黄埔东路1号"), 400)
    assert errors[0].startswith("address_string: ")
    assert not Case.objects.exists()


def test_an_address_no_building_has_is_a_clear_400(web, key, demo):
    errors = json_errors(file(web, key, address_string="火星路1号"), 400)
    assert errors[0].startswith("address_string: ")
    assert not Case.objects.exists()


def test_a_point_outside_the_district_is_a_400_saying_so(web, key, demo):
    errors = json_errors(file(web, key, lat="39.9", long="116.4"), 400)
    assert errors == ["long: 该位置不在本区任何网格内。"]
    assert not Case.objects.exists()


def test_errors_are_in_english_with_accept_language_en(web, key, demo):
    response = form_post(
        web,
        f"{BASE}/requests.json",
        {"api_key": key, "service_code": "0101", "lat": "39.9", "long": "116.4"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert json_errors(response, 400) == [
        "long: The location lies outside every grid of the district."
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_a_404_and_nothing_is_written(web, key, home_grids, fmt):
    response = file(web, key, fmt, service_code="05", **point_of(home_grids[0]))
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "05" in errors[0]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("fields", "parameter"),
    [
        ({"lat": "north", "long": "113.4"}, "lat"),
        ({"lat": "23.1"}, "long"),
        ({"lat": "95", "long": "113.4"}, "lat"),
        ({}, "lat"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "坏\x00了"}, "description"),
        ({"service_code": ""}, "service_code"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "1" * 31}, "phone"),
        ({"address_id": "12a"}, "address_id"),
    ],
)
def test_bad_parameters_are_a_400_per_parameter(web, key, demo, fields, parameter):
    data = {"api_key": key, "service_code": "0101", **fields}
    errors = json_errors(form_post(web, f"{BASE}/requests.json", data), 400)
    assert any(error.startswith(f"{parameter}: ") for error in errors), errors
    assert not Case.objects.exists()


def test_a_description_over_our_limit_is_a_400(web, key, home_grids):
    errors = json_errors(file(web, key, **point_of(home_grids[0]), description="长" * 2001), 400)
    assert errors[0].startswith("description: ")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"service_code": "0101"}'),
        ("text/xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\n"),
    ],
)
def test_a_body_that_is_not_a_form_is_a_400(web, key, demo, content_type, body):
    response = web.post(f"{BASE}/requests.xml", body, content_type=content_type, HTTP_X_API_KEY=key)
    xml_errors(response, 400)
    assert not Case.objects.exists()


def test_a_body_over_the_size_limit_is_a_400(web, key, demo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    xml_errors(file(web, key, "xml", description="x" * 20_000), 400)


# Keys and rates


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_api_key_is_a_403(web, demo, fmt):
    data = {"service_code": "0101", "lat": "23.1", "long": "113.45"}
    response = form_post(web, f"{BASE}/requests.{fmt}", data)
    errors = json_errors(response, 403) if fmt == "json" else xml_errors(response, 403)
    assert "api_key" in errors[0]


def test_a_wrong_key_or_a_hotline_key_is_a_403(web, demo, home_grids):
    hotline = ApiClient(name="12345", kind=ApiClient.Kind.HOTLINE)
    for key in ["abcdefgh.nothing", register(hotline)]:
        json_errors(file(web, key, **point_of(home_grids[0])), 403)
    assert not Case.objects.exists()


def test_the_key_may_come_in_the_x_api_key_header(web, key, home_grids):
    data = {"service_code": "0101", "description": "垃圾", **point_of(home_grids[0])}
    response = form_post(web, f"{BASE}/requests.json", data, HTTP_X_API_KEY=key)
    assert response.status_code == 201, response.content


def test_each_key_is_held_to_its_own_rate_with_a_429(web, app, home_grids):
    client, key = app
    ApiClient.objects.filter(pk=client.pk).update(rate_per_minute=2)
    other = register(ApiClient(name="另一个应用", kind=ApiClient.Kind.OPEN311))
    point = point_of(home_grids[0])
    assert [file(web, key, **point).status_code for _ in range(2)] == [201, 201]
    flooded = file(web, key, "xml", **point)
    xml_errors(flooded, 429)
    assert int(flooded["Retry-After"]) > 0
    assert file(web, other, **point).status_code == 201
    assert Case.objects.count() == 3


@override_settings(SANHUA_OPEN311_ADDRESS_RATE="3/min")
def test_requests_without_a_key_are_held_to_a_rate_per_address(web, demo):
    answers = [web.get(f"{BASE}/services.json").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    wrong = form_post(web, f"{BASE}/requests.json", {"api_key": "abcdefgh.guess"})
    json_errors(wrong, 429)


# Attributes


def test_attributes_are_checked_against_the_definition_and_kept(
    web, key, road_questions, home_grids
):
    data = {
        "api_key": key,
        "service_code": "0502",
        "description": "路面塌陷",
        **point_of(home_grids[0]),
        "attribute[depth]": "deep",
        "attribute[affects][]": ["cars", "walkers"],
    }
    response = form_post(web, f"{BASE}/requests.json", data)
    assert response.status_code == 201, response.content
    filed = Open311Request.objects.get()
    assert filed.attributes == {"depth": "deep", "affects": ["cars", "walkers"]}
    assert filed.case.description == "路面塌陷\n\n坑有多深？: 深于5厘米\n影响哪些人？: 车辆, 行人"


@pytest.mark.parametrize(
    ("attributes", "parameter"),
    [
        ({}, "attribute[depth]"),
        ({"attribute[depth]": "bottomless"}, "attribute[depth]"),
        ({"attribute[depth]": "deep", "attribute[colour]": "red"}, "attribute[colour]"),
        ({"attribute[depth]": ["deep", "shallow"]}, "attribute[depth]"),
        ({"attribute[depth]": "deep", "attribute[affects][]": ["boats"]}, "attribute[affects]"),
    ],
)
def test_bad_attributes_are_a_400(web, key, road_questions, home_grids, attributes, parameter):
    data = {"api_key": key, "service_code": "0502", **point_of(home_grids[0]), **attributes}
    errors = json_errors(form_post(web, f"{BASE}/requests.json", data), 400)
    assert any(error.startswith(f"{parameter}: ") for error in errors), errors
    assert not Case.objects.exists()


# Idempotency and tokens


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(web, app, home_grids):
    client, key = app
    point = point_of(home_grids[0])
    first = form_post(
        web,
        f"{BASE}/requests.json",
        {"api_key": key, "service_code": "0101", **point},
        HTTP_IDEMPOTENCY_KEY="report-17",
    )
    again = file(web, key, **point, idempotency_key="report-17")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Case.objects.count() == 1
    other = register(ApiClient(name="另一个应用", kind=ApiClient.Kind.OPEN311))
    assert file(web, other, **point, idempotency_key="report-17").status_code == 201
    assert Case.objects.count() == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_finds_the_request_filed_with_it(web, key, home_grids, fmt):
    number = file(web, key, **point_of(home_grids[0]), idempotency_key="abc-1").json()[0][
        "service_request_id"
    ]
    response = web.get(f"{BASE}/tokens/abc-1.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert response.json() == [{"service_request_id": number, "token": "abc-1"}]
    else:
        assert xml_of(response).findtext("request/service_request_id") == number
    json_errors(web.get(f"{BASE}/tokens/nothing.json"), 404)


# Reading requests


def test_get_requests_lists_only_open311_requests_and_never_the_contact(
    web, key, home_grids, file_case
):
    contact = {
        "email": "li.si@example.com",
        "first_name": "Sifang",
        "last_name": "Ouyang",
        "phone": "13812345678",
        "device_id": "device-0042",
        "account_id": "acct-0099",
    }
    number = file(web, key, **point_of(home_grids[0]), **contact).json()[0]["service_request_id"]
    patrol = file_case()
    for fmt in ("json", "xml"):
        response = web.get(f"{BASE}/requests.{fmt}")
        assert response.status_code == 200
        text = response.content.decode()
        assert number in text
        assert patrol.number not in text
        for value in contact.values():
            assert value not in text
    (row,) = web.get(f"{BASE}/requests.json").json()
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "description", "agency_responsible", "service_notice", "requested_datetime",
        "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
        "long", "media_url",
    }  # fmt: skip
    assert web.get(f"{BASE}/requests/{patrol.number}.json").status_code == 404


def test_get_requests_filters_as_the_specification_says(web, key, home_grids, user):
    point = point_of(home_grids[0])
    litter = file(web, key, **point).json()[0]["service_request_id"]
    road = file(web, key, service_code="0503", **point).json()[0]["service_request_id"]
    case = Case.objects.get(number=litter)
    case_services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[jpeg()])

    def ids(query: str) -> list[str]:
        response = web.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return [row["service_request_id"] for row in response.json()]

    assert set(ids("")) == {litter, road}
    assert ids("status=closed") == [litter]
    assert ids("status=open") == [road]
    assert set(ids("status=open,closed")) == {litter, road}
    assert ids("service_code=0503") == [road]
    assert ids(f"service_request_id={litter}&status=open") == [litter]
    assert ids("start_date=2010-01-01T00:00:00Z&end_date=2010-02-01T00:00:00Z") == []
    json_errors(web.get(f"{BASE}/requests.json?status=pending"), 400)
    json_errors(web.get(f"{BASE}/requests.json?start_date=yesterday"), 400)
    json_errors(
        web.get(
            f"{BASE}/requests.json?start_date=2024-01-01T00:00:00Z&end_date=2024-06-01T00:00:00Z"
        ),
        400,
    )


def test_get_requests_reads_in_a_fixed_number_of_queries(
    web, key, home_grids, django_assert_max_num_queries
):
    for _ in range(5):
        file(web, key, **point_of(home_grids[0]))
    with django_assert_max_num_queries(3):
        assert len(web.get(f"{BASE}/requests.json").json()) == 5


def test_a_request_reads_its_status_agency_and_times_until_closed(web, key, home_grids, user):
    number = file(web, key, **point_of(home_grids[0])).json()[0]["service_request_id"]
    (row,) = web.get(f"{BASE}/requests/{number}.json").json()
    assert row["status"] == "open"
    assert row["status_notes"] == "待签收"
    assert row["agency_responsible"] == home_grids[0].name
    assert row["expected_datetime"]
    assert row["requested_datetime"]
    case = Case.objects.get(number=number)
    case_services.self_resolve_case(case, actor=user("grid1"), result="已清理", photos=[jpeg()])
    root = xml_of(web.get(f"{BASE}/requests/{number}.xml", HTTP_ACCEPT_LANGUAGE="en"))
    assert root.findtext("request/status") == "closed"
    assert root.findtext("request/status_notes") == "Closed"
    assert root.findtext("request/expected_datetime") == ""
    assert root.findtext("request/updated_datetime") >= row["updated_datetime"]


def test_a_dispatched_request_names_its_lead_department(web, key, home_grids, user):
    from grid.models import Department

    number = file(web, key, service_code="0502", **point_of(home_grids[0])).json()[0][
        "service_request_id"
    ]
    case = Case.objects.get(number=number)
    lead = Department.objects.get(code="440112-JS")
    case_services.escalate_case(case, actor=user("community"), reason="需要建设局处理")
    case.refresh_from_db()
    case_services.accept_case(case, actor=user("street"))
    case.refresh_from_db()
    case_services.dispatch_case(case, actor=user("street"), lead=lead)
    (row,) = web.get(f"{BASE}/requests/{number}.json").json()
    assert row["agency_responsible"] == lead.name


def test_markup_in_a_description_is_escaped_in_the_xml(web, key, home_grids):
    text = "<b>垃圾</b> & 污水 ]]>"
    number = file(web, key, **point_of(home_grids[0]), description=text).json()[0][
        "service_request_id"
    ]
    root = xml_of(web.get(f"{BASE}/requests/{number}.xml"))
    assert root.findtext("request/description") == text


@pytest.mark.parametrize(
    "name", ["service_code", "description", "lat", "jurisdiction_id", "attribute[depth]", "email"]
)
def test_a_file_where_text_belongs_is_a_4xx_not_a_server_error(web, key, home_grids, name):
    data = {"service_code": "0101", **point_of(home_grids[0])}
    data[name] = SimpleUploadedFile("x.txt", b"0101", content_type="text/plain")
    response = web.post(f"{BASE}/requests.json", data, HTTP_X_API_KEY=key)
    assert 400 <= response.status_code < 500, response.content
    assert not Case.objects.exists()


def test_a_second_request_at_the_same_spot_is_noted_as_a_possible_duplicate(web, key, home_grids):
    point = point_of(home_grids[0])
    first, second = (file(web, key, **point).json()[0]["service_request_id"] for _ in range(2))
    case_services.route_filed_cases(limit=10)  # the worker's round after filing
    report = Case.objects.get(number=second).events.get(action="report")
    assert report.data["possible_duplicates"] == [Case.objects.get(number=first).pk]


def test_filing_is_a_handful_of_statements(web, key, home_grids, django_assert_max_num_queries):
    point = point_of(home_grids[0])
    file(web, key, **point)  # the memos (services, rules, calendar, grids) are loaded once
    # The key, the idempotency lookup, the case's id, the case, its report event, its rollup
    # ledger, the request's row, and the savepoints of the filing and of the request's row.
    with django_assert_max_num_queries(11):
        assert file(web, key, **point, idempotency_key="k-1").status_code == 201


def test_only_a_door_that_checked_a_key_files_without_a_post(app, home_grids, category):
    """report_case's `external` is the door's word, not the source's: the client's user holds no
    post, so filing as it without `external` is refused like anyone's outside their area."""
    client, _key = app
    fields = {
        "reporter": client.user,
        "category": category("0101"),
        "title": "垃圾",
        "lng": home_grids[0].centroid_lng,
        "lat": home_grids[0].centroid_lat,
        "source": Case.Source.OPEN311,
    }
    with pytest.raises(ValidationError):
        case_services.report_case(**fields)
    case, created = case_services.report_case(**fields, external=True)
    assert created
    assert case.grid == home_grids[0]
