"""The forms of the field app (cases/field_views.py), in a phone's words, on the bases the office
console's forms share (cases/forms.py): a grid worker's steps on a case, each parsing a post into
the arguments of one service in cases/services.py, and the updates after a visit, through
grid/registry.py.
"""

from django import forms
from django.utils.translation import gettext_lazy

from cases import limits
from cases.forms import (
    BootstrapForm,
    PassedField,
    PhotosField,
    SatisfactionField,
    StepForm,
    text_field,
)
from grid.models import CareTag
from grid.registry_views import care_tag_name


def _text(label, *, max_length: int, rows: int = 3) -> forms.CharField:
    return text_field(label, rows=rows, max_length=max_length)


class FieldStepForm(StepForm):
    """A step in the field app. The version is optional, as in the API (a post without one is
    taken as it is); TaskActionView refuses a post whose version is older than the case's."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class ReasonForm(FieldStepForm):
    reason = _text(gettext_lazy("Reason"), max_length=limits.REASON)


class ResultForm(FieldStepForm):
    result = _text(gettext_lazy("What was done"), max_length=limits.RESULT)
    photos = PhotosField(camera=True)


class VerifyForm(FieldStepForm):
    passed = PassedField(label=gettext_lazy("Result of the check"))
    note = _text(gettext_lazy("Note (required when the check fails)"), max_length=limits.NOTE)
    photos = PhotosField(camera=True, label=gettext_lazy("Photos taken on site"))


class CallbackForm(FieldStepForm):
    satisfaction = SatisfactionField(
        choices=[
            ("5", gettext_lazy("5 · very satisfied")),
            ("4", gettext_lazy("4 · satisfied")),
            ("3", gettext_lazy("3 · neutral")),
            ("2", gettext_lazy("2 · unsatisfied")),
            ("1", gettext_lazy("1 · very unsatisfied")),
        ],
        widget=forms.RadioSelect,
    )
    comment = _text(gettext_lazy("What the resident said"), max_length=limits.COMMENT, rows=2)


class VisitUpdateForm(BootstrapForm):
    """What a visit may change: contact, work, address and care tags. The phone is never shown
    in full here; a new one replaces it."""

    new_phone = forms.CharField(
        label=gettext_lazy("New phone (leave empty to keep)"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    occupation = forms.CharField(label=gettext_lazy("Occupation"), required=False, max_length=60)
    employer = forms.CharField(label=gettext_lazy("Employer"), required=False, max_length=100)
    current_address = forms.CharField(
        label=gettext_lazy("Current address"), required=False, max_length=200
    )
    care_tags = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Care tags"),
        queryset=CareTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_tags"].label_from_instance = care_tag_name


class LifeEventForm(BootstrapForm):
    on = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Empty: today"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)
