"""Done when: an Open311 client written against the public GeoReport v2 specification can list
services, file a request with a photo and read its status until closed.

The client below knows the specification and nothing of our code: it talks HTTP to a real
gunicorn (tests/live.py) with `requests`, reads XML with the standard library, finds the endpoint
through discovery, picks a service by its name, posts multipart with its photo, and polls the
request. Meanwhile the district works the case through its services, as its staff would.
"""

import io
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from django.contrib.auth import get_user_model
from PIL import Image

from cases import services as case_services
from cases.models import Case
from governance.clients import register
from governance.models import ApiClient
from tests.cases.conftest import make_photo
from tests.live import WAIT, WebServer, database_url

pytestmark = pytest.mark.django_db(transaction=True)


class GeoReportClient:
    """A GeoReport v2 client as the specification describes one (XML, form posts)."""

    def __init__(self, discovery_url: str, api_key: str):
        discovery = self._xml(requests.get(discovery_url, timeout=30))
        endpoints = discovery.findall("endpoints/endpoint")
        endpoint = next(
            e
            for e in endpoints
            if e.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
            and "text/xml" in [f.text for f in e.findall("formats/format")]
        )
        self.url, self.api_key = endpoint.findtext("url"), api_key

    @staticmethod
    def _xml(response) -> ET.Element:
        assert response.status_code in (200, 201), response.text
        assert response.headers["Content-Type"].startswith("text/xml")
        return ET.fromstring(response.content)

    def services(self) -> list[dict]:
        root = self._xml(requests.get(f"{self.url}/services.xml", timeout=30))
        return [{child.tag: child.text for child in service} for service in root]

    def file(self, service_code: str, lat: float, lng: float, text: str, photo: bytes) -> str:
        response = requests.post(
            f"{self.url}/requests.xml",
            data={
                "api_key": self.api_key,
                "service_code": service_code,
                "lat": lat,
                "long": lng,
                "description": text,
            },
            files={"media": ("photo.jpg", photo, "image/jpeg")},
            timeout=30,
        )
        return self._xml(response).findtext("request/service_request_id")

    def request(self, request_id: str) -> dict:
        root = self._xml(requests.get(f"{self.url}/requests/{request_id}.xml", timeout=30))
        return {child.tag: child.text for child in root.find("request")}


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_spec_client_lists_services_files_with_a_photo_and_follows_it_until_closed(
    demo, home_grids, tmp_path
):
    key = register(ApiClient(name="随手拍", kind=ApiClient.Kind.OPEN311))
    grid = home_grids[0]
    server = WebServer(tmp_path, DATABASE_URL=database_url(), CELERY_BROKER_URL="memory://")
    server.start()
    try:
        client = GeoReportClient(f"{server.url}/open311/v2/discovery.xml", key)
        services = client.services()
        rubbish = next(s for s in services if s["service_name"] == "暴露垃圾")
        assert rubbish["group"] == "市容环境"
        assert rubbish["type"] == "realtime"

        request_id = client.file(
            rubbish["service_code"],
            grid.centroid_lat,
            grid.centroid_lng,
            "小区门口垃圾堆放三天了",
            jpeg_bytes(),
        )
        seen = [client.request(request_id)]
        assert seen[0]["status"] == "open"
        assert seen[0]["service_code"] == rubbish["service_code"]
        assert seen[0]["agency_responsible"] == grid.name

        # The district works the case: the grid worker accepts it, clears the rubbish and
        # (a case of this category may be resolved on the spot) closes it with a photo.
        case = Case.objects.get(number=request_id)
        assert case.source == Case.Source.OPEN311
        assert case.photos.count() == 1
        worker = get_user_model().objects.get(username="grid1")  # works this grid
        case_services.accept_case(case, actor=worker)
        seen.append(client.request(request_id))
        assert (seen[-1]["status"], seen[-1]["status_notes"]) == ("open", "办理中")
        case.refresh_from_db()
        case_services.self_resolve_case(
            case, actor=worker, result="已清运", photos=[make_photo("done.jpg")]
        )

        deadline = time.monotonic() + WAIT
        while seen[-1]["status"] != "closed":
            assert time.monotonic() < deadline, seen
            time.sleep(0.2)
            seen.append(client.request(request_id))
        closed = seen[-1]
        assert closed["updated_datetime"] >= seen[0]["updated_datetime"]
        assert closed["status_notes"] == "已结案"
        assert not closed["expected_datetime"]
    finally:
        server.stop()
