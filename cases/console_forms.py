"""The forms of the office console's steps (cases/console_views.py), in the office's words, on
the bases the field app's forms share (cases/forms.py): each parses a post into the arguments of
one service in cases/services.py.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import limits, routing
from cases.calendar import WorkCalendar
from cases.filtersets import cases_visible_to
from cases.forms import (
    PassedField,
    PhotosField,
    SatisfactionField,
    StepForm,
    VersionedForm,
    text_field,
)
from cases.models import Dispatch
from grid.models import Area, Department


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ReasonForm(StepForm):
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)


class RejectForm(StepForm):
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)
    duplicate_of = forms.CharField(
        label=gettext_lazy("Duplicate of (case number)"),
        required=False,
        help_text=gettext_lazy("Leave empty if the report is invalid rather than a duplicate."),
    )

    def __init__(self, *args, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = list(duplicates)
        self.fields["duplicate_of"].widget.attrs["list"] = "possible-duplicates"

    def clean_duplicate_of(self):
        number = self.cleaned_data["duplicate_of"].strip()
        if not number:
            return None
        original = cases_visible_to(self.user).filter(number=number).first()
        if original is None:
            raise ValidationError(_("No case with this number in your area."))
        return original


class ReturnDownForm(StepForm):
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)
    to_level = forms.TypedChoiceField(label=gettext_lazy("Send to"), coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        level = self.case.level if self.case is not None else Area.Level.DISTRICT
        self.fields["to_level"].choices = [
            (value, label) for value, label in Area.Level.choices if value > level
        ]
        if not self.is_bound and level < Area.Level.GRID:
            self.initial.setdefault("to_level", level + 1)


class DepartmentChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, department):
        return department.name


class DispatchForm(StepForm):
    lead = forms.ModelChoiceField(
        label=gettext_lazy("Lead department"), queryset=Department.objects.none()
    )
    cooperating = DepartmentChoices(
        label=gettext_lazy("Cooperating departments"),
        queryset=Department.objects.none(),
        required=False,
    )
    instructions = text_field(gettext_lazy("Instructions"), rows=3, max_length=limits.INSTRUCTIONS)
    due_at = forms.DateTimeField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("Leave empty for the default time limit."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(is_active=True).order_by("code")
        self.fields["lead"].queryset = departments
        self.fields["cooperating"].queryset = departments
        category = self.case.category if self.case is not None else None
        if category is not None and not self.is_bound:
            if category.lead_department_id:
                self.initial.setdefault("lead", category.lead_department_id)
            self.initial.setdefault(
                "cooperating", [d.pk for d in category.cooperating_departments.all()]
            )
            hours = routing.DEFAULT_DISPATCH_HOURS
            due = WorkCalendar.load().add(timezone.now(), hours * 3600)
            self.initial.setdefault("due_at", timezone.localtime(due).replace(second=0))
        # The category's cooperating departments, marked in the list (the lead is the select's).
        self.suggested = set()
        if category is not None:
            self.suggested = {d.pk for d in category.cooperating_departments.all()}


class ResultForm(StepForm):
    result = text_field(gettext_lazy("Result"), rows=3, max_length=limits.RESULT)
    photos = PhotosField()


class VerifyForm(StepForm):
    passed = PassedField(label=gettext_lazy("Outcome"))
    note = text_field(gettext_lazy("Note"), max_length=limits.NOTE)
    photos = PhotosField(label=gettext_lazy("Photos taken on site"))


class CallbackForm(StepForm):
    satisfaction = SatisfactionField()
    comment = text_field(gettext_lazy("Comment"), max_length=limits.COMMENT)
    reopen_if_unsatisfied = forms.BooleanField(
        label=gettext_lazy("Reopen the case if the resident is unsatisfied (1–2)"), required=False
    )


class DispatchStepForm(VersionedForm):
    """A step on `dispatch`; unbound, it carries the dispatch's version."""

    def __init__(self, *args, dispatch=None, **kwargs):
        self.dispatch = dispatch
        super().__init__(*args, versioned=dispatch, **kwargs)


class RefuseForm(DispatchStepForm):
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)


class ExtensionForm(DispatchStepForm):
    until = forms.DateTimeField(
        label=gettext_lazy("New deadline"),
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = text_field(gettext_lazy("Reason"), max_length=limits.REASON)


class DoneForm(DispatchStepForm):
    """Report done. The lead's form also asks, while cooperating departments have not
    reported, for the reason to go ahead without them (their dispatches then close with the
    case); without it the report is refused and the message names them."""

    result = text_field(gettext_lazy("Result"), rows=3, max_length=limits.RESULT)
    photos = PhotosField()
    go_ahead_reason = text_field(
        gettext_lazy("Reason to resolve without them"), max_length=limits.REASON
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dispatch = self.dispatch
        waiting = []
        if dispatch is not None and dispatch.role == Dispatch.Role.LEAD:
            waiting = list(
                Dispatch.objects.filter(case_id=dispatch.case_id, status__in=Dispatch.OPEN_STATUSES)
                .exclude(pk=dispatch.pk)
                .values_list("department__name", flat=True)
                .order_by("pk")
            )
        if not waiting:
            del self.fields["go_ahead_reason"]
            return
        self.fields["go_ahead_reason"].help_text = _(
            "Not reported yet: %(departments)s. Their dispatches close with the case."
        ) % {"departments": _(", ").join(waiting)}


class ExtensionDecisionForm(DispatchStepForm):
    approve = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("1", gettext_lazy("Approve")), ("0", gettext_lazy("Decline"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Say whether the extension is approved.")},
    )
