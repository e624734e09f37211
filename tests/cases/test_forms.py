"""The photos field the console and the field app share: one limit per step, as the API's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from cases import console_forms, field_views
from cases.photos import MAX_PHOTOS_PER_STEP


def photos(n: int) -> MultiValueDict:
    return MultiValueDict(
        {"photos": [SimpleUploadedFile(f"{i}.jpg", b"jpeg bytes") for i in range(n)]}
    )


@pytest.mark.parametrize("form_class", [console_forms.ResultForm, field_views.ResultForm])
def test_a_step_takes_as_many_photos_as_the_api_and_no_more(form_class):
    data = {"version": 1, "result": "已处理"}

    assert form_class(data, photos(MAX_PHOTOS_PER_STEP)).is_valid()
    with translation.override("en"):
        too_many = form_class(data, photos(MAX_PHOTOS_PER_STEP + 1))
        assert not too_many.is_valid()
        assert too_many.errors["photos"] == [f"At most {MAX_PHOTOS_PER_STEP} photos."]


def test_only_the_phone_opens_the_camera_and_compresses():
    phone = field_views.ResultForm().fields["photos"].widget.attrs
    desk = console_forms.ResultForm().fields["photos"].widget.attrs

    assert (phone.get("capture"), phone.get("data-compress")) == ("environment", "1")
    assert {"capture", "data-compress"}.isdisjoint(desk)
