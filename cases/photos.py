"""Photos attached to case steps: type and size checked, a thumbnail made with Pillow; and the
answer that shows one.

Photos may show residents and their homes, so no public media URL serves them: MEDIA_ROOT is
not routed. Each is shown by a view scoped like its case (the console's, the field app's, the
API's), all through `photo_response`.
"""

import uuid
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from cases.models import Case, CaseEvent, CasePhoto

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS_PER_STEP = 20  # one step of the workflow: the API, the console and the field app
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (320, 320)


def check_photo(upload) -> str:
    """The file's real image format (by content, not by name), or ValidationError."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            {"photos": [_("A photo may be at most %(mb)s MB.") % {"mb": MAX_BYTES // 2**20}]}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError(
            {"photos": [_("This file is not a photo (JPEG, PNG or WebP).")]}
        ) from None
    if kind not in FORMATS:
        raise ValidationError({"photos": [_("This file is not a photo (JPEG, PNG or WebP).")]})
    upload.seek(0)
    return kind


def store_photo(*, case: Case, event: CaseEvent | None, upload, user) -> CasePhoto:
    kind = check_photo(upload)
    # Stored under a name of our own: the uploaded name is the phone's and may say anything.
    name = f"{uuid.uuid4().hex}.{FORMATS[kind]}"
    photo = CasePhoto(
        case=case, event=event, uploaded_by=user if user and user.is_authenticated else None
    )
    photo.image.save(name, upload, save=False)
    upload.seek(0)
    with Image.open(upload) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    photo.thumbnail.save(
        f"thumb-{photo.image.name.rsplit('/', 1)[-1]}.jpg",
        ContentFile(buffer.getvalue()),
        save=False,
    )
    photo.save()
    return photo


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
