"""Photos as cases/photos.py keeps them: decompression bombs refused from their header with a 400
and nothing written, broken files refused before anything is written, and what is kept turned
upright, downscaled and stripped of EXIF (GPS, device) before it is stored and served back."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case, CaseEvent, CasePhoto

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL = 0x010F, 0x0110


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels: its first rows of zeros are
    compressed to almost nothing, as in a real bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\0" * (width + 1) * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) is rewritten to declare width × height."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg(size=(64, 48), *, exif: Image.Exif | None = None, colour=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.save(buffer, format="JPEG", **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Phone Maker", "Phone 12", orientation
    # 23.1°N 113.4°E, about where the demo district is.
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (23.0, 6.0, 0.0), 3: "E", 4: (113.0, 24.0, 0.0)})
    return exif


def upload(content: bytes, name: str = "site.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def file_with(client, grid, *photos):
    return client.post(
        "/api/cases/",
        {
            "category": "0101",
            "title": "暴露垃圾",
            "lng": grid.centroid_lng,
            "lat": grid.centroid_lat,
            "photos": list(photos),
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """Photos of this module go to a folder of the test's own: other test processes write to the
    shared media folder at the same time, and "nothing was written" is read off a folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def nothing_written() -> tuple:
    return (Case.objects.count(), CaseEvent.objects.count(), CasePhoto.objects.count())


TOO_MANY = "This photo has too many pixels (at most 40 megapixels)."


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (png_declaring(30000, 30000), "bomb.png"),  # 900 MP in a few KB
        (png_declaring(13000, 13000), "big.png"),  # 169 MP
        (jpeg_declaring(12000, 9000), "big.jpg"),  # 108 MP
        (png_declaring(8000, 5001), "just-over.png"),  # 40.008 MP
    ],
    ids=["png-30000x30000", "png-169mp", "jpeg-12000x9000", "png-just-over-40mp"],
)
def test_a_photo_with_too_many_pixels_is_a_400_and_nothing_is_written(
    login, home_grids, content, name
):
    files_before = stored_files()

    response = file_with(login("grid1"), home_grids[0], upload(jpeg()), upload(content, name))

    assert response.status_code == 400
    assert response.json()["errors"] == {"photos": [TOO_MANY]}
    assert nothing_written() == (0, 0, 0)
    assert stored_files() == files_before


def test_the_pixel_limit_is_a_setting(login, home_grids, settings):
    settings.SANHUA_PHOTO_MAX_PIXELS = 3_000_000
    client = login("grid1")

    refused = file_with(client, home_grids[0], upload(jpeg_declaring(2000, 1501)))
    kept = file_with(client, home_grids[0], upload(jpeg((300, 200))))

    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "photos": ["This photo has too many pixels (at most 3 megapixels)."]
    }
    assert kept.status_code == 201


def test_a_truncated_jpeg_is_a_400_not_a_server_error(login, home_grids):
    whole = jpeg((400, 300), colour=(10, 200, 30))
    broken = whole[: len(whole) // 2]

    response = file_with(login("grid1"), home_grids[0], upload(broken))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "photos": ["This file is not a photo (JPEG, PNG or WebP)."]
    }
    assert nothing_written() == (0, 0, 0)


def test_a_kept_jpeg_is_served_back_without_exif_and_upright(login, home_grids):
    client = login("grid1")
    # Orientation 6: the camera was turned; the picture is shown rotated a quarter turn.
    original = jpeg((60, 40), exif=exif_with_gps(orientation=6))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    response = file_with(client, home_grids[0], upload(original))

    assert response.status_code == 201
    [photo] = response.json()["photos"]
    served = b"".join(client.get(photo["image"]).streaming_content)
    thumbnail = b"".join(client.get(photo["thumbnail"]).streaming_content)
    for content in (served, thumbnail):
        image = Image.open(io.BytesIO(content))
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert b"Exif" not in content
        assert b"Phone Maker" not in content
    assert Image.open(io.BytesIO(served)).size == (40, 60)


def test_a_kept_png_loses_its_text_chunks_and_keeps_its_transparency(login, home_grids):
    from PIL import PngImagePlugin

    details = PngImagePlugin.PngInfo()
    details.add_text("Author", "王秀英 13812345678")
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 30), (0, 0, 0, 0)).save(buffer, format="PNG", pnginfo=details)
    client = login("grid1")

    response = file_with(client, home_grids[0], upload(buffer.getvalue(), "screen.png"))

    assert response.status_code == 201
    [photo] = response.json()["photos"]
    served = b"".join(client.get(photo["image"]).streaming_content)
    image = Image.open(io.BytesIO(served))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (50, 30))
    assert "Author" not in image.info
    assert "王秀英".encode() not in served


def test_a_kept_photo_is_downscaled_to_the_longest_side_setting(login, home_grids, settings):
    settings.SANHUA_PHOTO_MAX_SIDE = 100
    client = login("grid1")

    response = file_with(client, home_grids[0], upload(jpeg((400, 300))))

    assert response.status_code == 201
    [photo] = response.json()["photos"]
    served = b"".join(client.get(photo["image"]).streaming_content)
    assert Image.open(io.BytesIO(served)).size == (100, 75)


def test_the_default_limits_refuse_over_40_megapixels_and_keep_2560_pixels():
    assert settings.SANHUA_PHOTO_MAX_PIXELS == 40_000_000
    assert settings.SANHUA_PHOTO_MAX_SIDE == 2560
