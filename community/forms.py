"""Forms of the community-service pages (field app and console), on the bases the cases' forms
share (cases/forms.py): each parses a post into the keyword arguments of one service in
community/services.py; what a step needs is the service's to say, beside the field."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy, pgettext_lazy

from cases.filtersets import CategoryField
from cases.forms import (
    BootstrapForm,
    PhotosField,
    SatisfactionField,
    VersionedForm,
    text_field,
)
from cases.models import Urgency
from community.models import Service
from grid.jurisdiction import areas_visible_to, restrict
from grid.models import Area, Household, Person


def _text(label, *, rows: int = 3):
    return text_field(label, rows=rows, max_length=2000)


class ServiceChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Service"))
        super().__init__(queryset=Service.objects.filter(is_active=True), **kwargs)

    def label_from_instance(self, service):
        return service.label


class RequestForm(BootstrapForm):
    """A resident's service need, recorded in the field or at the office."""

    service = ServiceChoiceField()
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, widget=forms.HiddenInput
    )
    household = forms.ModelChoiceField(
        queryset=Household.objects.none(), required=False, widget=forms.HiddenInput
    )
    walk_in_name = forms.CharField(
        label=gettext_lazy("Walk-in's name (not in the registry)"), required=False, max_length=60
    )
    walk_in_phone = forms.CharField(
        label=gettext_lazy("Walk-in's phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    grid = forms.ModelChoiceField(
        label=gettext_lazy("Grid"), queryset=Area.objects.none(), required=False
    )
    description = _text(gettext_lazy("What the resident needs"))
    address = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=200)
    appointment_at = forms.DateTimeField(
        label=gettext_lazy("Appointment"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    photos = PhotosField(camera=True, label=gettext_lazy("Photos of the documents"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = restrict(
            Person.objects.all(), user, path_field="grid__path"
        )
        self.fields["household"].queryset = restrict(
            Household.objects.all(), user, path_field="grid__path"
        )
        self.fields["grid"].queryset = areas_visible_to(user).filter(level=Area.Level.GRID)


class VisitForm(BootstrapForm):
    """A care visit: what was found, the check-in point, photos, and a need raised."""

    schedule_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    findings = _text(gettext_lazy("What you found"))
    lng = forms.FloatField(widget=forms.HiddenInput, required=False)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    photos = PhotosField(camera=True)
    need_service = ServiceChoiceField(label=gettext_lazy("A need raised: service"), required=False)
    need_description = _text(gettext_lazy("The need, in the resident's words"), rows=2)


class RequestStepForm(VersionedForm):
    """A step on a request; unbound, it carries the request's version."""

    def __init__(self, *args, user=None, request=None, **kwargs):
        self.user, self.row = user, request
        super().__init__(*args, versioned=request, **kwargs)


def _area_prefixes(path: str) -> list[str]:
    """ "/1/4/17/" → ["/1/", "/1/4/", "/1/4/17/"]: the paths of an area and those above it."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class AcceptForm(RequestStepForm):
    """Accept, or assign (the same fields): who handles it (the people whose posts cover the
    request's grid) and when they meet the resident."""

    assignee = AssigneeField(
        label=gettext_lazy("Assignee (empty: yourself)"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    appointment_at = forms.DateTimeField(
        label=gettext_lazy("Appointment"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.row is not None:
            self.fields["assignee"].queryset = (
                get_user_model()
                .objects.filter(
                    is_active=True,
                    posts__is_active=True,
                    posts__area__path__in=_area_prefixes(self.row.grid.path),
                )
                .distinct()
                .order_by("username")
            )


class AssignForm(AcceptForm):
    pass


class CompleteForm(RequestStepForm):
    result = _text(gettext_lazy("What was done"))
    satisfaction = SatisfactionField(
        label=gettext_lazy("Resident's satisfaction (if asked now)"),
        choices=[("", "—"), *[(str(n), str(n)) for n in range(5, 0, -1)]],
        required=False,
        empty_value=None,
    )
    photos = PhotosField(camera=True, label=gettext_lazy("Photos of the documents handed over"))


class DeclineForm(RequestStepForm):
    reason = _text(gettext_lazy("Reason"))


class RateForm(RequestStepForm):
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
    comment = _text(gettext_lazy("What the resident said"), rows=2)


class ConvertForm(RequestStepForm):
    category = CategoryField(label=gettext_lazy("Case category (code)"))
    title = forms.CharField(label=gettext_lazy("Case title"), max_length=120)
    description = _text(gettext_lazy("Description"))
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL
    )


STEP_FORMS = {
    "accept": AcceptForm,
    "assign": AssignForm,
    "complete": CompleteForm,
    "decline": DeclineForm,
    "rate": RateForm,
    "convert": ConvertForm,
}
STEP_LABELS = {
    "accept": gettext_lazy("Accept"),
    "assign": gettext_lazy("Assign or make an appointment"),
    # Steps in their own context: "Done" is also the status (已办结) and "Decline" the
    # dispatcher's answer to an extension (不同意); as buttons they read 办结 and 不予办理.
    "complete": pgettext_lazy("service request step", "Done"),
    "decline": pgettext_lazy("service request step", "Decline"),
    "rate": gettext_lazy("Satisfaction"),
    "convert": gettext_lazy("Convert to a case"),
}
STEP_STYLES = {
    "assign": "secondary",
    "complete": "success",
    "decline": "danger",
    "convert": "warning",
}
