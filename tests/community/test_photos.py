"""Photos of service requests and care visits go through the same cleaning as a case's
(cases/photos.py): stored upright, downscaled and without EXIF — a resident's documents or home
photographed with the phone's GPS and device tags must not be served back with them."""

import io

import pytest
from PIL import Image

from community import services
from tests.cases.test_photos import GPS_IFD, exif_with_gps, jpeg, upload


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def stored(photo) -> Image.Image:
    with photo.image.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


def test_a_request_photo_is_stored_without_exif_and_upright(record):
    original = jpeg((60, 40), exif=exif_with_gps(orientation=6))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    request = record(photos=[upload(original)])

    kept = stored(request.photos.get())
    assert not kept.getexif()
    assert kept.size == (40, 60)  # orientation 6: turned a quarter, then the tag dropped


def test_a_visit_photo_is_downscaled_and_stored_without_exif(elderly, user, settings):
    settings.SANHUA_PHOTO_MAX_SIDE = 50

    visit, _created = services.record_visit(
        actor=user("grid1"),
        person=elderly,
        findings="身体良好",
        photos=[upload(jpeg((200, 100), exif=exif_with_gps()))],
    )

    kept = stored(visit.photos.get())
    assert not kept.getexif()
    assert max(kept.size) == 50
