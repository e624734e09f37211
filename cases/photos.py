"""Photos attached to case steps: type, size and pixel count checked, re-encoded with Pillow
(turned upright, downscaled, stripped of EXIF and every other metadata) with a thumbnail; and
the answer that shows one.

An upload is checked from its header before any pixel is decoded: a small file can declare a
huge image (a 106 KB PNG of 30000×30000 decodes to 2.7 GB), so more than
SANHUA_PHOTO_MAX_PIXELS is refused as a bad photo. What is kept is re-encoded, never stored as
uploaded: the phone's EXIF holds GPS and device tags (the case keeps its own location), so it is
dropped after its orientation is applied, and the picture is downscaled to at most
SANHUA_PHOTO_MAX_SIDE pixels on its long side.

Photos may show residents and their homes, so no public media URL serves them: MEDIA_ROOT is
not routed. Each is shown by a view scoped like its case (the console's, the field app's, the
API's), all through `photo_response`.
"""

import uuid
import warnings
import weakref
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from cases.models import Case, CaseEvent, CasePhoto

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_STEP = 20  # one step of the workflow: the API, the console and the field app
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (320, 320)


@dataclass(frozen=True)
class CleanPhoto:
    """An upload re-encoded: the picture to keep and its thumbnail, with no metadata."""

    kind: str
    image: bytes
    thumbnail: bytes


# The checks decode each upload once: store_photo() finds here what check_photo() made of it.
_checked: "weakref.WeakKeyDictionary[object, CleanPhoto]" = weakref.WeakKeyDictionary()


def _not_a_photo() -> ValidationError:
    return ValidationError({"photos": [_("This file is not a photo (JPEG, PNG or WebP).")]})


def _too_many_pixels() -> ValidationError:
    megapixels = settings.SANHUA_PHOTO_MAX_PIXELS // 1_000_000
    return ValidationError(
        {
            "photos": [
                _("This photo has too many pixels (at most %(mp)s megapixels).")
                % {"mp": megapixels}
            ]
        }
    )


def check_photo(upload) -> str:
    """The file's real image format (by content, not by name), or ValidationError. Decodes it
    (once: the result is kept for store_photo) so a broken file is refused before anything is
    written."""
    return _clean(upload).kind


def _clean(upload) -> CleanPhoto:
    if upload in _checked:
        return _checked[upload]
    if upload.size > MAX_BYTES:
        raise ValidationError(
            {"photos": [_("A photo may be at most %(mb)s MB.") % {"mb": MAX_BYTES // 2**20}]}
        )
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard (a warning past ~89 MP, an error past twice that) is
            # looser than ours; its warning is a refusal here too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:  # reads the header only
                kind, (width, height) = image.format, image.size
                if kind not in FORMATS:
                    raise _not_a_photo()
                if width * height > settings.SANHUA_PHOTO_MAX_PIXELS:
                    raise _too_many_pixels()
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                clean = _reencode(image, kind)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, struct.error …) on a
        raise _not_a_photo() from None  # broken file or a broken EXIF block
    finally:
        upload.seek(0)
    _checked[upload] = clean
    return clean


def _reencode(image: Image.Image, kind: str) -> CleanPhoto:
    """The picture upright, at most SANHUA_PHOTO_MAX_SIDE on its long side, in its own format
    with nothing but pixels: Pillow writes EXIF, XMP or text chunks only when asked to."""
    longest = settings.SANHUA_PHOTO_MAX_SIDE
    if kind == "JPEG":
        # The JPEG decoder can scale by 1/2, 1/4 or 1/8 as it reads: far less work and memory
        # for a large photo than decoding it whole and shrinking it afterwards.
        image.draft("RGB", (longest, longest))
    image.load()
    upright = ImageOps.exif_transpose(image)
    if kind == "JPEG" or upright.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = kind != "JPEG" and (
            upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        )
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    upright.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    upright.info = {}
    kept = BytesIO()
    options = {"quality": 85} if kind in ("JPEG", "WEBP") else {}
    upright.save(kept, format=kind, **options)
    small = upright.convert("RGB")
    small.thumbnail(THUMBNAIL_SIZE)
    thumbnail = BytesIO()
    small.save(thumbnail, format="JPEG", quality=80)
    return CleanPhoto(kind=kind, image=kept.getvalue(), thumbnail=thumbnail.getvalue())


def save_photo_files(photo, upload):
    """Fill `photo`'s image and thumbnail from `upload`, cleaned (upright, downscaled, without
    EXIF or other metadata), and save it. Any model with `image` and `thumbnail` file fields:
    case photos here, service-request and care-visit photos in community."""
    clean = _clean(upload)
    # Stored under a name of our own: the uploaded name is the phone's and may say anything.
    name = f"{uuid.uuid4().hex}.{FORMATS[clean.kind]}"
    photo.image.save(name, ContentFile(clean.image), save=False)
    photo.thumbnail.save(
        f"thumb-{photo.image.name.rsplit('/', 1)[-1]}.jpg",
        ContentFile(clean.thumbnail),
        save=False,
    )
    photo.save()
    return photo


def store_photo(*, case: Case, event: CaseEvent | None, upload, user) -> CasePhoto:
    uploader = user if user and user.is_authenticated else None
    return save_photo_files(CasePhoto(case=case, event=event, uploaded_by=uploader), upload)


def photo_response(photo: CasePhoto, *, thumbnail: bool = False) -> FileResponse:
    """The photo's file (or its thumbnail, where it has one) for a caller who may see its case:
    kept by the browser only, never by shared caches, and never sniffed as anything but the
    image type its own name says."""
    image = photo.thumbnail if thumbnail and photo.thumbnail else photo.image
    try:
        handle = image.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
