"""Form fields shared by the field app and the office console."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.photos import MAX_PHOTOS_PER_STEP


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input, at most MAX_PHOTOS_PER_STEP (as the API); the services check
    each one (type, size). On a phone (`camera=True`) the input opens the camera and the page's
    script compresses the photos before the form is sent."""

    def __init__(self, *, camera: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Photos"))
        attrs = {"accept": "image/*"}
        if camera:
            attrs.update({"capture": "environment", "data-compress": "1"})
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > MAX_PHOTOS_PER_STEP:
            raise ValidationError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS_PER_STEP})
        return [super(PhotosField, self).clean(upload, initial) for upload in files]
