"""What the forms of the field app (cases/field_forms.py) and of the office console
(cases/console_forms.py) share: Bootstrap styling with every field marked invalid beside its
messages, the versioned step form that parses a post into the arguments of one service in
cases/services.py, and the fields both ask for. Each app declares its own steps on these, in its
own words (a phone's "What was done", the office's "Result").

The forms check shape only; what a step needs (a reason, a photo, a later date) is the service's
to say, and its messages come back beside the fields (BootstrapForm.add_service_errors).
"""

import functools

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from cases.photos import MAX_PHOTOS_PER_STEP
from governance.forms import bootstrap_classes


class BootstrapForm(forms.Form):
    """A form styled for Bootstrap, whose fields are marked invalid beside their messages,
    including the messages a service adds after validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_classes(self.fields.values())

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in list(self.errors):
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's messages beside the form's fields; those of no field on the form on top."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


class VersionedForm(BootstrapForm):
    """A step on a row that has a version (a case, a dispatch): the form carries the version the
    page showed, and a row that moved on since is refused rather than changed blindly. Its other
    fields are the keyword arguments of the step's service."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, versioned=None, **kwargs):
        super().__init__(*args, **kwargs)
        if versioned is not None and not self.is_bound:
            self.initial.setdefault("version", versioned.version)

    def read_version(self) -> int | None:
        """The version the post says the page showed, read before the form is validated (the
        step's policy is checked first); a missing or garbled one is the form's to refuse."""
        raw = self["version"].value()
        if isinstance(raw, int):
            return raw
        return int(raw) if isinstance(raw, str) and raw.strip().isdecimal() else None

    def service_arguments(self) -> dict:
        """The step's fields as its service's keyword arguments; the version is the view's."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class StepForm(VersionedForm):
    """A step `user` takes on `case`; unbound, it carries the case's version."""

    def __init__(self, *args, user=None, case=None, **kwargs):
        self.user, self.case = user, case
        super().__init__(*args, versioned=case, **kwargs)


def text_field(label, *, max_length: int, rows: int = 2, **kwargs) -> forms.CharField:
    """A step's free text, bounded like its service's field (cases/limits.py)."""
    # Not required here: the service decides what a step needs and says so per field.
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


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


class PassedField(forms.TypedChoiceField):
    """Whether an on-site check passed (the verify step's `passed`), as two radio buttons."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[
                ("1", gettext_lazy("Passed: close the case")),
                ("0", gettext_lazy("Failed: rework")),
            ],
            coerce=lambda value: value == "1",
            widget=forms.RadioSelect,
            error_messages={"required": gettext_lazy("Say whether the check passed.")},
            **kwargs,
        )


class SatisfactionField(forms.TypedChoiceField):
    """The resident's rating at a callback, 5 (best) first: 1 to 5 as a number."""

    def __init__(self, *, choices=None, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Satisfaction"))
        super().__init__(
            choices=choices or [(str(n), str(n)) for n in range(5, 0, -1)],
            coerce=int,
            error_messages={"required": gettext_lazy("Rate from 1 to 5.")},
            **kwargs,
        )


@functools.cache
def _choice_labels(choices, language: str | None) -> dict:
    return {value: str(label) for value, label in choices.choices}


def choice_labels(choices) -> dict:
    """{value: label} of a choices class (Case.Status, Urgency …) in the request's language,
    translated once per language and process: lists show a few labels on every row, and
    get_FOO_display() rebuilds the field's choices on every call."""
    return _choice_labels(choices, get_language())


def category_label(category) -> str:
    """A category's name in the request's language (the pages' and the choice lists')."""
    english = (get_language() or "").lower().startswith("en")
    return category.name_en if english and category.name_en else category.name
