"""The step forms of the console and of the field app, on the bases they share: the photos field
(one limit per step, as the API's), the version, and a service's messages beside their fields."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from cases import console_forms, field_forms
from cases.photos import MAX_PHOTOS_PER_STEP


def photos(n: int) -> MultiValueDict:
    return MultiValueDict(
        {"photos": [SimpleUploadedFile(f"{i}.jpg", b"jpeg bytes") for i in range(n)]}
    )


@pytest.mark.parametrize("form_class", [console_forms.ResultForm, field_forms.ResultForm])
def test_a_step_takes_as_many_photos_as_the_api_and_no_more(form_class):
    data = {"version": 1, "result": "已处理"}

    assert form_class(data, photos(MAX_PHOTOS_PER_STEP)).is_valid()
    with translation.override("en"):
        too_many = form_class(data, photos(MAX_PHOTOS_PER_STEP + 1))
        assert not too_many.is_valid()
        assert too_many.errors["photos"] == [f"At most {MAX_PHOTOS_PER_STEP} photos."]


def test_only_the_phone_opens_the_camera_and_compresses():
    phone = field_forms.ResultForm().fields["photos"].widget.attrs
    desk = console_forms.ResultForm().fields["photos"].widget.attrs

    assert (phone.get("capture"), phone.get("data-compress")) == ("environment", "1")
    assert {"capture", "data-compress"}.isdisjoint(desk)


@pytest.mark.parametrize("form_class", [console_forms.ReasonForm, field_forms.ReasonForm])
def test_an_unbound_step_carries_the_version_of_its_case(form_class):
    form = form_class(case=SimpleNamespace(version=3))

    assert form.initial["version"] == 3
    assert 'name="version" value="3"' in str(form["version"])


def test_the_office_must_name_the_version_it_saw_and_the_phone_may_leave_it_out():
    # As the API: a phone's post without a version is taken; the console's pages always send one.
    desk = console_forms.ReasonForm({"reason": "需协调"})
    phone = field_forms.ReasonForm({"reason": "需协调"})

    assert (desk.is_valid(), list(desk.errors)) == (False, ["version"])
    assert phone.is_valid()
    assert phone.service_arguments() == {"reason": "需协调"}


@pytest.mark.parametrize("form_class", [console_forms.ReasonForm, field_forms.ReasonForm])
def test_a_services_messages_stand_beside_their_field_marked_invalid_or_on_top(form_class):
    form = form_class({"version": 1, "reason": " "})
    assert form.is_valid()

    form.add_service_errors(ValidationError({"reason": "Give a reason.", "level": "Too high."}))

    assert form.errors["reason"] == ["Give a reason."]
    assert form.non_field_errors() == ["Too high."]
    assert form.fields["reason"].widget.attrs["class"] == "form-control is-invalid"
    assert "is-invalid" not in form.fields["version"].widget.attrs.get("class", "")
